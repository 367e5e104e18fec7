"""What can be checked here of the installers (installer/, .github/workflows/installers.yml).

Inno Setup, hdiutil, codesign and notarytool do not run on Linux, so these read the files: each
check fails if the feature it names is removed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ISS = ROOT / "installer" / "windows" / "syncmonitor.iss"
SPEC = ROOT / "installer" / "syncmonitor.spec"
DMG_SCRIPT = ROOT / "installer" / "macos" / "build_dmg.sh"
ENTITLEMENTS = ROOT / "installer" / "macos" / "entitlements.plist"
WORKFLOW = ROOT / ".github" / "workflows" / "installers.yml"


def _iss_sections() -> dict[str, str]:
    """The .iss split into its [Sections], comment lines (;) left out outside [Code]."""
    sections: dict[str, list[str]] = {"": []}
    current = ""
    for line in ISS.read_text(encoding="utf-8").splitlines():
        header = re.fullmatch(r"\[(\w+)\]", line.strip())
        if header:
            current = header.group(1).lower()
            sections.setdefault(current, [])
        elif current == "code" or not line.lstrip().startswith(";"):
            sections[current].append(line)
    return {name: "\n".join(lines) for name, lines in sections.items()}


def test_iss_takes_its_version_from_a_define() -> None:
    sections = _iss_sections()
    assert "#ifndef AppVersion" in sections[""]
    assert re.search(r"^AppVersion=\{#AppVersion\}$", sections["setup"], re.MULTILINE)
    assert "OutputBaseFilename=SyncMonitor-{#AppVersion}-setup" in sections["setup"]


def test_iss_installs_per_user_with_the_override_dialog() -> None:
    setup = _iss_sections()["setup"]
    assert re.search(r"^AppId=\{\{[0-9A-F-]{36}\}$", setup, re.MULTILINE)
    assert "PrivilegesRequired=lowest" in setup
    assert "PrivilegesRequiredOverridesAllowed=dialog" in setup
    assert r"SetupIconFile=resources\icons\app.ico" in setup
    assert r'Source: "dist\SyncMonitor\*"' in _iss_sections()["files"]


def test_iss_has_a_start_menu_entry() -> None:
    icons = _iss_sections()["icons"]
    start_menu = [line for line in icons.splitlines() if "{autoprograms}" in line]
    assert start_menu, "no Start menu entry in [Icons]"
    assert r"{app}\{#AppExeName}" in start_menu[0]
    assert "Tasks:" not in start_menu[0], "the Start menu entry must not be optional"


def test_iss_start_at_sign_in_is_an_optional_run_key_removed_on_uninstall() -> None:
    sections = _iss_sections()
    task = re.search(
        r'^Name: "(\w+)"; Description: "Start Sync Monitor when I sign in"',
        sections["tasks"],
        re.MULTILINE,
    )
    assert task, "no 'Start Sync Monitor when I sign in' task"
    run_key = [
        line
        for line in sections["registry"].splitlines()
        if r"Software\Microsoft\Windows\CurrentVersion\Run" in line
    ]
    assert run_key, "no Run-key entry in [Registry]"
    assert "Root: HKCU" in run_key[0]
    assert f"Tasks: {task.group(1)}" in run_key[0]
    assert "uninsdeletevalue" in run_key[0]


def test_iss_uninstaller_asks_about_user_data_and_keeps_it_by_default() -> None:
    code = _iss_sections()["code"]
    assert "procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);" in code
    assert r"{localappdata}\syncmonitor" in code
    assert "UninstallSilent()" in code, "a silent uninstall must not ask"
    prompt = re.search(r"MsgBox\((.*?)\) = IDYES", code, re.DOTALL)
    assert prompt, "no Yes/No question about the user's data"
    assert "MB_DEFBUTTON2" in prompt.group(1), "the default answer must be No (keep)"
    assert "IDNO" in prompt.group(1), "suppressed message boxes must answer No (keep)"
    assert "DelTree(UserDataDir()" in code
    assert re.search(r"if RemoveUserData and .*\n\s*if not DelTree", code)


def test_iss_stops_a_running_app_before_uninstall_and_install() -> None:
    sections = _iss_sections()
    assert "taskkill.exe" in sections["uninstallrun"]
    assert "/IM {#AppExeName}" in sections["uninstallrun"]
    assert "CloseApplications=yes" in sections["setup"]


def test_spec_builds_a_darwin_only_app_bundle_without_app_nap() -> None:
    text = SPEC.read_text(encoding="utf-8")
    guard = text.index('if sys.platform == "darwin":\n    # macOS: wrap')
    block = text[guard:]
    # the BUNDLE(...) call is indented under the darwin guard, so Linux and Windows never run it
    assert re.search(r"^    app = BUNDLE\(", block, re.MULTILINE)
    assert "BUNDLE(" not in text[:guard]
    for key, value in [
        ('"NSAppSleepDisabled"', "True"),
        ('"NSHighResolutionCapable"', "True"),
        ('"NSRequiresAquaSystemAppearance"', "False"),
        ('"LSMinimumSystemVersion"', '"11.0"'),
        ('"CFBundleShortVersionString"', "VERSION"),
    ]:
        assert re.search(rf"^\s+{key}: {value},$", block, re.MULTILINE), key
    assert 'bundle_identifier="com.syncmonitor.app"' in block
    assert "app.icns" in text


def test_spec_reads_the_version_it_puts_in_the_plist() -> None:
    text = SPEC.read_text(encoding="utf-8")
    pattern = re.search(r"re\.search\(r'(.+?)', _init", text)
    assert pattern, "the spec must read __version__ from src/syncmonitor/__init__.py"
    init = (ROOT / "src" / "syncmonitor" / "__init__.py").read_text(encoding="utf-8")
    found = re.search(pattern.group(1), init, re.MULTILINE)
    assert found
    import syncmonitor

    assert found.group(1) == syncmonitor.__version__


def test_entitlements_allow_what_pyside6_needs() -> None:
    import plistlib

    with ENTITLEMENTS.open("rb") as fh:
        entitlements = plistlib.load(fh)
    assert entitlements == {
        "com.apple.security.cs.allow-unsigned-executable-memory": True,
        "com.apple.security.cs.disable-library-validation": True,
    }


def test_build_dmg_script_parses() -> None:
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    done = subprocess.run(
        [bash, "-n", str(DMG_SCRIPT)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def test_build_dmg_script_signs_notarizes_and_staples_only_on_request() -> None:
    text = DMG_SCRIPT.read_text(encoding="utf-8")
    assert "set -euo pipefail" in text
    assert "hdiutil create" in text and "-format UDZO" in text
    assert "ln -s /Applications" in text
    assert "dist/installer" in text and "SyncMonitor-$VERSION.dmg" in text
    lines = text.splitlines()

    def inside_if(needle: str, condition: str) -> None:
        """Every line with `needle` sits in an `if` block whose condition mentions `condition`."""
        hits = [
            i
            for i, line in enumerate(lines)
            if needle in line and not line.lstrip().startswith("#")
        ]
        assert hits, f"{needle} is not used"
        for i in hits:
            indent = len(lines[i]) - len(lines[i].lstrip())
            opener = next(
                (
                    lines[j]
                    for j in range(i - 1, -1, -1)
                    if lines[j].strip() and len(lines[j]) - len(lines[j].lstrip()) < indent
                ),
                "",
            )
            assert opener.lstrip().startswith("if ") and condition in opener, (needle, opener)

    inside_if("codesign --force --deep", "SIGN_IDENTITY")
    inside_if("xcrun notarytool submit", "NOTARIZE")
    inside_if("xcrun stapler staple", "NOTARIZE")
    assert "--options runtime" in text and "entitlements.plist" in text
    # NOTARIZE is only switched on by the notarization credentials
    assert re.search(r'if \[\[ -n "\$\{NOTARY_PROFILE:-\}" \]\]; then\n\s+NOTARIZE=1', text)
    assert re.search(
        r'elif \[\[ -n "\$\{APPLE_ID:-\}" && -n "\$\{TEAM_ID:-\}" && '
        r'-n "\$\{APP_PASSWORD:-\}" \]\]; then\n\s+NOTARIZE=1',
        text,
    )
    assert "--wait" in text


def _workflow() -> dict:
    yaml = pytest.importorskip("yaml")
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _run_text(job: dict) -> str:
    return "\n".join(str(step.get("run", "")) for step in job["steps"])


def test_workflow_triggers_on_dispatch_and_version_tags() -> None:
    data = _workflow()
    triggers = data.get("on", data.get(True))  # YAML 1.1 reads a bare `on` as True
    assert "workflow_dispatch" in triggers
    assert triggers["push"]["tags"] == ["v*"]


@pytest.mark.parametrize(
    ("job_name", "runner", "self_test", "builder", "artifact"),
    [
        (
            "windows",
            "windows",
            "dist/SyncMonitor/SyncMonitor.exe --self-test",
            r"installer\windows\syncmonitor.iss",
            "dist/installer/SyncMonitor-*-setup.exe",
        ),
        (
            "macos",
            "macos",
            "dist/SyncMonitor.app/Contents/MacOS/SyncMonitor --self-test",
            "installer/macos/build_dmg.sh",
            "dist/installer/SyncMonitor-*.dmg",
        ),
    ],
)
def test_workflow_job_builds_self_tests_and_uploads(
    job_name: str, runner: str, self_test: str, builder: str, artifact: str
) -> None:
    job = _workflow()["jobs"][job_name]
    assert job["runs-on"].startswith(runner)
    steps = job["steps"]
    setup_python = [s for s in steps if str(s.get("uses", "")).startswith("actions/setup-python")]
    assert setup_python and setup_python[0]["with"]["python-version"] == "3.11"
    run = _run_text(job)
    assert 'pip install -e ".[test]"' in run
    assert "installer/syncmonitor.spec" in run
    assert self_test in run
    assert builder in run
    uploads = [s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact@v4")]
    assert uploads and uploads[0]["with"]["path"] == artifact
    # the bundle is self-tested before the installer is built, and uploaded last
    index = {id(s): i for i, s in enumerate(steps)}
    tested = next(index[id(s)] for s in steps if self_test in str(s.get("run", "")))
    built = next(index[id(s)] for s in steps if builder in str(s.get("run", "")))
    assert tested < built < index[id(uploads[0])]


def test_workflow_windows_job_installs_inno_setup_and_passes_the_version() -> None:
    run = _run_text(_workflow()["jobs"]["windows"])
    assert "choco install innosetup -y" in run
    assert "/DAppVersion=$env:APP_VERSION" in run


def test_workflow_signing_steps_run_only_when_their_secrets_exist() -> None:
    jobs = _workflow()["jobs"]
    text = WORKFLOW.read_text(encoding="utf-8")
    for secret in [
        "WINDOWS_CERT_PFX_BASE64",
        "WINDOWS_CERT_PASSWORD",
        "MACOS_CERT_P12_BASE64",
        "MACOS_CERT_PASSWORD",
        "MACOS_SIGN_IDENTITY",
        "APPLE_ID",
        "APPLE_TEAM_ID",
        "APPLE_APP_PASSWORD",
    ]:
        assert f"secrets.{secret} }}}}" in text, secret
    win_sign = [s for s in jobs["windows"]["steps"] if "signtool" in str(s.get("run", ""))]
    assert win_sign and win_sign[0].get("if") == "env.WINDOWS_CERT_PFX_BASE64 != ''"
    mac_sign = [s for s in jobs["macos"]["steps"] if "security import" in str(s.get("run", ""))]
    assert mac_sign and mac_sign[0].get("if") == "env.MACOS_CERT_P12_BASE64 != ''"
