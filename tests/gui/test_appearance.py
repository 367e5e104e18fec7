"""Dark mode: the system's colour scheme is followed, Light / Dark / System is a setting, and
pages, icons and the runs chart are drawn for the look in use."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from recording_sink import RecordingSink
from syncmonitor.app.config import Config, ConfigError, parse_config
from syncmonitor.engine.runs.notify_policy import NotificationPolicy
from syncmonitor.ui import resources, style
from syncmonitor.ui.autostart import Autostart
from syncmonitor.ui.models.runs import RunRow
from syncmonitor.ui.runs.chart import RunChart
from syncmonitor.ui.settings.dialog import SettingsDialog


@pytest.fixture
def app(qtbot: QtBot) -> Iterator[QApplication]:
    instance = QApplication.instance()
    assert isinstance(instance, QApplication)
    yield instance
    style.apply_look(instance, style.Theme.LIGHT)  # the next test starts light


def window_colour(app: QApplication) -> QColor:
    return app.palette().color(QPalette.ColorRole.Window)


def test_dark_and_light_palettes_are_applied(app: QApplication) -> None:
    style.apply_look(app, "dark")
    assert style.is_dark() and window_colour(app).lightness() < 60
    text = app.palette().color(QPalette.ColorRole.WindowText)
    assert text.lightness() > 180  # light text on the dark window
    disabled = app.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText)
    assert abs(disabled.lightness() - text.lightness()) > 60  # a disabled Undo looks disabled
    assert style.DARK.window in app.styleSheet() or "#161a1d" in app.styleSheet()

    style.apply_look(app, "light")
    assert not style.is_dark() and window_colour(app).lightness() > 240


def test_system_follows_the_operating_system_when_it_changes(
    app: QApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    dark = [False]
    monkeypatch.setattr(style, "system_is_dark", lambda: dark[0])
    style.apply_look(app, "system")
    assert not style.is_dark()
    dark[0] = True
    style._follow_system(app)  # what QStyleHints.colorSchemeChanged calls
    assert style.is_dark() and window_colour(app).lightness() < 60

    style.apply_look(app, "light")  # a fixed choice ignores the system
    style._follow_system(app)
    assert not style.is_dark()


def test_light_theme_colours_become_readable_on_dark(app: QApplication) -> None:
    style.apply_look(app, "light")
    assert style.fg("#ae2a19") == "#ae2a19"
    style.apply_look(app, "dark")
    red = QColor(style.fg("#ae2a19"))
    assert red.lightness() > 150 and red.red() > red.green()  # still red, now readable
    tint = QColor(style.bg("#fdecea"))
    assert tint.lightness() < 80  # a pale band becomes a deep one under light text


def test_sidebar_glyphs_are_redrawn_light_on_dark_and_sharp_at_2x(app: QApplication) -> None:
    style.apply_look(app, "dark")
    glyph = resources.icon("people")
    pixmap = glyph.pixmap(QSize(18, 18), 2.0)  # a HiDPI screen asks for a 36 px drawing
    assert pixmap.width() == 36 and pixmap.devicePixelRatio() == 2.0
    image = pixmap.toImage().convertToFormat(QImage.Format.Format_ARGB32)
    inked = [
        QColor(image.pixel(x, y))
        for x in range(image.width())
        for y in range(image.height())
        if QColor.fromRgba(image.pixel(x, y)).alpha() > 200
    ]
    assert inked and max(c.lightness() for c in inked) > 150
    style.apply_look(app, "light")
    light = resources.icon("people").pixmap(QSize(18, 18), 2.0).toImage()
    assert light != image


def test_the_runs_chart_paints_on_the_dark_base(app: QApplication, qtbot: QtBot) -> None:
    style.apply_look(app, "dark")
    chart = RunChart()
    qtbot.addWidget(chart)
    chart.resize(600, 200)
    chart.set_runs(
        [
            RunRow(
                id=i,
                kind="full",
                trigger="scheduled",
                target="",
                started_at=f"2026-12-01T10:{i:02d}:00Z",
                duration_s=float(i + 1),
                outcome="succeeded" if i % 3 else "failed",
                read={"sequence_states": 10 * i},
                written={"transitions": i},
                error_title=None,
                error_message=None,
            )
            for i in range(6)
        ]
    )
    image = chart.grab().toImage()
    corner = QColor(image.pixel(2, 2))
    assert corner.lightness() < 60  # not a white box on a dark page


def test_the_theme_is_a_setting_saved_and_validated(qtbot: QtBot, tmp_path: Path) -> None:
    policy = NotificationPolicy(RecordingSink().post, choices={})
    auto = Autostart("linux", home=tmp_path, environ={"XDG_CONFIG_HOME": str(tmp_path / "x")})
    dialog = SettingsDialog(
        Config(), tmp_path / "config.toml", policy, log_dir=tmp_path, autostart=auto
    )
    qtbot.addWidget(dialog)
    saved: list[Config] = []
    dialog.saved.connect(saved.append)
    dialog.open()
    box = dialog.appearance.theme
    assert box.currentData() == "system"
    assert [box.itemText(i) for i in range(box.count())] == [
        "Same as the system",
        "Light",
        "Dark",
    ]
    box.setCurrentIndex(box.findData("dark"))
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    assert saved and saved[-1].appearance.theme == "dark"
    assert 'theme = "dark"' in (tmp_path / "config.toml").read_text()

    with pytest.raises(ConfigError, match="theme"):
        parse_config({"appearance": {"theme": "purple"}})
