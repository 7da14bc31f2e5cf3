"""How fast the headless commands start, as ratios to a bare Python start in the same run.

`cttui --help` and `--version` must not pay for Textual, httpx or keyring; `cttui count` pays for
httpx only; `cttui credentials list` reads config.toml without the keyring; `cttui favorites`
reads favorites.toml and the journal; `cttui jobs` reads the journal. Run with `make bench`.

`--against REV` (`make bench AGAINST=REV`) times another revision's `cttui/` too, taken from git
into a temporary directory: both trees run as `python -m cttui`, each command alternately on one
and the other in the same run, and the table gives each tree's ratio and new/old.

A run's cost is the CPU time (user + system) the child process used, from `os.wait4`: on a busy
or small machine it moves far less than the wall clock. The least of many runs is the figure
(noise only ever adds); new/old is given both as the ratio of the least times and as the median
of each round's own ratio, whose two runs were side by side. Byte-code is written and each
command run once before it is timed: what a user's second run costs, not Python compiling cttui
(PYTHONDONTWRITEBYTECODE, set on some machines, would otherwise make every run pay for it).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import NamedTuple

from cttui.api.models import DateRange, Query
from cttui.api.ranges import RangePreset
from cttui.api.regions import get_region
from cttui.emulator import Emulator, EmulatorConfig
from cttui.records import Attempt, JobRecord, JobState, Origin
from cttui.store.config import Config, Profile, save_config
from cttui.store.favorites import Favorite
from cttui.store.favorites_store import FavoritesStore
from cttui.store.journal import Journal
from cttui.store.journal_rows import job_row, run_of

RUNS = 31
FAVORITES = 30
JOBS = 50
ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


class Command(NamedTuple):
    label: str
    # After `cttui`; None for a bare Python command (the same for both trees).
    arguments: tuple[str, ...] | None
    python: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()


def cpu_seconds(argv: Sequence[str], env: dict[str, str]) -> float:
    """The CPU time (user + system) one run of `argv` took, its output thrown away."""
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
    ]
    pid = os.posix_spawn(argv[0], list(argv), env, file_actions=actions)
    _, status, usage = os.wait4(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv)} exited with {os.waitstatus_to_exitcode(status)}")
    return usage.ru_utime + usage.ru_stime


def warm(argv: Sequence[str], env: dict[str, str]) -> None:
    """One untimed run: byte-code written, caches filled, and a failure told with its stderr."""
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited with {done.returncode}:\n{done.stderr}")


class Tree(NamedTuple):
    name: str
    # None: the installed cttui's own script; else a directory holding a cttui/ to run.
    root: Path | None

    def argv(self, command: Command) -> list[str]:
        if command.arguments is None:
            return [sys.executable, *command.python]
        if self.root is None:
            return [str(BIN / "cttui"), *command.arguments]
        return [sys.executable, "-m", "cttui", *command.arguments]

    def env(self, command: Command, base: dict[str, str]) -> dict[str, str]:
        env = base | dict(command.env)
        if self.root is not None:
            env["PYTHONPATH"] = os.pathsep.join(
                [str(self.root), *filter(None, [base.get("PYTHONPATH")])]
            )
        return env


def check_tree(tree: Tree, env: dict[str, str]) -> None:
    """That `python -m cttui` runs `tree`'s own cttui (a cttui/ in the working directory would
    come first)."""
    if tree.root is None:
        return
    command = Command("where", None, ("-c", "import cttui; print(cttui.__file__)"))
    found = subprocess.run(
        tree.argv(command), env=tree.env(command, env), capture_output=True, text=True, check=True
    ).stdout.strip()
    if not Path(found).is_relative_to(tree.root):
        raise SystemExit(f"{tree.name}: python -m cttui runs {found}, not {tree.root}")


def measure(
    commands: Sequence[Command], trees: Sequence[Tree], env: dict[str, str], runs: int
) -> dict[tuple[str, str], list[float]]:
    """Every command on every tree `runs` times, interleaved: round by round, command by
    command, the trees in turn (and in the other order the next round), so that a slow spell
    of the machine falls on all of them alike."""
    for tree in trees:
        check_tree(tree, env)
    plan = [
        (command, tree)
        for command in commands
        for tree in (trees if command.arguments is not None else trees[:1])
    ]
    for command, tree in plan:
        warm(tree.argv(command), tree.env(command, env))
    times: dict[tuple[str, str], list[float]] = {}
    for round_ in range(runs):
        for command in commands:
            turn = trees if command.arguments is not None else trees[:1]
            for tree in turn if round_ % 2 == 0 else list(reversed(turn)):
                seconds = cpu_seconds(tree.argv(command), tree.env(command, env))
                times.setdefault((command.label, tree.name), []).append(seconds)
    return times


def seed_journal(
    path: Path, origin: Origin, today: date, *, jobs: int = JOBS, favorites: int = FAVORITES
) -> None:
    """`jobs` finished jobs, `favorites` of them for the saved favourites (their counts in their
    history), each with the POST and the poll that answered it, as the job runner keeps them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    journal = Journal.open(path)
    try:
        started = time.time() - 3600
        for number in range(jobs):
            favorite = f"Favourite {number}" if number < favorites else None
            query = Query("Charged", DateRange(today - timedelta(days=7), today))
            record = JobRecord(
                0, origin, query, JobState.QUEUED, created=started + number, favorite=favorite
            )
            record.id = journal.create(record)
            for kind, answer in (("post", "accepted"), ("poll", "done")):
                record.req_id = f"req-{number}"
                record.state = JobState.DONE if kind == "poll" else JobState.PENDING
                record.count = 1000 + number if kind == "poll" else None
                record.polls = int(kind == "poll")
                record.updated = record.finished = started + number + 2
                attempt = Attempt(started + number + 1, kind, answer, 200, 0.05)
                journal.save(record.id, job_row(record), attempt, run_of(record))
    finally:
        journal.close()


def headless_commands(count_state: str, jobs_state: str, today: date) -> list[Command]:
    """`count` keeps its jobs apart: the journal the listings read stays at JOBS jobs."""
    count = (
        "count", "Charged",
        "--from", (today - timedelta(days=7)).isoformat(), "--to", today.isoformat(),
    )  # fmt: skip
    listing = (("XDG_STATE_HOME", jobs_state),)
    return [
        Command("python -c pass (baseline)", None, ("-c", "pass")),
        Command("cttui --version", ("--version",)),
        Command("cttui --help", ("--help",)),
        Command("cttui count (7 days, emulator)", count, env=(("XDG_STATE_HOME", count_state),)),
        Command("cttui credentials list", ("credentials", "list"), env=listing),
        Command(f"cttui favorites ({FAVORITES} saved)", ("favorites",), env=listing),
        Command(f"cttui jobs ({JOBS} in the journal)", ("jobs",), env=listing),
    ]


APP_IMPORTS = [
    Command("python -c 'import textual.app'", None, ("-c", "import textual.app")),
    Command("python -c 'import cttui.tui.app'", None, ("-c", "import cttui.tui.app")),
]


def extract(revision: str, into: Path) -> None:
    """`revision`'s cttui/ under `into`, from git."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", revision, "cttui"], capture_output=True, check=False
    )
    if archive.returncode != 0:
        raise SystemExit(f"git archive {revision}: {archive.stderr.decode().strip()}")
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)


def report(
    commands: Sequence[Command], trees: Sequence[Tree], times: dict[tuple[str, str], list[float]]
) -> None:
    runs = len(next(iter(times.values())))
    baseline_label = commands[0].label
    if len(trees) == 1:
        print(f"least CPU time (user + sys) of {runs} runs each; ratio = time / baseline")
        base = min(times[baseline_label, trees[0].name])
        for command in commands:
            seconds = min(times[command.label, trees[0].name])
            print(f"  {command.label:<36} {seconds * 1000:7.1f} ms  x{seconds / base:5.2f}")
        return
    new, old = trees
    base = min(times[baseline_label, new.name])
    print(
        f"least CPU time (user + sys) of {runs} interleaved runs each; ratio = time / baseline"
        f" ({base * 1000:.1f} ms); paired: the median of each round's new/old"
    )
    print(f"  {'':<36} {'new':>14} {old.name:>14} {'new/old':>8} {'paired':>7}")
    for command in commands[1:]:
        new_times, old_times = times[command.label, new.name], times[command.label, old.name]
        least_new, least_old = min(new_times), min(old_times)
        paired = statistics.median(a / b for a, b in zip(new_times, old_times, strict=True))
        print(
            f"  {command.label:<36} {least_new * 1000:6.1f} ms x{least_new / base:4.2f}"
            f" {least_old * 1000:6.1f} ms x{least_old / base:4.2f}"
            f" {least_new / least_old:8.2f} {paired:7.2f}"
        )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.startup", description=__doc__)
    parser.add_argument(
        "--against", metavar="REV", help="also time REV's cttui/ (from git), interleaved"
    )
    parser.add_argument("--runs", type=int, default=RUNS, help=f"runs of each (default {RUNS})")
    options = parser.parse_args(argv)
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    emulator_defaults = EmulatorConfig()
    today = date.today()
    with (
        Emulator(EmulatorConfig(profiles=2_000, events=50_000, today=today)) as emulator,
        tempfile.TemporaryDirectory() as config_home,
        tempfile.TemporaryDirectory() as count_state,
        tempfile.TemporaryDirectory() as jobs_state,
        tempfile.TemporaryDirectory() as old_root,
        tempfile.TemporaryDirectory() as elsewhere,
        contextlib.chdir(elsewhere),  # `python -m` looks in the working directory first
    ):
        save_config(
            Config((Profile("work", "W9R-486-4W5Z", get_region("in1")),)),
            Path(config_home) / "cttui" / "config.toml",
        )
        store = FavoritesStore(Path(config_home) / "cttui" / "favorites.toml")
        for number in range(FAVORITES):
            store.save(Favorite(f"Favourite {number}", "Charged", dates=RangePreset.LAST_7_DAYS))
        origin = Origin(emulator_defaults.account_id, emulator.base_url, None)
        seed_journal(Path(jobs_state) / "cttui" / "journal.sqlite3", origin, today)
        env |= {
            "XDG_CONFIG_HOME": config_home,
            "CTTUI_BASE_URL": emulator.base_url,
            "CLEVERTAP_ACCOUNT_ID": emulator_defaults.account_id,
            "CLEVERTAP_PASSCODE": emulator_defaults.passcode,
        }
        commands = headless_commands(count_state, jobs_state, today)
        if options.against is None:
            trees = [Tree("this tree", None)]
            commands += APP_IMPORTS
        else:
            extract(options.against, Path(old_root))
            trees = [Tree("this tree", ROOT), Tree(options.against, Path(old_root))]
        times = measure(commands, trees, env, options.runs)
    report(commands, trees, times)


if __name__ == "__main__":
    main()
