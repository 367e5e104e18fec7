"""The mapping pages driven like a person would: add with a typo and take the suggestion, refuse a
stage already mapped, undo/redo, save, flags for values gone remotely, options disabled with a
reason, preview with a diff, import refused whole, and the question before leaving unsaved edits.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from gui_fakes import eventually
from mapping_cache import mapping_cache, offline_service
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox
from pytestqt.qtbot import QtBot

from syncmonitor.domain.mappings.fields import Direction, ObjectPair
from syncmonitor.domain.mappings.values import CrmSource, CrmStatus, StatusKind
from syncmonitor.engine.services.mappings import MappingsService
from syncmonitor.store import mappings as store
from syncmonitor.store.database import Database
from syncmonitor.ui.mappings.field_page import FieldMappingPage
from syncmonitor.ui.mappings.preview import PreviewDialog
from syncmonitor.ui.mappings.status_dialog import StatusRuleDialog
from syncmonitor.ui.mappings.status_page import StatusMappingPage
from syncmonitor.ui.mappings.workspace import MappingWorkspace

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def setup(tmp_path: Path, qtbot: QtBot) -> AsyncIterator[tuple[MappingWorkspace, Database]]:
    db = mapping_cache(tmp_path / "cache.sqlite3")
    workspace = MappingWorkspace()
    workspace.set_service(MappingsService(db, offline_service(db)))
    await workspace.wait_idle()
    yield workspace, db
    await workspace.wait_idle()
    db.close()


def lead_page(qtbot: QtBot, workspace: MappingWorkspace) -> StatusMappingPage:
    page = StatusMappingPage(workspace, StatusKind.LEAD)
    qtbot.addWidget(page)
    page.resize(1100, 600)
    page.show()
    return page


def ok_button(dialog: StatusRuleDialog) -> Any:
    return dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)


async def test_a_typo_is_refused_with_a_suggestion_then_added_undone_redone_and_saved(
    qtbot: QtBot, setup: tuple[MappingWorkspace, Database]
) -> None:
    workspace, db = setup
    page = lead_page(qtbot, workspace)
    assert page.unmapped_values.count() == 7  # every lead status is unmapped at first
    assert page.unmapped_stages.count() == 6
    qtbot.mouseClick(page.add, Qt.MouseButton.LeftButton)
    dialog = page.findChild(StatusRuleDialog)
    assert dialog is not None
    dialog.status.setCurrentText("qualifed")
    dialog.stage.setCurrentText("Replied")
    assert not ok_button(dialog).isEnabled()
    assert "Did you mean 'Qualified'" in dialog.message.text()
    assert dialog.use_status_suggestion.isVisible()  # the fix for the CRM value's typo
    assert not dialog.use_stage_suggestion.isVisible()
    qtbot.mouseClick(dialog.use_status_suggestion, Qt.MouseButton.LeftButton)
    assert dialog.status.currentText() == "Qualified"
    assert ok_button(dialog).isEnabled()
    qtbot.mouseClick(ok_button(dialog), Qt.MouseButton.LeftButton)
    assert page.model.rowCount() == 1
    assert page.model.index(0, 2).data() == "OK"
    assert page.unmapped_values.count() == 6
    assert page.unmapped_stages.count() == 5
    assert workspace.dirty and page.bar.save.isEnabled()
    assert "Unsaved" in page.bar.state.text()

    qtbot.mouseClick(page.bar.undo, Qt.MouseButton.LeftButton)
    assert page.model.rowCount() == 0 and not workspace.dirty
    qtbot.mouseClick(page.bar.redo, Qt.MouseButton.LeftButton)
    assert page.model.rowCount() == 1

    qtbot.mouseClick(page.bar.save, Qt.MouseButton.LeftButton)
    await workspace.wait_idle()
    assert not workspace.dirty
    with db.engine.connect() as conn:
        saved = store.load_mappings(conn).status[StatusKind.LEAD].rules
    assert [(r.crm_status, r.stage_name, r.stage_id) for r in saved] == [
        ("Qualified", "Replied", 3)
    ]


async def test_the_add_dialog_validates_once_at_the_right_moment_and_fixes_both_typos(
    qtbot: QtBot, setup: tuple[MappingWorkspace, Database]
) -> None:
    workspace, _db = setup
    page = lead_page(qtbot, workspace)
    qtbot.mouseClick(page.add, Qt.MouseButton.LeftButton)
    dialog = page.findChild(StatusRuleDialog)
    assert dialog is not None
    # Opening it says what to choose, once, and calls nothing wrong yet.
    assert dialog.message.text() == "Choose the Lead Status value and the Outreach stage."
    assert "Error" not in dialog.message.text() and not ok_button(dialog).isEnabled()

    dialog.status.setCurrentText("Contactd")
    dialog.stage.setCurrentText("Aproaching")
    lines = dialog.message.text().splitlines()
    assert len(lines) == len(set(lines)) and "''" not in dialog.message.text()
    assert dialog.use_status_suggestion.text() == "Use 'Contacted'"
    assert dialog.use_stage_suggestion.text() == "Use 'Approaching'"
    assert not ok_button(dialog).isEnabled()
    # Never clipped: the message gets the height its wrapped lines need.
    await asyncio.sleep(0.05)
    assert dialog.message.height() >= dialog.message.heightForWidth(dialog.message.width())
    qtbot.mouseClick(dialog.use_status_suggestion, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dialog.use_stage_suggestion, Qt.MouseButton.LeftButton)
    assert (dialog.status.currentText(), dialog.stage.currentText()) == (
        "Contacted",
        "Approaching",
    )
    assert ok_button(dialog).isEnabled()

    dialog.stage.setCurrentText("")  # emptied after typing: said once
    assert dialog.message.text() == "Choose the Outreach stage: it is empty."
    assert not ok_button(dialog).isEnabled()
    dialog.reject()


async def test_a_stage_already_mapped_is_refused_with_the_reason(
    qtbot: QtBot, setup: tuple[MappingWorkspace, Database]
) -> None:
    workspace, _db = setup
    page = lead_page(qtbot, workspace)
    for status in ("New", "Contacted"):
        dialog = page.open_dialog(None, status)
        dialog.stage.setCurrentText("New")
        if ok_button(dialog).isEnabled():
            qtbot.mouseClick(ok_button(dialog), Qt.MouseButton.LeftButton)
    assert page.model.rowCount() == 1
    assert "already mapped from 'New'" in dialog.message.text()
    assert "Outreach refuses" in dialog.message.text()


async def test_an_unknown_stage_can_be_typed_but_not_saved_and_very_long_names_are_refused(
    qtbot: QtBot, setup: tuple[MappingWorkspace, Database]
) -> None:
    workspace, _db = setup
    page = lead_page(qtbot, workspace)
    dialog = page.open_dialog(None, "New")
    dialog.stage.setCurrentText("Nurture ünïcode")
    assert not ok_button(dialog).isEnabled()
    assert "no stage named" in dialog.message.text()
    assert dialog.create_stage.isVisible()
    dialog.status.setCurrentText("x" * 300)
    assert "300 characters" in dialog.message.text()


async def test_values_renamed_or_deleted_remotely_are_flagged_not_dropped(
    qtbot: QtBot, setup: tuple[MappingWorkspace, Database]
) -> None:
    workspace, db = setup
    page = lead_page(qtbot, workspace)
    for status, stage in (("Working", "Approaching"), ("Qualified", "Replied")):
        dialog = page.open_dialog(None, status)
        dialog.stage.setCurrentText(stage)
        qtbot.mouseClick(ok_button(dialog), Qt.MouseButton.LeftButton)
    workspace.save()
    await workspace.wait_idle()
    # In the CRM, "Working" is renamed; in Outreach, "Replied" is deleted.
    with db.engine.begin() as conn:
        values = [v for v in store.statuses(conn, CrmSource.WORKBOOKS, StatusKind.LEAD) or []]
        renamed = [
            CrmStatus("Working on it", "Working on it") if v.api_name == "Working" else v
            for v in values
        ]
        store.replace_statuses(conn, CrmSource.WORKBOOKS, StatusKind.LEAD, renamed, "now")
        stages = [s for s in store.stages(conn) or [] if s.name != "Replied"]
        store.replace_stages(conn, stages, "now")
    workspace.set_service(None)
    workspace.set_service(MappingsService(db, offline_service(db)))
    await workspace.wait_idle()
    assert page.model.rowCount() == 2  # both rules kept
    first, second = page.model.index(0, 2).data(), page.model.index(1, 2).data()
    assert "renamed or deleted" in first and first.startswith("Warning")
    assert "deleted in Outreach" in second
    assert page.model.index(0, 0).data(Qt.ItemDataRole.BackgroundRole) is not None
    assert "Working on it" in [
        page.unmapped_values.item(i).text() for i in range(page.unmapped_values.count())
    ]


async def test_field_options_are_disabled_with_the_reason_and_edits_undo(
    qtbot: QtBot, setup: tuple[MappingWorkspace, Database]
) -> None:
    workspace, _db = setup
    page = FieldMappingPage(workspace)
    qtbot.addWidget(page)
    page.resize(1200, 700)
    page.show()
    assert page.model.rowCount() == 2  # the documented stage lookups
    qtbot.mouseClick(page.add, Qt.MouseButton.LeftButton)
    assert page.model.rowCount() == 3
    editor = page.editor
    editor.crm.setCurrentIndex(editor.crm.findData("created_through_reference"))
    editor.crm.activated.emit(editor.crm.currentIndex())
    editor.outreach.setCurrentIndex(editor.outreach.findData("custom1"))
    editor.outreach.activated.emit(editor.outreach.currentIndex())
    editor.direction.setCurrentIndex(editor.direction.findData(Direction.SEND))
    editor.direction.activated.emit(editor.direction.currentIndex())
    rule = workspace.mappings.fields[ObjectPair.PERSON_PROSPECT].rules[2]
    assert (rule.crm_field, rule.outreach_field, rule.direction) == (
        "created_through_reference",
        "custom1",
        Direction.SEND,
    )
    # Loading options do not apply to a rule that only sends; lookup needs a reference field.
    assert not editor.checks["skip_empty_loading"].isEnabled()
    assert "sent to the CRM" not in editor.reasons["skip_empty_loading"].text()
    assert "loaded from the CRM" in editor.reasons["skip_empty_loading"].text()
    assert not editor.checks["lookup"].isEnabled()
    assert not editor.mapped.isEnabled()
    assert (
        "Only available when Lookup field is on" in editor.reasons["external_mapped_field"].text()
    )
    editor.checks["skip_empty_sending"].setChecked(True)
    assert workspace.mappings.fields[ObjectPair.PERSON_PROSPECT].rules[2].options.skip_empty_sending
    # Skip empty and a placeholder contradict: the placeholder is now disabled, with why.
    assert not editor.texts["external_placeholder"].isEnabled()
    assert "nothing to replace" in editor.reasons["external_placeholder"].text()
    workspace.undo()
    assert editor.texts["external_placeholder"].isEnabled()
    editor.texts["external_placeholder"].setText("(none)")
    editor.texts["external_placeholder"].editingFinished.emit()
    assert (
        workspace.mappings.fields[ObjectPair.PERSON_PROSPECT].rules[2].options.external_placeholder
        == "(none)"
    )
    assert page.model.index(2, 4).data() == "OK"


async def test_preview_shows_what_would_be_sent_and_loaded_and_what_a_save_changes(
    qtbot: QtBot, setup: tuple[MappingWorkspace, Database]
) -> None:
    workspace, _db = setup
    page = lead_page(qtbot, workspace)
    dialog = page.open_dialog(None, "Qualified")
    dialog.stage.setCurrentText("Replied")
    qtbot.mouseClick(ok_button(dialog), Qt.MouseButton.LeftButton)
    qtbot.mouseClick(page.bar.preview, Qt.MouseButton.LeftButton)
    preview = page.findChild(PreviewDialog)
    assert preview is not None
    await eventually(lambda: preview.samples.count() == 3)
    preview.samples.setCurrentRow(0)  # Amelia Hartley: lead status Qualified, stage New
    stage_rows = [r for r in preview.rows if r.field == "stage"]
    assert stage_rows and stage_rows[0].edited.value == 3  # Replied, under the edit
    assert stage_rows[0].differs  # the saved (empty) mapping leaves the stage alone
    assert "left alone" in stage_rows[0].saved.text
    texts = [preview.table.item(r, 4).text() for r in range(preview.table.rowCount())]
    assert any(t.startswith("Replied (3)") for t in texts)
    assert preview.table.item(0, 0).text() in ("●", "")
    assert "saving it would change" in preview.summary.text()
    preview.close()


async def test_a_bad_import_changes_nothing_and_says_why(
    qtbot: QtBot, setup: tuple[MappingWorkspace, Database], tmp_path: Path
) -> None:
    workspace, _db = setup
    page = lead_page(qtbot, workspace)
    bad = tmp_path / "bad.csv"
    bad.write_bytes("type;scope\nstatus;lead\n".encode("cp1252") + b"\xe9")
    before = workspace.mappings
    page.bar.choose_import = lambda: bad  # type: ignore[method-assign]
    qtbot.mouseClick(page.bar.import_button, Qt.MouseButton.LeftButton)
    assert workspace.mappings == before and not workspace.history.can_undo
    assert page.message.isVisible()
    assert "not UTF-8" in page.message.text()


async def test_leaving_with_unsaved_changes_asks(
    qtbot: QtBot, setup: tuple[MappingWorkspace, Database]
) -> None:
    workspace, _db = setup
    page = lead_page(qtbot, workspace)
    dialog = page.open_dialog(None, "New")
    dialog.stage.setCurrentText("New")
    qtbot.mouseClick(ok_button(dialog), Qt.MouseButton.LeftButton)
    asked: list[bool] = []

    def answer(button: QMessageBox.StandardButton) -> Callable[[], QMessageBox.StandardButton]:
        def ask() -> QMessageBox.StandardButton:
            asked.append(True)
            return button

        return ask

    page.ask_unsaved = answer(QMessageBox.StandardButton.Cancel)  # type: ignore[method-assign]
    assert page.can_leave(None) is False and workspace.dirty
    other = StatusMappingPage(workspace, StatusKind.CONTACT)
    qtbot.addWidget(other)
    assert page.can_leave(other) is True  # moving between mapping pages keeps the edits
    page.ask_unsaved = answer(QMessageBox.StandardButton.Discard)  # type: ignore[method-assign]
    assert page.can_leave(None) is True and not workspace.dirty
    assert len(asked) == 2


async def test_switching_the_crm_source_checks_against_salesforce_values(
    qtbot: QtBot, setup: tuple[MappingWorkspace, Database]
) -> None:
    workspace, _db = setup
    page = lead_page(qtbot, workspace)
    page.source.setCurrentIndex(page.source.findData(CrmSource.SALESFORCE))
    page.source.activated.emit(page.source.currentIndex())
    assert workspace.mappings.crm_source is CrmSource.SALESFORCE
    texts = [page.unmapped_values.item(i).text() for i in range(page.unmapped_values.count())]
    assert "Closed - Converted (converted)" in texts
    dialog = page.open_dialog(None, "closed - converted")
    dialog.stage.setCurrentText("Replied")
    assert "differs only in upper/lower case" in dialog.message.text()


async def test_refresh_and_create_a_stage_against_the_sandbox(qtbot: QtBot, tmp_path: Path) -> None:
    from types import SimpleNamespace

    from store_backends import open_sqlite
    from syncmonitor.app.config import Config
    from syncmonitor.engine.runs.service import Remotes
    from syncmonitor.sandbox.process import SandboxProcess

    sandbox = SandboxProcess(seed=5, people=20, tick=0)
    e = sandbox.start()
    db = open_sqlite(tmp_path / "live.sqlite3")
    try:
        remotes = Remotes(
            e.outreach_base_url,
            e.outreach_token,
            e.workbooks_base_url,
            e.workbooks_api_key,
            salesforce_base_url=e.salesforce_base_url,
            salesforce_token=e.salesforce_token,
        )
        service = SimpleNamespace(config=Config(), database=db, remotes=remotes)
        workspace = MappingWorkspace()
        workspace.set_service(MappingsService(db, service))
        await workspace.wait_idle()
        page = lead_page(qtbot, workspace)
        assert page.unmapped_values.count() == 0  # nothing read yet
        assert "never read" in page.read_info.text()
        qtbot.mouseClick(page.refresh, Qt.MouseButton.LeftButton)
        assert workspace.busy  # the window stays responsive: the refresh is a task
        await workspace.wait_idle()
        assert page.unmapped_values.count() == 7 and page.unmapped_stages.count() == 6
        dialog = page.open_dialog(None, "Nurturing")
        dialog.stage.setCurrentText("Nurture")
        assert dialog.create_stage.isVisible() and not ok_button(dialog).isEnabled()
        qtbot.mouseClick(dialog.create_stage, Qt.MouseButton.LeftButton)
        await workspace.wait_idle()
        assert ok_button(dialog).isEnabled()
        qtbot.mouseClick(ok_button(dialog), Qt.MouseButton.LeftButton)
        rule = workspace.mappings.status[StatusKind.LEAD].rules[0]
        assert (rule.crm_status, rule.stage_name, rule.stage_id) == ("Nurturing", "Nurture", 7)
        assert "Created stage" in page.message.text()
    finally:
        db.close()
        sandbox.stop()


async def test_the_window_has_the_pages_and_asks_before_leaving_unsaved_edits(
    qtbot: QtBot, tmp_path: Path
) -> None:
    from gui_fakes import FakeServices, FakeSyncService, eventually, succeeded_run

    from syncmonitor.app.config import Config
    from syncmonitor.ui.app import SyncMonitorApp
    from syncmonitor.ui.notifier import RecordingNotifier
    from syncmonitor.ui.sync_controller import Phase

    db = mapping_cache(tmp_path / "window.sqlite3")
    service = FakeSyncService(db)
    service.previous = succeeded_run(minutes_ago=2)
    services = FakeServices(service)
    gui = SyncMonitorApp(Config(), lambda: services, use_tray=False, notifier=RecordingNotifier())
    gui.start()
    try:
        await eventually(lambda: gui.controller.phase is Phase.IDLE)
        window = gui.window
        titles = [window.sidebar.item(i).text() for i in range(window.sidebar.count())]
        assert titles[:4] == ["People", "Lead Status", "Contact Status", "Field mappings"]
        lead = window.mapping_pages[0]
        window.sidebar.setCurrentRow(1)
        assert window.pages.currentWidget() is lead
        await lead.workspace.wait_idle()
        dialog = lead.open_dialog(None, "New")
        dialog.stage.setCurrentText("New")
        qtbot.mouseClick(ok_button(dialog), Qt.MouseButton.LeftButton)
        window.sidebar.setCurrentRow(2)  # another mapping page: no question
        assert window.pages.currentWidget() is window.mapping_pages[1]
        window.mapping_pages[1].ask_unsaved = lambda: QMessageBox.StandardButton.Cancel  # type: ignore[method-assign]
        window.sidebar.setCurrentRow(0)
        assert window.pages.currentWidget() is window.mapping_pages[1]  # kept on the page
        assert window.sidebar.currentRow() == 2
        window.mapping_pages[1].ask_unsaved = lambda: QMessageBox.StandardButton.Save  # type: ignore[method-assign]
        window.sidebar.setCurrentRow(0)
        assert window.pages.currentWidget() is window.people
        await lead.workspace.wait_idle()
        assert not lead.workspace.dirty

        # Quit from the tray with unsaved edits: asked first; Cancel keeps the app running.
        window.sidebar.setCurrentRow(1)
        dialog = lead.open_dialog(None, "Working")
        dialog.stage.setCurrentText("Approaching")
        qtbot.mouseClick(ok_button(dialog), Qt.MouseButton.LeftButton)
        assert lead.has_unsaved_changes()
        window.hide()
        asked: list[bool] = []

        def cancel() -> QMessageBox.StandardButton:
            asked.append(window.isVisible())  # the window came forward before the question
            return QMessageBox.StandardButton.Cancel

        lead.ask_unsaved = cancel  # type: ignore[method-assign]
        gui.quit_from_menu()
        assert asked == [True] and not gui.quitting
        lead.ask_unsaved = lambda: QMessageBox.StandardButton.Discard  # type: ignore[method-assign]
        gui.quit_from_menu()
        assert gui.quitting and not lead.workspace.dirty
    finally:
        await gui.shutdown()
        gui.window.deleteLater()
        db.close()
