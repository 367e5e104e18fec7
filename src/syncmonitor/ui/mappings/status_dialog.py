"""The dialog that adds or edits one status rule, checking it as it is typed: one to one, the API
name against the CRM's live values (with the value probably meant), the stage against Outreach's
(with Create stage for one it does not have)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from syncmonitor.domain.mappings.statuses import (
    MappingRuleError,
    StatusMapping,
    StatusRule,
    add_rule,
    check_status_mapping,
    replace_rule,
)
from syncmonitor.domain.mappings.values import StatusKind
from syncmonitor.ui.mappings.common import issue_text
from syncmonitor.ui.mappings.workspace import MappingWorkspace
from syncmonitor.ui.style import fg
from syncmonitor.ui.widgets import named


class StatusRuleDialog(QDialog):
    """Add or edit one rule, checked as it is typed."""

    def __init__(
        self,
        workspace: MappingWorkspace,
        kind: StatusKind,
        index: int | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.workspace, self.kind, self.index = workspace, kind, index
        self.setWindowTitle(f"{'Edit' if index is not None else 'New'} {kind.label} mapping")
        self.setMinimumWidth(520)
        self.status = QComboBox()
        self.status.setEditable(True)
        self.stage = QComboBox()
        self.stage.setEditable(True)
        values = workspace.statuses(kind) or []
        self.status.addItems([v.api_name for v in values])
        self.stage.addItems([s.name for s in workspace.sources.stages or []])
        current = workspace.mappings.status[kind]
        if index is not None:
            rule = current.rules[index]
            self.status.setCurrentText(rule.crm_status)
            self.stage.setCurrentText(rule.stage_name)
        else:
            self.status.setCurrentText("")
            self.stage.setCurrentText("")
        self.message = named(QLabel(), "hint")
        self.message.setWordWrap(True)
        self.use_suggestion = QPushButton("Use suggestion")
        self.use_suggestion.clicked.connect(self._use_suggestion)
        self.create_stage = QPushButton("Create stage in Outreach")
        self.create_stage.clicked.connect(self._create_stage)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow(f"{kind.label}:", self.status)
        form.addRow("Outreach stage:", self.stage)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        row = QHBoxLayout()
        row.addWidget(self.use_suggestion)
        row.addWidget(self.create_stage)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addWidget(self.buttons)
        self._suggestion: tuple[str, str] | None = None
        self.result_mapping: StatusMapping | None = None
        self.status.currentTextChanged.connect(self.validate)
        self.stage.currentTextChanged.connect(self.validate)
        self.validate()

    def _rule(self) -> StatusRule:
        name = self.stage.currentText()
        stage = next((s for s in self.workspace.sources.stages or [] if s.name == name), None)
        return StatusRule(self.status.currentText(), name, stage.id if stage else None)

    def validate(self) -> bool:
        """Check the rule as typed; OK is enabled only for a rule that can be saved."""
        current = self.workspace.mappings.status[self.kind]
        rule = self._rule()
        self._suggestion = None
        self.result_mapping = None
        self.create_stage.setVisible(False)
        try:
            if self.index is None:
                candidate = add_rule(current, rule)
            else:
                candidate = replace_rule(current, self.index, rule)
        except MappingRuleError as exc:
            # Say what else is wrong with the names too, so one fix is not followed by another.
            alone = StatusMapping(self.kind, (rule,))
            more = [
                i
                for i in check_status_mapping(
                    alone, self.workspace.statuses(self.kind), self.workspace.sources.stages
                )
                if i.is_error and i.row == 0
            ]
            for issue in more:
                if issue.suggestion:
                    self._suggestion = (issue.column, issue.suggestion)
            return self._show(False, "\n".join([exc.message, issue_text(more)]).strip())
        row = len(candidate.rules) - 1 if self.index is None else self.index
        issues = [
            i
            for i in check_status_mapping(
                candidate, self.workspace.statuses(self.kind), self.workspace.sources.stages
            )
            if i.row == row
        ]
        errors = [i for i in issues if i.is_error]
        unknown_stage = any(i.column == "stage" and i.is_error for i in errors)
        self.create_stage.setVisible(unknown_stage and bool(rule.stage_name.strip()))
        for issue in errors:
            if issue.suggestion:
                self._suggestion = (issue.column, issue.suggestion)
        if errors:
            return self._show(False, issue_text(errors))
        self.result_mapping = candidate
        warnings = issue_text(issues)
        return self._show(True, warnings or "✓ Matches the live values exactly.")

    def _show(self, ok: bool, text: str) -> bool:
        self.message.setText(text)
        self.message.setStyleSheet("" if ok else f"color: {fg('#ae2a19')};")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)
        self.use_suggestion.setVisible(self._suggestion is not None)
        if self._suggestion is not None:
            self.use_suggestion.setText(f"Use {self._suggestion[1]!r}")
        if ok:
            self.create_stage.setVisible(False)
        return ok

    def _use_suggestion(self) -> None:
        if self._suggestion is None:
            return
        column, value = self._suggestion
        (self.status if column == "crm" else self.stage).setCurrentText(value)

    def _create_stage(self) -> None:
        name = self.stage.currentText()

        def created(stage: Any) -> None:
            if self.stage.findText(stage.name) < 0:
                self.stage.addItem(stage.name)
            self.stage.setCurrentText(stage.name)
            self.validate()

        self.workspace.create_stage(name, created)
