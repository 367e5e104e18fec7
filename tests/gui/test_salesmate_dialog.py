"""The Salesmate import dialog and the merged timeline, driven as a person would."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from gui_cache import PersonSpec, Transition
from gui_fakes import FakeServices, FakeSyncService, eventually, services_over, succeeded_run
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from syncmonitor.app.config import Config
from syncmonitor.domain.salesmate_export import Column
from syncmonitor.engine.services.imports import ImportsService
from syncmonitor.store.database import Database
from syncmonitor.ui.app import SyncMonitorApp
from syncmonitor.ui.models.import_preview import ImportPreviewModel
from syncmonitor.ui.models.timeline import DETAIL_ROLE, PROVIDER_ROLE
from syncmonitor.ui.notifier import RecordingNotifier
from syncmonitor.ui.people.page import PeoplePage
from syncmonitor.ui.salesmate.import_dialog import NOT_IN_FILE, SalesmateImportDialog
from syncmonitor.ui.sync_controller import Phase

pytestmark = pytest.mark.asyncio
Role = Qt.ItemDataRole

ANN = PersonSpec(
    id=501,
    name="Ann Archer",
    email="ann.archer@example.com",
    history={1: [Transition("active", 1), Transition("active", 2)]},
)
BOB = PersonSpec(id=502, name="Bob Baker", email="bob.baker@example.com", history={})

EXPORT = (
    "Contact Name;E-mail;Sequence Name;Status;Status Changed At;Owner\n"
    "Ann Archer;ann.archer@example.com;Q4 Nurture;Active;23/11/2026 09:00;Sam\n"
    "Ann Archer;Ann.Archer@example.com;Q4 Nurture;Paused O3;24/11/2026 10:30;Sam\n"
    "Zoë;zed@nowhere.example;Q4 Nurture;Active;24/11/2026;Sam\n"
    "Bob Baker;bob.baker@example.com;Q4 Nurture;Hibernating;25/11/2026;Sam\n"
)


def export_file(folder: Path, text: str = EXPORT) -> Path:
    path = folder / "salesmate-enrolments.csv"
    path.write_bytes(text.encode("cp1252"))
    return path


def status_of(model: ImportPreviewModel) -> dict[int, str]:
    return {
        model.line_at(r): model.data(model.index(r, ImportPreviewModel.STATUS))
        for r in range(model.rowCount())
    }


async def open_dialog(qtbot: QtBot, db: Database, path: Path) -> SalesmateImportDialog:
    dialog = SalesmateImportDialog(ImportsService(db))
    qtbot.addWidget(dialog)
    dialog.open()
    dialog.load_file(path)
    await eventually(lambda: dialog.preview is not None and not dialog._busy)
    return dialog


async def test_the_dialog_previews_maps_checks_and_imports(
    qtbot: QtBot, make_cache: Callable[..., Database], tmp_path: Path
) -> None:
    db = make_cache(people=3, extra=[ANN, BOB])
    dialog = await open_dialog(qtbot, db, export_file(tmp_path))

    assert dialog.file_info.text() == (
        "salesmate-enrolments.csv: 4 rows, Windows-1252, semicolon-separated."
    )
    assert dialog.combos[Column.EMAIL].currentText() == "E-mail"
    assert dialog.combos[Column.STATE].currentText() == "Status"
    assert dialog.combos[Column.DATE].currentText() == "Status Changed At"
    assert dialog.combos[Column.NAME].currentText() == "Contact Name"
    assert dialog.combos[Column.CONTACT_ID].currentText() == NOT_IN_FILE
    assert "day first" in dialog.notes.text()
    model = dialog.model
    assert status_of(model) == {2: "Ready", 3: "Ready", 4: "Error", 5: "Warning"}
    state = model.data(model.index(1, ImportPreviewModel.STATE))
    assert state == "Paused O3 → Active – Paused (out of office)"
    problems = model.data(model.index(2, ImportPreviewModel.PROBLEMS))
    assert "zed@nowhere.example" in problems
    assert dialog.summary.text().startswith("4 rows: 3 ready, 1 with errors, 1 with warnings.")
    # All or nothing: an error in one row blocks the import until the person chooses to skip,
    # and the button does not promise rows it would not import.
    assert not dialog.import_button.isEnabled()
    assert dialog.import_button.text() == "Import"
    assert dialog.skip_invalid.isEnabled()

    qtbot.mouseClick(dialog.only_problems, Qt.MouseButton.LeftButton)
    assert sorted(status_of(model)) == [4, 5]
    dialog.only_problems.setChecked(False)

    # A wrong mapping is a problem with the whole file, which skipping cannot get round.
    dialog.combos[Column.STATE].setCurrentIndex(0)
    await eventually(lambda: "No column is chosen for “State”" in dialog.notes.text())
    assert "--state-column" not in dialog.notes.text().split("command line")[0]
    # Nothing is checked while the file as a whole is refused: no row reads "Ready" then.
    assert set(status_of(model).values()) <= {"Not checked", "Error", "Warning"}
    assert "0 ready" in dialog.summary.text() or "Ready" not in status_of(model).values()
    dialog.skip_invalid.setChecked(True)
    assert not dialog.import_button.isEnabled()
    dialog.combos[Column.STATE].setCurrentText("Status")
    await eventually(lambda: dialog.import_button.isEnabled())
    assert dialog.import_button.text() == "Import 3 rows, skip 1"
    assert dialog.summary.text().endswith("1 row with errors will be skipped.")
    problems = dialog.problem_list.toPlainText().splitlines()
    assert problems[0].startswith("Line 4: error: No person with the email zed@nowhere.example")
    assert problems[1].startswith("Line 5: warning: “Hibernating” is not a Salesmate state")
    dialog.grab().save("/tmp/i9-import-dialog.png")

    with qtbot.waitSignal(dialog.imported, timeout=5000) as imported:
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
        await eventually(lambda: dialog.outcome is not None)
    outcome = imported.args[0]
    assert (outcome.rows_imported, outcome.rows_skipped) == (3, 1)
    assert outcome.counts.transitions == 3
    assert dialog.summary.text().startswith("Imported 3 rows: 3 new transitions")
    assert not dialog.import_button.isEnabled()
    close = dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel)
    assert close.text() == "Close"


async def test_an_unreadable_file_is_explained_in_the_dialog(
    qtbot: QtBot, make_cache: Callable[..., Database], tmp_path: Path
) -> None:
    db = make_cache(people=1)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    dialog = SalesmateImportDialog(ImportsService(db))
    qtbot.addWidget(dialog)
    dialog.load_file(empty)
    await eventually(lambda: "The file cannot be read" in dialog.notes.text())
    assert "empty" in dialog.notes.text()
    assert not dialog.import_button.isEnabled()


async def test_the_date_order_choice_resolves_ambiguous_dates(
    qtbot: QtBot, make_cache: Callable[..., Database], tmp_path: Path
) -> None:
    db = make_cache(people=1, extra=[ANN])
    text = "Email,Sequence,Status,Date\nann.archer@example.com,Q4,Active,03/11/2026\n"
    dialog = await open_dialog(qtbot, db, export_file(tmp_path, text))
    assert "choose how to read them" in dialog.notes.text()
    assert not dialog.import_button.isEnabled()
    dialog.date_order.setCurrentIndex(dialog.date_order.findText("Day first (31/12/2026)"))
    await eventually(lambda: dialog.import_button.isEnabled())
    assert dialog.preview is not None
    assert dialog.preview.checked.rows[0].changed_at.month in (10, 11)  # 3 Nov, local midnight


async def test_the_person_page_shows_both_providers_in_one_timeline(
    qtbot: QtBot, make_cache: Callable[..., Database], tmp_path: Path
) -> None:
    db = make_cache(people=3, extra=[ANN, BOB])
    dialog = await open_dialog(qtbot, db, export_file(tmp_path))
    dialog.skip_invalid.setChecked(True)
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    await eventually(lambda: dialog.outcome is not None)

    page = PeoplePage()
    page.resize(1300, 760)
    qtbot.addWidget(page)
    page.show()
    page.set_services(services_over(db))
    await eventually(lambda: not page.model.loading and page.model.rowCount() > 0)
    page.search.setText("archer")
    await eventually(lambda: page.model.search_text == "archer" and not page.model.loading)
    # Ann is one person in the list: her Outreach prospect, with the Salesmate record folded in.
    assert page.model.rowCount() == 1
    assert page.model.index(0, 0).data() == "Ann Archer"
    assert page.model.index(0, 2).data() == "2"  # sequences: one in Outreach, one in Salesmate
    assert page.model.index(0, 3).data() == "Active – Paused (out of office)"
    page.detail.show_person("outreach", ANN.id)
    timeline = page.detail.timeline
    await eventually(lambda: not page.detail.loading)  # the person is read off the GUI thread
    await eventually(lambda: timeline.rowCount() == 4 and not timeline.loading)
    rows = [timeline.index(r, 0) for r in range(4)]
    assert [i.data(PROVIDER_ROLE) for i in rows] == [
        "Salesmate",
        "Salesmate",
        "Outreach",
        "Outreach",
    ]
    newest = rows[0]
    assert newest.data(Role.DisplayRole) == "Active – Paused (out of office)"
    assert newest.data(DETAIL_ROLE).startswith("Salesmate  ·  Q4 Nurture  ·  raw “Paused O3”")
    assert "Salesmate said “Paused O3”" in newest.data(Role.ToolTipRole)
    assert rows[2].data(DETAIL_ROLE).startswith("Outreach  ·  ")
    states = page.detail.states
    shown = [(states.index(r, 0).data(), states.index(r, 4).data()) for r in range(2)]
    assert shown == [("Q4 Nurture", "Salesmate"), ("Q3 webinar follow-up", "Outreach")]
    assert not page.detail.states_view.isColumnHidden(4)
    assert "also in Salesmate" in page.detail.workbooks_label.text()
    page.grab().save("/tmp/i9-person-merged.png")

    # Bob exists only as an Outreach prospect without states; his Salesmate row shows Unknown.
    page.detail.show_person("outreach", BOB.id)
    await eventually(lambda: not page.detail.loading)
    await eventually(lambda: timeline.rowCount() == 1 and not timeline.loading)
    only = timeline.index(0, 0)
    assert only.data(Role.DisplayRole) == "Unknown (Hibernating)"
    assert not page.detail.states_view.isColumnHidden(4)  # Bob: Salesmate beside Outreach
    page.detail.show_person("outreach", 1)  # a generated person, Outreach only
    await eventually(lambda: not page.detail.loading)
    await eventually(lambda: not timeline.loading and timeline.rowCount() > 0)
    assert page.detail.states_view.isColumnHidden(4)  # "From" would only repeat Outreach


async def test_the_toolbar_action_imports_and_the_people_page_follows(
    qtbot: QtBot, make_cache: Callable[..., Database], tmp_path: Path
) -> None:
    service = FakeSyncService(make_cache(people=5, extra=[ANN, BOB]), sandbox_mode=True)
    service.previous = succeeded_run(minutes_ago=2)
    services = FakeServices(service)
    notifier = RecordingNotifier()
    gui = SyncMonitorApp(Config(), lambda: services, use_tray=False, notifier=notifier)
    gui.start()
    try:
        action = gui.window.import_salesmate_action
        await eventually(lambda: gui.controller.phase is Phase.IDLE)
        await eventually(action.isEnabled)
        assert action in gui.window.toolbar.actions()
        action.trigger()
        dialog = gui.window.salesmate_import_dialog
        assert isinstance(dialog, SalesmateImportDialog)
        assert dialog.isVisible() and dialog.isModal()
        assert dialog.summary.text() == "Choose the file Salesmate exported."
        people = gui.window.people
        await eventually(lambda: people.model.rowCount() == 7 and not people.model.loading)
        model = people.model

        def ann_latest() -> str:
            (row,) = [r for r in range(model.rowCount()) if model.index(r, 0).data() == ANN.name]
            return str(model.index(row, 3).data())

        before = ann_latest()
        dialog.load_file(export_file(tmp_path))
        await eventually(lambda: dialog.preview is not None and not dialog._busy)
        dialog.skip_invalid.setChecked(True)
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
        await eventually(lambda: dialog.outcome is not None)
        # The list re-reads at once: Ann's latest state is now her Salesmate one.
        await eventually(lambda: ann_latest() == "Active – Paused (out of office)")
        assert before == "Active – Running"
        assert model.rowCount() == 7  # Ann and Bob are still listed once each
        (sent,) = notifier.sent
        assert sent.title == "Salesmate enrolments imported"
        assert sent.message.startswith("salesmate-enrolments.csv: Imported 3 rows")
        dialog.accept()
    finally:
        await gui.shutdown()
        gui.window.deleteLater()


async def test_a_typed_path_is_read_and_dialogs_open_in_documents_or_the_last_folder(
    qtbot: QtBot, make_cache: Callable[..., Database], tmp_path: Path
) -> None:
    from syncmonitor.ui.files import documents, remember_folder, start_folder

    db = make_cache(people=3, extra=[ANN, BOB])
    dialog = SalesmateImportDialog(ImportsService(db))
    qtbot.addWidget(dialog)
    dialog.open()
    assert not dialog.path_edit.isReadOnly()
    dialog.path_edit.setText(str(tmp_path / "nothing-here.csv"))
    dialog.path_edit.editingFinished.emit()
    assert "No file at" in dialog.notes.text() and dialog.preview is None

    path = export_file(tmp_path)
    dialog.path_edit.setText(f'"{path}"')  # pasted from a file manager, quotes and all
    dialog.path_edit.editingFinished.emit()
    await eventually(lambda: dialog.preview is not None and not dialog._busy)
    assert dialog.file_info.text().startswith("salesmate-enrolments.csv: 4 rows")
    assert start_folder("salesmate") == tmp_path  # the next dialog opens where this file was

    assert start_folder("mappings") == documents()  # never the working directory
    remember_folder("mappings", tmp_path / "mappings.json")
    assert start_folder("mappings") == tmp_path
