"""`--format` and `-o` of `cttui history`, `favorites`, `jobs` and `run`: the installed binary over
a journal on disk with real favourite counts, its output read back with the standard library's
csv and json and compared with the journal's rows."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

import pytest

from cttui.api.models import DateRange, PropertyFilter, Query
from cttui.api.operators import Operator
from cttui.cli.options import FORMATS as PARSER_FORMATS
from cttui.emulator import Emulator
from cttui.exports import FORMATS
from cttui.records import FavoriteRun, JobRecord, JobState, Origin
from cttui.store.favorites import Favorite
from cttui.store.favorites_store import FavoritesStore
from cttui.store.journal import Journal
from cttui.store.journal_writer import JournalWriter
from cttui.store.paths import favorites_file, journal_file
from tests.conftest import CTTUI, DEFAULTS, run_cttui
from tests.test_hostile_files import read_only, tmpfs

WEEK = DateRange(date(2026, 11, 16), date(2026, 11, 22))
BEFORE = DateRange(date(2026, 11, 9), date(2026, 11, 15))
NAME = '=HYPERLINK("x"), -1 ünï'
OLD = Query("Charged", BEFORE, (PropertyFilter("Amount", Operator.GREATER_THAN, 100),))
NEW = Query("Charged", WEEK, (PropertyFilter("Amount", Operator.GREATER_THAN, 500),))
FAVORITE = Favorite(
    NAME,
    NEW.event_name,
    NEW.filters,
    WEEK,
    notes='a note, with "quotes",\na second line\tand a tab',
)
ORIGIN = Origin(DEFAULTS.account_id, "http://127.0.0.1:9", None)
# Counted a day apart, from 2026-11-17: two of the old query, then three of the new.
COUNTS = [(OLD, 1_200), (OLD, 1_250), (NEW, 310), (NEW, 305), (NEW, 1_000_001)]


def seed(counts: Sequence[tuple[Query, int]] = COUNTS) -> list[FavoriteRun]:
    """The favourite in favorites.toml, and its counts in the journal as cttui records them;
    the journal's history of it, as it reads back."""
    FavoritesStore(favorites_file()).save(FAVORITE)

    async def record() -> None:
        writer = JournalWriter(journal_file())
        await writer.load()
        for number, (query, count) in enumerate(counts):
            at = 1_795_400_000.0 + number * 86_400
            job = JobRecord(
                0, ORIGIN, query, JobState.DONE, count=count, created=at, finished=at, favorite=NAME
            )
            job.id = await writer.create(job)
            await writer.save(job)
        writer.close()

    asyncio.run(record())
    journal = Journal.open(journal_file(), read_only=True)
    try:
        return journal.history()[NAME]
    finally:
        journal.close()


def as_rows(runs: Sequence[FavoriteRun], *, query: bool = False) -> list[list[str]]:
    """The journal's counts as the text of CSV cells."""
    return [
        [
            run.start.isoformat(),
            run.end.isoformat(),
            str(run.count),
            datetime.fromtimestamp(run.at).astimezone().isoformat(timespec="seconds"),
            str(run.job_id),
            *([run.query_key or ""] if query else []),
        ]
        for run in runs
    ]


def stdout_bytes(*args: str) -> bytes:
    return subprocess.run([CTTUI, *args], capture_output=True, check=True, env=os.environ).stdout


def test_the_parser_offers_every_format_there_is() -> None:
    assert PARSER_FORMATS == FORMATS


def test_history_as_csv_and_tsv_is_the_journals_counts_of_the_current_query() -> None:
    runs = seed()
    for fmt in ("csv", "tsv"):
        result = run_cttui("history", NAME.upper(), "--format", fmt)
        assert result.code == 0, result.err
        assert result.err == ""
        raw = io.StringIO(result.out, newline="")
        if fmt == "csv":
            header, *rows = csv.reader(raw)
        else:
            header, *rows = csv.reader(raw, delimiter="\t", quoting=csv.QUOTE_NONE)
        assert header == ["from", "to", "count", "counted_at", "job"]
        # Only the three counts of the query it has now; the old query's two are left out.
        assert rows == as_rows(runs[2:])
        assert [int(row[2]) for row in rows] == [310, 305, 1_000_001]
    # RFC 4180's CRLF, as the bytes go out (run_cttui reads text, which makes them \n).
    assert stdout_bytes("history", NAME, "--format", "csv").count(b"\r\n") == 4


def test_history_all_adds_the_earlier_queries_with_a_query_column() -> None:
    runs = seed()
    result = run_cttui("history", NAME, "--all", "--format", "csv")
    assert result.code == 0, result.err
    header, *rows = csv.reader(io.StringIO(result.out, newline=""))
    assert header == ["from", "to", "count", "counted_at", "job", "query"]
    assert rows == as_rows(runs, query=True)
    assert [json.loads(row[5])["event_properties"][0]["value"] for row in rows] == [
        100,
        100,
        500,
        500,
        500,
    ]


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_history_as_json_holds_the_journals_values(fmt: str) -> None:
    runs = seed()
    result = run_cttui("history", NAME, "--format", fmt)
    assert result.code == 0, result.err
    if fmt == "json":
        items = json.loads(result.out)
    else:
        items = [json.loads(line) for line in result.out.splitlines()]
    assert items == [
        {
            "from": run.start.isoformat(),
            "to": run.end.isoformat(),
            "count": run.count,
            "counted_at": datetime.fromtimestamp(run.at).astimezone().isoformat("T", "seconds"),
            "job": run.job_id,
        }
        for run in runs[2:]
    ]
    assert all(datetime.fromisoformat(item["counted_at"]).utcoffset() is not None for item in items)


def test_history_is_a_table_by_default() -> None:
    runs = seed()
    result = run_cttui("history", NAME)
    assert result.code == 0, result.err
    header, *rows = result.out.splitlines()
    assert header.split() == ["FROM", "TO", "COUNT", "COUNTED_AT", "JOB"]
    assert [row.split() for row in rows] == as_rows(runs[2:])


def test_history_of_an_unknown_name_says_what_run_says() -> None:
    seed()
    history = run_cttui("history", "weekly")
    ran = run_cttui("run", "weekly")
    assert (history.code, history.out) == (2, "")
    assert history.err == ran.err
    assert history.err == f"cttui: no favourite named 'weekly' (known: {NAME})\n"


def test_history_loads_neither_httpx_nor_keyring_nor_textual() -> None:
    seed()
    probe = (
        "import sys\nfrom cttui.cli.main import main\ncode = main(sys.argv[1:])\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'httpx', 'keyring', 'textual', "
        "'rich'}), file=sys.stderr)\nsys.exit(code)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, "history", NAME, "--format", "csv"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == "[]\n"


def test_favorites_as_csv_keeps_every_awkward_value_and_defuses_formulas() -> None:
    runs = seed()
    result = run_cttui("favorites", "--format", "csv")
    assert result.code == 0, result.err
    [row] = csv.DictReader(io.StringIO(result.out, newline=""))
    assert row == {
        # A name a spreadsheet would run as a formula is text; nothing else changes.
        "name": "'" + NAME,
        "event": "Charged",
        "filters": "Amount greater_than 500",
        "range": "",
        "from": "2026-11-16",
        "to": "2026-11-22",
        "profile": "",
        "notes": FAVORITE.notes,
        "last_count": "1000001",
        "last_counted_at": as_rows(runs)[-1][3],
        # Those of its current query: the three of one week, so no change over time yet.
        "runs": "3",
        "change": "",
        "change_ratio": "",
    }
    tsv = run_cttui("favorites", "--format", "tsv").out.splitlines()
    assert len(tsv) == 2
    assert tsv[1].split("\t")[7] == 'a note, with "quotes", a second line and a tab'


def test_the_json_listings_are_as_json_always_was() -> None:
    seed()
    for command in ("favorites", "jobs"):
        old, new = run_cttui(command, "--json"), run_cttui(command, "--format", "json")
        assert old.code == new.code == 0, old.err + new.err
        assert old.out == new.out
        lines = run_cttui(command, "--format", "jsonl").out.splitlines()
        assert [json.loads(line) for line in lines] == json.loads(old.out)
    [favorite] = json.loads(run_cttui("favorites", "--json").out)
    assert favorite["name"] == NAME
    assert [run["count"] for run in favorite["runs"]] == [count for _, count in COUNTS]


def test_jobs_as_csv_are_the_journals_jobs() -> None:
    seed()
    result = run_cttui("jobs", "--format", "csv")
    assert result.code == 0, result.err
    rows = list(csv.DictReader(io.StringIO(result.out, newline="")))
    listed = json.loads(run_cttui("jobs", "--json").out)
    assert [int(row["id"]) for row in rows] == [job["id"] for job in listed]
    assert [row["count"] for row in rows] == [str(count) for _, count in COUNTS]
    assert {row["favorite"] for row in rows} == {"'" + NAME}
    assert [(row["from"], row["to"]) for row in rows] == [("2026-11-09", "2026-11-15")] * 2 + [
        ("2026-11-16", "2026-11-22")
    ] * 3
    # Local times, the CSV's with their UTC offset.
    assert [datetime.fromisoformat(row["started"]).replace(tzinfo=None) for row in rows] == [
        datetime.fromisoformat(job["created"]) for job in listed
    ]


def test_run_in_every_format_has_the_columns_of_json(
    emulator: Emulator, emulator_env: dict[str, str]
) -> None:
    seed()
    as_json = run_cttui("run", NAME, "--json", env=emulator_env)
    assert as_json.code == 0, as_json.err
    [result] = json.loads(as_json.out)
    assert list(result) == ["name", "status", "count", "req_id", "error", "from", "to", "job"]
    as_csv = run_cttui("run", NAME, "--format", "csv", env=emulator_env)
    assert as_csv.code == 0, as_csv.err
    [row] = csv.DictReader(io.StringIO(as_csv.out, newline=""))
    # The change's columns too, empty here: no earlier range of the week was counted.
    change = ["previous_count", "previous_from", "previous_to", "change", "change_ratio"]
    assert list(row) == [*result, *change]
    assert [row[key] for key in change] == [""] * 5
    assert (row["name"], row["status"], row["count"]) == (
        "'" + NAME,
        "success",
        str(result["count"]),
    )
    assert (row["from"], row["to"], row["req_id"], row["error"]) == (
        "2026-11-16",
        "2026-11-22",
        "",
        "",
    )
    assert int(row["job"]) == result["job"] + 1
    lines = run_cttui("run", NAME, "--format", "jsonl", env=emulator_env).out.splitlines()
    assert [{**json.loads(line), "job": None} for line in lines] == [{**result, "job": None}]
    table = run_cttui("run", NAME, "--format", "table", env=emulator_env).out.splitlines()
    assert table[0].split() == [name.upper() for name in [*result, *change]]


def test_json_and_another_format_at_once_is_one_line_of_usage() -> None:
    result = run_cttui("jobs", "--json", "--format", "csv")
    assert result.code == 2
    assert result.out == ""
    assert result.err.count("\n") == 1
    assert "--format" in result.err
    assert "--json" in result.err


@pytest.mark.parametrize("fmt", FORMATS)
def test_output_holds_exactly_the_bytes_of_stdout_and_prints_nothing(
    tmp_path: Path, fmt: str
) -> None:
    seed()
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / f"history.{fmt}"
    for command in (["history", NAME, "--all"], ["favorites"], ["jobs"]):
        shown = stdout_bytes(*command, "--format", fmt)
        written = run_cttui(*command, "--format", fmt, "-o", str(target))
        assert (written.code, written.out, written.err) == (0, "", "")
        assert target.read_bytes() == shown
        assert shown
    assert [path.name for path in target.parent.iterdir()] == [target.name]


def test_output_replaces_a_file_through_its_link(tmp_path: Path) -> None:
    seed()
    real = tmp_path / "real.csv"
    real.write_text("old")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    assert run_cttui("history", NAME, "--format", "csv", "--output", str(link)).code == 0
    assert link.is_symlink()
    assert real.read_text().startswith("from,to,count")


def refused(target: Path, said: str) -> None:
    result = run_cttui("history", NAME, "--format", "csv", "-o", str(target))
    assert (result.code, result.out) == (2, "")
    assert result.err.count("\n") == 1, result.err
    assert result.err.startswith(f"cttui: cannot write {target}: ")
    assert said in result.err
    assert "Traceback" not in result.err


def test_output_to_a_directory_a_fifo_or_nowhere_is_one_line_and_exit_2(tmp_path: Path) -> None:
    seed()
    tmp_path /= "out"
    tmp_path.mkdir()
    refused(tmp_path, "is a directory")
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    refused(fifo, "is a FIFO")
    refused(tmp_path / "missing" / "history.csv", f"there is no directory {tmp_path / 'missing'}")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["pipe.csv"]


def test_output_to_a_read_only_file_or_filesystem_keeps_what_was_there(tmp_path: Path) -> None:
    seed()
    kept = tmp_path / "kept.csv"
    kept.write_text("mine")
    kept.chmod(0o444)
    refused(kept, "the file is read-only")
    assert kept.read_text() == "mine"
    with tmpfs(tmp_path / "ro") as directory:
        (directory / "history.csv").write_text("mine")
        read_only(directory)
        refused(directory / "history.csv", "read-only")
        refused(directory / "new.csv", "read-only")
        assert [path.name for path in directory.iterdir()] == ["history.csv"]
        assert (directory / "history.csv").read_text() == "mine"


def test_run_with_an_output_it_cannot_write_sends_nothing(
    emulator: Emulator, emulator_env: dict[str, str], tmp_path: Path
) -> None:
    seed()
    target = tmp_path / "missing" / "counts.csv"
    result = run_cttui("run", NAME, "--format", "csv", "-o", str(target), env=emulator_env)
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        f"cttui: cannot write {target}: there is no directory {target.parent}; make it first, "
        "or name a file in one that exists\n"
    )
    assert emulator.requests == []


def test_run_as_csv_carries_the_change_from_the_count_before(
    emulator: Emulator, emulator_env: dict[str, str]
) -> None:
    seed([(Query(NEW.event_name, BEFORE, NEW.filters), 300)])
    [result] = json.loads(run_cttui("run", NAME, "--json", env=emulator_env).out)
    assert result["previous_count"] == 300
    as_csv = run_cttui("run", NAME, "--format", "csv", env=emulator_env)
    assert as_csv.code == 0, as_csv.err
    [row] = csv.DictReader(io.StringIO(as_csv.out, newline=""))
    assert (row["previous_count"], row["previous_from"], row["previous_to"]) == (
        "300",
        "2026-11-09",
        "2026-11-15",
    )
    assert int(row["change"]) == int(row["count"]) - 300
    assert float(row["change_ratio"]) == pytest.approx((int(row["count"]) - 300) / 300, abs=1e-6)
