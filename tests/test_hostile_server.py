"""The installed `cttui count` against a hostile server (tests/hostile_server.py): whatever the
server sends, cttui ends within a bound, with the right exit code and one line on stderr, and
never shows or stores the passcode.

Every scenario runs its own server and its own cttui, with its own HOME. They run concurrently
(`outcomes` starts every selected one at once), so the module's wall time is about that of the
slowest scenario: those that meet the 30 s deadline of one request (about 35 s), not their sum.

`bound` is each scenario's subprocess timeout: the documented time it may take. Most answer at
once (30 s allows a loaded machine). Retries back off 1-2 s, then 2-4 s, ...: scenarios that
fail for ever use --timeout 4 rather than wait out the minute of retries; those that fail a few
times and then answer take one or two backoffs. A request that is still unanswered after 30 s
is cut (retryable): 90 s allows one such request, its backoff and the answer after it.
"""

from __future__ import annotations

import html
import json
import sqlite3
import subprocess
import unicodedata
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from tests.conftest import Run, run_cttui
from tests.home import home_variables
from tests.hostile_server import (
    HostileServer,
    Reply,
    gzip_bomb,
    json_reply,
    self_signed_certificate,
)

PASSCODE = "hostile/Pa+ss=7f3a&9c"
ACCOUNT = "TEST-HOSTILE-1"
REQ_ID = "384649162721759"
COUNT = ("count", "App Launched", "--from", "2024-01-01", "--to", "2024-01-31")
# A Location header naming the other server, filled in when the scenario runs.
OTHER = "{OTHER}"

HTML = (("Content-Type", "text/html"),)


def ok(count: object) -> Reply:
    return json_reply(json.dumps({"status": "success", "count": count}))


def raw_ok(count_text: str) -> Reply:
    return json_reply('{"status": "success", "count": ' + count_text + "}")


def partial(req_id: object = int(REQ_ID)) -> Reply:
    return json_reply(json.dumps({"status": "partial", "req_id": req_id}))


def fail(error: object, status: int = 400, code: int | None = None) -> Reply:
    body: dict[str, object] = {"status": "fail", "error": error}
    if code is not None:
        body["code"] = code
    return json_reply(json.dumps(body), status)


def page(status: int, text: str) -> Reply:
    return Reply(status, f"<html><body><h1>{text}</h1></body></html>".encode(), HTML)


def redirect(status: int, location: str) -> Reply:
    return Reply(status, b"", (("Location", location),))


def nested_object(depth: int) -> bytes:
    return b'{"a": ' * depth + b"1" + b"}" * depth


@dataclass(frozen=True)
class Scenario:
    id: str
    replies: tuple[Reply, ...]
    # The exit codes allowed (bad passcodes: 1 from the client, or 2 if the store refuses first).
    codes: tuple[int, ...]
    says: str = ""  # a part of the one stderr line, or of stdout when the code is 0 or 3
    args: tuple[str, ...] = ()
    bound: float = 30.0
    passcode: str = PASSCODE
    tls: bool = False


def scenario(
    id: str,
    replies: Reply | tuple[Reply, ...],
    code: int | tuple[int, ...],
    says: str = "",
    **kw: object,
) -> Scenario:
    replies = replies if isinstance(replies, tuple) else (replies,)
    codes = code if isinstance(code, tuple) else (code,)
    return Scenario(id, replies, codes, says, **kw)  # type: ignore[arg-type]


FOREVER = ("--timeout", "4")
NO_WAIT = ("--no-wait",)
SLOW = 90.0
ECHO = f"header X-CleverTap-Passcode: {PASSCODE} is not valid here"

SCENARIOS = [
    # counts
    scenario("count", ok(7138), 0, "7138"),
    scenario("count-zero", ok(0), 0, "0"),
    scenario("count-largest-plausible", ok(2**53 - 1), 0, str(2**53 - 1)),
    scenario("count-2**53", ok(2**53), 1, "count"),
    scenario("count-2**63", ok(2**63), 1, "count"),
    scenario("count-2**64", ok(2**64), 1, "count"),
    scenario("count-10**30", ok(10**30), 1, "count"),
    scenario("count-5000-digits", raw_ok("9" * 5000), 1, "JSON"),
    scenario("count-negative", ok(-1), 1, "count"),
    scenario("count-float", ok(1.5), 1, "count"),
    scenario("count-float-integral", ok(12.0), 1, "count"),
    scenario("count-NaN", raw_ok("NaN"), 1, "count"),
    scenario("count-Infinity", raw_ok("Infinity"), 1, "count"),
    scenario("count-string", ok("12"), 1, "count"),
    scenario("count-bool", ok(True), 1, "count"),
    scenario("count-null", ok(None), 1, "count"),
    scenario("count-object", ok({"value": 1}), 1, "count"),
    scenario("count-missing", json_reply('{"status": "success"}'), 1, "count"),
    scenario("count-long-string", ok("x" * 10_000), 1, "count"),
    scenario("count-echoes-passcode", ok(PASSCODE), 1, "count"),
    # req_id
    scenario("req_id-number", partial(), 3, REQ_ID, args=NO_WAIT),
    scenario("req_id-string", partial(REQ_ID), 3, REQ_ID, args=NO_WAIT),
    scenario("req_id-float", partial(1.5), 1, "req_id"),
    scenario("req_id-negative", partial(-5), 1, "req_id"),
    scenario("req_id-huge", partial(10**40), 1, "req_id"),
    scenario("req_id-huge-string", partial("9" * 5000), 1, "req_id"),
    scenario("req_id-empty", partial(""), 1, "req_id"),
    scenario("req_id-null", partial(None), 1, "req_id"),
    scenario("req_id-bool", partial(True), 1, "req_id"),
    scenario("req_id-arabic-digits", partial("١٢٣"), 1, "req_id"),
    scenario("req_id-line-break", partial("12\n34"), 1, "req_id"),
    scenario("req_id-echoes-passcode", partial(PASSCODE), 1, "req_id"),
    # polling
    scenario("partial-then-count", (partial(), ok(42)), 0, "42"),
    scenario("partial-then-garbage", (partial(), Reply(200, b"\x00garbage{")), 1, "JSON"),
    scenario("partial-then-html", (partial(), page(200, "Welcome")), 1, "JSON"),
    scenario("partial-then-empty", (partial(), Reply(200)), 1, "empty"),
    scenario("partial-then-5xx-then-count", (partial(), page(502, "Bad"), ok(5)), 0, "5"),
    scenario("partial-forever", partial(), 3, REQ_ID, args=("--timeout", "3")),
    scenario("partial-then-5xx-forever", (partial(), page(503, "Down")), 3, REQ_ID, args=FOREVER),
    scenario("partial-then-forgotten", (partial(), fail("Invalid req_id")), 1, "req_id"),
    # bodies
    scenario("empty", Reply(200), 1, "empty"),
    scenario("blank", Reply(200, b" \r\n "), 1, "empty"),
    scenario("not-json", Reply(200, b"count: 12"), 1, "JSON"),
    scenario("not-utf8", Reply(200, b"\xff\xfe\x00garbage"), 1, "JSON"),
    scenario("html-200", page(200, "Welcome to nginx"), 1, "JSON"),
    scenario("html-404", page(404, "Not Found"), 1, "JSON"),
    scenario("html-500-then-count", (page(500, "Oops"), ok(9)), 0, "9"),
    scenario("json-array", json_reply('[{"status": "success", "count": 1}]'), 1, "JSON"),
    scenario("json-string", json_reply('"success"'), 1, "JSON"),
    scenario("json-number", json_reply("12"), 1, "JSON"),
    scenario("deeply-nested-array", Reply(200, b"[" * 100_000), 1, "JSON"),
    scenario("deeply-nested-object", Reply(200, nested_object(100_000)), 1, "JSON"),
    scenario("unknown-status", json_reply('{"status": "done", "count": 1}'), 1, "status"),
    scenario("status-echoes-passcode", json_reply(json.dumps({"status": PASSCODE})), 1, "status"),
    scenario("no-status", json_reply('{"count": 1}'), 1, "status"),
    scenario("401", fail("Invalid Credentials", 401), 1, "passcode"),
    scenario("401-empty", Reply(401), 1, "passcode"),
    scenario("403", page(403, "Forbidden"), 1, "permissions"),
    # server text that echoes the passcode
    scenario("echo-in-json-error", fail(ECHO), 1, "not valid here"),
    scenario("echo-percent-encoded", fail(f"bad passcode {quote(PASSCODE, safe='')}"), 1, "bad"),
    scenario("echo-plus-encoded", fail(f"bad passcode {quote_plus(PASSCODE)}"), 1, "bad"),
    scenario("echo-lower-case", fail(f"bad passcode {PASSCODE.lower()}"), 1, "bad"),
    scenario("echo-html-escaped", fail(f"bad passcode {html.escape(PASSCODE)}"), 1, "bad"),
    scenario("echo-in-error-array", fail(json.dumps([ECHO, "second"])), 1, "second"),
    scenario("echo-split-by-zero-width", fail("pc " + "\u200b".join(PASSCODE)), 1, "pc"),
    scenario("echo-in-html-page", page(400, ECHO), 1, "400"),
    scenario("echo-in-text-500-then-count", (Reply(500, ECHO.encode()), ok(3)), 0, "3"),
    scenario("echo-in-401", fail(f"Invalid Credentials {PASSCODE}", 401), 1, "passcode"),
    scenario("echo-in-429-forever", fail(ECHO, 429, 429), 1, "throttling", args=FOREVER),
    scenario("echo-in-5xx-forever", fail(ECHO, 500, 500), 1, "failed", args=FOREVER),
    # characters a terminal must not get
    scenario("bidi-override", fail("event \u202edetaerc\u202c unknown"), 1, "unknown"),
    scenario("bidi-isolates", fail("a\u2066b\u2067c\u2068d\u2069e\u200ef\u200fg\u061ch"), 1, "a"),
    scenario("invisible-format", fail("zero\u200bwidth\ufeff\u00ad\u2060\U000e0041 end"), 1, "end"),
    scenario("terminal-escapes", fail("bad\x1b[2J\x1b]0;pwned\x07\r\nline\x9b end"), 1, "end"),
    scenario("lone-surrogate", json_reply('{"status": "fail", "error": "x\\ud800y"}', 400), 1, "x"),
    scenario("line-separators", fail("one\u2028two\u2029three\x85four"), 1, "four"),
    scenario("long-error", fail("x" * 100_000), 1, "xxxx"),
    scenario("bidi-in-count", ok("\u202e12"), 1, "count"),
    # the bytes of an answer
    scenario("slow-headers-then-count", (Reply(mode="slow-headers"), ok(11)), 0, "11", bound=SLOW),
    scenario("trickled-body-then-count", (Reply(mode="trickle"), ok(12)), 0, "12", bound=SLOW),
    scenario("silent-then-count", (Reply(mode="silent"), ok(13)), 0, "13", bound=SLOW),
    scenario("endless-body", Reply(mode="endless"), 1, "MiB"),
    scenario("gzip-bomb", gzip_bomb(100 * 2**20), 1, "MiB"),
    scenario("gzip-small", gzip_bomb(10), 0, "1"),
    scenario(
        "gzip-garbage", Reply(200, b"not gzip at all", (("Content-Encoding", "gzip"),)), 1, "gzip"
    ),
    scenario(
        "gzip-truncated", replace(gzip_bomb(10_000), body=gzip_bomb(10_000).body[:40]), 1, "gzip"
    ),
    scenario("encoding-unknown", Reply(200, b"{}", (("Content-Encoding", "snappy"),)), 1, "snappy"),
    scenario("content-length-huge", Reply(200, b"{", content_length=10**10), 1, "MiB"),
    scenario("content-length-short", replace(ok(1), content_length=10), 1, "JSON"),
    scenario("truncated-then-count", (replace(ok(5), mode="truncate"), ok(6)), 0, "6"),
    scenario("truncated-forever", replace(ok(5), mode="truncate"), 1, "try again", args=FOREVER),
    scenario("reset-then-count", (Reply(mode="reset"), ok(7)), 0, "7"),
    scenario("reset-forever", Reply(mode="reset"), 1, "try again", args=FOREVER),
    scenario("5xx-twice-then-count", (page(500, "a"), fail("b", 503), ok(8)), 0, "8"),
    scenario("429-then-count", (fail("slow down", 429, 429), ok(10)), 0, "10"),
    scenario("5xx-forever", page(503, "Down"), 1, "503", args=FOREVER),
    scenario("429-forever", Reply(429), 1, "429", args=FOREVER),
    # redirects are never followed, and the other server never hears of the request
    scenario("redirect-301-other-port", redirect(301, OTHER + "/1/counts/profiles.json"), 1, OTHER),
    scenario("redirect-307-other-port", redirect(307, OTHER), 1, "CTTUI_BASE_URL"),
    scenario(
        "redirect-302-other-host", redirect(302, "https://evil.example:8443/x"), 1, "evil.example"
    ),
    scenario("redirect-same-host", redirect(308, "/2/counts"), 1, "redirected"),
    scenario(
        "redirect-echoes-passcode", redirect(302, f"{OTHER}/?p={quote(PASSCODE)}"), 1, "redirected"
    ),
    scenario("redirect-without-location", Reply(302), 1, "302"),
    # TLS that cannot be trusted: refused at once, not retried
    scenario("tls-untrusted", ok(1), 1, "certificate", tls=True),
    # passcodes HTTP cannot carry: refused at once, without a character of them
    scenario("passcode-trailing-space", ok(1), 2, "passcode", passcode="sp4ce-Trail "),
    scenario("passcode-trailing-newline", ok(1), 2, "passcode", passcode="nl-Trail\n"),
    scenario("passcode-leading-tab", ok(1), 2, "passcode", passcode="\ttab-Lead"),
    scenario("passcode-non-ascii", ok(1), 2, "passcode", passcode="p\u00e4ss-Umlaut"),
    scenario("passcode-control-character", ok(1), 2, "passcode", passcode="ctl\x01-Inside"),
]


@dataclass(frozen=True)
class Outcome:
    run: Run | None  # None: cttui did not end within the bound
    home: Path
    other_connections: int
    other_url: str
    jobs: list[tuple[str, int | None, str | None]]  # (state, count, error) in the journal


def _journal(home: Path) -> list[tuple[str, int | None, str | None]]:
    path = home / ".local/state/cttui/journal.sqlite3"
    if not path.exists():
        return []
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return db.execute("SELECT state, count, error FROM jobs ORDER BY id").fetchall()


def _run(item: Scenario, folder: Path) -> Outcome:
    home = folder / "home"
    certificate = self_signed_certificate(folder) if item.tls else None
    with HostileServer([Reply()]) as other:
        replies = [
            replace(
                reply,
                headers=tuple(
                    (name, value.replace(OTHER, other.base_url)) for name, value in reply.headers
                ),
            )
            for reply in item.replies
        ]
        with HostileServer(replies, certificate) as server:
            env = {
                **home_variables(home),
                "CLEVERTAP_ACCOUNT_ID": ACCOUNT,
                "CLEVERTAP_PASSCODE": item.passcode,
                "CTTUI_BASE_URL": server.base_url,
                "CTTUI_POLL_INTERVAL": "0.05",
            }
            try:
                run: Run | None = run_cttui(*COUNT, *item.args, env=env, timeout=item.bound)
            except subprocess.TimeoutExpired:
                run = None
        # A cttui killed at its bound may leave a journal that only a writer can recover.
        jobs = _journal(home) if run is not None else []
        return Outcome(run, home, other.connections, other.base_url, jobs)


# Variables of the developer's machine that would send cttui elsewhere.
_OUTSIDE = (
    "CLEVERTAP_REGION",
    "DBUS_SESSION_BUS_ADDRESS",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
)


@pytest.fixture(scope="module")
def outcomes(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Outcome]]:
    """Every selected scenario's outcome, all run at once."""
    chosen = [
        test.callspec.params["item"]
        for test in request.session.items
        if isinstance(test, pytest.Function) and test.module is request.module
        if hasattr(test, "callspec") and "item" in test.callspec.params
    ]
    todo = [item for item in chosen if isinstance(item, Scenario)]
    # The slowest first, so that the rest run while they wait out their deadline.
    todo.sort(key=lambda item: -item.bound)
    with pytest.MonkeyPatch.context() as patch:
        for name in _OUTSIDE:
            patch.delenv(name, raising=False)
        patch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
        with ThreadPoolExecutor(max_workers=min(16, len(todo) or 1)) as pool:
            futures = {
                item.id: pool.submit(_run, item, tmp_path_factory.mktemp(item.id[:20]))
                for item in todo
            }
            yield {name: future.result() for name, future in futures.items()}


def _secrets(passcode: str) -> set[str]:
    """The passcode as a server could echo it: whole, trimmed, or encoded for a URL or HTML."""
    variants = {passcode, passcode.strip(), quote(passcode, safe=""), quote_plus(passcode)}
    variants |= {html.escape(passcode), quote(passcode.strip(), safe="")}
    return {variant.lower() for variant in variants if len(variant.strip()) >= 4}


_HIDDEN = {"Cc", "Cf", "Cs", "Co", "Zl", "Zp"}


@pytest.mark.parametrize("item", SCENARIOS, ids=[item.id for item in SCENARIOS])
def test_hostile_server(item: Scenario, outcomes: dict[str, Outcome]) -> None:
    outcome = outcomes[item.id]
    run = outcome.run
    assert run is not None, f"cttui did not end within {item.bound:g} s"
    lines = run.err.splitlines()
    assert "Traceback" not in run.err
    assert "unexpected error" not in run.err
    assert run.code in item.codes, run
    if run.code == 0:
        assert lines == []
    else:
        assert len(lines) == 1, run.err
        assert len(lines[0]) < 600
    said = run.out if run.code in (0, 3) else lines[0]
    assert item.says.replace(OTHER, outcome.other_url) in said, run
    assert not [char for char in run.err if unicodedata.category(char) in _HIDDEN - {"Cc"}]
    assert not [char for char in run.err.replace("\n", "") if unicodedata.category(char) == "Cc"]
    shown = (run.out + run.err).lower()
    for secret in _secrets(item.passcode):
        assert secret not in shown
    if not item.passcode.isascii():
        assert not [char for char in run.err if not char.isascii()]
    for path in outcome.home.rglob("*"):
        if path.is_file():
            stored = path.read_bytes().lower()
            for secret in _secrets(item.passcode):
                assert secret.encode() not in stored, path
    assert outcome.other_connections == 0
    # The job ends in the journal as cttui said: done with the count, or failed with the reason.
    if run.code == 0:
        assert outcome.jobs == [("done", int(run.out), None)]
    elif run.code == 3:
        assert [state for state, _, _ in outcome.jobs] == ["pending"]
    elif run.code == 1 and "--timeout" not in item.args:
        [(state, count, error)] = outcome.jobs
        assert (state, count) == ("failed", None)
        assert error
        assert error in lines[0]


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"])
def test_plain_http_never_goes_through_a_proxy(variable: str) -> None:
    """A proxy would read the passcode of a plain-http request: loopback is asked directly."""
    with HostileServer([ok(999)]) as proxy, HostileServer([ok(7)]) as server:
        env = {
            "CLEVERTAP_ACCOUNT_ID": ACCOUNT,
            "CLEVERTAP_PASSCODE": PASSCODE,
            "CTTUI_BASE_URL": server.base_url,
            variable: proxy.base_url,
        }
        run = run_cttui(*COUNT, env=env, timeout=60)
    assert proxy.connections == 0
    assert (run.code, run.out, run.err) == (0, "7\n", "")


def test_https_goes_through_a_proxy_as_a_tunnel_that_never_sees_the_passcode(
    tmp_path: Path,
) -> None:
    certificate = self_signed_certificate(tmp_path)
    with HostileServer([Reply(200)]) as proxy, HostileServer([ok(7)], certificate) as server:
        env = {
            "CLEVERTAP_ACCOUNT_ID": ACCOUNT,
            "CLEVERTAP_PASSCODE": PASSCODE,
            "CTTUI_BASE_URL": server.base_url,
            "HTTPS_PROXY": proxy.base_url,
        }
        run = run_cttui(*COUNT, *FOREVER, env=env, timeout=60)
    assert proxy.received
    for connect in proxy.received:
        assert (connect.method, connect.target) == ("CONNECT", f"127.0.0.1:{server.port}")
        assert PASSCODE.encode() not in connect.raw
    # This proxy closes the tunnel it opened, which looks like the network failing: retried.
    assert run.code == 1
    assert len(run.err.splitlines()) == 1
    assert server.connections == 0
