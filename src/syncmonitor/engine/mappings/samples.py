"""Sample records for the dry-run preview: linked people and prospects read into the cache, with
the organisations and accounts that lookups resolve against. Reads only; writes nothing remotely."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from syncmonitor.app.config import Config
from syncmonitor.connectors.outreach.mapping import OutreachMappingClient, ProspectSnapshot
from syncmonitor.connectors.workbooks.client import WorkbooksClient
from syncmonitor.domain.mappings.fields import ObjectPair
from syncmonitor.domain.mappings.mapping_set import MappingSet
from syncmonitor.domain.timestamps import format_iso, utc_now
from syncmonitor.engine.mappings.sync import PEOPLE, as_int, remember_pairs, sync_columns
from syncmonitor.engine.runs.workers import in_writer
from syncmonitor.store import mappings as store


async def read_samples(
    workbooks: WorkbooksClient,
    outreach: OutreachMappingClient,
    engine: Engine,
    config: Config,
    *,
    limit: int = 50,
) -> int:
    """Read up to `limit` linked people and their prospects (and the organisations and accounts
    lookups resolve against) into the cache for the preview, writing nothing remotely."""
    mapping = (await in_writer(_saved_or_default, engine)).fields[ObjectPair.PERSON_PROSPECT]
    columns = sync_columns(config, mapping)
    id_field = config.workbooks.outreach_id_field
    batch: list[dict[str, Any]] = []
    async for page in workbooks.iter_records(
        PEOPLE, filters=[(id_field, "not_blank", "")], columns=columns, page_size=limit
    ):
        batch += page
        break
    links = {int(p["id"]): pid for p in batch if (pid := as_int(p.get(id_field))) is not None}
    prospects = await outreach.prospects(links.values())
    snapshots: list[tuple[int, int | None, str, dict[str, Any], ProspectSnapshot | None]] = [
        (
            int(p["id"]),
            links.get(int(p["id"])),
            str(p.get("name") or ""),
            p,
            prospects.get(links[int(p["id"])]),
        )
        for p in batch
        if int(p["id"]) in links and links[int(p["id"])] in prospects
    ]
    # Every organisation and account: what lookups resolve against, and (linked by the CRM id
    # Outreach keeps in the account's customId) the Organisation → Account preview's samples.
    accounts = await outreach.accounts()
    account_of = {str(a.get("customId") or ""): aid for aid, a in accounts.items()}
    organisations: list[tuple[int, int | None, str, dict[str, Any]]] = []
    async for page in workbooks.iter_records("crm/organisations"):
        organisations += [
            (int(o["id"]), account_of.get(str(o["id"])), str(o.get("name") or ""), o) for o in page
        ]
    org_of = {account: org for org, account, _label, _data in organisations if account}
    account_rows: list[tuple[int, int | None, str, dict[str, Any]]] = [
        (aid, org_of.get(aid), str(a.get("name") or ""), a) for aid, a in accounts.items()
    ]
    await in_writer(remember_pairs, engine, snapshots, {}, {})
    await in_writer(_remember_references, engine, organisations, account_rows)
    return len(snapshots)


def _saved_or_default(engine: Engine) -> MappingSet:
    with engine.connect() as conn:
        return store.load_mappings(conn)


def _remember_references(
    engine: Engine,
    organisations: list[tuple[int, int | None, str, dict[str, Any]]],
    accounts: list[tuple[int, int | None, str, dict[str, Any]]],
) -> None:
    now = format_iso(utc_now())
    with engine.begin() as conn:
        store.store_records(conn, "crm", "organisation", organisations, now)
        store.store_records(conn, "outreach", "account", accounts, now)
