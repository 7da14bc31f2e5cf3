"""The file that keeps the emulator's pending (``partial``) requests across restarts.

It is JSON::

    {"version": 1, "pending": [
        {"req_id": 123456789012345, "account": "EMU-LAT-0001",
         "body": {"event_name": "Charged", "from": 20260101, "to": 20260401},
         "ready_at": 1790000000.25, "count": 42}
    ]}

``body`` is the request as the server parsed it (``query.query_body``), enough to count it
again; ``ready_at`` is wall-clock epoch seconds, because monotonic time does not survive a restart;
``count`` is there only when it was already known when the file was written. The passcode is
never written.
"""

from __future__ import annotations

import dataclasses
import json
import math
import pathlib
import time
from typing import TypeGuard

from cttui.atomic import replace_file

VERSION = 1
# Entries this long past their ready time are dropped: no client is still polling them, and
# the file stays small enough to rewrite on every new pending request.
MAX_AGE_SECONDS = 24 * 60 * 60
_REQ_ID_LIMIT = 10**18


class StateFileError(ValueError):
    """The file cannot be used; the message says why."""


@dataclasses.dataclass(frozen=True)
class SavedCount:
    """One pending request as the file keeps it."""

    req_id: int
    account: str
    body: dict[str, object]
    ready_at: float
    count: int | None = None


def read_pending(path: pathlib.Path) -> list[SavedCount]:
    """The entries in ``path`` not yet stale; [] if it does not exist.

    Raises StateFileError if the file cannot be read or is not what ``write_pending`` writes.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except OSError as error:
        raise StateFileError(error.strerror or str(error)) from error
    except UnicodeDecodeError as error:
        raise StateFileError("not UTF-8 text") from error
    try:
        decoded = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise StateFileError(f"not JSON ({error})") from error
    if not isinstance(decoded, dict):
        raise StateFileError("not a JSON object")
    version = decoded.get("version")
    if version != VERSION or isinstance(version, bool):
        raise StateFileError(f"unsupported version {version!r}")
    entries = decoded.get("pending")
    if not isinstance(entries, list):
        raise StateFileError('"pending" is not a list')
    cutoff = time.time() - MAX_AGE_SECONDS
    saved = [_entry(index, entry) for index, entry in enumerate(entries)]
    return [entry for entry in saved if entry.ready_at >= cutoff]


def write_pending(path: pathlib.Path, entries: list[SavedCount]) -> None:
    """Replace ``path`` atomically with ``entries``, less the stale ones.

    A crash at any point leaves either the old file or the new one, never a mix.
    """
    cutoff = time.time() - MAX_AGE_SECONDS
    pending: list[dict[str, object]] = []
    for entry in entries:
        if entry.ready_at < cutoff:
            continue
        fields = dataclasses.asdict(entry)
        if entry.count is None:
            del fields["count"]
        pending.append(fields)
    data = json.dumps({"version": VERSION, "pending": pending}).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_file(path, data, prefix=f".{path.name}.", suffix=".tmp")


def _entry(index: int, entry: object) -> SavedCount:
    where = f"pending[{index}]"
    if not isinstance(entry, dict):
        raise StateFileError(f"{where} is not an object")
    req_id = entry.get("req_id")
    if not _is_int(req_id) or not 0 <= req_id < _REQ_ID_LIMIT:
        raise StateFileError(f"{where}.req_id is not a req_id")
    account = entry.get("account")
    if not isinstance(account, str):
        raise StateFileError(f"{where}.account is not a string")
    body = entry.get("body")
    if not isinstance(body, dict):
        raise StateFileError(f"{where}.body is not an object")
    ready_at = entry.get("ready_at")
    if not (_is_int(ready_at) or isinstance(ready_at, float)) or not math.isfinite(ready_at):
        raise StateFileError(f"{where}.ready_at is not a time")
    count = entry.get("count")
    if count is not None and (not _is_int(count) or count < 0):
        raise StateFileError(f"{where}.count is not a count")
    return SavedCount(req_id, account, body, float(ready_at), count)


def _is_int(value: object) -> TypeGuard[int]:
    # bool is an int subclass, and true is no req_id.
    return isinstance(value, int) and not isinstance(value, bool)
