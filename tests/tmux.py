"""Drive a real terminal: a program in a private tmux server, read back from the screen."""

from __future__ import annotations

import re
import shlex
import subprocess
import time
from pathlib import Path
from types import TracebackType


class Terminal:
    def __init__(self, tmux: str, socket: Path, width: int = 120, height: int = 40) -> None:
        self._tmux = tmux
        self._socket = str(socket)
        self._size = (width, height)

    def _run(self, *args: str) -> str:
        result = subprocess.run(
            [self._tmux, "-S", self._socket, *args],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return result.stdout

    def start(self, command: list[str], env: dict[str, str]) -> None:
        width, height = self._size
        # pytest loads readline, which exports COLUMNS=80 and LINES=24 behind os.environ's back;
        # the tmux server would inherit them, and Textual believe them over the window's size.
        sized = {**env, "COLUMNS": str(width), "LINES": str(height)}
        exports = [f"-e{name}={value}" for name, value in sized.items()]
        # The shell outlives the program, so its last screen and exit status stay readable.
        shell = f"{shlex.join(command)}; echo EXIT=$?; sleep 3600"
        self._run(
            "new-session", "-d", "-x", str(width), "-y", str(height),
            "-eTERM=xterm-256color", *exports, "sh", "-c", shell,
        )  # fmt: skip

    def send_keys(self, *keys: str, literal: bool = False) -> None:
        """Keys to the program, as tmux names them ("C-p", "Enter", "Escape", "F2"); with
        `literal`, each string is typed as it is, even one that looks like a key name."""
        self._run("send-keys", *(["-l"] if literal else []), *keys)

    def pane_child_pid(self) -> int:
        """The program's process: the child of the shell that runs in the pane."""
        shell = self._run("display-message", "-p", "#{pane_pid}").strip()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[1] == shell:
                return int(stat.parent.name)
        raise AssertionError(f"the shell {shell} in the pane has no child")

    def screen(self) -> str:
        return self._run("capture-pane", "-p", "-J")

    def wait_for(self, pattern: str, limit: float = 60.0) -> str:
        """The screen once a line matches `pattern` (a regex from the line's start: a typed
        command such as `...; echo EXIT=$?` must not count as its own output)."""
        wanted = re.compile(pattern, re.MULTILINE)
        deadline = time.monotonic() + limit
        while True:
            screen = self.screen()
            if wanted.search(screen):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{pattern!r} never appeared; the screen:\n{screen}")
            time.sleep(0.05)

    def __enter__(self) -> Terminal:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        subprocess.run(
            [self._tmux, "-S", self._socket, "kill-server"], capture_output=True, check=False
        )
