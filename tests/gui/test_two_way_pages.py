"""The two-way sync's screens driven like a person: the scope filter editor (live count, bad
conditions, save), the conflicts of a run, and a person's two records side by side."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from gui_fakes import eventually, services_over
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox, QDialogButtonBox, QLineEdit
from pytestqt.qtbot import QtBot

from store_backends import open_sqlite
from syncmonitor.domain.scope import Condition, ScopeFilter
from syncmonitor.engine.services.runs import RunsService
from syncmonitor.engine.services.two_way import TwoWayService
from syncmonitor.store import two_way as store
from syncmonitor.store.database import Database
from syncmonitor.ui.people.detail import PersonDetailPane
from syncmonitor.ui.people.pair_view import PairView
from syncmonitor.ui.runs.conflicts_view import ConflictsView
from syncmonitor.ui.settings.scope_dialog import ScopeDialog

FIELDS = [("person_last_name", "Last Name"), ("main_location[country]", "Country")]


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    db = open_sqlite(tmp_path / "cache.sqlite3")
    yield db
    db.close()


@pytest.mark.asyncio
async def test_scope_editor_counts_live_refuses_incomplete_conditions_and_saves(
    qtbot: QtBot,
) -> None:
    asked: list[ScopeFilter] = []
    saved: list[ScopeFilter] = []

    async def counter(scope: ScopeFilter) -> int:
        asked.append(scope)
        await asyncio.sleep(0)
        return 1234 if scope.conditions else 5000

    async def saver(scope: ScopeFilter) -> None:
        saved.append(scope)

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)  # the dialog closing must not end the test's loop
    dialog = ScopeDialog(ScopeFilter(), FIELDS, counter, saver)
    qtbot.addWidget(dialog)
    dialog.show()
    await eventually(lambda: "5,000" in dialog.count_label.text())
    assert dialog.mine.isChecked() and dialog.api_user.isChecked()

    qtbot.mouseClick(dialog.add_button, qtbot_button())
    save = dialog.buttons.button(QDialogButtonBox.StandardButton.Save)
    value = dialog.table.cellWidget(0, 2)
    field = dialog.table.cellWidget(0, 0)
    assert isinstance(value, QLineEdit) and isinstance(field, QComboBox)
    field.setCurrentIndex(1)  # Country
    assert not save.isEnabled()  # "equals" needs a value
    assert "needs a value" in dialog.problem_label.text()
    qtbot.keyClicks(value, "France")
    assert save.isEnabled()
    await eventually(lambda: "1,234" in dialog.count_label.text())
    assert asked[-1].conditions == (Condition("main_location[country]", "eq", "France"),)

    operator = dialog.table.cellWidget(0, 1)
    assert isinstance(operator, QComboBox)
    operator.setCurrentIndex(operator.findData("blank"))
    assert not value.isEnabled()  # "is blank" takes no value
    operator.setCurrentIndex(operator.findData("ct"))
    qtbot.mouseClick(save, qtbot_button())
    await eventually(lambda: bool(saved))
    assert saved[0] == ScopeFilter(
        True, None, (Condition("main_location[country]", "ct", "France"),), True
    )


def qtbot_button() -> Qt.MouseButton:
    return Qt.MouseButton.LeftButton


def test_conflicts_view_lists_a_runs_conflicts(qtbot: QtBot, database: Database) -> None:
    with database.engine.begin() as conn:
        store.record_conflicts(
            conn,
            [
                store.Conflict(
                    "person",
                    10001,
                    501,
                    "Ada Lovelace <ada@x.org>",
                    "person_last_name",
                    "lastName",
                    "Byron",
                    "King",
                    "Lovelace",
                    "crm_wins",
                    "crm",
                    "2026-11-22T10:00:00.000Z",
                    7,
                )
            ],
        )
    view = ConflictsView()
    qtbot.addWidget(view)
    runs = RunsService(database)
    view.show_run(runs, 7)
    assert view.loading and view.table.rowCount() == 0  # read on a reader thread, not here
    qtbot.waitUntil(lambda: not view.loading, timeout=3000)
    assert view.table.rowCount() == 1
    cells = [view.table.item(0, c).text() for c in range(view.table.columnCount())]
    assert cells == [
        "Ada Lovelace <ada@x.org>",
        "person_last_name ↔ lastName",
        "Byron",
        "King",
        "Lovelace",
        "CRM wins",
        "Workbooks",
    ]
    view.show_run(runs, 8)
    qtbot.waitUntil(lambda: not view.loading, timeout=3000)
    assert view.table.rowCount() == 0 and "No conflicts" in view.note.text()


def test_pair_view_shows_both_records_and_the_last_synced_values(
    qtbot: QtBot, database: Database
) -> None:
    with database.engine.begin() as conn:
        store.save_links(
            conn,
            [
                store.Link(
                    "person",
                    10001,
                    501,
                    "Ada",
                    None,
                    None,
                    {"person_first_name": "Ada", "person_last_name": "Lovelace"},
                    {
                        "id": 10001,
                        "main_location[email]": "ada@x.org",
                        "person_first_name": "Ada",
                        "person_last_name": "Byron",
                    },
                    {
                        "id": 501,
                        "emails": ["ada@x.org"],
                        "firstName": "Ada",
                        "lastName": "Lovelace",
                    },
                    "2026-11-22T10:00:00.000Z",
                )
            ],
        )
    view = PairView()
    qtbot.addWidget(view)
    view.set_service(TwoWayService(database))
    view.show_prospect(501)
    assert view.loading  # read on a reader thread, never on the GUI thread
    qtbot.waitUntil(lambda: not view.loading, timeout=3000)
    rows = {
        view.table.item(r, 0).text().split("  ")[0]: [
            view.table.item(r, c).text() for c in range(1, 4)
        ]
        for r in range(view.table.rowCount())
    }
    assert rows["Email"] == ["ada@x.org", "ada@x.org", ""]
    assert rows["person_last_name ↔ lastName"] == ["Byron", "Lovelace", "Lovelace"]
    assert "Workbooks person 10001 ↔ Outreach prospect 501" in view.summary.text()
    view.show_prospect(999)
    qtbot.waitUntil(lambda: not view.loading, timeout=3000)
    assert "Not linked" in view.summary.text()

    # The person page names a linked prospect the sequence-state pull has not read (yet).
    page = PersonDetailPane()
    qtbot.addWidget(page)
    page.set_services(services_over(database))
    page.show_person("outreach", 501)
    qtbot.waitUntil(lambda: not page.loading, timeout=3000)
    assert page.name_label.text() == "Ada"
    assert page.email_label.text() == "ada@x.org"
    assert "linked to Workbooks person 10001" in page.workbooks_label.text()


def test_a_delete_hazard_issue_offers_its_two_ways_out_once_read(
    qtbot: QtBot, database: Database
) -> None:
    from types import SimpleNamespace

    from syncmonitor.store.issues import RecordIssue, record_issues
    from syncmonitor.ui.issues.page import IssuesPage

    with database.engine.begin() as conn:
        record_issues(
            conn,
            [
                RecordIssue(
                    "outreach.prospects",
                    "person",
                    "workbooks:10001",
                    "Ada Lovelace",
                    "Deleted in Workbooks, still in Outreach",
                    "Delete it in Outreach too, or unlink it.",
                )
            ],
            None,
        )
        store.note_hazards(
            conn, [store.Hazard("person", 10001, 501, "Ada Lovelace", "crm", "2026-11-22T10:00Z")]
        )
    controller = SimpleNamespace(force=lambda target: None, refresh_issue_count=lambda: None)
    page = IssuesPage(controller)  # type: ignore[arg-type]
    qtbot.addWidget(page)
    page.show()
    page.set_services(services_over(database))
    qtbot.waitUntil(lambda: page.model.rowCount() == 1 and not page.model.loading, timeout=3000)
    page.select_group(0)  # a cause of one record stands for that record
    hazard = page.hazard
    assert not hazard.delete_button.isVisible()  # read on a reader thread, not the GUI thread
    qtbot.waitUntil(lambda: not hazard.loading, timeout=3000)
    assert hazard.delete_button.isVisible() and hazard.unlink_button.isVisible()
    assert hazard.delete_button.text() == "Delete in Outreach too"


def test_one_deleted_person_is_one_issue_that_keeps_both_issues_actions(
    qtbot: QtBot, database: Database
) -> None:
    """The delete hazard and the push's "no Workbooks person" for the same prospect (as every
    cache from before holds them) show as one issue with its consequence; Retry syncs the
    prospect, Delete and Unlink settle the deletion."""
    from types import SimpleNamespace

    from syncmonitor.engine.issues import person_issue
    from syncmonitor.engine.runs.targets import Target
    from syncmonitor.store.issues import RecordIssue, record_issues
    from syncmonitor.ui.issues.page import IssuesPage

    with database.engine.begin() as conn:
        record_issues(
            conn,
            [
                person_issue(
                    ("outreach", 70), "Sean O'Brien", "No Workbooks person.", unmatched=True
                ),
                RecordIssue(
                    "outreach.prospects",
                    "person",
                    "workbooks:10070",
                    "Sean O'Brien",
                    "Deleted in Workbooks, but the linked Outreach record (Outreach id 70) "
                    "still exists.",
                    "Delete it in Outreach too, or unlink it.",
                ),
            ],
            None,
        )
        store.note_hazards(
            conn, [store.Hazard("person", 10070, 70, "Sean O'Brien", "crm", "2026-11-22T10:00Z")]
        )
    forced: list[Target] = []
    controller = SimpleNamespace(force=forced.append, refresh_issue_count=lambda: None)
    page = IssuesPage(controller)  # type: ignore[arg-type]
    qtbot.addWidget(page)
    page.show()
    page.set_services(services_over(database))
    qtbot.waitUntil(lambda: page.model.rowCount() == 1 and not page.model.loading, timeout=3000)
    assert page.count_label.text() == "1 open issue, 1 cause"
    assert page.model.index(0, 0).data() == "1 person deleted in Workbooks is still in Outreach"
    page.select_record(0, 0)
    assert "And so: no Workbooks person" in page.detail.text()
    qtbot.waitUntil(lambda: not page.hazard.loading, timeout=3000)
    assert page.hazard.delete_button.isVisible() and page.hazard.unlink_button.isVisible()
    assert page.retry_button.isEnabled()
    page.retry_button.click()
    assert forced and forced[-1].key == "70"  # the prospect whose states wait for a person


def test_a_cause_with_many_records_opens_quickly_and_still_acts_on_all(
    qtbot: QtBot, database: Database
) -> None:
    from types import SimpleNamespace

    from syncmonitor.engine.issues import person_issue
    from syncmonitor.store.issues import record_issues
    from syncmonitor.ui.issues.page import IssuesPage
    from syncmonitor.ui.models.issue_groups import SHOWN_RECORDS

    with database.engine.begin() as conn:
        record_issues(
            conn,
            [
                person_issue(("outreach", 5000 + i), f"P{i}", "No person.", unmatched=True)
                for i in range(SHOWN_RECORDS + 50)
            ],
            None,
        )
    controller = SimpleNamespace(force=lambda target: None, refresh_issue_count=lambda: None)
    page = IssuesPage(controller)  # type: ignore[arg-type]
    qtbot.addWidget(page)
    page.show()
    page.set_services(services_over(database))
    qtbot.waitUntil(lambda: page.model.rowCount() == 1 and not page.model.loading, timeout=5000)
    group = page.model.index(0, 0)
    assert page.model.rowCount(group) == 1  # its records are not rows until it is opened
    page.tree.expand(group)
    assert page.model.rowCount(group) == SHOWN_RECORDS + 1
    more = page.model.index(SHOWN_RECORDS, 0, group)
    assert more.data().startswith("… and 50 more")
    page.tree.setCurrentIndex(more)  # the note stands for the whole cause
    assert page.dismiss_button.text() == f"Dismiss all {SHOWN_RECORDS + 50}"
    assert page.retry_button.text() == f"Retry all {SHOWN_RECORDS + 50}"
