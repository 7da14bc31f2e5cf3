"""The headless figures of `make bench`: each `cttui` command against the least a program doing the
same must cost, and the waits against the ideal the protocol allows.

- `help`, `version`: `cttui --help` / `--version` against `python -c pass` (CPU time).
- `count`: `cttui count` against the emulator, answering at once, against a script sending the
  same POST with httpx (CPU time).
- `jobs_json_10k`: `cttui jobs --json` over 10,000 jobs against a script dumping the same JSON
  with sqlite3 and json (CPU time); `jobs_json_10k_memory`: its peak RSS against 1,000 jobs.
- `run_30_favorites`: `cttui run` of 30 favourites, the server taking 0.5 s a request, against
  30 / 3 in flight x 0.5 s (wall time).
- `requests_per_pending_job`: the requests the emulator served per job answered `partial` for
  T seconds, against 1 POST + ceil(T / poll interval) polls.

Each command runs as a child process (`os.posix_spawn`, its output to /dev/null) and its cost
is read from `os.wait4`: CPU time (user + system), wall time and peak RSS. A command and its
baseline run in turn, in the other order each round, after one untimed run each (byte-code
written, outputs compared), so that a slow spell of the machine falls on both alike.
"""

from __future__ import annotations

import contextlib
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import NamedTuple

from benchmarks.result import Figure, Spread
from benchmarks.startup import Tree as StartupTree
from benchmarks.startup import check_tree, extract, seed_journal
from cttui import __version__
from cttui.api.models import DateRange, Query
from cttui.api.regions import COUNT_PATH
from cttui.emulator import Emulator, EmulatorConfig
from cttui.records import Origin
from cttui.store.favorites import Favorite
from cttui.store.favorites_store import FavoritesStore

BIN = Path(sys.executable).parent
DEFAULTS = EmulatorConfig()
IN_FLIGHT = 3  # CleverTap's, and the emulator's max_concurrent
# The keys are the same in --short, whose sizes are smaller (the labels say them).
JOBS = "jobs_json_10k"
JOBS_MEMORY = "jobs_json_10k_memory"
RUN = "run_30_favorites"
PENDING = "requests_per_pending_job"
KEYS = ("help", "version", "count", JOBS, JOBS_MEMORY, RUN, PENDING)


@dataclass(frozen=True)
class Sizes:
    runs: int  # of each command figure
    jobs: int  # in the journal of jobs_json
    jobs_small: int  # what its memory is compared with
    favorites: int  # run by run_favorites
    latency: float  # of each of their requests
    favorite_runs: int
    pending_jobs: int  # run at once by requests_per_pending_job
    compute: float  # seconds their answers stay partial
    poll_interval: float
    pending_runs: int


FULL = Sizes(21, 10_000, 1_000, 30, 0.5, 5, 6, 2.2, 0.5, 5)
SHORT = Sizes(3, 1_000, 100, 6, 0.2, 2, 3, 0.6, 0.25, 2)


class Usage(NamedTuple):
    cpu: float  # seconds, user + system
    wall: float  # seconds
    rss: float  # peak resident set, MB


class Side(NamedTuple):
    """One program a figure runs: its argv and environment."""

    argv: tuple[str, ...]
    env: dict[str, str]


def run_once(side: Side) -> Usage:
    """One run of `side`, its output thrown away."""
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
    ]
    started = time.perf_counter()
    pid = os.posix_spawn(side.argv[0], list(side.argv), side.env, file_actions=actions)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{' '.join(side.argv)} exited with {code}")
    # ru_maxrss is in KiB on Linux.
    return Usage(usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss / 1024)


def warm(side: Side) -> str:
    """One untimed run: byte-code written, caches filled; its output, or its failure told with
    its stderr."""
    done = subprocess.run(side.argv, env=side.env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(side.argv)} exited with {done.returncode}:\n{done.stderr}")
    return done.stdout


def interleave(sides: dict[str, Side], runs: int) -> dict[str, list[Usage]]:
    """Every side `runs` times, in turn, in the other order every second round."""
    names = list(sides)
    usages: dict[str, list[Usage]] = {name: [] for name in names}
    for round_ in range(runs):
        for name in names if round_ % 2 == 0 else reversed(names):
            usages[name].append(run_once(sides[name]))
    return usages


def spread(usages: Sequence[Usage], what: Callable[[Usage], float], scale: float = 1.0) -> Spread:
    return Spread.of([what(usage) * scale for usage in usages])


def cpu_ms(usages: Sequence[Usage]) -> Spread:
    return spread(usages, lambda usage: usage.cpu, 1000)


def at_most(limit: float, measured: Spread, baseline: Spread) -> bool:
    return measured.median <= limit * baseline.median


# The baselines: what a program doing the same must cost at the least.

COUNT_SCRIPT = """\
import os, ssl, sys
import httpx
# As cttui.api.client sends it: the same headers and body, no CA bundle loaded for plain http,
# no proxy from the environment.
headers = {{
    "User-Agent": {agent!r},
    "Accept-Encoding": "gzip",
    "X-CleverTap-Account-Id": os.environ["CLEVERTAP_ACCOUNT_ID"],
    "X-CleverTap-Passcode": os.environ["CLEVERTAP_PASSCODE"],
}}
with httpx.Client(
    base_url=os.environ["CTTUI_BASE_URL"], headers=headers, timeout=30.0,
    follow_redirects=False, verify=ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT), trust_env=False,
) as client:
    answer = client.post(
        {path!r}, content={body!r}, headers={{"Content-Type": "application/json"}}
    )
    answer.raise_for_status()
    print(answer.json()["count"])
"""

JOBS_SCRIPT = """\
import json, sqlite3, sys
from datetime import datetime

def when(at):
    return None if at is None else datetime.fromtimestamp(int(at)).isoformat()

db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
db.row_factory = sqlite3.Row
attempts = {}
for row in db.execute("SELECT * FROM attempts ORDER BY rowid"):
    attempts.setdefault(row["job_id"], []).append({
        "at": when(row["at"]), "kind": row["kind"], "answer": row["answer"],
        "http_status": row["http_status"], "seconds": round(row["seconds"], 3),
        "resubmission": bool(row["resubmission"]),
    })
jobs = [
    {
        "id": row["id"], "state": row["state"], "count": row["count"], "req_id": row["req_id"],
        "error": row["error"], "http_status": row["http_status"], "polls": row["polls"],
        "retries": row["retries"], "favorite": row["favorite"], "profile": row["profile"],
        "account_id": row["account_id"], "base_url": row["base_url"],
        "body": None if row["body"] is None else json.loads(row["body"]),
        "created": when(row["created"]), "finished": when(row["finished"]),
        "attempts": attempts.get(row["id"], []),
    }
    for row in db.execute("SELECT * FROM jobs ORDER BY id")
]
# As cttui writes it: a JSON array of one compact job a line.
encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
sys.stdout.write("[\\n  " + ",\\n  ".join(map(encode, jobs)) + "\\n]\\n" if jobs else "[]\\n")
"""


class Bench:
    """The emulators, directories and environment the figures share, and the figures."""

    def __init__(self, root: Path, sizes: Sizes, wanted: Callable[[str], bool]) -> None:
        self.root = root
        self.sizes = sizes
        self.wanted = wanted
        self.today = date.today()
        self.env = dict(os.environ)
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)  # byte-code written, as for a user
        self.env |= {
            "XDG_CONFIG_HOME": str(root / "config"),
            "XDG_STATE_HOME": str(root / "state"),
            "CLEVERTAP_ACCOUNT_ID": DEFAULTS.account_id,
            "CLEVERTAP_PASSCODE": DEFAULTS.passcode,
        }
        self.favorites = FavoritesStore(root / "config" / "cttui" / "favorites.toml")

    def cttui(self, *arguments: str, **env: str) -> Side:
        return Side((str(BIN / "cttui"), *arguments), self.env | env)

    def python(self, *arguments: str, **env: str) -> Side:
        return Side((sys.executable, *arguments), self.env | env)

    def script(self, name: str, text: str) -> Path:
        path = self.root / f"{name}.py"
        path.write_text(text)
        return path

    def state(self, name: str) -> str:
        """A state directory (journal) of its own."""
        path = self.root / f"state-{name}"
        path.mkdir(exist_ok=True)
        return str(path)

    def seeded(self, jobs: int, origin: Origin) -> tuple[str, Path]:
        """A state directory whose journal holds `jobs` finished jobs, and the journal."""
        state = self.state(f"jobs-{jobs}")
        journal = Path(state) / "cttui" / "journal.sqlite3"
        seed_journal(journal, origin, self.today, jobs=jobs, favorites=0)
        return state, journal

    def count_query(self) -> Query:
        return Query("Charged", DateRange(self.today - timedelta(days=7), self.today))

    # The figures

    def commands(self, emulator: Emulator, against: str | None) -> list[Figure]:
        """help, version, count and jobs_json_10k (with its memory), interleaved in one loop."""
        sizes = self.sizes
        query = self.count_query()
        count_args = (
            "count", "Charged",
            "--from", query.date_range.start.isoformat(), "--to", query.date_range.end.isoformat(),
        )  # fmt: skip
        origin = Origin(DEFAULTS.account_id, emulator.base_url, None)
        # Each figure's command as `cttui ARGUMENTS` with more environment, and its baseline.
        plans: dict[str, tuple[tuple[str, ...], dict[str, str], Side]] = {}
        bare = self.python("-c", "pass")
        if self.wanted("help"):
            plans["help"] = (("--help",), {}, bare)
        if self.wanted("version"):
            plans["version"] = (("--version",), {}, bare)
        if self.wanted("count"):
            script = self.script(
                "count_baseline",
                COUNT_SCRIPT.format(
                    agent=f"cttui/{__version__}", path=COUNT_PATH, body=query.to_json().encode()
                ),
            )
            env = {"CTTUI_BASE_URL": emulator.base_url, "XDG_STATE_HOME": self.state("count")}
            plans["count"] = (count_args, env, self.python(str(script), **env))
        memory = self.wanted(JOBS_MEMORY)
        if self.wanted(JOBS) or memory:
            state, journal = self.seeded(sizes.jobs, origin)
            script = self.script("jobs_baseline", JOBS_SCRIPT)
            baseline = self.python(str(script), str(journal))
            plans[JOBS] = (("jobs", "--json"), {"XDG_STATE_HOME": state}, baseline)
        sides: dict[str, Side] = {}
        for key, (arguments, env, baseline) in plans.items():
            sides[key] = self.cttui(*arguments, **env)
            # One name for one program: `python -c pass` runs once a round for help and version.
            sides.setdefault(baseline_name(key, baseline, bare), baseline)
        if memory and JOBS in plans:
            small_state, _ = self.seeded(sizes.jobs_small, origin)
            sides[f"{JOBS} small"] = self.cttui("jobs", "--json", XDG_STATE_HOME=small_state)
        if against is not None:
            sides |= self.trees(against, {key: plan[:2] for key, plan in plans.items()})
        outputs = {name: warm(side) for name, side in sides.items()}
        for key in ("count", JOBS):
            # A baseline doing less than cttui would prove nothing.
            if key in plans and outputs[key] != outputs[f"{key} baseline"]:
                raise SystemExit(f"{key}: cttui and its baseline printed different outputs")
        usages = interleave(sides, sizes.runs)
        for key, (_, _, baseline) in plans.items():
            usages[f"{key} baseline"] = usages[baseline_name(key, baseline, bare)]
        return self.command_figures(usages, memory, against)

    def trees(
        self, against: str, arguments: dict[str, tuple[tuple[str, ...], dict[str, str]]]
    ) -> dict[str, Side]:
        """The commands run as `python -m cttui` from this tree and from `against`'s, for
        `--against`."""
        old_root = self.root / "against"
        old_root.mkdir()
        extract(against, old_root)
        this = StartupTree("this tree", Path(__file__).resolve().parent.parent)
        old = StartupTree(against, old_root)
        sides: dict[str, Side] = {}
        for tree, name in ((this, "tree"), (old, "against")):
            check_tree(tree, self.env)
            for key, (argv, env) in arguments.items():
                python_path = os.pathsep.join(filter(None, [str(tree.root), env.get("PYTHONPATH")]))
                sides[f"{key} {name}"] = Side(
                    (sys.executable, "-m", "cttui", *argv),
                    self.env | env | {"PYTHONPATH": python_path},
                )
        return sides

    def command_figures(
        self, usages: dict[str, list[Usage]], memory: bool, against: str | None
    ) -> list[Figure]:
        sizes = self.sizes
        cpu = "CPU time (user + sys) of the child, from wait4"
        rows = {
            "help": ("cttui --help", "python -c pass", 3.0, f"{cpu}; same venv"),
            "version": ("cttui --version", "python -c pass", 3.0, f"{cpu}; same venv"),
            "count": (
                "cttui count (7 days, emulator)",
                "httpx script, same POST",
                1.15,
                f"{cpu}; the emulator answers at once; cttui also writes its journal",
            ),
            JOBS: (
                f"cttui jobs --json ({sizes.jobs:,} jobs)",
                "sqlite3 + json script",
                1.2,
                f"{cpu}; the same JSON, checked byte for byte",
            ),
        }
        figures = []
        for name, (label, baseline_label, limit, note) in rows.items():
            if name not in usages:
                continue
            measured, baseline = cpu_ms(usages[name]), cpu_ms(usages[f"{name} baseline"])
            figures.append(
                Figure(
                    name, label, "ms", measured, baseline, baseline_label,
                    f"<= {limit:g}x", at_most(limit, measured, baseline), note,
                )
            )  # fmt: skip
            if against is not None:
                new = cpu_ms(usages[f"{name} tree"])
                old = cpu_ms(usages[f"{name} against"])
                figures.append(
                    Figure(
                        f"{name}_against", f"{label}: this tree / {against}",
                        "ms", new, old, f"{against} (python -m cttui)", "<= 1.1x",
                        at_most(1.1, new, old), f"{cpu}; both trees as python -m cttui",
                    )
                )  # fmt: skip
        if memory:
            rss = [usage.rss for usage in usages[JOBS]]
            small = [usage.rss for usage in usages[f"{JOBS} small"]]
            measured, baseline = Spread.of(rss), Spread.of(small)
            figures.append(
                Figure(
                    JOBS_MEMORY,
                    f"cttui jobs --json peak RSS ({sizes.jobs:,} jobs)",
                    "MB", measured, baseline, f"{sizes.jobs_small:,} jobs", "<= 1.1x (flat)",
                    at_most(1.1, measured, baseline), "ru_maxrss of the child, from wait4",
                )
            )  # fmt: skip
        return figures

    def run_favorites(self) -> Figure:
        """`cttui run` of N favourites, each request taking `latency` on the server."""
        sizes = self.sizes
        names = [f"run-{number}" for number in range(sizes.favorites)]
        for number, name in enumerate(names):
            # Each its own query (1 to N days), all short enough to be answered at once.
            days = DateRange(self.today - timedelta(days=number % 30), self.today)
            self.favorites.save(Favorite(name, "Charged", dates=days))
        config = EmulatorConfig(profiles=200, events=5_000, today=self.today, latency=sizes.latency)
        with Emulator(config) as emulator:
            side = self.cttui(
                "run", *names, CTTUI_BASE_URL=emulator.base_url, XDG_STATE_HOME=self.state("run")
            )
            warm(side)
            usages = [run_once(side) for _ in range(sizes.favorite_runs)]
            most = emulator.max_in_flight
        ideal = math.ceil(sizes.favorites / IN_FLIGHT) * sizes.latency
        measured = spread(usages, lambda usage: usage.wall)
        return Figure(
            RUN,
            f"cttui run ({sizes.favorites} favourites, {sizes.latency:g} s latency)",
            "s", measured, Spread.of([ideal]),
            f"ideal: {sizes.favorites}/{IN_FLIGHT} in flight x {sizes.latency:g} s",
            "<= 1.1x", at_most(1.1, measured, Spread.of([ideal])),
            f"wall time of the child, startup included; the server saw at most {most} in flight",
        )  # fmt: skip

    def requests_per_pending_job(self) -> Figure:
        """`cttui run` of favourites the emulator answers `partial` for `compute` seconds."""
        sizes = self.sizes
        names = [f"pending-{number}" for number in range(sizes.pending_jobs)]
        for number, name in enumerate(names):
            days = DateRange(self.today - timedelta(days=number), self.today)
            self.favorites.save(Favorite(name, "Charged", dates=days))
        config = EmulatorConfig(
            profiles=200, events=5_000, today=self.today,
            partial_after_days=0, compute_seconds=sizes.compute,
        )  # fmt: skip
        ratios = []
        with Emulator(config) as emulator:
            side = self.cttui(
                "run", *names, "--poll-interval", f"{sizes.poll_interval:g}",
                CTTUI_BASE_URL=emulator.base_url, XDG_STATE_HOME=self.state("pending"),
            )  # fmt: skip
            warm(side)
            for _ in range(sizes.pending_runs):
                emulator.reset_log()
                run_once(side)
                ratios.append(len(emulator.requests) / len(names))
        ideal = 1 + math.ceil(sizes.compute / sizes.poll_interval)
        measured = Spread.of(ratios)
        return Figure(
            PENDING,
            f"requests per pending job ({sizes.pending_jobs} at once, partial {sizes.compute:g} s)",
            "requests", measured, Spread.of([ideal]),
            f"1 POST + ceil({sizes.compute:g} s / {sizes.poll_interval:g} s) polls",
            "= 1.00x (stays equal)", round(measured.median, 2) == ideal,
            "requests in the emulator's log / jobs; cttui run --poll-interval "
            f"{sizes.poll_interval:g}",
        )  # fmt: skip


def baseline_name(key: str, baseline: Side, bare: Side) -> str:
    return "python -c pass" if baseline == bare else f"{key} baseline"


@contextlib.contextmanager
def bench(sizes: Sizes, wanted: Callable[[str], bool]) -> Iterator[Bench]:
    with tempfile.TemporaryDirectory(prefix="cttui-bench-") as root:
        elsewhere = Path(root) / "elsewhere"
        elsewhere.mkdir()
        with contextlib.chdir(elsewhere):  # `python -m` looks in the working directory first
            yield Bench(Path(root), sizes, wanted)


def figures(
    short: bool, wanted: Callable[[str], bool] = lambda key: True, against: str | None = None
) -> list[Figure]:
    """Every headless figure `wanted` (by key)."""
    sizes = SHORT if short else FULL
    found: list[Figure] = []
    with bench(sizes, wanted) as setup:
        if any(wanted(key) for key in KEYS[:5]):
            config = EmulatorConfig(profiles=2_000, events=50_000, today=setup.today)
            with Emulator(config) as emulator:
                found += setup.commands(emulator, against)
        if wanted(RUN):
            found.append(setup.run_favorites())
        if wanted(PENDING):
            found.append(setup.requests_per_pending_job())
    return [figure for figure in found if wanted(figure.key)]
