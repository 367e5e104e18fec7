"""One window per user and data folder: a second launch brings the running window forward.

The first instance listens on a local socket (a named pipe on Windows, a socket file elsewhere)
named after the data folder; a second instance connects, says "show", and exits.
"""

from __future__ import annotations

import hashlib
import logging
import os

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from syncmonitor import APP_ID

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_MS = 500
SHOW = b"show\n"


def server_name(data_dir: str) -> str:
    """A name unique per user and data folder, short enough for a Unix socket path."""
    user = os.environ.get("USER") or os.environ.get("USERNAME") or ""
    digest = hashlib.sha256(f"{user}:{data_dir}".encode()).hexdigest()[:16]
    return f"{APP_ID}-{digest}"


class SingleInstance(QObject):
    """Listens for later launches; `activate_requested` fires when one asks to be shown."""

    activate_requested = Signal()

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._server: QLocalServer | None = None

    def ask_running_instance(self) -> bool:
        """True if another instance answered (and was asked to show its window)."""
        socket = QLocalSocket()
        socket.connectToServer(self.name)
        if not socket.waitForConnected(CONNECT_TIMEOUT_MS):
            return False
        socket.write(SHOW)
        socket.flush()
        socket.waitForBytesWritten(CONNECT_TIMEOUT_MS)
        socket.disconnectFromServer()
        return True

    def listen(self) -> bool:
        """Become the instance later launches talk to."""
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            # A socket file left by a crash: nobody answered above, so it is stale.
            QLocalServer.removeServer(self.name)
            if not server.listen(self.name):
                log.warning("Cannot listen for other launches: %s", server.errorString())
                return False
        server.newConnection.connect(self._on_connection)
        self._server = server
        return True

    def _on_connection(self) -> None:
        assert self._server is not None
        while (socket := self._server.nextPendingConnection()) is not None:
            socket.readyRead.connect(lambda s=socket: self._on_ready(s))
            socket.disconnected.connect(socket.deleteLater)
            if socket.bytesAvailable():
                self._on_ready(socket)

    def _on_ready(self, socket: QLocalSocket) -> None:
        if bytes(socket.readAll().data()).startswith(SHOW.strip()):
            self.activate_requested.emit()

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
