"""`cttui emulator` as its own process, as a user starts it, and what it says about itself."""

from __future__ import annotations

import json
import os
import re
import selectors
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cttui.emulator import EmulatorConfig

# Not from conftest: the soak script runs this outside pytest.
CTTUI = str(Path(sys.executable).parent / "cttui")
DEFAULTS = EmulatorConfig()
_LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:\d+)\n")


@dataclass(frozen=True)
class ServedEmulator:
    base_url: str

    def environment(self, poll_interval: float = 0.1) -> dict[str, str]:
        """What points cttui at this emulator, with its default account."""
        return {
            "CLEVERTAP_ACCOUNT_ID": DEFAULTS.account_id,
            "CLEVERTAP_PASSCODE": DEFAULTS.passcode,
            "CTTUI_BASE_URL": self.base_url,
            "CTTUI_POLL_INTERVAL": f"{poll_interval:g}",
        }

    def get(self, path: str) -> Any:
        # No proxy: the emulator is on loopback whatever the environment says.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(self.base_url + path, timeout=30) as answer:
            return json.load(answer)

    def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = self.get("/_emulator/stats")
        return stats

    def requests(self) -> list[dict[str, Any]]:
        requests: list[dict[str, Any]] = self.get("/_emulator/requests")
        return requests


@contextmanager
def served_emulator(
    *options: str, env: dict[str, str] | None = None, limit: float = 60.0
) -> Iterator[ServedEmulator]:
    """Run `cttui emulator --port 0 OPTIONS` (a small store) until the block ends."""
    process = subprocess.Popen(
        [CTTUI, "emulator", "--port", "0", "--profiles", "2000", "--events", "60000", *options],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=dict(os.environ) if env is None else env,
    )
    try:
        assert process.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            assert selector.select(limit), "the emulator said nothing"
        line = process.stdout.readline()
        match = _LISTENING.fullmatch(line)
        assert match, f"the emulator said {line!r}"
        yield ServedEmulator(match[1])
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
