"""The icon set: tray SVGs for every state and theme, and the committed PNG, ICO and ICNS files.

The raster files come from resources/make_icons.py (which needs Pillow); these tests need only Qt.
"""

from __future__ import annotations

import re
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtGui import QImage
from PySide6.QtSvg import QSvgRenderer

ICONS = Path(__file__).resolve().parents[2] / "resources" / "icons"
PNG_DIR = ICONS / "png"

TRAY_STATES = ("idle", "syncing", "paused", "offline", "attention", "error")
TRAY_VARIANTS = ("light", "dark", "Template")
TRAY_SIZES = (16, 22, 32, 44)
APP_SIZES = (16, 24, 32, 48, 64, 128, 256, 512, 1024)

TRAY_SVGS = [f"tray-{s}-{v}" for s in TRAY_STATES for v in TRAY_VARIANTS]
BLACK = {"#000", "#000000", "black"}
PAINT_ATTRIBUTES = ("fill", "stroke", "stop-color", "color", "flood-color")


@pytest.mark.parametrize("stem", TRAY_SVGS)
def test_every_tray_state_has_a_valid_svg_in_each_variant(qapp: object, stem: str) -> None:
    path = ICONS / f"{stem}.svg"
    assert path.is_file(), f"missing {path.name}"
    renderer = QSvgRenderer(str(path))
    assert renderer.isValid(), f"Qt cannot read {path.name}"
    assert renderer.viewBoxF().width() > 0


def test_the_tray_icons_the_app_uses_today_are_still_there() -> None:
    for stem in ("tray-idle", "tray-syncing", "tray-error", "app"):
        assert (ICONS / f"{stem}.svg").is_file()


@pytest.mark.parametrize("state", TRAY_STATES)
def test_template_images_are_black_and_alpha_only(state: str) -> None:
    """macOS recolours a template image from its alpha channel: any other colour is a mistake."""
    root = ET.parse(ICONS / f"tray-{state}-Template.svg").getroot()
    painted = 0
    for element in root.iter():
        values = {name: element.get(name) for name in PAINT_ATTRIBUTES}
        for declaration in (element.get("style") or "").split(";"):
            name, _, value = declaration.partition(":")
            if name.strip() in PAINT_ATTRIBUTES:
                values[name.strip()] = value
        for name, value in values.items():
            if value is None or value.strip() == "none":
                continue
            assert value.strip().lower() in BLACK, f"{element.tag} {name}={value!r} is not black"
            painted += 1
    assert painted, "the template draws nothing"
    text = (ICONS / f"tray-{state}-Template.svg").read_text()
    assert not re.search(r"url\(#", text), "gradients and patterns would add colour"


def test_the_ico_starts_with_its_magic_and_has_a_256_px_entry() -> None:
    data = (ICONS / "app.ico").read_bytes()
    assert data[:4] == b"\x00\x00\x01\x00"
    (count,) = struct.unpack_from("<H", data, 4)
    sizes = set()
    for index in range(count):
        width, height = struct.unpack_from("<BB", data, 6 + 16 * index)
        sizes.add((width or 256, height or 256))  # 0 in the directory means 256
    assert (256, 256) in sizes
    assert (16, 16) in sizes


def test_the_icns_starts_with_its_magic_and_its_length_is_right() -> None:
    data = (ICONS / "app.icns").read_bytes()
    assert data[:4] == b"icns"
    (length,) = struct.unpack_from(">I", data, 4)
    assert length == len(data)
    kinds, offset = set(), 8
    while offset < len(data):
        kind, chunk = struct.unpack_from(">4sI", data, offset)
        kinds.add(kind.decode("ascii"))
        offset += chunk
    assert offset == len(data)
    assert {"icp4", "ic10"} <= kinds  # 16 px and 1024 px (512@2x)


@pytest.mark.parametrize(
    ("stem", "size"),
    [("app", size) for size in APP_SIZES]
    + [(stem, size) for stem in TRAY_SVGS for size in TRAY_SIZES],
)
def test_every_png_size_exists_and_loads(stem: str, size: int) -> None:
    path = PNG_DIR / f"{stem}-{size}.png"
    assert path.is_file(), f"missing {path.name}: run python resources/make_icons.py"
    image = QImage(str(path))
    assert not image.isNull(), f"Qt cannot read {path.name}"
    assert (image.width(), image.height()) == (size, size)
    assert image.hasAlphaChannel()


def test_each_desktop_gets_the_tray_drawing_that_reads_on_it() -> None:
    from syncmonitor.ui.resources import TRAY_STATES, tray_icon, tray_variant

    assert tray_variant("darwin", window_is_dark=False) == "Template"
    assert tray_variant("darwin", window_is_dark=True) == "Template"
    assert tray_variant("win32", window_is_dark=False) == "dark"  # the taskbar is dark
    assert tray_variant("linux", window_is_dark=False) == "light"
    assert tray_variant("linux", window_is_dark=True) == "dark"
    for state in TRAY_STATES:
        assert not tray_icon(state).isNull(), state
