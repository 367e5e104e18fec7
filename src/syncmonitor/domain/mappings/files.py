"""Mappings to and from JSON and CSV files: all or nothing, with errors that name the line.

Both formats carry the whole `MappingSet`. The CSV has one row per rule:

    type,scope,crm,outreach,stage_id,direction,enabled,<every advanced option>

`type` is `status` (scope `lead` or `contact`; `crm` the status API name, `outreach` the stage
name) or `field` (scope an object pair such as `person_prospect`). Text must be UTF-8 (a byte
order mark, as Excel writes, is fine). A file with any problem is refused whole.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from syncmonitor.app.errors import UserFacingError
from syncmonitor.domain.csv_text import from_spreadsheet_safe, spreadsheet_safe
from syncmonitor.domain.mappings.fields import (
    DEFAULT_CONFLICT_RULE,
    OPTION_NAMES,
    Direction,
    FieldMapping,
    FieldOptions,
    FieldRule,
    ObjectPair,
)
from syncmonitor.domain.mappings.mapping_set import MappingSet, structural_issues
from syncmonitor.domain.mappings.statuses import StatusMapping, StatusRule
from syncmonitor.domain.mappings.values import CrmSource, StatusKind

FORMAT_NAME = "syncmonitor-mappings"
FORMAT_VERSION = 1
CSV_COLUMNS = (
    "type",
    "scope",
    "crm",
    "outreach",
    "stage_id",
    "direction",
    "enabled",
    *OPTION_NAMES,
)
_BOOL_OPTIONS = frozenset(
    {"skip_empty_sending", "skip_empty_loading", "lookup", "lookup_by_name", "display_name"}
)
_TRUE = frozenset({"true", "yes", "1", "y"})
_FALSE = frozenset({"false", "no", "0", "n", ""})
MAX_PROBLEMS_SHOWN = 8


class MappingImportError(UserFacingError):
    """A mapping file that cannot be imported; nothing was changed."""

    title = "The mapping file cannot be imported"


def _refuse(problems: list[str], source: str) -> MappingImportError:
    shown = problems[:MAX_PROBLEMS_SHOWN]
    more = len(problems) - len(shown)
    text = "; ".join(shown) + (f"; and {more} more" if more else "")
    return MappingImportError(
        f"{source} has {len(problems)} problem(s): {text}.",
        "Nothing was imported and the current mappings are unchanged. Fix the file and import "
        "it again.",
    )


def file_format(name: str, explicit: str | None = None) -> str:
    """'json' or 'csv', from `explicit` or the file name's extension."""
    if explicit:
        chosen = explicit.lower()
    else:
        chosen = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if chosen not in ("json", "csv"):
        raise MappingImportError(
            f"Cannot tell the format of {name!r} from its extension.",
            "Name the file .json or .csv, or give --format json|csv.",
        )
    return chosen


# -- export -------------------------------------------------------------------------------------


def _rule_json(rule: FieldRule) -> dict[str, Any]:
    return {
        "crm_field": rule.crm_field,
        "outreach_field": rule.outreach_field,
        "direction": rule.direction.value,
        "enabled": rule.enabled,
        "options": asdict(rule.options),
    }


def to_json(mappings: MappingSet) -> bytes:
    document = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "crm_source": mappings.crm_source.value,
        "status_mappings": {
            kind.value: [
                {"crm_status": r.crm_status, "stage": r.stage_name, "stage_id": r.stage_id}
                for r in mappings.status[kind].rules
            ]
            for kind in StatusKind
        },
        "field_mappings": {
            pair.value: [_rule_json(r) for r in mappings.fields[pair].rules] for pair in ObjectPair
        },
    }
    return json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8") + b"\n"


class _SafeWriter:
    """A csv writer whose every cell is made spreadsheet-safe (see csv_text.spreadsheet_safe)."""

    def __init__(self, out: io.StringIO) -> None:
        self._writer = csv.writer(out, lineterminator="\n")

    def writerow(self, cells: Iterable[str]) -> None:
        self._writer.writerow([spreadsheet_safe(c) for c in cells])


def to_csv(mappings: MappingSet) -> bytes:
    out = io.StringIO()
    writer = _SafeWriter(out)
    writer.writerow(CSV_COLUMNS)
    no_options = [""] * len(OPTION_NAMES)  # options do not apply to status rules
    for kind in StatusKind:
        for r in mappings.status[kind].rules:
            stage_id = "" if r.stage_id is None else str(r.stage_id)
            writer.writerow(
                ["status", kind.value, r.crm_status, r.stage_name, stage_id, "", "", *no_options]
            )
    for pair in ObjectPair:
        for f in mappings.fields[pair].rules:
            options = [_cell(getattr(f.options, name)) for name in OPTION_NAMES]
            writer.writerow(
                [
                    "field",
                    pair.value,
                    f.crm_field,
                    f.outreach_field,
                    "",
                    f.direction.value,
                    _cell(f.enabled),
                    *options,
                ]
            )
    return out.getvalue().encode("utf-8")


def _cell(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def export_bytes(mappings: MappingSet, fmt: str) -> bytes:
    return to_json(mappings) if fmt == "json" else to_csv(mappings)


# -- import -------------------------------------------------------------------------------------


def _decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MappingImportError(
            f"{source} is not UTF-8 text: byte {exc.start + 1} (0x{data[exc.start]:02x}) cannot "
            "be read. It was probably saved in another encoding (Windows-1252, UTF-16).",
            "Save it again as UTF-8 (in Excel: CSV UTF-8), then import it. Nothing was imported.",
        ) from None


def import_bytes(data: bytes, fmt: str, source: str = "The file") -> MappingSet:
    """Parse and check a whole file; MappingImportError (nothing applied) on any problem."""
    text = _decode(data, source)
    mappings = from_json(text, source) if fmt == "json" else from_csv(text, source)
    problems = [
        f"{where} row {issue.row + 1 if issue.row is not None else '?'}: {issue.message}"
        for where, issue in structural_issues(mappings)
    ]
    if problems:
        raise _refuse(problems, source)
    return mappings


def from_json(text: str, source: str = "The file") -> MappingSet:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MappingImportError(
            f"{source} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.",
            "Fix the file, or export the mappings again to get a correct one. Nothing was "
            "imported.",
        ) from None
    except RecursionError:
        raise MappingImportError(
            f"{source} is JSON nested far deeper than any mapping file (lists or objects inside "
            "each other thousands of times), so it is not read.",
            "Use a file made by Export (or `syncmonitor mappings export`). Nothing was imported.",
        ) from None
    except ValueError as exc:  # Python refuses integers of more than 4,300 digits
        raise MappingImportError(
            f"{source} holds a number too long to read ({exc}); no mapping has such numbers.",
            "Use a file made by Export (or `syncmonitor mappings export`). Nothing was imported.",
        ) from None
    problems: list[str] = []
    if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
        raise MappingImportError(
            f'{source} is JSON but not a Sync Monitor mapping file (no "format": "{FORMAT_NAME}").',
            "Use a file made by Export (or `syncmonitor mappings export`).",
        )
    if document.get("version") != FORMAT_VERSION:
        raise MappingImportError(
            f"{source} is mapping file version {document.get('version')!r}; this Sync Monitor "
            f"reads version {FORMAT_VERSION}.",
            "Export it again with this version.",
        )
    source_value = document.get("crm_source", CrmSource.WORKBOOKS.value)
    crm_source = _enum(CrmSource, source_value, "crm_source", problems) or CrmSource.WORKBOOKS
    result = MappingSet(crm_source=crm_source)
    status = document.get("status_mappings", {})
    if not isinstance(status, dict):
        problems.append("status_mappings must be an object")
        status = {}
    for key, rows in status.items():
        kind = _enum(StatusKind, key, "status_mappings", problems)
        if kind is None:
            continue
        rules = []
        for n, row in enumerate(rows if isinstance(rows, list) else [None], 1):
            where = f"status_mappings.{key}[{n}]"
            if not isinstance(row, dict):
                problems.append(f"{where} must be an object")
                continue
            crm, stage, stage_id = row.get("crm_status"), row.get("stage"), row.get("stage_id")
            if not isinstance(crm, str) or not isinstance(stage, str):
                problems.append(f"{where} needs crm_status and stage as text")
                continue
            if stage_id is not None and (
                not isinstance(stage_id, int) or isinstance(stage_id, bool)
            ):
                problems.append(f"{where}: stage_id must be a whole number or null")
                continue
            rules.append(StatusRule(crm, stage, stage_id))
        result = result.with_status(StatusMapping(kind, tuple(rules)))
    fields = document.get("field_mappings", {})
    if not isinstance(fields, dict):
        problems.append("field_mappings must be an object")
        fields = {}
    for key, rows in fields.items():
        pair = _enum(ObjectPair, key, "field_mappings", problems)
        if pair is None:
            continue
        field_rules = []
        for n, row in enumerate(rows if isinstance(rows, list) else [None], 1):
            rule = _json_field_rule(row, f"field_mappings.{key}[{n}]", problems)
            if rule is not None:
                field_rules.append(rule)
        result = result.with_fields(FieldMapping(pair, tuple(field_rules)))
    if problems:
        raise _refuse(problems, source)
    return result


def _json_field_rule(row: object, where: str, problems: list[str]) -> FieldRule | None:
    if not isinstance(row, dict):
        problems.append(f"{where} must be an object")
        return None
    crm, outreach = row.get("crm_field"), row.get("outreach_field")
    if not isinstance(crm, str) or not isinstance(outreach, str):
        problems.append(f"{where} needs crm_field and outreach_field as text")
        return None
    if not _field_names_ok(crm, outreach, where, problems):
        return None
    direction = _enum(Direction, row.get("direction", "both"), f"{where}.direction", problems)
    enabled = row.get("enabled", True)
    if not isinstance(enabled, bool):
        problems.append(f"{where}.enabled must be true or false")
        return None
    raw_options = row.get("options", {})
    if not isinstance(raw_options, dict):
        problems.append(f"{where}.options must be an object")
        return None
    unknown = sorted(set(raw_options) - set(OPTION_NAMES))
    if unknown:
        problems.append(f"{where}.options has unknown option(s) {', '.join(unknown)}")
        return None
    values: dict[str, Any] = {}
    for name, value in raw_options.items():
        wanted = bool if name in _BOOL_OPTIONS else str
        if not isinstance(value, wanted):
            kind = "true or false" if wanted is bool else "text"
            problems.append(f"{where}.options.{name} must be {kind}")
            return None
        values[name] = value
    if direction is None:
        return None
    return FieldRule(crm, outreach, direction, FieldOptions(**values), enabled)


def _enum(cls: Any, value: object, where: str, problems: list[str]) -> Any:
    try:
        return cls(value)
    except ValueError:
        allowed = ", ".join(m.value for m in cls)
        problems.append(f"{where}: {value!r} is not one of {allowed}")
        return None


def from_csv(text: str, source: str = "The file") -> MappingSet:
    rows = csv.reader(io.StringIO(text, newline=""))
    # Cells an export escaped against spreadsheet formulas read back as they were.
    reader = ([from_spreadsheet_safe(c) for c in row] for row in rows)
    try:
        header = next(reader)
    except StopIteration:
        raise MappingImportError(
            f"{source} is empty.", "Export the mappings to get a template."
        ) from None
    except csv.Error as exc:
        raise MappingImportError(f"{source} is not readable CSV: {exc}.", "") from None
    header = [h.strip() for h in header]
    twice = sorted({h for h in header if h and header.count(h) > 1})
    if twice:
        raise MappingImportError(
            f"{source} names the column(s) {', '.join(twice)} more than once, so it is not "
            "clear which one holds the value.",
            "Delete the extra column(s) and import again. Nothing was imported.",
        )
    # Files exported before the conflict rule existed stay importable (default rule).
    missing = [c for c in CSV_COLUMNS if c not in header and c != "conflict_rule"]
    unknown = [c for c in header if c not in CSV_COLUMNS]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown column(s) {', '.join(unknown)}")
        raise MappingImportError(
            f"{source} does not have the mapping columns: {'; '.join(parts)}. The first line "
            f"must name the columns {', '.join(CSV_COLUMNS)}.",
            "Start from an exported file (Export, CSV) so the columns are right. Nothing was "
            "imported.",
        )
    problems: list[str] = []
    status: dict[StatusKind, list[StatusRule]] = {k: [] for k in StatusKind}
    fields: dict[ObjectPair, list[FieldRule]] = {p: [] for p in ObjectPair}
    try:
        for line, cells in enumerate(reader, 2):
            if not any(c.strip() for c in cells):
                continue
            if len(cells) > len(header):
                problems.append(
                    f"line {line} has {len(cells)} cells, more than the {len(header)} columns"
                )
                continue
            row = dict(zip(header, cells + [""] * (len(header) - len(cells)), strict=True))
            _csv_row(row, line, status, fields, problems)
    except csv.Error as exc:
        problems.append(f"line {rows.line_num}: {exc}")
    if problems:
        raise _refuse(problems, source)
    result = MappingSet()
    for kind, rules in status.items():
        result = result.with_status(StatusMapping(kind, tuple(rules)))
    for pair, field_rules in fields.items():
        result = result.with_fields(FieldMapping(pair, tuple(field_rules)))
    return result


def _csv_row(
    row: dict[str, str],
    line: int,
    status: dict[StatusKind, list[StatusRule]],
    fields: dict[ObjectPair, list[FieldRule]],
    problems: list[str],
) -> None:
    kind = row["type"].strip()
    where = f"line {line}"
    if kind == "status":
        scope = _enum(StatusKind, row["scope"].strip(), f"{where} scope", problems)
        stage_id_text = row["stage_id"].strip()
        if stage_id_text and not stage_id_text.isdigit():
            problems.append(f"{where}: stage_id {stage_id_text!r} is not a whole number")
            return
        if scope is not None:
            stage_id = int(stage_id_text) if stage_id_text else None
            status[scope].append(StatusRule(row["crm"], row["outreach"], stage_id))
        return
    if kind != "field":
        problems.append(f"{where}: type {kind!r} must be status or field")
        return
    pair = _enum(ObjectPair, row["scope"].strip(), f"{where} scope", problems)
    direction = _enum(Direction, row["direction"].strip() or "both", f"{where} direction", problems)
    values: dict[str, Any] = {}
    for name in OPTION_NAMES:
        cell = row.get(name, "")
        if name == "conflict_rule":
            values[name] = cell.strip() or DEFAULT_CONFLICT_RULE.value
            continue
        if name in _BOOL_OPTIONS:
            flag = _flag(cell, f"{where} {name}", problems)
            if flag is None:
                return
            values[name] = flag
        else:
            values[name] = cell
    enabled = _flag(row["enabled"] or "true", f"{where} enabled", problems)
    if pair is None or direction is None or enabled is None:
        return
    if not _field_names_ok(row["crm"].strip(), row["outreach"].strip(), where, problems):
        return
    fields[pair].append(
        FieldRule(
            row["crm"].strip(), row["outreach"].strip(), direction, FieldOptions(**values), enabled
        )
    )


def _field_names_ok(crm: str, outreach: str, where: str, problems: list[str]) -> bool:
    """A field's name is an API name (`cf_region`, `custom12`): an invisible control character
    in one, a NUL above all, is a damaged file, never a field (review-reliability.md #44); it
    would never match and cannot be shown or typed."""
    ok = True
    for what, name in (("CRM field", crm), ("Outreach field", outreach)):
        bad = next((c for c in name if unicodedata.category(c) in ("Cc", "Cf")), None)
        if bad is not None:
            shown = name.encode("unicode_escape").decode("ascii")
            problems.append(
                f"{where}: the {what} name {shown!r} contains an invisible control character "
                f"(U+{ord(bad):04X}); field names are API names such as cf_region"
            )
            ok = False
    return ok


def _flag(cell: str, where: str, problems: list[str]) -> bool | None:
    text = cell.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    problems.append(f"{where}: {cell!r} is not true or false")
    return None


def describe(mappings: MappingSet) -> Iterable[str]:
    """One line per mapping, for the CLI's summary."""
    for kind in StatusKind:
        yield f"{kind.label}: {len(mappings.status[kind].rules)} rule(s)"
    for pair in ObjectPair:
        yield f"{pair.label}: {len(mappings.fields[pair].rules)} field rule(s)"
