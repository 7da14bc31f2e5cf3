"""One run of the app (or the bare Textual app) in tmux, and what it is timed on: its start, a
key's echo, the job list's cursor, its CPU time and memory."""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import partial
from operator import ne
from pathlib import Path

from benchmarks.app_setup import BARE_APP, CTTUI, Home
from benchmarks.app_tmux import Pane, Server, Unmeasured, cpu_seconds, rss_mb

# The main screen is mounted and painted: the preview's title is in its first frame.
MAIN = "Body, exactly as sent"
BARE = "bare app ready"
# Digits: no event name starts with one, so no suggestion is drawn after what was typed.
TYPED = "0123456789" * 4
JOB_KEYS = "Remove"  # in the footer while the job list has the focus


def p95(samples: Sequence[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


class Bare:
    """The bare Textual app's script, in a temporary file; run with this venv's Python."""

    def __init__(self) -> None:
        self._directory = tempfile.TemporaryDirectory(prefix="cttui-bench-bare-")
        self.script = Path(self._directory.name) / "bare_app.py"
        self.script.write_text(BARE_APP)

    def argv(self, with_input: bool = False) -> list[str]:
        return [sys.executable, str(self.script), *(["--input"] if with_input else [])]

    def close(self) -> None:
        self._directory.cleanup()


@contextmanager
def running(server: Server, argv: Sequence[str], env: Mapping[str, str]) -> Iterator[Pane]:
    pane = server.start(argv, env)
    try:
        yield pane
    finally:
        pane.close()


def started(server: Server, argv: Sequence[str], env: Mapping[str, str], marker: str) -> float:
    """Seconds from asking tmux for the session to the first capture showing `marker`."""
    begun = time.monotonic()
    with running(server, argv, env) as pane:
        return pane.wait_for(marker) - begun


def event_line(screen: str) -> str:
    for line in screen.splitlines():
        if line.startswith("│ Event "):
            return line
    return ""


def typing(pane: Pane, line: Callable[[str], str], count: int = len(TYPED)) -> list[float]:
    """Each of `count` characters typed one at a time: seconds from sending it to the first
    capture whose `line` shows everything typed so far."""
    latencies = []
    for end in range(1, count + 1):
        typed = TYPED[:end]

        def shown(screen: str, typed: str = typed) -> bool:
            return typed in line(screen)

        sent = time.monotonic()
        pane.keys(typed[-1], literal=True)
        latencies.append(pane.wait(shown, f"{typed!r} typed") - sent)
    return latencies


# How many tabs take the editor's focus to the job list: learnt once, a tab at a time.
_TABS: list[int] = []


def focus_jobs(pane: Pane) -> None:
    """Tab from the editor to the job list, as a user does, until the footer offers its keys.

    The first time, one tab at a time, each sent once the last one's move has shown (a loaded
    machine is slow to move the focus, and a tab sent early would be counted wrong); after
    that, the tabs learnt, in one burst (keys apply in the order sent)."""

    def offered(screen: str) -> bool:
        return JOB_KEYS in screen.splitlines()[-1:][0]

    if _TABS:
        pane.keys(*["Tab"] * _TABS[0])
        pane.wait(offered, "the job list's keys")
        return
    for tabs in range(1, 21):
        moved = partial(ne, pane.screen())
        pane.keys("Tab")
        try:
            # The focus moved (every widget shows it), and its footer has had a moment.
            pane.wait(moved, "a tab's move", 10.0)
            pane.wait(offered, "the job list's keys", 1.0)
        except Unmeasured:
            continue
        _TABS.append(tabs)
        return
    raise Unmeasured("20 tabs never reached the job list")


def cursor(pane: Pane, newest: int, count: int) -> list[float]:
    """`count` down arrows in the job list (newest first): seconds from each to the first
    capture whose detail line names the job now highlighted."""
    pane.wait_for(f"^│ Job {newest},")
    focus_jobs(pane)
    latencies = []
    for step in range(1, count + 1):
        wanted = f"│ Job {newest - step},"

        def highlighted(screen: str, wanted: str = wanted) -> bool:
            return wanted in screen

        sent = time.monotonic()
        pane.keys("Down")
        latencies.append(pane.wait(highlighted, wanted) - sent)
    return latencies


class Journaled:
    """Watches a journal from a thread: when it first held `jobs` jobs."""

    def __init__(self, home: Home, jobs: int, limit: float = 60.0) -> None:
        self.reached: float | None = None
        self._home = home
        self._jobs = jobs
        self._stop = threading.Event()
        self._limit = limit
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        deadline = time.monotonic() + self._limit
        while not self._stop.is_set() and time.monotonic() < deadline:
            if self._home.jobs() >= self._jobs:
                self.reached = time.monotonic()
                return
            time.sleep(0.005)

    def join(self) -> float | None:
        self._thread.join()
        return self.reached

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def probe(pane: Pane, mark: str = "9") -> float:
    """A character typed into the event field and erased: seconds until it showed."""
    before = event_line(pane.screen())
    sent = time.monotonic()
    pane.keys(mark, literal=True)
    shown = pane.wait(lambda s: event_line(s) != before, "the probe key") - sent
    pane.keys("BSpace")
    pane.wait(lambda s: event_line(s) == before, "the probe key erased")
    return shown


def submit(pane: Pane, home: Home, jobs: int, batch: int = 100) -> tuple[float, list[float]]:
    """ctrl+r pressed `jobs` times on the event "Charged", `batch` keys a time: seconds from the
    first key to all `jobs` in the journal, and the latencies of a key typed (and erased) once
    each batch is journaled, while its POSTs still go out.

    The probe waits for the batch: a character typed right after it can overtake its last
    ctrl+r's (which then send the edited event name)."""
    pane.wait_for(MAIN)
    pane.keys("Charged", literal=True)
    pane.wait(lambda s: "Charged" in event_line(s), "the event typed")
    watcher = Journaled(home, jobs)
    probes = []
    try:
        begun = time.monotonic()
        for sent in range(batch, jobs + batch, batch):
            pane.keys(*["C-r"] * (min(sent, jobs) - sent + batch))
            journaled(home, min(sent, jobs))
            probes.append(probe(pane))
        reached = watcher.join()
    finally:
        watcher.stop()
    if reached is None:
        raise Unmeasured(f"the journal held {home.jobs()} of {jobs} jobs after 60 s")
    return reached - begun, probes


def journaled(home: Home, jobs: int, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while home.jobs() < jobs:
        if time.monotonic() > deadline:
            raise Unmeasured(f"the journal held {home.jobs()} of {jobs} jobs after {limit:g} s")
        time.sleep(0.005)


def idle(pane: Pane, seconds: float) -> tuple[float, float]:
    """CPU % of one core over `seconds` of the program left alone, and its RSS (MB) at the end."""
    pid = pane.pid()
    cpu_before, wall_before = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    cpu_after, wall_after = cpu_seconds(pid), time.monotonic()
    return 100 * (cpu_after - cpu_before) / (wall_after - wall_before), rss_mb(pid)


def median(samples: Sequence[float]) -> float:
    return statistics.median(samples)


__all__ = ["BARE", "CTTUI", "MAIN"]
