"""`cttui count`, `cttui poll` and `cttui emulator` as a user runs them, over loopback HTTP."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from cttui import __version__
from cttui.api.models import DateRange, Query
from cttui.cli import arguments
from cttui.cli.main import APP, _RangeChoices, main
from cttui.cli.parser import build_parser
from cttui.emulator import Emulator
from cttui.store.favorites import Favorite
from cttui.store.favorites_store import FavoritesStore
from cttui.store.paths import favorites_file
from tests.conftest import CTTUI, DEFAULTS, interrupt_when_said, run_cttui, wait_for

EXAMPLE = [
    "count",
    "choseNewFavoriteFood",
    "--where",
    "value",
    "contains",
    "piz",
    "--from",
    "2015-08-10",
    "--to",
    "2015-10-25",
]
EXAMPLE_BODY = (
    '{"event_name":"choseNewFavoriteFood","event_properties":[{"name":"value",'
    '"operator":"contains","value":"piz"}],"from":20150810,"to":20151025}'
)
TODAY = date.today()
RECENT = ["--from", (TODAY - timedelta(days=20)).isoformat(), "--to", TODAY.isoformat()]
HEAVY = ["--from", (TODAY - timedelta(days=120)).isoformat(), "--to", TODAY.isoformat()]


def as_int(day: str) -> int:
    return int(day.replace("-", ""))


def test_documented_example_sends_the_documented_request_polls_and_prints_the_count(
    emulator: Emulator, emulator_env: dict[str, str]
) -> None:
    result = run_cttui(*EXAMPLE, env=emulator_env)
    assert result.code == 0, result.err
    expected = emulator.count(
        "choseNewFavoriteFood",
        20150810,
        20151025,
        [{"name": "value", "operator": "contains", "value": "piz"}],
    )
    assert result.out == f"{expected}\n"
    log = emulator.requests
    post, *polls = log
    assert (post.method, post.path, post.body) == ("POST", "/1/counts/profiles.json", EXAMPLE_BODY)
    headers = {name.lower(): value for name, value in post.headers.items()}
    assert headers["x-clevertap-account-id"] == DEFAULTS.account_id
    assert headers["x-clevertap-passcode"] == "<redacted>"
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"].startswith(f"cttui/{__version__}")
    assert post.auth_ok
    assert post.response["status"] == "partial"  # type: ignore[index]
    req_id = str(post.response["req_id"])  # type: ignore[index]
    assert polls, "the partial answer was never polled"
    for poll in polls:
        assert (poll.method, poll.query) == ("GET", {"req_id": req_id})
        assert "content-type" not in {name.lower() for name in poll.headers}
    assert polls[-1].response == {"status": "success", "count": expected}


def test_count_with_filters_matches_the_emulators_own_count(
    emulator: Emulator, emulator_env: dict[str, str]
) -> None:
    result = run_cttui(
        "count", "Charged", "--where", "Amount", "greater_than", "100",
        "--where", "Coupon", "exists", *RECENT, "--json", env=emulator_env,
    )  # fmt: skip
    expected = emulator.count(
        "Charged",
        as_int(RECENT[1]),
        as_int(RECENT[3]),
        [
            {"name": "Amount", "operator": "greater_than", "value": 100},
            {"name": "Coupon", "operator": "exists"},
        ],
    )
    assert result.code == 0, result.err
    assert json.loads(result.out) == {"status": "success", "count": expected}
    assert expected > 0
    assert [request.method for request in emulator.requests] == ["POST"]


@pytest.mark.parametrize(
    ("typed", "sent"), [("1e2", "100"), ("+100", "100"), ("100.", "100"), (".5", "0.5")]
)
def test_a_number_written_another_way_is_sent_as_the_plain_number(
    emulator: Emulator, emulator_env: dict[str, str], typed: str, sent: str
) -> None:
    result = run_cttui(
        "count", "Charged", "--where", "Amount", "greater_than", typed, *RECENT, "--json",
        env=emulator_env,
    )  # fmt: skip
    assert result.code == 0, result.err
    (post,) = emulator.requests
    assert '{"name":"Amount","operator":"greater_than","value":' + sent + "}" in post.body
    expected = emulator.count(
        "Charged",
        as_int(RECENT[1]),
        as_int(RECENT[3]),
        [{"name": "Amount", "operator": "greater_than", "value": json.loads(sent)}],
    )
    assert json.loads(result.out) == {"status": "success", "count": expected}


@pytest.mark.parametrize(
    ("where", "sent"),
    [
        (["Name", "equals=--x"], '{"name":"Name","operator":"equals","value":"--x"}'),
        (["Name", "not_equals=-x"], '{"name":"Name","operator":"not_equals","value":"-x"}'),
        (["Name", "contains=-"], '{"name":"Name","operator":"contains","value":"-"}'),
        (["Name", "EQUALS=a=b"], '{"name":"Name","operator":"equals","value":"a=b"}'),
        (["Amount", "greater_than=-1e3"],
         '{"name":"Amount","operator":"greater_than","value":-1000}'),
        (["Amount", "less_than=-5"], '{"name":"Amount","operator":"less_than","value":-5}'),
        (["Amount", "greater_than", "-5"],
         '{"name":"Amount","operator":"greater_than","value":-5}'),
        (["Product Name", "equals=—ünï 😀"],
         '{"name":"Product Name","operator":"equals","value":"—ünï 😀"}'),
        # A dash alone is no option: argparse takes it as the value.
        (["Name", "equals", "-"], '{"name":"Name","operator":"equals","value":"-"}'),
        # Three words: an = in the value is the value's own.
        (["url", "contains", "a=--b"], '{"name":"url","operator":"contains","value":"a=--b"}'),
    ],
)  # fmt: skip
def test_a_where_value_that_starts_with_a_dash_is_joined_to_its_operator(
    emulator: Emulator, emulator_env: dict[str, str], where: list[str], sent: str
) -> None:
    result = run_cttui("count", "Charged", "--where", *where, *RECENT, env=emulator_env)
    assert result.code == 0, result.err
    (post,) = emulator.requests
    assert json.loads(post.body)["event_properties"] == [json.loads(sent)]


def test_no_wait_exits_3_with_the_req_id_and_poll_resumes_without_a_second_post(
    emulator: Emulator, emulator_env: dict[str, str]
) -> None:
    pending = run_cttui("count", "App Launched", *HEAVY, "--no-wait", env=emulator_env)
    assert pending.code == 3, pending.err
    req_id = pending.out.strip()
    assert req_id.isdigit()
    assert f"cttui poll {req_id}" in pending.err
    assert [request.method for request in emulator.requests] == ["POST"]

    done = run_cttui("poll", req_id, "--json", env=emulator_env)
    assert done.code == 0, done.err
    expected = emulator.count("App Launched", as_int(HEAVY[1]), as_int(HEAVY[3]))
    assert json.loads(done.out) == {"status": "success", "count": expected}
    assert [request.method for request in emulator.requests].count("POST") == 1


def test_no_wait_json_prints_the_pending_req_id_as_a_number(
    emulator_env: dict[str, str],
) -> None:
    result = run_cttui("count", "Charged", *HEAVY, "--no-wait", "--json", env=emulator_env)
    assert result.code == 3
    body = json.loads(result.out)
    assert body["status"] == "partial"
    assert isinstance(body["req_id"], int)


def test_timeout_while_pending_exits_3_with_the_req_id(emulator_env: dict[str, str]) -> None:
    result = run_cttui(
        "count", "Charged", *HEAVY, "--poll-interval", "30", "--timeout", "0.5",
        env=emulator_env,
    )  # fmt: skip
    assert result.code == 3
    assert result.out.strip().isdigit()
    assert "still pending" in result.err


def test_poll_asks_at_once_rather_than_after_an_interval(
    emulator: Emulator, emulator_env: dict[str, str]
) -> None:
    pending = run_cttui("count", "Product Viewed", *HEAVY, "--no-wait", env=emulator_env)
    req_id = pending.out.strip()

    def ready() -> bool:
        request = urllib.request.Request(
            f"{emulator.base_url}/1/counts/profiles.json?req_id={req_id}",
            headers={
                "X-CleverTap-Account-Id": DEFAULTS.account_id,
                "X-CleverTap-Passcode": DEFAULTS.passcode,
            },
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            return bool(json.load(answer)["status"] == "success")

    wait_for(ready, "the emulator to finish the count")
    emulator.reset_log()
    # With a 600 s interval, only a poll made at once can answer within the 30 s timeout.
    done = run_cttui("poll", req_id, "--poll-interval", "600", "--timeout", "30",
                     env=emulator_env)  # fmt: skip
    assert done.code == 0, done.err
    assert int(done.out) == emulator.count("Product Viewed", as_int(HEAVY[1]), as_int(HEAVY[3]))
    assert [request.method for request in emulator.requests] == ["GET"]


def test_wrong_passcode_exits_1_naming_passcode_and_region(
    emulator_env: dict[str, str],
) -> None:
    result = run_cttui(*EXAMPLE, env={**emulator_env, "CLEVERTAP_PASSCODE": "not-the-one-4242"})
    assert result.code == 1
    assert result.out == ""
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert "passcode" in lines[0]
    assert "region" in lines[0]
    assert "not-the-one-4242" not in result.err


def test_unknown_event_exits_1_with_clevertaps_message(emulator_env: dict[str, str]) -> None:
    result = run_cttui("count", "Uninstalled", *RECENT, env=emulator_env)
    assert result.code == 1
    assert result.err.strip() == "cttui: CleverTap refused the query: Invalid event : Uninstalled"


def test_unknown_req_id_exits_1_saying_to_send_again(emulator_env: dict[str, str]) -> None:
    result = run_cttui("poll", "123456789012345", env=emulator_env)
    assert result.code == 1
    assert "send the query again" in result.err


def test_nothing_listening_exits_1_with_a_network_error(emulator_env: dict[str, str]) -> None:
    import socket

    # Bound and never listening: the port is refused for as long as the test holds it.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        base_url = f"http://127.0.0.1:{probe.getsockname()[1]}"
        env = {**emulator_env, "CTTUI_BASE_URL": base_url}
        # Connection errors are retried with backoff; the timeout ends the wait with the last
        # error.
        result = run_cttui(*EXAMPLE, "--timeout", "4", "--json", env=env)
    assert result.code == 1
    assert json.loads(result.out)["status"] == "fail"
    assert (
        f"gave up before the server answered (last try: the server at {base_url} refused the "
        "connection: nothing listens there; start it (for the emulator, 'cttui emulator') or "
        "check CTTUI_BASE_URL)"
    ) in result.err
    assert "region" not in result.err
    assert result.err.count("\n") == 1
    assert "nothing is pending" in result.err
    assert "Traceback" not in result.err


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["count", "X", "--from", "2015-02-30", "--to", "2015-03-01"], {},
         "from date '2015-02-30' is not a real calendar date"),
        (["count", "X", "--from", "2015/02/01", "--to", "2015-03-01"], {},
         "must be YYYY-MM-DD or YYYYMMDD"),
        (["count", "X", "--from", "20150301", "--to", "20150201"], {},
         "from 2015-03-01 is after to 2015-02-01; swap them"),
        (["count", "", "--from", "20150101", "--to", "20150201"], {}, "event name is empty"),
        (["count", "X", "--where", "a", "containz", "b", "--from", "20150101", "--to",
          "20150201"], {}, "unknown operator 'containz'"),
        (["count", "X", "--where", "Amount", "less_than", "ten", "--from", "20150101", "--to",
          "20150201"], {}, "filter 1 (Amount less_than) needs a number, not 'ten'"),
        (["count", "X", "--where", "Amount", "less_than", "nan", "--from", "20150101", "--to",
          "20150201"], {}, "needs a number, not 'nan'; type a finite number, such as 42"),
        (["count", "X", "--where", "Amount", "less_than", "1_000", "--from", "20150101",
          "--to", "20150201"], {}, "not '1_000'; type it without the underscores, as 1000"),
        (["count", "X", "--where", "a", "contains", "--from", "20150101", "--to", "20150201"],
         {}, "filter 1 (a contains) needs a value: --where a contains VALUE, or contains=VALUE "
         "for a value that starts with '-'"),
        (["count", "X", "--where", "a", "equals", "--json", "--from", "20150101", "--to",
          "20150201"], {}, "filter 1 (a equals) needs a value: --where a equals VALUE, or "
         "equals=VALUE for a value that starts with '-'"),
        (["count", "X", "--where", "a", "equals", "--x", "--from", "20150101", "--to",
          "20150201"], {}, "--where a equals --x: a value that starts with '-' is read as an "
         "option; join it to its operator: --where a equals=--x"),
        (["count", "X", "--where", "Product Name", "greater_than", "-1e3", "--from", "20150101",
          "--to", "20150201"], {}, "join it to its operator: --where 'Product Name' "
         "greater_than=-1e3"),
        (["count", "X", "--from", "20150101", "--to", "20150201", "--x"], {},
         "unrecognized arguments: --x"),
        (["count", "X", "--where", "a", "equals=", "--from", "20150101", "--to", "20150201"],
         {}, "filter 1 (a equals) needs a value"),
        (["count", "X", "--where", "a", "exists=1", "--from", "20150101", "--to", "20150201"],
         {}, "filter 1 (a exists) takes no value"),
        (["count", "X", "--where", "a", "greater_than=", "--from", "20150101", "--to",
          "20150201"], {}, "needs a number, not ''"),
        (["count", "X", "--where", "a", "bigger=5", "--from", "20150101", "--to", "20150201"],
         {}, "unknown operator 'bigger=5'"),
        (["count", "X", "--where", "a", "exists", "b", "--from", "20150101", "--to", "20150201"],
         {}, "takes no value"),
        (["count", "X", "--where", "a", "b", "c", "d", "--from", "20150101", "--to", "20150201"],
         {}, "--where takes NAME OPERATOR [VALUE], got 4 words"),
        (["count", "X", "--where", "Amount", "--from", "20150101", "--to", "20150201"],
         {}, "--where takes NAME OPERATOR [VALUE], got 1 word (Amount); quote a name"),
        (["count", "X", "--where", "", "equals", "--from", "20150101", "--to", "20150201"],
         {}, "filter 1 (equals) needs a value"),
        (["count", "X", "--where", " ", "equals", "5", "--from", "20150101", "--to",
          "20150201"], {}, "filter 1 has no property name; type one"),
        (["count", "X", "--where", "", "greater_than", "lots", "--from", "20150101", "--to",
          "20150201"], {}, "filter 1 (greater_than) needs a number, not 'lots'"),
        (["count", "X", "--from", "20150101"], {}, "required: --to"),
        (["count", "X", "--from", "20150101", "--to", "20150101", "--timeout", "-1"], {},
         "must be a positive number of seconds"),
        (["frobnicate"], {}, "invalid choice: 'frobnicate'"),
        (["poll", "abc"], {}, "req_id 'abc' must be digits"),
        (["count", "X", "--from", "20150101", "--to", "20150101"],
         {"CLEVERTAP_ACCOUNT_ID": ""}, "no CLEVERTAP_ACCOUNT_ID and no saved profile"),
        (["count", "X", "--from", "20150101", "--to", "20150101"],
         {"CLEVERTAP_PASSCODE": ""}, "set CLEVERTAP_PASSCODE"),
        (["count", "X", "--from", "20150101", "--to", "20150101"],
         {"CLEVERTAP_REGION": "mars"}, "unknown region 'mars'; use one of: eu1, in1"),
        (["count", "X", "--from", "20150101", "--to", "20150101"],
         {"CTTUI_BASE_URL": "http://example.com"}, "would expose the passcode"),
        (["count", "X", "--from", "20150101", "--to", "20150101"],
         {"CTTUI_BASE_URL": "", "CTTUI_POLL_INTERVAL": "5"}, "below CleverTap's 30 s rule"),
        (["count", "X", "--from", "20150101", "--to", "20150101"],
         {"CTTUI_POLL_INTERVAL": "soon"}, "CTTUI_POLL_INTERVAL: 'soon' is not a number"),
        (["emulator", "--port", "70000"], {}, "70000 is outside 0..65535"),
        ([], {}, "the app needs a terminal; in scripts use a command"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_exit_2(
    args: list[str],
    env: dict[str, str],
    message: str,
    emulator_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in {**emulator_env, **env}.items():
        monkeypatch.setenv(name, value)
    assert main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("cttui: ")
    assert message in lines[0]


def test_bad_input_from_the_real_binary_has_no_traceback(emulator_env: dict[str, str]) -> None:
    result = run_cttui("count", "X", "--from", "2015-02-30", "--to", "x", env=emulator_env)
    assert result.code == 2
    assert result.err == "cttui: from date '2015-02-30' is not a real calendar date\n"


def test_version_and_help() -> None:
    version = run_cttui("--version")
    assert (version.code, version.out) == (0, f"cttui {__version__}\n")
    usage = run_cttui("count", "--help")
    assert usage.code == 0
    for word in ("--where", "--from", "--no-wait", "--timeout", "greater_than_equals"):
        assert word in usage.out
    assert "OPERATOR=VALUE" in " ".join(usage.out.split())


IMPORT_PROBE = """
import sys
from cttui.cli.main import main
code = 0
try:
    code = main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
heavy = sorted({m.split(".")[0] for m in sys.modules} & {"textual", "rich", "keyring"})
print("HEAVY=" + ",".join(heavy), file=sys.stderr)
sys.exit(code)
"""


@pytest.mark.parametrize(
    "args", [["--help"], ["--version"], EXAMPLE, ["poll", "1"], ["count", "--help"]]
)
def test_headless_commands_never_import_textual(
    args: list[str], emulator_env: dict[str, str]
) -> None:
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE, *args],
        env={**os.environ, **emulator_env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "HEAVY=\n" in result.stderr, result.stderr


LOADED_PROBE = """
import sys
from cttui.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
loaded = {"typing", "dataclasses", "inspect", "pathlib", "json"} & set(sys.modules)
print("LOADED=" + ",".join(sorted(loaded)), file=sys.stderr)
"""


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["jobs", "--help"]])
def test_help_and_version_load_the_parser_and_little_else(args: list[str]) -> None:
    """Each of these modules would be a tenth or more of what `cttui --help` costs."""
    result = subprocess.run(
        [sys.executable, "-c", LOADED_PROBE, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "LOADED=\n" in result.stderr, result.stderr


def test_interrupt_while_pending_says_how_to_resume(
    emulator: Emulator, emulator_env: dict[str, str]
) -> None:
    # stderr on a terminal, so that cttui itself says when it holds the req_id: the server's log
    # shows the answer a moment before the client has read it.
    code, last = interrupt_when_said(
        ["count", "Charged", *HEAVY, "--poll-interval", "60"], emulator_env, "pending as req_id"
    )
    req_id = str(emulator.requests[0].response["req_id"])  # type: ignore[index]
    assert code == 130
    assert last == f"cttui: interrupted while pending; resume with: cttui poll {req_id}"


def test_the_readme_emulator_example_answers_a_partial_count_at_its_first_poll() -> None:
    # The README's steps: start the emulator, paste the export line it prints, count. The line
    # sets the poll interval to the emulator's compute time: the count comes at the first poll,
    # a second after the POST, where CleverTap's 30 s would outlast --timeout.
    process = subprocess.Popen(
        [CTTUI, "emulator", "--port", "0", "--profiles", "50", "--events", "2000",
         "--compute-seconds", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        match = re.fullmatch(r"listening on (http://127\.0\.0\.1:\d+)\n", first)
        assert match, first
        words = shlex.split(process.stdout.readline())
        assert words[0] == "export"
        env = dict(word.split("=", 1) for word in words[1:])
        assert env == {
            "CTTUI_BASE_URL": match.group(1),
            "CLEVERTAP_ACCOUNT_ID": DEFAULTS.account_id,
            "CLEVERTAP_PASSCODE": DEFAULTS.passcode,
            "CTTUI_POLL_INTERVAL": "1",
        }
        result = run_cttui(
            "count", "Charged", "--where", "Amount", "greater_than", "100", *HEAVY,
            "--timeout", "20", env=env,
        )  # fmt: skip
        assert result.code == 0, result.err
        assert int(result.out) > 0
        with urllib.request.urlopen(f"{match.group(1)}/_emulator/requests", timeout=30) as seen:
            requests = json.load(seen)
        assert [request["method"] for request in requests] == ["POST", "GET"]
        assert requests[0]["response"]["status"] == "partial"
        assert requests[1]["response"] == {"status": "success", "count": int(result.out)}
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0
    assert "Traceback" not in err


def test_emulator_on_a_busy_port_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = main(["emulator", "--port", str(port), "--profiles", "20", "--events", "100"])
    assert code == 2
    err = capsys.readouterr().err
    assert err == (
        f"cttui: cannot listen on 127.0.0.1:{port} (Address already in use); pick another "
        "--host or --port (--port 0 picks a free one)\n"
    )


def test_demo_with_an_unusable_cache_folder_is_one_line_and_exit_2(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = isolated_home / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert main(["--demo", "count", "Charged", *RECENT]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cttui: cannot build the emulator's data in ")
    assert err.count("\n") == 1


def test_a_bug_is_one_line_unless_debugging(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(_: object) -> int:
        raise RuntimeError("wires crossed")

    monkeypatch.setattr("cttui.cli.count.poll", broken)
    parser_args = ["poll", "1"]
    assert main(parser_args) == 1
    err = capsys.readouterr().err
    assert err == (
        "cttui: unexpected error (RuntimeError: wires crossed); please report it, with the "
        "traceback that CTTUI_DEBUG=1 shows\n"
    )
    monkeypatch.setenv("CTTUI_DEBUG", "1")
    with pytest.raises(RuntimeError, match="wires crossed"):
        main(parser_args)


def test_poll_of_a_finished_job_leaves_another_pending_job_pending_without_a_traceback(
    emulator_env: dict[str, str],
) -> None:
    first = run_cttui("count", "App Launched", *HEAVY, "--no-wait", env=emulator_env)
    assert first.code == 3, first.err
    req_id = first.out.strip()
    assert run_cttui("poll", req_id, env=emulator_env).code == 0
    second = run_cttui("count", "Charged", *HEAVY, "--no-wait", env=emulator_env)
    assert second.code == 3, second.err

    again = run_cttui("poll", req_id, env=emulator_env)
    assert again.code == 0, again.err
    assert again.out.strip().isdigit()
    assert again.err == ""
    jobs = json.loads(run_cttui("jobs", "--json").out)
    other = next(job for job in jobs if job["req_id"] == second.out.strip())
    # Not run here (the command had nothing to wait for), so still there to resume.
    assert other["state"] == "pending", other
    resumed = run_cttui("jobs", "resume", env=emulator_env)
    assert resumed.code == 0, resumed.err


def cut_off_jobs(emulator: Emulator, count: int) -> list[int]:
    """Jobs whose cttui died mid-POST, as a crash leaves them: the next to load them finds them
    interrupted."""
    from cttui.records import JobRecord, JobState, Origin
    from cttui.store.journal import Journal
    from cttui.store.paths import journal_file

    path = journal_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    journal = Journal.open(path)
    try:
        origin = Origin(DEFAULTS.account_id, emulator.base_url, None)
        query = Query("Charged", DateRange(TODAY - timedelta(days=3), TODAY))
        return [
            journal.create(JobRecord(0, origin, query, JobState.SENDING, created=time.time()))
            for _ in range(count)
        ]
    finally:
        journal.close()


def test_jobs_resume_reports_interrupted_jobs_and_exits_1_until_they_are_resubmitted(
    emulator: Emulator, emulator_env: dict[str, str]
) -> None:
    ids = cut_off_jobs(emulator, 2)
    resumed = run_cttui("jobs", "resume", env=emulator_env)
    assert resumed.code == 1, resumed
    assert "nothing pending" not in resumed.err
    lines = resumed.err.strip().splitlines()
    for job_id in ids:
        assert any(
            f"job {job_id} " in line and f"cttui jobs resubmit {job_id}" in line for line in lines
        ), resumed.err
    assert emulator.requests == []
    # Each resubmitted: then there is nothing left to report.
    for job_id in ids:
        resubmitted = run_cttui("jobs", "resubmit", str(job_id), env=emulator_env)
        assert resubmitted.code == 0, resubmitted.err
    again = run_cttui("jobs", "resume", env=emulator_env)
    assert (again.code, again.err) == (0, "cttui: nothing pending in the journal\n")


def test_resubmit_of_a_job_interrupted_in_an_open_app_says_what_to_do(
    emulator: Emulator, emulator_env: dict[str, str]
) -> None:
    from cttui.store.journal import Journal
    from cttui.store.paths import journal_file

    (job_id,) = cut_off_jobs(emulator, 1)
    app = Journal.open(journal_file())
    try:
        app.load(lambda _: True)  # as the app does on starting: the job is now its own
        result = run_cttui("jobs", "resubmit", str(job_id), env=emulator_env)
    finally:
        app.close()
    assert result.code == 2, result
    assert "wait for it there" not in result.err
    assert "press r" in result.err
    assert f"cttui jobs resubmit {job_id}" in result.err
    assert emulator.requests == []


def test_the_demos_hints_name_the_demo(isolated_home: Path) -> None:
    result = run_cttui("--demo", "count", "Charged", *HEAVY, "--no-wait", timeout=90)
    assert result.code == 3, result
    assert f"resume with: cttui --demo poll {result.out.strip()}" in result.err


def raw_cttui(*args: bytes, **options: object) -> subprocess.CompletedProcess[bytes]:
    """The binary with argv as bytes, as a shell hands over whatever was typed."""
    streams = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, **options}
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        [CTTUI.encode(), *args], timeout=60, check=False, **streams
    )


def assert_one_clean_line(err: bytes) -> str:
    text = err.decode("utf-8")
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    assert "Traceback" not in text
    assert "unexpected error" not in text
    # Nothing that a terminal would act on: no escape, no carriage return, no bidi control.
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]", text), text
    return lines[0]


def test_an_argument_that_is_not_utf8_is_one_line_and_exit_2(
    emulator: Emulator, emulator_env: dict[str, str]
) -> None:
    result = raw_cttui(
        b"count", b"Ev\xff", b"--range", b"last_7_days", env={**os.environ, **emulator_env}
    )
    line = assert_one_clean_line(result.stderr)
    assert result.returncode == 2
    assert "UTF-8" in line
    assert "\\xff" in line
    assert emulator.requests == []


@pytest.mark.parametrize(
    "argument",
    [b"--x\n\x1b[31mred", b"bad\rover", b"\xe2\x80\xaeevil", b"--range=\x1b]0;title\x07"],
)
def test_control_and_bidi_characters_never_reach_the_terminal_raw(argument: bytes) -> None:
    result = raw_cttui(b"count", b"Charged", b"--range", b"last_7_days", argument)
    assert result.returncode == 2
    assert_one_clean_line(result.stderr)


@pytest.mark.parametrize("argv", [[b"favorites"], [b"--help"], [b"--version"]])
def test_a_full_stdout_is_one_line_and_exit_1(isolated_home: Path, argv: list[bytes]) -> None:
    FavoritesStore(favorites_file()).save(Favorite("Weekly", "Charged"))
    with open("/dev/full", "wb") as full:
        result = raw_cttui(*argv, stdout=full, stderr=subprocess.PIPE)
    line = assert_one_clean_line(result.stderr)
    assert result.returncode == 1
    assert "standard output" in line
    assert "full" in line


def test_closed_standard_streams_are_no_unexpected_error() -> None:
    closed_stdin = raw_cttui(
        b"credentials", b"set", b"--account-id", b"W9R-486-4W5Z", b"--passcode-stdin",
        stdin=None, preexec_fn=lambda: os.close(0),
    )  # fmt: skip
    line = assert_one_clean_line(closed_stdin.stderr)
    assert closed_stdin.returncode == 2
    assert "no passcode on standard input" in line
    closed_stdout = subprocess.run(
        [CTTUI, "--version"], stderr=subprocess.PIPE, preexec_fn=lambda: os.close(1), check=False
    )
    assert closed_stdout.returncode == 0
    assert closed_stdout.stderr == b""


def test_jobs_remove_clears_interrupted_jobs_from_the_report(
    emulator: Emulator, emulator_env: dict[str, str]
) -> None:
    ids = cut_off_jobs(emulator, 2)
    removed = run_cttui("jobs", "remove", *map(str, ids))
    assert removed.code == 0, removed.err
    assert removed.out == "".join(f"removed job {job_id}\n" for job_id in ids)
    assert json.loads(run_cttui("jobs", "--json").out) == []
    again = run_cttui("jobs", "resume", env=emulator_env)
    assert (again.code, again.err) == (0, "cttui: nothing pending in the journal\n")
    unknown = run_cttui("jobs", "remove", "99")
    assert (unknown.code, unknown.err) == (
        2,
        "cttui: no job 99 in the journal; 'cttui jobs' lists them\n",
    )
    assert emulator.requests == []


def _commands(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """`parser` and every command and subcommand under it."""
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command in action.choices.values():
                yield from _commands(command)


def test_every_command_s_typed_value_is_found_and_holds_only_its_options() -> None:
    """A command's own class is in its handler's module, a shared one in cli/arguments.py."""
    parser = build_parser(__version__, _RangeChoices())
    handlers = [
        (command, command.get_default("handler"))
        for command in _commands(parser)
        if command.get_default("handler") is not None
    ]
    assert len(handlers) > 15
    for command, handler in [*handlers, (parser, APP)]:
        module = importlib.import_module(handler.module)
        kind = getattr(module, handler.arguments, None) or getattr(arguments, handler.arguments)
        # `jobs resume` has no job ID: its `resubmit` is None.
        options = {action.dest for action in command._actions} | {"scope", "wait", "alert"}
        assert set(kind._fields) <= options | set(arguments._OPTION_OF), handler


def test_a_parser_built_for_a_command_line_reads_that_command_as_the_whole_one_does() -> None:
    """Built for the words of a command line, the parser adds only the commands they name: each
    of those, and `cttui --help`, is as in the whole parser."""
    whole = {command.prog: command for command in _commands(build_parser("1", _RangeChoices()))}
    assert len(whole) > 20
    for prog in whole:
        words = set(prog.split()[1:])
        built = {each.prog: each for each in _commands(build_parser("1", _RangeChoices(), words))}
        for name in ("cttui", prog):
            assert built[name].format_help() == whole[name].format_help(), (prog, name)
            assert built[name].get_default("handler") == whole[name].get_default("handler")
