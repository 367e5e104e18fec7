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
    QLayout,
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
        for box in (self.status, self.stage):  # the layout sets the dialog's size from these
            box.setMinimumWidth(380)
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
        # One button per near miss: the CRM value's and the stage's, each fixing its own field.
        self.use_status_suggestion = named(QPushButton(), "useStatusSuggestion")
        self.use_status_suggestion.clicked.connect(self._use_status_suggestion)
        self.use_stage_suggestion = named(QPushButton(), "useStageSuggestion")
        self.use_stage_suggestion.clicked.connect(self._use_stage_suggestion)
        self.use_suggestion = self.use_stage_suggestion  # the older name, kept for callers
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
        # The dialog grows with its message, so a two-line hint is never cut at top or bottom.
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
        layout.addLayout(form)
        layout.addWidget(self.message)
        row = QHBoxLayout()
        row.addWidget(self.use_status_suggestion)
        row.addWidget(self.use_stage_suggestion)
        row.addStretch(1)  # Create stage keeps its distance from the typo fixes
        row.addWidget(self.create_stage)
        layout.addLayout(row)
        layout.addWidget(self.buttons)
        self._suggestions: dict[str, str] = {}
        self.result_mapping: StatusMapping | None = None
        # Nothing is called wrong before the person has typed: an empty new rule only says
        # what to choose, and OK stays disabled until the rule can be saved.
        self._touched = {"crm": index is not None, "stage": index is not None}
        # Bound methods, not lambdas: Qt drops them when the dialog goes, while the combo boxes
        # still emit as they are destroyed.
        self.status.currentTextChanged.connect(self._status_edited)
        self.stage.currentTextChanged.connect(self._stage_edited)
        self.validate()

    def _status_edited(self, _text: str) -> None:
        self._touched["crm"] = True
        self.validate()

    def _stage_edited(self, _text: str) -> None:
        self._touched["stage"] = True
        self.validate()

    def _rule(self) -> StatusRule:
        name = self.stage.currentText()
        stage = next((s for s in self.workspace.sources.stages or [] if s.name == name), None)
        return StatusRule(self.status.currentText(), name, stage.id if stage else None)

    def validate(self) -> bool:
        """Check the rule as typed; OK is enabled only for a rule that can be saved."""
        current = self.workspace.mappings.status[self.kind]
        rule = self._rule()
        self._suggestions = {}
        self.result_mapping = None
        self.create_stage.setVisible(False)
        empty = [
            (column, what)
            for column, what, text in (
                ("crm", f"the {self.kind.label} value", rule.crm_status),
                ("stage", "the Outreach stage", rule.stage_name),
            )
            if not text.strip()
        ]
        if empty:
            if not any(self._touched[column] for column, _ in empty):
                choose = " and ".join(what for _, what in empty)
                return self._show(False, f"Choose {choose}.", neutral=True)
            return self._show(False, " ".join(f"Choose {w}: it is empty." for _, w in empty))
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
                    self._suggestions[issue.column] = issue.suggestion
            return self._show(False, _once([exc.message, issue_text(more)]))
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
                self._suggestions[issue.column] = issue.suggestion
        if errors:
            return self._show(False, _once([issue_text(errors)]))
        self.result_mapping = candidate
        warnings = issue_text(issues)
        return self._show(True, warnings or "✓ Matches the live values exactly.")

    def _show(self, ok: bool, text: str, *, neutral: bool = False) -> bool:
        self.message.setText(text)
        self.message.setStyleSheet("" if ok or neutral else f"color: {fg('#ae2a19')};")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)
        for column, button in (
            ("crm", self.use_status_suggestion),
            ("stage", self.use_stage_suggestion),
        ):
            value = self._suggestions.get(column)
            button.setVisible(value is not None)
            if value is not None:
                button.setText(f"Use {value!r}")
                what = self.kind.label if column == "crm" else "stage"
                button.setToolTip(f"Put {value!r} in the {what} field")
        if ok:
            self.create_stage.setVisible(False)
        # A word-wrapped label does not tell the layout the height it needs at its width, so
        # the dialog kept its old height and cut the first and last lines: reserve it here.
        width = max(self.message.width(), self.minimumWidth() - 24)
        self.message.setMinimumHeight(max(self.message.heightForWidth(width), 0))
        layout = self.layout()
        if layout is not None:
            layout.activate()  # grow now, not a frame later with the text cut meanwhile
        return ok

    def _use_status_suggestion(self) -> None:
        self._use_suggestion("crm")

    def _use_stage_suggestion(self) -> None:
        self._use_suggestion("stage")

    def _use_suggestion(self, column: str = "stage") -> None:
        value = self._suggestions.get(column)
        if value is not None:
            (self.status if column == "crm" else self.stage).setCurrentText(value)

    def _create_stage(self) -> None:
        name = self.stage.currentText()

        def created(stage: Any) -> None:
            if self.stage.findText(stage.name) < 0:
                self.stage.addItem(stage.name)
            self.stage.setCurrentText(stage.name)
            self.validate()

        self.workspace.create_stage(name, created)


def _once(texts: list[str]) -> str:
    """The messages, each said once: "The stage name is empty. Correct it…" and "Error: The
    stage name is empty." are one message, not two."""
    seen: set[str] = set()
    lines: list[str] = []
    for text in texts:
        for line in text.splitlines():
            key = line.strip().removeprefix("Error: ").removeprefix("Warning: ").split(". ")[0]
            key = key.rstrip(".").casefold()
            if line.strip() and key not in seen:
                seen.add(key)
                lines.append(line.strip())
    return "\n".join(lines)
