"""Field mapping options: each rule about when an option applies, checked on saved data, and what
each option does to the values a sync sends and loads (the pure mapping layer)."""

from __future__ import annotations

import pytest

from syncmonitor.domain.mappings.apply import (
    Change,
    MappingContext,
    Skip,
    load_rule,
    plan_pair,
    send_rule,
)
from syncmonitor.domain.mappings.fields import (
    Direction,
    FieldMapping,
    FieldOptions,
    FieldRule,
    ObjectPair,
    check_field_mapping,
    check_field_rule,
    option_problems,
)
from syncmonitor.domain.mappings.mapping_set import MappingSet
from syncmonitor.domain.mappings.preview import preview
from syncmonitor.domain.mappings.statuses import StatusMapping, StatusRule
from syncmonitor.domain.mappings.values import FieldInfo, FieldKind, StatusKind

T, R = FieldKind.TEXT, FieldKind.REFERENCE
CRM = {
    "cf_note": FieldInfo("cf_note", "Note", T),
    "name": FieldInfo("name", "Name", T, read_only=True),
    "employer_link": FieldInfo("employer_link", "Employer", R, reference_to="organisation"),
    "cf_person_lead_status": FieldInfo("cf_person_lead_status", "Lead Status", FieldKind.PICKLIST),
    "cf_person_contact_status": FieldInfo(
        "cf_person_contact_status", "Contact", FieldKind.PICKLIST
    ),
    "no_email": FieldInfo("no_email", "No Email", FieldKind.BOOLEAN),
}
OUT = {
    "custom1": FieldInfo("custom1", "Custom 1", T),
    "updatedAt": FieldInfo("updatedAt", "Updated", FieldKind.DATETIME, read_only=True),
    "stage": FieldInfo("stage", "Stage", R, reference_to="stage"),
    "account": FieldInfo("account", "Account", R, reference_to="account"),
}
LEAD = StatusMapping(
    StatusKind.LEAD, (StatusRule("Qualified", "Replied", 3), StatusRule("New", "New", 1))
)
CONTACT = StatusMapping(StatusKind.CONTACT, (StatusRule("Customer", "Bad Data", 6),))
CTX = MappingContext(
    status={StatusKind.LEAD: LEAD, StatusKind.CONTACT: CONTACT},
    crm_fields=CRM,
    outreach_fields=OUT,
    crm_records={"organisation": {1001: {"id": 1001, "name": "Northwind Ltd"}}},
    outreach_records={"account": {7: {"id": 7, "name": "Northwind Ltd", "customId": "1001"}}},
    live_statuses={
        StatusKind.LEAD: frozenset({"Qualified", "New"}),
        StatusKind.CONTACT: frozenset({"Customer"}),
    },
    stage_ids=frozenset(range(1, 7)),
)


def rule(crm: str, out: str, direction: Direction = Direction.BOTH, **options: object) -> FieldRule:
    return FieldRule(crm, out, direction, FieldOptions(**options))  # type: ignore[arg-type]


def errors(r: FieldRule) -> list[str]:
    return [i.message for i in check_field_rule(r, 0, CRM, OUT) if i.is_error]


# -- which options apply -------------------------------------------------------------------------


def test_sending_options_need_a_direction_that_sends() -> None:
    load_only = rule("cf_note", "custom1", Direction.LOAD, skip_empty_sending=True)
    assert "sent to the CRM" in (
        option_problems(load_only, CRM["cf_note"], OUT["custom1"])["skip_empty_sending"] or ""
    )
    assert any("Skip empty values Outreach → CRM" in m for m in errors(load_only))
    placeholder = rule("cf_note", "custom1", Direction.LOAD, external_placeholder="-")
    assert any("External empty placeholder" in m for m in errors(placeholder))


def test_loading_options_need_a_direction_that_loads() -> None:
    send_only = rule("cf_note", "custom1", Direction.SEND, skip_empty_loading=True)
    assert any("Skip empty values CRM → Outreach" in m for m in errors(send_only))
    placeholder = rule("cf_note", "custom1", Direction.SEND, internal_placeholder="-")
    assert any("Internal empty placeholder" in m for m in errors(placeholder))


def test_skip_empty_and_a_placeholder_contradict() -> None:
    both = rule("cf_note", "custom1", skip_empty_sending=True, external_placeholder="-")
    assert any("nothing to replace" in m for m in errors(both))
    both = rule("cf_note", "custom1", skip_empty_loading=True, internal_placeholder="-")
    assert any("nothing to replace" in m for m in errors(both))


def test_placeholders_need_text_fields_and_a_sane_length() -> None:
    assert any(
        "does not hold text" in m
        for m in errors(rule("no_email", "custom1", Direction.SEND, external_placeholder="x"))
    )
    assert any(
        "longer than 255" in m
        for m in errors(rule("cf_note", "custom1", external_placeholder="x" * 256))
    )


def test_lookup_needs_a_reference_and_its_options_need_lookup() -> None:
    assert any("nothing to look up" in m for m in errors(rule("cf_note", "custom1", lookup=True)))
    for name in ("external_mapped_field", "lookup_by_name", "display_name"):
        value: object = "name" if name == "external_mapped_field" else True
        r = rule("employer_link", "custom1", Direction.LOAD, **{name: value})
        assert any("Only available when Lookup field is on" in m for m in errors(r)), name
    ok = rule(
        "employer_link",
        "custom1",
        Direction.LOAD,
        lookup=True,
        lookup_by_name=True,
        display_name=True,
    )
    assert errors(ok) == []


def test_a_lookup_field_holds_a_reference_not_text() -> None:
    r = rule("employer_link", "account", Direction.LOAD, lookup=True, internal_placeholder="none")
    assert any("holds a reference" in m for m in errors(r))


def test_a_stage_lookup_goes_through_a_status_mapping() -> None:
    assert any(
        "LeadStatus or ContactStatus" in m
        for m in errors(rule("cf_person_lead_status", "stage", lookup=True))
    )
    assert (
        errors(
            rule("cf_person_lead_status", "stage", lookup=True, external_mapped_field="LeadStatus")
        )
        == []
    )


def test_read_only_fields_cannot_be_written() -> None:
    assert any("read-only" in m for m in errors(rule("name", "custom1", Direction.SEND)))
    assert any("read-only" in m for m in errors(rule("cf_note", "updatedAt", Direction.LOAD)))
    assert errors(rule("name", "custom1", Direction.LOAD)) == []


def test_two_rules_writing_one_field_are_refused_except_two_status_lookups() -> None:
    mapping = FieldMapping(
        ObjectPair.PERSON_PROSPECT,
        (rule("cf_note", "custom1", Direction.LOAD), rule("name", "custom1", Direction.LOAD)),
    )
    assert any(
        "already loaded by row 1" in i.message for i in check_field_mapping(mapping, CRM, OUT)
    )
    statuses = FieldMapping(
        ObjectPair.PERSON_PROSPECT,
        (
            rule(
                "cf_person_lead_status",
                "stage",
                Direction.LOAD,
                lookup=True,
                external_mapped_field="LeadStatus",
            ),
            rule(
                "cf_person_contact_status",
                "stage",
                Direction.LOAD,
                lookup=True,
                external_mapped_field="ContactStatus",
            ),
        ),
    )
    assert [i for i in check_field_mapping(statuses, CRM, OUT) if i.is_error] == []


def test_a_field_gone_from_the_metadata_is_flagged_not_dropped() -> None:
    issues = check_field_rule(rule("cf_gone", "custom1"), 0, CRM, OUT)
    assert [i.severity.value for i in issues] == ["warning"]
    assert "renamed or deleted" in issues[0].message


# -- what each option does -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, Change("cf_note", None, 0, "old", "blank")),
        ({"skip_empty_sending": True}, Skip("cf_note", 0, "blank, and Skip empty values is on")),
        (
            {"external_placeholder": "(none)"},
            Change("cf_note", "(none)", 0, "old", "blank: placeholder used"),
        ),
    ],
)
def test_sending_a_blank(options: dict[str, object], expected: object) -> None:
    r = rule("cf_note", "custom1", Direction.SEND, **options)
    assert send_rule(r, 0, {"custom1": "  "}, {"cf_note": "old"}, CTX) == expected


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, Change("custom1", None, 0, "old", "blank")),
        ({"skip_empty_loading": True}, Skip("custom1", 0, "blank, and Skip empty values is on")),
        (
            {"internal_placeholder": "n/a"},
            Change("custom1", "n/a", 0, "old", "blank: placeholder used"),
        ),
    ],
)
def test_loading_a_blank(options: dict[str, object], expected: object) -> None:
    r = rule("cf_note", "custom1", Direction.LOAD, **options)
    assert load_rule(r, 0, {"cf_note": None}, {"custom1": "old"}, CTX) == expected


def test_status_lookups_both_ways() -> None:
    load = rule(
        "cf_person_lead_status",
        "stage",
        Direction.LOAD,
        lookup=True,
        external_mapped_field="LeadStatus",
    )
    assert load_rule(load, 0, {"cf_person_lead_status": "Qualified"}, {"stage": 1}, CTX).value == 3  # type: ignore[union-attr]
    skipped = load_rule(load, 0, {"cf_person_lead_status": "Converted"}, {"stage": 1}, CTX)
    assert isinstance(skipped, Skip) and "not mapped to a stage" in skipped.reason
    send = rule(
        "cf_person_lead_status",
        "stage",
        Direction.SEND,
        lookup=True,
        external_mapped_field="LeadStatus",
    )
    assert send_rule(send, 0, {"stage": 3}, {}, CTX).value == "Qualified"  # type: ignore[union-attr]
    named = rule(
        "cf_person_lead_status",
        "custom1",
        Direction.LOAD,
        lookup=True,
        display_name=True,
        external_mapped_field="LeadStatus",
    )
    assert load_rule(named, 0, {"cf_person_lead_status": "Qualified"}, None, CTX).value == "Replied"  # type: ignore[union-attr]


def test_a_status_gone_remotely_or_a_deleted_stage_is_skipped_with_the_reason() -> None:
    send = rule(
        "cf_person_lead_status",
        "stage",
        Direction.SEND,
        lookup=True,
        external_mapped_field="LeadStatus",
    )
    gone = MappingContext(
        **{
            **CTX.__dict__,
            "live_statuses": {StatusKind.LEAD: frozenset({"New"}), StatusKind.CONTACT: frozenset()},
        }
    )
    result = send_rule(send, 0, {"stage": 3}, {}, gone)
    assert isinstance(result, Skip) and "renamed or deleted" in result.reason
    load = rule(
        "cf_person_lead_status",
        "stage",
        Direction.LOAD,
        lookup=True,
        external_mapped_field="LeadStatus",
    )
    no_replied = MappingContext(**{**CTX.__dict__, "stage_ids": frozenset({1, 2})})
    result = load_rule(load, 0, {"cf_person_lead_status": "Qualified"}, None, no_replied)
    assert isinstance(result, Skip) and "no longer exists in Outreach" in result.reason


def test_reference_lookups_by_id_by_name_and_display_name() -> None:
    by_id = rule("employer_link", "account", Direction.LOAD, lookup=True)
    assert load_rule(by_id, 0, {"employer_link": 1001}, None, CTX).value == 7  # type: ignore[union-attr]
    shown = rule("employer_link", "custom1", Direction.LOAD, lookup=True, display_name=True)
    assert load_rule(shown, 0, {"employer_link": 1001}, None, CTX).value == "Northwind Ltd"  # type: ignore[union-attr]
    renamed = MappingContext(
        **{
            **CTX.__dict__,
            "crm_records": {"organisation": {1001: {"id": 1001, "name": "Northwind Group"}}},
        }
    )
    by_name = rule("employer_link", "account", Direction.LOAD, lookup=True, lookup_by_name=True)
    result = load_rule(by_name, 0, {"employer_link": 1001}, None, renamed)
    assert isinstance(result, Skip) and "looked up by name" in result.reason
    assert load_rule(by_id, 0, {"employer_link": 1001}, None, renamed).value == 7  # type: ignore[union-attr]
    send = rule("employer_link", "account", Direction.SEND, lookup=True)
    assert send_rule(send, 0, {"account": 7}, {}, CTX).value == 1001  # type: ignore[union-attr]
    send_name = rule("cf_note", "account", Direction.SEND, lookup=True, display_name=True)
    assert send_rule(send_name, 0, {"account": 7}, {}, CTX).value == "Northwind Ltd"  # type: ignore[union-attr]


def test_both_ways_the_side_changed_last_wins_and_the_contact_status_overrides() -> None:
    mapping = FieldMapping(
        ObjectPair.PERSON_PROSPECT,
        (
            rule(
                "cf_person_lead_status",
                "stage",
                lookup=True,
                external_mapped_field="LeadStatus",
                skip_empty_loading=True,
            ),
            rule(
                "cf_person_contact_status",
                "stage",
                Direction.LOAD,
                lookup=True,
                external_mapped_field="ContactStatus",
                skip_empty_loading=True,
            ),
        ),
    )
    crm = {"cf_person_lead_status": "Qualified", "cf_person_contact_status": "Customer"}
    send, load = plan_pair(mapping, crm, {"stage": 1}, CTX, crm_is_newer=True)
    assert load.values() == {"stage": 6}  # the contact status (a converted lead) wins
    assert any("overridden by row 2" in s.reason for s in load.skipped)
    send, load = plan_pair(
        mapping, {"cf_person_lead_status": "Qualified"}, {"stage": 1}, CTX, crm_is_newer=False
    )
    assert send.values() == {"cf_person_lead_status": "New"} and load.values() == {}


def test_preview_marks_what_saving_would_change() -> None:
    edited = (
        MappingSet()
        .with_status(LEAD)
        .with_fields(
            FieldMapping(
                ObjectPair.PERSON_PROSPECT,
                (
                    rule(
                        "cf_person_lead_status",
                        "stage",
                        Direction.LOAD,
                        lookup=True,
                        external_mapped_field="LeadStatus",
                    ),
                ),
            )
        )
    )
    saved = MappingSet().with_fields(FieldMapping(ObjectPair.PERSON_PROSPECT, ()))
    rows = preview(
        edited,
        saved,
        ObjectPair.PERSON_PROSPECT,
        {"cf_person_lead_status": "Qualified"},
        {"stage": 1},
        CTX,
        crm_is_newer=True,
    )
    assert [(r.field, r.edited.value, r.saved.text, r.differs) for r in rows] == [
        ("stage", 3, "not mapped", True)
    ]


def test_organisation_and_opportunity_pairs_use_the_same_layer() -> None:
    org_ctx = MappingContext(
        crm_fields={
            "name": FieldInfo("name", "Name", T),
            "industry": FieldInfo("industry", "Industry", T),
        },
        outreach_fields={
            "name": FieldInfo("name", "Name", T),
            "industry": FieldInfo("industry", "Industry", T),
        },
    )
    organisation = FieldMapping(
        ObjectPair.ORGANISATION_ACCOUNT,
        (
            rule("name", "name", Direction.SEND, skip_empty_sending=True),
            rule("industry", "industry", Direction.LOAD, internal_placeholder="Unknown"),
        ),
    )
    send, load = plan_pair(
        organisation,
        {"name": "Old", "industry": ""},
        {"name": "Northwind"},
        org_ctx,
        crm_is_newer=True,
    )
    assert send.values() == {"name": "Northwind"} and load.values() == {"industry": "Unknown"}
    opp_ctx = MappingContext(
        crm_fields={
            "party_or_lead_id": FieldInfo(
                "party_or_lead_id", "Organisation", R, reference_to="organisation"
            )
        },
        outreach_fields={"account": FieldInfo("account", "Account", R, reference_to="account")},
        crm_records=CTX.crm_records,
        outreach_records=CTX.outreach_records,
    )
    opportunity = FieldMapping(
        ObjectPair.OPPORTUNITY,
        (rule("party_or_lead_id", "account", Direction.LOAD, lookup=True, lookup_by_name=True),),
    )
    _send, load = plan_pair(opportunity, {"party_or_lead_id": 1001}, {}, opp_ctx, crm_is_newer=True)
    assert load.values() == {"account": 7}
