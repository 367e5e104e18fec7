"""Render the icon SVGs into the PNG, ICO and ICNS files that are committed beside them.

    python resources/make_icons.py           # regenerate everything
    python resources/make_icons.py --check   # exit 1 if a file is missing or older than its SVG

The SVGs in resources/icons are the sources. Rendering uses Qt's SVG renderer (offscreen), the
same one the app uses; Pillow optimises the PNGs and writes the .ico container; the .icns container
is simple enough to write here. Pillow is needed only here (the `dev` extra): the generated files
are committed, so installs and CI never run this script.
Output is deterministic: the same SVGs give byte-identical files.
"""

from __future__ import annotations

import argparse
import io
import os
import struct
import sys
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt loads a platform plugin

ICONS = Path(__file__).resolve().parent / "icons"
PNG_DIR = ICONS / "png"
ROOT = ICONS.parent.parent  # the repository, for messages

APP_SIZES = (16, 24, 32, 48, 64, 128, 256, 512, 1024)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
TRAY_SIZES = (16, 22, 32, 44)  # 16 and 22 px at @1x and @2x
TRAY_STATES = ("idle", "syncing", "paused", "offline", "attention", "error")
TRAY_VARIANTS = ("light", "dark", "Template")


def tray_stems() -> list[str]:
    """Every tray icon's file stem, e.g. "tray-paused-dark"."""
    return [f"tray-{state}-{variant}" for state in TRAY_STATES for variant in TRAY_VARIANTS]


def png_name(stem: str, size: int) -> str:
    return f"{stem}-{size}.png"


def outputs() -> Iterator[tuple[Path, Path]]:
    """Each generated file with the SVG it comes from."""
    app = ICONS / "app.svg"
    for size in APP_SIZES:
        yield PNG_DIR / png_name("app", size), app
    for stem in tray_stems():
        for size in TRAY_SIZES:
            yield PNG_DIR / png_name(stem, size), ICONS / f"{stem}.svg"
    yield ICONS / "app.ico", app
    yield ICONS / "app.icns", app


def stale() -> list[str]:
    """The generated files that are missing or older than their SVG."""
    problems = []
    for out, source in outputs():
        if not source.exists():
            problems.append(f"{source.relative_to(ROOT)}: source SVG is missing")
        elif not out.exists():
            problems.append(f"{out.relative_to(ROOT)}: missing")
        elif out.stat().st_mtime < source.stat().st_mtime:
            problems.append(f"{out.relative_to(ROOT)}: older than {source.name}")
    return problems


def render(svg: Path, size: int) -> bytes:
    """The SVG drawn into a transparent size x size square, as PNG bytes."""
    from PySide6.QtCore import QBuffer, QIODevice, QRectF
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg}: Qt cannot read this SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(0)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.convertToFormat(QImage.Format.Format_ARGB32).save(buffer, "PNG")
    return bytes(buffer.data())


def write_png(data: bytes, path: Path) -> None:
    """Re-encode through Pillow: smallest PNG, no timestamps or other metadata."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        image.load()
        out = io.BytesIO()
        image.convert("RGBA").save(out, "PNG", optimize=True)
    path.write_bytes(out.getvalue())


def generate() -> None:
    from PIL import Image
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 (keeps Qt alive)
    PNG_DIR.mkdir(exist_ok=True)
    app_svg = ICONS / "app.svg"
    for size in APP_SIZES:
        write_png(render(app_svg, size), PNG_DIR / png_name("app", size))
    for stem in tray_stems():
        for size in TRAY_SIZES:
            write_png(render(ICONS / f"{stem}.svg", size), PNG_DIR / png_name(stem, size))

    def frames(sizes: tuple[int, ...]) -> list[Image.Image]:
        return [Image.open(PNG_DIR / png_name("app", s)).convert("RGBA") for s in sizes]

    ico = frames(ICO_SIZES)
    ico[-1].save(
        ICONS / "app.ico",
        format="ICO",
        sizes=[(s, s) for s in ICO_SIZES],
        append_images=ico[:-1],
    )
    write_icns(ICONS / "app.icns")


# Each ICNS slot (all PNG-typed, macOS 10.7+) with its pixel size. Pillow's ICNS writer has no
# 16 and 32 px @1x slots, so the container is written here: it is a list of type, length, data.
ICNS_SLOTS = (
    ("icp4", 16),  # 16x16
    ("ic11", 32),  # 16x16@2x
    ("icp5", 32),  # 32x32
    ("ic12", 64),  # 32x32@2x
    ("ic07", 128),  # 128x128
    ("ic13", 256),  # 128x128@2x
    ("ic08", 256),  # 256x256
    ("ic14", 512),  # 256x256@2x
    ("ic09", 512),  # 512x512
    ("ic10", 1024),  # 512x512@2x
)


def write_icns(path: Path) -> None:
    chunks = b"".join(
        kind.encode("ascii") + struct.pack(">I", 8 + len(data)) + data
        for kind, size in ICNS_SLOTS
        for data in [(PNG_DIR / png_name("app", size)).read_bytes()]
    )
    path.write_bytes(b"icns" + struct.pack(">I", 8 + len(chunks)) + chunks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="only check: exit 1 if a generated file is missing or older than its SVG",
    )
    args = parser.parse_args(argv)
    if args.check:
        problems = stale()
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print("Run: python resources/make_icons.py", file=sys.stderr)
        return 1 if problems else 0
    generate()
    count = sum(1 for _ in outputs())
    total = sum(out.stat().st_size for out, _ in outputs())
    print(f"wrote {count} files, {total / 1024:.0f} KiB, under {ICONS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
