"""Import and export: JSON and CSV round trips, and every bad file refused whole with a clear
reason (wrong columns, wrong encoding, duplicates, options that do not apply, bad values)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from syncmonitor.domain.mappings.fields import (
    Direction,
    FieldMapping,
    FieldOptions,
    FieldRule,
    ObjectPair,
)
from syncmonitor.domain.mappings.files import (
    CSV_COLUMNS,
    MappingImportError,
    export_bytes,
    file_format,
    import_bytes,
)
from syncmonitor.domain.mappings.mapping_set import MappingSet
from syncmonitor.domain.mappings.statuses import StatusMapping, StatusRule
from syncmonitor.domain.mappings.values import CrmSource, StatusKind
from syncmonitor.store import mappings as store

SAMPLE = (
    MappingSet(crm_source=CrmSource.SALESFORCE)
    .with_status(
        StatusMapping(
            StatusKind.LEAD,
            (
                StatusRule("Open - Not Contacted", "New", 1),
                StatusRule("Réunion – 日本", "Replied", 3),
            ),
        )
    )
    .with_status(StatusMapping(StatusKind.CONTACT, (StatusRule("Active", "New", None),)))
    .with_fields(
        FieldMapping(
            ObjectPair.ORGANISATION_ACCOUNT,
            (
                FieldRule("name", "name", Direction.SEND, FieldOptions(skip_empty_sending=True)),
                FieldRule(
                    "industry",
                    "industry",
                    Direction.LOAD,
                    FieldOptions(internal_placeholder='Unknown, "quoted"'),
                    enabled=False,
                ),
            ),
        )
    )
)


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_round_trip(fmt: str) -> None:
    back = import_bytes(export_bytes(SAMPLE, fmt), fmt)
    assert back.status == SAMPLE.status
    assert back.fields == SAMPLE.fields
    if fmt == "json":
        assert back.crm_source is CrmSource.SALESFORCE


def test_a_csv_saved_by_excel_with_a_bom_is_read() -> None:
    data = b"\xef\xbb\xbf" + export_bytes(SAMPLE, "csv")
    assert import_bytes(data, "csv").status == SAMPLE.status


def test_wrong_columns_are_named() -> None:
    header = ",".join(c for c in CSV_COLUMNS if c != "stage_id") + ",colour\n"
    with pytest.raises(MappingImportError) as err:
        import_bytes(header.encode(), "csv")
    assert "missing column(s) stage_id" in err.value.message
    assert "unknown column(s) colour" in err.value.message
    assert "Nothing was imported" in err.value.message


def test_a_file_in_another_encoding_is_refused_with_the_byte() -> None:
    text = ",".join(CSV_COLUMNS) + "\nstatus,lead,Qualifié,New,,,,,,,,,,,\n"
    with pytest.raises(MappingImportError) as err:
        import_bytes(text.encode("cp1252"), "csv")
    assert "not UTF-8" in err.value.message and "0xe9" in err.value.message
    assert "CSV UTF-8" in err.value.message


def test_every_problem_is_listed_with_its_line_and_nothing_is_half_imported() -> None:
    rows = [
        ",".join(CSV_COLUMNS),
        "status,lead,Open,New,,,,,,,,,,,",
        "status,lead,Open,Replied,,,,,,,,,,,",  # a status mapped twice
        "status,lead,Working,New,,,,,,,,,,,",  # a stage mapped twice
        "status,custom,Working,New,,,,,,,,,,,",
        "field,person_prospect,cf_note,custom1,,sideways,true,,,,,,,,",
        "field,person_prospect,cf_note,custom1,,send,maybe,,,,,,,,",
        "field,person_prospect,cf_note,custom1,,load,true,true,,,,,,,",  # sending option on a load
        "field,person_prospect,cf_note,custom1,,both,true,,,,,,name,,",  # mapped, no lookup
        "status,lead,x,New,abc,,,,,,,,,,",
    ]
    with pytest.raises(MappingImportError) as err:
        import_bytes("\n".join(rows).encode(), "csv")
    message = err.value.message
    assert "line 5" in message and "'custom' is not one of lead, contact" in message
    assert "line 6" in message and "sideways" in message
    assert "line 7" in message and "'maybe' is not true or false" in message
    assert "stage_id 'abc'" in message


def test_structural_problems_are_refused_after_parsing() -> None:
    rows = [
        ",".join(CSV_COLUMNS),
        "status,lead,Open,New,,,,,,,,,,,",
        "status,lead,Working,New,,,,,,,,,,,",
        "field,person_prospect,cf_note,custom1,,load,true,true,,,,,,,",
        "field,person_prospect,cf_other,custom2,,both,true,,,,,,name,,",
        f"status,contact,{'x' * 300},New,,,,,,,,,,,",
    ]
    with pytest.raises(MappingImportError) as err:
        import_bytes("\n".join(rows).encode(), "csv")
    message = err.value.message
    assert "Lead Status row 2: Stage 'New' is already mapped" in message
    assert "Skip empty values Outreach → CRM" in message
    assert "Only available when Lookup field is on" in message
    assert "300 characters long" in message


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"{not json", "not valid JSON"),
        (b'{"hello": 1}', "not a Sync Monitor mapping file"),
        (b'{"format": "syncmonitor-mappings", "version": 9}', "version 9"),
        (
            b'{"format": "syncmonitor-mappings", "version": 1, "field_mappings": '
            b'{"person_prospect":'
            b' [{"crm_field": "a", "outreach_field": "b", "options": {"colour": true}}]}}',
            "unknown option(s) colour",
        ),
        (
            b'{"format": "syncmonitor-mappings", "version": 1, "status_mappings": {"lead":'
            b' [{"crm_status": 5, "stage": "New"}]}}',
            "needs crm_status and stage as text",
        ),
    ],
)
def test_bad_json_is_refused(data: bytes, reason: str) -> None:
    with pytest.raises(MappingImportError, match=re.escape(reason)):
        import_bytes(data, "json")


def test_format_comes_from_the_extension_or_is_asked_for() -> None:
    assert file_format("m.JSON") == "json"
    assert file_format("m.txt", "csv") == "csv"
    with pytest.raises(MappingImportError, match="--format"):
        file_format("mappings")


def test_the_store_saves_and_loads_the_whole_set(tmp_path: Path, store_backend) -> None:
    db = store_backend.open(tmp_path)
    try:
        with db.engine.begin() as conn:
            assert store.saved_at(conn) is None
            defaults = store.load_mappings(conn)
            assert len(defaults.fields[ObjectPair.PERSON_PROSPECT].rules) == 2
            store.save_mappings(conn, SAMPLE, "2026-11-22T10:00:00.000Z")
        with db.engine.connect() as conn:
            loaded = store.load_mappings(conn)
            assert store.saved_at(conn) == "2026-11-22T10:00:00.000Z"
        assert loaded == SAMPLE
    finally:
        db.close()


def test_a_failed_save_leaves_the_previous_mappings(tmp_path: Path, store_backend) -> None:
    db = store_backend.open(tmp_path)
    try:
        with db.engine.begin() as conn:
            store.save_mappings(conn, SAMPLE, "first")
        with pytest.raises(RuntimeError), db.engine.begin() as conn:
            store.save_mappings(conn, MappingSet(), "second")
            raise RuntimeError("the disk filled up half way")
        with db.engine.connect() as conn:
            assert store.load_mappings(conn) == SAMPLE
    finally:
        db.close()
