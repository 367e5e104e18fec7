"""A Salesmate export imported into a real cache beside a real Outreach sync, then pushed to the
sandbox's Workbooks: idempotent, all or nothing, and the rule for the Workbooks fields."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from engine_helpers import Harness, harness, person_sequence_fields
from sqlalchemy import func, select

import loopback_http
from recording_sink import RecordingSink
from syncmonitor.connectors.salesmate import SalesmateAccess
from syncmonitor.domain.export_dates import DateOrder
from syncmonitor.engine.salesmate.imports import (
    ImportRefusedError,
    Preview,
    load_export_bytes,
    post_outcome,
    prepare,
    write_import,
)
from syncmonitor.sandbox.process import SandboxEndpoints
from syncmonitor.store import bulk
from syncmonitor.store.linked_people import linked_keys, merged_history
from syncmonitor.store.schema import (
    prospects,
    push_outbox,
    sequence_states,
    state_history,
    workbooks_people,
)

HEADER = "Contact Email,Sequence Name,Status,Status Changed At\n"


@pytest.fixture
def synced(make_sandbox: Any, tmp_path: Path) -> Iterator[Harness]:
    """A cache after one full Outreach sync of a small frozen world."""
    endpoints: SandboxEndpoints = make_sandbox(seed=11, people=30)
    with harness(endpoints, tmp_path / "cache") as h:
        assert h.sync().ok
        yield h


def emails(h: Harness, count: int) -> list[str]:
    with h.engine.connect() as conn:
        return list(
            conn.execute(
                select(prospects.c.email)
                .where(prospects.c.provider == "outreach")
                .order_by(prospects.c.id)
                .limit(count)
            ).scalars()
        )


def salesmate_access(h: Harness) -> SalesmateAccess:
    e = h.endpoints
    return SalesmateAccess(e.salesmate_base_url + "/apis", e.salesmate_linkname, e.salesmate_token)


def preview_of(h: Harness, text: str, *, salesmate: bool = False, **options: Any) -> Preview:
    export = load_export_bytes(text.encode("utf-8"), "export.csv")
    return asyncio.run(
        prepare(
            h.engine,
            export,
            zone=UTC,
            salesmate=salesmate_access(h) if salesmate else None,
            **options,
        )
    )


def count(h: Harness, table: Any, provider: str = "salesmate") -> int:
    with h.engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).select_from(table).where(table.c.provider == provider)
            ).scalar_one()
        )


def workbooks_fields(h: Harness, email: str) -> tuple[Any, datetime | None, bool]:
    with h.engine.connect() as conn:
        person_id = conn.execute(
            select(workbooks_people.c.id).where(workbooks_people.c.email == email)
        ).scalar_one()
    return person_sequence_fields(h.admin.person(person_id))


def test_import_then_sync_writes_the_rule_into_workbooks(synced: Harness) -> None:
    ann, bob, cid = emails(synced, 3)
    text = (
        HEADER
        + f"{ann},Q4 Nurture,Active,2026-12-01 09:00\n"
        + f"{ann},Q4 Nurture,Paused O3,2026-12-02 10:30\n"
        + f"{bob},Q4 Nurture,Unsubscribed,2026-12-03 08:00\n"
        + f"{cid},Q4 Nurture,Active,2026-12-04 08:00\n"
        + f"{cid},Renewals,Other Enrolled,2026-12-05 08:00\n"
    )
    sink = RecordingSink()
    outcome = write_import(synced.engine, preview_of(synced, text))
    post_outcome(sink, outcome, "export.csv")
    assert (outcome.counts.transitions, outcome.counts.people_added) == (5, 3)
    assert outcome.counts.sequences_added == 2
    assert sink.events() == ["salesmate.imported"]
    with synced.engine.connect() as conn:
        opted = dict(
            conn.execute(
                select(prospects.c.email, prospects.c.opted_out).where(
                    prospects.c.provider == "salesmate"
                )
            ).all()
        )
    assert opted == {ann: False, bob: True, cid: False}  # Unsubscribed marks the person
    assert synced.sync().ok  # the push takes the imported people from the outbox
    state, updated, no_email = workbooks_fields(synced, ann)
    assert (state, updated, no_email) == (
        "Active – Paused",  # Paused O3: Active – Paused (reason out of office, shown in the app)
        datetime(2026, 12, 2, 10, 30, tzinfo=UTC),
        False,
    )
    assert workbooks_fields(synced, bob)[0] == "Opted Out"
    assert workbooks_fields(synced, bob)[2] is True  # Unsubscribed sets No Email
    # Other Enrolled is later, but never hides the sequence the person is really in.
    assert workbooks_fields(synced, cid)[0] == "Active – Running"
    assert count(synced, push_outbox) == 0
    # A later file without the opt-out never clears it.
    later = "Contact Email,Sequence Name,Status,Status Changed At,Contact Name\n"
    write_import(
        synced.engine,
        preview_of(synced, later + f"{bob},Q4 Nurture,Active,2026-12-10 08:00,Bob B\n"),
    )
    with synced.engine.connect() as conn:
        assert conn.execute(
            select(prospects.c.opted_out).where(
                prospects.c.provider == "salesmate", prospects.c.email == bob
            )
        ).scalar_one()
    # In Workbooks the later state shows, and No Email stays set: only a person opts back in.
    assert synced.sync().ok
    state, _, no_email = workbooks_fields(synced, bob)
    assert (state, no_email) == ("Active – Running", True)


def test_one_timeline_holds_both_providers(synced: Harness) -> None:
    (ann,) = emails(synced, 1)
    write_import(
        synced.engine, preview_of(synced, HEADER + f"{ann},Q4 Nurture,Paused O3,2026-12-02\n")
    )
    with synced.engine.connect() as conn:
        outreach_id = conn.execute(
            select(prospects.c.id).where(
                prospects.c.email == ann, prospects.c.provider == "outreach"
            )
        ).scalar_one()
        keys = linked_keys(conn, "outreach", outreach_id)
        timeline = merged_history(conn, keys)
    assert keys[0] == ("outreach", outreach_id) and keys[1][0] == "salesmate"
    assert timeline[0].provider == "salesmate"
    assert timeline[0].state.raw == "Paused O3"
    assert timeline[0].state.label == "Active – Paused (out of office)"
    assert {t.provider for t in timeline} == {"outreach", "salesmate"}
    changed = [t.state_changed_at for t in timeline]
    assert changed == sorted(changed, reverse=True)


def test_reimporting_the_same_or_an_overlapping_file_adds_nothing_twice(synced: Harness) -> None:
    ann, bob = emails(synced, 2)
    first = HEADER + f"{ann},Q4,Active,2026-12-01\n{ann},Q4,Paused,2026-12-02\n"
    overlapping = (
        HEADER
        + f"{ann},Q4,Paused,2026-12-02\n{ann},Q4,Active,2026-12-03\n{bob},Q4,Active,2026-12-03\n"
    )
    assert write_import(synced.engine, preview_of(synced, first)).counts.transitions == 2
    again = write_import(synced.engine, preview_of(synced, first))
    assert (again.counts.transitions, again.counts.already_known) == (0, 2)
    assert (again.counts.people_added, len(again.counts.people_queued)) == (0, 0)
    more = write_import(synced.engine, preview_of(synced, overlapping))
    assert (more.counts.transitions, more.counts.already_known) == (2, 1)
    assert count(synced, state_history) == 4
    assert count(synced, sequence_states) == 2  # one enrolment each, found again by key
    assert count(synced, prospects) == 2


def test_an_older_file_never_rolls_the_current_state_back(synced: Harness) -> None:
    (ann,) = emails(synced, 1)
    write_import(
        synced.engine, preview_of(synced, HEADER + f"{ann},Q4,Finished (Replied),2026-12-09\n")
    )
    older = write_import(
        synced.engine, preview_of(synced, HEADER + f"{ann},Q4,Active,2026-12-01\n")
    )
    assert older.counts.transitions == 1  # history gains the older transition
    with synced.engine.connect() as conn:
        raw = conn.execute(
            select(sequence_states.c.raw_state).where(sequence_states.c.provider == "salesmate")
        ).scalar_one()
    assert raw == "Finished (Replied)"


def test_a_file_with_an_error_imports_nothing(synced: Harness) -> None:
    (ann,) = emails(synced, 1)
    text = HEADER + f"{ann},Q4,Active,2026-12-01\nnobody@nowhere.example,Q4,Active,2026-12-01\n"
    preview = preview_of(synced, text)
    assert preview.checked.lines_in_error == {3}
    with pytest.raises(ImportRefusedError, match="all or nothing"):
        write_import(synced.engine, preview)
    assert count(synced, state_history) == count(synced, prospects) == 0
    skipped = write_import(synced.engine, preview, skip_invalid_rows=True)
    assert (skipped.rows_imported, skipped.rows_skipped) == (1, 1)
    assert count(synced, state_history) == 1


def test_a_failure_half_way_through_the_write_leaves_nothing_behind(
    synced: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    ann, bob = emails(synced, 2)
    preview = preview_of(
        synced, HEADER + f"{ann},Q4,Active,2026-12-01\n{bob},Q4,Active,2026-12-01\n"
    )
    real = bulk.executemany

    def fail_on_history(conn: Any, sql: str, rows: Any) -> int:
        if "state_history" in sql:
            raise RuntimeError("disk full")
        return real(conn, sql, rows)

    monkeypatch.setattr("syncmonitor.store.salesmate_store.bulk.executemany", fail_on_history)
    with pytest.raises(RuntimeError, match="disk full"):
        write_import(synced.engine, preview)
    monkeypatch.undo()
    assert count(synced, prospects) == count(synced, state_history) == 0  # people rolled back too


def test_a_dry_run_counts_exactly_and_writes_nothing(synced: Harness) -> None:
    (ann,) = emails(synced, 1)
    preview = preview_of(synced, HEADER + f"{ann},Q4,Active,2026-12-01\n")
    dry = write_import(synced.engine, preview, dry_run=True)
    assert dry.dry_run and dry.counts.transitions == 1 and "Would import" in dry.summary()
    assert count(synced, state_history) == 0
    assert write_import(synced.engine, preview).counts.transitions == 1


def test_salesmate_contacts_make_unknown_emails_known(synced: Harness) -> None:
    """An email Sync Monitor has never seen is accepted when Salesmate has the contact (with its
    name and id); without Salesmate it is reported."""
    text = HEADER + "only.salesmate1@example.org,Q4,Active,2026-12-01\n"
    alone = preview_of(synced, text)
    assert [p.kind for p in alone.checked.problems] == ["unknown-person"]
    matched = preview_of(synced, text, salesmate=True)
    assert matched.checked.problems == []
    assert "Salesmate knew 1 of the 1" in matched.salesmate_note
    write_import(synced.engine, matched)
    with synced.engine.connect() as conn:
        name, external = conn.execute(
            select(prospects.c.name, prospects.c.external_id).where(
                prospects.c.provider == "salesmate"
            )
        ).one()
    assert name == "Only Salesmate 1" and external and external.isdigit()


def test_salesmate_failing_does_not_stop_the_import(synced: Harness) -> None:
    (ann,) = emails(synced, 1)
    loopback_http.put(
        synced.endpoints.admin_url + "/salesmate/faults", json={"failure_next": 10}, timeout=10
    ).raise_for_status()
    try:
        text = HEADER + f"{ann},Q4,Active,2026-12-01\nnew.person@example.org,Q4,Active,2026-12-01\n"
        preview = preview_of(synced, text, salesmate=True)
    finally:
        loopback_http.delete(synced.endpoints.admin_url + "/salesmate/faults", timeout=10)
    assert "could not be asked" in preview.salesmate_note
    assert "Salesmate refused a request" in preview.salesmate_note
    assert [p.kind for p in preview.checked.problems] == ["unknown-person"]


def test_ambiguous_dates_are_read_as_the_person_chose(synced: Harness) -> None:
    (ann,) = emails(synced, 1)
    text = HEADER + f"{ann},Q4,Active,03/11/2026 09:00\n"
    assert [p.kind for p in preview_of(synced, text).checked.file_errors] == ["date-order"]
    chosen = preview_of(synced, text, date_order=DateOrder.MONTH_FIRST)
    assert chosen.checked.rows[0].changed_at == datetime(2026, 3, 11, 9, 0, tzinfo=UTC)
