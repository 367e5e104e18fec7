"""The two-way sync's rules without I/O: emails as people type them, which side wins a field,
what Outreach requires, the scope filter, and the conflict rule on a field mapping."""

from __future__ import annotations

import pytest

from syncmonitor.domain.mappings import files as mapping_io
from syncmonitor.domain.mappings.fields import (
    ConflictRule,
    Direction,
    FieldMapping,
    FieldOptions,
    FieldRule,
    ObjectPair,
    check_field_rule,
    option_problems,
)
from syncmonitor.domain.mappings.mapping_set import MappingSet
from syncmonitor.domain.scope import (
    Condition,
    ScopeFilter,
    base_conditions,
    from_json,
    problems,
    to_json,
    workbooks_filter,
)
from syncmonitor.domain.two_way import Side, missing_required, normalise_emails, resolve


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Ada@Example.COM ", ["ada@example.com"]),
        ("a@x.org; B@Y.org, a@x.org", ["a@x.org", "b@y.org"]),
        ("Ada Lovelace <ada@x.org>", ["ada@x.org"]),
        ("mailto:ada@x.org", ["ada@x.org"]),
        (["A@x.org", " b@x.org"], ["a@x.org", "b@x.org"]),
        ("not an address", []),
        ("", []),
        (None, []),
        ("ada@x", []),
    ],
)
def test_emails_in_odd_forms(raw: object, expected: list[str]) -> None:
    assert normalise_emails(raw) == expected


def test_one_side_changed_goes_to_the_other_whatever_the_rule() -> None:
    for rule in ConflictRule:
        crm = resolve("new", "old", "old", known=True, rule=rule, crm_is_newer=False)
        assert (crm.winner, crm.conflict) == (Side.CRM, False)
        out = resolve("old", "new", "old", known=True, rule=rule, crm_is_newer=True)
        assert (out.winner, out.conflict) == (Side.OUTREACH, False)


@pytest.mark.parametrize(
    ("rule", "crm_is_newer", "winner"),
    [
        (ConflictRule.CRM_WINS, False, Side.CRM),
        (ConflictRule.OUTREACH_WINS, True, Side.OUTREACH),
        (ConflictRule.NEWEST_WINS, True, Side.CRM),
        (ConflictRule.NEWEST_WINS, False, Side.OUTREACH),
    ],
)
def test_both_changed_is_a_conflict_the_rule_settles(
    rule: ConflictRule, crm_is_newer: bool, winner: Side
) -> None:
    decided = resolve("a", "b", "old", known=True, rule=rule, crm_is_newer=crm_is_newer)
    assert (decided.winner, decided.conflict) == (winner, True)


def test_agreeing_sides_and_first_links() -> None:
    assert (
        resolve("x", "x", "old", known=True, rule=ConflictRule.CRM_WINS, crm_is_newer=True).winner
        is None
    )
    assert (
        resolve("", None, None, known=False, rule=ConflictRule.CRM_WINS, crm_is_newer=True).winner
        is None
    )
    first = resolve("a", "b", None, known=False, rule=ConflictRule.OUTREACH_WINS, crm_is_newer=True)
    assert (first.winner, first.conflict) == (Side.OUTREACH, False)  # a first link is no conflict


def test_required_fields_are_checked_before_sending() -> None:
    assert "email" in (missing_required("prospect", {"emails": []}) or "")
    assert missing_required("prospect", {"emails": ["a@x.org"]}) is None
    assert "name" in (missing_required("account", {"name": "  "}) or "")
    assert missing_required("account", {"name": "Acme"}) is None


def test_scope_filter_expression_and_checks() -> None:
    base = base_conditions("s", "e", "d")
    conditions, mode = workbooks_filter(ScopeFilter(), 7, base)
    assert mode == "1 AND 2 AND 3 AND (4 OR 5)"
    assert conditions[3] == ("assigned_to", "eq", "7")
    either = ScopeFilter(
        mine=False,
        conditions=(Condition("name", "bg", "A"), Condition("cf_x", "true")),
        match_all=False,
    )
    assert workbooks_filter(either, None, base)[1] == "1 AND 2 AND 3 AND (4 OR 5)"
    with pytest.raises(ValueError):
        workbooks_filter(ScopeFilter(), None, base)  # "me" must be known
    bad = ScopeFilter(
        conditions=(
            Condition("", "eq", "x"),
            Condition("name", "like", "x"),
            Condition("name", "eq"),
        )
    )
    assert len(problems(bad)) == 3
    assert problems(ScopeFilter(conditions=(Condition("name", "blank"),))) == []
    assert from_json(to_json(either)) == either
    assert from_json("not json") == ScopeFilter()


def test_conflict_rule_is_a_field_mapping_option() -> None:
    both = FieldRule(
        "person_last_name", "lastName", Direction.BOTH, FieldOptions(conflict_rule="crm_wins")
    )
    assert both.options.conflict is ConflictRule.CRM_WINS
    assert option_problems(both, None, None)["conflict_rule"] is None
    one_way = FieldRule(
        "person_last_name", "lastName", Direction.LOAD, FieldOptions(conflict_rule="crm_wins")
    )
    assert option_problems(one_way, None, None)["conflict_rule"] is not None
    assert any(i.column == "conflict_rule" for i in check_field_rule(one_way, 0, None, None))
    wrong = FieldRule("a", "b", Direction.BOTH, FieldOptions(conflict_rule="loudest_wins"))
    assert any(i.column == "conflict_rule" for i in check_field_rule(wrong, 0, None, None))
    assert FieldOptions().conflict is ConflictRule.NEWEST_WINS  # the documented default


def test_conflict_rule_survives_export_and_import() -> None:
    rule = FieldRule(
        "person_last_name", "lastName", Direction.BOTH, FieldOptions(conflict_rule="outreach_wins")
    )
    mappings = MappingSet().with_fields(FieldMapping(ObjectPair.PERSON_PROSPECT, (rule,)))
    for text, load in (
        (mapping_io.to_json(mappings).decode(), mapping_io.from_json),
        (mapping_io.to_csv(mappings).decode(), mapping_io.from_csv),
    ):
        back = load(text, "test")
        assert (
            back.fields[ObjectPair.PERSON_PROSPECT].rules[0].options.conflict_rule
            == "outreach_wins"
        )
    old_csv = "\n".join(
        line.replace(",conflict_rule", "").replace(",outreach_wins", "")
        for line in mapping_io.to_csv(mappings).decode().splitlines()
    )
    back = mapping_io.from_csv(old_csv, "an older export")
    assert (
        back.fields[ObjectPair.PERSON_PROSPECT].rules[0].options.conflict
        is ConflictRule.NEWEST_WINS
    )
