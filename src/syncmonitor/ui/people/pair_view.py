"""A person's two records side by side on the People page: the Workbooks person, the Outreach
prospect, every mapped field with both values and the value they last agreed on (from the cache,
as the last sync saw them; Refresh reads the cache again)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, cast

from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from syncmonitor.domain.two_way import display
from syncmonitor.ui import formatting
from syncmonitor.ui.models.lazy import background_reader, read_in_background
from syncmonitor.ui.style import bg_colour

if TYPE_CHECKING:  # types only: the engine loads after the window (ui/page_stack.py)
    from syncmonitor.engine.services.two_way import Link, LinkedPerson, TwoWayService
from syncmonitor.ui.widgets import named, section_title

COLUMNS = ("Field", "Workbooks", "Outreach", "Last synced")
DIFFERS = QColor("#fff4e5")
log = logging.getLogger(__name__)


class PairView(QWidget):
    """The linked Workbooks person and Outreach prospect of one person, field by field."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service: TwoWayService | None = None
        self._prospect: int | None = None
        self.loading = False  # the Refresh button's read is under way
        self._generation = 0
        self._reader = background_reader(self)
        self.summary = named(QLabel(), "personMeta")
        self.link: Link | None = None  # what the last refresh found
        self.summary.setWordWrap(True)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("Read the last synced values again from the cache")
        self.refresh_button.clicked.connect(self.refresh)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        title_row = QHBoxLayout()
        title_row.setContentsMargins(0, 0, 0, 0)
        title_row.addWidget(section_title("Workbooks and Outreach side by side"))
        title_row.addStretch(1)
        title_row.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(title_row)
        layout.addWidget(self.summary)
        layout.addWidget(self.table)

    def set_service(self, service: TwoWayService | None) -> None:
        self._service = service

    def show_prospect(self, prospect_id: int | None) -> None:
        """Read and show this prospect's link (on a reader thread)."""
        self._prospect = prospect_id
        self.refresh()

    def refresh(self) -> None:
        """Read the last synced values again from the cache, off the GUI thread."""
        service, prospect = self._service, self._prospect
        self._generation += 1
        if service is None or prospect is None:
            self.show_linked(None, None)
            return
        self.loading = True
        read_in_background(lambda: service.linked_person(prospect), self._reader, self._generation)

    def _on_read(self, generation: int, result: object, kind: str) -> None:
        if generation != self._generation:
            return  # another prospect (or none) was chosen meanwhile
        self.loading = False
        if isinstance(result, BaseException):
            log.warning("Reading a person's linked records failed: %s", result)
            return
        self.show_linked(self._prospect, cast("LinkedPerson", result))

    def show_linked(self, prospect: int | None, linked: LinkedPerson | None) -> None:
        """Show what was read of `prospect` (None: no Outreach prospect, the view hides)."""
        self._prospect = prospect
        self._generation += 1  # what the pane read with the person replaces a running refresh
        self.table.setRowCount(0)
        self.link = None
        if linked is None:
            self.setVisible(False)
            return
        link, saved = linked.link, linked.mappings
        self.setVisible(True)
        self.link = link
        if link is None:
            self.summary.setText(
                "Not linked by the two-way sync yet: the next full sync links this prospect to "
                "its Workbooks person (or creates it) if the person is in scope."
            )
            self.table.setVisible(False)
            return
        # Loaded with the first linked person shown, not with the window.
        from syncmonitor.app.config import WorkbooksSettings
        from syncmonitor.domain.mappings.apply import same
        from syncmonitor.domain.mappings.fields import FieldMapping, ObjectPair
        from syncmonitor.engine.two_way.outbound.kinds import person_kind
        from syncmonitor.engine.two_way.outbound.setup import with_implicit_loads

        mapping = (
            saved.fields[ObjectPair.PERSON_PROSPECT]
            if saved
            else FieldMapping(ObjectPair.PERSON_PROSPECT)
        )
        kind = person_kind(WorkbooksSettings())
        mapping = with_implicit_loads(kind, mapping)
        crm, outreach = link.crm_values, link.outreach_values
        rows: list[tuple[str, object, object, object, bool]] = [
            ("Id", crm.get("id", link.crm_id), outreach.get("id", link.outreach_id), "", False),
            (
                "Email",
                crm.get("main_location[email]"),
                display(outreach.get("emails")),
                "",
                False,
            ),
        ]
        for rule in mapping.rules:
            if not rule.enabled:
                continue
            crm_value, outreach_value = crm.get(rule.crm_field), outreach.get(rule.outreach_field)
            last = link.last_values.get(rule.crm_field)
            plain = rule.options.lookup is False
            rows.append(
                (
                    f"{rule.crm_field} ↔ {rule.outreach_field}",
                    crm_value,
                    outreach_value,
                    last,
                    plain and not same(crm_value, outreach_value),
                )
            )
        self.table.setVisible(True)
        self.table.setRowCount(len(rows))
        for row, (name, a, b, last, differs) in enumerate(rows):
            for column, value in enumerate((name, display(a), display(b), display(last))):
                item = QTableWidgetItem(value)
                item.setToolTip(value)
                if differs:
                    item.setBackground(QBrush(bg_colour("#fff4e5")))
                self.table.setItem(row, column, item)
        height = self.table.horizontalHeader().sizeHint().height()
        height += sum(self.table.rowHeight(r) for r in range(len(rows))) + 4
        self.table.setFixedHeight(min(height, 320))
        self.summary.setText(
            f"Workbooks person {link.crm_id} ↔ Outreach prospect {link.outreach_id} · last "
            f"synced {formatting.full_time(link.synced_at)}"
        )
