"""The demo's emulator a command starts, and the poll interval allowed on a host."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING

from cttui.api.errors import UsageError
from cttui.api.regions import is_clevertap_host
from cttui.cli.options import ENV_POLL_INTERVAL, positive_float
from cttui.cli.output import say
from cttui.store.paths import demo_state_dir, emulator_cache_dir

if TYPE_CHECKING:
    from cttui.emulator.config import EmulatorConfig
    from cttui.emulator.server import Emulator

DEMO_POLL_INTERVAL = 1.0
MIN_CLEVERTAP_POLL_INTERVAL = 30.0


def poll_interval(
    requested: float | None, environ: Mapping[str, str], base_url: str, demo: bool
) -> float:
    interval = requested
    if interval is None and environ.get(ENV_POLL_INTERVAL, "").strip():
        try:
            interval = positive_float(environ[ENV_POLL_INTERVAL].strip())
        except argparse.ArgumentTypeError as error:
            raise UsageError(f"{ENV_POLL_INTERVAL}: {error}") from None
    if interval is None:
        interval = DEMO_POLL_INTERVAL if demo else MIN_CLEVERTAP_POLL_INTERVAL
    if interval < MIN_CLEVERTAP_POLL_INTERVAL and is_clevertap_host(base_url):
        raise UsageError(
            f"a poll interval of {interval:g} s is below CleverTap's 30 s rule; shorter intervals "
            "are only for a non-CleverTap server set with CTTUI_BASE_URL"
        )
    return interval


def demo_emulator_config() -> EmulatorConfig:
    # The emulator costs a tenth of a second to import: only the demo pays for it.
    from cttui.emulator.config import EmulatorConfig

    # Its pending requests outlive the process, as CleverTap's do: a demo closed with jobs
    # pending finishes them when it is opened again.
    return EmulatorConfig(
        compute_seconds=3.0,
        cache_dir=emulator_cache_dir(),
        state_file=demo_state_dir() / "emulator-pending.json",
    )


def today(demo: bool) -> date:
    """The day relative ranges end on: the demo's data has its own."""
    return demo_emulator_config().resolved_today() if demo else date.today()


@contextmanager
def demo_emulator() -> Iterator[Emulator]:
    if sys.stderr.isatty():
        say("demo: starting the built-in emulator (the first start builds its data)")
    with started(demo_emulator_config()) as emulator:
        yield emulator


@contextmanager
def started(config: EmulatorConfig) -> Iterator[Emulator]:
    from cttui.emulator.server import Emulator, EmulatorError

    try:
        emulator = Emulator(config).start()
    except EmulatorError as error:
        raise UsageError(str(error)) from None
    try:
        yield emulator
    finally:
        emulator.stop()
