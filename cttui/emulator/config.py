"""Settings for the local CleverTap emulator."""

from __future__ import annotations

import datetime
import pathlib
from dataclasses import dataclass


@dataclass(frozen=True)
class EmulatorConfig:
    """Everything that shapes the emulator's data and its behaviour on the wire.

    The data depends only on ``seed``, ``profiles``, ``events`` and ``today`` (None: the current
    date when the emulator starts; the data covers the 365 days ending then). The other fields
    change how requests are answered, never what is counted:

    - ``port``: 0 picks a free one.
    - ``fail_rate``: the share of accepted requests answered with an injected 503 or 500
      (alternately); ``throttle_rate`` the share answered with an injected 429, and
      ``reset_rate`` the share whose connection is reset with no answer at all (before the
      request is acted on: a reset POST made no ``req_id``). One draw per request, from a
      generator seeded with ``fault_seed`` (None: ``seed``), so the three rates must add up to
      at most 1.
    - ``forget_rate``: the share of polls of a pending ``req_id`` after which the emulator
      forgets it, answering it (then and later) as an unknown one; from a generator of its own.
    - ``latency``: seconds every accepted request waits, counted in flight, before its answer,
      plus up to ``latency_jitter`` more, drawn at random (seeded too). Requests refused at
      once (401, 404, 405, 429) do not wait.
    - ``max_concurrent``: requests an account may have in flight; one more is answered 429.
    - ``partial_after_days``: a query spanning more days than this answers ``partial``, and its
      ``req_id`` answers the count no sooner than ``compute_seconds`` after the POST.
    - ``cache_dir``: where generated stores are kept for reuse; None means a temporary directory
      removed by ``Emulator.stop()``.
    - ``quiet``: False writes one access line per request to stderr, never a header value.
    - ``state_file``: where pending (``partial``) requests are kept, rewritten whenever one is
      made, so that an emulator started again with the same file still answers their
      ``req_id``s; None keeps pending requests in memory only. A file that cannot be used is
      ignored (and said so on stderr unless ``quiet``).
    - ``req_id_seed``: None (the default) draws ``req_id``s that differ at every start, as
      CleverTap's do; a number repeats one sequence, for renderers that must be byte-identical.
    """

    host: str = "127.0.0.1"
    port: int = 0
    account_id: str = "EMU-LAT-0001"
    passcode: str = "emulator-passcode"
    seed: int = 1
    profiles: int = 10_000
    events: int = 500_000
    today: datetime.date | None = None
    fail_rate: float = 0.0
    throttle_rate: float = 0.0
    reset_rate: float = 0.0
    forget_rate: float = 0.0
    fault_seed: int | None = None
    latency: float = 0.0
    latency_jitter: float = 0.0
    max_concurrent: int = 3
    partial_after_days: int = 31
    compute_seconds: float = 2.0
    cache_dir: pathlib.Path | None = None
    quiet: bool = True
    state_file: pathlib.Path | None = None
    req_id_seed: int | None = None

    def __post_init__(self) -> None:
        # Fail at construction rather than with a confusing answer half-way through a test.
        if self.profiles < 1:
            raise ValueError("profiles must be at least 1")
        if self.events < 0:
            raise ValueError("events must not be negative")
        rates = {
            "fail_rate": self.fail_rate,
            "throttle_rate": self.throttle_rate,
            "reset_rate": self.reset_rate,
            "forget_rate": self.forget_rate,
        }
        for name, rate in rates.items():
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        if self.fail_rate + self.throttle_rate + self.reset_rate > 1.0:
            raise ValueError("fail_rate, throttle_rate and reset_rate must add up to at most 1")
        if min(self.latency, self.latency_jitter, self.compute_seconds) < 0:
            raise ValueError("latency, latency_jitter and compute_seconds must not be negative")
        if self.max_concurrent < 1:
            raise ValueError("max_concurrent must be at least 1")
        if self.partial_after_days < 0:
            raise ValueError("partial_after_days must not be negative")

    def resolved_today(self) -> datetime.date:
        """The last day of the data: ``today`` if set, else the current local date."""
        return self.today if self.today is not None else datetime.date.today()
