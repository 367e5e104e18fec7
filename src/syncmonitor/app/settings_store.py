"""Reading config.toml so that a broken file never stops the app, and writing it from Settings.

`load_config_safely` keeps a copy of the last file that loaded (`config.last-good.toml`). When the
file is broken the app starts on that copy (or the defaults) and reports which line or key is
wrong; the broken file is left alone for the person to fix. `save_settings` changes only the keys
Settings owns and keeps every other section as it was.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tomllib
from pathlib import Path
from typing import Any

from syncmonitor.app.config import RETIRED_KEYS, Config, ConfigError, load_config, parse_config

log = logging.getLogger(__name__)

LAST_GOOD_SUFFIX = ".last-good.toml"


def last_good_path(path: Path) -> Path:
    return path.with_name(path.stem + LAST_GOOD_SUFFIX)


def load_config_safely(path: Path) -> tuple[Config, ConfigError | None]:
    """The config, or the last good one (else the defaults) plus the error to show."""
    try:
        config = load_config(path)
    except ConfigError as error:
        backup = last_good_path(path)
        log.error("%s: %s", error.title, error.message)
        try:
            fallback = load_config(backup) if backup.exists() else Config(source=None)
        except ConfigError:
            fallback = Config(source=None)
        kept = "the last settings that worked" if backup.exists() else "the default settings"
        where = _line_of(path, error.what)
        return fallback, ConfigError(
            f"{path}{where}: {error.what} Sync Monitor started with {kept}.",
            f"{error.todo} Then restart, or save Settings to replace the file.".strip(),
        )
    if path.exists():
        try:
            shutil.copyfile(path, last_good_path(path))
        except OSError as exc:  # a read-only folder: the app still works, only the copy is lost
            log.warning("Could not keep a copy of the working config: %s", exc)
    return config, None


def _line_of(path: Path, what: str) -> str:
    """' line N' for an error that names "[section] key" (TOML syntax errors name it already)."""
    found = re.search(r"\[(\w+)\] (\w+)", what)
    if found is None or "line" in what:
        return ""
    section, key = found.groups()
    current = ""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError):
        return ""
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if text.startswith("[") and text.endswith("]"):
            current = text.strip("[] ")
        elif current == section and re.match(rf"{re.escape(key)}\s*=", text):
            return f", line {number}"
    return ""


def read_document(path: Path) -> dict[str, Any]:
    """The raw TOML document ({} if missing or broken: Settings then writes a fresh one)."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}


def save_settings(path: Path, changes: dict[str, dict[str, Any]]) -> Config:
    """Apply `changes` ({section: {key: value or None to remove}}), validate, write atomically.

    Raises ConfigError (naming the key) and leaves the file untouched when a value is invalid.
    """
    document = read_document(path)
    for section, values in changes.items():
        table = document.setdefault(section, {})
        for key, value in values.items():
            if value is None:
                table.pop(key, None)
            else:
                table[key] = value
        if not table:
            del document[section]
    for section, key in RETIRED_KEYS:  # keys that no longer do anything go with this save
        table = document.get(section)
        if isinstance(table, dict) and table.pop(key, None) is not None and not table:
            del document[section]
    if "schedule" in changes and "sync" in document:
        document["sync"].pop("interval_minutes", None)  # [schedule] replaces it
        if not document["sync"]:
            del document["sync"]
    config = parse_config(document, source=path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(dumps(document), encoding="utf-8")
    os.replace(tmp, path)
    shutil.copyfile(path, last_good_path(path))
    return config


def dumps(document: dict[str, Any]) -> str:
    """TOML for a document of sections holding strings, numbers, booleans and lists of them."""
    lines = ["# Sync Monitor settings. Edited by the app's Settings; see README for every key.", ""]
    for section, values in document.items():
        if not isinstance(values, dict):
            lines.append(f"{section} = {_value(values)}")
            continue
        lines.append(f"[{section}]")
        lines.extend(f"{key} = {_value(value)}" for key, value in values.items())
        lines.append("")
    return "\n".join(lines)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'"{escaped}"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")
