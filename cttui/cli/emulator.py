"""`cttui emulator`: serve the local CleverTap emulator until interrupted."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, NamedTuple

from cttui.api.errors import UsageError
from cttui.emulator.config import EmulatorConfig
from cttui.emulator.server import EmulatorError, serve
from cttui.store.paths import emulator_cache_dir

if TYPE_CHECKING:
    from pathlib import Path


class EmulatorArgs(NamedTuple):
    host: str
    port: int
    account_id: str
    passcode: str
    seed: int
    profiles: int
    events: int
    fail_rate: float
    throttle_rate: float
    reset_rate: float
    forget_rate: float
    fault_seed: int | None
    latency: float
    latency_jitter: float
    max_concurrent: int
    partial_after_days: int
    compute_seconds: float
    state_file: Path | None
    verbose: bool


def emulator(args: EmulatorArgs) -> int:
    if args.fail_rate + args.throttle_rate + args.reset_rate > 1:
        raise UsageError(
            "--fail-rate, --throttle-rate and --reset-rate add up to more than 1; lower one"
        )
    config = EmulatorConfig(
        host=args.host,
        port=args.port,
        account_id=args.account_id,
        passcode=args.passcode,
        seed=args.seed,
        profiles=args.profiles,
        events=args.events,
        fail_rate=args.fail_rate,
        throttle_rate=args.throttle_rate,
        reset_rate=args.reset_rate,
        forget_rate=args.forget_rate,
        fault_seed=args.fault_seed,
        latency=args.latency,
        latency_jitter=args.latency_jitter,
        max_concurrent=args.max_concurrent,
        partial_after_days=args.partial_after_days,
        compute_seconds=args.compute_seconds,
        cache_dir=emulator_cache_dir(),
        state_file=args.state_file,
        quiet=not args.verbose,
    )
    try:
        return serve(config, sys.stdout)
    except EmulatorError as error:
        raise UsageError(str(error)) from None
