"""The People page's filters: state, provider, sequence and when the state changed.

Each is a button with a menu of choices; each choice shows how many people it would give with
the other filters and the search kept ("Bounced  12"), read on a reader thread after every
change. A choice that would give no one is still offered (greyed count "0"), so the menu does
not reshuffle under the pointer. Choosing updates the list in place at once.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeyEvent, QMouseEvent
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QMenu,
    QToolButton,
    QWidget,
)

from syncmonitor.domain.people_filter import PROVIDER_NAMES, PeopleFilter, Period
from syncmonitor.domain.states import CanonicalState, Provider
from syncmonitor.engine.services.people import FilterCounts, SequenceCount
from syncmonitor.ui.widgets import named

# The states in the order an admin thinks of them: what needs attention first.
STATE_ORDER = (
    CanonicalState.OPTED_OUT,
    CanonicalState.BOUNCED,
    CanonicalState.FAILED,
    CanonicalState.FINISHED,
    CanonicalState.ACTIVE_RUNNING,
    CanonicalState.ACTIVE_PAUSED,
    CanonicalState.PENDING,
    CanonicalState.DISABLED,
    CanonicalState.NOT_ACTIVE,
    CanonicalState.UNKNOWN,
)
PERIOD_ORDER = (
    Period.ANY,
    Period.TODAY,
    Period.THIS_WEEK,
    Period.LAST_7_DAYS,
    Period.LAST_30_DAYS,
    Period.RANGE,
)
MAX_BUTTON_TEXT = 28


def choice_text(label: str, count: int | None) -> str:
    """ "Bounced (12)"; the label alone while the counts are read."""
    return label if count is None else f"{label} ({count:,})"


def period_label(period: Period) -> str:
    if period is Period.ANY:
        return "Any time"
    return period.value.capitalize() + ("…" if period is Period.RANGE else "")


def provider_name(provider: str) -> str:
    try:
        return PROVIDER_NAMES[Provider(provider)]
    except ValueError:
        return provider.title()


def _short(text: str) -> str:
    return text if len(text) <= MAX_BUTTON_TEXT else text[: MAX_BUTTON_TEXT - 1] + "…"


class ChoicesMenu(QMenu):
    """A menu of several choices that stays open while they are ticked (Bounced, then Failed);
    Esc or a click outside closes it."""

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        action = self.activeAction()
        if action is not None and action.isCheckable() and action.isEnabled():
            action.trigger()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        action = self.activeAction()
        keys = (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if action is not None and action.isCheckable() and event.key() in keys:
            action.trigger()
            return
        super().keyPressEvent(event)


class FilterButton(QToolButton):
    """A filter's button: its name, or its name and what is chosen ("State: Bounced")."""

    def __init__(self, name: str, object_name: str, *, several: bool = True) -> None:
        super().__init__()
        self.name = name
        named(self, object_name)
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.menu_ = ChoicesMenu(self) if several else QMenu(self)
        self.setMenu(self.menu_)
        self.show_chosen([])

    def show_chosen(self, chosen: list[str]) -> None:
        if not chosen:
            text = self.name
        else:
            text = f"{self.name}: {', '.join(chosen)}"
            if len(text) > MAX_BUTTON_TEXT and len(chosen) > 1:
                text = f"{self.name}: {len(chosen)} chosen"
        self.setText(_short(text))
        self.setToolTip(f"{self.name}: " + (", ".join(chosen) if chosen else "any"))
        self.setProperty("active", bool(chosen))
        self.style().unpolish(self)
        self.style().polish(self)


class PeopleFilterBar(QWidget):
    """The four filters and "Clear filters"; `changed` after every choice."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._filter = PeopleFilter()
        self._counts: FilterCounts | None = None
        self._sequences: list[SequenceCount] = []
        self._range_dialog: QDialog | None = None

        self.state_button = FilterButton("State", "stateFilter")
        self.provider_button = FilterButton("Provider", "providerFilter")
        self.sequence_button = FilterButton("Sequence", "sequenceFilter")
        self.changed_button = FilterButton("Changed", "changedFilter", several=False)
        self.clear_button = named(QToolButton(), "clearFilters")
        self.clear_button.setText("Clear filters")
        self.clear_button.setToolTip("Show everyone again (the search text stays)")
        self.clear_button.clicked.connect(self.clear)

        self.state_actions: dict[CanonicalState, QAction] = {}
        for state in STATE_ORDER:
            action = self.state_button.menu_.addAction(state.value)
            action.setCheckable(True)
            action.toggled.connect(self._on_states)
            self.state_actions[state] = action
        self.provider_actions: dict[Provider, QAction] = {}
        for provider in Provider:
            action = self.provider_button.menu_.addAction(PROVIDER_NAMES[provider])
            action.setCheckable(True)
            action.toggled.connect(self._on_providers)
            self.provider_actions[provider] = action
        self.sequence_actions: dict[tuple[str, int], QAction] = {}
        self.sequence_button.menu_.aboutToShow.connect(self._fill_sequences)
        self._fill_sequences()
        self.period_actions: dict[Period, QAction] = {}
        self._period_labels: dict[Period, str] = {}
        group = QActionGroup(self)
        group.setExclusive(True)
        for period in PERIOD_ORDER:
            label = period_label(period)
            self._period_labels[period] = label
            action = self.changed_button.menu_.addAction(label)
            action.setCheckable(True)
            group.addAction(action)
            action.triggered.connect(lambda _c=False, p=period: self._on_period(p))
            self.period_actions[period] = action
            if period is Period.ANY:
                self.changed_button.menu_.addSeparator()
        self.period_actions[Period.ANY].setChecked(True)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        for button in (
            self.state_button,
            self.provider_button,
            self.sequence_button,
            self.changed_button,
            self.clear_button,
        ):
            layout.addWidget(button)
        layout.addStretch(1)
        self._sync_buttons()

    # What the page reads and sets --------------------------------------------------------------

    def apply_to(self, base: PeopleFilter) -> PeopleFilter:
        """`base` (its search text) with the bar's filters."""
        f = self._filter
        return base.but(
            states=f.states,
            providers=f.providers,
            sequences=f.sequences,
            changed=f.changed,
            first_day=f.first_day,
            last_day=f.last_day,
        )

    def set_filter(self, people_filter: PeopleFilter) -> None:
        """Show `people_filter`'s choices (a named view opened); no `changed` signal."""
        self._filter = people_filter.but(text="")
        for state, action in self.state_actions.items():
            action.blockSignals(True)
            action.setChecked(state in people_filter.states)
            action.blockSignals(False)
        for provider, action in self.provider_actions.items():
            action.blockSignals(True)
            action.setChecked(provider in people_filter.providers)
            action.blockSignals(False)
        self._fill_sequences()
        self.period_actions[people_filter.changed].setChecked(True)
        self._sync_buttons()

    def clear(self) -> None:
        if self._filter.filters_states:
            self.set_filter(PeopleFilter())
            self.changed.emit()

    def set_sequences(self, found: list[SequenceCount]) -> None:
        """Every sequence in the cache (the menu's choices), by name."""
        self._sequences = found
        self._fill_sequences()
        self._sync_buttons()

    def set_counts(self, counts: FilterCounts | None) -> None:
        """How many people each choice would give (None: being read)."""
        self._counts = counts
        for state, action in self.state_actions.items():
            n = None if counts is None else counts.states.get(state, 0)
            action.setText(choice_text(state.value, n))
        for provider, action in self.provider_actions.items():
            n = None if counts is None else counts.providers.get(provider.value, 0)
            action.setText(choice_text(PROVIDER_NAMES[provider], n))
        for period, action in self.period_actions.items():
            n = None if counts is None else counts.periods.get(period)
            action.setText(choice_text(self._period_labels[period], n))
        self._fill_sequences()

    # Choices -----------------------------------------------------------------------------------

    def _fill_sequences(self) -> None:
        menu = self.sequence_button.menu_
        found = self._counts.sequences if self._counts else []
        counted = {(s.provider, s.sequence_id): s.people for s in found}
        known = {(s.provider, s.sequence_id): s for s in self._sequences}
        for s in found:
            known.setdefault((s.provider, s.sequence_id), s)
        providers = {key[0] for key in known}
        menu.clear()
        self.sequence_actions = {}
        if not known:
            empty = menu.addAction("No sequences in the cache yet")
            empty.setEnabled(False)
            return
        for key, s in sorted(known.items(), key=lambda kv: (kv[1].name.lower(), kv[0])):
            label = s.name if len(providers) == 1 else f"{s.name} ({provider_name(s.provider)})"
            n = counted.get(key, 0) if self._counts else None
            action = menu.addAction(choice_text(label, n))
            action.setCheckable(True)
            action.setChecked(key in self._filter.sequences)
            action.toggled.connect(lambda on, k=key: self._on_sequence(k, on))
            self.sequence_actions[key] = action

    def _on_states(self) -> None:
        chosen = frozenset(s for s, a in self.state_actions.items() if a.isChecked())
        self._set(self._filter.but(states=chosen))

    def _on_providers(self) -> None:
        chosen = frozenset(p for p, a in self.provider_actions.items() if a.isChecked())
        self._set(self._filter.but(providers=chosen))

    def _on_sequence(self, key: tuple[str, int], on: bool) -> None:
        chosen = set(self._filter.sequences)
        (chosen.add if on else chosen.discard)(key)
        self._set(self._filter.but(sequences=frozenset(chosen)))

    def _on_period(self, period: Period) -> None:
        if period is Period.RANGE:
            self._ask_range()
            return
        self._set(self._filter.but(changed=period, first_day=None, last_day=None))

    def _set(self, new: PeopleFilter) -> None:
        if new != self._filter:
            self._filter = new
            self._sync_buttons()
            self.changed.emit()

    def _sync_buttons(self) -> None:
        f = self._filter
        self.state_button.show_chosen([s.value for s in STATE_ORDER if s in f.states])
        self.provider_button.show_chosen([PROVIDER_NAMES[p] for p in Provider if p in f.providers])
        names = {(s.provider, s.sequence_id): s.name for s in self._sequences}
        self.sequence_button.show_chosen(
            sorted(names.get(k, f"Sequence {k[1]}") for k in f.sequences)
        )
        if f.changed is Period.RANGE:
            first = f.first_day.isoformat() if f.first_day else "…"
            last = f.last_day.isoformat() if f.last_day else "…"
            self.changed_button.show_chosen([f"{first} – {last}"])
        else:
            self.changed_button.show_chosen([] if f.changed is Period.ANY else [f.changed.value])
        self.clear_button.setEnabled(f.filters_states)

    # A date range (a small window-modal dialog opened with open(), never exec()) -------------

    def _ask_range(self) -> None:
        if self._range_dialog is not None:
            self._range_dialog.raise_()
            return
        dialog = named(QDialog(self.window()), "dateRange")
        dialog.setWindowTitle("State changed between")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        today = date.today()
        first = QDateEdit(_qdate(self._filter.first_day or today.replace(day=1)))
        last = QDateEdit(_qdate(self._filter.last_day or today))
        for edit in (first, last):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("d MMM yyyy")
            edit.setMaximumDate(_qdate(today))
        named(first, "firstDay")
        named(last, "lastDay")
        form = QFormLayout(dialog)
        form.addRow("From", first)
        form.addRow("To (included)", last)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)

        def check() -> None:
            ok.setEnabled(first.date() <= last.date())
            ok.setToolTip("" if ok.isEnabled() else "The first day comes after the last one")

        first.dateChanged.connect(check)
        last.dateChanged.connect(check)
        buttons.accepted.connect(dialog.accept)
        buttons.rejected.connect(dialog.reject)
        form.addRow(buttons)
        self._range_dialog = dialog

        def finished(result: int) -> None:
            self._range_dialog = None
            if result == QDialog.DialogCode.Accepted:
                self._set(
                    self._filter.but(
                        changed=Period.RANGE,
                        first_day=first.date().toPython(),
                        last_day=last.date().toPython(),
                    )
                )
            self.period_actions[self._filter.changed].setChecked(True)
            dialog.deleteLater()

        dialog.finished.connect(finished)
        dialog.open()


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)
