"""The Lead Status and Contact Status mapping editors: CRM status to Outreach stage, one to one.

The table shows each rule with its problems inline (red: cannot be saved; amber: saved but the
sync skips it). Values nobody maps are listed beside it, on both sides. Add and Edit open a small
dialog that checks the API name against the live CRM values as it is typed and offers the value
probably meant; a stage Outreach does not have can be created there.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from syncmonitor.domain.mappings.statuses import (
    Issue,
    StatusMapping,
    StatusRule,
    remove_rule,
)
from syncmonitor.domain.mappings.values import CrmSource, StatusKind
from syncmonitor.ui.acts import acts
from syncmonitor.ui.mappings.common import (
    EditorBar,
    MessageLine,
    error_background,
    issue_text,
    unmapped_background,
    warning_background,
)
from syncmonitor.ui.mappings.editor_page import MappingEditorPage
from syncmonitor.ui.mappings.status_dialog import StatusRuleDialog
from syncmonitor.ui.mappings.workspace import MappingWorkspace
from syncmonitor.ui.models.rule_table import RulesTableModel, check_text
from syncmonitor.ui.widgets import compact_table, named, section_title


class StatusRulesModel(RulesTableModel[StatusRule]):
    """The rules of one status mapping, with their problems."""

    HEADERS = ("CRM status (API name)", "Outreach stage", "Check")

    def cell(self, rule: StatusRule, issues: list[Issue], column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return rule.crm_status
            if column == 1:
                return rule.stage_name
            return check_text(issues)
        if role == Qt.ItemDataRole.ToolTipRole:
            return issue_text(issues) or "Matches the live values exactly."
        if role == Qt.ItemDataRole.BackgroundRole and issues:
            wanted = {0: "crm", 1: "stage"}.get(column)
            relevant = [i for i in issues if wanted is None or i.column == wanted]
            if any(i.is_error for i in relevant):
                return error_background()
            if relevant:
                return warning_background()
        return None


class StatusMappingPage(MappingEditorPage):
    """Map one kind of CRM status (lead or contact) to Outreach stages."""

    def __init__(self, workspace: MappingWorkspace, kind: StatusKind) -> None:
        super().__init__(workspace)
        self.kind = kind
        self.title = kind.label
        self.icon_name = "mapping"
        heading = named(QLabel(f"{kind.label} → Outreach stage"), "personName")
        self.source = QComboBox()
        for source in CrmSource:
            self.source.addItem(f"CRM: {source.label}", source)
        self.source.setToolTip("Where the CRM's status values come from")
        self.source.activated.connect(self._source_chosen)
        self.refresh = QPushButton("Refresh values")
        acts(self.refresh)
        self.refresh.setToolTip("Read the stages and the CRM's status values again")
        self.refresh.clicked.connect(workspace.refresh)
        self.read_info = named(QLabel(), "hint")
        top = QHBoxLayout()
        top.addWidget(heading)
        top.addStretch(1)
        top.addWidget(self.read_info)
        top.addWidget(self.source)
        top.addWidget(self.refresh)

        self.add = QPushButton("Add…")
        self.edit = QPushButton("Edit…")
        self.remove = QPushButton("Remove")
        self.add.clicked.connect(lambda: self.open_dialog(None))
        self.edit.clicked.connect(self._edit_current)
        self.remove.clicked.connect(self._remove_current)
        rows = QHBoxLayout()
        for button in (self.add, self.edit, self.remove):
            rows.addWidget(button)
        rows.addStretch(1)

        self.model = StatusRulesModel(self)
        self.table = compact_table(self.model)
        self.table.setColumnWidth(0, 220)
        self.table.setColumnWidth(1, 180)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(lambda index: self.open_dialog(index.row()))
        QShortcut(QKeySequence.StandardKey.Delete, self.table, self._remove_current)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._update_buttons())

        self.unmapped_values = QListWidget()
        self.unmapped_stages = QListWidget()
        for widget in (self.unmapped_values, self.unmapped_stages):
            widget.setAlternatingRowColors(False)
        self.unmapped_values.itemDoubleClicked.connect(self._add_for_value)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(8, 0, 0, 0)
        self.values_title = section_title("CRM values not mapped")
        self.stages_title = section_title("Stages not mapped")
        side_layout.addWidget(self.values_title)
        side_layout.addWidget(self.unmapped_values, 1)
        side_layout.addWidget(self.stages_title)
        side_layout.addWidget(self.unmapped_stages, 1)
        splitter = QSplitter()
        splitter.addWidget(self.table)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        self.general = named(QLabel(), "hint")
        self.general.setWordWrap(True)

        self.bar = EditorBar(workspace)
        self.bar.preview_requested.connect(self.open_preview)
        self.message = MessageLine(workspace)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(8)
        layout.addLayout(top)
        layout.addWidget(self.bar)
        layout.addWidget(self.message)
        layout.addLayout(rows)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.general)
        workspace.changed.connect(self.reload)
        workspace.sources_changed.connect(self.reload)
        self.reload()

    @property
    def mapping(self) -> StatusMapping:
        return self.workspace.mappings.status[self.kind]

    def reload(self) -> None:
        w = self.workspace
        current_row = self.table.currentIndex().row()
        issues = w.status_issues(self.kind)
        self.model.set_rules(self.mapping.rules, issues)
        if 0 <= current_row < self.model.rowCount():
            self.table.selectRow(current_row)
        self.source.setCurrentIndex(self.source.findData(w.mappings.crm_source))
        values = w.statuses(self.kind)
        self.unmapped_values.clear()
        self.unmapped_stages.clear()
        if values is not None:
            mapped = {r.crm_status for r in self.mapping.rules}
            for v in sorted(values, key=lambda v: v.sort_order):
                if v.api_name not in mapped:
                    item = QListWidgetItem(v.api_name + (" (converted)" if v.is_converted else ""))
                    item.setData(Qt.ItemDataRole.UserRole, v.api_name)
                    item.setBackground(unmapped_background())
                    item.setToolTip(
                        "Not mapped: people with this status are not synced. "
                        "Double-click to map it."
                    )
                    self.unmapped_values.addItem(item)
        if w.sources.stages is not None:
            mapped_ids = {r.stage_id for r in self.mapping.rules}
            mapped_names = {r.stage_name for r in self.mapping.rules}
            for stage in w.sources.stages:
                if stage.id not in mapped_ids and stage.name not in mapped_names:
                    item = QListWidgetItem(stage.name)
                    item.setBackground(unmapped_background())
                    item.setToolTip("No CRM status maps to this stage")
                    self.unmapped_stages.addItem(item)
        self.values_title.setText(f"CRM values not mapped ({self.unmapped_values.count()})")
        self.stages_title.setText(f"Stages not mapped ({self.unmapped_stages.count()})")
        general = issue_text([i for i in issues if i.row is None])
        if w.mappings.crm_source is CrmSource.SALESFORCE:
            general = (
                "Checked against Salesforce's values. The sync itself runs between Workbooks and "
                "Outreach, so it applies status mappings only when the CRM is Workbooks; export "
                "these to use them elsewhere.\n" + general
            ).strip()
        self.general.setText(general)
        self.general.setVisible(bool(general))
        source = w.mappings.crm_source.value
        read = w.sources.read_at.get(f"{source}:{self.kind.value}")
        self.read_info.setText(
            f"Values read {read[:16].replace('T', ' ')} UTC" if read else "Values never read"
        )
        self._update_buttons()

    def _update_buttons(self) -> None:
        has_row = self.table.currentIndex().isValid()
        self.edit.setEnabled(has_row)
        self.remove.setEnabled(has_row)

    def _source_chosen(self) -> None:
        data = self.source.currentData()  # Qt hands a StrEnum back as its text
        source = CrmSource(data) if data else None
        if source is not None and source is not self.workspace.mappings.crm_source:
            from dataclasses import replace

            self.workspace.apply(
                replace(self.workspace.mappings, crm_source=source), f"CRM source {source.label}"
            )

    def open_dialog(self, index: int | None, preset: str = "") -> StatusRuleDialog:
        dialog = StatusRuleDialog(self.workspace, self.kind, index, self)
        if preset:
            dialog.status.setCurrentText(preset)
        dialog.accepted.connect(lambda: self._accept(dialog))
        dialog.open()
        return dialog

    def _accept(self, dialog: StatusRuleDialog) -> None:
        if dialog.result_mapping is not None:
            verb = "Edit" if dialog.index is not None else "Add"
            self.workspace.apply(
                self.workspace.mappings.with_status(dialog.result_mapping),
                f"{verb} {self.kind.label} {dialog.status.currentText()!r}",
            )

    def _edit_current(self) -> None:
        index = self.table.currentIndex()
        if index.isValid():
            self.open_dialog(index.row())

    def _remove_current(self) -> None:
        index = self.table.currentIndex()
        if not index.isValid():
            return
        rule = self.mapping.rules[index.row()]
        self.workspace.apply(
            self.workspace.mappings.with_status(remove_rule(self.mapping, index.row())),
            f"Remove {rule.crm_status!r}",
        )

    def _add_for_value(self, item: QListWidgetItem) -> None:
        self.open_dialog(None, str(item.data(Qt.ItemDataRole.UserRole)))
