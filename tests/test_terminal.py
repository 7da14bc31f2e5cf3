"""The installed cttui in a real terminal (tmux), where stderr is a TTY."""

from __future__ import annotations

import json
import os
import re
from datetime import date, timedelta
from pathlib import Path

from cttui.api.models import date_to_int
from cttui.cli.connect import demo_emulator_config
from cttui.emulator import Emulator
from tests.conftest import CTTUI, require, run_cttui
from tests.tmux import Terminal


def test_count_in_a_terminal_shows_progress_then_the_count(
    emulator: Emulator, emulator_env: dict[str, str], tmp_path: Path
) -> None:
    tmux = require("tmux", "CTTUI_REQUIRE_TMUX")
    start = (date.today() - timedelta(days=100)).isoformat()
    end = date.today().isoformat()
    expected = emulator.count("Charged", int(start.replace("-", "")), int(end.replace("-", "")))
    with Terminal(tmux, tmp_path / "tmux.sock") as terminal:
        terminal.start([CTTUI, "count", "Charged", "--from", start, "--to", end], emulator_env)
        screen = terminal.wait_for(r"^EXIT=\d+$")
    lines = [line.strip() for line in screen.splitlines() if line.strip()]
    assert any(
        line.startswith("cttui: pending as req_id ") and "polling every 0.1 s" in line
        for line in lines
    ), screen
    assert lines[-2:] == [str(expected), "EXIT=0"], screen


def isolated_env() -> dict[str, str]:
    """The isolated HOME and XDG dirs (and no keyring) from the autouse fixture, passed on."""
    names = ("HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME")
    return {name: os.environ[name] for name in (*names, "PYTHON_KEYRING_BACKEND")}


# The editor's preview before anything is typed: the main screen is up and waiting.
EDITOR_READY = r"Nothing to send yet"


def test_demo_app_opens_credentials_from_the_palette_and_quits_cleanly(tmp_path: Path) -> None:
    tmux = require("tmux", "CTTUI_REQUIRE_TMUX")
    with Terminal(tmux, tmp_path / "tmux.sock") as terminal:
        terminal.start([CTTUI, "--demo"], isolated_env())
        # The first start builds the emulator's data in XDG_CACHE_HOME: seconds, not minutes.
        terminal.wait_for(EDITOR_READY, limit=90)
        terminal.send_keys("C-p")
        terminal.wait_for(r"Search for commands")
        terminal.send_keys("Credentials", literal=True)
        terminal.wait_for(r"🔎 Credentials")
        terminal.send_keys("Enter")
        terminal.wait_for(r"Profile name")
        terminal.send_keys("Escape")
        terminal.wait_for(EDITOR_READY)
        terminal.send_keys("C-q")
        screen = terminal.wait_for(r"^EXIT=\d+$")
    assert "EXIT=0" in [line.strip() for line in screen.splitlines()], screen
    assert "Traceback" not in screen, screen


def test_demo_runs_a_typed_query_to_its_count(tmp_path: Path) -> None:
    """A new user's first query: type an event name in `cttui --demo`, ctrl+r, read the count."""
    tmux = require("tmux", "CTTUI_REQUIRE_TMUX")
    today = date.today()
    with Terminal(tmux, tmp_path / "tmux.sock") as terminal:
        terminal.start([CTTUI, "--demo"], isolated_env())
        screen = terminal.wait_for(EDITOR_READY, limit=90)
        # The header says where requests go: the emulator, not a CleverTap region.
        assert re.search(r"DEMO — built-in emulator → http://127\.0\.0\.1:\d+", screen), screen
        terminal.send_keys("Charged", literal=True)
        terminal.wait_for(r'.*"event_name":"Charged"')
        terminal.send_keys("C-r")
        screen = terminal.wait_for(r".*Charged +done +[0-9,]+ +\S+ → ")
        terminal.send_keys("C-q")
        terminal.wait_for(r"^EXIT=0$")
    found = re.search(r"Charged +done +([0-9,]+) +\S+ → ", screen)
    assert found is not None, screen
    # The demo's data, built by the app above into the shared cache, counted here directly.
    with Emulator(demo_emulator_config()) as emulator:
        start = today - timedelta(days=29)
        expected = emulator.count("Charged", date_to_int(start), date_to_int(today))
    assert int(found.group(1).replace(",", "")) == expected, screen


def test_demo_favourites_outlive_a_restart_and_run_from_the_command_line(tmp_path: Path) -> None:
    """Save two favourites with ctrl+s, quit; the next cttui reruns one with F3 and enter, and
    `cttui run` runs both from a shell, as cron would."""
    tmux = require("tmux", "CTTUI_REQUIRE_TMUX")
    env = isolated_env()
    with Terminal(tmux, tmp_path / "first.sock") as terminal:
        terminal.start([CTTUI, "--demo"], env)
        terminal.wait_for(EDITOR_READY, limit=90)
        for event, name in (("Charged", "Weekly charges"), ("App Launched", "Launches")):
            terminal.send_keys(event, literal=True)
            terminal.wait_for(rf'.*"event_name":"{event.split()[0]}')  # the preview may wrap
            terminal.send_keys("C-s")
            terminal.wait_for(r".*Save as favourite")
            # Each key once the last has shown: Textual handles ctrl+u and enter as bindings,
            # after any letters that came in the same burst.
            terminal.send_keys("C-u")
            terminal.wait_for(r".*a name, such as")
            terminal.send_keys(name, literal=True)
            terminal.wait_for(rf".*▊  {name} +▎")
            terminal.send_keys("Enter")
            terminal.wait_for(rf".*{name} saved")
            # A new query: a saved one is kept, so ctrl+l empties the editor without asking.
            # (Wait for it: keys typed before ctrl+l is handled would reach the field first.)
            terminal.send_keys("C-l")
            terminal.wait_for(EDITOR_READY)
        terminal.send_keys("C-q")
        terminal.wait_for(r"^EXIT=0$")

    with Terminal(tmux, tmp_path / "second.sock") as terminal:
        terminal.start([CTTUI, "--demo"], env)
        terminal.wait_for(EDITOR_READY, limit=90)
        terminal.send_keys("F3")
        terminal.wait_for(r".*Launches +App Launched +Last 30 days +never run")
        terminal.send_keys("Enter")
        screen = terminal.wait_for(r".*★ Weekly charges +done +[0-9,]+ +\S+ → ")
        terminal.send_keys("C-q")
        terminal.wait_for(r"^EXIT=0$")
    found = re.search(r"★ Weekly charges +done +([0-9,]+) +\S+ → ", screen)
    assert found is not None, screen

    ran = run_cttui("--demo", "run", "weekly charges", "Launches", env=env)
    assert ran.code == 0, ran.err
    lines = [line.split() for line in ran.out.splitlines()]
    assert [line[:2] for line in lines] == [
        ["Weekly", "charges"],
        ["Launches", lines[1][1]],
    ], ran.out
    assert lines[0][2] == found.group(1).replace(",", ""), ran.out
    listed = json.loads(run_cttui("--demo", "favorites", "--json", env=env).out)
    assert [(item["name"], len(item["runs"])) for item in listed] == [
        ("Weekly charges", 2),
        ("Launches", 1),
    ]
