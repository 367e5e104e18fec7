"""The app's look: Fusion with a light, calm palette and a few named widgets styled."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

TEXT = "#172b4d"
MUTED = "#5e6c84"
BORDER = "#dfe1e6"
ACCENT = "#2f6fde"

STYLE_SHEET = f"""
QWidget#sidebar {{ background: #f4f5f7; border: none; border-right: 1px solid {BORDER}; }}
QListWidget#sidebar {{ padding: 8px 6px; outline: 0; }}
QListWidget#sidebar::item {{ padding: 6px 8px; border-radius: 6px; color: {TEXT}; }}
QListWidget#sidebar::item:selected {{ background: #e2ebfc; color: #1c4fb8; }}
QListWidget#sidebar::item:hover:!selected {{ background: #ebecf0; }}

QFrame#sandboxBanner {{ background: #fff7e0; border-bottom: 1px solid #f2d98f; }}
QLabel#sandboxText {{ color: #5c4400; }}

QLabel#sectionTitle {{ color: {MUTED}; font-weight: 600; padding-top: 2px; }}
QLabel#personName {{ font-size: 13pt; font-weight: 600; color: {TEXT}; }}
QLabel#personMeta, QLabel#count, QLabel#hint {{ color: {MUTED}; }}
QLabel#optedOutBadge {{
    background: #fde8e6; color: #ae2a19; border-radius: 8px; padding: 1px 8px; font-weight: 600;
}}
QLabel#emptyTitle {{ font-size: 12pt; font-weight: 600; color: #42526e; }}
QLabel#emptyHint {{ color: {MUTED}; }}

QLineEdit#search {{ padding: 4px 6px; border: 1px solid #c1c7d0; border-radius: 5px; }}
QLineEdit#search:focus {{ border: 1px solid {ACCENT}; }}

QTableView {{ border: 1px solid {BORDER}; border-radius: 4px; gridline-color: {BORDER}; }}
QHeaderView::section {{
    background: #f4f5f7; color: #42526e; font-weight: 600;
    border: none; border-bottom: 1px solid {BORDER}; border-right: 1px solid #ebecf0;
    padding: 4px 6px;
}}

QStatusBar {{ border-top: 1px solid {BORDER}; }}
QStatusBar::item {{ border: none; }}
QWidget#errorBox {{ background: #fdecea; border-radius: 4px; }}
QLabel#errorText {{ color: #ae2a19; }}
QToolButton#dismissError {{ color: #ae2a19; border: none; padding: 1px 6px; }}
QToolButton#dismissError:hover {{ text-decoration: underline; }}
QStatusBar QLabel#lastSync, QStatusBar QLabel#nextSync {{ color: {MUTED}; padding: 0 8px; }}
QToolBar#mainToolbar {{
    border: none; border-bottom: 1px solid {BORDER}; spacing: 6px; padding: 4px;
}}
QToolBar#mainToolbar QToolButton {{ padding: 4px 10px; }}
"""


def apply_look(app: QApplication) -> None:
    """Fusion everywhere (predictable on every OS) with a light, low-contrast-chrome palette."""
    app.setStyle("Fusion")
    palette = app.palette()
    colours = {
        QPalette.ColorRole.Window: "#fafbfc",
        QPalette.ColorRole.Base: "#ffffff",
        QPalette.ColorRole.AlternateBase: "#f7f8fa",
        QPalette.ColorRole.Text: TEXT,
        QPalette.ColorRole.WindowText: TEXT,
        QPalette.ColorRole.ButtonText: TEXT,
        QPalette.ColorRole.Button: "#f4f5f7",
        QPalette.ColorRole.Highlight: "#d6e4fc",
        QPalette.ColorRole.HighlightedText: TEXT,
        QPalette.ColorRole.ToolTipBase: "#ffffff",
        QPalette.ColorRole.ToolTipText: TEXT,
        QPalette.ColorRole.PlaceholderText: "#8993a4",
    }
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    app.setPalette(palette)
