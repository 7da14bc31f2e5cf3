"""The Secrets suite: a whole session with one distinctive passcode, through the real Secret
Service, the installed CLI and the app, and then a scan. Every file under the test HOME and
everything cttui printed or drew is searched for the passcode, as bytes and in the forms it could
be written in (base64 at each alignment, URL- and JSON-encoded, hex, UTF-16): it is found 0 times.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, quote_plus

import keyring
import pytest
from textual.widgets import Input, Static

from cttui.emulator import Emulator, EmulatorConfig
from cttui.store.paths import journal_file
from cttui.tui.screens.credentials import CredentialsScreen
from cttui.tui.screens.main import MainScreen
from tests.apps import build_app, settle, until
from tests.conftest import Run, run_cttui
from tests.secret_service import SecretService, in_use

# Distinctive, and with characters that URL-, JSON- and base64-encoding each change.
PASSCODE = "Sk3+Tq9/Pz7=Lx2!scan"
ACCOUNT = "SCN-EMU-0001"
TODAY = date.today()


def _span(days: int) -> list[str]:
    return ["--from", (TODAY - timedelta(days=days)).isoformat(), "--to", TODAY.isoformat()]


def forms(secret: str) -> dict[str, bytes]:
    """The byte strings that would betray `secret` wherever it was written, encoded or not."""
    raw = secret.encode()
    found = {
        "bytes": raw,
        "url": quote(secret, safe="").encode(),
        "url+": quote_plus(secret).encode(),
        "json": json.dumps(secret)[1:-1].replace("/", "\\/").encode(),
        "hex": raw.hex().encode(),
        "HEX": raw.hex().upper().encode(),
        "utf-16": secret.encode("utf-16-le"),
    }
    for shift in range(3):
        for name, encode in (("base64", base64.b64encode), ("base64url", base64.urlsafe_b64encode)):
            # Inside a longer blob, only the 4-character groups of the secret's bytes alone are
            # the same whatever comes before or after it.
            blob = encode(b"\0" * shift + raw)
            found[f"{name}+{shift}"] = blob[4 if shift else 0 : -4]
    return found


FORMS = forms(PASSCODE)


def scan_bytes(where: str, data: bytes) -> list[tuple[str, str]]:
    return [(where, form) for form, needle in FORMS.items() if needle in data]


def scan_home(root: Path) -> list[tuple[str, str]]:
    return [
        hit
        for path in sorted(root.rglob("*"))
        if path.is_file()
        for hit in scan_bytes(str(path.relative_to(root)), path.read_bytes())
    ]


def _files(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def scan_texts(texts: dict[str, str]) -> list[tuple[str, str]]:
    return [hit for where, text in texts.items() for hit in scan_bytes(where, text.encode())]


def test_the_forms_find_the_passcode_however_it_is_written() -> None:
    """The scan is only as good as its forms: each must find the passcode as something writes it."""
    written = {
        "bytes": PASSCODE.encode(),
        "url": quote(PASSCODE, safe="").encode(),
        "url+": quote_plus(PASSCODE).encode(),
        "json": json.dumps({"passcode": PASSCODE}).replace("/", "\\/").encode(),
        "hex": PASSCODE.encode().hex().encode(),
        "utf-16": PASSCODE.encode("utf-16-le"),
    }
    for form, data in written.items():
        assert scan_bytes("x", b"before " + data + b" after"), form
    for prefix in (b"", b"a", b"ab", b"abc"):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            assert scan_bytes("x", encode(prefix + PASSCODE.encode() + b"tail")), (prefix, encode)
    assert scan_bytes("x", b"P" * 200) == []


@pytest.fixture(scope="module")
def scan_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """An emulator that accepts only this passcode; more than 30 days answer partial."""
    config = EmulatorConfig(
        account_id=ACCOUNT,
        passcode=PASSCODE,
        seed=7,
        profiles=500,
        events=5_000,
        today=TODAY,
        partial_after_days=30,
        compute_seconds=0.3,
        cache_dir=tmp_path_factory.mktemp("scan-emulator"),
    )
    with Emulator(config) as running:
        yield running


@pytest.fixture
def real_keyring(
    secret_service: SecretService, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SecretService]:
    """This process and the cttui it starts keep passcodes in the private Secret Service."""
    with in_use(secret_service, monkeypatch):
        yield secret_service
        for attributes, _ in secret_service.items():
            if attributes.get("service") == "cttui":
                keyring.delete_password("cttui", attributes["username"])


class _Echo(BaseHTTPRequestHandler):
    """A server that refuses every request and says back the passcode it was sent."""

    def _refuse(self) -> None:
        if self.command == "POST":
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
        said = self.headers.get("X-CleverTap-Passcode", "")
        body = json.dumps({"status": "fail", "code": 401, "error": f"bad passcode {said}"})
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    do_GET = do_POST = _refuse

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def echo_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


# Runs cttui's main with the client's parser broken: an unexpected error, mid-request.
_UNEXPECTED = """
import sys
import cttui.api.client as client

def broken(*args, **kwargs):
    raise LookupError("a bug in the parser")

client.interpret = broken
from cttui.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def _unexpected(env: dict[str, str], *args: str) -> Run:
    import subprocess

    result = subprocess.run(
        [sys.executable, "-c", _UNEXPECTED, *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    return Run(result.returncode, result.stdout, result.stderr)


async def _app_session(base_url: str, home: Path, texts: dict[str, str]) -> None:
    """The app on the saved profile: the connection test, typed and from the keyring; a count;
    the pending job from the journal resumed; SVG screenshots kept under HOME."""
    app = build_app(environ={"CTTUI_BASE_URL": base_url}, journal=journal_file(), poll_interval=0.1)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot, MainScreen)
        await pilot.press("f2")
        await settle(pilot, CredentialsScreen)
        screen = app.screen
        status = screen.query_one("#status", Static)
        await pilot.press("ctrl+t")  # with the passcode from the keyring
        await until(pilot, lambda: str(status.render()).startswith("OK:"), "the keyring's test")
        passcode = screen.query_one("#passcode", Input)
        passcode.focus()
        await pilot.press(*PASSCODE)
        texts["app: typed"] = app.export_screenshot()
        await pilot.press("ctrl+t")  # with the passcode typed
        await until(pilot, lambda: str(status.render()).startswith("OK:"), "the typed test")
        app.save_screenshot("credentials.svg", str(home))
        passcode.value = ""
        await pilot.press("escape")
        await settle(pilot, MainScreen)
        known = {job.id for job in app.session.jobs.jobs}
        app.screen.query_one("#event", Input).value = "Charged"
        await pilot.press("ctrl+r")

        def sent_and_done() -> bool:
            new = [job for job in app.session.jobs.jobs if job.id not in known]
            return bool(new) and all(job.state.finished for job in new)

        await until(pilot, sent_and_done, "the app's count to finish", limit=30)
        app.save_screenshot("main.svg", str(home))
        texts["app: main"] = app.export_screenshot()
        texts["app: toasts"] = "\n".join(n.message for n in app._notifications)


async def test_a_whole_session_leaves_the_passcode_nowhere(
    real_keyring: SecretService,
    scan_emulator: Emulator,
    echo_server: str,
    isolated_home: Path,
) -> None:
    base_env = {"CTTUI_BASE_URL": scan_emulator.base_url, "CTTUI_POLL_INTERVAL": "0.1"}
    runs: dict[str, Run] = {}

    def cttui(
        label: str,
        *args: str,
        code: int = 0,
        env: dict[str, str] | None = None,
        stdin: str | None = None,
    ) -> Run:
        run = run_cttui(*args, env={**base_env, **(env or {})}, stdin=stdin)
        runs[label] = run
        assert run.code == code, (label, run.code, run.err)
        return run

    cttui(
        "set", "credentials", "set", "--profile", "scan", "--account-id", ACCOUNT,
        "--passcode-stdin", stdin=PASSCODE + "\n",
    )  # fmt: skip
    assert real_keyring.lookup("cttui", f"{ACCOUNT}/scan") == PASSCODE
    cttui("show", "credentials", "show")
    cttui("list", "credentials", "list")
    cttui("done", "count", "Charged", *_span(10))
    pending = cttui("pending", "count", "Charged", *_span(90), "--no-wait", code=3)
    cttui("failed", "count", "Uninstalled", *_span(10), code=1)
    assert "Invalid event" in runs["failed"].err
    cttui("save", "count", "App Launched", "--range", "last_7_days", "--save", "weekly")
    cttui("run", "run", "weekly")
    cttui("favorites", "favorites")
    cttui("favorites json", "favorites", "--json")
    cttui("debug done", "count", "Charged", *_span(5), "--json", env={"CTTUI_DEBUG": "1"})
    cttui(
        "debug pending", "count", "Charged", *_span(60), "--no-wait", code=3,
        env={"CTTUI_DEBUG": "1"},
    )  # fmt: skip
    cttui("refused argument", "credentials", "set", "--passcod", PASSCODE, code=2)
    plain = _unexpected(base_env, "count", "Charged", *_span(3))
    assert plain.code == 1, plain.err
    assert "LookupError: a bug in the parser" in plain.err
    debug = _unexpected({**base_env, "CTTUI_DEBUG": "1"}, "count", "Charged", *_span(4))
    assert "Traceback" in debug.err
    runs.update({"unexpected": plain, "debug unexpected": debug})
    cttui("jobs", "jobs")
    cttui("jobs json", "jobs", "--json")
    for job in json.loads(runs["jobs json"].out):
        cttui(f"jobs show {job['id']}", "jobs", "show", str(job["id"]), "--json")
    cttui("resume", "jobs", "resume")
    assert pending.out.strip() or pending.err.strip()

    texts: dict[str, str] = {}
    await _app_session(scan_emulator.base_url, isolated_home, texts)
    assert (isolated_home / "credentials.svg").is_file()
    assert (isolated_home / "main.svg").is_file()
    cttui("jobs after the app", "jobs", "--json")
    cttui("delete", "credentials", "delete", "--yes")
    assert real_keyring.lookup("cttui", f"{ACCOUNT}/scan") is None

    texts.update({f"{label}: {name}": getattr(run, name) for label, run in runs.items()
                  for name in ("out", "err")})  # fmt: skip
    files = _files(isolated_home)
    assert "credentials.svg" in files
    assert any(name.endswith("journal.sqlite3") for name in files), files
    assert scan_home(isolated_home) == []
    assert scan_texts(texts) == []

    # A server that says the passcode back in its error: shown, journaled, listed.
    echo_env = {"CTTUI_BASE_URL": echo_server, "CLEVERTAP_PASSCODE": PASSCODE,
                "CLEVERTAP_ACCOUNT_ID": ACCOUNT}  # fmt: skip
    echoed = [cttui("echo", "count", "Charged", *_span(2), code=1, env=echo_env)]
    echoed.append(cttui("echo jobs", "jobs", "--json"))
    last = json.loads(echoed[-1].out)[-1]["id"]
    echoed.append(cttui("echo show", "jobs", "show", str(last), "--json"))
    leaks = scan_home(isolated_home) + scan_texts(
        {f"echo {i}": run.out + run.err for i, run in enumerate(echoed)}
    )
    assert leaks == []
