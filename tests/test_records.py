"""The job's own types, and the one rule for which action applies to a job in which state."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from cttui.api.models import DateRange, Query
from cttui.records import MAX_COUNT, JobAction, JobRecord, JobState, Origin, applies, asks_again

QUERY = Query("App Launched", DateRange.parse("2026-01-01", "2026-01-31"))
ORIGIN = Origin("ACC-1", "https://eu1.api.clevertap.com", "work")

# Letters for the actions that apply beside DETAILS, which always does: Poll now, Cancel,
# Resubmit, copy Count, copy cUrl, Load, reMove.
LETTERS = {
    "p": JobAction.POLL_NOW,
    "x": JobAction.CANCEL,
    "r": JobAction.RESUBMIT,
    "c": JobAction.COPY_COUNT,
    "u": JobAction.COPY_CURL,
    "l": JobAction.LOAD,
    "m": JobAction.REMOVE,
}
# state, run elsewhere, has a query: the actions that apply. A done job has its count.
TABLE = [
    (JobState.QUEUED, False, True, "pxulm"),
    (JobState.QUEUED, False, False, "pxm"),
    (JobState.QUEUED, True, True, "ul"),
    (JobState.QUEUED, True, False, ""),
    (JobState.SENDING, False, True, "xulm"),
    (JobState.SENDING, False, False, "xm"),
    (JobState.SENDING, True, True, "ul"),
    (JobState.SENDING, True, False, ""),
    (JobState.PENDING, False, True, "pxulm"),
    (JobState.PENDING, False, False, "pxm"),
    (JobState.PENDING, True, True, "ul"),
    (JobState.PENDING, True, False, ""),
    (JobState.DONE, False, True, "culm"),
    (JobState.DONE, False, False, "cm"),
    (JobState.DONE, True, True, "cul"),
    (JobState.DONE, True, False, "c"),
    (JobState.FAILED, False, True, "rulm"),
    (JobState.FAILED, False, False, "m"),
    (JobState.FAILED, True, True, "rul"),
    (JobState.FAILED, True, False, ""),
    (JobState.CANCELLED, False, True, "rulm"),
    (JobState.CANCELLED, False, False, "m"),
    (JobState.CANCELLED, True, True, "rul"),
    (JobState.CANCELLED, True, False, ""),
    (JobState.INTERRUPTED, False, True, "rulm"),
    (JobState.INTERRUPTED, False, False, "m"),
    (JobState.INTERRUPTED, True, True, "rul"),
    (JobState.INTERRUPTED, True, False, ""),
]


def test_the_table_covers_every_state_elsewhere_and_query() -> None:
    combinations = {(state, elsewhere, has_query) for state, elsewhere, has_query, _ in TABLE}
    assert len(combinations) == len(TABLE) == len(JobState) * 2 * 2


@pytest.mark.parametrize(
    ("state", "elsewhere", "has_query", "letters"),
    TABLE,
    ids=[
        f"{s}-{'elsewhere' if e else 'here'}-{'query' if q else 'req_id'}" for s, e, q, _ in TABLE
    ],
)
def test_which_actions_apply(
    state: JobState, elsewhere: bool, has_query: bool, letters: str
) -> None:
    record = JobRecord(
        7,
        ORIGIN,
        QUERY if has_query else None,
        state,
        req_id=None if has_query else "req-7",
        count=1234 if state is JobState.DONE else None,
    )
    found = {action for action in JobAction if applies(action, record, elsewhere=elsewhere)}
    assert found == {JobAction.DETAILS, *(LETTERS[letter] for letter in letters)}


def test_a_count_is_copied_whatever_the_state_says() -> None:
    record = JobRecord(8, ORIGIN, QUERY, JobState.FAILED, count=0)
    assert applies(JobAction.COPY_COUNT, record, elsewhere=True)


def test_cancellable_states() -> None:
    cancellable = {state for state in JobState if state.cancellable}
    assert cancellable == {JobState.QUEUED, JobState.SENDING, JobState.PENDING}


def test_the_largest_count_is_sqlites_integer() -> None:
    assert MAX_COUNT == 2**63 - 1


def test_records_do_no_io() -> None:
    path = Path(__file__).resolve().parent.parent / "cttui" / "records.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert modules <= {"__future__", "dataclasses", "datetime", "enum", "cttui.api.models"}


def test_a_query_asks_again_what_a_job_on_its_way_asks_on_the_same_account() -> None:
    other_dates = Query(QUERY.event_name, DateRange.parse("2026-01-01", "2026-01-30"))
    account, host = ORIGIN.account_id, ORIGIN.base_url

    def asks(state: JobState, origin: Origin = ORIGIN, query: Query = QUERY, **more: str) -> bool:
        record = JobRecord(1, origin, query, state, favorite=more.get("favorite"))
        return asks_again(record, account, host, QUERY, more.get("running"))

    assert [state for state in JobState if asks(state)] == [
        JobState.QUEUED,
        JobState.SENDING,
        JobState.PENDING,
    ]
    # Another profile on the same account asks the same server the same question.
    assert asks(JobState.PENDING, Origin(account, host, "shared"))
    assert not asks(JobState.PENDING, Origin("ACC-2", host))
    assert not asks(JobState.PENDING, Origin(account, "https://in1.api.clevertap.com"))
    assert not asks(JobState.PENDING, query=other_dates)
    # A favourite's job is on its way whatever dates it resolved to.
    assert asks(JobState.PENDING, query=other_dates, favorite="Buyers", running="Buyers")
    assert not asks(JobState.PENDING, query=other_dates, favorite="Buyers", running="Sellers")
    assert not asks(JobState.PENDING, query=other_dates, favorite="Buyers")
