"""When requests may leave: the clock jobs run on, the retry backoff, and CleverTap's spacing of
polls. Time is injected so that tests run on a fake clock."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from typing import Protocol

from cttui.api.regions import is_clevertap_host

DEFAULT_POLL_INTERVAL = 30.0
# CleverTap's rule: a req_id is never polled sooner than this after the last request for it,
# whatever the interval, a "poll now" or a retry asks.
CLEVERTAP_MIN_SPACING = 30.0


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch: times are kept in the journal and outlive the process."""

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def earliest_poll(base_url: str, last_request_at: float | None, now: float) -> float:
    """The soonest a req_id last asked about at `last_request_at` may be polled on `base_url`:
    at once, or on a CleverTap host CLEVERTAP_MIN_SPACING after that request."""
    if last_request_at is None or not is_clevertap_host(base_url):
        return now
    return last_request_at + CLEVERTAP_MIN_SPACING


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter, for answers worth trying again (429, 5xx, network).

    `attempts` bounds the tries of one request, the first included. The delay before retry n
    (from 0) is drawn from the upper half of min(cap, base * 2**n), so it always grows and
    never synchronises clients that failed together.
    """

    attempts: int = 6
    base: float = 2.0
    cap: float = 60.0

    def delay(self, retry: int, rng: random.Random) -> float:
        ceiling = min(self.cap, self.base * 2.0**retry)
        return ceiling / 2 + rng.uniform(0, ceiling / 2)
