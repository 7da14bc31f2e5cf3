"""journal.sqlite3 as a disk, another program or a careless script can leave it, met by the real
`cttui`: `cttui jobs` (and `--json`) refuse in one line naming the file and exit 2, `cttui count`
warns in one line and counts all the same, nothing hangs, and the file is left as it was."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from cttui.emulator import Emulator
from cttui.records import Attempt, JobState, Origin
from cttui.store import journal_rows
from cttui.store.journal import Journal
from tests.conftest import Run, emulator_variables, run_cttui
from tests.test_journal import record

TODAY = date.today().isoformat()
COUNT = ("count", "Charged", "--from", TODAY, "--to", TODAY)
ORIGIN = Origin("TEST-ACC-0001", "http://127.0.0.1:8787", "work")


def journal_path(home: Path) -> Path:
    return home / ".local" / "state" / "cttui" / "journal.sqlite3"


def real_journal(path: Path, jobs: int) -> None:
    """A journal as cttui writes it, with `jobs` finished jobs and one request each."""
    journal = Journal.open(path)
    try:
        for number in range(jobs):
            job = record(ORIGIN, state=JobState.DONE, count=number, req_id=str(10**15 + number))
            job.id = journal.create(job)
            answer = Attempt(1_000.0, "poll", f"success: {number} profiles", 200, 0.1)
            journal.save(job.id, journal_rows.job_row(job), answer)
    finally:
        journal.close()
    checkpoint(path)


def checkpoint(path: Path) -> None:
    """Fold the -wal into the file, so that the file alone holds every job."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("PRAGMA journal_mode = DELETE")
    finally:
        connection.close()


BIG = 64 << 20


def fingerprint(path: Path) -> str:
    """What the entry is: its kind and, for a regular file, its size, its modification time and
    a digest of its bytes (of the first and last MiB only, past 64 MiB: a write anywhere moves
    the modification time)."""
    if path.is_symlink():
        return f"symlink to {os.readlink(path)}"
    if path.is_dir():
        return "directory"
    if not path.is_file():
        return "other"
    status = path.stat()
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        if status.st_size > BIG:
            digest.update(handle.read(1 << 20))
            handle.seek(-(1 << 20), os.SEEK_END)
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return f"{status.st_size} bytes at {status.st_mtime_ns} {digest.hexdigest()}"


def one_line(result: Run, path: Path) -> str:
    assert "Traceback" not in result.err, result.err
    assert "unexpected error" not in result.err, result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert str(path) in lines[0], lines[0]
    return lines[0]


def refused_everywhere(emulator: Emulator, path: Path) -> None:
    """`jobs` and `jobs --json` refuse the journal, `count` counts without it; nothing hangs
    (a FIFO opened to read would wait for a writer forever: the timeouts catch that) and the
    entry in the journal's place is left as it was."""
    before = fingerprint(path)
    for command in (("jobs",), ("jobs", "--json")):
        result = run_cttui(*command, timeout=30)
        one_line(result, path)
        assert (result.code, result.out) == (2, ""), result
    counted = run_cttui(*COUNT, env=emulator_variables(emulator), timeout=60)
    line = one_line(counted, path)
    assert line.startswith("cttui: warning: "), line
    assert counted.code == 0, counted
    assert int(counted.out) >= 0
    assert fingerprint(path) == before


def garbage_text(path: Path) -> None:
    path.write_text("this is not a job journal\n" * 200)


def random_binary(path: Path) -> None:
    path.write_bytes(bytes(range(256)) * 16 + hashlib.sha512(b"seed").digest() * 64)


def sparse_garbage(path: Path) -> None:
    """2 GiB that take no disk: garbage first, then a hole."""
    with path.open("wb") as handle:
        handle.write(b"garbage " * 64)
        handle.truncate(2 << 30)


def other_program(path: Path) -> None:
    connection = sqlite3.connect(path)
    with connection:
        connection.execute("CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT)")
        connection.execute("INSERT INTO moz_places (url) VALUES ('https://example.com')")
    connection.close()


def other_program_with_version(path: Path) -> None:
    """Another program's database that sets user_version, as many do."""
    other_program(path)
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA user_version = 2")
    connection.close()


def directory(path: Path) -> None:
    path.mkdir()


def fifo(path: Path) -> None:
    os.mkfifo(path)


def symlink_loop(path: Path) -> None:
    path.symlink_to(path.name)


def dangling_symlink(path: Path) -> None:
    path.symlink_to(path.parent / "gone" / "journal.sqlite3")


HOSTILE: dict[str, Callable[[Path], None]] = {
    "garbage text": garbage_text,
    "random binary": random_binary,
    "sparse 2 GiB garbage": sparse_garbage,
    "another program's database": other_program,
    "another program's database with a user_version": other_program_with_version,
    "directory": directory,
    "fifo": fifo,
    "symlink loop": symlink_loop,
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_journal_that_is_not_one_is_refused_in_one_line_and_left_alone(
    emulator: Emulator, isolated_home: Path, case: str
) -> None:
    path = journal_path(isolated_home)
    path.parent.mkdir(parents=True, exist_ok=True)
    HOSTILE[case](path)
    refused_everywhere(emulator, path)


@pytest.fixture(scope="module")
def whole_journal(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("whole") / "journal.sqlite3"
    real_journal(path, 300)
    return path.read_bytes()


# Inside the 100-byte header, inside the first page (the schema), just past it (every table's
# root page missing), and halfway (rows lost mid-table).
CUTS = {"header": 50, "first page": 3_000, "past the first page": 4_096 + 10, "half": -2}


@pytest.mark.parametrize("where", sorted(CUTS))
def test_a_truncated_journal_is_refused_in_one_line_and_left_alone(
    emulator: Emulator, isolated_home: Path, whole_journal: bytes, where: str
) -> None:
    cut = CUTS[where] if CUTS[where] > 0 else len(whole_journal) // -CUTS[where]
    path = journal_path(isolated_home)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(whole_journal[:cut])
    refused_everywhere(emulator, path)


def test_an_empty_file_is_a_journal_with_no_jobs(emulator: Emulator, isolated_home: Path) -> None:
    path = journal_path(isolated_home)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    listed = run_cttui("jobs", "--json", timeout=30)
    assert (listed.code, json.loads(listed.out), listed.err) == (0, [], "")
    assert path.read_bytes() == b"", "listing jobs wrote to the file"
    # Counting makes it the journal: the job is kept.
    counted = run_cttui(*COUNT, env=emulator_variables(emulator))
    assert (counted.code, counted.err) == (0, ""), counted
    [job] = json.loads(run_cttui("jobs", "--json").out)
    assert (job["state"], job["count"]) == ("done", int(counted.out))


def test_a_dangling_symlink_is_a_journal_not_yet_made(isolated_home: Path) -> None:
    """Like a missing file: nothing to list, and nothing made by listing."""
    path = journal_path(isolated_home)
    path.parent.mkdir(parents=True, exist_ok=True)
    dangling_symlink(path)
    listed = run_cttui("jobs", "--json", timeout=30)
    assert (listed.code, json.loads(listed.out), listed.err) == (0, [], "")
    assert not (path.parent / "gone").exists()


def test_twenty_thousand_jobs_are_listed(isolated_home: Path) -> None:
    path = journal_path(isolated_home)
    real_journal(path, 1)
    connection = sqlite3.connect(path)
    names = [row[1] for row in connection.execute("PRAGMA table_info(jobs)") if row[1] != "id"]
    columns = ", ".join(names)
    # The file's own column names, into 19,999 copies of its one job.
    numbers = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 19999)"
    copies = f"{numbers} INSERT INTO jobs ({columns}) SELECT {columns} FROM n, jobs WHERE id = 1"  # noqa: S608
    with connection:
        connection.execute(copies)
    connection.close()
    before = fingerprint(path)
    listed = run_cttui("jobs", "--json", timeout=120)
    assert listed.code == 0, listed.err
    jobs = json.loads(listed.out)
    assert len(jobs) == 20_000
    assert {job["state"] for job in jobs} == {"done"}
    table = run_cttui("jobs", timeout=120)
    assert table.code == 0, table.err
    assert len(table.out.strip().splitlines()) >= 20_000
    assert fingerprint(path) == before


def test_a_garbage_wal_beside_a_good_journal_is_ignored(
    emulator: Emulator, isolated_home: Path
) -> None:
    """SQLite checks the -wal's checksums: one of garbage holds no transaction, so the jobs are
    the file's."""
    path = journal_path(isolated_home)
    real_journal(path, 3)
    before = fingerprint(path)
    wal = path.with_name(path.name + "-wal")
    wal.write_bytes(b"not a write-ahead log " * 500)
    listed = run_cttui("jobs", "--json", timeout=30)
    assert (listed.code, listed.err) == (0, ""), listed
    assert [job["count"] for job in json.loads(listed.out)] == [0, 1, 2]
    assert fingerprint(path) == before
    counted = run_cttui(*COUNT, env=emulator_variables(emulator))
    assert (counted.code, counted.err) == (0, ""), counted
    listed = run_cttui("jobs", "--json", timeout=30)
    assert [job["count"] for job in json.loads(listed.out)] == [0, 1, 2, int(counted.out)]
