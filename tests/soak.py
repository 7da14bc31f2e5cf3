"""The soak: hundreds of jobs through real cttui processes, several at once on one account,
against an emulator that fails, throttles, resets, dawdles and forgets.

`make soak` runs `python -m tests.soak` (300 jobs); tests/test_soak.py runs a short one. Every
job must end done with the count the server gave it, or failed with its error recorded; none
lost; no second POST for a job that had a req_id, but for the one re-POST of a req_id the server
forgot; never more than 3 requests in flight for the account, as the server counts them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from cttui.api.models import DateRange
from cttui.store.favorites import Favorite
from cttui.store.favorites_store import FavoritesStore
from tests.emulator_process import CTTUI, ServedEmulator, served_emulator
from tests.home import home_variables
from tests.tmux import Terminal

EVENTS = ("Charged", "App Launched", "Product Viewed", "Added To Cart", "Notification Clicked")
# Jobs per `cttui run`; and the share of the jobs the app runs (from its favourites screen).
FAVORITES_PER_RUN = 8
APP_SHARE = 5
FAULTS = (
    "--fail-rate", "0.2",
    "--throttle-rate", "0.1",
    "--reset-rate", "0.03",
    "--latency", "0.02",
    "--latency-jitter", "0.15",
    "--forget-rate", "0.05",
    "--partial-after-days", "31",
    "--compute-seconds", "0.4",
    "--max-concurrent", "3",
)  # fmt: skip
# Leave these to the soak: the user's own would point it elsewhere.
_LEAKY = ("CLEVERTAP_REGION", "CTTUI_BASE_URL", "DBUS_SESSION_BUS_ADDRESS", "CTTUI_DEBUG")
_FINISHED = ("done", "failed")


@dataclass(frozen=True)
class Plan:
    """One job to run: its favourite's name and the query, unique to it."""

    name: str
    event: str
    start: date
    end: date

    @property
    def body(self) -> dict[str, object]:
        return {
            "event_name": self.event,
            "from": int(self.start.strftime("%Y%m%d")),
            "to": int(self.end.strftime("%Y%m%d")),
        }


def plans(count: int, today: date) -> list[Plan]:
    """A third answered at once, the rest partial; no two with the same body, so that the
    server's log tells each job's requests apart."""
    made = []
    for index in range(count):
        if index % 3 == 0:
            end = today - timedelta(days=index % 300)
            start = end - timedelta(days=index // 300 * 20 + index % 20)
        else:
            end = today - timedelta(days=index % 30)
            start = today - timedelta(days=40 + index)
        made.append(Plan(f"soak-{index:04d}", EVENTS[index % len(EVENTS)], start, end))
    return made


def _key(body: object) -> str:
    return json.dumps(body, sort_keys=True)


@dataclass
class Report:
    jobs: int = 0
    app_jobs: int = 0
    done: int = 0
    failed: int = 0
    lost: int = 0
    max_in_flight: int = 0
    refused: int = 0
    second_posts: int = 0
    reposts_of_forgotten: int = 0
    requests: int = 0
    injected: dict[str, int] = field(default_factory=dict)
    wrong_counts: list[str] = field(default_factory=list)
    second_post_bodies: list[str] = field(default_factory=list)
    lost_jobs: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    failed_without_error: list[str] = field(default_factory=list)
    bad_exits: list[str] = field(default_factory=list)
    # For each second POST: the server's requests for its body and the journal's attempts.
    second_post_stories: list[str] = field(default_factory=list)
    # The server's request log, kept next to the HOME when the soak fails.
    server_log: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (
            self.lost
            or self.max_in_flight > 3
            or self.refused
            or self.second_posts
            or self.second_post_bodies
            or self.wrong_counts
            or self.failed_without_error
            or self.bad_exits
        )

    def summary(self) -> str:
        faults = ", ".join(f"{kind} {number}" for kind, number in self.injected.items())
        lines = [
            f"jobs {self.jobs} ({self.app_jobs} in the app): done {self.done}, "
            f"failed {self.failed}, lost {self.lost}",
            f"max in flight {self.max_in_flight} (the server's count; refused over the limit: "
            f"{self.refused})",
            f"second POSTs {self.second_posts}; re-POSTs of a forgotten req_id "
            f"{self.reposts_of_forgotten}",
            f"requests {self.requests} (injected: {faults})",
        ]
        lines += [f"wrong count: {line}" for line in self.wrong_counts]
        lines += [f"second POST: {line}" for line in self.second_post_bodies]
        lines += [f"lost: {line}" for line in self.lost_jobs]
        lines += [f"failed: {line}" for line in self.failures]
        lines += [f"failed without an error: {line}" for line in self.failed_without_error]
        lines += [f"bad exit: {line}" for line in self.bad_exits]
        lines += self.second_post_stories
        return "\n".join(lines)


def _bare(home: Path) -> dict[str, str]:
    """This environment, moved to `home`, with no keyring and nothing pointing elsewhere."""
    env = {name: value for name, value in os.environ.items() if name not in _LEAKY}
    env.update(home_variables(home))
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    return env


def commands(chosen: list[Plan]) -> Iterator[list[str]]:
    """Favourite runs (waiting, or not), single counts left pending, and resumes among them."""
    index = turn = 0
    while index < len(chosen):
        if turn % 3 == 2:
            plan = chosen[index]
            dates = ["--from", plan.start.isoformat(), "--to", plan.end.isoformat()]
            yield [CTTUI, "count", plan.event, *dates, "--no-wait"]
            index += 1
        else:
            batch = chosen[index : index + FAVORITES_PER_RUN]
            wait = [] if turn % 3 == 0 else ["--no-wait"]
            yield [CTTUI, "run", *(plan.name for plan in batch), *wait]
            index += len(batch)
        if turn % 4 == 3:
            yield [CTTUI, "jobs", "resume"]
        turn += 1


def _run(command: list[str], env: dict[str, str]) -> str | None:
    """Run one cttui; a line naming it when it exited badly (2 or worse, or a traceback)."""
    result = subprocess.run(
        command,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    err = result.stderr.strip().splitlines()
    if result.returncode in (0, 1, 3) and "Traceback" not in result.stderr:
        return None
    shown = " ".join(command[1:4])
    return f"{shown} ... exited {result.returncode}: {err[-1] if err else ''}"


def _journal(env: dict[str, str]) -> list[dict[str, Any]]:
    listed = subprocess.run(
        [CTTUI, "jobs", "--json"], env=env, capture_output=True, text=True, check=True
    )
    jobs: list[dict[str, Any]] = json.loads(listed.stdout)
    return jobs


def soak(home: Path, jobs: int, parallel: int = 4, seed: int = 1, app: bool = True) -> Report:
    """Run `jobs` jobs through cttui processes, `parallel` at once, and (with `app` and tmux)
    some in the app beside them; the figures."""
    today = date.today()
    chosen = plans(jobs, today)
    tmux = shutil.which("tmux") if app else None
    # The app's favourites come first in the file, where its favourites screen starts.
    in_app = chosen[: len(chosen) // APP_SHARE] if tmux else []
    store = FavoritesStore(home / ".config" / "cttui" / "favorites.toml")
    for plan in chosen:
        store.save(Favorite(plan.name, plan.event, (), DateRange(plan.start, plan.end)))
    report = Report(app_jobs=len(in_app))
    with served_emulator(*FAULTS, "--fault-seed", str(seed), env=_bare(home)) as server:
        env = {**_bare(home), **server.environment(poll_interval=0.2)}
        with ThreadPoolExecutor(max_workers=parallel) as pool:
            running = [
                pool.submit(_run, command, env) for command in commands(chosen[len(in_app) :])
            ]
            outcomes = [_run_in_app(tmux, home, env, in_app)] if tmux is not None else []
            outcomes += [future.result() for future in running]
            # What --no-wait left pending, two resumes at once, until nothing is left (bounded).
            for _ in range(5):
                if all(job["state"] in _FINISHED for job in _journal(env)):
                    break
                resume = [CTTUI, "jobs", "resume"]
                outcomes += list(pool.map(lambda command: _run(command, env), [resume] * 2))
        report.bad_exits = [outcome for outcome in outcomes if outcome is not None]
        _check(report, chosen, _journal(env), server, home)
    return report


def _run_in_app(tmux: str, home: Path, env: dict[str, str], chosen: list[Plan]) -> str | None:
    """The app, in a terminal: F3, select the first favourites, enter runs them all; quit
    once they have ended (what is still pending then is left to 'cttui jobs resume'). A line
    saying so when it exited badly."""
    with Terminal(tmux, home / "tmux.sock") as terminal:
        terminal.start([CTTUI], env)
        terminal.wait_for(r"Nothing to send yet", limit=90)
        terminal.send_keys("F3")
        terminal.wait_for(rf".*{chosen[0].name} ", limit=60)
        # One burst: the app takes keys in order, so enter runs every one marked before it.
        terminal.send_keys(*["Space"] * len(chosen), "Enter")
        bodies = {_key(plan.body) for plan in chosen}
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            ended = [
                job
                for job in _journal(env)
                if _key(job["body"]) in bodies and job["state"] in _FINISHED
            ]
            if len(ended) == len(bodies):
                break
            time.sleep(0.5)
        terminal.send_keys("C-q")
        screen = terminal.wait_for(r"^EXIT=\d+$", limit=60)
    return (
        None
        if re.search(r"^EXIT=0$", screen, re.MULTILINE)
        else f"the app: {screen.strip().splitlines()[-1]}"
    )


def _check(
    report: Report,
    chosen: list[Plan],
    journal: list[dict[str, Any]],
    server: ServedEmulator,
    home: Path,
) -> None:
    stats = server.stats()
    requests = server.requests()
    report.requests = stats["requests"]
    report.max_in_flight = stats["max_offered"]
    report.refused = stats["refused"]
    report.injected = stats["injected"]
    report.server_log = requests
    answered = _server_counts(report, requests)
    by_body = {_key(job["body"]): job for job in journal}
    for line in report.second_post_bodies:
        body = line.split(" (live req_id")[0]
        job = by_body.get(body)
        report.second_post_stories.append(_story(body, requests, job, home))
    report.jobs = len(chosen)
    for plan in chosen:
        job = by_body.get(_key(plan.body))
        if job is None or job["state"] not in _FINISHED:
            report.lost += 1
            where = "not in the journal" if job is None else f"job {job['id']} {job['state']}"
            report.lost_jobs.append(f"{plan.name}: {where}")
        elif job["state"] == "done":
            report.done += 1
            if job["count"] != answered.get(_key(plan.body)):
                server_count = answered.get(_key(plan.body))
                report.wrong_counts.append(f"{plan.name}: {job['count']} (server {server_count})")
        else:
            report.failed += 1
            report.failures.append(f"{plan.name}: {job['error']}")
            if not job["error"]:
                report.failed_without_error.append(plan.name)


def _story(
    body: str, requests: list[dict[str, Any]], job: dict[str, Any] | None, home: Path
) -> str:
    """The server's requests for `body` (its POSTs and the polls of the req_ids they got), and
    the journal's attempts for its job, in time order, to tell who sent a second POST."""
    req_ids: set[str] = set()
    lines = [f"the story of {body}:"]
    for request in requests:
        if request["path"] != "/1/counts/profiles.json":
            continue
        answer = request["response"] or {}
        if request["method"] == "POST":
            if _key(json.loads(request["body"] or "null")) != body:
                continue
            if answer.get("req_id") is not None:
                req_ids.add(str(answer["req_id"]))
        elif request["query"].get("req_id") not in req_ids:
            continue
        lines.append(
            f"  server {request['received']:.3f}..{request['answered']:.3f} {request['client']} "
            f"{request['method']} {request['query'] or ''} -> {request['status']} {answer}"
        )
    if job is not None:
        journal = home / ".local" / "state" / "cttui" / "journal.sqlite3"
        with contextlib.closing(sqlite3.connect(f"file:{journal}?mode=ro", uri=True)) as db:
            rows = db.execute(
                "SELECT at, seconds, kind, resubmission, answer FROM attempts"
                " WHERE job_id = ? ORDER BY at",
                (job["id"],),
            ).fetchall()
            owner = db.execute("SELECT owner FROM jobs WHERE id = ?", (job["id"],)).fetchone()
        lines.append(f"  journal: job {job['id']} {job['state']}, owner {owner[0]}")
        lines += [
            f"  journal {at:.3f}..{at + seconds:.3f} {kind} resubmission={resub} {answer}"
            for at, seconds, kind, resub, answer in rows
        ]
    return "\n".join(lines)


def _server_counts(report: Report, requests: list[dict[str, Any]]) -> dict[str, int]:
    """Each body's last count as the server answered it; counts second POSTs on the way."""
    counts: dict[str, int] = {}
    # The body's live req_id, None once it answered or was forgotten.
    live: dict[str, str | None] = {}
    owner: dict[str, str] = {}
    for request in requests:
        if request["path"] != "/1/counts/profiles.json" or request["status"] != 200:
            continue
        answer = request["response"]
        if request["method"] == "POST":
            body = _key(json.loads(request["body"]))
            if live.get(body) is not None or body in counts:
                report.second_posts += 1
                report.second_post_bodies.append(f"{body} (live req_id {live.get(body)})")
            elif body in live:
                report.reposts_of_forgotten += 1
        else:
            req_id = request["query"].get("req_id", "")
            body = owner.get(req_id, "")
            if answer.get("status") == "fail" and "Invalid req_id" in str(answer.get("error")):
                if live.get(body) == req_id:
                    live[body] = None
                continue
        if answer.get("status") == "success":
            counts[body] = answer["count"]
            live.pop(body, None)
        elif answer.get("status") == "partial":
            req_id = str(answer["req_id"])
            owner[req_id] = body
            live[body] = req_id
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--jobs", type=int, default=300)
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="cttui-soak-"))
    report = soak(folder / "home", args.jobs, args.parallel, args.seed)
    print(report.summary())
    if report.ok:
        shutil.rmtree(folder)
        return 0
    log = folder / "requests.json"
    log.write_text(json.dumps(report.server_log, indent=1), encoding="utf-8")
    print(f"its HOME, journal included, is kept in {folder / 'home'}; the server's log in {log}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
