"""The Runs page shows every part of a run with its own outcome: what failed, in the remote's
words, what was skipped and why, and what the other parts read and wrote."""

from __future__ import annotations

from syncmonitor.ui.models.runs import RunRow, RunsModel
from syncmonitor.ui.runs.page import run_detail

JOBS = (
    {
        "job": "outreach.pull",
        "label": "Sequence states from Outreach",
        "outcome": "succeeded",
        "read": {"sequence_states": 900},
        "written": {"transitions": 12},
        "issues": 0,
    },
    {
        "job": "workbooks.calls",
        "label": "Calls into Workbooks",
        "outcome": "failed",
        "read": {},
        "written": {},
        "issues": 0,
        "error": {
            "title": "Outreach refused the request",
            "message": 'It said: "The access token does not carry the calls.read scope".',
            "kind": "permission",
            "service": "Outreach",
        },
    },
    {
        "job": "mappings.apply",
        "label": "Mapped values",
        "outcome": "off",
        "read": {},
        "written": {},
        "issues": 0,
        "reason": "field mappings are not set up or turned off",
    },
)


def partly_failed_row() -> RunRow:
    return RunRow(
        id=7,
        kind="full",
        trigger="scheduled",
        target="",
        started_at="2026-12-01T10:00:00.000Z",
        duration_s=3.0,
        outcome="partly_failed",
        read={"sequence_states": 900},
        written={"transitions": 12},
        error_title="Calls into Workbooks failed",
        error_message="Outreach refused the request. The other parts of the run went through.",
        jobs=JOBS,
    )


def test_the_detail_has_a_line_per_part_with_its_outcome_and_why(qapp: object) -> None:
    text = run_detail(partly_failed_row())
    assert "Calls into Workbooks" in text and "Failed" in text
    assert "calls.read" in text  # the remote's words
    assert "900 sequence states" in text and "12 new transitions" in text
    assert "Not run" in text and "Field mappings are not set up" in text


def test_the_outcome_column_says_partly_failed_and_which_part(qapp: object) -> None:
    model = RunsModel()
    row = partly_failed_row()
    assert model.cell(row, RunsModel.OUTCOME, 0) == "Partly failed: Calls into Workbooks failed"
