"""At most 3 requests in flight per account across every cttui process on the machine."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

from cttui.api.client import CleverTapClient, Credentials
from cttui.api.models import DateRange, Query
from cttui.emulator import Emulator
from cttui.gate import STARTS_AT_ONCE, Gate, Spacing
from cttui.jobs import JobManager
from cttui.records import Origin
from cttui.store.favorites import Favorite
from cttui.store.favorites_store import FavoritesStore
from cttui.store.paths import favorites_file
from cttui.store.slots import SlotFiles
from tests.conftest import CTTUI, DEFAULTS, run_cttui
from tests.emulator_process import served_emulator
from tests.fakeclock import FakeClock

TODAY = date.today()
EVENTS = ("Charged", "App Launched", "Product Viewed", "Added To Cart")


def test_several_cttui_processes_on_one_account_never_have_more_than_3_in_flight() -> None:
    store = FavoritesStore(favorites_file())
    names = []
    for number in range(6):
        name = f"fav{number}"
        span = DateRange(TODAY - timedelta(days=10 + number), TODAY)
        store.save(Favorite(name, EVENTS[number % len(EVENTS)], (), span))
        names.append(name)
    # The server refuses nothing, so that its figure is what the clients sent at once.
    with served_emulator("--latency", "0.5", "--max-concurrent", "100") as server:
        env = {**os.environ, **server.environment()}
        commands = [[CTTUI, "run", *names] for _ in range(3)] + [
            [
                CTTUI,
                "count",
                "Charged",
                "--from",
                (TODAY - timedelta(days=d)).isoformat(),
                "--to",
                TODAY.isoformat(),
            ]
            for d in (3, 4)
        ]
        processes = [
            subprocess.Popen(
                command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True
            )
            for command in commands
        ]
        outputs = [process.communicate(timeout=120)[0] for process in processes]
        codes = [process.returncode for process in processes]
        stats = server.stats()
    assert codes == [0] * len(commands), outputs
    assert stats["requests"] == 3 * len(names) + 2
    assert stats["max_in_flight"] <= 3, stats


HOLDER = (
    "import sys, time, pathlib\n"
    "from cttui.store.slots import SlotFiles\n"
    "slots = SlotFiles(pathlib.Path(sys.argv[1]), 'http://x', 'ACC', 3)\n"
    "held = [slots.try_take() for _ in range(int(sys.argv[2]))]\n"
    "assert None not in held\n"
    "print('held', flush=True)\n"
    "time.sleep(600)\n"
)


@contextmanager
def holder(directory: Path, count: int) -> Iterator[subprocess.Popen[str]]:
    """Another process holding `count` of the account's 3 slots, until killed."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(directory), str(count)],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline() == "held\n"
        yield process
    finally:
        process.kill()
        process.wait()
        assert process.stdout is not None
        process.stdout.close()


def test_slots_held_by_another_process_are_not_free_until_it_is_killed(tmp_path: Path) -> None:
    slots = SlotFiles(tmp_path / "slots", "http://x", "ACC", 3)
    with holder(tmp_path / "slots", 3) as other:
        assert slots.try_take() is None
        # Another account (or server) has slots of its own.
        assert SlotFiles(tmp_path / "slots", "http://x", "ACC2", 3).try_take() is not None
        other.send_signal(signal.SIGKILL)
        other.wait()
        taken = [slots.try_take() for _ in range(4)]
    assert [fd is not None for fd in taken] == [True, True, True, False]


def test_slot_files_are_private(tmp_path: Path) -> None:
    slots = SlotFiles(tmp_path / "state" / "slots", "http://x", "ACC", 3)
    fd = slots.try_take()
    assert fd is not None
    SlotFiles.give_back(fd)
    assert stat.S_IMODE((tmp_path / "state" / "slots").stat().st_mode) == 0o700
    assert stat.S_IMODE(slots.path(0).stat().st_mode) == 0o600
    # Given back: free for the next request of this very process.
    assert slots.try_take() is not None


async def _enter_all(gate: Gate, count: int, entered: list[int], leave: asyncio.Event) -> None:
    async def one(number: int) -> None:
        async with gate:
            entered.append(number)
            await leave.wait()

    await asyncio.gather(*(one(number) for number in range(count)))


def test_the_gate_waits_for_slots_of_other_processes_without_blocking_the_loop(
    tmp_path: Path,
) -> None:
    async def scenario(other: subprocess.Popen[str]) -> tuple[list[int], int]:
        gate = Gate(3, SlotFiles(tmp_path, "http://x", "ACC", 3))
        entered: list[int] = []
        leave = asyncio.Event()
        task = asyncio.ensure_future(_enter_all(gate, 3, entered, leave))
        await asyncio.wait_for(_until(lambda: len(entered) == 1), 20)
        # The other process holds 2 of 3: one request of ours is in, two wait, and the loop
        # still runs (this task wakes 20 times) while they do.
        for _ in range(20):
            await asyncio.sleep(0.01)
        assert len(entered) == 1
        other.send_signal(signal.SIGKILL)
        await asyncio.wait_for(_until(lambda: len(entered) == 3), 20)
        leave.set()
        await task
        return entered, gate.max_in_flight

    with holder(tmp_path, 2) as other:
        entered, most = asyncio.run(scenario(other))
    assert sorted(entered) == [0, 1, 2]
    assert most == 3


async def _until(condition: Callable[[], bool]) -> None:
    while not condition():  # noqa: ASYNC110 - the condition is another task's list
        await asyncio.sleep(0.01)


def test_a_cancelled_wait_for_a_slot_gives_back_its_place(tmp_path: Path) -> None:
    async def scenario() -> int:
        gate = Gate(1, SlotFiles(tmp_path, "http://x", "ACC", 1))
        async with gate:
            waiting = asyncio.ensure_future(gate.__aenter__())
            await asyncio.sleep(0.05)
            waiting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await waiting
        entered: list[int] = []
        leave = asyncio.Event()
        leave.set()
        await asyncio.wait_for(_enter_all(gate, 2, entered, leave), 20)
        return len(entered)

    assert asyncio.run(scenario()) == 2


def test_unusable_slot_files_leave_the_limit_to_this_process_with_one_warning(
    tmp_path: Path,
) -> None:
    (tmp_path / "slots").write_text("not a folder")
    warnings: list[str] = []

    async def scenario() -> Gate:
        gate = Gate(3, SlotFiles(tmp_path / "slots", "http://x", "ACC", 3), warnings.append)
        entered: list[int] = []
        leave = asyncio.Event()
        task = asyncio.ensure_future(_enter_all(gate, 5, entered, leave))
        await asyncio.wait_for(_until(lambda: len(entered) == 3), 20)
        await asyncio.sleep(0.05)
        assert len(entered) == 3
        leave.set()
        await task
        return gate

    gate = asyncio.run(scenario())
    assert gate.max_in_flight == 3
    assert len(warnings) == 1
    assert warnings[0].startswith(f"cannot lock a file in {tmp_path / 'slots'} (")
    assert "\n" not in warnings[0]


def test_cttui_count_with_unusable_slot_files_warns_once_and_counts(
    emulator: Emulator, emulator_env: dict[str, str], isolated_home: Path
) -> None:
    state = isolated_home / ".local" / "state" / "cttui"
    state.mkdir(parents=True)
    (state / "slots").write_text("not a folder")
    result = run_cttui(
        "count", "Charged", "--from", TODAY.isoformat(), "--to", TODAY.isoformat(), env=emulator_env
    )
    assert result.code == 0, result.err
    assert result.out.strip().isdigit()
    warning = f"cttui: warning: cannot lock a file in {state / 'slots'} (not a folder); "
    assert [line for line in result.err.splitlines() if line.startswith(warning)]
    assert len(result.err.splitlines()) == 1, result.err


async def test_closing_lets_a_request_in_flight_finish_before_its_slot_is_free(
    emulator: Emulator, tmp_path: Path
) -> None:
    """A request given up mid-way still counts at the server until it answers: a process that
    freed its slot then (or exited) would let the next process put a 4th in flight."""
    config = dataclasses.replace(emulator.config, port=0, latency=0.5)
    with Emulator(config) as slow:
        credentials = Credentials(DEFAULTS.account_id, DEFAULTS.passcode)
        async with CleverTapClient(credentials, slow.base_url) as client:
            manager = JobManager(poll_interval=0.1, slots=tmp_path / "slots")
            origin = Origin(client.account_id, client.base_url, "work")
            query = Query("Charged", DateRange(TODAY - timedelta(days=3), TODAY))
            manager.start(await manager.add(origin, client, query))
            await asyncio.wait_for(_until(lambda: slow.stats()["in_flight"] == 1), 20)
            await manager.close()
            assert slow.stats()["in_flight"] == 0


def test_gates_of_one_process_start_requests_no_closer_than_their_spacing() -> None:
    """500 jobs polling a server on this machine each second would take the whole core the
    app's keys run on: one process starts at most `rate` requests a second, over every
    account's gate, in the order asked, after the first few at once."""
    rate = 200
    clock = FakeClock()
    spacing = Spacing(rate, clock)
    gates = [Gate(3, spacing=spacing), Gate(3, spacing=spacing)]
    starts: list[tuple[float, int]] = []

    async def one(number: int) -> None:
        async with gates[number % 2]:
            starts.append((clock.now(), number))

    async def scenario() -> float:
        before = clock.now()
        tasks = [asyncio.ensure_future(one(number)) for number in range(40)]
        await clock.run_until(lambda: all(task.done() for task in tasks))
        return before

    before = asyncio.run(scenario())
    assert [number for _, number in starts] == list(range(40))
    burst = STARTS_AT_ONCE
    due = [0] * burst + list(range(1, 40 - burst + 1))
    assert [round((at - before) * rate, 6) for at, _ in starts] == due


def test_the_spacing_lets_a_burst_through_again_once_the_rate_has_caught_up() -> None:
    """A pause earns the burst back (a user's next few queries never wait), and never more."""
    rate = 100
    clock = FakeClock()
    spacing = Spacing(rate, clock, burst=3)
    starts: list[float] = []

    async def start() -> None:
        await spacing.wait()
        starts.append(clock.now())

    async def burst(count: int) -> None:
        tasks = [asyncio.ensure_future(start()) for _ in range(count)]
        await clock.run_until(lambda: all(task.done() for task in tasks))

    async def scenario() -> None:
        await burst(5)
        waited = asyncio.ensure_future(clock.sleep(60))  # a minute without requests
        await clock.run_until(waited.done)
        await burst(5)

    asyncio.run(scenario())
    first, second = starts[:5], starts[5:]
    assert [round((at - first[0]) * rate, 6) for at in first] == [0, 0, 0, 1, 2]
    assert [round((at - second[0]) * rate, 6) for at in second] == [0, 0, 0, 1, 2]
