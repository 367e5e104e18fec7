"""The team server's queue reading, kept in the store as text: every figure comes back as it was,
and a reading this version cannot read is said to be one, never shown half."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from store_backends import open_sqlite
from syncmonitor.domain.mailshots.queue import (
    IntegrationFacts,
    MailshotFacts,
    Problem,
    QueueItem,
    QueueSnapshot,
    QueueState,
    ReadState,
)
from syncmonitor.domain.mailshots.rules import ApiKeyFacts
from syncmonitor.domain.mailshots.statuses import StatusRole
from syncmonitor.engine.mailshots.recorded import ServerQueue, decode, encode, record_reading
from syncmonitor.store.mailshots import save_server_reading

NOW = datetime(2026, 11, 22, 12, 0, 5, 123456, tzinfo=UTC)


def full_snapshot() -> QueueSnapshot:
    """Every field set, unusual values included (emoji, None, microseconds, blocking problems)."""
    blocked = QueueItem(
        MailshotFacts(
            id=7,
            name="Ñewsletter ✨ " + "L" * 90,
            status="Queued",
            mailing_list_id=3,
            audience=1200,
            queued_at=NOW - timedelta(minutes=4, microseconds=17),
            role=StatusRole.QUEUED,
            subject="Hello",
            remarks=("its audience was read 10 min ago",),
        ),
        QueueState.BLOCKED,
        1,
        240.5,
        None,
        "Not known while it blocks",
        (Problem("name_too_long", "Its name has 103 characters", blocking=True),),
    )
    arrived = QueueItem(
        MailshotFacts(
            id=5,
            name="Spring",
            status="Synchronised",
            mailing_list_id=None,
            audience=None,
            queued_at=None,
            deleted=True,
            campaign_id="c-9",
            arrived_at=NOW - timedelta(hours=2),
            role=StatusRole.SYNCED,
            matched_by="campaign list, by name, 1 Dec 10:02",
        ),
        QueueState.ARRIVED,
        None,
        None,
        12.0,
        "",
    )
    return QueueSnapshot(
        items=(blocked, arrived),
        taken_at=NOW,
        key=ApiKeyFacts(
            "GatorMail",
            True,
            NOW - timedelta(days=300),
            NOW + timedelta(days=3),
            "recorded",
            NOW - timedelta(days=1),
        ),
        integration=IntegrationFacts(False, "recorded by an admin", NOW - timedelta(hours=5)),
        queue_problem=Problem("blocked", "2 mailshots are waiting behind …"),
        throughput=41.25,
        notes=(Problem("read_failed", "Not updated: arrivals in GatorMail"),),
        reads=(
            ReadState("Spotler GET /campaign/list", "arrivals", False, "401", NOW),
            ReadState("Workbooks GET email/integrated_mailshots.api", "every row", True),
        ),
    )


def test_a_reading_comes_back_with_every_figure_as_the_server_read_it() -> None:
    snapshot = full_snapshot()
    back, by = decode(encode(snapshot, "server-a"))
    assert back == snapshot
    assert by == "server-a"


def test_a_reading_of_another_format_is_refused_not_guessed() -> None:
    text = json.loads(encode(full_snapshot()))
    text["format"] = 99
    with pytest.raises(ValueError, match="this version of Sync Monitor knows"):
        decode(json.dumps(text))


def test_a_watching_desktop_reads_the_latest_reading_and_says_when_it_cannot(
    tmp_path: Path,
) -> None:
    db = open_sqlite(tmp_path / "store.sqlite3")
    try:
        desktop = ServerQueue(db)
        assert desktop.read().snapshot.notes[0].code == "server_not_read"
        record_reading(db, full_snapshot(), "server-a")
        newer = QueueSnapshot((), NOW + timedelta(seconds=5), None, None, None, None)
        record_reading(db, newer, "server-a")  # replaced, not added
        assert desktop.read().snapshot == newer
        with db.engine.begin() as conn:
            save_server_reading(conn, '{"format": 2}', "2026-11-22T12:00:00Z")
        note = desktop.read().snapshot.notes[0]
        assert note.code == "server_reading_unknown" and "Update this desktop" in note.message
    finally:
        db.close()


def test_a_store_that_stops_answering_keeps_the_last_reading_and_says_since_when(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = open_sqlite(tmp_path / "store.sqlite3")
    try:
        record_reading(db, full_snapshot(), "server-a")
        desktop = ServerQueue(db)
        assert desktop.read().snapshot == full_snapshot()

        def down() -> None:
            raise OperationalError("SELECT 1", {}, ConnectionRefusedError("refused"))

        monkeypatch.setattr(db.engine, "connect", down)
        kept = desktop.read().snapshot
        assert kept.items == full_snapshot().items  # the last view stays
        note = kept.notes[0]
        assert note.code == "store_unreachable" and "cannot be reached since" in note.message
        monkeypatch.undo()
        assert desktop.read().snapshot == full_snapshot()  # back by itself, the note gone
    finally:
        db.close()
