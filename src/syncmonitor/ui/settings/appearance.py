"""Settings > General > Appearance: Light, Dark, or the same as the operating system.

Its own module so the settings dialog needs two lines to offer it. The choice is kept in the
configuration file ([appearance] theme) and applied as soon as Settings is saved.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QLabel, QWidget

from syncmonitor.app.config import Config
from syncmonitor.ui.style import THEME_LABELS, Theme, system_is_dark
from syncmonitor.ui.widgets import named


class AppearanceBox(QGroupBox):
    """A choice of look, with what "Same as the system" means on this computer right now."""

    def __init__(self, config: Config, parent: QWidget | None = None) -> None:
        super().__init__("Appearance", parent)
        self.theme = named(QComboBox(), "theme")
        for theme in Theme:
            self.theme.addItem(THEME_LABELS[theme], theme.value)
        current = self.theme.findData(config.appearance.theme)
        self.theme.setCurrentIndex(max(current, 0))
        self.theme.setToolTip(
            "Same as the system: the window turns dark and light with the operating system"
        )
        self.note = named(QLabel(), "hint")
        self.note.setWordWrap(True)
        self.theme.currentIndexChanged.connect(lambda _i: self._explain())
        form = QFormLayout(self)
        form.addRow("Look", self.theme)
        form.addRow("", self.note)
        self._explain()

    def chosen(self) -> Theme:
        return Theme(self.theme.currentData())

    def _explain(self) -> None:
        if self.chosen() is Theme.SYSTEM:
            now = "dark" if system_is_dark() else "light"
            self.note.setText(f"The system asks for a {now} look now.")
        else:
            self.note.setText("")
        self.note.setVisible(bool(self.note.text()))

    def changes(self) -> dict[str, dict[str, Any]]:
        """What to write to the configuration file (the default is written as no line)."""
        theme = self.chosen()
        return {"appearance": {"theme": None if theme is Theme.SYSTEM else theme.value}}
