"""The values mappings are made of: CRM statuses, Outreach stages, fields, and the checks on names.

Outreach's own rule: a CRM status API name must match the CRM's picklist value exactly
or the sync fails. So names are compared exactly, and a near miss (other case, other spacing, a
typo) is reported with the value the person probably meant.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

# Workbooks picklist values and Salesforce API names are both limited to 255 characters.
MAX_NAME_LENGTH = 255


class StatusKind(StrEnum):
    """Lead and contact statuses are mapped separately (as Outreach maps them)."""

    LEAD = "lead"
    CONTACT = "contact"

    @property
    def label(self) -> str:
        return "Lead Status" if self is StatusKind.LEAD else "Contact Status"

    @property
    def mapped_type(self) -> str:
        """The External Mapped Type a field mapping names to use this status mapping."""
        return "LeadStatus" if self is StatusKind.LEAD else "ContactStatus"


class CrmSource(StrEnum):
    """Where CRM status values come from."""

    WORKBOOKS = "workbooks"
    SALESFORCE = "salesforce"

    @property
    def label(self) -> str:
        return "Workbooks" if self is CrmSource.WORKBOOKS else "Salesforce"


@dataclass(frozen=True, slots=True)
class CrmStatus:
    """One status value as the CRM holds it; `api_name` is what a sync must match exactly."""

    api_name: str
    label: str = ""
    is_converted: bool = False
    is_default: bool = False
    sort_order: int = 0


@dataclass(frozen=True, slots=True)
class Stage:
    """An Outreach prospect stage."""

    id: int
    name: str
    order: int | None = None


class FieldKind(StrEnum):
    """What a field holds, as far as mapping rules care."""

    TEXT = "text"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    PICKLIST = "picklist"
    REFERENCE = "reference"  # the id of another record (an organisation, a stage, an account)


@dataclass(frozen=True, slots=True)
class FieldInfo:
    """One field of a record type, from remote metadata."""

    name: str
    label: str
    kind: FieldKind
    read_only: bool = False
    reference_to: str | None = None  # for REFERENCE: the record type it points at

    @property
    def takes_text(self) -> bool:
        return self.kind in (FieldKind.TEXT, FieldKind.PICKLIST)


def name_problem(name: str, what: str = "The name") -> str | None:
    """Why `name` cannot be a status or stage name, or None when it can."""
    if not name or not name.strip():
        return f"{what} is empty."
    if len(name) > MAX_NAME_LENGTH:
        return (
            f"{what} is {len(name)} characters long; the CRM and Outreach accept at most "
            f"{MAX_NAME_LENGTH}."
        )
    if name != name.strip():
        return f"{what} {name!r} starts or ends with spaces, which would never match exactly."
    for char in name:
        if unicodedata.category(char) in ("Cc", "Cf") and char not in "\u200d":
            return f"{what} contains an invisible control character (U+{ord(char):04X})."
    return None


def _loose(text: str) -> str:
    """Case, accents' composition and runs of spaces ignored: what people mistype."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def suggest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate `name` was probably meant to be: same but for case or spacing, or a close
    typo. None when nothing is close (or when `name` is itself a candidate)."""
    pool = list(dict.fromkeys(candidates))
    if name in pool:
        return None
    loose = _loose(name)
    for candidate in pool:
        if _loose(candidate) == loose:
            return candidate
    by_loose = {_loose(c): c for c in pool}
    close = difflib.get_close_matches(loose, list(by_loose), n=1, cutoff=0.75)
    return by_loose[close[0]] if close else None


def near_miss_reason(name: str, meant: str) -> str:
    """How `name` differs from `meant`, in a person's words."""
    if name.casefold() == meant.casefold():
        return "differs only in upper/lower case"
    if _loose(name) == _loose(meant):
        return "differs only in spacing"
    return "looks like a typo"
