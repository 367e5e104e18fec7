"""The main window's menu bar: every action and its shortcut in one place people can look.

The toolbar shows the few actions used every day; the menu bar lists all of them with their keys
(Ctrl+1 to Ctrl+8 for the pages, F5 to sync, Ctrl+. or Shift+F5 to cancel). Esc is left to what
it means everywhere else: close a popup, clear a search. It never cancels a sync.

Cancel asks first while the running sync writes to Workbooks or Outreach: a cancel then stops
after the batch in flight, so the remote keeps part of the run's writes, which is worth a
second's thought. The question is a window-modal box opened with open(), never exec().
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMessageBox

from syncmonitor.ui.sandbox_menu import SandboxMenu

if TYPE_CHECKING:
    from syncmonitor.ui.main_window import MainWindow

CANCEL_KEYS = (QKeySequence("Ctrl+."), QKeySequence("Shift+F5"))
UNDO_KEYS = (QKeySequence("Ctrl+Z"),)
# Redo answers to both keys on every platform: Windows people press Ctrl+Y, Mac and Linux
# people Ctrl+Shift+Z, and Qt's StandardKey.Redo binds only one of them on some desktops.
REDO_KEYS = (QKeySequence("Ctrl+Y"), QKeySequence("Ctrl+Shift+Z"))
SAVE_KEYS = (QKeySequence("Ctrl+S"),)
SETTINGS_KEYS = (QKeySequence("Ctrl+,"),)
QUIT_KEYS = (QKeySequence("Ctrl+Q"),)

CANCEL_QUESTION = "Cancel this sync while it writes?"
CANCEL_DETAIL = (
    "Sync Monitor is writing to Workbooks or Outreach right now. Cancel stops after the batch "
    "it is sending, so the records written so far stay changed and the rest wait for the next "
    "sync. Nothing is left half-written."
)


def key_text(keys: tuple[QKeySequence, ...]) -> str:
    """The keys as the platform writes them ("Ctrl+." or "⌘." on a Mac), joined by "or"."""
    return " or ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in keys)


def set_keys(action: QAction, keys: tuple[QKeySequence, ...]) -> None:
    action.setShortcuts(list(keys))
    action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)


def request_cancel(window: MainWindow) -> None:
    """Cancel the running sync; while it writes to a remote, ask first."""
    controller = window.controller
    if not controller.writing_back:
        controller.cancel()
        return
    if window.cancel_question is not None:
        window.cancel_question.raise_()
        return
    box = QMessageBox(window)
    box.setObjectName("cancelQuestion")
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Cancel sync")
    box.setText(CANCEL_QUESTION)
    box.setInformativeText(CANCEL_DETAIL)
    stop = box.addButton("Cancel sync", QMessageBox.ButtonRole.DestructiveRole)
    keep = box.addButton("Keep syncing", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(keep)
    box.setEscapeButton(keep)  # Esc dismisses the question: the sync goes on
    window.cancel_question = box

    def answered(_result: int) -> None:
        window.cancel_question = None
        if box.clickedButton() is stop:
            controller.cancel()
        box.deleteLater()

    box.finished.connect(answered)
    box.open()


def build_menu_bar(window: MainWindow) -> None:
    """File, Edit, View, Sync and Help menus from the window's actions (and the pages')."""
    bar = window.menuBar()
    bar.setObjectName("menuBar")

    file_menu = bar.addMenu("&File")
    file_menu.addAction(window.import_salesmate_action)
    file_menu.addAction(window.export_people_action)
    file_menu.addSeparator()
    file_menu.addAction(window.settings_action)
    file_menu.addSeparator()
    file_menu.addAction(window.quit_action)

    edit_menu = bar.addMenu("&Edit")
    for action in (window.undo_action, window.redo_action, window.save_mappings_action):
        edit_menu.addAction(action)
    edit_menu.addSeparator()
    edit_menu.addAction(window.find_action)
    edit_menu.aboutToShow.connect(window.update_edit_actions)

    view_menu = bar.addMenu("&View")
    for action in window.page_actions:
        view_menu.addAction(action)

    sync_menu = bar.addMenu("&Sync")
    for item in (
        window.sync_action,
        window.cancel_action,
        window.pause_action,
        None,
        window.sync_person_action,
        window.scope_action,
    ):
        if item is None:
            sync_menu.addSeparator()
        else:
            sync_menu.addAction(item)
    window.sync_menu = sync_menu

    window.sandbox_menu = SandboxMenu(window)  # shown once the services run on the sandbox
    bar.addMenu(window.sandbox_menu)

    help_menu = bar.addMenu("&Help")
    help_menu.addAction(window.shortcuts_action)
    window.help_menu = help_menu


def shortcut_list(window: MainWindow) -> list[tuple[str, str]]:
    """Every action with a key, as (what, keys): what the Help menu's Keyboard shortcuts shows."""
    rows: list[tuple[str, str]] = []
    for menu in window.menuBar().findChildren(QMenu):
        for action in menu.actions():
            keys = tuple(action.shortcuts())
            if keys and not action.isSeparator():
                rows.append((action.text().replace("&", ""), key_text(keys)))
    rows.append(("Clear the search, close a popup", "Esc"))
    return rows


def show_shortcuts(window: MainWindow) -> None:
    lines = "".join(
        f"<tr><td>{html.escape(what)}</td><td>&nbsp;&nbsp;<b>{html.escape(keys)}</b></td></tr>"
        for what, keys in shortcut_list(window)
    )
    box = QMessageBox(window)
    box.setObjectName("shortcutsBox")
    box.setWindowTitle("Keyboard shortcuts")
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setText(f"<table>{lines}</table>")
    box.setStandardButtons(QMessageBox.StandardButton.Close)
    box.finished.connect(box.deleteLater)
    window.shortcuts_box = box
    box.open()
