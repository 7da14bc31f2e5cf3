"""At most a few count requests in flight per account: CleverTap allows 3, across every cttui
process on the machine."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable

from cttui.pacing import Clock, SystemClock
from cttui.store.slots import SlotFiles, SlotsUnavailableError

# Seconds between tries for a slot another process holds: short enough not to leave a slot idle
# for long, long enough not to spin.
SLOT_PAUSE_MIN = 0.005
SLOT_PAUSE_MAX = 0.1
# Requests one process starts in a second, at most, over all its accounts. CleverTap's 3 in
# flight keep a real account far below it (at 0.2 s an answer, 15 a second); it binds only
# against a server on this machine that answers in a millisecond, where 500 jobs polling each
# second would otherwise take every cycle of the core the app's keys and screen run on.
MAX_STARTS_PER_SECOND = 100
# Starts that may go at once before the rate holds them back: a few accounts' worth of slots,
# so that a user's own queries and a test's few jobs never wait for the spacing.
STARTS_AT_ONCE = 10


class Spacing:
    """At most `rate` starts a second on `clock`, after up to `burst` at once, in the order
    they are asked for (a generic cell rate algorithm: `_due` is when the next start would be
    due if every start were evenly spaced)."""

    def __init__(
        self,
        rate: float = MAX_STARTS_PER_SECOND,
        clock: Clock | None = None,
        burst: int = STARTS_AT_ONCE,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("the rate must be positive and the burst at least 1")
        self._gap = 1 / rate
        self._early = (burst - 1) * self._gap
        self._clock: Clock = clock or SystemClock()
        self._due = float("-inf")

    async def wait(self) -> None:
        now = self._clock.now()
        due = max(self._due, now)
        start = max(now, due - self._early)
        self._due = due + self._gap
        if start > now:
            await self._clock.sleep(start - now)


class Gate:
    """At most `limit` requests in flight: in this process, and with `slots` in every cttui
    process on the machine (CleverTap's limit is per account). Counts what it lets through in
    this process, for tests and the UI. Requests also start `spacing` apart.

    The semaphore comes first, so that 500 jobs of one process wait on it rather than on the
    lock files. A process waiting for another's slot retries after short, jittered pauses: a
    non-blocking lock never stalls the event loop, and a cancelled wait leaves nothing behind.
    Slot files that cannot be used leave the limit to this process alone, said once through
    `on_warning`.

    A request abandoned mid-way still counts at the server until it answers, so a closing
    process lets those in flight finish (`shut`, then `drained`) before its slots go free.
    """

    def __init__(
        self,
        limit: int,
        slots: SlotFiles | None = None,
        on_warning: Callable[[str], None] | None = None,
        spacing: Spacing | None = None,
    ) -> None:
        self._semaphore = asyncio.Semaphore(limit)
        # Shared by the gates of one process (see MAX_STARTS_PER_SECOND).
        self._spacing = spacing or Spacing()
        self._slots = slots
        self._on_warning = on_warning
        # Descriptors of the slot files this process holds: any one of them frees a slot.
        self._held: list[int] = []
        self._shut = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self.in_flight = 0
        self.max_in_flight = 0

    @property
    def shared(self) -> bool:
        """Whether the limit is kept with other processes (through the slot files)."""
        return self._slots is not None

    async def __aenter__(self) -> None:
        await self._semaphore.acquire()
        try:
            await self._spacing.wait()
            await self._take_slot()
        except BaseException:
            self._semaphore.release()
            raise
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        self._idle.clear()

    async def __aexit__(self, *_: object) -> None:
        self.in_flight -= 1
        if self._held:
            SlotFiles.give_back(self._held.pop())
        if not self.in_flight:
            self._idle.set()
        self._semaphore.release()

    def shut(self) -> None:
        """Let no new request through, for a manager that is closing."""
        self._shut.set()

    async def drained(self, limit: float) -> None:
        """Wait, at most `limit` seconds, until no request is in flight."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), limit)

    async def _take_slot(self) -> None:
        pause = SLOT_PAUSE_MIN
        while self._slots is not None:
            if self._shut.is_set():
                # Closing: nothing new leaves; the caller is about to be cancelled.
                await asyncio.get_running_loop().create_future()
            try:
                fd = self._slots.try_take()
            except SlotsUnavailableError as error:
                self._slots = None
                if self._on_warning is not None:
                    self._on_warning(
                        f"{error}; other cttui processes may add to this account's requests "
                        "in flight"
                    )
                return
            if fd is not None:
                self._held.append(fd)
                return
            await asyncio.sleep(pause * random.uniform(0.5, 1.0))
            pause = min(SLOT_PAUSE_MAX, pause * 1.5)
