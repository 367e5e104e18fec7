"""Hostile import files: a mapping file (JSON or CSV) or a Salesmate export, however broken,
gives either its contents or one clear error; never a crash. Valid mapping files round-trip."""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from strategies import any_json

from syncmonitor.app.errors import UserFacingError
from syncmonitor.domain.csv_text import UnreadableFileError
from syncmonitor.domain.mappings.files import (
    CSV_COLUMNS,
    MappingImportError,
    export_bytes,
    import_bytes,
)
from syncmonitor.domain.salesmate_export import Severity, check_rows
from syncmonitor.engine.salesmate.imports import load_export_bytes

cells = st.text(max_size=12) | st.sampled_from(
    ("lead", "contact", "person_prospect", "Replied", "true", "no", "both", "to_crm", "")
)


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    """CSV text with the real header (usually), rows of plausible and random cells, in one of
    the encodings people's tools write."""
    header = list(CSV_COLUMNS) if draw(st.booleans()) else draw(st.lists(cells, max_size=6))
    rows = draw(st.lists(st.lists(cells, min_size=0, max_size=len(CSV_COLUMNS) + 2), max_size=5))
    text = "\n".join(",".join(row) for row in [header, *rows])
    encoding = draw(st.sampled_from(("utf-8", "utf-8-sig", "utf-16", "cp1252")))
    return text.encode(encoding, errors="replace")


def _mapping_json(doc: Any) -> bytes:
    return json.dumps(doc).encode()


@given(
    st.one_of(
        st.binary(max_size=200).map(lambda b: ("json", b)),
        any_json.map(lambda d: ("json", _mapping_json(d))),
        st.fixed_dictionaries(
            {"format": st.just("syncmonitor-mappings"), "version": st.just(1)},
            optional={"status": any_json, "fields": any_json},
        ).map(lambda d: ("json", _mapping_json(d))),
        csv_files().map(lambda b: ("csv", b)),
        st.binary(max_size=200).map(lambda b: ("csv", b)),
    )
)
def test_a_mapping_file_imports_or_is_refused_with_one_clear_error(case: tuple[str, bytes]) -> None:
    fmt, data = case
    try:
        mappings = import_bytes(data, fmt, "test.file")
    except MappingImportError as exc:
        assert exc.message and "test.file" in f"{exc.title} {exc.message}"
        return
    # What was accepted exports and imports back to the same mappings.
    for out in ("json", "csv"):
        assert import_bytes(export_bytes(mappings, out), out) == mappings


export_cells = st.text(max_size=16) | st.sampled_from(
    ("ada@example.com", "Nurture", "Active", "Paused O3", "2026-11-02", "02/11/2026", "")
)


@st.composite
def salesmate_files(draw: st.DrawFn) -> bytes:
    delimiter = draw(st.sampled_from((",", ";", "\t", "|")))
    header = draw(
        st.sampled_from(
            (["Email", "Sequence", "Status", "Date"], ["Contact Email", "Sequence Name"], [])
        )
    ) or draw(st.lists(export_cells, max_size=5))
    rows = draw(st.lists(st.lists(export_cells, max_size=6), max_size=6))
    text = "\n".join(delimiter.join(r) for r in [header, *rows])
    if draw(st.booleans()):
        text = f"sep={delimiter}\n" + text
    encoding = draw(st.sampled_from(("utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1")))
    return text.encode(encoding, errors="replace")


@given(salesmate_files() | st.binary(max_size=300))
def test_a_salesmate_export_loads_and_checks_or_says_why_it_cannot(data: bytes) -> None:
    try:
        export = load_export_bytes(data, "export.csv")
    except UnreadableFileError as exc:
        assert "export.csv" in exc.message or exc.message
        return
    try:
        checked = check_rows(
            export.rows, export.headers, export.guessed, row_count=export.data_rows, zone=UTC
        )
    except UserFacingError as exc:  # e.g. dates that read both ways: the person must choose
        assert exc.message
        return
    for problem in checked.problems:
        assert problem.message and problem.severity in (Severity.ERROR, Severity.WARNING)
    assert len(checked.rows) <= checked.ready_count <= checked.row_count
    assert checked.ready_count + checked.error_row_count <= checked.row_count
