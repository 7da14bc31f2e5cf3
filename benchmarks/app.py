"""How the app feels: its start, a key's echo, the job list's cursor, submitting 500 jobs, idle
CPU and memory, a long history; each run in a private tmux against the emulator on loopback.

Every figure is the median of its runs (each run a fresh process in a fresh HOME), after one
untimed warm-up; where there is a baseline (the bare Textual app, or the app with no jobs) the
two alternate run by run. A key's latency is from `tmux send-keys` to the first `capture-pane`
that shows it, captured in a tight loop: both ends cost a tmux round trip, which the bare
app's typing measures (the floor, given in the notes).

    python -m benchmarks.app [--short] [--only KEY] [--peers]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from functools import partial
from pathlib import Path
from typing import NamedTuple

from benchmarks.app_measure import (
    BARE,
    CTTUI,
    MAIN,
    Bare,
    cursor,
    event_line,
    p95,
    running,
    started,
    submit,
    typing,
)
from benchmarks.app_setup import EMULATOR, Home, seed_finished, seed_pending
from benchmarks.app_tmux import Server, cpu_seconds, rss_mb
from benchmarks.result import Figure, Spread
from cttui.emulator import Emulator

PENDING = 500
SUBMITTED = 500


class Plan(NamedTuple):
    runs: int
    idle_seconds: float
    histories: tuple[int, ...]
    peers: bool


def plan(short: bool, peers: bool) -> Plan:
    if short:
        return Plan(runs=3, idle_seconds=5.0, histories=(1_000,), peers=False)
    return Plan(runs=10, idle_seconds=30.0, histories=(10_000, 100_000), peers=peers)


class Bench:
    """The emulator, the tmux server, the seeded journals and the bare app, for every figure."""

    def __init__(self, stack: ExitStack) -> None:
        self.emulator = stack.enter_context(Emulator(EMULATOR))
        self.server = stack.enter_context(Server())
        self._seeds = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cttui-seeds-")))
        self.bare = Bare()
        stack.callback(self.bare.close)
        self._journals: dict[tuple[str, int], Path] = {}

    def journal(self, kind: str, jobs: int) -> Path | None:
        """A template journal of `jobs` finished or pending jobs (None: no journal at all)."""
        if jobs == 0:
            return None
        path = self._journals.get((kind, jobs))
        if path is None:
            path = self._seeds / f"{kind}-{jobs}.sqlite3"
            seed = seed_pending if kind == "pending" else seed_finished
            seed(path, self.emulator, jobs)
            self._journals[kind, jobs] = path
        return path

    @contextmanager
    def home(self, kind: str = "finished", jobs: int = 0) -> Iterator[Home]:
        with Home(self.emulator, self.journal(kind, jobs)) as home:
            yield home


def interleaved(
    runs: int, arms: Sequence[Callable[[], float]], warm: bool = True
) -> list[list[float]]:
    """Each arm `runs` times, in turn (reversed every other round), after one warm-up each."""
    if warm:
        for arm in arms:
            arm()
    results: list[list[float]] = [[] for _ in arms]
    for round_ in range(runs):
        order = list(enumerate(arms))
        for index, arm in order if round_ % 2 == 0 else reversed(order):
            results[index].append(arm())
    return results


def ratio_holds(measured: Spread, baseline: Spread, most: float) -> bool:
    return baseline.median > 0 and measured.median / baseline.median <= most


# The figures


def startup(bench: Bench, plan: Plan) -> list[Figure]:
    def app() -> float:
        with bench.home() as home:
            return started(bench.server, [CTTUI], home.env, MAIN)

    def bare() -> float:
        with bench.home() as home:
            return started(bench.server, bench.bare.argv(), home.env, BARE)

    mine, theirs = (Spread.of(s) for s in interleaved(plan.runs, [app, bare]))
    return [
        Figure(
            "startup", "app start to main screen (profile, empty journal)", "s", mine, theirs,
            "bare Textual app, one Static", "<= 1.3x", ratio_holds(mine, theirs, 1.3),
            "tmux new-session to the first capture-pane showing the main screen's preview "
            "title (the bare app's Static)",
        )
    ]  # fmt: skip


def keys(bench: Bench, plan: Plan) -> list[Figure]:
    """Typing with 500 pending polling each second, with no jobs, in the bare app (the floor),
    and the job list's cursor over 10 and 500 finished jobs: all in one interleaved loop."""

    def typed(kind: str, jobs: int, poll: str | None) -> float:
        with bench.home(kind, jobs) as home:
            env = home.env | ({"CTTUI_POLL_INTERVAL": poll} if poll else {})
            with running(bench.server, [CTTUI], env) as pane:
                pane.wait_for(MAIN)
                if jobs:
                    # Polling under way: the first round of polls has gone out.
                    pane.wait_for(r"^│ Job \d+,", limit=60)
                    time.sleep(2)
                return p95(typing(pane, event_line)) * 1000

    def floor() -> float:
        with bench.home() as home, running(bench.server, bench.bare.argv(True), home.env) as pane:
            pane.wait_for(BARE)
            return p95(typing(pane, lambda screen: screen)) * 1000

    def moved(jobs: int) -> float:
        with bench.home("finished", jobs) as home, running(bench.server, [CTTUI], home.env) as pane:
            pane.wait_for(MAIN)
            return p95(cursor(pane, jobs, 40 if jobs > 40 else jobs - 1)) * 1000

    arms = [
        lambda: typed("pending", PENDING, "1"),
        lambda: typed("finished", 0, "1"),
        floor,
        lambda: moved(10),
        lambda: moved(PENDING),
    ]
    pending, none, bare, ten, many = (Spread.of(s) for s in interleaved(plan.runs, arms))
    floor_note = (
        f"the bare Textual app's typing (one Input), the floor of send-keys + capture-pane: "
        f"p95 {bare.median:.1f} ms"
    )
    typing_label = f"typing in the event field, {PENDING} pending polling at 1 s: p95"
    return [
        Figure(
            "keys_typing_500_pending", typing_label, "ms", pending, none,
            "the same, no jobs", "<= 1.5x and < 50 ms",
            ratio_holds(pending, none, 1.5) and pending.median < 50,
            f"40 characters typed one at a time, each from send-keys to the capture showing "
            f"it; {floor_note}",
        ),
        Figure(
            "keys_cursor_10_jobs", "job list cursor (down), 10 finished jobs: p95", "ms", ten,
            none, "typing, no jobs", "< 50 ms", ten.median < 50,
            f"9 down arrows, each to the capture whose detail line names the next job; "
            f"{floor_note}",
        ),
        Figure(
            "keys_cursor_500_jobs", f"job list cursor (down), {PENDING} finished jobs: p95",
            "ms", many, none, "typing, no jobs", "< 50 ms", many.median < 50,
            f"40 down arrows (200 of the jobs listed); {floor_note}",
        ),
    ]  # fmt: skip


def submitting(bench: Bench, plan: Plan) -> list[Figure]:
    waits: list[float] = []
    slowest: list[float] = []

    def run() -> float:
        with bench.home() as home, running(bench.server, [CTTUI], home.env) as pane:
            seconds, probes = submit(pane, home, SUBMITTED)
        slowest.append(max(probes) * 1000)
        waits.append(seconds)
        return seconds

    interleaved(plan.runs, [run])
    del waits[:1], slowest[:1]  # the warm-up
    measured = Spread.of(waits)
    worst = Spread.of(slowest)
    answered = worst.most < 1000
    return [
        Figure(
            "submit_500", f"{SUBMITTED} jobs submitted from the app (ctrl+r) until all journaled",
            "s", measured, None, "", "< 2 s", measured.median < 2 and answered,
            f"ctrl+r {SUBMITTED} times in batches of 100, a key typed (and erased) once each "
            f"batch was journaled, while its POSTs went out: the slowest key's echo per run, "
            f"median {worst.median:.0f} ms (least {worst.least:.0f}, most {worst.most:.0f}); "
            "the journal polled read-only",
        )
    ]  # fmt: skip


def idling(bench: Bench, plan: Plan) -> list[Figure]:
    """The app with 500 pending (default interval, 30 s) and with none, side by side in two
    sessions each round: CPU over the window and RSS at its end."""
    settle = min(10.0, plan.idle_seconds)
    cpu: dict[int, list[float]] = {PENDING: [], 0: []}
    rss: dict[int, list[float]] = {PENDING: [], 0: []}

    def both() -> float:
        with ExitStack() as stack:
            panes = {}
            for jobs in (PENDING, 0):
                home = stack.enter_context(bench.home("pending", jobs))
                panes[jobs] = stack.enter_context(running(bench.server, [CTTUI], home.env))
            for pane in panes.values():
                pane.wait_for(MAIN)
            panes[PENDING].wait_for(r"^│ Job \d+,")
            # The first polls go out at once: the window starts once they are answered.
            time.sleep(settle)
            pid = {jobs: pane.pid() for jobs, pane in panes.items()}
            before = {jobs: cpu_seconds(p) for jobs, p in pid.items()}
            begun = time.monotonic()
            time.sleep(plan.idle_seconds)
            wall = time.monotonic() - begun
            for jobs, p in pid.items():
                cpu[jobs].append(100 * (cpu_seconds(p) - before[jobs]) / wall)
                rss[jobs].append(rss_mb(p))
        return 0.0

    interleaved(plan.runs, [both], warm=False)
    busy, quiet = Spread.of(cpu[PENDING]), Spread.of(cpu[0])
    big, small = Spread.of(rss[PENDING]), Spread.of(rss[0])
    return [
        Figure(
            "idle_cpu_500_pending", f"idle CPU, {PENDING} pending (30 s poll interval)", "%",
            busy, quiet, "no jobs", "< 5%", busy.median < 5,
            f"/proc/PID/stat utime+stime over {plan.idle_seconds:g} s, as % of one core, from "
            f"{settle:g} s after the jobs were listed; the two apps side by side each round",
        ),
        Figure(
            "idle_rss_500_pending", f"RSS, {PENDING} pending", "MB", big, small, "no jobs",
            "<= 1.5x", ratio_holds(big, small, 1.5), "VmRSS at the end of the idle window",
        ),
    ]  # fmt: skip


def histories(bench: Bench, plan: Plan) -> list[Figure]:
    figures = []
    for jobs in plan.histories:
        rss: dict[int, list[float]] = {jobs: [], 0: []}
        listed: list[float] = []

        def answered(
            count: int, rss: dict[int, list[float]] = rss, listed: list[float] = listed
        ) -> float:
            with bench.home("finished", count) as home:
                begun = time.monotonic()
                with running(bench.server, [CTTUI], home.env) as pane:
                    pane.wait_for(MAIN)
                    pane.keys("7", literal=True)
                    shown = pane.wait(lambda screen: "7" in event_line(screen), "the first key")
                    if count:
                        listed.append(pane.wait_for(f"^│ Job {count},") - begun)
                    rss[count].append(rss_mb(pane.pid()))
                return shown - begun

        many, none = (
            Spread.of(s)
            for s in interleaved(plan.runs, [partial(answered, jobs), partial(answered, 0)])
        )
        for samples in (*rss.values(), listed):
            del samples[:1]  # the warm-up
        big, small = Spread.of(rss[jobs]), Spread.of(rss[0])
        name = f"{jobs // 1000}k"
        figures += [
            Figure(
                f"history_{name}", f"start to first key answered, {jobs:,} finished jobs", "s",
                many, none, "empty journal", "<= 1.25x", ratio_holds(many, none, 1.25),
                f"the key sent once the main screen showed; the newest job listed after "
                f"{Spread.of(listed).median:.2f} s (median)",
            ),
            Figure(
                f"history_{name}_rss", f"RSS, {jobs:,} finished jobs", "MB", big, small,
                "empty journal", "<= 1.25x", ratio_holds(big, small, 1.25),
                "VmRSS once the newest job was listed",
            ),
        ]  # fmt: skip
    return figures


def peers(bench: Bench, plan: Plan) -> list[Figure]:
    from benchmarks.app_peers import peer_figures

    return peer_figures(bench.server, bench.bare, plan.runs)


FIGURES: dict[str, Callable[[Bench, Plan], list[Figure]]] = {
    "startup": startup,
    "keys": keys,
    "submit": submitting,
    "idle": idling,
    "history": histories,
    "peers": peers,
}
KEYS = {
    "startup": ("startup",),
    "keys": ("keys_typing_500_pending", "keys_cursor_10_jobs", "keys_cursor_500_jobs"),
    "submit": ("submit_500",),
    "idle": ("idle_cpu_500_pending", "idle_rss_500_pending"),
    "history": ("history_10k", "history_10k_rss", "history_100k", "history_100k_rss"),
    "peers": ("peer_posting_startup", "peer_harlequin_startup"),
}


def unmeasured(keys: Sequence[str], why: str) -> list[Figure]:
    nothing = Spread(0.0, 0.0, 0.0, 0)
    return [Figure(key, key, "", nothing, None, "", "", False, why) for key in keys]


def figures(short: bool, only: str | None = None, with_peers: bool | None = None) -> list[Figure]:
    """Every figure of the app (short: fewer runs, 1k history, no peers); never raises: a figure
    that cannot be measured comes back with holds=False and the reason in its note."""
    if with_peers is None:
        with_peers = bool(os.environ.get("CTTUI_BENCH_PEERS"))
    chosen = plan(short, with_peers)
    groups = [
        name
        for name, keys in KEYS.items()
        if (name != "peers" or chosen.peers) and (only is None or only in (name, *keys))
    ]
    results: list[Figure] = []
    try:
        with ExitStack() as stack:
            bench = Bench(stack)
            for name in groups:
                try:
                    made = FIGURES[name](bench, chosen)
                except Exception as error:  # a figure lost, not the run
                    why = "".join(traceback.format_exception_only(error)).strip()
                    made = unmeasured(KEYS[name], f"not measured: {why}")
                results += [f for f in made if only is None or only in (name, f.key)]
    except Exception as error:  # no emulator, or no tmux
        why = "".join(traceback.format_exception_only(error)).strip()
        keys = [k for name in groups for k in KEYS[name] if only in (None, name, k)]
        results += unmeasured(keys, f"not measured: {why}")
    return results


def describe(figure: Figure) -> str:
    m = figure.measured
    line = f"{figure.key:<24} {m.median:9.3f} {figure.unit:<3}"
    line += f" ({m.least:.3f}-{m.most:.3f}, n={m.runs})"
    if figure.baseline is not None:
        b = figure.baseline
        line += f"  vs {b.median:.3f} ({figure.baseline_label})"
        if figure.ratio is not None:
            line += f"  x{figure.ratio:.2f}"
    verdict = "holds" if figure.holds else "FAILS"
    line += f"  target {figure.target or '(info)'}: {verdict}"
    return f"{line}\n    {figure.label}. {figure.note}"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.app", description=__doc__)
    parser.add_argument("--short", action="store_true", help="2-3 runs, 5 s idle, 1k history")
    parser.add_argument("--only", metavar="KEY", help="one figure (or group) by its key")
    parser.add_argument("--peers", action="store_true", help="also posting and harlequin")
    options = parser.parse_args(argv)
    begun = time.monotonic()
    for figure in figures(options.short, options.only, options.peers or None):
        print(describe(figure), flush=True)
    print(f"({time.monotonic() - begun:.0f} s)")


if __name__ == "__main__":
    main()
