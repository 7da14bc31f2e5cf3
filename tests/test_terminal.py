"""The installed cttui in a real terminal (tmux), where stderr is a TTY."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

from cttui.emulator import Emulator
from tests.conftest import CTTUI, require
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


def test_demo_app_opens_credentials_from_the_palette_and_quits_cleanly(tmp_path: Path) -> None:
    tmux = require("tmux", "CTTUI_REQUIRE_TMUX")
    # The isolated HOME and XDG dirs (and no keyring) from the autouse fixture, passed on.
    names = ("HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME")
    env = {name: os.environ[name] for name in (*names, "PYTHON_KEYRING_BACKEND")}
    with Terminal(tmux, tmp_path / "tmux.sock") as terminal:
        terminal.start([CTTUI, "--demo"], env)
        # The first start builds the emulator's data in XDG_CACHE_HOME: seconds, not minutes.
        terminal.wait_for(r"Counting on", limit=90)
        terminal.send_keys("C-p")
        terminal.wait_for(r"Search for commands")
        terminal.send_keys("Credentials", literal=True)
        terminal.wait_for(r"🔎 Credentials")
        terminal.send_keys("Enter")
        terminal.wait_for(r"Profile name")
        terminal.send_keys("Escape")
        terminal.wait_for(r"Counting on")
        terminal.send_keys("C-q")
        screen = terminal.wait_for(r"^EXIT=\d+$")
    assert "EXIT=0" in [line.strip() for line in screen.splitlines()], screen
    assert "Traceback" not in screen, screen
