"""The whole app on the real engine: a real sandbox, real services in a temporary home, the real
window. A person presses Sync now, looks someone up on the People page, and after the world changes
presses Sync now again and sees the new transition at the top of that person's timeline."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from gui_fakes import eventually
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from syncmonitor.app.config import Config, SandboxSettings
from syncmonitor.app.paths import app_paths
from syncmonitor.engine.bootstrap import Services, start_services
from syncmonitor.engine.runs.events import RunResult
from syncmonitor.sandbox.admin import AdminClient
from syncmonitor.store.people import TransitionRow, current_states, history
from syncmonitor.store.schema import prospects, state_history, sync_runs
from syncmonitor.ui.app import SyncMonitorApp
from syncmonitor.ui.main_window import MainWindow
from syncmonitor.ui.models import PeopleModel
from syncmonitor.ui.models.current_states import CurrentStatesModel
from syncmonitor.ui.models.timeline import DETAIL_ROLE
from syncmonitor.ui.notifier import RecordingNotifier
from syncmonitor.ui.sync_controller import Phase

pytestmark = pytest.mark.asyncio

PEOPLE = 150
CONFIG = Config(sandbox=SandboxSettings(seed=3, people=PEOPLE, tick_seconds=0))


@dataclass
class RealApp:
    gui: SyncMonitorApp
    services: Services
    admin: AdminClient

    @property
    def window(self) -> MainWindow:
        return self.gui.window

    def runs(self) -> int:
        with self.services.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(sync_runs)).scalar_one())


@pytest_asyncio.fixture
async def real_app(qtbot: QtBot, tmp_home: Path) -> AsyncIterator[RealApp]:
    """The app in sandbox mode, as `syncmonitor` starts it, idle and with any catch-up run done."""
    started: list[Services] = []

    def starter() -> Services:
        services = start_services(CONFIG, app_paths())
        started.append(services)
        return services

    gui = SyncMonitorApp(CONFIG, starter, use_tray=False, notifier=RecordingNotifier())
    gui.start()
    try:
        await eventually(lambda: gui.controller.phase is Phase.IDLE, timeout=60)
        # A new cache syncs at once (a missed run); let that one finish first.
        await eventually(lambda: not gui.controller.running, timeout=60)
        services = started[0]
        assert services.sandbox is not None and services.sandbox.endpoints is not None
        admin = AdminClient(services.sandbox.endpoints.admin_url)
        yield RealApp(gui, services, admin)
        admin.close()
    finally:
        await gui.shutdown()
        gui.window.deleteLater()
    assert started and not started[0].sandbox.running  # type: ignore[union-attr]


async def press_sync_now(qtbot: QtBot, app: RealApp) -> RunResult:
    """Click the toolbar's Sync now and wait until that run has finished."""
    window = app.window
    before = app.runs()
    button = window.toolbar.widgetForAction(window.sync_action)
    assert button is not None and button.isEnabled() and window.sync_action.text() == "Sync now"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    await eventually(lambda: app.runs() == before + 1 and not app.gui.controller.running, 60)
    result = app.gui.controller.last_result
    assert result is not None and result.ok, result and result.summary
    assert window.sync_action.text() == "Sync now"
    return result


def entries(timeline: Any) -> list[tuple[str, str]]:
    """What each timeline entry shows: its headline and its detail line."""
    return [
        (timeline.index(r, 0).data(), timeline.index(r, 0).data(DETAIL_ROLE))
        for r in range(timeline.rowCount())
    ]


def shown_as(rows: list[TransitionRow]) -> list[tuple[str, str]]:
    return [(t.state.label, f"raw “{t.state.raw}”") for t in rows]


async def test_sync_now_then_a_persons_states_and_every_transition_appear(
    qtbot: QtBot, real_app: RealApp
) -> None:
    app, window = real_app, real_app.window
    page = window.people
    engine = app.services.engine

    await press_sync_now(qtbot, app)
    await eventually(lambda: page.count_label.text() == f"{PEOPLE} people")
    assert page.model.rowCount() == PEOPLE

    # The world changes; pick someone whose state changed and who already has a history.
    changes = app.admin.tick(10)
    with engine.connect() as conn:
        counts = dict(
            conn.execute(
                select(state_history.c.prospect_id, func.count()).group_by(
                    state_history.c.prospect_id
                )
            ).all()
        )
    touched = [c for c in changes if c["kind"] != "opt_out"]
    change = next(
        c
        for c in touched
        if c["state"] != c["previousState"]
        and counts.get(c["prospect"], 0) >= 2
        and sum(1 for d in changes if d.get("prospect") == c["prospect"]) == 1
    )
    pid = change["prospect"]
    with engine.connect() as conn:
        name = conn.execute(select(prospects.c.name).where(prospects.c.id == pid)).scalar_one()
        before_rows = history(conn, "outreach", pid)
        before_states = current_states(conn, "outreach", pid)
    assert len(before_rows) == counts[pid] >= 2

    # Search as a person types, and click the person.
    qtbot.keyClicks(page.search, name)
    await eventually(lambda: page.model.search_text == name and not page.model.loading)
    row = page.model.row_for("outreach", pid)
    assert row is not None, f"{name} is not in the search results"
    index = page.model.index(row, PeopleModel.NAME)
    page.table.scrollTo(index)
    qtbot.mouseClick(
        page.table.viewport(), Qt.MouseButton.LeftButton, pos=page.table.visualRect(index).center()
    )
    detail = page.detail
    await eventually(lambda: detail.person == ("outreach", pid) and not detail.loading)
    await eventually(lambda: not detail.timeline.loading)
    assert detail.name_label.text() == name
    assert detail.stack.currentIndex() == 1

    # Their current state in each sequence, and every transition with its raw value.
    states = detail.states
    assert states.rowCount() == len(before_states)
    assert [states.index(r, CurrentStatesModel.STATE).data() for r in range(states.rowCount())] == [
        s.state.label for s in before_states
    ]
    await eventually(lambda: detail.timeline.rowCount() == len(before_rows))
    shown = entries(detail.timeline)
    assert [headline for headline, _ in shown] == [label for label, _ in shown_as(before_rows)]
    for (_, line), (_, raw) in zip(shown, shown_as(before_rows), strict=True):
        assert raw in line

    # Sync again: the change arrives at the top of the timeline, the rest stays below it.
    await press_sync_now(qtbot, app)
    await eventually(lambda: detail.timeline.rowCount() == len(before_rows) + 1)
    with engine.connect() as conn:
        after_rows = history(conn, "outreach", pid)
    newest = after_rows[0]
    assert newest.sequence_state_id == change["sequenceState"]
    assert newest.state.raw == change["state"]
    top_headline, top_line = entries(detail.timeline)[0]
    assert top_headline == newest.state.label
    assert f"raw “{change['state']}”" in top_line
    assert entries(detail.timeline)[1:] == shown
    assert newest.state.label in [
        states.index(r, CurrentStatesModel.STATE).data() for r in range(states.rowCount())
    ]
    assert page.selected_person() == ("outreach", pid)  # still selected after the refresh
