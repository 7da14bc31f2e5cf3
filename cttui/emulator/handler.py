"""The emulator's HTTP face: one handler thread per connection reads a request, answers it the
way CleverTap does (or with an injected fault) and records it in the shared ``ServerState``."""

from __future__ import annotations

import contextlib
import dataclasses
import hmac
import json
import re
import socket
import struct
import sys
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import SplitResult, parse_qsl, urlsplit

from cttui.emulator.faults import ResetConnection
from cttui.emulator.query import QueryError, parse_query
from cttui.emulator.state import Payload, RecordedRequest, ServerState

API_PATH = "/1/counts/profiles.json"
REQUESTS_PATH = "/_emulator/requests"
STATS_PATH = "/_emulator/stats"
ACCOUNT_HEADER = "X-CleverTap-Account-Id"
PASSCODE_HEADER = "X-CleverTap-Passcode"
REDACTED = "<redacted>"

_REQ_ID = re.compile(r"[0-9]{1,18}")
# The status recorded for a request answered by resetting its connection.
RESET_STATUS = 0


def _fail_body(code: int, error: str) -> Payload:
    return {"status": "fail", "error": error, "code": int(code)}


def _fail(status: int, error: str) -> tuple[int, Payload]:
    return status, _fail_body(status, error)


class CountServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: ServerState) -> None:
        self.state = state
        super().__init__((state.config.host, state.config.port), CountHandler)

    def handle_error(self, request: object, client_address: object) -> None:
        # Called when a handler raised past its own catch-all, which in practice means the
        # client hung up mid-answer: routine, so never a traceback.
        if not self.state.config.quiet:
            error = sys.exc_info()[1]
            print(f"emulator: connection error: {error!r}", file=sys.stderr)


class CountHandler(BaseHTTPRequestHandler):
    # HTTP/1.1 so that clients keep connections alive, as they would with CleverTap.
    protocol_version = "HTTP/1.1"
    # Each answer leaves in one write: the status line, headers and body gather in a buffered
    # wfile that BaseHTTPRequestHandler flushes after each request. Written apart, the body
    # waited for the client's delayed ACK of the headers (Nagle: about 40 ms a request); with
    # TCP_NODELAY as well, nothing a handler writes is held back.
    wbufsize = 1 << 16
    disable_nagle_algorithm = True
    server: CountServer

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
        except ResetConnection:
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
            state.stopping.wait(state.faults.latency())
            injected = state.faults.failure()
            if injected is not None:
                return _fail(*injected)
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
