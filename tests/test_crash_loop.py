"""The crash loop: real `cttui` processes SIGKILLed at random moments, and restarted each time.

Each round runs one command (`count --no-wait` of a new query, `jobs resume`, `poll REQ_ID`, or
`jobs resubmit ID` of an interrupted job) through a proxy of the test's own in front of the
emulator. The proxy delays every answer, and may kill the process just after it has sent one
(the window between the POST's answer and the journal's write), or the round kills it after a
random delay. After every kill the journal passes `PRAGMA integrity_check` and `cttui jobs`
never shows a job interrupted whose POST's answer the journal kept. At the end every job has the
emulator's count, and the emulator's own request log shows no job POSTed twice except those the
user chose to resubmit because a kill came before cttui read the answer.

`make crashloop` runs 40 kills and prints the figures; the test below runs a short version.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cttui.emulator import Emulator, EmulatorConfig
from tests.home import home_variables

CTTUI = str(Path(sys.executable).parent / "cttui")
TODAY = date.today()
EVENTS = ("Charged", "App Launched", "Product Viewed", "Added To Cart", "Notification Clicked")
ACCOUNT, PASSCODE = "EMU-LAT-0001", "emulator-passcode"
ANSWER_DELAY = 0.05
COMMAND_LIMIT = 60.0


class Proxy(ThreadingHTTPServer):
    """Forwards to the emulator; after sending an answer, may kill the armed process."""

    daemon_threads = True

    def __init__(self, upstream: str, rng: random.Random) -> None:
        super().__init__(("127.0.0.1", 0), ProxyHandler)
        self.upstream = upstream
        self.rng = rng
        self.lock = threading.Lock()
        self.victim: subprocess.Popen[bytes] | None = None
        self.kill_after: str | None = None
        # With a journal to watch, the kill comes on its first write after the answer: the
        # moment an answer is kept and its req_id may not be.
        self.watch: Path | None = None
        self.killed_after_answer = 0
        self.killed_on_first_write = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def handle_error(self, request: object, client_address: object) -> None:
        # A client killed while its answer is on the way is the point, not a failure.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]

    def arm(self, process: subprocess.Popen[bytes], method: str, watch: Path | None) -> None:
        with self.lock:
            self.victim, self.kill_after, self.watch = process, method, watch

    def disarm(self) -> None:
        with self.lock:
            self.victim = self.kill_after = self.watch = None

    def answered(self, method: str) -> None:
        with self.lock:
            victim = self.victim if self.kill_after == method else None
            if victim is None:
                return
            watch, self.victim, self.kill_after = self.watch, None, None
            delay = self.rng.uniform(0, 0.03)
        if watch is None:
            # Right after the answer left: before, while or after cttui writes it down.
            time.sleep(delay)
        elif not first_write(watch, victim):
            return
        if victim.poll() is None:
            victim.send_signal(signal.SIGKILL)
            with self.lock:
                self.killed_after_answer += 1
                self.killed_on_first_write += watch is not None


def first_write(journal: Path, process: subprocess.Popen[bytes]) -> bool:
    """Wait for the journal's next commit (its -wal changes); False if the process ends first."""
    wal = journal.with_name(journal.name + "-wal")

    def seen() -> tuple[int, int]:
        try:
            found = wal.stat()
        except OSError:
            return (0, 0)
        return (found.st_size, found.st_mtime_ns)

    before = seen()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and process.poll() is None:
        if seen() != before:
            return True
        time.sleep(0.0002)
    return False


class ProxyHandler(BaseHTTPRequestHandler):
    server: Proxy

    def do_GET(self) -> None:
        self.forward()

    def do_POST(self) -> None:
        self.forward()

    def forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        host, port = self.server.upstream.removeprefix("http://").split(":")
        upstream = http.client.HTTPConnection(host, int(port), timeout=60)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
            upstream.request(self.command, self.path, body or None, headers)
            answer = upstream.getresponse()
            data, status = answer.read(), answer.status
        finally:
            upstream.close()
        time.sleep(ANSWER_DELAY)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()
        self.server.answered(self.command)

    def log_message(self, format: str, *args: object) -> None:
        return None


@dataclass
class Figures:
    kills: int = 0
    kills_after_an_answer: int = 0
    kills_on_first_write: int = 0
    rounds: int = 0
    jobs: int = 0
    posts: int = 0
    resubmitted_by_the_user: int = 0
    posted_twice_unasked: int = 0
    integrity_checks: int = 0
    answers_lost_on_disk: set[int] = field(default_factory=set)
    wrong_counts: int = 0
    actions: Counter[str] = field(default_factory=Counter)

    def lines(self) -> list[str]:
        actions = ", ".join(f"{name} {times}" for name, times in sorted(self.actions.items()))
        return [
            f"SIGKILLs: {self.kills} ({self.kills_after_an_answer} just after an answer was sent, "
            f"{self.kills_on_first_write} of them on the journal's first write after it)",
            f"rounds: {self.rounds} ({actions})",
            f"jobs: {self.jobs}, every one done with the emulator's count "
            f"({self.wrong_counts} wrong)",
            f"POSTs: {self.posts} (one a job, plus {self.resubmitted_by_the_user} resubmitted by "
            f"the user after a kill before cttui read the answer; {self.posted_twice_unasked} "
            "posted twice unasked)",
            f"integrity_check: ok {self.integrity_checks} times",
            f"jobs shown interrupted although the journal kept their answer: "
            f"{len(self.answers_lost_on_disk)}",
        ]


@contextmanager
def servers(cache: Path, rng: random.Random) -> Iterator[tuple[Emulator, Proxy]]:
    config = EmulatorConfig(
        seed=13,
        profiles=1_000,
        events=20_000,
        today=TODAY,
        partial_after_days=0,
        compute_seconds=0.3,
        cache_dir=cache,
        max_concurrent=50,
    )
    with Emulator(config) as emulator:
        proxy = Proxy(emulator.base_url, rng)
        thread = threading.Thread(target=proxy.serve_forever, daemon=True)
        thread.start()
        try:
            yield emulator, proxy
        finally:
            proxy.shutdown()
            proxy.server_close()


class Loop:
    def __init__(self, home: Path, emulator: Emulator, proxy: Proxy, rng: random.Random) -> None:
        self.emulator, self.proxy, self.rng = emulator, proxy, rng
        self.env = {
            **os.environ,
            **home_variables(home),
            "CLEVERTAP_ACCOUNT_ID": ACCOUNT,
            "CLEVERTAP_PASSCODE": PASSCODE,
            "CTTUI_BASE_URL": proxy.base_url,
            "CTTUI_POLL_INTERVAL": "0.2",
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        }
        for name in ("CLEVERTAP_REGION", "DBUS_SESSION_BUS_ADDRESS"):
            self.env.pop(name, None)
        self.journal = Path(self.env["XDG_STATE_HOME"]) / "cttui" / "journal.sqlite3"
        self.figures = Figures()
        self.sent_queries = 0
        self.resubmits: Counter[int] = Counter()

    def cttui(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [CTTUI, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=COMMAND_LIMIT,
            check=False,
            stdin=subprocess.DEVNULL,
        )

    def jobs(self) -> list[dict[str, object]]:
        listed = self.cttui("jobs", "--json")
        assert listed.returncode == 0, listed.stderr
        jobs: list[dict[str, object]] = json.loads(listed.stdout)
        return jobs

    def next_command(self) -> tuple[str, list[str]]:
        jobs = self.jobs()
        interrupted = [job for job in jobs if job["state"] == "interrupted"]
        pending = [job for job in jobs if job["state"] == "pending" and job["req_id"]]
        choices = ["count", "count", "resume"]
        if pending:
            choices.append("poll")
        if interrupted:
            choices.append("resubmit")
        action = self.rng.choice(choices)
        if action == "count":
            self.sent_queries += 1
            # A query of its own each: the emulator's log then tells each job's POSTs apart.
            start = TODAY - timedelta(days=40 + self.sent_queries)
            event = EVENTS[self.sent_queries % len(EVENTS)]
            dates = ["--from", start.isoformat(), "--to", TODAY.isoformat()]
            return action, ["count", event, *dates, "--no-wait"]
        if action == "poll":
            return action, ["poll", str(self.rng.choice(pending)["req_id"])]
        if action == "resubmit":
            job_id = int(str(self.rng.choice(interrupted)["id"]))
            self.resubmits[job_id] += 1
            return action, ["jobs", "resubmit", str(job_id)]
        return action, ["jobs", "resume"]

    def round(self) -> None:
        action, args = self.next_command()
        self.figures.rounds += 1
        self.figures.actions[action] += 1
        process = subprocess.Popen(
            [CTTUI, *args],
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        moment = self.rng.random()
        timed_on_answer = moment < 0.7
        if timed_on_answer:
            method = "POST" if action in ("count", "resubmit") else "GET"
            self.proxy.arm(process, method, self.journal if moment < 0.35 else None)
        try:
            process.wait(timeout=COMMAND_LIMIT if timed_on_answer else self.rng.uniform(0.05, 1.2))
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=COMMAND_LIMIT)
        finally:
            self.proxy.disarm()
        if process.returncode == -signal.SIGKILL:
            self.figures.kills += 1
            self.check_after_a_kill()

    def check_after_a_kill(self) -> None:
        if not self.journal.exists():
            return
        connection = sqlite3.connect(f"file:{self.journal}?mode=ro", uri=True)
        try:
            assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        finally:
            connection.close()
        self.figures.integrity_checks += 1
        for job in self.jobs():
            attempts = job["attempts"]
            assert isinstance(attempts, list)
            last = attempts[-1] if attempts else None
            if (
                job["state"] == "interrupted"
                and last is not None
                and last["kind"] == "submit"
                and last["http_status"] == 200
            ):
                self.figures.answers_lost_on_disk.add(int(str(job["id"])))

    def finish(self) -> None:
        """Every job to the end, with no more kills: resubmit what a kill left interrupted."""
        for _ in range(20):
            jobs = self.jobs()
            interrupted = [job for job in jobs if job["state"] == "interrupted"]
            for job in interrupted:
                self.resubmits[int(str(job["id"]))] += 1
                done = self.cttui("jobs", "resubmit", str(job["id"]))
                assert done.returncode in (0, 3), done.stderr
            if any(job["state"] not in ("done", "interrupted") for job in jobs):
                resumed = self.cttui("jobs", "resume", "--timeout", "30")
                assert resumed.returncode in (0, 3), resumed.stderr
            if all(job["state"] == "done" for job in self.jobs()):
                return
        raise AssertionError(f"jobs never finished: {self.jobs()}")

    def verify(self) -> Figures:
        figures = self.figures
        figures.kills_after_an_answer = self.proxy.killed_after_answer
        figures.kills_on_first_write = self.proxy.killed_on_first_write
        jobs = self.jobs()
        figures.jobs = len(jobs)
        posts = Counter(
            json.dumps(json.loads(request.body), sort_keys=True)
            for request in self.emulator.requests
            if request.method == "POST"
        )
        figures.posts = sum(posts.values())
        for job in jobs:
            body = job["body"]
            assert isinstance(body, dict)
            true = self.emulator.count(str(body["event_name"]), int(body["from"]), int(body["to"]))
            figures.wrong_counts += job["count"] != true
            sent = posts[json.dumps({**body}, sort_keys=True)]
            asked = self.resubmits[int(str(job["id"]))]
            figures.resubmitted_by_the_user += min(asked, max(0, sent - 1))
            figures.posted_twice_unasked += max(0, sent - 1 - asked)
        return figures


def crash_loop(kills: int, seed: int, work: Path) -> Figures:
    rng = random.Random(seed)
    with servers(work / "emulator", rng) as (emulator, proxy):
        loop = Loop(work / "home", emulator, proxy, rng)
        while loop.figures.kills < kills:
            loop.round()
        loop.finish()
        return loop.verify()


def assert_sound(figures: Figures) -> None:
    assert figures.integrity_checks > 0
    assert not figures.answers_lost_on_disk, figures.lines()
    assert figures.wrong_counts == 0, figures.lines()
    assert figures.posted_twice_unasked == 0, figures.lines()
    assert figures.posts == figures.jobs + figures.resubmitted_by_the_user, figures.lines()


def test_a_short_crash_loop(tmp_path: Path) -> None:
    figures = crash_loop(kills=8, seed=int(os.environ.get("CTTUI_CRASH_SEED", "1")), work=tmp_path)
    print("\n".join(figures.lines()))
    assert figures.kills >= 8
    assert_sound(figures)


def main() -> int:
    kills = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else random.SystemRandom().randrange(10**6)
    with tempfile.TemporaryDirectory(prefix="cttui-crashloop-") as work:
        figures = crash_loop(kills, seed, Path(work))
    print(f"crash loop, seed {seed}")
    print("\n".join(f"  {line}" for line in figures.lines()))
    assert_sound(figures)
    print("  sound: every check held")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
