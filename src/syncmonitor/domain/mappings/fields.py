"""Field mappings per object pair, with Outreach's advanced options and the rules that bind them.

Words as Outreach uses them: *sending* is Outreach to the CRM, *loading* is the CRM to
Outreach; *external* is the CRM side, *internal* the Outreach side. The options:

- skip empty values when sending / when loading: a blank never overwrites the other side;
- external / internal empty placeholder: text that replaces a blank when sending / loading;
- lookup field: the value is a reference resolved at run time from search criteria (read-only:
  never typed into, always looked up);
- external mapped field (only with lookup): what the lookup searches by on the CRM side, a field
  of the referenced record or a mapped type such as LeadStatus / ContactStatus;
- look up by name instead of record id (only with lookup);
- display name instead of record id (only with lookup): the referenced record's name is what is
  written, not its id.

`option_problems` says for each option why it is not available for a rule (the UI disables the
control and shows that reason); `check_field_mapping` applies the same rules to saved data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from typing import Any

from syncmonitor.domain.mappings.statuses import Issue, Severity
from syncmonitor.domain.mappings.values import MAX_NAME_LENGTH, FieldInfo, FieldKind, StatusKind


class ObjectPair(StrEnum):
    """The record types a field mapping joins: CRM type to Outreach type."""

    PERSON_PROSPECT = "person_prospect"
    ORGANISATION_ACCOUNT = "organisation_account"
    OPPORTUNITY = "opportunity_opportunity"

    @property
    def label(self) -> str:
        return {
            "person_prospect": "Person → Prospect",
            "organisation_account": "Organisation → Account",
            "opportunity_opportunity": "Opportunity → Opportunity",
        }[self.value]

    @property
    def crm_type(self) -> str:
        return {
            "person_prospect": "person",
            "organisation_account": "organisation",
            "opportunity_opportunity": "opportunity",
        }[self.value]

    @property
    def outreach_type(self) -> str:
        return {
            "person_prospect": "prospect",
            "organisation_account": "account",
            "opportunity_opportunity": "opportunity",
        }[self.value]


class Direction(StrEnum):
    """Which way values flow."""

    SEND = "send"  # Outreach -> CRM
    LOAD = "load"  # CRM -> Outreach
    BOTH = "both"  # the side changed last wins

    @property
    def label(self) -> str:
        return direction_text(self)

    @property
    def sends(self) -> bool:
        return self in (Direction.SEND, Direction.BOTH)

    @property
    def loads(self) -> bool:
        return self in (Direction.LOAD, Direction.BOTH)


class ConflictRule(StrEnum):
    """Which side wins when both changed the same field since the last sync (both-way rules).

    The default is NEWEST_WINS: the side whose record was saved last wins, as a both-way rule
    has always behaved when the two sides disagree.
    """

    CRM_WINS = "crm_wins"
    OUTREACH_WINS = "outreach_wins"
    NEWEST_WINS = "newest_wins"

    @property
    def label(self) -> str:
        return {
            "crm_wins": "CRM wins",
            "outreach_wins": "Outreach wins",
            "newest_wins": "Newest change wins",
        }[self.value]


DEFAULT_CONFLICT_RULE = ConflictRule.NEWEST_WINS
STATUS_TYPES = {kind.mapped_type: kind for kind in StatusKind}


@dataclass(frozen=True, slots=True)
class FieldOptions:
    """The advanced options of one field mapping (all off by default)."""

    skip_empty_sending: bool = False
    skip_empty_loading: bool = False
    external_placeholder: str = ""
    internal_placeholder: str = ""
    lookup: bool = False
    external_mapped_field: str = ""
    lookup_by_name: bool = False
    display_name: bool = False
    # When both sides changed this field since the last sync (a ConflictRule value).
    conflict_rule: str = DEFAULT_CONFLICT_RULE.value

    @property
    def conflict(self) -> ConflictRule:
        """The conflict rule; an unknown saved value counts as the default."""
        try:
            return ConflictRule(self.conflict_rule)
        except ValueError:
            return DEFAULT_CONFLICT_RULE


OPTION_NAMES = tuple(f.name for f in fields(FieldOptions))


def direction_text(direction: Direction, crm: str = "CRM") -> str:
    """Which system sends and which receives, in the users' words: "Outreach → Workbooks"."""
    return {
        "send": f"Outreach → {crm}",
        "load": f"{crm} → Outreach",
        "both": f"Both ways, {crm} ↔ Outreach (newest change wins)",
    }[direction.value]


def option_label(name: str, crm: str = "CRM") -> str:
    """An option's label with the direction it applies to named (the skip options)."""
    if name == "skip_empty_sending":
        return f"Skip empty values Outreach → {crm} (leave the {crm} value)"
    if name == "skip_empty_loading":
        return f"Skip empty values {crm} → Outreach (leave the Outreach value)"
    return OPTION_LABELS[name]


OPTION_LABELS = {
    "skip_empty_sending": "Skip empty values Outreach → CRM (leave the CRM value)",
    "skip_empty_loading": "Skip empty values CRM → Outreach (leave the Outreach value)",
    "external_placeholder": "External empty placeholder",
    "internal_placeholder": "Internal empty placeholder",
    "lookup": "Lookup field",
    "external_mapped_field": "External mapped field",
    "lookup_by_name": "Look up by name instead of record id",
    "display_name": "Display name instead of record id",
    "conflict_rule": "When both sides changed",
}


@dataclass(frozen=True, slots=True)
class FieldRule:
    """One CRM field joined to one Outreach field."""

    crm_field: str
    outreach_field: str
    direction: Direction = Direction.BOTH
    options: FieldOptions = field(default_factory=FieldOptions)
    enabled: bool = True

    @property
    def status_kind(self) -> StatusKind | None:
        """Lead or contact, when this rule's lookup resolves through a status mapping."""
        if not self.options.lookup:
            return None
        return STATUS_TYPES.get(self.options.external_mapped_field)


@dataclass(frozen=True, slots=True)
class FieldMapping:
    """Every field rule of one object pair, applied top to bottom."""

    pair: ObjectPair
    rules: tuple[FieldRule, ...] = ()


def option_problems(
    rule: FieldRule, crm: FieldInfo | None, outreach: FieldInfo | None
) -> dict[str, str | None]:
    """For each option: why it is not available for this rule, or None when it is."""
    o = rule.options
    reasons: dict[str, str | None] = dict.fromkeys(OPTION_NAMES)
    if not rule.direction.sends:
        reasons["skip_empty_sending"] = "Only when values are sent to the CRM (direction)."
        reasons["external_placeholder"] = "Only when values are sent to the CRM (direction)."
    if not rule.direction.loads:
        reasons["skip_empty_loading"] = "Only when values are loaded from the CRM (direction)."
        reasons["internal_placeholder"] = "Only when values are loaded from the CRM (direction)."
    if reasons["external_placeholder"] is None:
        if o.skip_empty_sending:
            reasons["external_placeholder"] = (
                "Skip empty values when sending is on: a blank is not sent at all, so there is "
                "nothing to replace."
            )
        elif o.lookup:
            reasons["external_placeholder"] = "A lookup field holds a reference, not text."
        elif crm is not None and not crm.takes_text:
            reasons["external_placeholder"] = f"The CRM field {crm.name} does not hold text."
    if reasons["internal_placeholder"] is None:
        if o.skip_empty_loading:
            reasons["internal_placeholder"] = (
                "Skip empty values when loading is on: a blank is not loaded at all, so there is "
                "nothing to replace."
            )
        elif o.lookup:
            reasons["internal_placeholder"] = "A lookup field holds a reference, not text."
        elif outreach is not None and not outreach.takes_text:
            reasons["internal_placeholder"] = (
                f"The Outreach field {outreach.name} does not hold text."
            )
    no_reference = crm is None or crm.kind is not FieldKind.REFERENCE
    if outreach is not None and outreach.kind is not FieldKind.REFERENCE and no_reference:
        reasons["lookup"] = (
            "Neither field refers to another record (a stage, an account, an organisation), "
            "so there is nothing to look up."
        )
    if not o.lookup:
        for name in ("external_mapped_field", "lookup_by_name", "display_name"):
            reasons[name] = "Only available when Lookup field is on."
    if rule.direction is not Direction.BOTH:
        reasons["conflict_rule"] = (
            "Only when values go both ways (direction): a one-way field never conflicts."
        )
    return reasons


def check_field_rule(
    rule: FieldRule,
    row: int | None,
    crm_fields: Mapping[str, FieldInfo] | None,
    outreach_fields: Mapping[str, FieldInfo] | None,
) -> list[Issue]:
    """Every problem with one rule; the same rules the editor enforces."""
    issues: list[Issue] = []

    def error(message: str, column: str) -> None:
        issues.append(Issue(Severity.ERROR, message, row, column))

    crm = crm_fields.get(rule.crm_field) if crm_fields is not None else None
    outreach = outreach_fields.get(rule.outreach_field) if outreach_fields is not None else None
    if not rule.crm_field:
        error("Choose the CRM field.", "crm")
    elif crm_fields is not None and crm is None:
        issues.append(
            Issue(
                Severity.WARNING,
                f"The CRM has no field {rule.crm_field!r} (renamed or deleted since this "
                "mapping was saved?). The sync skips this row.",
                row,
                "crm",
            )
        )
    if not rule.outreach_field:
        error("Choose the Outreach field.", "outreach")
    elif outreach_fields is not None and outreach is None:
        issues.append(
            Issue(
                Severity.WARNING,
                f"Outreach has no field {rule.outreach_field!r}. The sync skips this row.",
                row,
                "outreach",
            )
        )
    if crm is not None and crm.read_only and rule.direction.sends:
        error(
            f"The CRM field {crm.label} is read-only, so values cannot be sent to it: "
            "choose CRM → Outreach.",
            "direction",
        )
    if outreach is not None and outreach.read_only and rule.direction.loads:
        error(
            f"The Outreach field {outreach.label} is read-only, so values cannot be loaded "
            "into it: choose Outreach → CRM.",
            "direction",
        )
    reasons = option_problems(rule, crm, outreach)
    defaults = FieldOptions()
    for name in OPTION_NAMES:
        value = getattr(rule.options, name)
        if value != getattr(defaults, name) and reasons[name] is not None:
            error(f"{OPTION_LABELS[name]} cannot be set here: {reasons[name]}", name)
    o = rule.options
    if o.conflict_rule not in {r.value for r in ConflictRule}:
        error(
            f"{OPTION_LABELS['conflict_rule']} must be one of "
            f"{', '.join(r.value for r in ConflictRule)}, not {o.conflict_rule!r}.",
            "conflict_rule",
        )
    for name in ("external_placeholder", "internal_placeholder"):
        text: str = getattr(o, name)
        if len(text) > MAX_NAME_LENGTH:
            error(f"{OPTION_LABELS[name]} is longer than {MAX_NAME_LENGTH} characters.", name)
    stage_lookup = o.lookup and outreach is not None and outreach.reference_to == "stage"
    if stage_lookup and rule.status_kind is None:
        error(
            "A stage is looked up through a status mapping: the External mapped field must be "
            "LeadStatus or ContactStatus.",
            "external_mapped_field",
        )
    return issues


def check_field_mapping(
    mapping: FieldMapping,
    crm_fields: Mapping[str, FieldInfo] | None,
    outreach_fields: Mapping[str, FieldInfo] | None,
) -> list[Issue]:
    """Every problem with a pair's rules, including two rules writing the same field."""
    issues: list[Issue] = []
    sent: dict[str, int] = {}
    loaded: dict[str, tuple[int, FieldRule]] = {}
    for row, rule in enumerate(mapping.rules):
        issues += check_field_rule(rule, row, crm_fields, outreach_fields)
        if not rule.enabled:
            continue
        if rule.direction.sends and rule.crm_field:
            if rule.crm_field in sent:
                issues.append(
                    Issue(
                        Severity.ERROR,
                        f"The CRM field {rule.crm_field} is already sent by row "
                        f"{sent[rule.crm_field] + 1}; two rules would overwrite each other.",
                        row,
                        "crm",
                    )
                )
            else:
                sent[rule.crm_field] = row
        if rule.direction.loads and rule.outreach_field:
            before = loaded.get(rule.outreach_field)
            # A stage may be loaded from the lead status and from the contact status: the lower
            # row wins when both have a value (a converted lead is a contact).
            both_status = before is not None and before[1].status_kind and rule.status_kind
            if before is not None and not both_status:
                issues.append(
                    Issue(
                        Severity.ERROR,
                        f"The Outreach field {rule.outreach_field} is already loaded by row "
                        f"{before[0] + 1}; two rules would overwrite each other.",
                        row,
                        "outreach",
                    )
                )
            else:
                loaded[rule.outreach_field] = (row, rule)
    return issues


def with_option(rule: FieldRule, name: str, value: object) -> FieldRule:
    """The rule with one option changed (a typed setter the UI and importers share)."""
    if name not in OPTION_NAMES:
        raise KeyError(name)
    changes: dict[str, Any] = {name: value}
    return replace(rule, options=replace(rule.options, **changes))


def default_field_mapping(pair: ObjectPair) -> FieldMapping:
    """What a new installation starts from: the status lookups Outreach documents."""
    if pair is ObjectPair.PERSON_PROSPECT:
        return FieldMapping(
            pair,
            (
                FieldRule(
                    "cf_person_lead_status",
                    "stage",
                    Direction.BOTH,
                    FieldOptions(
                        skip_empty_loading=True, lookup=True, external_mapped_field="LeadStatus"
                    ),
                ),
                FieldRule(
                    "cf_person_contact_status",
                    "stage",
                    Direction.BOTH,
                    FieldOptions(
                        skip_empty_loading=True, lookup=True, external_mapped_field="ContactStatus"
                    ),
                ),
            ),
        )
    return FieldMapping(pair)
