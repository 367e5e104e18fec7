"""Icons: the SVGs in resources/icons, and small painted markers for states."""

from __future__ import annotations

import functools
import re
import sys
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPen, QPixmap


def icons_dir() -> Path | None:
    """Where the icon files are: a PyInstaller bundle, the installed package, or the source tree."""
    candidates = []
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        candidates.append(Path(bundle) / "resources" / "icons")
    try:  # installed: the top-level resources/ folder ships as syncmonitor.resources
        import syncmonitor.resources as packaged

        candidates.append(Path(packaged.__path__[0]) / "icons")
    except ImportError:
        pass
    package = Path(__file__).resolve().parent.parent
    candidates.append(package.parent.parent / "resources" / "icons")  # source checkout
    return next((c for c in candidates if c.is_dir()), None)


# The grey glyphs (sidebar, toolbar) are drawn for a light window; on the dark look they are
# redrawn in light greys, their white cut-outs in the dark window colour. Coloured icons (Sync
# now's blue, Cancel's red, the app's) read on both and are left as they are.
GLYPH_GREYS = {"#5e6c84": "#b6c2cf", "#97a0af": "#738496", "#ffffff": "#1d2125"}
ICON_SIZES = (16, 18, 20, 24, 32, 48)
PIXEL_RATIOS = (1.0, 1.5, 2.0, 3.0)


def icon(name: str) -> QIcon:
    """The icon `name` (file stem, e.g. "tray-idle") for the look in use; empty when missing."""
    from syncmonitor.ui.style import is_dark

    return _icon(name, is_dark())


@functools.cache
def _icon(name: str, dark: bool) -> QIcon:
    folder = icons_dir()
    if folder is None or not (folder / f"{name}.svg").exists():
        return QIcon()
    path = folder / f"{name}.svg"
    if not dark:
        return QIcon(str(path))  # Qt's SVG engine: drawn sharp at every size and pixel ratio
    text = path.read_text(encoding="utf-8")
    colours = {c.lower() for c in re.findall(r"#[0-9a-fA-F]{6}", text)}
    if not colours or not colours <= set(GLYPH_GREYS):
        return QIcon(str(path))
    for light, dark_colour in GLYPH_GREYS.items():
        text = re.sub(light, dark_colour, text, flags=re.IGNORECASE)
    return _rendered(text.encode("utf-8"))


def _rendered(svg: bytes) -> QIcon:
    """An icon from SVG text, rendered at each size and pixel ratio (sharp on HiDPI screens)."""
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(svg)
    result = QIcon()
    for size in ICON_SIZES:
        for ratio in PIXEL_RATIOS:
            side = round(size * ratio)
            pixmap = QPixmap(side, side)
            pixmap.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            renderer.render(painter, QRectF(0, 0, side, side))
            painter.end()
            pixmap.setDevicePixelRatio(ratio)
            result.addPixmap(pixmap)
    return result


TRAY_STATES = ("idle", "syncing", "paused", "offline", "attention", "error")


def tray_variant(platform: str, window_is_dark: bool) -> str:
    """Which drawing of the tray icons suits the desktop.

    macOS tints "Template" images itself for light and dark menu bars. Windows' taskbar is dark
    unless the person changed it, so it gets the light glyph ("dark" variant). Elsewhere the
    desktop palette decides.
    """
    if platform == "darwin":
        return "Template"
    if platform == "win32" or window_is_dark:
        return "dark"
    return "light"


def tray_icon(state: str) -> QIcon:
    """The tray icon for `state` (one of TRAY_STATES), drawn for this desktop."""
    app = QGuiApplication.instance()
    window = app.palette().window().color() if isinstance(app, QGuiApplication) else None
    variant = tray_variant(sys.platform, window is not None and window.lightness() < 128)
    result = QIcon(icon(f"tray-{state}-{variant}"))
    if variant == "Template":
        result.setIsMask(True)
    return result


@functools.cache
def dot(colour: str, size: int = 10) -> QIcon:
    """A filled circle: the marker beside a sequence state."""
    pixmap = QPixmap(size * 2, size * 2)  # drawn at 2x so it stays crisp on HiDPI screens
    pixmap.setDevicePixelRatio(2.0)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(colour))
    painter.drawEllipse(QRectF(1, 1, size - 2, size - 2))
    painter.end()
    return QIcon(pixmap)


@functools.cache
def no_email_marker(size: int = 12) -> QIcon:
    """A circle with a slash: this person opted out and must not be emailed."""
    pixmap = QPixmap(size * 2, size * 2)
    pixmap.setDevicePixelRatio(2.0)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(QColor("#c9372c"), 1.6))
    centre, radius = QPointF(size / 2, size / 2), size / 2 - 1.5
    painter.drawEllipse(centre, radius, radius)
    offset = QPointF(radius * 0.7071, -radius * 0.7071)
    painter.drawLine(centre + offset, centre - offset)
    painter.end()
    return QIcon(pixmap)
