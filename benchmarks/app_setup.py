"""What the app benchmarks run on: a private HOME with a saved profile, journals seeded with
finished or pending jobs, and the bare Textual app they are compared with."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from types import TracebackType

from cttui.api.client import CleverTapClient, Credentials
from cttui.api.models import DateRange, Query
from cttui.api.outcomes import Pending
from cttui.api.regions import get_region
from cttui.emulator import Emulator, EmulatorConfig
from cttui.records import Attempt, JobRecord, JobState, Origin
from cttui.store.config import Config, Profile, save_config
from cttui.store.journal import Journal
from cttui.store.journal_rows import attempt_row, insert, new_job_row
from cttui.store.journal_schema import transaction

BIN = Path(sys.executable).parent
CTTUI = str(BIN / "cttui")
DEFAULTS = EmulatorConfig()
JOURNAL = Path("cttui") / "journal.sqlite3"
# Every query the emulator gets answers `partial`, and stays pending for a day: polled, never done.
EMULATOR = EmulatorConfig(
    profiles=2_000, events=50_000, today=date.today(), partial_after_days=0, compute_seconds=86_400
)

BARE_APP = '''\
"""The baseline: a bare Textual app, one Static (and with --input, one Input under it)."""
import sys

from textual.app import App, ComposeResult
from textual.widgets import Input, Static


class Bare(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("bare app ready")
        if "--input" in sys.argv:
            yield Input(id="field")


Bare().run()
'''


class Home:
    """A private HOME, XDG_CONFIG_HOME (config.toml with one profile) and XDG_STATE_HOME for
    one run of the app, pointed at `emulator` by environment (never by argv)."""

    def __init__(self, emulator: Emulator, journal: Path | None = None) -> None:
        self._directory = tempfile.TemporaryDirectory(prefix="cttui-bench-home-")
        root = Path(self._directory.name)
        self.config = root / "config"
        self.state = root / "state"
        save_config(
            Config((Profile("work", "W9R-486-4W5Z", get_region("in1")),)),
            self.config / "cttui" / "config.toml",
        )
        self.journal = self.state / JOURNAL
        self.journal.parent.mkdir(parents=True, exist_ok=True)
        if journal is not None:
            shutil.copyfile(journal, self.journal)
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": os.environ.get("LANG", "C.UTF-8"),
            "HOME": str(root),
            "XDG_CONFIG_HOME": str(self.config),
            "XDG_STATE_HOME": str(self.state),
            "XDG_CACHE_HOME": str(root / "cache"),
            "XDG_DATA_HOME": str(root / "data"),
            "CTTUI_BASE_URL": emulator.base_url,
            "CLEVERTAP_ACCOUNT_ID": DEFAULTS.account_id,
            "CLEVERTAP_PASSCODE": DEFAULTS.passcode,
            # No keyring: the passcode comes from the environment.
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        }

    def jobs(self) -> int:
        """How many jobs the journal holds, read read-only (0 before the app made it)."""
        if not self.journal.exists():
            return 0
        uri = self.journal.absolute().as_uri() + "?mode=ro"
        try:
            with sqlite3.connect(uri, uri=True, timeout=1) as db:
                return int(db.execute("SELECT count(*) FROM jobs").fetchone()[0])
        except sqlite3.Error:
            return 0

    def __enter__(self) -> Home:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._directory.cleanup()


def origin(emulator: Emulator) -> Origin:
    return Origin(DEFAULTS.account_id, emulator.base_url, None)


def _week() -> DateRange:
    today = date.today()
    return DateRange(today - timedelta(days=7), today)


def seed_finished(path: Path, emulator: Emulator, jobs: int) -> None:
    """`jobs` finished jobs, each with the POST and the poll that answered it, written in one
    transaction through the journal's own rows (Journal.create/save commit one job at a time:
    minutes for 100,000)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    journal = Journal.open(path)
    try:
        db = journal._db  # one transaction for them all
        started = time.time() - 86_400
        where = origin(emulator)
        with transaction(db):
            for number in range(jobs):
                at = started + number * 0.5
                record = JobRecord(
                    0, where, Query("Charged", _week()), JobState.DONE, req_id=f"{number}",
                    count=1000 + number, polls=1, created=at, updated=at + 2, finished=at + 2,
                )  # fmt: skip
                job_id = insert(db, "jobs", new_job_row(record, journal.owners.token))
                assert job_id is not None
                for kind, answer in (
                    ("submit", f"partial: req_id {number}"),
                    ("poll", f"success: {1000 + number:,} profiles"),
                ):
                    attempt = Attempt(at + 1, kind, answer, 200, 0.05)
                    insert(db, "attempts", attempt_row(job_id, attempt))
    finally:
        journal.close()


async def _submit(emulator: Emulator, jobs: int) -> list[str]:
    """`jobs` queries POSTed to the emulator: their req_ids, pending there for a day."""
    credentials = Credentials(DEFAULTS.account_id, DEFAULTS.passcode)
    req_ids = []
    async with CleverTapClient(credentials, emulator.base_url) as client:
        for _ in range(jobs):
            outcome = await client.submit(Query("Charged", _week()))
            if not isinstance(outcome, Pending):
                raise RuntimeError(f"the emulator answered {outcome!r}, not a req_id")
            req_ids.append(outcome.req_id)
    return req_ids


def seed_pending(path: Path, emulator: Emulator, jobs: int) -> None:
    """`jobs` pending jobs whose req_ids the emulator knows (and answers `partial` to), owned by
    no live process: the app takes them over and polls them."""
    req_ids = asyncio.run(_submit(emulator, jobs))
    path.parent.mkdir(parents=True, exist_ok=True)
    journal = Journal.open(path)
    try:
        db = journal._db  # one transaction for them all
        now = time.time()
        where = origin(emulator)
        with transaction(db):
            for number, req_id in enumerate(req_ids):
                at = now - 60 + number * 0.01
                record = JobRecord(
                    0, where, Query("Charged", _week()), JobState.PENDING, req_id=req_id,
                    created=at, updated=at + 0.05, last_request_at=at,
                )  # fmt: skip
                job_id = insert(db, "jobs", new_job_row(record, journal.owners.token))
                assert job_id is not None
                attempt = Attempt(at, "submit", f"partial: req_id {req_id}", 200)
                insert(db, "attempts", attempt_row(job_id, attempt))
    finally:
        journal.close()
