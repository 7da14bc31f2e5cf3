"""How fast the headless commands start, as ratios to a bare Python start in the same run.

`cttui --help` and `--version` must not pay for Textual, httpx or keyring; `cttui count` pays for
httpx only; `cttui credentials list` reads config.toml without the keyring; `cttui favorites`
reads favorites.toml and the journal. Run with `make bench`.

Byte-code is written and each command run once before it is timed: what a user's second run
costs, not Python compiling cttui (PYTHONDONTWRITEBYTECODE, set on some machines, would
otherwise make every run pay for it).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from cttui.api.ranges import RangePreset
from cttui.api.regions import get_region
from cttui.emulator import Emulator, EmulatorConfig
from cttui.store.config import Config, Profile, save_config
from cttui.store.favorites import Favorite
from cttui.store.favorites_store import FavoritesStore

RUNS = 15
FAVORITES = 30
BIN = Path(sys.executable).parent


def median_seconds(command: list[str], env: dict[str, str]) -> float:
    subprocess.run(command, env=env, capture_output=True, check=True)  # warm: byte-code, caches
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run(command, env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    emulator_defaults = EmulatorConfig()
    today = date.today()
    with (
        Emulator(EmulatorConfig(profiles=2_000, events=50_000, today=today)) as emulator,
        tempfile.TemporaryDirectory() as config_home,
        tempfile.TemporaryDirectory() as state_home,
    ):
        save_config(
            Config((Profile("work", "W9R-486-4W5Z", get_region("in1")),)),
            Path(config_home) / "cttui" / "config.toml",
        )
        store = FavoritesStore(Path(config_home) / "cttui" / "favorites.toml")
        for number in range(FAVORITES):
            store.save(Favorite(f"Favourite {number}", "Charged", dates=RangePreset.LAST_7_DAYS))
        env |= {
            "XDG_CONFIG_HOME": config_home,
            "XDG_STATE_HOME": state_home,
            "CTTUI_BASE_URL": emulator.base_url,
            "CLEVERTAP_ACCOUNT_ID": emulator_defaults.account_id,
            "CLEVERTAP_PASSCODE": emulator_defaults.passcode,
        }
        count = [
            str(BIN / "cttui"), "count", "Charged",
            "--from", (today - timedelta(days=7)).isoformat(), "--to", today.isoformat(),
        ]  # fmt: skip
        baseline = median_seconds([sys.executable, "-c", "pass"], env)
        rows = [
            ("python -c pass (baseline)", baseline),
            ("python -c 'import textual.app'", median_seconds(
                [sys.executable, "-c", "import textual.app"], env)),
            ("cttui --version", median_seconds([str(BIN / "cttui"), "--version"], env)),
            ("cttui --help", median_seconds([str(BIN / "cttui"), "--help"], env)),
            ("cttui count (7 days, emulator)", median_seconds(count, env)),
            ("cttui credentials list", median_seconds(
                [str(BIN / "cttui"), "credentials", "list"], env)),
            (f"cttui favorites ({FAVORITES} saved)", median_seconds(
                [str(BIN / "cttui"), "favorites"], env)),
            ("python -c 'import cttui.tui.app'", median_seconds(
                [sys.executable, "-c", "import cttui.tui.app"], env)),
        ]  # fmt: skip
    print(f"median of {RUNS} runs each; ratio = time / baseline")
    for name, seconds in rows:
        print(f"  {name:<36} {seconds * 1000:7.1f} ms  x{seconds / baseline:5.2f}")


if __name__ == "__main__":
    main()
