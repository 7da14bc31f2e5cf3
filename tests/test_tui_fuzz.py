"""Fuzz: a few hundred random keys over every screen, against a server of the test's own that
answers at random. The app must still be running at the end, with no error it did not mean
to show: no traceback, no failed worker, no toast of more than one line."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from cttui.tui.app import CttuiApp
from cttui.tui.screens.main import MainScreen
from tests.apps import build_app, settle

SIZE = (120, 40)
# Every key the screens bind, and keys that type, move and leave; never ctrl+q (quit) or
# ctrl+p (the palette: "q", enter would quit the app on purpose).
KEYS = (
    *"abcdefghijklmnopqrstuvwxyzADXZ0123456789 .-_[]/",
    *("enter", "escape", "tab", "shift+tab", "backspace", "delete", "space", "slash"),
    *("up", "down", "left", "right", "home", "end", "pageup", "pagedown"),
    *("ctrl+r", "ctrl+n", "ctrl+s", "ctrl+t", "ctrl+o", "ctrl+l", "ctrl+y", "f1", "f2", "f3"),
    *("f8", "d", "r", "x", "p", "c", "l", "n", "y", "t", "D"),
)
# Where each stretch of keys starts: the editor, the job list, favourites, credentials.
STARTS = ((), ("tab", "tab", "tab", "tab"), ("f3",), ("f2",))


def _answer(chooser: random.Random) -> tuple[int, dict[str, str], bytes]:
    """A status, headers and body, each plausible on its own and together often nonsense."""
    req_id = f"fz{chooser.randrange(10**6)}"
    bodies: list[object] = [
        {"status": "success", "count": chooser.randrange(10**9)},
        {"status": "partial", "req_id": req_id},
        {"status": "pending", "req_id": req_id},
        {"status": "fail", "error": "Invalid event : " + "x" * chooser.randrange(400)},
        {"status": "fail", "error": '["one", "two\\nlines"]', "code": 1},
        {"status": "success", "count": "many"},
        {"status": "success", "count": -5},
        {"status": "success", "count": 10**40},
        {"status": "success"},
        {"req_id": None},
        {"status": ["success"]},
        [1, 2, 3],
        None,
        "<html>",
    ]
    raw: list[bytes] = [b"", b"{", b"\xff\xfe", b"<html><body>Bad gateway</body></html>"]
    status = chooser.choice([200, 200, 200, 400, 401, 403, 404, 429, 500, 502, 503, 504])
    headers = {"Content-Type": chooser.choice(["application/json", "text/html", "text/plain"])}
    if status == 429 or chooser.random() < 0.1:
        headers["Retry-After"] = chooser.choice(["0", "1", "soon", "-3", "99999999"])
    if chooser.random() < 0.2:
        return status, headers, chooser.choice(raw)
    return status, headers, json.dumps(chooser.choice(bodies)).encode()


@dataclass
class RandomServer:
    url: str
    answered: int = 0


@pytest.fixture
def random_server() -> Iterator[RandomServer]:
    """A loopback server that answers every request at random (seeded: the same answers in the
    same order, whichever requests they meet)."""
    chooser = random.Random(7)
    lock = threading.Lock()
    served = RandomServer("")

    class Handler(BaseHTTPRequestHandler):
        def _reply(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            with lock:
                status, headers, body = _answer(chooser)
                served.answered += 1
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _reply

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    served.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()


def _problems(app: CttuiApp) -> list[str]:
    """What went wrong that the app did not mean: a crash, a failed worker, a toast that is more
    than the one line every error is."""
    found = []
    if not app.is_running or app.return_code is not None:
        found.append(f"the app stopped (code {app.return_code}, {app._exception!r})")
    for toast in app._notifications:
        text = f"{toast.title}: {toast.message}"
        if "\n" in text or "Traceback" in text or toast.title == "A bug in cttui":
            found.append(text)
    return found


async def test_random_keys_and_random_answers_leave_the_app_running(
    random_server: RandomServer,
) -> None:
    seed = 1
    chooser = random.Random(seed)
    app = build_app(
        environ={
            "CLEVERTAP_ACCOUNT_ID": "FUZ-ZED-0001",
            "CLEVERTAP_PASSCODE": "fuzz-passcode",
            "CTTUI_BASE_URL": random_server.url,
        },
        poll_interval=0.1,
    )
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot, MainScreen)
        # Something to list, poll and act on: a query that runs.
        await pilot.press(*"Charged", "ctrl+r")
        for start in STARTS * 2:
            # Back to the main screen, whatever the last keys opened.
            for _ in range(6):
                if isinstance(app.screen, MainScreen):
                    break
                await pilot.press("escape")
            await pilot.press(*start)
            for _ in range(30):
                await pilot.press(chooser.choice(KEYS))
                assert _problems(app) == [], f"seed {seed}"
        assert _problems(app) == [], f"seed {seed}"
    assert random_server.answered > 0
