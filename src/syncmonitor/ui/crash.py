"""What happens to an exception nobody caught: it is logged and shown, and the app keeps running.

The dialog is non-modal and shown with show(), never exec(): a nested event loop inside async code
would let other tasks run re-entrantly. A burst of errors updates one dialog instead of stacking
dozens.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

log = logging.getLogger(__name__)


class CrashReporter:
    """A sys.excepthook that logs the traceback and shows it in one non-modal dialog."""

    def __init__(
        self,
        parent: Callable[[], QWidget | None],
        log_file: Path | None,
        on_interrupt: Callable[[], None] | None = None,
        cache_file: Path | None = None,
    ) -> None:
        self._parent = parent
        self._cache_file = cache_file
        self._log_file = log_file
        self._on_interrupt = on_interrupt
        self._previous = sys.excepthook
        self.dialog: QMessageBox | None = None
        self._count = 0

    def install(self) -> None:
        self._previous = sys.excepthook
        sys.excepthook = self

    def uninstall(self) -> None:
        if sys.excepthook is self:
            sys.excepthook = self._previous

    def __call__(
        self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(exc_type, KeyboardInterrupt) and self._on_interrupt is not None:
            self._on_interrupt()
            return
        log.error("Unexpected error", exc_info=(exc_type, exc, tb))
        try:
            self._show(exc_type, exc, tb)
        except Exception:  # never raise from the hook itself
            log.exception("Could not show the error dialog")

    def _show(
        self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        details = "".join(traceback.format_exception(exc_type, exc, tb))
        where = f" ({self._log_file})" if self._log_file else ""
        from syncmonitor.engine.bootstrap import explain_cache_fault  # only when it crashed

        cache = explain_cache_fault(exc, self._cache_file) if self._cache_file is not None else None
        if cache is not None:  # damaged, read-only, disk full: not a bug, and said so
            box = QMessageBox(self._parent())
            box.setIcon(QMessageBox.Icon.Critical)
            box.setWindowTitle(cache.title)
            box.setText(cache.what)
            box.setInformativeText(cache.todo)
            box.setDetailedText(details)
            box.setStandardButtons(QMessageBox.StandardButton.Close)
            box.setWindowModality(Qt.WindowModality.NonModal)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.show()
            return
        if self.dialog is not None and self.dialog.isVisible():
            self._count += 1
            self.dialog.setInformativeText(self._advice(where, self._count))
            self.dialog.setDetailedText(details + "\n" + (self.dialog.detailedText() or ""))
            return
        self._count = 0
        dialog = QMessageBox(self._parent())
        dialog.setIcon(QMessageBox.Icon.Critical)
        dialog.setWindowTitle("Unexpected error")
        dialog.setText(f"Sync Monitor hit an unexpected error: {exc_type.__name__}: {exc}")
        dialog.setInformativeText(self._advice(where, 0))
        dialog.setDetailedText(details)
        dialog.setStandardButtons(QMessageBox.StandardButton.Close)
        dialog.setWindowModality(Qt.WindowModality.NonModal)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(self._forget)
        self.dialog = dialog
        dialog.show()

    def _forget(self) -> None:
        self.dialog = None

    @staticmethod
    def _advice(where: str, more: int) -> str:
        extra = (
            f"\n\n{more} more error(s) since; all are in the details and the log." if more else ""
        )
        return (
            "Sync Monitor keeps running, but what you just did may not have finished. "
            f"Try it again; if the error comes back, send the log{where} to support." + extra
        )
