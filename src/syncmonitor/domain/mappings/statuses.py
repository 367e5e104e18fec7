"""Lead Status and Contact Status to Outreach stage mappings, and every rule they must keep.

The rules are Outreach's own (Outreach's article on mapping CRM statuses to stages): a CRM status is
mapped to one stage and a stage from one CRM status (mapping a stage already mapped is an error);
lead and contact statuses are separate mappings; the API name must match the CRM's live value
exactly. What Outreach leaves to a failed sync, this module says up front, with the reason and, for
a near miss, the value probably meant.

A rule saved earlier whose CRM value has since been renamed or deleted in the CRM, or whose stage
was deleted in Outreach, is kept and flagged: never silently dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from syncmonitor.app.errors import UserFacingError
from syncmonitor.domain.mappings.values import (
    CrmStatus,
    Stage,
    StatusKind,
    name_problem,
    near_miss_reason,
    suggest,
)


class Severity(StrEnum):
    ERROR = "error"  # cannot be saved like this
    WARNING = "warning"  # saved, but the sync will skip it until fixed


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem with a mapping: where (row, column), what, and what was probably meant."""

    severity: Severity
    message: str
    row: int | None = None
    column: str = ""  # "crm", "stage", or a field mapping option's name
    suggestion: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


class MappingRuleError(UserFacingError):
    """An edit that would break a mapping rule."""

    title = "This mapping is not allowed"


@dataclass(frozen=True, slots=True)
class StatusRule:
    """CRM status (its exact API name) to Outreach stage. `stage_id` is None until the stage is
    known in Outreach (an imported name that has not been matched yet)."""

    crm_status: str
    stage_name: str
    stage_id: int | None = None


@dataclass(frozen=True, slots=True)
class StatusMapping:
    """All the rules of one kind (lead or contact), in the order the person put them."""

    kind: StatusKind
    rules: tuple[StatusRule, ...] = ()

    def stage_for(self, crm_status: str) -> StatusRule | None:
        return next((r for r in self.rules if r.crm_status == crm_status), None)

    def status_for_stage(self, stage_id: int) -> StatusRule | None:
        return next((r for r in self.rules if r.stage_id == stage_id), None)


def _conflicts(mapping: StatusMapping, rule: StatusRule, skip: int | None) -> str | None:
    for index, other in enumerate(mapping.rules):
        if index == skip:
            continue
        if other.crm_status == rule.crm_status:
            return (
                f"{mapping.kind.label} {rule.crm_status!r} is already mapped to stage "
                f"{other.stage_name!r} (row {index + 1}); a status maps to one stage only."
            )
        same_stage = (
            other.stage_id == rule.stage_id
            if rule.stage_id is not None and other.stage_id is not None
            else other.stage_name == rule.stage_name
        )
        if same_stage:
            return (
                f"Stage {rule.stage_name!r} is already mapped from {other.crm_status!r} "
                f"(row {index + 1}). Outreach refuses a stage that is already mapped: remove or "
                "change that row first."
            )
    return None


def _check_names(rule: StatusRule) -> None:
    for name, what in ((rule.crm_status, "The CRM status"), (rule.stage_name, "The stage name")):
        problem = name_problem(name, what)
        if problem:
            raise MappingRuleError(problem, "Correct it and try again.")


def add_rule(mapping: StatusMapping, rule: StatusRule) -> StatusMapping:
    """The mapping with `rule` added at the end; MappingRuleError says why it cannot be."""
    _check_names(rule)
    conflict = _conflicts(mapping, rule, None)
    if conflict:
        raise MappingRuleError(conflict)
    return replace(mapping, rules=(*mapping.rules, rule))


def replace_rule(mapping: StatusMapping, index: int, rule: StatusRule) -> StatusMapping:
    """The mapping with row `index` changed to `rule`."""
    if not 0 <= index < len(mapping.rules):
        raise MappingRuleError(f"There is no row {index + 1} to change.")
    _check_names(rule)
    conflict = _conflicts(mapping, rule, index)
    if conflict:
        raise MappingRuleError(conflict)
    rules = list(mapping.rules)
    rules[index] = rule
    return replace(mapping, rules=tuple(rules))


def remove_rule(mapping: StatusMapping, index: int) -> StatusMapping:
    if not 0 <= index < len(mapping.rules):
        raise MappingRuleError(f"There is no row {index + 1} to remove.")
    rules = list(mapping.rules)
    del rules[index]
    return replace(mapping, rules=tuple(rules))


def check_status_mapping(
    mapping: StatusMapping,
    crm_values: Sequence[CrmStatus] | None,
    stages: Sequence[Stage] | None,
    saved: StatusMapping | None = None,
) -> list[Issue]:
    """Every problem with `mapping` against the live values (None: not loaded yet).

    A rule unchanged since `saved` whose value is gone remotely is a warning (renamed or deleted
    since it was saved: kept, flagged, skipped by the sync); a new or edited rule naming a value
    that does not exist is an error (it would fail the sync).
    """
    issues: list[Issue] = []
    saved_rules = set(saved.rules) if saved is not None else set()
    live_names = [v.api_name for v in crm_values] if crm_values is not None else None
    stage_by_id = {s.id: s for s in stages} if stages is not None else None
    stage_names = [s.name for s in stages] if stages is not None else []
    if crm_values is None:
        issues.append(
            Issue(
                Severity.WARNING,
                f"The CRM's {mapping.kind.label} values have not been loaded, so API names "
                "cannot be checked. Use Refresh to read them.",
            )
        )
    if stages is None:
        issues.append(
            Issue(
                Severity.WARNING,
                "Outreach's stages have not been loaded, so stages cannot be checked. Use Refresh.",
            )
        )
    for row, rule in enumerate(mapping.rules):
        for name, column, what in (
            (rule.crm_status, "crm", "The CRM status"),
            (rule.stage_name, "stage", "The stage name"),
        ):
            problem = name_problem(name, what)
            if problem:
                issues.append(Issue(Severity.ERROR, problem, row, column))
        conflict = _conflicts(StatusMapping(mapping.kind, mapping.rules[:row]), rule, None)
        if conflict:
            issues.append(Issue(Severity.ERROR, conflict, row, "stage"))
        was_saved = rule in saved_rules
        if live_names is not None and rule.crm_status and rule.crm_status not in live_names:
            issues.append(_missing_status(mapping.kind, rule, row, live_names, was_saved))
        if stage_by_id is not None:
            issue = _stage_issue(rule, row, stage_by_id, stage_names, was_saved)
            if issue is not None:
                issues.append(issue)
    return issues


def _missing_status(
    kind: StatusKind, rule: StatusRule, row: int, live: list[str], was_saved: bool
) -> Issue:
    meant = suggest(rule.crm_status, live)
    if was_saved:
        message = (
            f"{kind.label} {rule.crm_status!r} is no longer in the CRM: it was renamed or "
            "deleted there since this mapping was saved. The sync skips people with it until "
            "the row is corrected."
        )
        return Issue(Severity.WARNING, message, row, "crm", meant)
    message = (
        f"{rule.crm_status!r} is not a {kind.label} API name in the CRM. Names must match "
        "exactly or the sync fails."
    )
    if meant is not None:
        message += f" Did you mean {meant!r}? ({near_miss_reason(rule.crm_status, meant)})"
    return Issue(Severity.ERROR, message, row, "crm", meant)


def _stage_issue(
    rule: StatusRule, row: int, by_id: dict[int, Stage], names: list[str], was_saved: bool
) -> Issue | None:
    if rule.stage_id is not None and rule.stage_id in by_id:
        live = by_id[rule.stage_id]
        if live.name != rule.stage_name:
            return Issue(
                Severity.WARNING,
                f"Stage {rule.stage_name!r} was renamed to {live.name!r} in Outreach; the "
                "mapping follows it (save to update the name).",
                row,
                "stage",
                live.name,
            )
        return None
    if rule.stage_id is None and rule.stage_name in names:
        return None  # matched by name (an import); resolved when saved
    meant = suggest(rule.stage_name, names)
    if rule.stage_id is not None and was_saved:
        return Issue(
            Severity.WARNING,
            f"Stage {rule.stage_name!r} was deleted in Outreach since this mapping was saved. "
            "The sync skips this row until another stage is chosen or the stage is created "
            "again.",
            row,
            "stage",
            meant,
        )
    message = f"Outreach has no stage named {rule.stage_name!r}."
    if meant is not None:
        message += f" Did you mean {meant!r}? ({near_miss_reason(rule.stage_name, meant)})"
    else:
        message += " Create it in Outreach (Create stage) or pick an existing one."
    return Issue(Severity.ERROR, message, row, "stage", meant)


def resolve_stages(mapping: StatusMapping, stages: Sequence[Stage]) -> StatusMapping:
    """Fill in stage ids for rules named by stage only, and follow renamed stages."""
    by_id = {s.id: s for s in stages}
    by_name = {s.name: s for s in stages}
    rules = []
    for rule in mapping.rules:
        if rule.stage_id is not None and rule.stage_id in by_id:
            rules.append(replace(rule, stage_name=by_id[rule.stage_id].name))
        elif rule.stage_id is None and rule.stage_name in by_name:
            rules.append(replace(rule, stage_id=by_name[rule.stage_name].id))
        else:
            rules.append(rule)
    return replace(mapping, rules=tuple(rules))


def unmapped_statuses(mapping: StatusMapping, crm_values: Sequence[CrmStatus]) -> list[str]:
    """Live CRM values no rule maps, in the CRM's order."""
    mapped = {r.crm_status for r in mapping.rules}
    ordered = sorted(crm_values, key=lambda v: v.sort_order)
    return [v.api_name for v in ordered if v.api_name not in mapped]


def unmapped_stages(mapping: StatusMapping, stages: Sequence[Stage]) -> list[Stage]:
    """Live stages no rule maps to, in Outreach's order."""
    mapped_ids = {r.stage_id for r in mapping.rules if r.stage_id is not None}
    mapped_names = {r.stage_name for r in mapping.rules if r.stage_id is None}
    return [
        s
        for s in sorted(stages, key=lambda s: (s.order is None, s.order or 0, s.id))
        if s.id not in mapped_ids and s.name not in mapped_names
    ]
