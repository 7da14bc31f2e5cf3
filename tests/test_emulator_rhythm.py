"""The emulator's counts move the way a real app's do: a weekday rhythm, a trend over the year
and noise, all from the seed. Counted over real loopback HTTP on the demo's store (its default
size), as a series of weeks asks them."""

from __future__ import annotations

import dataclasses
import datetime
import itertools
import pathlib
import statistics
from collections.abc import Iterator

import pytest

from cttui.api.periods import Every, periods
from cttui.emulator import Emulator, EmulatorConfig
from cttui.emulator.dataset import EVENT_SCHEMA, RHYTHMS
from tests.test_emulator import day, post

TODAY = datetime.date(2026, 11, 23)
FIRST_DAY = TODAY - datetime.timedelta(days=364)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    config = EmulatorConfig(today=TODAY, cache_dir=tmp_path_factory.mktemp("rhythm"))
    with Emulator(config) as running:
        yield running


def http_count(emulator: Emulator, event: str, first: datetime.date, last: datetime.date) -> int:
    answer = post(emulator.base_url, {"event_name": event, "from": day(first), "to": day(last)})
    assert answer.status == 200
    assert answer.body["status"] == "success", answer.body
    return int(answer.body["count"])


def daily_counts(emulator: Emulator, event: str) -> list[tuple[datetime.date, int]]:
    days = [FIRST_DAY + datetime.timedelta(days=offset) for offset in range(365)]
    return [(when, emulator.count(event, day(when), day(when))) for when in days]


@pytest.mark.parametrize("event", list(EVENT_SCHEMA))
def test_each_event_has_its_weekend_level_and_its_trend(demo: Emulator, event: str) -> None:
    counts = daily_counts(demo, event)
    by_weekday = [
        statistics.mean(count for when, count in counts if when.weekday() == weekday)
        for weekday in range(7)
    ]
    weekdays, weekend = statistics.mean(by_weekday[:5]), statistics.mean(by_weekday[5:])
    rhythm = RHYTHMS[event]
    # Every weekday is nearer the weekdays' level than the weekend's, and the other way round.
    for level in by_weekday[:5]:
        assert abs(level - weekdays) < abs(level - weekend), by_weekday
    for level in by_weekday[5:]:
        assert abs(level - weekend) < abs(level - weekdays), by_weekday
    assert (weekend > weekdays) == (rhythm.weekend > 1), by_weekday
    first_quarter = sum(count for _, count in counts[:91])
    last_quarter = sum(count for _, count in counts[-91:])
    assert (last_quarter > first_quarter) == (rhythm.trend > 1), (first_quarter, last_quarter)


def test_a_twelve_week_series_moves_but_not_wildly(demo: Emulator) -> None:
    weeks = periods(Every.WEEK, 12, TODAY, current=False)
    changes: list[float] = []
    for event in EVENT_SCHEMA:
        counts = [http_count(demo, event, week.dates.start, week.dates.end) for week in weeks]
        moves = [abs(after - before) / before for before, after in itertools.pairwise(counts)]
        assert 0.02 <= statistics.median(moves) <= 0.15, (event, counts)
        assert max(moves) < 0.35, (event, counts)
        changes.extend(moves)
    within = [move for move in changes if 0.03 <= move <= 0.15]
    assert len(within) >= len(changes) / 2, changes


def test_one_seed_gives_the_same_counts_and_another_seed_others(tmp_path: pathlib.Path) -> None:
    config = EmulatorConfig(profiles=2_000, events=60_000, today=TODAY, seed=5)

    def year(config: EmulatorConfig) -> list[int]:
        with Emulator(config) as running:
            days = [count for event in EVENT_SCHEMA for _, count in daily_counts(running, event)]
            return [
                *days,
                http_count(running, "Charged", TODAY - datetime.timedelta(days=13), TODAY),
            ]

    first = year(dataclasses.replace(config, cache_dir=tmp_path / "a"))
    again = year(dataclasses.replace(config, cache_dir=tmp_path / "b"))
    other = year(dataclasses.replace(config, cache_dir=tmp_path / "c", seed=6))
    assert first == again
    assert first != other
