"""Where file dialogs open: the folder last used for that kind of file, else Documents.

Never the working directory: started from a terminal or a shortcut, that is the source checkout
or the installation folder, where nobody keeps their exports.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths


def documents() -> Path:
    """The person's Documents folder (their home folder when the system has none)."""
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    folder = Path(location) if location else Path.home()
    return folder if folder.is_dir() else Path.home()


def start_folder(kind: str) -> Path:
    """The folder a dialog for `kind` ("mappings", "salesmate") should open in."""
    last = QSettings().value(f"files/{kind}")
    if isinstance(last, str) and last and Path(last).is_dir():
        return Path(last)
    return documents()


def remember_folder(kind: str, chosen: Path) -> None:
    """Keep the folder of a file the person chose, for the next dialog of that kind."""
    folder = chosen if chosen.is_dir() else chosen.parent
    QSettings().setValue(f"files/{kind}", str(folder))
