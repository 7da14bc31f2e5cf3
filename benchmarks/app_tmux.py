"""A private tmux server for the app benchmarks: one program per session, read back from its
screen with `capture-pane`, every wait bounded.

A few lines of tests/tmux.py, copied: benchmarks/ does not import from tests/.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType

WIDTH = 120
HEIGHT = 40
LIMIT = 60.0


class Unmeasured(Exception):
    """A figure cannot be measured here: the message says why."""


class Server:
    """A tmux server on a socket of its own, killed (with every program in it) on exit."""

    def __init__(self) -> None:
        tmux = shutil.which("tmux")
        if tmux is None:
            raise Unmeasured("tmux is not installed")
        self.tmux = tmux
        self._directory = tempfile.TemporaryDirectory(prefix="cttui-bench-tmux-")
        self.socket = str(Path(self._directory.name) / "socket")
        self._sessions = 0

    def run(self, *args: str) -> str:
        done = subprocess.run(
            [self.tmux, "-S", self.socket, *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=LIMIT,
        )
        if done.returncode != 0:
            raise Unmeasured(f"tmux {args[0]}: {done.stderr.strip()}")
        return done.stdout

    def start(self, argv: Sequence[str], env: Mapping[str, str]) -> Pane:
        """`argv` in a new session of WIDTH x HEIGHT, exec'd by the pane's shell: the pane's
        process is the program itself. The pane stays after the program exits (its last
        screen tells why it did)."""
        self._sessions += 1
        name = f"bench{self._sessions}"
        sized = {**env, "COLUMNS": str(WIDTH), "LINES": str(HEIGHT), "TERM": "xterm-256color"}
        exports = [f"-e{key}={value}" for key, value in sized.items()]
        self.run(
            "new-session", "-d", "-s", name, "-x", str(WIDTH), "-y", str(HEIGHT),
            *exports, f"exec {shlex.join(argv)}",
        )  # fmt: skip
        self.run("set-option", "-t", name, "remain-on-exit", "on")
        return Pane(self, name)

    def __enter__(self) -> Server:
        # A session that stays: the server then lives from run to run, and no run pays for
        # starting it.
        self.run("new-session", "-d", "-s", "keep", "-x", str(WIDTH), "-y", str(HEIGHT), "cat")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        subprocess.run(
            [self.tmux, "-S", self.socket, "kill-server"],
            capture_output=True,
            check=False,
            timeout=LIMIT,
        )
        self._directory.cleanup()


class Pane:
    """One program in its own session."""

    def __init__(self, server: Server, name: str) -> None:
        self.server = server
        self.name = name
        self._capture = [server.tmux, "-S", server.socket, "capture-pane", "-p", "-t", name]

    def screen(self) -> str:
        # Not through Server.run: this is the tight loop, one process and nothing more.
        return subprocess.run(
            self._capture, capture_output=True, text=True, check=False, timeout=LIMIT
        ).stdout

    def wait(self, found: Callable[[str], bool], what: str, limit: float = LIMIT) -> float:
        """Capture the screen until `found` holds (no sleep between captures); the monotonic
        time of the capture that showed it."""
        deadline = time.monotonic() + limit
        while True:
            screen = self.screen()
            seen = time.monotonic()
            if found(screen):
                return seen
            if seen > deadline:
                last = "\n".join(screen.rstrip().splitlines()[-12:])
                raise Unmeasured(f"{what} never showed in {limit:g} s; the screen ended:\n{last}")

    def wait_for(self, pattern: str, limit: float = LIMIT) -> float:
        wanted = re.compile(pattern, re.MULTILINE)
        return self.wait(lambda screen: wanted.search(screen) is not None, repr(pattern), limit)

    def keys(self, *keys: str, literal: bool = False) -> None:
        self.server.run("send-keys", "-t", self.name, *(["-l"] if literal else []), *keys)

    def pid(self) -> int:
        return int(self.server.run("display-message", "-p", "-t", self.name, "#{pane_pid}"))

    def close(self) -> None:
        subprocess.run(
            [self.server.tmux, "-S", self.server.socket, "kill-session", "-t", self.name],
            capture_output=True,
            check=False,
            timeout=LIMIT,
        )


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of `pid` so far (/proc/PID/stat, in clock ticks)."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # After the command: state is field 3, utime 14 and stime 15 (1-based, as proc(5) counts).
    ticks = int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    """VmRSS of `pid`, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise Unmeasured(f"/proc/{pid}/status has no VmRSS")
