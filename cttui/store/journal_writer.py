"""The job journal for asyncio code: `JournalWriter` runs a `Journal` on one thread of its own,
in order, and carries on in memory if the file fails."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from cttui.records import Attempt, FavoriteRun, JobRecord, Origin
from cttui.store.journal import Journal
from cttui.store.journal_files import JournalError, problem
from cttui.store.journal_rows import job_row, run_of

T = TypeVar("T")


class JournalWriter:
    """The journal for asyncio code: every call runs on one thread of its own, in order.

    If the file cannot be opened, or a write fails later, `error` says so (once, through
    `on_error` too) and the writer carries on in memory: jobs keep running, and the file is
    never touched again by this process.
    """

    def __init__(self, path: Path | None, on_error: Callable[[str], None] | None = None) -> None:
        self.path = path
        self.error: str | None = None
        self._on_error = on_error
        self._journal: Journal | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cttui-journal")
        self._last_id = 0
        self._finished: bool | int = True  # as loaded, and as read again
        # Every favourite's counts, kept here too: the file's, and those of this run.
        self._history: dict[str, list[FavoriteRun]] = {}
        # How many times this process changed _history: a reload must not undo a change.
        self._changes = 0
        # The file's data_version when changed_elsewhere last said yes (None: ask again).
        self._seen_version: int | None = None
        # Writes wait for load(): a job created before the file is read would take a used id.
        self._loaded = asyncio.Event()
        if path is None:
            self._loaded.set()

    @property
    def in_memory(self) -> bool:
        return self._journal is None

    async def _call(self, work: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, work)

    def _failed(self, error: BaseException) -> None:
        assert self.path is not None
        failure = error if isinstance(error, JournalError) else problem(self.path, error)
        journal, self._journal = self._journal, None
        if journal is not None:
            self._executor.submit(journal.close)
        if self.error is None:
            self.error = failure.message
            if self._on_error is not None:
                self._on_error(failure.message)

    async def load(
        self,
        claim: Callable[[Origin], bool] | None = None,
        *,
        finished: bool | int = True,
        req_id: str | None = None,
    ) -> tuple[list[JobRecord], set[int]]:
        """Open the file and read it: every job (or, see `Journal.load`, only the unfinished
        ones and those of `req_id`, or the newest `finished` finished ones with them), and the
        unfinished ones this process now runs. `read_jobs` reads as much again."""
        if self.path is None:
            return [], set()
        path = self.path
        self._finished = finished
        try:
            return await self._open_and_load(path, claim, finished, req_id)
        finally:
            self._loaded.set()

    async def _open_and_load(
        self,
        path: Path,
        claim: Callable[[Origin], bool] | None,
        finished: bool | int,
        req_id: str | None,
    ) -> tuple[list[JobRecord], set[int]]:

        def open_and_load() -> tuple[
            Journal, int, list[JobRecord], set[int], int, dict[str, list[FavoriteRun]]
        ]:
            journal = Journal.open(path)
            try:
                # Before the reads: what another process writes after it shows as a change.
                version = journal.data_version()
                records, claimed = journal.load(claim, finished=finished, req_id=req_id)
                last_id = journal.last_id()
                history = journal.history()
            except BaseException:
                journal.close()
                raise
            return journal, version, records, claimed, last_id, history

        try:
            loaded = await self._call(open_and_load)
            self._journal, version, records, claimed, last_id, history = loaded
        except (JournalError, OSError, sqlite3.Error) as error:
            self._failed(error)
            return [], set()
        # The first refresh need not read again what this load has just read.
        self._seen_version = version
        self._last_id = last_id
        for name, runs in history.items():
            self._history.setdefault(name, []).extend(runs)
        return records, claimed

    def history(self) -> Mapping[str, Sequence[FavoriteRun]]:
        """Every favourite's counts, oldest first (as far as this process knows: the file's
        when it was loaded, and every count since)."""
        return self._history

    async def changed_elsewhere(self) -> bool:
        """Whether another connection (another cttui, a hand edit) has written the file since
        it was loaded or this last said so: what a refresh asks before reading every job and
        count again. Yes whenever the file cannot tell; no without a file."""
        await self._loaded.wait()
        journal = self._journal
        if journal is None:
            return False
        try:
            version = await self._call(journal.data_version)
        except (JournalError, OSError, sqlite3.Error):
            return True
        if version == self._seen_version:
            return False
        self._seen_version = version
        return True

    async def reload_history(self) -> bool:
        """Take the favourites' counts from the file again, as other processes left them (a
        `cttui run` from cron while the app is open, a rename in another window); whether
        anything changed. A failed read changes nothing: what is known stays."""
        await self._loaded.wait()
        journal = self._journal
        if journal is None:
            return False
        before = self._changes
        try:
            on_disk = await self._call(journal.history)
        except (JournalError, OSError, sqlite3.Error):
            self._seen_version = None
            return False
        # A change of this process since the read began may not be in it: the next reload
        # takes it, rather than this one showing the history as it was a moment ago.
        if self._changes != before:
            self._seen_version = None  # read again next time
            return False
        if on_disk == self._history:
            return False
        self._history = on_disk
        return True

    async def read_jobs(self) -> list[JobRecord] | None:
        """The jobs as the file holds them now, other processes' too (as many as `load` read:
        every unfinished one, and the newest finished ones); None when no file is in use or it
        cannot be read. Claims and writes nothing."""
        await self._loaded.wait()
        journal = self._journal
        if journal is None:
            return None
        finished = self._finished
        try:
            records, _ = await self._call(lambda: journal.load(finished=finished))
        except (JournalError, OSError, sqlite3.Error):
            self._seen_version = None  # read again next time
            return None
        return records

    async def older(self, before: int, limit: int) -> tuple[list[JobRecord], int]:
        """The newest `limit` finished jobs older than job `before` (see `Journal.older`), and
        how many finished ones are older still; none without a file, or when it cannot be
        read."""
        await self._loaded.wait()
        journal = self._journal
        if journal is None:
            return [], 0

        def read() -> tuple[list[JobRecord], int]:
            records = journal.older(before, limit)
            oldest = records[0].id if records else before
            return records, journal.finished_before(oldest)

        try:
            return await self._call(read)
        except (JournalError, OSError, sqlite3.Error):
            return [], 0

    async def counted(self, account_id: str, bodies: Sequence[str]) -> dict[str, tuple[int, int]]:
        """See `Journal.counted`; nothing without a file, or when it cannot be read."""
        await self._loaded.wait()
        journal = self._journal
        if journal is None or not bodies:
            return {}
        try:
            return await self._call(lambda: journal.counted(account_id, bodies))
        except (JournalError, OSError, sqlite3.Error):
            return {}

    def _remember(self, run: tuple[str, FavoriteRun] | None) -> None:
        if run is None:
            return
        name, entry = run
        runs = self._history.setdefault(name, [])
        if all(known.job_id != entry.job_id for known in runs):
            runs.append(entry)
            self._changes += 1

    async def create(self, record: JobRecord) -> int:
        await self._loaded.wait()
        journal = self._journal
        if journal is not None:
            try:
                job_id = await self._call(lambda: journal.create(record))
            except (OSError, sqlite3.Error) as error:
                self._failed(error)
            else:
                self._last_id = max(self._last_id, job_id)
                return job_id
        self._last_id += 1
        return self._last_id

    async def save(self, record: JobRecord, attempt: Attempt | None = None) -> None:
        await self._loaded.wait()
        # The row is read here, on the caller's thread, so the job may change while it is written.
        row, job_id, run = job_row(record), record.id, run_of(record)
        journal = self._journal
        if journal is not None:
            try:
                await self._call(lambda: journal.save(job_id, row, attempt, run))
            except (OSError, sqlite3.Error) as error:
                self._failed(error)
        self._remember(run)

    async def rename_favorite(self, old: str, new: str) -> None:
        await self._loaded.wait()
        if old in self._history and old != new:
            self._history.setdefault(new, []).extend(self._history.pop(old))
            self._history[new].sort(key=lambda run: (run.at, run.job_id))
            self._changes += 1
        await self._write(lambda journal: journal.rename_favorite(old, new))

    async def forget_favorite(self, name: str) -> None:
        await self._loaded.wait()
        if self._history.pop(name, None) is not None:
            self._changes += 1
        await self._write(lambda journal: journal.forget_favorite(name))

    async def _write(self, work: Callable[[Journal], None]) -> None:
        journal = self._journal
        if journal is None:
            return
        try:
            await self._call(lambda: work(journal))
        except (OSError, sqlite3.Error) as error:
            self._failed(error)

    async def remove(self, ids: Sequence[int]) -> None:
        await self._loaded.wait()
        journal = self._journal
        if journal is None or not ids:
            return
        chosen = list(ids)
        try:
            await self._call(lambda: journal.remove(chosen))
        except (OSError, sqlite3.Error) as error:
            self._failed(error)

    async def remove_finished_before(self, before: int) -> int:
        """Remove the finished jobs older than job `before` (those not read); how many."""
        await self._loaded.wait()
        journal = self._journal
        if journal is None:
            return 0
        try:
            return await self._call(lambda: journal.remove_finished_before(before))
        except (OSError, sqlite3.Error) as error:
            self._failed(error)
            return 0

    def close(self) -> None:
        """Finish pending writes and close the file (blocking; call once, on the way out)."""
        journal, self._journal = self._journal, None
        if journal is not None:
            self._executor.submit(journal.close)
        self._executor.shutdown(wait=True)
