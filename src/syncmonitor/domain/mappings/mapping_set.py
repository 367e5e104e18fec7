"""All of an installation's mappings as one value: what is saved, exported and imported together."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from syncmonitor.domain.mappings.fields import (
    FieldMapping,
    ObjectPair,
    check_field_mapping,
    default_field_mapping,
)
from syncmonitor.domain.mappings.statuses import Issue, StatusMapping, check_status_mapping
from syncmonitor.domain.mappings.values import CrmSource, StatusKind


def _default_status() -> dict[StatusKind, StatusMapping]:
    return {kind: StatusMapping(kind) for kind in StatusKind}


def _default_fields() -> dict[ObjectPair, FieldMapping]:
    return {pair: default_field_mapping(pair) for pair in ObjectPair}


@dataclass(frozen=True)
class MappingSet:
    """Lead and contact status mappings, and a field mapping per object pair."""

    crm_source: CrmSource = CrmSource.WORKBOOKS
    status: dict[StatusKind, StatusMapping] = field(default_factory=_default_status)
    fields: dict[ObjectPair, FieldMapping] = field(default_factory=_default_fields)

    def with_status(self, mapping: StatusMapping) -> MappingSet:
        return replace(self, status={**self.status, mapping.kind: mapping})

    def with_fields(self, mapping: FieldMapping) -> MappingSet:
        return replace(self, fields={**self.fields, mapping.pair: mapping})


def structural_issues(mappings: MappingSet) -> list[tuple[str, Issue]]:
    """The problems that need no remote data (duplicates, option rules, names): (where, issue).

    Import and save refuse a set with any error here; the live checks come on top in the editor.
    """
    found: list[tuple[str, Issue]] = []
    for kind, status in mappings.status.items():
        # With no live values the check is structural only: names and one-to-one.
        found += [(kind.label, i) for i in check_status_mapping(status, None, None) if i.is_error]
    for pair, mapping in mappings.fields.items():
        for issue in check_field_mapping(mapping, None, None):
            if issue.is_error:
                found.append((pair.label, issue))
    return found
