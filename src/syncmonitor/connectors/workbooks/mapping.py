"""Workbooks for the mappings: picklist values (`admin/picklists`, `admin/picklist_entries`) and
field metadata (`metadata/types.api`), as Workbooks' own client examples read them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from syncmonitor.connectors.errors import WORKBOOKS, RequestRejectedError
from syncmonitor.connectors.workbooks.client import WorkbooksClient
from syncmonitor.domain.mappings.values import CrmStatus, FieldInfo, FieldKind

CLASS_NAMES = {
    "person": "Private::Crm::Person",
    "organisation": "Private::Crm::Organisation",
    "opportunity": "Private::Crm::Opportunity",
}
_LINKED_TYPES = {v: k for k, v in CLASS_NAMES.items()}
# The guide's "Datatypes" as the mapping editors treat them. `currency` is "value code flags"
# text, so it stays text; a datatype not listed here is shown as text with its name kept.
_KINDS = {
    "string": FieldKind.TEXT,
    "text": FieldKind.TEXT,
    "integer": FieldKind.NUMBER,
    "decimal": FieldKind.NUMBER,
    "float": FieldKind.NUMBER,
    "boolean": FieldKind.BOOLEAN,
    "datetime": FieldKind.DATETIME,
    "date": FieldKind.DATETIME,
    "var_date_time": FieldKind.DATETIME,
    "picklist_data": FieldKind.PICKLIST,
}


def _truthy(value: object) -> bool:
    return value in (True, 1, "1", "true", "True")


def _link_targets(type_record: Mapping[str, Any]) -> dict[str, str]:
    """Field name or association name -> the record type it points at, from `associations`
    (`foreign_key_name`, `class_names`), for the targets the mappings know."""
    targets: dict[str, str] = {}
    raw = type_record.get("associations")
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, Mapping) or not isinstance(item.get("class_names"), list):
            continue
        known = [_LINKED_TYPES[c] for c in item["class_names"] if c in _LINKED_TYPES]
        if not known:
            continue
        for key in (item.get("foreign_key_name"), item.get("name")):
            if isinstance(key, str) and key:
                targets.setdefault(key, known[0])
    return targets


def parse_fields(type_record: Mapping[str, Any]) -> list[FieldInfo]:
    """A metadata type's `fields` as FieldInfo, with the guide's keys ("Metadata"): `datatype`,
    `title`, `is_updateable` (a field a sync can write), a `picklist` hash, and link targets
    from the type's `associations` (the field's `linked_item.association`, or the association
    whose `foreign_key_name` is the field). Unknown keys are ignored; a field without
    `is_updateable` counts as writable, one without `title` is labelled with its name."""
    raw = type_record.get("fields") or []
    items = list(raw.values()) if isinstance(raw, Mapping) else list(raw)
    links = _link_targets(type_record)
    found: list[FieldInfo] = []
    for item in items:
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
            continue
        name = item["name"]
        kind = _KINDS.get(str(item.get("datatype") or "string").lower(), FieldKind.TEXT)
        if isinstance(item.get("picklist"), Mapping):
            kind = FieldKind.PICKLIST
        linked = item.get("linked_item")
        association = linked.get("association") if isinstance(linked, Mapping) else None
        target = links.get(association) if isinstance(association, str) else None
        target = target or links.get(name)
        if target is not None:
            kind = FieldKind.REFERENCE
        updateable = item.get("is_updateable")
        title = item.get("title")
        found.append(
            FieldInfo(
                name,
                title if isinstance(title, str) and title.strip() else name,
                kind,
                updateable is not None and not _truthy(updateable),
                target,
            )
        )
    return found


class WorkbooksMappingClient(WorkbooksClient):
    """The Workbooks client with the metadata the mapping editors read."""

    async def picklist_values(self, picklist_name: str) -> list[CrmStatus]:
        """The live values of the picklist named `picklist_name` (deleted entries left out)."""
        picklist_id: int | None = None
        async for page in self.iter_records(
            "admin/picklists", filters=[("name", "eq", picklist_name)], columns=["id", "name"]
        ):
            for record in page:
                if str(record.get("name")) == picklist_name:
                    picklist_id = int(record["id"])
        if picklist_id is None:
            raise RequestRejectedError(
                WORKBOOKS,
                f"Workbooks has no picklist {picklist_name!r}",
                f"No picklist named {picklist_name!r} exists in Workbooks (Configuration > "
                "Picklists), so its values cannot be read. Create it there, or check its name.",
            )
        values: list[CrmStatus] = []
        async for page in self.iter_records(
            "admin/picklist_entries",
            filters=[("picklist_id", "eq", str(picklist_id))],
            columns=["id", "value", "display_order", "is_default", "is_deleted"],
        ):
            for record in page:
                value = record.get("value")
                if not isinstance(value, str) or _truthy(record.get("is_deleted")):
                    continue
                order = record.get("display_order")
                values.append(
                    CrmStatus(
                        value,
                        value,
                        is_default=_truthy(record.get("is_default")),
                        sort_order=int(order)
                        if isinstance(order, int | str) and str(order).isdigit()
                        else 0,
                    )
                )
        return sorted(values, key=lambda v: (v.sort_order, v.api_name))

    async def field_metadata(self, record_type: str) -> list[FieldInfo]:
        """The fields of a CRM record type (`person`, `organisation`, `opportunity`)."""
        class_name = CLASS_NAMES[record_type]
        params = [
            *self._auth,
            ("class_names[]", class_name),
            ("_select_columns[]", "class_name"),
            ("_select_columns[]", "fields"),
            ("_select_columns[]", "associations"),
        ]
        data = await self._http.request(
            "GET", "metadata/types.api", params=params, parse=self._records
        )
        for type_record in data:
            if type_record.get("class_name") == class_name:
                return parse_fields(type_record)
        raise RequestRejectedError(
            WORKBOOKS,
            "Workbooks did not describe a record type",
            f"metadata/types.api did not describe {class_name}. Check that the API key may read "
            "this record type.",
        )
