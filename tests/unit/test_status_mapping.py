"""Status mapping rules: one to one, exact API names with suggestions, values gone remotely flagged
and kept, names too long or invisible, lead and contact separate, undo history."""

from __future__ import annotations

import pytest

from syncmonitor.domain.mappings.history import EditHistory
from syncmonitor.domain.mappings.statuses import (
    MappingRuleError,
    Severity,
    StatusMapping,
    StatusRule,
    add_rule,
    check_status_mapping,
    remove_rule,
    replace_rule,
    resolve_stages,
    unmapped_stages,
    unmapped_statuses,
)
from syncmonitor.domain.mappings.values import CrmStatus, Stage, StatusKind, name_problem, suggest

STAGES = [
    Stage(1, "New", 1),
    Stage(2, "Approaching", 2),
    Stage(3, "Replied", 3),
    Stage(4, "Unresponsive", 4),
    Stage(5, "Do Not Contact", 5),
    Stage(6, "Bad Data", 6),
]
VALUES = [
    CrmStatus("Open - Not Contacted", sort_order=1),
    CrmStatus("Working - Contacted", sort_order=2),
    CrmStatus("Closed - Converted", is_converted=True, sort_order=7),
]
LEAD = StatusMapping(StatusKind.LEAD)


def test_a_status_maps_to_one_stage_and_a_stage_from_one_status() -> None:
    mapping = add_rule(LEAD, StatusRule("Open - Not Contacted", "New", 1))
    with pytest.raises(MappingRuleError, match="Stage 'New' is already mapped from"):
        add_rule(mapping, StatusRule("Working - Contacted", "New", 1))
    with pytest.raises(MappingRuleError, match="already mapped to stage 'New'"):
        add_rule(mapping, StatusRule("Open - Not Contacted", "Replied", 3))
    # Editing a row in place is not a conflict with itself.
    edited = replace_rule(mapping, 0, StatusRule("Open - Not Contacted", "Replied", 3))
    assert edited.rules == (StatusRule("Open - Not Contacted", "Replied", 3),)


def test_lead_and_contact_mappings_are_separate() -> None:
    lead = add_rule(LEAD, StatusRule("Active", "New", 1))
    contact = add_rule(StatusMapping(StatusKind.CONTACT), StatusRule("Active", "New", 1))
    assert lead.rules == contact.rules  # the same stage in both kinds is fine


def test_duplicates_in_saved_data_are_errors() -> None:
    mapping = StatusMapping(
        StatusKind.LEAD,
        (StatusRule("Open - Not Contacted", "New", 1), StatusRule("Working - Contacted", "New", 1)),
    )
    issues = check_status_mapping(mapping, VALUES, STAGES)
    assert [(i.row, i.severity) for i in issues if "already mapped" in i.message] == [
        (1, Severity.ERROR)
    ]


@pytest.mark.parametrize(
    ("typed", "meant", "why"),
    [
        ("open - not contacted", "Open - Not Contacted", "upper/lower case"),
        ("Open -  Not Contacted", "Open - Not Contacted", "spacing"),
        ("Working - Contcted", "Working - Contacted", "typo"),
    ],
)
def test_api_names_must_match_exactly_and_a_near_miss_gets_a_suggestion(
    typed: str, meant: str, why: str
) -> None:
    mapping = StatusMapping(StatusKind.LEAD, (StatusRule(typed, "New", 1),))
    (issue,) = check_status_mapping(mapping, VALUES, STAGES)
    assert issue.severity is Severity.ERROR and issue.column == "crm"
    assert issue.suggestion == meant
    assert why in issue.message
    assert "must match exactly" in issue.message


def test_nothing_close_gets_no_suggestion() -> None:
    assert suggest("Zebra", [v.api_name for v in VALUES]) is None


def test_a_value_renamed_or_deleted_since_saving_is_a_warning_and_kept() -> None:
    saved = StatusMapping(StatusKind.LEAD, (StatusRule("Nurturing", "Approaching", 2),))
    issues = check_status_mapping(saved, VALUES, STAGES, saved=saved)
    assert len(issues) == 1
    assert issues[0].severity is Severity.WARNING
    assert "renamed or deleted there since this mapping was saved" in issues[0].message
    assert saved.rules  # never dropped


def test_a_stage_deleted_in_outreach_is_flagged() -> None:
    saved = StatusMapping(StatusKind.LEAD, (StatusRule("Open - Not Contacted", "Bad Data", 6),))
    issues = check_status_mapping(saved, VALUES, STAGES[:5], saved=saved)
    assert [i.severity for i in issues] == [Severity.WARNING]
    assert "deleted in Outreach" in issues[0].message
    new = StatusMapping(StatusKind.LEAD, (StatusRule("Open - Not Contacted", "Bad Dta", None),))
    (issue,) = check_status_mapping(new, VALUES, STAGES)
    assert issue.severity is Severity.ERROR and issue.suggestion == "Bad Data"


def test_a_renamed_stage_is_followed_by_id() -> None:
    mapping = StatusMapping(StatusKind.LEAD, (StatusRule("Open - Not Contacted", "New", 1),))
    renamed = [Stage(1, "Fresh", 1), *STAGES[1:]]
    (issue,) = check_status_mapping(mapping, VALUES, renamed, saved=mapping)
    assert issue.severity is Severity.WARNING and "renamed to 'Fresh'" in issue.message
    assert resolve_stages(mapping, renamed).rules[0].stage_name == "Fresh"


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("x" * 256, "256 characters"),
        (" Leading", "starts or ends with spaces"),
        ("Tab\there", "control character"),
        ("Zero\u200bwidth", "control character"),
    ],
)
def test_names_that_can_never_match_are_refused(name: str, problem: str) -> None:
    message = name_problem(name, "The CRM status")
    assert message is not None and problem in message
    with pytest.raises(MappingRuleError):
        add_rule(LEAD, StatusRule(name, "New", 1))


def test_long_and_non_ascii_names_within_limits_are_fine() -> None:
    name = "Réunion planifiée – 日本語 " + "x" * 200
    values = [CrmStatus(name)]
    stages = [Stage(9, "Überprüfung läuft", 1)]
    mapping = add_rule(LEAD, StatusRule(name, "Überprüfung läuft", 9))
    assert check_status_mapping(mapping, values, stages) == []


def test_unknown_sources_are_a_warning_not_a_guess() -> None:
    mapping = add_rule(LEAD, StatusRule("Anything", "Whatever", None))
    issues = check_status_mapping(mapping, None, None)
    assert {i.severity for i in issues} == {Severity.WARNING}
    assert all(i.row is None for i in issues)


def test_unmapped_values_on_both_sides() -> None:
    mapping = add_rule(LEAD, StatusRule("Working - Contacted", "Approaching", 2))
    assert unmapped_statuses(mapping, VALUES) == ["Open - Not Contacted", "Closed - Converted"]
    assert [s.name for s in unmapped_stages(mapping, STAGES)] == [
        "New",
        "Replied",
        "Unresponsive",
        "Do Not Contact",
        "Bad Data",
    ]


def test_remove_and_bad_rows() -> None:
    mapping = add_rule(LEAD, StatusRule("Working - Contacted", "Approaching", 2))
    assert remove_rule(mapping, 0).rules == ()
    with pytest.raises(MappingRuleError, match="no row 3"):
        remove_rule(mapping, 2)


def test_history_undo_redo_dirty_and_revert() -> None:
    history = EditHistory(LEAD)
    one = add_rule(LEAD, StatusRule("Working - Contacted", "Approaching", 2))
    history.do(one, "Add")
    history.do(one, "Add again")  # no change: no step
    assert history.dirty and history.undo_label == "Add"
    assert history.undo() == LEAD and not history.dirty
    assert history.redo() == one
    history.mark_saved()
    assert not history.dirty
    two = remove_rule(one, 0)
    history.do(two, "Remove")
    history.revert()
    assert history.current == one and history.can_undo
    history.undo()
    assert history.current == two
    assert history.current == two == LEAD and history.can_redo
    history.do(add_rule(LEAD, StatusRule("Closed - Converted", "Replied", 3)), "Branch")
    assert not history.can_redo  # a new edit after an undo drops the redo branch
