"""What an outbound run reads from the cache before it starts, and its small cache queries."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Engine

from syncmonitor.connectors.outreach.mapping import outreach_fields
from syncmonitor.domain.mappings.apply import MappingContext
from syncmonitor.domain.mappings.fields import Direction, FieldMapping, FieldRule
from syncmonitor.domain.mappings.values import CrmSource, StatusKind
from syncmonitor.domain.scope import ScopeFilter, from_json
from syncmonitor.engine.two_way.outbound.kinds import IMPLICIT_LOADS, OutboundKind
from syncmonitor.store import mappings as mapping_store
from syncmonitor.store import two_way as store
from syncmonitor.store.runs import get_cursor, set_cursor

SCOPE_SETTING = "scope.people"


def cursor_name(kind: OutboundKind) -> str:
    return f"two_way.{kind.name}.updated_at"


@dataclass
class Setup:
    """The mapping, lookups, scope and watermark one outbound run of one kind works with."""

    kind: OutboundKind
    mapping: FieldMapping
    ctx: MappingContext
    scope: ScopeFilter
    cursor: str | None
    columns: list[str]
    links_exist: bool
    twin_changed: set[int] = field(default_factory=set)

    def unchanged_since_we_wrote(self, record: dict[str, Any], link: store.Link) -> bool:
        """Nobody changed this record on either side since the sync last wrote or read it."""
        if int(record["id"]) in self.twin_changed:
            return False
        seen = link.crm_values.get("lock_version")
        return seen is not None and str(record.get("lock_version")) == str(seen)

    def links_and_holds(
        self, engine: Engine, ids: list[int]
    ) -> tuple[dict[int, store.Link], set[int]]:
        with engine.connect() as conn:
            links = store.links_for(conn, self.kind.name, ids)
            held = {h.crm_id for h in store.open_hazards(conn, self.kind.name)}
        return links, held & set(ids)

    def crm_ids_changed_in_outreach(self, engine: Engine, twins: dict[int, str]) -> list[int]:
        """Of these (twin id -> updatedAt), the linked records whose twin changed since the
        sync last saw it."""
        with engine.connect() as conn:
            crm_ids = store.crm_ids_linked_to(conn, self.kind.name, list(twins))
            links = store.links_for(conn, self.kind.name, crm_ids)
        return sorted(
            cid
            for cid, link in links.items()
            if twins.get(link.outreach_id) != link.outreach_updated_at
        )

    def note_hazards(self, engine: Engine, hazards: list[store.Hazard]) -> list[store.Hazard]:
        with engine.begin() as conn:
            return store.note_hazards(conn, hazards)


def load_setup(engine: Engine, kind: OutboundKind) -> Setup:
    with engine.connect() as conn:
        saved = mapping_store.saved_at(conn) is not None
        mappings = mapping_store.load_mappings(conn) if saved else None
        live: dict[StatusKind, frozenset[str]] = {}
        for status_kind in StatusKind:
            values = mapping_store.statuses(conn, CrmSource.WORKBOOKS, status_kind)
            if values is not None:
                live[status_kind] = frozenset(v.api_name for v in values)
        stages = mapping_store.stages(conn)
        crm_fields = mapping_store.fields_of(conn, "workbooks", kind.name) or {}
        cursor = get_cursor(conn, cursor_name(kind))
        scope = from_json(store.get_setting(conn, SCOPE_SETTING))
        links_exist = bool(store.any_link(conn, kind.name))
    usable = mappings is not None and mappings.crm_source is CrmSource.WORKBOOKS
    mapping = mappings.fields[kind.pair] if usable and mappings else FieldMapping(kind.pair)
    ctx = MappingContext(
        status=mappings.status if mappings else {},
        crm_fields=crm_fields,
        outreach_fields={f.name: f for f in outreach_fields(kind.outreach_type)},
        live_statuses=live if len(live) == len(StatusKind) else None,
        stage_ids=frozenset(s.id for s in stages) if stages is not None else None,
    )
    mapping = with_implicit_loads(kind, mapping)
    mapped = [r.crm_field for r in mapping.rules if r.enabled and r.crm_field]
    columns = list(dict.fromkeys([*kind.columns, *mapped]))
    return Setup(kind, mapping, ctx, scope, cursor, columns, links_exist)


def with_implicit_loads(kind: OutboundKind, mapping: FieldMapping) -> FieldMapping:
    """The mapping plus a Load rule for each name field no saved rule writes (IMPLICIT_LOADS)."""
    covered = {r.outreach_field for r in mapping.rules if r.enabled and r.direction.loads}
    extra = tuple(
        FieldRule(crm, outreach, Direction.LOAD)
        for crm, outreach in IMPLICIT_LOADS.get(kind.name, ())
        if outreach not in covered
    )
    return replace(mapping, rules=(*mapping.rules, *extra)) if extra else mapping


def save_cursor(engine: Engine, kind: OutboundKind, value: str) -> None:
    with engine.begin() as conn:
        set_cursor(conn, cursor_name(kind), value)


def load_scope(engine: Engine) -> ScopeFilter:
    with engine.connect() as conn:
        return from_json(store.get_setting(conn, SCOPE_SETTING))


def save_scope(engine: Engine, text: str) -> None:
    with engine.begin() as conn:
        store.set_setting(conn, SCOPE_SETTING, text)
