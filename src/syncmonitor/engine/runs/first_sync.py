"""The first two-way sync, previewed: before the sync first writes to a real remote (per
installation and per remote address), a person sees what it would write and confirms it.

`WriteGate` keeps which remotes the sync may write to (table `write_confirmations`). Until a
remote is confirmed, the jobs that write to it are off ("waiting for confirmation"): the syncs
read, and write nothing back. `plan_sync` works the plan out by running the real jobs on a copy
of the cache with every write recorded instead of sent (connectors.http.dry_run): what it shows
is exactly what the sync would send, as far as the answers to earlier writes (made up by the
recorder) do not change later ones. In sandbox mode there is no gate.
"""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from syncmonitor.app.config import Config
from syncmonitor.connectors.http.dry_run import RecordedWrite, WriteRecorder, recording
from syncmonitor.domain.timestamps import format_iso, utc_now
from syncmonitor.engine.runs.events import RunResult
from syncmonitor.store.database import Database, open_database
from syncmonitor.store.schema import write_confirmations

WRITES_HELD = "waiting for confirmation of the first two-way sync"
LEGACY = "legacy"
WRITES_HELD_HELP = (
    "Nothing was written to Outreach or Workbooks: the first two-way sync to these remotes "
    "waits for confirmation. See what it would write with `syncmonitor sync --once --dry-run`, "
    "then run `syncmonitor sync --once --confirm-writes` (or set confirm_writes = true under "
    "[sync] in the configuration file, or confirm it in the window)."
)


def remote_keys(remotes: Any) -> dict[str, str]:
    """The remotes the sync writes to, by name ("outreach", "workbooks"), keyed by address."""
    keys = {}
    if remotes.outreach_base_url:
        keys["outreach"] = f"outreach:{remotes.outreach_base_url.rstrip('/')}"
    if remotes.workbooks_base_url:
        keys["workbooks"] = f"workbooks:{remotes.workbooks_base_url.rstrip('/')}"
    return keys


class WriteGate:
    """Which real remotes the sync may write to."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def held(self, remotes: Any, config: Config) -> frozenset[str]:
        """The remotes ("outreach", "workbooks") whose writes wait for a confirmation."""
        keys = remote_keys(remotes)
        if config.sync.confirm_writes:
            return frozenset()
        with self.engine.begin() as conn:
            confirmed = set(conn.execute(select(write_confirmations.c.remote)).scalars())
            if LEGACY in confirmed:  # a cache that synced before previews existed
                self._confirm(conn, keys.values(), "synced before previews existed")
                conn.execute(
                    delete(write_confirmations).where(write_confirmations.c.remote == LEGACY)
                )
                confirmed |= set(keys.values())
        return frozenset(name for name, key in keys.items() if key not in confirmed)

    def confirm(self, remotes: Any, how: str) -> None:
        """A person confirmed: the sync may write to these remotes from now on."""
        with self.engine.begin() as conn:
            self._confirm(conn, remote_keys(remotes).values(), how)

    @staticmethod
    def _confirm(conn: Any, keys: Any, how: str) -> None:
        at = format_iso(utc_now())
        for key in keys:
            stmt = sqlite_insert(write_confirmations).values(remote=key, confirmed_at=at, how=how)
            conn.execute(stmt.on_conflict_do_nothing(index_elements=["remote"]))


# -- the plan ------------------------------------------------------------------------------------

OBJECTS = {
    "prospects": ("Outreach", "people (prospects)"),
    "accounts": ("Outreach", "organisations (accounts)"),
    "opportunities": ("Outreach", "opportunities"),
    "stages": ("Outreach", "stages"),
    "crm/people": ("Workbooks", "people"),
    "crm/organisations": ("Workbooks", "organisations"),
    "crm/opportunities": ("Workbooks", "opportunities"),
    "activity/tasks": ("Workbooks", "tasks"),
    "activity/activities": ("Workbooks", "activities"),
}
EXAMPLES = 3


@dataclass
class PlannedWrites:
    """One kind of write on one remote: how many, and a few examples."""

    remote: str
    objects: str
    action: str  # "create", "update", "delete"
    count: int = 0
    examples: list[str] = field(default_factory=list)

    def line(self) -> str:
        verb = {"create": "created", "update": "updated", "delete": "deleted"}[self.action]
        head = f"{self.remote}: {self.count:,} {self.objects} {verb}"
        return f"{head} (e.g. {'; '.join(self.examples)})" if self.examples else head


@dataclass
class WritePlan:
    """What a sync would write to each remote, and the run that worked it out."""

    writes: list[PlannedWrites]
    result: RunResult

    @property
    def empty(self) -> bool:
        return not self.writes

    def lines(self) -> list[str]:
        if not self.writes:
            return ["Nothing would be written to Outreach or Workbooks."]
        return [w.line() for w in self.writes]

    def to_json(self) -> dict[str, Any]:
        return {
            "writes": [
                {
                    "remote": w.remote,
                    "objects": w.objects,
                    "action": w.action,
                    "count": w.count,
                    "examples": w.examples,
                }
                for w in self.writes
            ],
            "jobs": [j.to_json() for j in self.result.jobs],
        }


def summarise(writes: list[RecordedWrite]) -> list[PlannedWrites]:
    """The recorded writes by remote, objects and action, in a stable order."""
    groups: dict[tuple[str, str, str], PlannedWrites] = {}
    for w in writes:
        # The resource as its path ends (a Workbooks database may sit under a prefix).
        known = next((k for k in OBJECTS if w.resource == k or w.resource.endswith("/" + k)), "")
        remote, objects = OBJECTS.get(known, ("Outreach or Workbooks", w.resource))
        group = groups.setdefault(
            (remote, objects, w.action), PlannedWrites(remote, objects, w.action)
        )
        group.count += 1
        example = _example(w)
        if len(group.examples) < EXAMPLES and example not in group.examples:
            group.examples.append(example)
    order = {"Outreach": 0, "Workbooks": 1}
    return sorted(groups.values(), key=lambda g: (order.get(g.remote, 2), g.objects, g.action))


def _example(w: RecordedWrite) -> str:
    f = w.fields
    name = (
        f.get("name")
        or " ".join(str(f.get(k) or "") for k in ("firstName", "lastName")).strip()
        or " ".join(str(f.get(k) or "") for k in ("person_first_name", "person_last_name")).strip()
        or f.get("subject")
        or (f.get("emails") or [""])[0]
        or (f"#{w.record_id}" if w.record_id else "a new record")
    )
    if w.action == "update":
        changed = sorted(
            (k for k in f if k not in ("id", "lock_version")), key=lambda k: (len(k), k)
        )
        shown = ", ".join(f"{k} = {_short(f[k])}" for k in changed[:2])
        shown += " …" if len(changed) > 2 else ""
        return f"{name}: {shown}" if shown else str(name)
    return str(name)


def _short(value: Any) -> str:
    text = str(value) if not isinstance(value, list) else ", ".join(map(str, value))
    return text if len(text) <= 32 else text[:31] + "…"


async def plan_sync(service: Any, kind: str = "full") -> WritePlan:
    """What a sync of `kind` would write, worked out on a copy of the cache with every write
    recorded instead of sent: neither remote nor the cache is changed."""
    from syncmonitor.engine.runs.lock import SyncLock
    from syncmonitor.engine.runs.service import SyncService

    with tempfile.TemporaryDirectory(prefix="syncmonitor-plan-") as folder:
        copy = Path(folder) / "cache.sqlite3"
        await asyncio.to_thread(_copy_cache, service.database, copy)
        database = await asyncio.to_thread(open_database, copy)
        try:
            dry = SyncService(
                service.config,
                database,
                service.remotes,
                lock=SyncLock(Path(folder) / "sync.lock"),
                sandbox_mode=service.sandbox_mode,
                retry_policy=service.retry_policy,
            )
            with recording(WriteRecorder()) as recorder:
                result = await dry.sync_once(trigger="preview", kind=kind)
        finally:
            await asyncio.to_thread(database.close)
    return WritePlan(summarise(recorder.writes), result)


def _copy_cache(database: Database, target: Path) -> None:
    """A consistent copy of the live cache (SQLite's online backup)."""
    raw = database.engine.raw_connection()
    try:
        source = raw.driver_connection
        assert isinstance(source, sqlite3.Connection)
        destination = sqlite3.connect(target)
        try:
            source.backup(destination)
        finally:
            destination.close()
    finally:
        raw.close()


def held_counts(result: RunResult) -> Counter[str]:
    """How many jobs of a run waited for the confirmation (for the command line's words)."""
    return Counter(j.job for j in result.jobs if j.reason == WRITES_HELD)
