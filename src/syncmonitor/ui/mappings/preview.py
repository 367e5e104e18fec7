"""The dry-run preview dialog: pick cached sample records, see what a sync would send and load
under the mapping being edited, and what saving the edit would change (rows marked ●)."""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from syncmonitor.domain.mappings.apply import MappingContext
from syncmonitor.domain.mappings.fields import ObjectPair
from syncmonitor.domain.mappings.preview import PreviewRow, preview
from syncmonitor.domain.mappings.values import StatusKind
from syncmonitor.engine.services.mappings import SamplePair, crm_is_newer
from syncmonitor.ui.acts import acts
from syncmonitor.ui.mappings.workspace import MappingWorkspace
from syncmonitor.ui.style import bg_colour
from syncmonitor.ui.widgets import named

DIFF_BACKGROUND = QColor("#e2ebfc")


class PreviewDialog(QDialog):
    """Sample records on the left, the field-by-field outcome on the right."""

    COLUMNS = ("", "Direction", "Field", "Now", "With your edits", "With the saved mapping")

    def __init__(
        self, workspace: MappingWorkspace, pair: ObjectPair, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.workspace, self.pair = workspace, pair
        self.setWindowTitle(f"Preview: {pair.label}")
        self.resize(1180, 560)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Filter sample records by name")
        self.search.textChanged.connect(lambda _t: self.load())
        self.samples = QListWidget()
        self.samples.currentRowChanged.connect(lambda _r: self.show_current())
        self.read = QPushButton("Read samples from the remotes")
        acts(self.read)
        self.read.setToolTip("Read up to 50 linked records now (writes nothing)")
        self.read.clicked.connect(workspace.read_samples)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.search)
        left_layout.addWidget(self.samples, 1)
        left_layout.addWidget(self.read)
        left.setMaximumWidth(240)
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in ((0, 22), (1, 124), (2, 160), (3, 110), (4, 230)):
            self.table.setColumnWidth(column, width)
        header.setStretchLastSection(True)
        self.table.setWordWrap(True)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.summary = named(QLabel(), "hint")
        self.summary.setWordWrap(True)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.table, 1)
        right_layout.addWidget(self.summary)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 3)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        note = named(
            QLabel("Nothing is written: this shows what the next sync would do for these records."),
            "hint",
        )
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(splitter, 1)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(buttons)
        layout.addLayout(bottom)
        self._pairs: list[SamplePair] = []
        self._references: dict[str, Any] = {}
        self.rows: list[PreviewRow] = []
        self._task: asyncio.Task[None] | None = None
        workspace.changed.connect(self.show_current)
        workspace.sources_changed.connect(self.load)
        self.load()

    def load(self) -> None:
        if self.workspace.service is None:
            return
        self._task = asyncio.get_running_loop().create_task(self._load(self.search.text()))

    async def _load(self, search: str) -> None:
        assert self.workspace.service is not None
        pairs, references = await self.workspace.service.samples_async(self.pair, search)
        self._pairs, self._references = pairs, references
        self.samples.clear()
        for sample in pairs:
            item = QListWidgetItem(sample.label or f"Record {sample.crm_id}")
            item.setToolTip(f"CRM {sample.crm_id} ↔ Outreach {sample.outreach_id}")
            self.samples.addItem(item)
        if not pairs:
            self.summary.setText(
                "No sample records in the cache yet: press “Read samples from the remotes”, or "
                "run a sync with saved mappings."
            )
            self.table.setRowCount(0)
        else:
            self.samples.setCurrentRow(0)

    def show_current(self) -> None:
        row = self.samples.currentRow()
        if not 0 <= row < len(self._pairs):
            return
        sample = self._pairs[row]
        w = self.workspace
        live = {}
        for kind in StatusKind:
            values = w.statuses(kind)
            if values is not None:
                live[kind] = frozenset(v.api_name for v in values)
        ctx = MappingContext(
            crm_fields=w.sources.crm_fields.get(self.pair.crm_type) or {},
            outreach_fields=w.sources.outreach_fields.get(self.pair.outreach_type) or {},
            crm_records=self._references.get("crm", {}),
            outreach_records=self._references.get("outreach", {}),
            live_statuses=live if len(live) == len(StatusKind) else None,
            stage_ids=frozenset(s.id for s in w.sources.stages) if w.sources.stages else None,
        )
        self.rows = preview(
            w.mappings,
            w.history.saved,
            self.pair,
            sample.crm,
            sample.outreach,
            ctx,
            crm_is_newer=crm_is_newer(sample.crm, sample.outreach),
        )
        self.table.setRowCount(len(self.rows))
        stage_names = {s.id: s.name for s in w.sources.stages or []}
        for r, item in enumerate(self.rows):
            now = item.now
            if item.field == "stage" and isinstance(now, int):
                now = f"{stage_names.get(now, '?')} ({now})"
            cells = (
                "●" if item.differs else "",
                item.where,
                item.field,
                "(blank)" if now in (None, "") else str(now),
                self._shown(item.field, item.edited.text, stage_names),
                self._shown(item.field, item.saved.text, stage_names),
            )
            for c, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                cell.setToolTip(text)
                if item.differs:
                    cell.setBackground(bg_colour("#e2ebfc"))
                if c == 0:
                    cell.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.table.setItem(r, c, cell)
        changed = sum(1 for r in self.rows if r.differs)
        writes = sum(1 for r in self.rows if r.edited.writes)
        self.summary.setText(
            f"{sample.label}: the edited mapping writes {writes} field(s); saving it would "
            f"change what the sync does to {changed} field(s) of this record (marked ●)."
        )

    @staticmethod
    def _shown(field: str, text: str, stage_names: dict[int, str]) -> str:
        if field == "stage" and text.split(" ")[0].isdigit():
            stage_id = int(text.split(" ")[0])
            rest = text[len(str(stage_id)) :]
            return f"{stage_names.get(stage_id, '?')} ({stage_id}){rest}"
        return text
