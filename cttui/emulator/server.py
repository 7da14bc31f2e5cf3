"""A CleverTap-compatible Get Profile Count server on loopback.

It answers ``/1/counts/profiles.json`` the way CleverTap does (see ``shared/reference``): the same
bodies, HTTP codes, ``partial`` answers with a ``req_id`` to poll, and a per-account limit on
requests in flight. With ``EmulatorConfig.state_file`` set, pending requests outlive the process
(see ``state_file``). Faults can be injected (5xx, 429, connection resets, latency, forgotten
``req_id``s; see ``EmulatorConfig``). Two unauthenticated, unlogged endpoints let tests that run
it as a subprocess look inside: ``GET /_emulator/requests`` and ``GET /_emulator/stats``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hmac
import json
import pathlib
import random
import re
import shlex
import socket
import sqlite3
import struct
import sys
import tempfile
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TextIO
from urllib.parse import SplitResult, parse_qsl, urlsplit

from cttui.emulator.config import EmulatorConfig
from cttui.emulator.query import Query, QueryError, parse_query, query_body
from cttui.emulator.state_file import SavedCount, StateFileError, read_pending, write_pending
from cttui.emulator.store import EventStore

API_PATH = "/1/counts/profiles.json"
REQUESTS_PATH = "/_emulator/requests"
STATS_PATH = "/_emulator/stats"
ACCOUNT_HEADER = "X-CleverTap-Account-Id"
PASSCODE_HEADER = "X-CleverTap-Passcode"
REDACTED = "<redacted>"

_REQ_ID = re.compile(r"[0-9]{1,18}")
_INJECTED_FAILURES = (
    (HTTPStatus.SERVICE_UNAVAILABLE, "Service temporarily unavailable"),
    (HTTPStatus.INTERNAL_SERVER_ERROR, "Internal server error"),
)

Payload = dict[str, object]
# The status recorded for a request answered by resetting its connection.
RESET_STATUS = 0


class _ResetConnection(Exception):
    """An injected fault: the request gets no answer, its connection is reset."""


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
class _PendingCount:
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


def _fail_body(code: int, error: str) -> Payload:
    return {"status": "fail", "error": error, "code": int(code)}


def _fail(status: int, error: str) -> tuple[int, Payload]:
    return status, _fail_body(status, error)


class _State:
    """What every handler thread shares: the store, the request log and the in-flight counts."""

    def __init__(self, config: EmulatorConfig, store: EventStore) -> None:
        self.config = config
        self.store = store
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._log: list[RecordedRequest] = []
        self._in_flight: dict[str, int] = {}
        self._max_in_flight = 0
        # What clients tried, refused ones included: more than the limit at once means a client
        # ignored it, which max_in_flight (never above the limit) cannot show.
        self._max_offered = 0
        self._refused = 0
        self._injected = dict.fromkeys(("5xx", "429", "reset", "forgotten"), 0)
        self._pending: dict[int, _PendingCount] = {}
        self._save_lock = threading.Lock()
        # Separate generators so that polling more or less often never shifts which requests
        # fail, and every sequence repeats from run to run.
        fault_seed = config.seed if config.fault_seed is None else config.fault_seed
        self._failure_rng = random.Random(f"failures-{fault_seed}")
        self._latency_rng = random.Random(f"latency-{fault_seed}")
        self._forget_rng = random.Random(f"forget-{fault_seed}")
        self._failures_injected = 0
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
                "injected": dict(self._injected),
            }

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._log.append(request)

    def reset_log(self) -> None:
        with self._lock:
            self._log.clear()
            self._max_in_flight = self._max_offered = self._refused = 0
            self._injected = dict.fromkeys(self._injected, 0)

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

    def latency(self) -> float:
        config = self.config
        if not config.latency_jitter:
            return config.latency
        with self._lock:
            return config.latency + self._latency_rng.uniform(0, config.latency_jitter)

    def injected_failure(self) -> tuple[int, Payload] | None:
        """An injected answer for this request, None for none; raises _ResetConnection."""
        config = self.config
        with self._lock:
            draw = self._failure_rng.random()
            if draw < config.fail_rate:
                index = self._failures_injected % len(_INJECTED_FAILURES)
                status, error = _INJECTED_FAILURES[index]
                self._failures_injected += 1
                self._injected["5xx"] += 1
                return _fail(status, error)
            if draw < config.fail_rate + config.throttle_rate:
                self._injected["429"] += 1
                return _fail(HTTPStatus.TOO_MANY_REQUESTS, "Too many requests")
            if draw < config.fail_rate + config.throttle_rate + config.reset_rate:
                self._injected["reset"] += 1
                raise _ResetConnection
        return None

    def forgets(self, req_id: int) -> bool:
        """Whether this poll makes the emulator forget `req_id` (an injected fault)."""
        if not self.config.forget_rate:
            return False
        with self._lock:
            if self._forget_rng.random() >= self.config.forget_rate:
                return False
            self._pending.pop(req_id, None)
            self._injected["forgotten"] += 1
        self._save()
        return True

    def start_count(self, account: str, query: Query) -> int:
        """Count ``query`` in the background; returns the new ``req_id``."""
        ready_at = time.monotonic() + self.config.compute_seconds
        ready_wall = time.time() + self.config.compute_seconds
        result = self._executor.submit(self.store.count, query)
        pending = _PendingCount(account, ready_at, ready_wall, query_body(query), result)
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
        restored: dict[int, _PendingCount] = {}
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
            restored[entry.req_id] = _PendingCount(
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
                        f"emulator: cannot write the state file {path} ({_reason(error)})",
                        file=sys.stderr,
                    )

    def pending(self, account: str, req_id: int) -> _PendingCount | None:
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


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: _State) -> None:
        self.state = state
        super().__init__((state.config.host, state.config.port), _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        # Called when a handler raised past its own catch-all, which in practice means the
        # client hung up mid-answer: routine, so never a traceback.
        if not self.state.config.quiet:
            error = sys.exc_info()[1]
            print(f"emulator: connection error: {error!r}", file=sys.stderr)


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 so that clients keep connections alive, as they would with CleverTap.
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.state.track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.state.untrack(self.connection)

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = do_GET

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # Requests that fail to parse, or use a method without a do_ handler, land here before
        # _dispatch; answer them in JSON too.
        if code == HTTPStatus.NOT_IMPLEMENTED:
            code, message = HTTPStatus.METHOD_NOT_ALLOWED, "Method not allowed"
        self.close_connection = True
        self._send(*_fail(code, message or HTTPStatus(code).phrase))

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Replaced by the access line _dispatch writes, which knows the answer's status."""

    def log_message(self, format: str, *args: object) -> None:
        if not self.server.state.config.quiet:
            print(f"emulator: {format % args}", file=sys.stderr)

    def _dispatch(self) -> None:
        state = self.server.state
        started = time.monotonic()
        received = time.time()
        url = urlsplit(self.path)
        body = self._read_body()
        if url.path in (REQUESTS_PATH, STATS_PATH):
            self._send(*self._introspect(url.path))
            return
        auth_ok = self._authenticated()
        reset = False
        try:
            status, payload = self._answer(url, body, auth_ok)
        except _ResetConnection:
            reset = True
            status, payload = RESET_STATUS, {}
        except Exception as error:
            status, payload = _fail(HTTPStatus.INTERNAL_SERVER_ERROR, "Internal server error")
            self.log_message("handler failed: %r", error)
        headers = {
            name: REDACTED if name.lower() == PASSCODE_HEADER.lower() else value
            for name, value in self.headers.items()
        }
        state.record(
            RecordedRequest(
                method=self.command,
                path=url.path,
                query=dict(parse_qsl(url.query, keep_blank_values=True)),
                headers=headers,
                body=(body or b"").decode("utf-8", errors="replace"),
                status=int(status),
                response=payload,
                auth_ok=auth_ok,
                received=received,
                answered=time.time(),
                client=f"{self.client_address[0]}:{self.client_address[1]}",
            )
        )
        elapsed_ms = (time.monotonic() - started) * 1000
        self.log_message("%s %s %d %.0fms", self.command, url.path, status, elapsed_ms)
        # Recorded and logged before answering, so a client that looks right after its answer
        # always finds its own request.
        if reset:
            self._reset()
        else:
            self._send(status, payload)

    def _reset(self) -> None:
        # A zero linger makes close() send RST rather than FIN: the client reads a reset.
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()

    def _read_body(self) -> bytes | None:
        """The request body, or None when Content-Length is unusable."""
        length = self.headers.get("Content-Length", "0")
        if not (length.isascii() and length.isdigit()):
            # Without a length the next request on this connection cannot be found.
            self.close_connection = True
            return None
        return self.rfile.read(int(length))

    def _authenticated(self) -> bool:
        config = self.server.state.config
        account = self.headers.get(ACCOUNT_HEADER, "")
        passcode = self.headers.get(PASSCODE_HEADER, "")
        return hmac.compare_digest(account.encode(), config.account_id.encode()) and (
            hmac.compare_digest(passcode.encode(), config.passcode.encode())
        )

    def _introspect(self, path: str) -> tuple[int, object]:
        if self.command != "GET":
            return _fail(HTTPStatus.METHOD_NOT_ALLOWED, "Method not allowed")
        state = self.server.state
        if path == REQUESTS_PATH:
            return HTTPStatus.OK, [dataclasses.asdict(request) for request in state.requests]
        return HTTPStatus.OK, state.stats()

    def _answer(self, url: SplitResult, body: bytes | None, auth_ok: bool) -> tuple[int, Payload]:
        state = self.server.state
        if url.path != API_PATH:
            return _fail(HTTPStatus.NOT_FOUND, f"Not found: {url.path}")
        if self.command not in ("GET", "POST"):
            return _fail(HTTPStatus.METHOD_NOT_ALLOWED, f"Method not allowed: {self.command}")
        if body is None:
            return _fail(HTTPStatus.BAD_REQUEST, "Invalid Content-Length")
        if not auth_ok:
            return _fail(HTTPStatus.UNAUTHORIZED, "Invalid Credentials")
        account = state.config.account_id
        if not state.admit(account):
            return _fail(HTTPStatus.TOO_MANY_REQUESTS, "Too many concurrent requests")
        try:
            state.stopping.wait(state.latency())
            injected = state.injected_failure()
            if injected is not None:
                return injected
            if self.command == "GET":
                return self._poll(account, url.query)
            return self._submit(account, body)
        finally:
            # Released before the answer is written: a client that sends its next request as
            # soon as it reads this answer must find the slot free.
            state.release(account)

    def _submit(self, account: str, body: bytes) -> tuple[int, Payload]:
        state = self.server.state
        try:
            decoded = json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
        except ValueError:
            return _fail(HTTPStatus.BAD_REQUEST, "Invalid JSON payload")
        if not isinstance(decoded, dict):
            return _fail(HTTPStatus.BAD_REQUEST, "Invalid JSON payload")
        try:
            query = parse_query(decoded)
        except QueryError as error:
            return _fail(HTTPStatus.BAD_REQUEST, str(error))
        if not state.store.has_event(query.event_name):
            # CleverTap's own shape: HTTP 200, and a JSON array serialised inside the string.
            errors = json.dumps([f"Invalid event : {query.event_name}"])
            return HTTPStatus.OK, _fail_body(HTTPStatus.BAD_REQUEST, errors)
        if query.span_days <= state.config.partial_after_days:
            return HTTPStatus.OK, {"status": "success", "count": state.store.count(query)}
        req_id = state.start_count(account, query)
        return HTTPStatus.OK, {"status": "partial", "req_id": req_id}

    def _poll(self, account: str, query_string: str) -> tuple[int, Payload]:
        state = self.server.state
        raw = dict(parse_qsl(query_string, keep_blank_values=True)).get("req_id")
        if raw is None:
            return _fail(HTTPStatus.BAD_REQUEST, "Missing parameter: req_id")
        pending = state.pending(account, int(raw)) if _REQ_ID.fullmatch(raw) else None
        if pending is None or state.forgets(int(raw)):
            return HTTPStatus.OK, _fail_body(HTTPStatus.BAD_REQUEST, f"Invalid req_id: {raw}")
        if time.monotonic() < pending.ready_at or not pending.result.done():
            return HTTPStatus.OK, {"status": "partial", "req_id": int(raw)}
        return HTTPStatus.OK, {"status": "success", "count": pending.result.result()}

    def _send(self, status: int, payload: object) -> None:
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)


def _reject_constant(name: str) -> object:
    # Python's json accepts NaN and Infinity; JSON does not, and neither does CleverTap.
    raise ValueError(f"not JSON: {name}")


class EmulatorError(Exception):
    """The emulator could not start; the message says what to change."""


def _reason(error: BaseException) -> str:
    return (error.strerror if isinstance(error, OSError) else None) or str(error)


class Emulator:
    """The emulator server, run in a daemon thread of this process.

    ``with Emulator(config) as emulator:`` starts it and stops it; ``emulator.base_url`` is where
    it listens.
    """

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config if config is not None else EmulatorConfig()
        self._state: _State | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._temporary: tempfile.TemporaryDirectory[str] | None = None
        self._stopped = False

    def start(self) -> Emulator:
        """Generate or open the store, bind, and serve in a daemon thread."""
        if self._state is not None:
            raise RuntimeError("an Emulator can be started only once")
        config = self.config
        if config.cache_dir is not None:
            cache_dir = config.cache_dir
        else:
            self._temporary = tempfile.TemporaryDirectory(prefix="cttui-emulator-")
            cache_dir = pathlib.Path(self._temporary.name)
        try:
            store = EventStore.open_or_generate(
                cache_dir, config.seed, config.profiles, config.events, config.resolved_today()
            )
        except (OSError, sqlite3.Error) as error:
            self._cleanup_temporary()
            raise EmulatorError(
                f"cannot build the emulator's data in {cache_dir} ({_reason(error)}); "
                "check that the folder is writable and the disk has space"
            ) from error
        state = _State(config, store)
        try:
            state.restore()
            server = _Server(state)
        except BaseException as error:
            state.close()
            store.close()
            self._cleanup_temporary()
            if isinstance(error, OSError):
                raise EmulatorError(
                    f"cannot listen on {config.host}:{config.port} ({_reason(error)}); "
                    "pick another --host or --port (--port 0 picks a free one)"
                ) from error
            raise
        self._state, self._server = state, server
        # A short poll interval keeps stop() quick; the loop costs next to nothing.
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="cttui-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the store; safe to call more than once."""
        if self._server is None or self._state is None or self._stopped:
            return
        self._stopped = True
        self._server.shutdown()
        self._state.close()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._state.store.close()
        self._cleanup_temporary()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the Emulator is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of the request log, oldest first."""
        return [] if self._state is None else self._state.requests

    @property
    def max_in_flight(self) -> int:
        """The most requests of one account in flight at once since start or reset_log()."""
        return 0 if self._state is None else self._state.max_in_flight

    def stats(self) -> dict[str, object]:
        """What ``GET /_emulator/stats`` answers: requests, in_flight (now), max_in_flight,
        max_offered (refused ones included), refused (429 above max_concurrent), and injected
        faults by kind."""
        return {} if self._state is None else self._state.stats()

    def reset_log(self) -> None:
        if self._state is not None:
            self._state.reset_log()

    def count(
        self,
        event_name: str,
        date_from: int,
        date_to: int,
        event_properties: list[dict[str, object]] | None = None,
    ) -> int:
        """The true count for a query, validated and counted exactly as the server does.

        Raises ``QueryError`` for what the server answers with 400 and ``UnknownEventError`` for
        an event the store does not have (both are ValueError).
        """
        if self._state is None:
            raise RuntimeError("the Emulator is not started")
        body: dict[str, object] = {
            "event_name": event_name,
            "from": date_from,
            "to": date_to,
            "event_properties": event_properties or [],
        }
        return self._state.store.count(parse_query(body))

    def _cleanup_temporary(self) -> None:
        if self._temporary is not None:
            self._temporary.cleanup()
            self._temporary = None


def serve(config: EmulatorConfig, out: TextIO, stop: threading.Event | None = None) -> int:
    """Run an emulator until Ctrl-C (or until ``stop`` is set); returns the exit code, 0.

    Prints where it listens, then the shell line that points cttui at it.
    """
    stop = stop if stop is not None else threading.Event()
    with Emulator(config) as emulator:
        print(f"listening on {emulator.base_url}", file=out, flush=True)
        exports = {
            "CTTUI_BASE_URL": emulator.base_url,
            "CLEVERTAP_ACCOUNT_ID": config.account_id,
            "CLEVERTAP_PASSCODE": config.passcode,
        }
        line = " ".join(f"{name}={shlex.quote(value)}" for name, value in exports.items())
        print(f"export {line}", file=out, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    return 0
