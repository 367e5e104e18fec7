"""The app's look: Fusion with a calm light or dark palette and a few named widgets styled.

The theme follows the operating system's colour scheme (Qt 6.5+ reports it through
QStyleHints.colorScheme and tells when it changes) unless the person chose Light or Dark in
Settings > General ([appearance] theme in the configuration file). Colours written for the light
theme (a red error, a pale warning band) go through `fg()` and `bg()`, which keep their hue and
make them readable on the dark palette, so a page needs no second set of colours.
"""

from __future__ import annotations

import colorsys
import enum
import logging
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)


class Theme(enum.StrEnum):
    """What the person chose: follow the system, or one fixed look."""

    SYSTEM = "system"
    LIGHT = "light"
    DARK = "dark"


THEME_LABELS = {Theme.SYSTEM: "Same as the system", Theme.LIGHT: "Light", Theme.DARK: "Dark"}


@dataclass(frozen=True)
class Tones:
    """The named colours of one look."""

    dark: bool
    window: str
    base: str
    alternate: str
    text: str
    muted: str
    border: str
    accent: str
    sidebar: str
    sidebar_selected: str
    sidebar_selected_text: str
    hover: str
    header: str
    header_text: str
    highlight: str
    button: str
    placeholder: str
    disabled: str
    field_border: str
    banner: str
    banner_border: str
    banner_text: str
    error: str
    error_background: str
    badge: str
    grid: str


LIGHT = Tones(
    dark=False,
    window="#fafbfc",
    base="#ffffff",
    alternate="#f7f8fa",
    text="#172b4d",
    muted="#5e6c84",
    border="#dfe1e6",
    accent="#2f6fde",
    sidebar="#f4f5f7",
    sidebar_selected="#e2ebfc",
    sidebar_selected_text="#1c4fb8",
    hover="#ebecf0",
    header="#f4f5f7",
    header_text="#42526e",
    highlight="#d6e4fc",
    button="#f4f5f7",
    placeholder="#8993a4",
    disabled="#a5adba",
    field_border="#c1c7d0",
    banner="#fff7e0",
    banner_border="#f2d98f",
    banner_text="#5c4400",
    error="#ae2a19",
    error_background="#fdecea",
    badge="#fde8e6",
    grid="#e3e6eb",
)

DARK = Tones(
    dark=True,
    window="#1d2125",
    base="#22272b",
    alternate="#282e33",
    text="#dee4ea",
    muted="#9fadbc",
    border="#38414a",
    accent="#579dff",
    sidebar="#161a1d",
    sidebar_selected="#1c2b41",
    sidebar_selected_text="#85b8ff",
    hover="#2c333a",
    header="#282e33",
    header_text="#b6c2cf",
    highlight="#1c3a66",
    button="#2c333a",
    placeholder="#738496",
    disabled="#5f6b7a",
    field_border="#454f59",
    banner="#3d2e00",
    banner_border="#7f5f01",
    banner_text="#f8e6a0",
    error="#ff9c8f",
    error_background="#42221f",
    badge="#5d1f1a",
    grid="#38414a",
)

_current: Tones = LIGHT
_choice: Theme = Theme.SYSTEM
_watching = False


def tones() -> Tones:
    """The colours of the look in use."""
    return _current


def is_dark() -> bool:
    return _current.dark


def fg(colour: str) -> str:
    """A text or line colour written for the light theme, made readable on the current one.

    On dark, a colour keeps its hue and gets lighter (a dark red becomes a soft red); on light
    it is returned as it is.
    """
    if not _current.dark:
        return colour
    red, green, blue = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    hue, light, sat = colorsys.rgb_to_hls(red, green, blue)
    light = max(light, 0.70)
    return _hex(colorsys.hls_to_rgb(hue, light, min(sat, 0.75)))


def bg(colour: str) -> str:
    """A pale background tint written for the light theme, made a deep tint on dark."""
    if not _current.dark:
        return colour
    red, green, blue = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    hue, _light, sat = colorsys.rgb_to_hls(red, green, blue)
    return _hex(colorsys.hls_to_rgb(hue, 0.20, min(sat, 0.45)))


def fg_colour(colour: str) -> QColor:
    return QColor(fg(colour))


def bg_colour(colour: str) -> QColor:
    return QColor(bg(colour))


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(c * 255):02x}" for c in rgb)


def style_sheet(t: Tones) -> str:
    """The app's style sheet for one look."""
    return f"""
QWidget#sidebar {{ background: {t.sidebar}; border: none; border-right: 1px solid {t.border}; }}
QListWidget#sidebar {{ padding: 8px 6px; outline: 0; }}
QListWidget#sidebar::item {{ padding: 6px 8px; border-radius: 6px; color: {t.text}; }}
QListWidget#sidebar::item:selected {{
    background: {t.sidebar_selected}; color: {t.sidebar_selected_text};
}}
QListWidget#sidebar::item:hover:!selected {{ background: {t.hover}; }}
QWidget#sidebarColumn {{ background: {t.sidebar}; }}
QLabel#viewsTitle {{
    color: {t.muted}; background: {t.sidebar}; border-right: 1px solid {t.border};
}}
QListWidget#peopleViews {{
    background: {t.sidebar}; border: none; border-right: 1px solid {t.border};
    padding: 0 6px 8px 6px; outline: 0;
}}
QListWidget#peopleViews::item {{ border-radius: 6px; }}
QListWidget#peopleViews::item:selected {{ background: {t.sidebar_selected}; }}
QListWidget#peopleViews::item:hover:!selected {{ background: {t.hover}; }}
QToolButton[active="true"] {{ color: {t.accent}; font-weight: 600; }}
QLabel#pageMessage {{ color: {t.muted}; }}
QLabel#pageMessage[error="true"] {{ color: {t.error}; }}

QFrame#sandboxBanner {{ background: {t.banner}; border-bottom: 1px solid {t.banner_border}; }}
QLabel#sandboxText {{ color: {t.banner_text}; }}

QLabel#sectionTitle {{ color: {t.muted}; font-weight: 600; padding-top: 2px; }}
QLabel#personName {{ font-size: 13pt; font-weight: 600; color: {t.text}; }}
QLabel#personMeta, QLabel#count, QLabel#hint {{ color: {t.muted}; }}
QLabel#optedOutBadge {{
    background: {t.badge}; color: {t.error}; border-radius: 8px; padding: 1px 8px;
    font-weight: 600;
}}
QLabel#emptyTitle {{ font-size: 12pt; font-weight: 600; color: {t.header_text}; }}
QLabel#emptyHint {{ color: {t.muted}; }}

QLineEdit#search {{ padding: 4px 6px; border: 1px solid {t.field_border}; border-radius: 5px; }}
QLineEdit#search:focus {{ border: 1px solid {t.accent}; }}

QTableView {{ border: 1px solid {t.border}; border-radius: 4px; gridline-color: {t.border}; }}
QTableView:focus {{ border: 1px solid {t.accent}; }}
QHeaderView::section {{
    background: {t.header}; color: {t.header_text}; font-weight: 600;
    border: none; border-bottom: 1px solid {t.border}; border-right: 1px solid {t.hover};
    padding: 4px 6px;
}}

QStatusBar {{ border-top: 1px solid {t.border}; }}
QStatusBar::item {{ border: none; }}
QWidget#errorBox {{ background: {t.error_background}; border-radius: 4px; }}
QLabel#errorText {{ color: {t.error}; }}
QFrame#problemBanner {{ background: {t.error_background}; border-top: 1px solid {t.error}; }}
QLabel#problemTitle {{ color: {t.error}; font-weight: 600; }}
QLabel#problemText {{ color: {t.text}; }}
QToolButton#dismissError {{ color: {t.error}; border: none; padding: 1px 6px; }}
QToolButton#dismissError:hover {{ text-decoration: underline; }}
QStatusBar QLabel#lastSync, QStatusBar QLabel#nextSync {{ color: {t.muted}; padding: 0 8px; }}
QToolBar#mainToolbar {{
    border: none; border-bottom: 1px solid {t.border}; spacing: 6px; padding: 4px;
}}
QToolBar#mainToolbar QToolButton {{ padding: 4px 10px; }}
QToolBar#mainToolbar QToolButton:disabled {{ color: {t.disabled}; }}

QFrame#queueBanner {{
    background: {t.error_background}; border: 1px solid {"#7a2e26" if t.dark else "#f5b7b1"};
    border-radius: 6px;
}}
QLabel#queueBannerText {{ color: {"#ffd5cf" if t.dark else "#5d1a12"}; }}
QLabel#queueSummary, QLabel#queueFreshness {{ color: {t.muted}; }}
QLabel#queueError {{ color: {t.error}; }}
QLabel#queueNotes {{
    color: {"#f3d27a" if t.dark else "#5e4100"}; background: {"#3a3014" if t.dark else "#fff7e0"};
    border: 1px solid {"#6b5a22" if t.dark else "#f0d890"}; border-radius: 6px; padding: 6px 8px;
}}
"""


def _dark_indicators(t: Tones) -> str:
    """Fusion outlines check boxes with a darker window colour, invisible on the dark look:
    draw them here instead, with the check mark from resources/icons."""
    from syncmonitor.ui.resources import icons_dir

    folder = icons_dir()
    mark = f"image: url({(folder / 'check-mark.svg').as_posix()});" if folder else ""
    return f"""
QCheckBox::indicator, QGroupBox::indicator {{
    width: 13px; height: 13px; border: 1px solid {t.placeholder}; border-radius: 3px;
    background: {t.base};
}}
QCheckBox::indicator:hover {{ border-color: {t.accent}; }}
QCheckBox::indicator:checked, QGroupBox::indicator:checked {{
    background: {t.accent}; border-color: {t.accent}; {mark}
}}
QCheckBox::indicator:disabled {{ border-color: {t.field_border}; background: {t.window}; }}
QCheckBox::indicator:checked:disabled {{ background: {t.disabled}; border-color: {t.disabled}; }}
"""


STYLE_SHEET = style_sheet(LIGHT)


def system_is_dark() -> bool:
    """Whether the operating system asks for a dark look (Qt 6.5+; light when it cannot tell)."""
    app = QGuiApplication.instance()
    if not isinstance(app, QGuiApplication):
        return False
    # Light, or Unknown (some Linux desktops do not say): the light look.
    return app.styleHints().colorScheme() == Qt.ColorScheme.Dark


def resolve(choice: Theme | str) -> Tones:
    """The look a choice means right now."""
    theme = Theme(choice) if choice in tuple(Theme) else Theme.SYSTEM
    if theme is Theme.DARK:
        return DARK
    if theme is Theme.LIGHT:
        return LIGHT
    return DARK if system_is_dark() else LIGHT


def palette(t: Tones) -> QPalette:
    """A Fusion palette for one look, disabled text visibly dimmed (a greyed-out Undo must
    look greyed out)."""
    result = QPalette()
    roles = {
        QPalette.ColorRole.Window: t.window,
        QPalette.ColorRole.Base: t.base,
        QPalette.ColorRole.AlternateBase: t.alternate,
        QPalette.ColorRole.Text: t.text,
        QPalette.ColorRole.WindowText: t.text,
        QPalette.ColorRole.ButtonText: t.text,
        QPalette.ColorRole.Button: t.button,
        QPalette.ColorRole.Highlight: t.highlight,
        QPalette.ColorRole.HighlightedText: t.text,
        QPalette.ColorRole.ToolTipBase: t.base,
        QPalette.ColorRole.ToolTipText: t.text,
        QPalette.ColorRole.PlaceholderText: t.placeholder,
        QPalette.ColorRole.Link: t.accent,
        QPalette.ColorRole.LinkVisited: t.accent,
        QPalette.ColorRole.BrightText: t.error,
        QPalette.ColorRole.Light: t.alternate if t.dark else "#ffffff",
        QPalette.ColorRole.Midlight: t.hover,
        QPalette.ColorRole.Mid: t.border,
        QPalette.ColorRole.Dark: t.field_border,
        QPalette.ColorRole.Shadow: "#000000" if t.dark else "#8993a4",
    }
    for role, colour in roles.items():
        result.setColor(role, QColor(colour))
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.ButtonText,
    ):
        result.setColor(QPalette.ColorGroup.Disabled, role, QColor(t.disabled))
    result.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Base, QColor(t.window))
    return result


def apply_look(app: QApplication, choice: Theme | str = Theme.SYSTEM) -> Tones:
    """Fusion everywhere (predictable on every OS) in the chosen look; with "system", the look
    follows the operating system when its colour scheme changes."""
    global _current, _choice, _watching
    _choice = Theme(choice) if choice in tuple(Theme) else Theme.SYSTEM
    app.setStyle("Fusion")
    _current = resolve(_choice)
    app.setPalette(palette(_current))
    sheet = style_sheet(_current)
    app.setStyleSheet(sheet + _dark_indicators(_current) if _current.dark else sheet)
    if not _watching:
        _watching = True
        app.styleHints().colorSchemeChanged.connect(lambda _scheme: _follow_system(app))
    log.debug("Look: %s (%s)", "dark" if _current.dark else "light", _choice.value)
    return _current


def _follow_system(app: QApplication) -> None:
    if _choice is Theme.SYSTEM:
        apply_look(app, _choice)
