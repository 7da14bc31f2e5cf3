"""What every handler thread of the emulator shares: the store, the request log, the requests in
flight per account, the pending counts (kept in the state file, if any) and the open connections."""

from __future__ import annotations

import contextlib
import dataclasses
import random
import socket
import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

from cttui.emulator.config import EmulatorConfig
from cttui.emulator.faults import Faults
from cttui.emulator.query import Query, QueryError, parse_query, query_body
from cttui.emulator.state_file import SavedCount, StateFileError, read_pending, write_pending
from cttui.emulator.store import EventStore

Payload = dict[str, object]


@dataclasses.dataclass(frozen=True)
class RecordedRequest:
    """One API request as the server saw and answered it; the passcode is never kept."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: str
    status: int
    response: object
    auth_ok: bool
    # Epoch seconds the request was read and answered, and the client's address: what tells
    # apart, in a soak's log, two processes sending the same query.
    received: float = 0.0
    answered: float = 0.0
    client: str = ""


@dataclasses.dataclass(frozen=True)
class PendingCount:
    account: str
    # Monotonic, for the ready check; ready_wall is the same moment in epoch seconds, for the file.
    ready_at: float
    ready_wall: float
    body: Payload
    result: Future[int]


def _known_count(result: Future[int]) -> int | None:
    if result.done() and not result.cancelled() and result.exception() is None:
        return result.result()
    return None


def reason(error: BaseException) -> str:
    """What went wrong, in the operating system's words when it has some."""
    return (error.strerror if isinstance(error, OSError) else None) or str(error)


class ServerState:
    """The emulator's shared state; every method is safe to call from any handler thread."""

    def __init__(self, config: EmulatorConfig, store: EventStore) -> None:
        self.config = config
        self.store = store
        self.faults = Faults(config)
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._log: list[RecordedRequest] = []
        self._in_flight: dict[str, int] = {}
        self._max_in_flight = 0
        # What clients tried, refused ones included: more than the limit at once means a client
        # ignored it, which max_in_flight (never above the limit) cannot show.
        self._max_offered = 0
        self._refused = 0
        self._pending: dict[int, PendingCount] = {}
        self._save_lock = threading.Lock()
        # req_ids are unpredictable from one start to the next, as CleverTap's are: a req_id
        # from before a restart must never name a new query. Renderers opt into a fixed sequence.
        self._req_id_rng: random.Random = (
            random.SystemRandom()
            if config.req_id_seed is None
            else random.Random(f"req-ids-{config.req_id_seed}")
        )
        self._executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="emulator-count")
        self._connections: set[socket.socket] = set()
        self._closed = False

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._log)

    @property
    def max_in_flight(self) -> int:
        with self._lock:
            return self._max_in_flight

    def stats(self) -> dict[str, object]:
        with self._lock:
            return {
                "requests": len(self._log),
                "in_flight": sum(self._in_flight.values()),
                "max_in_flight": self._max_in_flight,
                "max_offered": max(self._max_offered, self._max_in_flight),
                "refused": self._refused,
                "injected": self.faults.counts(),
            }

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._log.append(request)

    def reset_log(self) -> None:
        with self._lock:
            self._log.clear()
            self._max_in_flight = self._max_offered = self._refused = 0
            self.faults.reset_counts()

    def admit(self, account: str) -> bool:
        """Count a request in flight for ``account``, unless that would exceed the limit."""
        with self._lock:
            in_flight = self._in_flight.get(account, 0)
            if in_flight >= self.config.max_concurrent:
                self._max_offered = max(self._max_offered, in_flight + 1)
                self._refused += 1
                return False
            self._in_flight[account] = in_flight + 1
            self._max_in_flight = max(self._max_in_flight, in_flight + 1)
            return True

    def release(self, account: str) -> None:
        with self._lock:
            self._in_flight[account] -= 1

    def forgets(self, req_id: int) -> bool:
        """Whether this poll makes the emulator forget `req_id` (an injected fault)."""
        if not self.faults.forgets():
            return False
        with self._lock:
            self._pending.pop(req_id, None)
        self._save()
        return True

    def start_count(self, account: str, query: Query) -> int:
        """Count ``query`` in the background; returns the new ``req_id``."""
        ready_at = time.monotonic() + self.config.compute_seconds
        ready_wall = time.time() + self.config.compute_seconds
        result = self._executor.submit(self.store.count, query)
        pending = PendingCount(account, ready_at, ready_wall, query_body(query), result)
        with self._lock:
            req_id = self._req_id_rng.randrange(10**14, 10**15)
            # Also steps over req_ids restored from the state file, which the seeded generator
            # hands out again after a restart.
            while req_id in self._pending:
                req_id = self._req_id_rng.randrange(10**14, 10**15)
            self._pending[req_id] = pending
        self._save()
        return req_id

    def restore(self) -> None:
        """Take back the pending requests kept in ``config.state_file``, if there is one.

        A file that cannot be used is ignored, saying why unless quiet: it must never stop the
        emulator. Entries this emulator cannot count (another account, a body it would reject,
        an event its store lacks) are skipped, so their req_ids answer as unknown ones do.
        """
        path = self.config.state_file
        if path is None:
            return
        try:
            saved = read_pending(path)
        except StateFileError as error:
            if not self.config.quiet:
                print(f"emulator: ignored the state file {path}: {error}", file=sys.stderr)
            return
        wall, now = time.time(), time.monotonic()
        restored: dict[int, PendingCount] = {}
        for entry in saved:
            if entry.account != self.config.account_id:
                continue
            try:
                query = parse_query(entry.body)
            except QueryError:
                continue
            if not self.store.has_event(query.event_name):
                continue
            if entry.count is None:
                # In the background, as for a new request, so that start() does not wait.
                result = self._executor.submit(self.store.count, query)
            else:
                result = Future()
                result.set_result(entry.count)
            ready_at = now + max(0.0, entry.ready_at - wall)
            restored[entry.req_id] = PendingCount(
                entry.account, ready_at, entry.ready_at, query_body(query), result
            )
        with self._lock:
            self._pending.update(restored)

    def _save(self) -> None:
        path = self.config.state_file
        if path is None:
            return
        # Snapshot and write under one lock: a writer that snapshots later also writes later, so
        # an older snapshot never replaces a newer file.
        with self._save_lock:
            with self._lock:
                pending = list(self._pending.items())
            entries = [
                SavedCount(req_id, p.account, p.body, p.ready_wall, _known_count(p.result))
                for req_id, p in pending
            ]
            try:
                write_pending(path, entries)
            except OSError as error:
                # The request still has its answer; only a restart would lose it.
                if not self.config.quiet:
                    print(
                        f"emulator: cannot write the state file {path} ({reason(error)})",
                        file=sys.stderr,
                    )

    def pending(self, account: str, req_id: int) -> PendingCount | None:
        with self._lock:
            found = self._pending.get(req_id)
        # A req_id is only visible to the account that made it.
        return found if found is not None and found.account == account else None

    def track(self, connection: socket.socket) -> None:
        with self._lock:
            if not self._closed:
                self._connections.add(connection)
                return
        # Accepted just before stop() and only now starting: it must not be served either.
        with contextlib.suppress(OSError):
            connection.shutdown(socket.SHUT_RDWR)

    def untrack(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.discard(connection)

    def close(self) -> None:
        # Connections first: idle keep-alive ones would otherwise keep answering after stop(),
        # and a request woken from its latency wait must find its socket already shut.
        with self._lock:
            self._closed = True
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self.stopping.set()
        self._executor.shutdown(wait=True, cancel_futures=True)
