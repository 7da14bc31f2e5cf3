"""The installed cttui in a real terminal (tmux), where stderr is a TTY."""

from __future__ import annotations

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
