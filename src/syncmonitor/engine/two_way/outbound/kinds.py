"""The record types the outbound sync sends: where each lives on both sides and how they link.

People become prospects (matched by email, linked by the configured Outreach id field and the
prospect's `externalId`); organisations become accounts (linked by `created_through_reference`
and the account's `customId`, Outreach's "CRM id"; an account needs a name).
"""

from __future__ import annotations

from dataclasses import dataclass

from syncmonitor.app.config import WorkbooksSettings
from syncmonitor.domain.mappings.fields import ObjectPair

# The Workbooks-Outreach integration's own person flags (reference/APIS.md).
SYNC_FIELD = "cf_person_sync_to_outreach"
ERROR_FIELD = "cf_person_outreach_sync_error"
DUPLICATE_FIELD = "cf_person_outreach_duplicate"


@dataclass(frozen=True)
class OutboundKind:
    """One record type of the outbound sync."""

    name: str  # person, organisation
    pair: ObjectPair
    crm_endpoint: str
    outreach_path: str  # prospects, accounts
    outreach_type: str  # prospect, account
    link_field: str  # the Workbooks field holding the Outreach id
    # The Outreach attribute holding the Workbooks id, by which a record an earlier run created
    # is found again; None when Outreach documents no such attribute (opportunities).
    identity: str | None
    columns: tuple[str, ...]  # read besides the mapped fields
    by_email: bool  # matched by email before creating (people)
    scoped: bool  # the scope filter and the integration's flags apply (people)
    error_field: str | None
    duplicate_field: str | None

    @property
    def label(self) -> str:
        return f"Workbooks {self.name}"

    @property
    def source(self) -> str:
        """The Issues list's source for this kind's records."""
        return f"outreach.{self.outreach_path}"


def person_kind(settings: WorkbooksSettings) -> OutboundKind:
    return OutboundKind(
        "person",
        ObjectPair.PERSON_PROSPECT,
        "crm/people",
        "prospects",
        "prospect",
        settings.outreach_id_field,
        "externalId",
        (
            "id",
            "lock_version",
            "name",
            "person_first_name",
            "person_last_name",
            "main_location[email]",
            "updated_at",
            "is_deleted",
            settings.outreach_id_field,
            SYNC_FIELD,
            ERROR_FIELD,
            DUPLICATE_FIELD,
        ),
        True,
        True,
        ERROR_FIELD,
        DUPLICATE_FIELD,
    )


def organisation_kind() -> OutboundKind:
    return OutboundKind(
        "organisation",
        ObjectPair.ORGANISATION_ACCOUNT,
        "crm/organisations",
        "accounts",
        "account",
        "created_through_reference",
        "customId",
        (
            "id",
            "lock_version",
            "name",
            "website",
            "industry",
            "updated_at",
            "is_deleted",
            "created_through_reference",
        ),
        False,
        False,
        None,
        None,
    )


def opportunity_kind() -> OutboundKind:
    """Opportunities: linked by `created_through_reference` (the Outreach id, kept in Workbooks
    and in the cache). Outreach's opportunity has no attribute for another system's id (the
    OpenAPI file has no `externalCrmId`; `custom1..150` are the customer's), so nothing is
    stamped on it and twins are found by that link only (docs/remote-contract.md)."""
    return OutboundKind(
        "opportunity",
        ObjectPair.OPPORTUNITY,
        "crm/opportunities",
        "opportunities",
        "opportunity",
        "created_through_reference",
        None,
        ("id", "lock_version", "name", "updated_at", "is_deleted", "created_through_reference"),
        False,
        False,
        None,
        None,
    )


def default_identity_values(kind: OutboundKind, record: dict[str, object]) -> dict[str, object]:
    """What a new Outreach record gets when no mapping rule sets it (names, for a readable
    prospect or account)."""
    if kind.name == "person":
        return {
            "firstName": record.get("person_first_name") or None,
            "lastName": record.get("person_last_name") or None,
        }
    return {"name": record.get("name") or None}


# Fields every new or linked Outreach record gets from Workbooks when no saved rule covers them:
# a prospect without a name, or an account without one, is no use to anyone.
IMPLICIT_LOADS = {
    "person": (("person_first_name", "firstName"), ("person_last_name", "lastName")),
    "organisation": (("name", "name"),),
    "opportunity": (("name", "name"),),
}
