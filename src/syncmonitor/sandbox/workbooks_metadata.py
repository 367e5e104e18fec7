"""Workbooks `metadata/types.api`: the record types and their fields, as the sandbox serves them.

Shape as the guide's "Metadata" section documents it: `class_names[]` picks types (all when
absent), `_select_columns[]` picks the keys of each type (`class_name`, `controller_path`,
`fields`, `associations`, ...). `fields` is an Array of Hashes with `name`, `title`,
`datatype`, `is_createable`, `is_updateable`, `is_filterable`, `is_nullable`, `required`,
`default_value`, and a `picklist` or `linked_item` hash where there is one; a link's target
class is in the type's `associations` (`class_names`, `foreign_key_name`). Which custom fields
exist and their titles are the sandbox's own world (a real database has its own).
"""

from __future__ import annotations

from typing import Any

from syncmonitor.sandbox.picklists import CONTACT_STATUS_PICKLIST, LEAD_STATUS_PICKLIST
from syncmonitor.sandbox.workbooks_fields import (
    BOOL,
    DATETIME,
    INT,
    ORGANISATION_FIELDS,
    PERSON_FIELDS,
    Field,
)

PERSON_CLASS = "Private::Crm::Person"
ORGANISATION_CLASS = "Private::Crm::Organisation"
OPPORTUNITY_CLASS = "Private::Crm::Opportunity"

_DATA_TYPES = {INT: "integer", BOOL: "boolean", DATETIME: "datetime"}
_LABELS = {
    "main_location[email]": "Email",
    "main_location[town]": "Town",
    "main_location[country]": "Country",
    "cf_person_outreach_id": "Outreach Id",
    "cf_person_sequence_state": "Sequence State",
    "cf_person_sequence_state_updated_at": "State Updated At",
    "cf_person_sync_to_outreach": "Sync to Outreach",
    "cf_person_outreach_sync_error": "Outreach Sync Error",
    "cf_person_outreach_duplicate": "Outreach Duplicate",
    "cf_person_lead_status": "Lead Status",
    "cf_person_contact_status": "Contact Status",
    "no_email_soliciting": "No Email",
    "employer_link": "Employer",
    "employer_name": "Employer Name",
    "person_first_name": "First Name",
    "person_last_name": "Last Name",
}
_PICKLISTS = {
    "cf_person_lead_status": LEAD_STATUS_PICKLIST,
    "cf_person_contact_status": CONTACT_STATUS_PICKLIST,
}


def _label(name: str) -> str:
    return _LABELS.get(name) or name.replace("_", " ").title()


def _field(
    name: str, title: str, datatype: str, *, writable: bool = True, **extra: Any
) -> dict[str, Any]:
    """One field as the guide's "Metadata" describes it (every documented key present)."""
    return {
        "name": name,
        "title": title,
        "datatype": datatype,
        "default_value": None,
        "is_createable": writable,
        "is_updateable": writable,
        "is_filterable": True,
        "is_nullable": name != "id",
        "required": False,
        **extra,
    }


def _picklist(picklist_id: int, name: str) -> dict[str, Any]:
    return {
        "auto_create": False,
        "class_name": "Private::PicklistEntry",
        "display_field": "value",
        "value_field": "value",
        "name": name,
        "picklist_id": picklist_id,
        "path": f"picklist_data/Private_PicklistEntry/{picklist_id}/value.wbjson",
        "return_fields": [],
        "find_method": None,
        "unrestricted": False,
    }


def _linked_item(association: str, target: str) -> dict[str, Any]:
    return {
        "auto_create": False,
        "class_name": target,
        "display_field": "name",
        "value_field": "id",
        "name": None,
        "picklist_id": None,
        "path": f"picklist_data/{target.replace('::', '_')}/id/name.wbjson",
        "return_fields": [],
        "find_method": None,
        "unrestricted": False,
        "association": association,
    }


def _association(name: str, foreign_key: str, target: str, title: str) -> dict[str, Any]:
    return {
        "name": name,
        "title": title,
        "description": f"The {title.lower()} this record belongs to",
        "class_names": [target],
        "datatype": "belongs_to",
        "foreign_key_name": foreign_key,
        "minimum_n": 0,
        "maximum_n": 1,
        "polymorphic": False,
        "through": None,
    }


# Link fields: (association name, target class).
_LINKS = {"employer_link": ("employer", ORGANISATION_CLASS)}
_PICKLIST_NAMES = {
    LEAD_STATUS_PICKLIST: "Lead Statuses",
    CONTACT_STATUS_PICKLIST: "Contact Statuses",
}


def _field_json(f: Field) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if f.name in _PICKLISTS:
        extra["picklist"] = _picklist(
            _PICKLISTS[f.name], _PICKLIST_NAMES.get(_PICKLISTS[f.name], "")
        )
    if f.name in _LINKS:
        extra["linked_item"] = _linked_item(*_LINKS[f.name])
    return _field(
        f.name,
        _label(f.name),
        _DATA_TYPES.get(f.kind, "string"),
        writable=f.attribute is not None,
        **extra,
    )


_OPPORTUNITY_FIELDS = [
    _field("id", "Id", "integer", writable=False),
    _field("description", "Description", "text"),
    _field("opportunity_stage", "Stage", "string"),
    _field("probability", "Probability", "integer"),
    _field("fao_amount", "Amount", "decimal"),
    _field("close_date", "Close Date", "datetime"),
    _field(
        "party_or_lead_id",
        "Organisation",
        "integer",
        linked_item=_linked_item("party_or_lead", ORGANISATION_CLASS),
    ),
    _field("party_or_lead_name", "Organisation Name", "string", writable=False),
]


def _types() -> list[dict[str, Any]]:
    return [
        {
            "class_name": PERSON_CLASS,
            "base_class_name": "Private::Crm::Party",
            "human_class_name": "Person",
            "human_class_name_plural": "People",
            "controller_path": "crm/people",
            "fields": [_field_json(f) for f in PERSON_FIELDS.values()],
            "associations": [
                _association("employer", "employer_link", ORGANISATION_CLASS, "Employer")
            ],
        },
        {
            "class_name": ORGANISATION_CLASS,
            "base_class_name": "Private::Crm::Party",
            "human_class_name": "Organisation",
            "human_class_name_plural": "Organisations",
            "controller_path": "crm/organisations",
            "fields": [_field_json(f) for f in ORGANISATION_FIELDS.values()],
            "associations": [],
        },
        {
            "class_name": OPPORTUNITY_CLASS,
            "base_class_name": "Private::Crm::Opportunity",
            "human_class_name": "Opportunity",
            "human_class_name_plural": "Opportunities",
            "controller_path": "crm/opportunities",
            "fields": list(_OPPORTUNITY_FIELDS),
            "associations": [
                _association(
                    "party_or_lead", "party_or_lead_id", ORGANISATION_CLASS, "Organisation"
                )
            ],
        },
    ]


def metadata_types(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """The answer to `metadata/types.api` for these request parameters."""
    from syncmonitor.sandbox.mailshot_fields import mailshot_type

    wanted = [v for k, v in pairs if k == "class_names[]"]
    columns = [v for k, v in pairs if k == "_select_columns[]"]
    types = [*_types(), mailshot_type()]
    known = {t["class_name"] for t in types}
    unknown = [c for c in wanted if c not in known]
    if unknown:
        message = f"Unknown class name(s): {', '.join(unknown)}"
        return {"success": False, "errors": [message], "flash": message}
    chosen = [t for t in types if not wanted or t["class_name"] in wanted]
    if columns:
        chosen = [{k: v for k, v in t.items() if k in columns} for t in chosen]
    return {"data": chosen, "total": len(chosen), "success": True, "flash": "", "updates": {}}
