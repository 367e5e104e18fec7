"""Workbooks `metadata/types.api`: the record types and their fields, as the sandbox serves them.

Shape as Workbooks' metadata example asks for it: `class_names[]` picks types (all when absent),
`_select_columns[]` picks the keys of each type (`class_name`, `human_class_name`,
`controller_path`, `fields`, ...). Each field says its `name`, `label`, `data_type` (string,
integer, boolean, datetime, picklist, link), `read_only`, and for a picklist its `picklist_id`,
for a link the `link_class` it points at.
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
_LINKS = {"employer_link": ORGANISATION_CLASS}


def _label(name: str) -> str:
    return _LABELS.get(name) or name.replace("_", " ").title()


def _field_json(f: Field) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": f.name,
        "label": _label(f.name),
        "data_type": _DATA_TYPES.get(f.kind, "string"),
        "read_only": f.attribute is None,
    }
    if f.name in _PICKLISTS:
        data["data_type"] = "picklist"
        data["picklist_id"] = _PICKLISTS[f.name]
    if f.name in _LINKS:
        data["data_type"] = "link"
        data["link_class"] = _LINKS[f.name]
    return data


def _static(name: str, label: str, data_type: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "label": label, "data_type": data_type, "read_only": False, **extra}


_OPPORTUNITY_FIELDS = [
    {"name": "id", "label": "Id", "data_type": "integer", "read_only": True},
    _static("description", "Description", "string"),
    _static("opportunity_stage", "Stage", "string"),
    _static("probability", "Probability", "integer"),
    _static("fao_amount", "Amount", "integer"),
    _static("close_date", "Close Date", "datetime"),
    _static("party_or_lead_id", "Organisation", "link", link_class=ORGANISATION_CLASS),
    {
        "name": "party_or_lead_name",
        "label": "Organisation Name",
        "data_type": "string",
        "read_only": True,
    },
]


def _types() -> list[dict[str, Any]]:
    return [
        {
            "id": 1,
            "class_name": PERSON_CLASS,
            "base_class_name": "Private::Crm::Party",
            "human_class_name": "Person",
            "human_class_name_plural": "People",
            "controller_path": "crm/people",
            "fields": {f.name: _field_json(f) for f in PERSON_FIELDS.values()},
        },
        {
            "id": 2,
            "class_name": ORGANISATION_CLASS,
            "base_class_name": "Private::Crm::Party",
            "human_class_name": "Organisation",
            "human_class_name_plural": "Organisations",
            "controller_path": "crm/organisations",
            "fields": {f.name: _field_json(f) for f in ORGANISATION_FIELDS.values()},
        },
        {
            "id": 3,
            "class_name": OPPORTUNITY_CLASS,
            "base_class_name": "Private::Crm::Opportunity",
            "human_class_name": "Opportunity",
            "human_class_name_plural": "Opportunities",
            "controller_path": "crm/opportunities",
            "fields": {f["name"]: f for f in _OPPORTUNITY_FIELDS},
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
        chosen = [{k: v for k, v in t.items() if k in columns or k == "id"} for t in chosen]
    return {"data": chosen, "total": len(chosen), "success": True, "flash": "", "updates": {}}
