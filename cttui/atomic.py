"""Replacing a file whole: write a temporary file beside it, fsync, rename. Below every layer
(standard library only), so that the stores and the emulator, which may not import them,
share one way of doing it."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path


def replace_file(path: Path, data: bytes, *, prefix: str, suffix: str) -> None:
    """`path` holds `data` or what it held before, never a mix, even after a crash. The file is
    0600: mkstemp makes it so and os.replace keeps it (an older file's wider mode is not carried
    over). OSError leaves no temporary file behind."""
    replace_file_from(path, (data,), prefix=prefix, suffix=suffix)


def replace_file_from(path: Path, chunks: Iterable[bytes], *, prefix: str, suffix: str) -> None:
    """`replace_file` with the data in `chunks`, each written as it comes: a long export never
    whole in memory. Whatever `chunks` raises leaves the old file and no temporary one."""
    import tempfile  # here: commands that only read never load it (nor random, nor hashlib)

    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=suffix)
    try:
        with os.fdopen(handle, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
