"""The field mapping editor: per object pair, CRM field to Outreach field, direction and options.

Fields are chosen from the remote metadata. Every advanced option sits in the rule's editor and
is disabled, with the reason beside it, when it does not apply (`option_problems`), the same rule
the saved data is checked with.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from syncmonitor.domain.mappings.fields import (
    Direction,
    FieldMapping,
    FieldRule,
    ObjectPair,
)
from syncmonitor.domain.mappings.statuses import Issue
from syncmonitor.domain.mappings.values import FieldInfo
from syncmonitor.ui.mappings.common import (
    EditorBar,
    MessageLine,
    error_background,
    issue_text,
    warning_background,
)
from syncmonitor.ui.mappings.editor_page import MappingEditorPage
from syncmonitor.ui.mappings.field_rule_editor import RuleEditor
from syncmonitor.ui.mappings.workspace import MappingWorkspace
from syncmonitor.ui.models.rule_table import RulesTableModel, check_text
from syncmonitor.ui.widgets import AdaptiveSplitter, compact_table, named

ARROWS = {Direction.SEND: "←", Direction.LOAD: "→", Direction.BOTH: "↔"}


def _summary(rule: FieldRule) -> str:
    o = rule.options
    parts = []
    if o.lookup:
        parts.append(f"lookup {o.external_mapped_field or ''}".strip())
    if o.lookup_by_name:
        parts.append("by name")
    if o.display_name:
        parts.append("shows name")
    if o.skip_empty_sending:
        parts.append("skip empty ←")
    if o.skip_empty_loading:
        parts.append("skip empty →")
    if o.external_placeholder:
        parts.append(f"blank ← {o.external_placeholder!r}")
    if o.internal_placeholder:
        parts.append(f"blank → {o.internal_placeholder!r}")
    return ", ".join(parts)


class FieldRulesModel(RulesTableModel[FieldRule]):
    HEADERS = ("CRM field", "", "Outreach field", "Options", "Check")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.labels: dict[str, str] = {}

    def set_field_rules(
        self, rules: tuple[FieldRule, ...], issues: list[Issue], labels: dict[str, str]
    ) -> None:
        self.labels = labels
        self.set_rules(rules, issues)

    def cell(self, rule: FieldRule, issues: list[Issue], c: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            if c == 0:
                return self.labels.get(f"crm:{rule.crm_field}", rule.crm_field)
            if c == 1:
                return ARROWS[rule.direction]
            if c == 2:
                return self.labels.get(f"outreach:{rule.outreach_field}", rule.outreach_field)
            if c == 3:
                return _summary(rule) + ("" if rule.enabled else " (off)")
            return check_text(issues)
        if role == Qt.ItemDataRole.ToolTipRole:
            return issue_text(issues) or rule.direction.label
        if role == Qt.ItemDataRole.BackgroundRole and issues:
            return error_background() if any(i.is_error for i in issues) else warning_background()
        if role == Qt.ItemDataRole.ForegroundRole and not rule.enabled:
            return Qt.GlobalColor.gray
        return None


class FieldMappingPage(MappingEditorPage):
    """Field mappings per object pair, with every advanced option."""

    title = "Field mappings"
    icon_name = "fields"

    def __init__(self, workspace: MappingWorkspace) -> None:
        super().__init__(workspace)
        heading = named(QLabel("Field mappings"), "personName")
        self.pair = QComboBox()
        for pair in ObjectPair:
            self.pair.addItem(pair.label, pair)
        self.pair.currentIndexChanged.connect(lambda _i: self.reload())
        refresh = QPushButton("Refresh fields")
        refresh.setToolTip("Read the field metadata from the CRM again")
        refresh.clicked.connect(workspace.refresh)
        top = QHBoxLayout()
        top.addWidget(heading)
        top.addStretch(1)
        top.addWidget(QLabel("Records:"))
        top.addWidget(self.pair)
        top.addWidget(refresh)

        self.add = QPushButton("Add")
        self.remove = QPushButton("Remove")
        self.up = QPushButton("Move up")
        self.down = QPushButton("Move down")
        self.up.setToolTip("Rules apply top to bottom: a lower rule writing the same field wins")
        self.add.clicked.connect(self._add)
        self.remove.clicked.connect(self._remove)
        self.up.clicked.connect(lambda: self._move(-1))
        self.down.clicked.connect(lambda: self._move(1))
        buttons = QHBoxLayout()
        for button in (self.add, self.remove, self.up, self.down):
            buttons.addWidget(button)
        buttons.addStretch(1)

        self.model = FieldRulesModel(self)
        self.table = compact_table(self.model)
        for column, width in ((0, 200), (1, 28), (2, 160), (3, 200)):
            self.table.setColumnWidth(column, width)
        self.table.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._show_selected())
        self.editor = RuleEditor(self)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.editor)
        scroll.setMinimumWidth(380)
        # Side by side from 1200 px; below, the selected mapping's editor goes under the list,
        # which keeps its Options and Check columns in view.
        splitter = AdaptiveSplitter(wide_from=1200, stacked_share=0.35)
        self.splitter = splitter
        splitter.addWidget(self.table)
        splitter.addWidget(scroll)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
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
        layout.addLayout(buttons)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.general)
        workspace.changed.connect(self.reload)
        workspace.sources_changed.connect(self.reload)
        self.reload()

    @property
    def current_pair(self) -> ObjectPair:
        pair = self.pair.currentData()  # Qt hands a StrEnum back as its text
        return ObjectPair(pair) if pair else ObjectPair.PERSON_PROSPECT

    @property
    def preview_pair(self) -> ObjectPair:
        return self.current_pair

    @property
    def mapping(self) -> FieldMapping:
        return self.workspace.mappings.fields[self.current_pair]

    def _fields(self) -> tuple[dict[str, FieldInfo], dict[str, FieldInfo]]:
        s = self.workspace.sources
        pair = self.current_pair
        return s.crm_fields.get(pair.crm_type) or {}, s.outreach_fields.get(
            pair.outreach_type
        ) or {}

    def reload(self) -> None:
        row = self.table.currentIndex().row()
        crm, outreach = self._fields()
        labels = {f"crm:{n}": f.label for n, f in crm.items()}
        labels.update({f"outreach:{n}": f.label for n, f in outreach.items()})
        issues = self.workspace.field_issues(self.current_pair)
        self.model.set_field_rules(self.mapping.rules, issues, labels)
        if self.model.rowCount():
            self.table.selectRow(min(max(row, 0), self.model.rowCount() - 1))
        general = [i for i in issues if i.row is None]
        missing = []
        if not crm:
            missing.append("CRM field metadata has not been read: use Refresh fields.")
        self.general.setText("\n".join(missing) + issue_text(general))
        self.general.setVisible(bool(missing or general))
        self._show_selected()

    def _show_selected(self) -> None:
        index = self.table.currentIndex()
        rule = (
            self.mapping.rules[index.row()]
            if index.isValid() and index.row() < len(self.mapping.rules)
            else None
        )
        self.editor.name_systems(self.workspace.mappings.crm_source.label)
        self.editor.show_rule(rule, *self._fields())
        self.remove.setEnabled(rule is not None)
        self.up.setEnabled(rule is not None and index.row() > 0)
        self.down.setEnabled(rule is not None and index.row() < len(self.mapping.rules) - 1)

    def change_rule(self, change: Any, label: str) -> None:
        index = self.table.currentIndex()
        if not index.isValid():
            return
        rules = list(self.mapping.rules)
        rules[index.row()] = change(rules[index.row()])
        self.workspace.apply(
            self.workspace.mappings.with_fields(replace(self.mapping, rules=tuple(rules))), label
        )

    def _add(self) -> None:
        rules = (*self.mapping.rules, FieldRule("", "", Direction.BOTH))
        self.workspace.apply(
            self.workspace.mappings.with_fields(replace(self.mapping, rules=rules)),
            f"Add {self.current_pair.label} mapping",
        )
        self.table.selectRow(len(rules) - 1)

    def _remove(self) -> None:
        index = self.table.currentIndex()
        if not index.isValid():
            return
        rules = list(self.mapping.rules)
        removed = rules.pop(index.row())
        self.workspace.apply(
            self.workspace.mappings.with_fields(replace(self.mapping, rules=tuple(rules))),
            f"Remove {removed.crm_field or 'mapping'}",
        )

    def _move(self, step: int) -> None:
        index = self.table.currentIndex()
        row = index.row()
        rules = list(self.mapping.rules)
        if not index.isValid() or not 0 <= row + step < len(rules):
            return
        rules[row], rules[row + step] = rules[row + step], rules[row]
        self.workspace.apply(
            self.workspace.mappings.with_fields(replace(self.mapping, rules=tuple(rules))),
            "Move mapping",
        )
        self.table.selectRow(row + step)
