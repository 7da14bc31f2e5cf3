"""What the job journal keeps around its SQLite file: private modes for what it creates, the
owner locks that say which cttui processes are alive, and what a failure means to the person who
meets it (a full disk, a read-only directory, a lock, a damaged file)."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import sqlite3
import stat
from pathlib import Path

from cttui.api.errors import UsageError


class JournalError(UsageError):
    """The journal cannot be used; the message names the file and what to do."""


# An owner's token as `Owners` makes it: anything else in the `owner` column names no process, and
# is never joined to a path.
_TOKEN = re.compile(r"[0-9]{1,10}-[0-9a-f]{8}")


def private_directory(directory: Path) -> None:
    """`directory` and any missing parent, 0700 (XDG asks that of what an app creates), and
    `directory` itself made 0700 if an older cttui left it open."""
    if not directory.exists():
        private_directory(directory.parent)
        with contextlib.suppress(FileExistsError):
            directory.mkdir(mode=0o700)
    with contextlib.suppress(OSError):
        if directory.stat().st_mode & 0o077:
            directory.chmod(0o700)


def private_file(path: Path) -> None:
    """Create `path` 0600 if it is missing (SQLite gives its -wal and -shm the file's mode), or
    make it 0600."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        with contextlib.suppress(OSError):
            if path.stat().st_mode & 0o077:
                path.chmod(0o600)


class Owners:
    """Which cttui processes are alive: each holds an exclusive lock on `owners/<token>.lock`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        # As secrets.token_hex(4), without importing hmac and hashlib into every command.
        self.token = f"{os.getpid()}-{os.urandom(4).hex()}"
        self._handle: int | None = None

    def hold(self) -> None:
        try:
            import fcntl
        except ImportError:  # Windows: no sharing between processes there.
            return
        private_directory(self.directory)
        handle = os.open(self.directory / f"{self.token}.lock", os.O_CREAT | os.O_RDWR, 0o600)
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._handle = handle

    def alive(self, token: str | None) -> bool:
        if token == self.token:
            return True
        if token is None or not _TOKEN.fullmatch(token):
            return False
        try:
            import fcntl
        except ImportError:
            return False
        path = self.directory / f"{token}.lock"
        try:
            # Read-only is enough for a lock, and works where nothing may be written.
            handle = os.open(path, os.O_RDONLY)
        except OSError:
            return False
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        finally:
            os.close(handle)
        with contextlib.suppress(OSError):
            path.unlink()
        return False

    def release(self) -> None:
        if self._handle is not None:
            with contextlib.suppress(OSError):
                (self.directory / f"{self.token}.lock").unlink()
            os.close(self._handle)
            self._handle = None


MEMORY_ONLY = "until then, jobs are kept in memory only"


def cause_of(directory: Path, error: BaseException) -> str | None:
    """ "full" or "read-only" when the directory is, whatever words the error used (SQLite says
    "disk I/O error" when it cannot grow its -shm on a full disk)."""
    code = getattr(error, "sqlite_errorcode", None)
    number = error.errno if isinstance(error, OSError) else None
    if number == errno.ENOSPC or code == sqlite3.SQLITE_FULL:
        return "full"
    if number in (errno.EROFS, errno.EACCES, errno.EPERM) or code == sqlite3.SQLITE_READONLY:
        return "read-only"
    try:
        usage = os.statvfs(directory)
    except OSError:
        return None
    if usage.f_flag & os.ST_RDONLY or not os.access(directory, os.W_OK):
        return "read-only"
    if usage.f_bavail == 0:
        return "full"
    return None


def problem(path: Path, error: BaseException) -> JournalError:
    text = str(error)
    cause = cause_of(path.parent, error)
    if cause == "full":
        return JournalError(
            f"the job journal {path} cannot be written: the disk is full ({text}); free some "
            f"space and restart cttui ({MEMORY_ONLY})"
        )
    if cause == "read-only":
        return JournalError(
            f"the job journal {path} cannot be written: the directory {path.parent} is "
            f"read-only ({text}); make it writable, or point XDG_STATE_HOME elsewhere, and "
            f"restart cttui ({MEMORY_ONLY})"
        )
    if "locked" in text or "busy" in text:
        return JournalError(
            f"the job journal {path} is locked by another program ({text}); close that program "
            f"and restart cttui ({MEMORY_ONLY})"
        )
    return JournalError(
        f"the job journal {path} cannot be used ({text}); move it aside and restart cttui "
        f"to start a new one ({MEMORY_ONLY}; the file is left as it is)"
    )


def regular_file(path: Path) -> None:
    """A JournalError unless `path` is a regular file, or nothing at all (a journal not made
    yet). SQLite would wait forever to read a FIFO, and calls a directory a disk I/O error."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as error:
        raise problem(path, error) from None
    if stat.S_ISREG(mode):
        return
    what = "a directory" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode) else "a device"
    raise JournalError(
        f"the job journal {path} is {what}, not a file; move it aside and restart cttui to start "
        f"a new one ({MEMORY_ONLY}; it is left as it is)"
    )


def damaged(path: Path, what: str) -> JournalError:
    return JournalError(
        f"the job journal {path} is damaged ({what}); move it aside and restart cttui to start "
        f"a new one ({MEMORY_ONLY}; the file is left as it is)"
    )
