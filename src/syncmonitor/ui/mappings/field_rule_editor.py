"""The selected field rule's editor: fields from the remote metadata, the direction, and every
advanced option, each disabled with the reason beside it when it does not apply."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, Protocol, cast

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QWidget,
)

from syncmonitor.domain.mappings.fields import (
    DEFAULT_CONFLICT_RULE,
    OPTION_LABELS,
    ConflictRule,
    Direction,
    FieldRule,
    direction_text,
    option_label,
    option_problems,
    with_option,
)
from syncmonitor.domain.mappings.values import FieldInfo, StatusKind
from syncmonitor.ui.widgets import named

CHECKBOXES = (
    "skip_empty_sending",
    "skip_empty_loading",
    "lookup",
    "lookup_by_name",
    "display_name",
)
TEXTS = ("external_placeholder", "internal_placeholder")


class RuleHost(Protocol):
    """The page the editor changes the selected rule on."""

    def change_rule(self, change: Callable[[FieldRule], FieldRule], label: str) -> None: ...


class RuleEditor(QGroupBox):
    """The selected rule's fields, direction and every advanced option."""

    def __init__(self, page: RuleHost) -> None:
        super().__init__("Selected mapping")
        self.page = page
        self.crm = QComboBox()
        self.outreach = QComboBox()
        self.direction = QComboBox()
        for direction in Direction:
            self.direction.addItem(direction.label, direction)
        self.enabled = QCheckBox("Enabled")
        self.checks = {name: QCheckBox(OPTION_LABELS[name]) for name in CHECKBOXES}
        self.texts = {name: QLineEdit() for name in TEXTS}
        self.texts["external_placeholder"].setPlaceholderText("text sent instead of a blank")
        self.texts["internal_placeholder"].setPlaceholderText("text loaded instead of a blank")
        self.mapped = QComboBox()
        self.mapped.setEditable(True)
        # Which side wins when both changed this field since the last sync (both-way rules).
        self.conflict = QComboBox()
        for rule in ConflictRule:
            default = " (default)" if rule is DEFAULT_CONFLICT_RULE else ""
            self.conflict.addItem(rule.label + default, rule.value)
        self.reasons = {
            name: named(QLabel(), "hint")
            for name in (*CHECKBOXES, *TEXTS, "external_mapped_field", "conflict_rule")
        }
        form = QFormLayout(self)
        form.addRow("CRM field:", self.crm)
        form.addRow("Direction:", self.direction)
        form.addRow("Outreach field:", self.outreach)
        form.addRow("", self.enabled)
        advanced = named(QLabel("Advanced options"), "sectionTitle")
        form.addRow(advanced)
        for name in ("skip_empty_sending", "skip_empty_loading"):
            form.addRow(self.checks[name])
            form.addRow(self.reasons[name])
        for name in TEXTS:
            form.addRow(OPTION_LABELS[name] + ":", self.texts[name])
            form.addRow(self.reasons[name])
        form.addRow(OPTION_LABELS["conflict_rule"] + ":", self.conflict)
        form.addRow(self.reasons["conflict_rule"])
        form.addRow(self.checks["lookup"])
        form.addRow(self.reasons["lookup"])
        form.addRow(OPTION_LABELS["external_mapped_field"] + ":", self.mapped)
        form.addRow(self.reasons["external_mapped_field"])
        for name in ("lookup_by_name", "display_name"):
            form.addRow(self.checks[name])
            form.addRow(self.reasons[name])
        for label in self.reasons.values():
            label.setWordWrap(True)
        self._loading = False
        self.crm.activated.connect(lambda _i: self._set_field("crm_field", self.crm.currentData()))
        self.outreach.activated.connect(
            lambda _i: self._set_field("outreach_field", self.outreach.currentData())
        )
        self.direction.activated.connect(
            lambda _i: self._set_field("direction", Direction(self.direction.currentData()))
        )
        self.enabled.toggled.connect(lambda on: self._set_field("enabled", on))
        for name, box in self.checks.items():
            box.toggled.connect(lambda on, name=name: self._set_option(name, on))
        for name, edit in self.texts.items():
            edit.editingFinished.connect(
                lambda name=name: self._set_option(name, self.texts[name].text())
            )
        self.conflict.activated.connect(
            lambda _i: self._set_option("conflict_rule", self.conflict.currentData())
        )
        mapped_edit = self.mapped.lineEdit()  # the combo is editable: it has one
        if mapped_edit is not None:
            mapped_edit.editingFinished.connect(
                lambda: self._set_option("external_mapped_field", self.mapped.currentText().strip())
            )
        self.mapped.activated.connect(
            lambda _i: self._set_option("external_mapped_field", self.mapped.currentText().strip())
        )

    def name_systems(self, crm: str) -> None:
        """Say "Outreach → Workbooks" (or Salesforce) rather than "the CRM" everywhere here."""
        for i in range(self.direction.count()):
            direction = Direction(self.direction.itemData(i))
            self.direction.setItemText(i, direction_text(direction, crm))
        for name, box in self.checks.items():
            box.setText(option_label(name, crm))

    def show_rule(
        self,
        rule: FieldRule | None,
        crm_fields: dict[str, FieldInfo],
        outreach_fields: dict[str, FieldInfo],
    ) -> None:
        self._loading = True
        try:
            self.setEnabled(rule is not None)
            if rule is None:
                return
            for combo, fields, current in (
                (self.crm, crm_fields, rule.crm_field),
                (self.outreach, outreach_fields, rule.outreach_field),
            ):
                combo.clear()
                for info in sorted(fields.values(), key=lambda f: f.label.casefold()):
                    suffix = " (read-only)" if info.read_only else ""
                    combo.addItem(f"{info.label} — {info.name}{suffix}", info.name)
                if combo.findData(current) < 0:
                    combo.addItem(
                        f"{current} (not in the metadata)" if current else "Choose…", current
                    )
                combo.setCurrentIndex(combo.findData(current))
            self.direction.setCurrentIndex(self.direction.findData(rule.direction))
            self.enabled.setChecked(rule.enabled)
            problems = option_problems(
                rule, crm_fields.get(rule.crm_field), outreach_fields.get(rule.outreach_field)
            )
            for name, box in self.checks.items():
                box.setChecked(bool(getattr(rule.options, name)))
            for name, edit in self.texts.items():
                edit.setText(getattr(rule.options, name))
            self.mapped.clear()
            self.mapped.addItems(
                [k.mapped_type for k in StatusKind] + ["name", "id", "created_through_reference"]
            )
            self.mapped.setCurrentText(rule.options.external_mapped_field)
            self.conflict.setCurrentIndex(
                max(0, self.conflict.findData(rule.options.conflict.value))
            )
            widgets: dict[str, QWidget] = {
                **self.checks,
                **self.texts,
                "external_mapped_field": self.mapped,
                "conflict_rule": self.conflict,
            }
            for name, widget in widgets.items():
                reason = problems[name]
                current = getattr(rule.options, name)
                if name == "conflict_rule":  # "set" means: not the default
                    current = current != DEFAULT_CONFLICT_RULE.value
                # A set option that no longer applies stays editable, so it can be turned off.
                widget.setEnabled(reason is None or bool(current))
                widget.setToolTip(reason or OPTION_LABELS[name])
                self.reasons[name].setText(f"Not available: {reason}" if reason else "")
                self.reasons[name].setVisible(bool(reason))
        finally:
            self._loading = False

    def _set_field(self, name: str, value: object) -> None:
        if not self._loading:
            self.page.change_rule(
                # `name` is one of FieldRule's fields, chosen at run time: checked by the rule
                lambda rule: replace(rule, **cast("dict[str, Any]", {name: value})),
                f"Change {name.replace('_', ' ')}",
            )

    def _set_option(self, name: str, value: object) -> None:
        if not self._loading:
            self.page.change_rule(lambda rule: with_option(rule, name, value), OPTION_LABELS[name])
