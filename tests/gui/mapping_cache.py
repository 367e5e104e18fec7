"""A cache with the mapping sources and sample records in it, for the mapping pages' GUI tests and
screenshots: the sandbox's own stages, picklists and metadata, with no network."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from syncmonitor.app.config import Config
from syncmonitor.connectors.outreach.mapping import outreach_fields
from syncmonitor.connectors.workbooks.mapping import parse_fields
from syncmonitor.domain.mappings.fields import ObjectPair
from syncmonitor.domain.mappings.values import CrmSource, CrmStatus, Stage, StatusKind
from syncmonitor.sandbox import picklists
from syncmonitor.sandbox.changes import DEFAULT_STAGES
from syncmonitor.sandbox.workbooks_metadata import metadata_types
from syncmonitor.store import mappings as store
from syncmonitor.store.database import Database, open_database

AT = "2026-11-22T09:00:00.000Z"
STAGES = [Stage(i, name, i) for i, (name, _colour) in enumerate(DEFAULT_STAGES, 1)]
CLASS_OF = {
    "person": "Private::Crm::Person",
    "organisation": "Private::Crm::Organisation",
    "opportunity": "Private::Crm::Opportunity",
}


def fill_sources(db: Database) -> None:
    with db.engine.begin() as conn:
        store.replace_stages(conn, STAGES, AT)
        for kind, values in (
            (StatusKind.LEAD, picklists.WORKBOOKS_LEAD_STATUSES),
            (StatusKind.CONTACT, picklists.WORKBOOKS_CONTACT_STATUSES),
        ):
            store.replace_statuses(
                conn,
                CrmSource.WORKBOOKS,
                kind,
                [CrmStatus(v, v, sort_order=n) for n, v in enumerate(values, 1)],
                AT,
            )
        store.replace_statuses(
            conn,
            CrmSource.SALESFORCE,
            StatusKind.LEAD,
            [CrmStatus(a, b, c, d, e) for a, b, c, d, e in picklists.SALESFORCE_LEAD_STATUSES],
            AT,
        )
        for pair in ObjectPair:
            doc = metadata_types([("class_names[]", CLASS_OF[pair.crm_type])])
            store.replace_fields(conn, "workbooks", pair.crm_type, parse_fields(doc["data"][0]), AT)
            store.replace_fields(
                conn, "outreach", pair.outreach_type, outreach_fields(pair.outreach_type), AT
            )
        people = [
            (
                10001,
                11,
                "Amelia Hartley",
                {
                    "id": 10001,
                    "name": "Amelia Hartley",
                    "cf_person_lead_status": "Qualified",
                    "cf_person_contact_status": None,
                    "employer_link": 1001,
                    "updated_at": "Fri Nov 20 10:00:00 UTC 2026",
                },
            ),
            (
                10002,
                12,
                "Bruno Díaz",
                {
                    "id": 10002,
                    "name": "Bruno Díaz",
                    "cf_person_lead_status": "Working",
                    "cf_person_contact_status": "Active",
                    "employer_link": None,
                    "updated_at": "Fri Nov 20 10:00:00 UTC 2026",
                },
            ),
            (
                10003,
                13,
                "Chen Okafor",
                {
                    "id": 10003,
                    "name": "Chen Okafor",
                    "cf_person_lead_status": None,
                    "cf_person_contact_status": None,
                    "employer_link": 1001,
                    "updated_at": "Fri Nov 20 10:00:00 UTC 2026",
                },
            ),
        ]
        store.store_records(conn, "crm", "person", people, AT)
        prospects = [
            (
                11,
                10001,
                "amelia",
                {"stage": 1, "custom1": None, "updatedAt": "2026-11-01T00:00:00.000Z"},
            ),
            (
                12,
                10002,
                "bruno",
                {"stage": 2, "custom1": "vip", "updatedAt": "2026-11-01T00:00:00.000Z"},
            ),
            (
                13,
                10003,
                "chen",
                {"stage": 4, "custom1": None, "updatedAt": "2026-11-01T00:00:00.000Z"},
            ),
        ]
        store.store_records(conn, "outreach", "prospect", prospects, AT)
        store.store_records(
            conn,
            "crm",
            "organisation",
            [(1001, None, "Northwind Ltd", {"id": 1001, "name": "Northwind Ltd"})],
            AT,
        )
        store.store_records(
            conn,
            "outreach",
            "account",
            [(7, None, "Northwind Ltd", {"id": 7, "name": "Northwind Ltd", "customId": "1001"})],
            AT,
        )


def mapping_cache(path: Path) -> Database:
    db = open_database(path)
    fill_sources(db)
    return db


def offline_service(db: Database) -> Any:
    """What the workspace reads of a SyncService, with no remotes (nothing to refresh from)."""
    return SimpleNamespace(config=Config(), database=db, remotes=None)
