"""A virtual clock for asyncio code that takes its time and sleep from a `Clock`.

Sleepers wait on futures; `run_until` lets every runnable task settle, then jumps straight to the
earliest wake-up, so hours of polling take milliseconds and every timestamp is exact.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable


class FakeClock:
    def __init__(self, start: float = 1_000.0) -> None:
        self._now = start
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self.slept: list[float] = []

    def now(self) -> float:
        return self._now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._now + max(seconds, 0.0), next(self._order), future))
        await future

    async def run_until(self, done: Callable[[], bool], *, limit: float = 86_400.0) -> None:
        """Advance virtual time until `done()` holds; fail if it cannot or `limit` s pass."""
        deadline = self._now + limit
        while True:
            await self._settle()
            if done():
                return
            self._sleepers = [entry for entry in self._sleepers if not entry[2].cancelled()]
            heapq.heapify(self._sleepers)
            if not self._sleepers:
                raise AssertionError("nothing is sleeping and the condition does not hold")
            wake_at, _, future = heapq.heappop(self._sleepers)
            if wake_at > deadline:
                raise AssertionError(f"condition still false after {limit} virtual seconds")
            self._now = max(self._now, wake_at)
            future.set_result(None)

    @staticmethod
    async def _settle() -> None:
        # Yield until the loop has no other ready callbacks. Tasks here only wait on this clock
        # or on in-memory transports, so an empty ready queue means every task is blocked on us.
        loop = asyncio.get_running_loop()
        for _ in range(10_000):
            await asyncio.sleep(0)
            if not loop._ready:  # type: ignore[attr-defined]
                return
        raise AssertionError("tasks never settled")
