"""Request slots shared by every cttui process on the machine: CleverTap's limit of requests in
flight is per account, not per process.

An account has `limit` lock files in the state directory, `slots/<key>.<n>.lock`; a request
holds an exclusive `flock` on one of them while it is in flight. The kernel drops a lock when its
holder exits, however it exits (SIGKILL included), so a slot is never lost to a dead process.
"""

from __future__ import annotations

import errno
import hashlib
import os
import sys
from pathlib import Path

if sys.platform != "win32":
    import fcntl

__all__ = ["SlotFiles", "SlotsUnavailableError", "slots_dir"]


class SlotsUnavailableError(Exception):
    """The slot files cannot be used (read-only or full disk, no flock); says why, one line."""


def slots_dir(journal: Path) -> Path:
    """Beside the journal, so that the demo (its own state folder) has slots of its own."""
    return journal.parent / "slots"


def account_key(base_url: str, account_id: str) -> str:
    # A hash: an account ID or a URL may hold characters a file name cannot.
    return hashlib.sha256(f"{base_url}\n{account_id}".encode()).hexdigest()[:24]


class SlotFiles:
    """The `limit` slots of one account (on one server) in `directory`."""

    def __init__(self, directory: Path, base_url: str, account_id: str, limit: int) -> None:
        self.directory = directory
        self.limit = limit
        self._stem = account_key(base_url, account_id)

    def path(self, number: int) -> Path:
        return self.directory / f"{self._stem}.{number}.lock"

    def try_take(self) -> int | None:
        """Lock a free slot; its file descriptor (for `give_back`), or None when all are held.

        Raises SlotsUnavailableError when the files cannot be made or locked at all."""
        if sys.platform == "win32":
            raise SlotsUnavailableError("this system has no flock")
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            for number in range(self.limit):
                # A fresh open each time: flock belongs to an open file, so two requests of this
                # very process exclude each other as two processes do.
                fd = os.open(self.path(number), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError as error:
                    os.close(fd)
                    if error.errno in (errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES):
                        continue
                    raise
                return fd
        except FileExistsError:
            raise SlotsUnavailableError(
                f"cannot lock a file in {self.directory} (not a folder)"
            ) from None
        except OSError as error:
            reason = error.strerror or type(error).__name__
            raise SlotsUnavailableError(
                f"cannot lock a file in {self.directory} ({reason})"
            ) from None
        return None

    @staticmethod
    def give_back(fd: int) -> None:
        # Closing the only descriptor of the open file drops its lock.
        os.close(fd)
