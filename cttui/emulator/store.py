"""The emulator's event store: a cached SQLite file, and the SQL that counts profiles in it.

Filter semantics are documented in ``query``; this module turns them into one SQL statement.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import pathlib
import sqlite3
import tempfile
import threading

from cttui.emulator import dataset
from cttui.emulator.dataset import EVENT_SCHEMA, PropertyKind
from cttui.emulator.query import (
    COMPARISONS,
    NEGATIONS,
    Operator,
    PropertyFilter,
    Query,
    UnknownEventError,
    as_boolean,
    as_number,
    date_to_int,
)

_COMPARISON_SQL = {
    Operator.GREATER_THAN: ">",
    Operator.GREATER_THAN_EQUALS: ">=",
    Operator.LESS_THAN: "<",
    Operator.LESS_THAN_EQUALS: "<=",
}


class EventStore:
    """Read-only access to one generated store, safe to share between threads."""

    def __init__(self, path: pathlib.Path) -> None:
        self.path = path
        self._connection = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False
        )
        # One connection serves every handler thread; sqlite3 objects are not safe to use from
        # two threads at once, and queries are short enough that serialising them is harmless.
        self._lock = threading.Lock()
        with self._lock:
            rows = self._connection.execute("SELECT name, id FROM event_names").fetchall()
        self._event_ids: dict[str, int] = dict(rows)

    @classmethod
    def open_or_generate(
        cls, directory: pathlib.Path, seed: int, profiles: int, events: int, today: datetime.date
    ) -> EventStore:
        """Reuse the cached store for these inputs if it is intact, else generate it first."""
        path = directory / dataset.store_file_name(seed, profiles, events, today)
        expected = dict(dataset.meta_rows(seed, profiles, events, today))
        if _is_intact(path, expected):
            return cls(path)
        directory.mkdir(parents=True, exist_ok=True)
        # Generate under a temporary name and rename, so a crash or a concurrent start never
        # leaves (or opens) a half-written store.
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=path.name, suffix=".tmp")
        os.close(handle)
        try:
            connection = sqlite3.connect(temporary)
            try:
                dataset.generate(connection, seed, profiles, events, today)
            finally:
                connection.close()
            os.replace(temporary, path)
        except BaseException:
            pathlib.Path(temporary).unlink(missing_ok=True)
            raise
        _remove_superseded(path, dataset.superseded_store_files(seed, profiles, events))
        return cls(path)

    def close(self) -> None:
        with self._lock:
            self._connection.close()

    def has_event(self, event_name: str) -> bool:
        return event_name in self._event_ids

    def count(self, query: Query) -> int:
        """Distinct profiles that did the event in range in an occurrence matching every filter."""
        event_id = self._event_ids.get(query.event_name)
        if event_id is None:
            raise UnknownEventError(query.event_name)
        kinds = EVENT_SCHEMA[query.event_name]
        sql = ["SELECT COUNT(DISTINCT profile) FROM events WHERE event = ? AND day BETWEEN ? AND ?"]
        parameters: list[object] = [
            event_id,
            date_to_int(query.date_from),
            date_to_int(query.date_to),
        ]
        for property_filter in query.filters:
            condition, condition_parameters = _filter_sql(
                property_filter, kinds.get(property_filter.name)
            )
            sql.append(f"AND ({condition})")
            parameters.extend(condition_parameters)
        with self._lock:
            row = self._connection.execute(" ".join(sql), parameters).fetchone()
        return int(row[0])


def _remove_superseded(current: pathlib.Path, pattern: str) -> None:
    """Data is relative to its day, so yesterday's store of the same shape is never used again;
    without this, a daily demo would leave a 37 MB file behind every day."""
    for stale in current.parent.glob(pattern):
        if stale != current:
            # Another process may still have it open (fine on POSIX, refused on Windows).
            with contextlib.suppress(OSError):
                stale.unlink()


def _is_intact(path: pathlib.Path, expected: dict[str, str]) -> bool:
    """Whether ``path`` is a finished store generated from exactly these inputs."""
    if not path.exists():
        return False
    try:
        with contextlib.closing(
            sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        ) as connection:
            meta = dict(connection.execute("SELECT key, value FROM meta").fetchall())
    except sqlite3.DatabaseError:
        return False
    return meta == expected


def _filter_sql(
    property_filter: PropertyFilter, kind: PropertyKind | None
) -> tuple[str, list[object]]:
    negated = NEGATIONS.get(property_filter.operator)
    if negated is not None:
        condition, parameters = _positive_sql(negated, property_filter, kind)
        # coalesce: a missing property makes the positive test NULL, and NOT NULL is not true.
        return f"NOT coalesce(({condition}), 0)", parameters
    return _positive_sql(property_filter.operator, property_filter, kind)


def _positive_sql(
    operator: Operator, property_filter: PropertyFilter, kind: PropertyKind | None
) -> tuple[str, list[object]]:
    if kind is None:
        return "0", []
    # The name is one of the schema's own, none of which holds a quote, so the path is exact.
    path = f'$."{property_filter.name}"'
    value = "json_extract(props, ?)"
    if operator is Operator.EXISTS:
        return f"{value} IS NOT NULL", [path]
    if operator in COMPARISONS:
        if kind != "number":
            return "0", []
        return f"{value} {_COMPARISON_SQL[operator]} ?", [path, property_filter.values[0]]
    if operator is Operator.CONTAINS:
        if kind != "string":
            return "0", []
        needles = [str(needle).lower() for needle in property_filter.values]
        # instr, not LIKE: a needle may hold % or _. lower() in SQLite folds only ASCII, which
        # is all the store holds, so lowering the needle in Python gives Python's semantics.
        tests = " OR ".join(f"instr(lower({value}), ?) > 0" for _ in needles)
        return tests, [item for needle in needles for item in (path, needle)]
    keys = _equality_keys(kind, property_filter.values)
    if not keys:
        return "0", []
    return f"{value} IN ({', '.join('?' for _ in keys)})", [path, *keys]


def _equality_keys(kind: PropertyKind, values: tuple[object, ...]) -> list[object]:
    """The SQL values an ``equals`` on a property of this kind can match; others never match."""
    keys: list[object] = []
    for value in values:
        key: object | None
        if kind == "number":
            key = as_number(value)
        elif kind == "boolean":
            # json_extract reads JSON true/false as the integers 1/0.
            boolean = as_boolean(value)
            key = None if boolean is None else int(boolean)
        else:
            key = value if isinstance(value, str) else None
        if key is not None:
            keys.append(key)
    return keys
