"""Keys in bursts, in a real terminal: each `send-keys` call below reaches cttui as one burst,
with no wait between its keys, as keys arrive over SSH or on a busy machine. Twenty rounds of
each burst must give what typing them slowly gives (tests/test_tui_bursts.py holds the slow
outcome to the same values in Pilot)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import CTTUI, require
from tests.test_terminal import EDITOR_READY, isolated_env
from tests.tmux import Terminal

ROUNDS = 20
# The editor once cleared: the event field shows its placeholder, the dates their default.
BLANK = r"(?s).*│ Event +the exact event name.*Last 30 days"


def event_is(name: str) -> str:
    return rf"(?s).*│ Event +{re.escape(name)} +│"


def cleared(terminal: Terminal, *, asks: bool = True) -> None:
    """A new query, answering its question in the same burst when the editor holds typing no
    job keeps."""
    terminal.send_keys("C-l", *(["y"] if asks else []))
    terminal.wait_for(BLANK, limit=30)


def test_bursts_of_keys_apply_in_the_order_typed_twenty_times_of_twenty(tmp_path: Path) -> None:
    tmux = require("tmux", "CTTUI_REQUIRE_TMUX")
    with Terminal(tmux, tmp_path / "tmux.sock") as terminal:
        terminal.start([CTTUI, "--demo"], isolated_env())
        terminal.wait_for(EDITOR_READY, limit=90)
        for round_ in range(1, ROUNDS + 1):
            # Tab moves on before the next key: 2026 goes three fields on, into "from".
            terminal.send_keys("Abc", "Tab", "Tab", "Tab", "2026")
            screen = terminal.wait_for(event_is("Abc") + r".*│ +from 2026 +▦", limit=30)
            assert "Abc2026" not in screen, screen
            cleared(terminal)

            # ctrl+n's new row takes the keys typed after it.
            terminal.send_keys("Charged", "C-n", "Amount")
            terminal.wait_for(event_is("Charged") + r".*│ Amount +string equals", limit=30)
            cleared(terminal)

            # A key typed after a burst of runs is not in the queries they sent. Each run a
            # query of its own (and each round's its own): the same one still on its way would
            # ask before it is sent again.
            event = f"Charged{round_}"
            terminal.send_keys(event, "C-r", "x", "C-r", "w", "C-r", "z")
            last = 3 * round_
            sent = zip((last, last - 1, last - 2), (f"{event}xw", f"{event}x", event), strict=True)
            rows = "".join(rf".*│ +{job} +{name}  " for job, name in sent)
            screen = terminal.wait_for(event_is(f"{event}xwz") + rows, limit=30)
            assert not re.search(rf"│ +\d+ +{event}xwz", screen), screen
            cleared(terminal)
        terminal.send_keys("C-q")
        screen = terminal.wait_for(r"^EXIT=\d+$")
    assert "EXIT=0" in [line.strip() for line in screen.splitlines()], screen
