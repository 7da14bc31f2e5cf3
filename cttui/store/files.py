"""Reading and writing the small files a user may edit (config.toml, favorites.toml).

Reading never opens what is not a regular file (a FIFO would wait for a writer forever, a
device could be read without end) and refuses a file larger than the limit before reading it.
Writing replaces the file whole (temporary file, fsync, rename) with mode 0600 in a 0700
directory, and a failed write leaves the old file and no temporary one, with advice that fits
why it failed.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from cttui.api.errors import UsageError
from cttui.atomic import replace_file, replace_file_from

MEGABYTE = 1024 * 1024
# config.toml holds a few profiles: a megabyte is thousands of them.
SMALL_FILE_MAX_BYTES = 1 * MEGABYTE
# favorites.toml: about 90,000 favourites of the usual size.
FAVORITES_MAX_BYTES = 8 * MEGABYTE
FILE_MODE = 0o600
DIRECTORY_MODE = 0o700

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class Signature(NamedTuple):
    """What a file looked like on disk, to notice that it changed."""

    inode: int
    size: int
    mtime_ns: int


def signature(path: Path) -> Signature | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return Signature(status.st_ino, status.st_size, status.st_mtime_ns)


class Unreadable(Exception):
    """Why a file cannot be read, as the end of a sentence that starts with its name."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _not_a_file(mode: int) -> str | None:
    kind = next((name for test, name in _KINDS if test(mode)), None)
    if kind is None and not stat.S_ISREG(mode):
        kind = "not a regular file"
    return None if kind is None else f"is {kind}, not a file; move it aside"


def _too_big(size: int, limit: int) -> str:
    return (
        f"is larger than {limit / MEGABYTE:g} MB ({size / MEGABYTE:.1f} MB), more than cttui "
        "reads; move it aside"
    )


def read_limited(path: Path, limit: int) -> bytes | None:
    """The file's bytes, or None when there is none; raises Unreadable."""
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise Unreadable(f"cannot be read ({describe(error)})") from None
    problem = _not_a_file(status.st_mode)
    if problem is not None:
        raise Unreadable(problem)
    if status.st_size > limit:
        raise Unreadable(_too_big(status.st_size, limit))
    try:
        # O_NONBLOCK: should the file have been swapped for a FIFO since the stat, opening it
        # still returns at once, and fstat below refuses it.
        handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise Unreadable(f"cannot be read ({describe(error)})") from None
    try:
        problem = _not_a_file(os.fstat(handle).st_mode)
        if problem is not None:
            raise Unreadable(problem)
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(handle, min(MEGABYTE, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as error:
        raise Unreadable(f"cannot be read ({describe(error)})") from None
    finally:
        os.close(handle)
    if size > limit:
        raise Unreadable(_too_big(size, limit))
    return b"".join(chunks)


def describe(error: OSError) -> str:
    """What went wrong, with what to do about it."""
    code = error.errno
    if code in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full (or over quota); free some space and try again"
    if code == errno.EROFS:
        return "the filesystem is read-only; make it writable, or set XDG_CONFIG_HOME elsewhere"
    if code in (errno.EACCES, errno.EPERM):
        where = error.filename or "the file and its directory"
        return f"permission denied; check the permissions of {where}"
    if code == errno.ELOOP:
        return "a loop of symbolic links; point it at a real file or remove it"
    return error.strerror or str(error)


def private_directory(directory: Path) -> None:
    """Make `directory` if need be, readable by its owner alone."""
    directory.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
    status = directory.stat()
    if status.st_mode & 0o077 and status.st_uid == os.getuid():
        # Best effort: a directory that cannot be changed still takes the write, or says why.
        with contextlib.suppress(OSError):
            directory.chmod(DIRECTORY_MODE)


def write_atomically(path: Path, data: bytes) -> None:
    """Replace `path` with `data`, mode 0600; raises UsageError naming the file."""

    def refusal(error: OSError) -> UsageError:
        return UsageError(f"cannot write {path}: {describe(error)}; the file was not changed")

    try:
        private_directory(path.parent)
        replace_file(path, data, prefix=f".{path.stem}-", suffix=path.suffix)
    except OSError as error:
        raise refusal(error) from None


def export_target(path: Path) -> Path:
    """The file an export named `path` replaces (through a symbolic link, the file it names:
    the link stays), or UsageError saying why none can be written there. Unlike
    `write_atomically` it makes no directory and changes none (a home directory must not become
    0700): an export goes where it was asked to, or says why it cannot."""
    target = Path(os.path.realpath(path))
    try:
        status = os.stat(target)
    except FileNotFoundError:
        status = None
    except OSError as error:
        raise UsageError(f"cannot write {path}: {describe(error)}") from None
    if status is not None:
        problem = _not_a_file(status.st_mode)
        if problem is not None:
            raise UsageError(f"cannot write {path}: it {problem.split(';')[0]}; name a file")
        # Its mode too: root may write any file, but one with no write bit was made read-only.
        if not os.access(target, os.W_OK) or not status.st_mode & 0o222:
            raise UsageError(
                f"cannot write {path}: the file is read-only; make it writable, or name another"
            )
    elif not target.parent.is_dir():
        raise UsageError(
            f"cannot write {path}: there is no directory {target.parent}; make it first, or "
            "name a file in one that exists"
        )
    return target


def write_export(path: Path, chunks: Iterable[bytes]) -> None:
    """Replace the file `path` names (see `export_target`) with `chunks`: whole or not at all.
    Raises UsageError naming the file."""
    target = export_target(path)
    try:
        replace_file_from(target, chunks, prefix=f".{target.name}-", suffix=".tmp")
    except OSError as error:
        raise UsageError(
            f"cannot write {path}: {_export_failure(error, target.parent)}; nothing was written"
        ) from None


def _export_failure(error: OSError, directory: Path) -> str:
    if error.errno == errno.EROFS:
        return "the filesystem is read-only; name a file elsewhere"
    if error.errno in (errno.EACCES, errno.EPERM):
        return f"permission denied in {directory}; name a file in a directory you can write to"
    return describe(error)
