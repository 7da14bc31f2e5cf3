"""The HTTP client against httpx.MockTransport: the exact requests, and every answer's outcome."""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import socket
import ssl
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Literal
from urllib.parse import quote, quote_plus

import certifi
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cttui import __version__
from cttui.api.client import CleverTapClient, Credentials, _tls_for
from cttui.api.errors import (
    ApiError,
    AuthError,
    BadRequestError,
    InvalidResponseError,
    NetworkError,
    QueryError,
    RateLimitedError,
    ServerError,
    UnknownRequestError,
    UsageError,
)
from cttui.api.models import DateRange, PropertyFilter, Query
from cttui.api.outcomes import Done, Outcome, Pending
from tests.hostile_server import HostileServer, Mode, Reply, gzip_bomb, self_signed_certificate

ACCOUNT = "ABC-DEF-1234"
PASSCODE = "PASS-zq8Xv3-never-shown"
BASE_URL = "https://in1.api.clevertap.com"
REQ_ID = "384649162721759"
QUERY = Query(
    "choseNewFavoriteFood",
    DateRange.parse("2015-08-10", "2015-10-25"),
    (PropertyFilter.from_text("value", "contains", "piz"),),
)

Kind = Literal["submit", "poll"]
Answer = Callable[[httpx.Request], httpx.Response]


class Server:
    """A MockTransport handler that records what it was sent."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.answer(request)


def replying(status: int, body: object) -> Answer:
    """An answer with `body` as raw bytes, or as JSON for anything else."""
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return lambda request: httpx.Response(status, content=content)


def fail(error: object, code: int | None = None) -> dict[str, object]:
    return {"status": "fail", "error": error} | ({} if code is None else {"code": code})


def make_client(server: Answer, base_url: str = BASE_URL) -> CleverTapClient:
    transport = httpx.MockTransport(server)
    return CleverTapClient(Credentials(ACCOUNT, PASSCODE), base_url, transport=transport)


async def call(kind: Kind, answer: Answer) -> Outcome:
    async with make_client(answer) as client:
        return await (client.submit(QUERY) if kind == "submit" else client.poll(REQ_ID))


async def failure(kind: Kind, answer: Answer) -> ApiError:
    with pytest.raises(ApiError) as excinfo:
        await call(kind, answer)
    error = excinfo.value
    assert PASSCODE not in str(error)
    assert PASSCODE not in repr(error)
    return error


BOTH: list[Kind] = ["submit", "poll"]


# --- the requests -------------------------------------------------------------------------------


async def test_submit_posts_the_documented_request() -> None:
    server = Server(replying(200, {"status": "success", "count": 7138}))
    async with make_client(server) as client:
        assert await client.submit(QUERY) == Done(7138)
    [request] = server.requests
    assert request.method == "POST"
    assert request.url.scheme == "https"
    assert request.url.host == "in1.api.clevertap.com"
    assert request.url.path == "/1/counts/profiles.json"
    assert request.url.query == b""
    assert request.content == QUERY.to_json().encode()
    assert request.content == (
        b'{"event_name":"choseNewFavoriteFood","event_properties":[{"name":"value",'
        b'"operator":"contains","value":"piz"}],"from":20150810,"to":20151025}'
    )
    assert request.headers["X-CleverTap-Account-Id"] == ACCOUNT
    assert request.headers["X-CleverTap-Passcode"] == PASSCODE
    assert request.headers["Content-Type"] == "application/json"
    assert f"cttui/{__version__}" in request.headers["User-Agent"]


async def test_poll_gets_by_req_id_on_the_same_host_without_content_type() -> None:
    answers = iter(
        [{"status": "partial", "req_id": int(REQ_ID)}, {"status": "success", "count": 12}]
    )
    server = Server(lambda request: httpx.Response(200, json=next(answers)))
    async with make_client(server) as client:
        pending = await client.submit(QUERY)
        assert pending == Pending(REQ_ID)
        assert isinstance(pending, Pending)
        assert await client.poll(pending.req_id) == Done(12)
    submitted, polled = server.requests
    assert polled.method == "GET"
    assert polled.url.host == submitted.url.host
    assert polled.url.path == "/1/counts/profiles.json"
    assert polled.url.params.get("req_id") == REQ_ID
    assert polled.content == b""
    assert "Content-Type" not in polled.headers
    assert polled.headers["X-CleverTap-Account-Id"] == ACCOUNT
    assert polled.headers["X-CleverTap-Passcode"] == PASSCODE
    assert f"cttui/{__version__}" in polled.headers["User-Agent"]


async def test_local_http_base_url_is_used_as_given() -> None:
    server = Server(replying(200, {"status": "success", "count": 1}))
    async with make_client(server, "http://127.0.0.1:8765/") as client:
        assert await client.poll(REQ_ID) == Done(1)
    assert (
        str(server.requests[0].url)
        == f"http://127.0.0.1:8765/1/counts/profiles.json?req_id={REQ_ID}"
    )


@pytest.mark.parametrize("base_url", ["http://10.0.0.1:8080", "http://api.clevertap.com"])
def test_plain_http_to_another_machine_is_refused_at_construction(base_url: str) -> None:
    server = Server(replying(200, {}))
    with pytest.raises(UsageError) as excinfo:
        make_client(server, base_url)
    assert "passcode" in str(excinfo.value)
    assert PASSCODE not in str(excinfo.value)


async def test_invalid_query_raises_and_sends_nothing() -> None:
    server = Server(replying(200, {"status": "success", "count": 1}))
    async with make_client(server) as client:
        with pytest.raises(QueryError):
            await client.submit(Query(" Charged", QUERY.date_range))
    assert server.requests == []


def test_credentials_repr_hides_the_passcode() -> None:
    assert PASSCODE not in repr(Credentials(ACCOUNT, PASSCODE))


# --- outcomes -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", BOTH)
@pytest.mark.parametrize("count", [0, 7138, 2**40, 2**53 - 1])
async def test_success_is_done(kind: Kind, count: int) -> None:
    assert await call(kind, replying(200, {"status": "success", "count": count})) == Done(count)


@pytest.mark.parametrize("kind", BOTH)
@pytest.mark.parametrize("req_id", [384649162721759, "384649162721759"])
async def test_partial_is_pending_with_req_id_as_text(kind: Kind, req_id: int | str) -> None:
    outcome = await call(kind, replying(200, {"status": "partial", "req_id": req_id}))
    assert outcome == Pending("384649162721759")


async def test_poll_still_in_progress_is_pending_with_the_same_req_id() -> None:
    answer = replying(200, fail("Query still in progress", 2))
    assert await call("poll", answer) == Pending(REQ_ID)


async def test_poll_partial_without_req_id_keeps_the_polled_one() -> None:
    assert await call("poll", replying(200, {"status": "partial"})) == Pending(REQ_ID)


@pytest.mark.parametrize("status", [200, 400])
async def test_poll_of_a_forgotten_req_id_is_unknown_request(status: int) -> None:
    error = await failure("poll", replying(status, fail("Invalid req_id", 400)))
    assert type(error) is UnknownRequestError
    assert not error.retryable


INVALID_EVENT = fail('["Invalid event : Uninstalled"]', 400)
HTML_500 = b"<html><body><h1>500 Internal Server Error</h1></body></html>"
HTML_503 = b"<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>"
ERROR_ANSWERS: list[tuple[str, int, object, type[ApiError]]] = [
    ("200-fail-invalid-event", 200, INVALID_EVENT, BadRequestError),
    ("400-message", 400, fail("Invalid date range", 400), BadRequestError),
    ("401-json", 401, fail("Invalid Credentials", 401), AuthError),
    ("401-empty", 401, b"", AuthError),
    ("401-text", 401, b"Unauthorized", AuthError),
    ("403-json", 403, fail("Forbidden"), AuthError),
    ("403-empty", 403, b"", AuthError),
    ("429-json", 429, fail("Too many concurrent requests", 429), RateLimitedError),
    ("429-empty", 429, b"", RateLimitedError),
    ("200-code-429", 200, fail("Too many concurrent requests", 429), RateLimitedError),
    ("200-legacy-code-1", 200, fail("Throttled", 1), RateLimitedError),
    ("500-json", 500, fail("Oops", 500), ServerError),
    ("500-html", 500, HTML_500, ServerError),
    ("503-json", 503, fail("Try again later"), ServerError),
    ("503-html", 503, HTML_503, ServerError),
    ("502-empty", 502, b"", ServerError),
    ("empty", 200, b"", InvalidResponseError),
    ("blank", 200, b" \n ", InvalidResponseError),
    ("not-json", 200, b"<html>hello</html>", InvalidResponseError),
    ("not-utf8", 200, b"\xff\xfe\x00garbage", InvalidResponseError),
    ("json-array", 200, [{"status": "success", "count": 1}], InvalidResponseError),
    ("json-string", 200, "success", InvalidResponseError),
    ("no-count", 200, {"status": "success"}, InvalidResponseError),
    ("negative-count", 200, {"status": "success", "count": -1}, InvalidResponseError),
    ("bool-count", 200, {"status": "success", "count": True}, InvalidResponseError),
    ("count-2**53", 200, {"status": "success", "count": 2**53}, InvalidResponseError),
    ("count-2**63", 200, {"status": "success", "count": 2**63}, InvalidResponseError),
    ("count-10**30", 200, {"status": "success", "count": 10**30}, InvalidResponseError),
    ("count-NaN", 200, b'{"status": "success", "count": NaN}', InvalidResponseError),
    ("redirect-302", 302, b"", InvalidResponseError),
    ("redirect-with-success-body", 301, {"status": "success", "count": 1}, InvalidResponseError),
    ("text-count", 200, {"status": "success", "count": "12"}, InvalidResponseError),
    ("float-count", 200, {"status": "success", "count": 1.5}, InvalidResponseError),
    ("unknown-status", 200, {"status": "done", "count": 1}, InvalidResponseError),
    ("no-status", 200, {"count": 1}, InvalidResponseError),
    ("404-text", 404, b"Not Found", InvalidResponseError),
    ("deeply-nested-body", 200, b"[" * 100_000, InvalidResponseError),
    ("deeply-nested-error", 200, fail("[" * 100_000, 400), BadRequestError),
    ("deep-error-value", 200, fail(json.loads("[" * 900 + "]" * 900), 400), BadRequestError),
]


@pytest.mark.parametrize("kind", BOTH)
@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [row[1:] for row in ERROR_ANSWERS],
    ids=[row[0] for row in ERROR_ANSWERS],
)
async def test_error_answers(
    kind: Kind, status: int, body: object, expected: type[ApiError]
) -> None:
    error = await failure(kind, replying(status, body))
    assert type(error) is expected
    assert error.http_status == status
    assert error.retryable is (expected in (RateLimitedError, ServerError))
    assert error.message == str(error)


@pytest.mark.parametrize("kind", BOTH)
async def test_serialised_error_array_is_unwrapped(kind: Kind) -> None:
    error = await failure(kind, replying(200, INVALID_EVENT))
    assert "Invalid event : Uninstalled" in str(error)
    assert not any(mark in str(error) for mark in '[]"\\')


@pytest.mark.parametrize("kind", BOTH)
async def test_bad_request_carries_the_servers_message(kind: Kind) -> None:
    answer = replying(400, fail("Invalid date range", 400))
    error = await failure(kind, answer)
    assert type(error) is BadRequestError
    assert "Invalid date range" in str(error)
    assert error.http_status == 400


@pytest.mark.parametrize("body", [fail("Invalid Credentials", 401), b""], ids=["json", "empty"])
async def test_401_points_at_passcode_and_region(body: object) -> None:
    error = await failure("submit", replying(401, body))
    assert type(error) is AuthError
    assert "passcode" in str(error).lower()
    assert "region" in str(error).lower()


@pytest.mark.parametrize("kind", BOTH)
async def test_invalid_credentials_in_an_http_200_body_is_auth_error(kind: Kind) -> None:
    error = await failure(kind, replying(200, fail("Invalid Credentials")))
    assert type(error) is AuthError
    assert "Invalid Credentials" in str(error)


async def test_partial_without_req_id_on_submit_is_invalid() -> None:
    error = await failure("submit", replying(200, {"status": "partial"}))
    assert type(error) is InvalidResponseError


@pytest.mark.parametrize("req_id", [None, -5, True, "abc", ""], ids=repr)
async def test_partial_with_a_bad_req_id_on_submit_is_invalid(req_id: object) -> None:
    error = await failure("submit", replying(200, {"status": "partial", "req_id": req_id}))
    assert type(error) is InvalidResponseError


@pytest.mark.parametrize("kind", BOTH)
async def test_control_characters_are_removed_from_server_text(kind: Kind) -> None:
    text = "bad\x1b[2J\x1b]0;pwned\x07 event\r\nsecond line\x00\x7f\x9b end"
    error = await failure(kind, replying(400, fail(text)))
    assert "bad" in str(error)
    assert "end" in str(error)
    assert not [char for char in str(error) if unicodedata.category(char) == "Cc"]


@pytest.mark.parametrize("kind", BOTH)
async def test_long_server_text_is_truncated(kind: Kind) -> None:
    error = await failure(kind, replying(400, fail("x" * 10_000)))
    assert "x" * 100 in str(error)
    assert len(str(error)) < 500


@pytest.mark.parametrize("kind", BOTH)
@pytest.mark.parametrize(
    ("exception", "text"),
    [
        (httpx.ConnectError, "[Errno 111] Connection refused"),
        (httpx.ReadTimeout, "timed out"),
        (httpx.ConnectTimeout, "timed out"),
        (httpx.RemoteProtocolError, "Server disconnected without sending a response."),
    ],
)
async def test_network_failures_are_retryable_network_errors(
    kind: Kind, exception: type[httpx.TransportError], text: str
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        raise exception(text, request=request)

    error = await failure(kind, answer)
    assert type(error) is NetworkError
    assert error.retryable
    assert error.http_status is None
    assert "in1.api.clevertap.com" in str(error)


def _closed_port(family: socket.AddressFamily, host: str, port: int = 0) -> socket.socket:
    """A socket bound on `host` that never listens: a connection to its port is refused, and
    no other process can take the port while it is held."""
    bound = socket.socket(family)
    bound.bind((host, port))
    return bound


@pytest.mark.parametrize("kind", BOTH)
@pytest.mark.parametrize(
    ("family", "bind", "shown"),
    [
        (socket.AF_INET, "127.0.0.1", "127.0.0.1"),
        (socket.AF_INET, "127.0.0.1", "localhost"),
        (socket.AF_INET6, "::1", "[::1]"),
    ],
)
async def test_a_refused_connection_to_loopback_names_the_server_and_not_the_region(
    kind: Kind, family: socket.AddressFamily, bind: str, shown: str
) -> None:
    with _closed_port(family, bind) as bound:
        port = bound.getsockname()[1]
        base_url = f"http://{shown}:{port}"
        with contextlib.ExitStack() as held:
            if shown == "localhost":
                # localhost may resolve to ::1 as well: nothing may listen there either.
                with contextlib.suppress(OSError):
                    held.enter_context(_closed_port(socket.AF_INET6, "::1", port))
            async with CleverTapClient(Credentials(ACCOUNT, PASSCODE), base_url) as client:
                with pytest.raises(NetworkError) as excinfo:
                    await (client.submit(QUERY) if kind == "submit" else client.poll(REQ_ID))
    message = str(excinfo.value)
    assert message == (
        f"the server at {base_url} refused the connection: nothing listens there; start it "
        "(for the emulator, 'cttui emulator') or check CTTUI_BASE_URL"
    )
    assert excinfo.value.retryable
    assert PASSCODE not in message


@pytest.mark.parametrize(
    ("base_url", "advice"),
    [
        ("https://in1.api.clevertap.com", "check the network and the region"),
        ("https://counts.example.com:8443", "check the network and CTTUI_BASE_URL"),
        # Not a refusal (no ConnectionRefusedError behind it): the server, not the region.
        ("http://127.0.0.1:8787", "start it (for the emulator, 'cttui emulator') or check "
         "CTTUI_BASE_URL"),
    ],
)  # fmt: skip
async def test_a_failed_connection_blames_the_region_only_on_a_clevertap_host(
    base_url: str, advice: str
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Name or service not known", request=request)

    async with make_client(answer, base_url) as client:
        with pytest.raises(NetworkError) as excinfo:
            await client.submit(QUERY)
    message = str(excinfo.value)
    assert message.startswith("cannot connect to ")
    assert "(Name or service not known)" in message
    assert message.endswith(advice)
    assert ("region" in message) is base_url.endswith(".clevertap.com")


@pytest.mark.parametrize("kind", BOTH)
async def test_a_header_http_refuses_fails_at_once_without_quoting_it(kind: Kind) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        raise httpx.LocalProtocolError(f"Illegal header value b'{PASSCODE} '", request=request)

    error = await failure(kind, answer)
    assert isinstance(error, AuthError)
    assert not error.retryable
    assert "passcode" in str(error)
    assert "Illegal" not in str(error)


# --- property: whatever the server says, the outcome is an Outcome or an ApiError ---------------

JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
# Text as a hostile server writes it: bidi controls, zero-width marks, separators, surrogates.
NASTY_TEXT = st.text(
    st.characters(categories=["Cc", "Cf", "Cs", "Co", "Zl", "Zp", "Lu", "Nd"]), max_size=20
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
SHAPED = st.fixed_dictionaries(
    {"status": st.sampled_from(["success", "partial", "fail"]) | st.text(max_size=10)},
    optional={
        "count": st.integers(min_value=0) | JSON_VALUES,
        "req_id": st.integers() | st.from_regex(r"\A[0-9]{1,18}\Z") | JSON_VALUES,
        "error": st.sampled_from(["Invalid req_id", "Invalid Credentials"])
        | st.lists(st.text(max_size=20)).map(json.dumps)
        | NASTY_TEXT
        | JSON_VALUES,
        "code": st.sampled_from([1, 2, 400, 401, 403, 429, 500, 503]) | JSON_VALUES,
    },
)
BODIES = st.one_of(
    st.binary(max_size=64),
    JSON_VALUES.map(lambda value: json.dumps(value).encode()),
    SHAPED.map(lambda value: json.dumps(value).encode()),
)


HIDDEN = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(BOTH),
    status=st.sampled_from([200, 400, 401, 403, 429, 500, 503]) | st.integers(200, 599),
    body=BODIES,
)
async def test_any_answer_is_an_outcome_or_an_api_error(
    kind: Kind, status: int, body: bytes
) -> None:
    outcome: Outcome | ApiError
    try:
        outcome = await call(kind, lambda request: httpx.Response(status, content=body))
    except ApiError as error:
        outcome = error
    if isinstance(outcome, ApiError):
        assert PASSCODE not in str(outcome)
        assert not [char for char in str(outcome) if unicodedata.category(char) in HIDDEN]
    elif isinstance(outcome, Done):
        assert type(outcome.count) is int
        assert 0 <= outcome.count < 2**53
    else:
        assert isinstance(outcome, Pending)
        assert type(outcome.req_id) is str
        assert outcome.req_id


# --- hostile answers over real loopback sockets (tests/hostile_server.py) ----------------------


OK = Reply(200, b'{"status": "success", "count": 1}')


async def real_failure(
    replies: list[Reply], *, passcode: str = PASSCODE, tls: Path | None = None, deadline: float = 30
) -> tuple[ApiError, HostileServer]:
    """The error of one submit to a hostile server, within a bound well above `deadline`."""
    certificate = self_signed_certificate(tls) if tls else None
    with HostileServer(replies, certificate) as server:
        credentials = Credentials(ACCOUNT, passcode)
        async with CleverTapClient(credentials, server.base_url, timeout=deadline) as client:
            with pytest.raises(ApiError) as excinfo:
                await asyncio.wait_for(client.submit(QUERY), deadline + 60)
    error = excinfo.value
    assert not passcode or passcode not in str(error)
    return error, server


@pytest.mark.parametrize("mode", ["slow-headers", "trickle", "silent"])
async def test_every_request_has_one_deadline_for_all_of_it(mode: Mode) -> None:
    error, _ = await real_failure([Reply(mode=mode)], deadline=1)
    assert type(error) is NetworkError
    assert error.retryable
    assert "within 1 s" in str(error)


@pytest.mark.parametrize(
    "reply",
    [gzip_bomb(50 * 2**20), Reply(mode="endless"), Reply(200, b"{", content_length=10**12)],
    ids=["gzip-bomb", "endless", "content-length"],
)
async def test_an_answer_over_a_mebibyte_is_refused_at_once(reply: Reply) -> None:
    error, server = await real_failure([reply])
    assert type(error) is InvalidResponseError
    assert not error.retryable
    assert "1 MiB" in str(error)
    assert len(server.received) == 1


async def test_a_body_that_is_not_the_gzip_it_says_is_invalid_and_not_retried() -> None:
    error, _ = await real_failure([Reply(200, b"nope", (("Content-Encoding", "gzip"),))])
    assert type(error) is InvalidResponseError
    assert not error.retryable
    assert "gzip" in str(error)


async def test_a_gzip_answer_is_read() -> None:
    with HostileServer([gzip_bomb(1000)]) as server:
        async with CleverTapClient(Credentials(ACCOUNT, PASSCODE), server.base_url) as client:
            assert await client.submit(QUERY) == Done(1)
    assert b"accept-encoding: gzip\r\n" in server.received[0].raw.lower()


async def test_an_untrusted_certificate_fails_at_once_and_names_the_cause(tmp_path: Path) -> None:
    error, server = await real_failure([OK], tls=tmp_path)
    assert not error.retryable
    assert "certificate" in str(error)
    assert "not trusted" in str(error)
    assert server.received == []


@pytest.mark.parametrize(
    "passcode",
    [
        "trailing-Space ",
        "trailing-Newline\n",
        "\tleading-Tab",
        "p\u00e4ss-Umlaut",
        "ctl\x01-Char",
        "",
    ],
    ids=["trailing-space", "trailing-newline", "leading-tab", "non-ascii", "control", "empty"],
)
async def test_a_passcode_http_cannot_carry_fails_at_once_without_showing_it(
    passcode: str,
) -> None:
    error, server = await real_failure([OK], passcode=passcode)
    assert isinstance(error, AuthError)
    assert not error.retryable
    assert "passcode" in str(error)
    assert str(error).isascii()
    assert "position" not in str(error)
    assert not [part for part in ("Qz7", "Kp9", "\u00e4", "\x01") if part in str(error)]
    assert server.received == []


async def test_plain_http_to_loopback_ignores_proxy_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reply = Reply(200, b'{"status":"success","count":5}')
    with HostileServer([reply]) as proxy, HostileServer([reply]) as server:
        for variable in ("HTTP_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
            monkeypatch.setenv(variable, proxy.base_url)
        async with CleverTapClient(Credentials(ACCOUNT, PASSCODE), server.base_url) as client:
            assert await client.submit(QUERY) == Done(5)
    assert proxy.connections == 0
    assert len(server.received) == 1


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_a_redirect_is_never_followed_and_says_where_to(status: int) -> None:
    with HostileServer([Reply(200, b'{"status":"success","count":5}')]) as other:
        location = f"{other.base_url}/1/counts/profiles.json?passcode={PASSCODE}"
        error, _ = await real_failure([Reply(status, b"", (("Location", location),))])
    assert other.connections == 0
    assert type(error) is InvalidResponseError
    assert not error.retryable
    assert f"redirected to {other.base_url}/" in str(error)
    assert f"set CTTUI_BASE_URL to {other.base_url} " in str(error)


# --- what the server wrote, as shown ------------------------------------------------------------

# A passcode HTTP can carry, with the marks that URL, HTML and JSON encode and an inner space.
ODD = 'odd/Pa+ss=7f"a&9c <x>'
ECHOES = {
    "plain": ODD,
    "lower-case": ODD.lower(),
    "upper-case": ODD.upper(),
    "percent-encoded": "".join(f"%{byte:02X}" for byte in ODD.encode()),
    "url-encoded": quote(ODD, safe=""),
    "url-encoded-path": quote(ODD),
    "plus-encoded": quote_plus(ODD),
    "html-escaped": html.escape(ODD),
    "json-escaped": json.dumps(ODD)[1:-1],
    "split-by-zero-width": "\u200b".join(ODD),
    "split-by-a-line-break": ODD[:5] + "\r\n" + ODD[5:],
    "space-removed": ODD.replace(" ", ""),
    "after-invisible-padding": "\u200b" * 20_000 + ODD,
}


# A poll keeps the req_id it asked about when the answer has none that is valid.
ASKED = ("error", "error-array", "error-nested", "error-object", "count", "status")
FIELDS = [(kind, field) for kind in BOTH for field in ASKED]


@pytest.mark.parametrize("echo", ECHOES.values(), ids=ECHOES.keys())
@pytest.mark.parametrize(("kind", "field"), [*FIELDS, ("submit", "req_id")])
async def test_a_passcode_the_server_echoes_is_hidden(kind: Kind, field: str, echo: str) -> None:
    body = {
        "error": fail(f"header passcode={echo} refused", 400),
        "error-array": fail(json.dumps(["first", f"got {echo}"]), 400),
        "error-nested": fail(json.dumps([["first", {"header": echo}]]), 400),
        "error-object": fail({"header": [echo]}, 400),
        "count": {"status": "success", "count": echo},
        "status": {"status": echo},
        "req_id": {"status": "partial", "req_id": echo},
    }[field]
    transport = httpx.MockTransport(replying(400 if field.startswith("error") else 200, body))
    async with CleverTapClient(Credentials(ACCOUNT, ODD), BASE_URL, transport=transport) as client:
        with pytest.raises(ApiError) as excinfo:
            await (client.submit(QUERY) if kind == "submit" else client.poll(REQ_ID))
    shown = str(excinfo.value).lower()
    assert "***" in shown
    for form in (ODD, ODD.replace(" ", ""), quote(ODD, safe=""), "pa+ss", "pa%2bss"):
        assert form.lower() not in shown


INVISIBLE = [
    "\u202e",
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
    "\u200e",
    "\u200f",
    "\u061c",
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\u00ad",
    "\U000e0001",
    "\U000e0041",
    "\ud800",
    "\ue000",
    "\u2028",
    "\u2029",
    "\x85",
]


@pytest.mark.parametrize("kind", BOTH)
@pytest.mark.parametrize("char", INVISIBLE, ids=[f"U+{ord(char):04X}" for char in INVISIBLE])
async def test_bidi_and_invisible_characters_never_reach_the_terminal(
    kind: Kind, char: str
) -> None:
    body = json.dumps({"status": "fail", "error": f"bad{char}event{char}", "code": 400})
    error = await failure(kind, replying(400, body.encode()))
    assert "bad" in str(error)
    assert char not in str(error)
    assert not [
        mark for mark in str(error) if unicodedata.category(mark)[0] in "CZ" and mark != " "
    ]


async def test_ssl_cert_file_trusts_the_certificate_the_error_asked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    certificate = self_signed_certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    with HostileServer([OK], certificate) as server:
        async with CleverTapClient(Credentials(ACCOUNT, PASSCODE), server.base_url) as client:
            assert await client.submit(QUERY) == Done(1)


@pytest.mark.parametrize(
    "proxy", ["socks5://127.0.0.1:1080", "ftp://user:secret@proxy:21", "http://proxy::bad"]
)
def test_a_proxy_that_cannot_be_used_is_a_usage_error_that_hides_its_url(
    proxy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", proxy)
    with pytest.raises(UsageError) as excinfo:
        CleverTapClient(Credentials(ACCOUNT, PASSCODE), BASE_URL)
    assert "HTTPS_PROXY" in str(excinfo.value)
    assert proxy not in str(excinfo.value)
    assert "secret" not in str(excinfo.value)


class TrustSpy:
    """Every CA bundle a TLS context loads, and every look-up of certifi's."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.loaded: list[ssl.SSLContext] = []
        self.certifi_asked = 0
        load, where = ssl.SSLContext.load_verify_locations, certifi.where

        def spy_load(context: ssl.SSLContext, *args: object, **kwargs: object) -> None:
            self.loaded.append(context)
            load(context, *args, **kwargs)  # type: ignore[arg-type]

        def spy_where() -> str:
            self.certifi_asked += 1
            return where()

        monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", spy_load)
        monkeypatch.setattr(certifi, "where", spy_where)


@pytest.mark.parametrize("bundle", ["certifi", "SSL_CERT_FILE"])
def test_a_client_for_plain_http_loads_no_ca_bundle(
    bundle: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    if bundle == "certifi":
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    else:
        monkeypatch.setenv("SSL_CERT_FILE", certifi.where())
    spy = TrustSpy(monkeypatch)
    CleverTapClient(Credentials(ACCOUNT, PASSCODE), "http://127.0.0.1:8080")
    assert spy.loaded == []
    assert spy.certifi_asked == 0


def test_the_tls_context_of_plain_http_trusts_no_ca_rather_than_verify_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    context = _tls_for("http://127.0.0.1:8080")
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname
    assert context.cert_store_stats()["x509_ca"] == 0
    # Not even the certificate that SSL_CERT_FILE names, which an https client would trust.
    certificate = self_signed_certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    with (
        HostileServer([OK], certificate) as server,
        socket.create_connection(("127.0.0.1", server.port), timeout=30) as raw,
        pytest.raises(ssl.SSLCertVerificationError),
    ):
        context.wrap_socket(raw, server_hostname="127.0.0.1")


def test_a_client_for_https_verifies_with_the_ca_bundle(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    spy = TrustSpy(monkeypatch)
    CleverTapClient(Credentials(ACCOUNT, PASSCODE), BASE_URL)
    assert spy.certifi_asked == 1
    [context] = spy.loaded
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname
    assert context.cert_store_stats()["x509_ca"] > 0


class _Searches:
    """A finder that only notes which modules the import system went looking for."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def find_spec(self, name: str, *_: object) -> None:
        self.names.append(name)


async def test_a_request_makes_the_import_system_search_for_nothing() -> None:
    # httpcore tries `import sniffio` for every connection it sets up: where sniffio is not
    # installed, each try walked sys.path again (0.2 ms, 13% of the app's time with 500 jobs
    # polling). A failed import is not remembered unless someone remembers it.
    searches = _Searches()
    with HostileServer([OK]) as server:
        async with CleverTapClient(Credentials(ACCOUNT, PASSCODE), server.base_url) as client:
            await client.submit(QUERY)
            sys.meta_path.insert(0, searches)
            try:
                for _ in range(5):
                    await client.submit(QUERY)
            finally:
                sys.meta_path.remove(searches)
    assert len(server.received) == 6
    assert searches.names == []
