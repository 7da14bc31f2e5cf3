"""Synthetic CleverTap events: what exists, and how a reproducible store of them is generated.

Everything drawn comes from one ``random.Random(seed)`` in a fixed order, so the same
(seed, profiles, events, today) always gives the same rows. The mix is deliberately uneven: a few
profiles are far more active than most, each event reaches only part of the profiles, and
property values have skewed frequencies.

Each event has a rhythm of its own (``RHYTHMS``), so that a series of days or weeks moves the way
a real app's does: a weekend level (browsing, carts, purchases and food picks are up at the
weekend; launches and notification clicks, driven by weekday habits and weekday campaigns, are
down), a trend over the year (most events grow; notification clicks and food picks shrink), and
noise of two kinds, one factor per ISO week (a good or a bad week: most week-to-week changes of a
count land between 3% and 15%) and one per day.
"""

from __future__ import annotations

import collections
import datetime
import itertools
import math
import operator
import random
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

PropertyKind = Literal["string", "number", "boolean"]

# Bump when the tables or the way rows are drawn change, so cached stores are not reused.
SCHEMA_VERSION = 2
DAYS = 365

EVENT_SCHEMA: dict[str, dict[str, PropertyKind]] = {
    "App Launched": {"Platform": "string"},
    "Product Viewed": {"Product Name": "string", "Category": "string", "Price": "number"},
    "Added To Cart": {"Quantity": "number", "Category": "string"},
    "Notification Clicked": {"Campaign": "string"},
    "Charged": {
        "Amount": "number",
        "Category": "string",
        "First Purchase": "boolean",
        "Coupon": "string",
    },
    "choseNewFavoriteFood": {"value": "string"},
}

# (share of all events, share of profiles that ever do the event)
_EVENT_MIX: dict[str, tuple[float, float]] = {
    "App Launched": (38, 1.0),
    "Product Viewed": (30, 0.85),
    "Added To Cart": (12, 0.6),
    "Notification Clicked": (9, 0.5),
    "Charged": (6, 0.4),
    "choseNewFavoriteFood": (5, 0.3),
}


@dataclass(frozen=True)
class Rhythm:
    """How one event's activity moves through the year.

    ``weekend``: a Saturday's or Sunday's activity relative to a weekday's. ``trend``: the last
    day's relative to the first day's, reached at a steady rate (0.7 shrinks by 30% over the year).
    """

    weekend: float
    trend: float


RHYTHMS: dict[str, Rhythm] = {
    "App Launched": Rhythm(weekend=0.8, trend=1.35),
    "Product Viewed": Rhythm(weekend=1.3, trend=1.5),
    "Added To Cart": Rhythm(weekend=1.25, trend=1.2),
    "Notification Clicked": Rhythm(weekend=0.55, trend=0.7),
    "Charged": Rhythm(weekend=1.2, trend=1.25),
    "choseNewFavoriteFood": Rhythm(weekend=1.45, trend=0.6),
}
# Standard deviations of the log of the weekly and the daily factors. A count of distinct
# profiles moves less than the events behind it (the most active profiles are counted every
# week), so the weekly factor is larger than the 3..15% a week's count is meant to move.
_WEEK_NOISE = 0.05
_DAY_NOISE = 0.06

_PLATFORMS = {"Android": 55, "iOS": 35, "Web": 10}
_CATEGORIES = {"Books": 30, "Fashion": 25, "Grocery": 22, "Electronics": 15, "Toys": 8}
_FOODS = {
    "pizza": 25,
    "burger": 18,
    "pasta": 15,
    "sushi": 12,
    "tacos": 10,
    "salad": 8,
    "pizza margherita": 7,
    "paneer tikka": 5,
}
_CAMPAIGNS = {"Weekly Digest": 40, "Cart Reminder": 30, "Spring Sale": 20, "Welcome Series": 10}
_COUPONS = {"SAVE10": 45, "WELCOME": 25, "FREESHIP": 20, "BOGO": 10}
_QUANTITIES = {1: 60, 2: 20, 3: 10, 4: 6, 5: 4}
# (product name, category, price, popularity)
_PRODUCTS = (
    ("Paperback Novel", "Books", 12.99, 30),
    ("Cookbook", "Books", 24.5, 12),
    ("Wireless Earbuds", "Electronics", 79, 18),
    ("Smartphone", "Electronics", 499, 6),
    ("USB-C Cable", "Electronics", 9.99, 14),
    ("Denim Jacket", "Fashion", 65, 10),
    ("Sneakers", "Fashion", 89.9, 16),
    ("Olive Oil", "Grocery", 11.25, 20),
    ("Coffee Beans", "Grocery", 15, 22),
    ("Building Blocks", "Toys", 39.99, 8),
    ("Puzzle", "Toys", 18, 5),
)
_COUPON_SHARE = 0.3
_FIRST_PURCHASE_SHARE = 0.15
_PREFERRED_PLATFORM_SHARE = 0.88

Row = tuple[int, int, int, str]
# (rng, the profile of each event, each profile's preferred platform by id - 1) -> the JSON
# properties of each event, in order.
_PropertyDrawer = Callable[[random.Random, Sequence[int], Sequence[str]], list[str]]


def store_file_name(seed: int, profiles: int, events: int, today: datetime.date) -> str:
    """A name that changes whenever the generated content would."""
    return f"events-v{SCHEMA_VERSION}-s{seed}-p{profiles}-e{events}-{today:%Y%m%d}.sqlite3"


def superseded_store_files(seed: int, profiles: int, events: int) -> str:
    """A glob for every store of this seed and size, whatever its day and schema version."""
    return f"events-v*-s{seed}-p{profiles}-e{events}-*.sqlite3"


def generate(
    connection: sqlite3.Connection, seed: int, profiles: int, events: int, today: datetime.date
) -> None:
    """Fill an empty database with the synthetic store for these inputs."""
    rng = random.Random(seed)
    # No journal and no syncs: a store cut off half-way is a temporary file that is never used.
    connection.executescript(
        """
        PRAGMA journal_mode = OFF;
        PRAGMA synchronous = OFF;
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE event_names (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
        CREATE TABLE profiles (id INTEGER PRIMARY KEY, identity TEXT NOT NULL);
        CREATE TABLE events (
            profile INTEGER NOT NULL,
            event INTEGER NOT NULL,
            day INTEGER NOT NULL,
            props TEXT NOT NULL
        );
        """
    )
    with connection:
        connection.executemany(
            "INSERT INTO meta VALUES (?, ?)", meta_rows(seed, profiles, events, today)
        )
        connection.executemany(
            "INSERT INTO event_names VALUES (?, ?)",
            [(index, name) for index, name in enumerate(EVENT_SCHEMA, start=1)],
        )
        connection.executemany(
            "INSERT INTO profiles VALUES (?, ?)",
            [(profile, f"user-{profile:07d}") for profile in range(1, profiles + 1)],
        )
        connection.executemany(
            "INSERT INTO events VALUES (?, ?, ?, ?)", _draw_events(rng, profiles, events, today)
        )
    connection.execute("CREATE INDEX events_by_event_day ON events (event, day)")
    connection.execute("ANALYZE")
    connection.commit()


def meta_rows(seed: int, profiles: int, events: int, today: datetime.date) -> list[tuple[str, str]]:
    """What a cached store must record to be reused for these inputs."""
    return [
        ("schema_version", str(SCHEMA_VERSION)),
        ("seed", str(seed)),
        ("profiles", str(profiles)),
        ("events", str(events)),
        ("today", today.isoformat()),
    ]


def _draw_events(
    rng: random.Random, profiles: int, events: int, today: datetime.date
) -> Iterator[Row]:
    days = [today - datetime.timedelta(days=DAYS - 1 - offset) for offset in range(DAYS)]
    day_numbers = [day.year * 10_000 + day.month * 100 + day.day for day in days]
    profile_ids = list(range(1, profiles + 1))
    preferred_platform = rng.choices(list(_PLATFORMS), list(_PLATFORMS.values()), k=profiles)
    shares = [share for share, _ in _EVENT_MIX.values()]
    counts = collections.Counter(rng.choices(list(_EVENT_MIX), shares, k=events))
    for event_id, name in enumerate(EVENT_SCHEMA, start=1):
        count = counts[name]
        reach = max(1, round(profiles * _EVENT_MIX[name][1]))
        doers = rng.sample(profile_ids, reach)
        # Zipf-like activity: a handful of profiles do most of the events.
        doer_cumulative = list(itertools.accumulate((rank + 10) ** -0.8 for rank in range(reach)))
        who = rng.choices(doers, cum_weights=doer_cumulative, k=count)
        when = rng.choices(day_numbers, cum_weights=_day_cumulative(rng, name, days), k=count)
        props = _DRAWERS[name](rng, who, preferred_platform)
        rows = zip(who, itertools.repeat(event_id, count), when, props, strict=True)
        # Stored in (event, day) order, so a range scan reads neighbouring pages.
        yield from sorted(rows, key=operator.itemgetter(2))


def _day_cumulative(rng: random.Random, name: str, days: Sequence[datetime.date]) -> list[float]:
    """Cumulative weights of the days for one event: its rhythm times its weekly and daily noise."""
    rhythm = RHYTHMS[name]
    # Weeks run Monday to Sunday, as a series' weeks do (ordinal 1 is a Monday).
    first_week = (days[0].toordinal() - 1) // 7
    weeks = (days[-1].toordinal() - 1) // 7 - first_week + 1
    week_factors = [math.exp(rng.gauss(0, _WEEK_NOISE)) for _ in range(weeks)]
    last = len(days) - 1
    weights = (
        rhythm.trend ** (offset / last)
        * (rhythm.weekend if day.weekday() >= 5 else 1.0)
        * week_factors[(day.toordinal() - 1) // 7 - first_week]
        * math.exp(rng.gauss(0, _DAY_NOISE))
        for offset, day in enumerate(days)
    )
    return list(itertools.accumulate(weights))


def _json_strings(values: dict[str, int]) -> tuple[list[str], list[int]]:
    # Every value here is plain ASCII without quotes or backslashes, so f-strings give valid
    # JSON; json.dumps per row would double the generation time.
    return [f'"{value}"' for value in values], list(values.values())


def _app_launched(
    rng: random.Random, who: Sequence[int], preferred_platform: Sequence[str]
) -> list[str]:
    # Most profiles stick to one platform, so "Platform equals Web" reaches few profiles.
    platforms = list(_PLATFORMS)
    rows = []
    for profile in who:
        platform = preferred_platform[profile - 1]
        if rng.random() >= _PREFERRED_PLATFORM_SHARE:
            platform = rng.choice(platforms)
        rows.append(f'{{"Platform": "{platform}"}}')
    return rows


def _product_viewed(rng: random.Random, who: Sequence[int], _platforms: Sequence[str]) -> list[str]:
    rows = [
        f'{{"Product Name": "{name}", "Category": "{category}", "Price": {price}}}'
        for name, category, price, _ in _PRODUCTS
    ]
    return rng.choices(rows, [popularity for *_, popularity in _PRODUCTS], k=len(who))


def _added_to_cart(rng: random.Random, who: Sequence[int], _platforms: Sequence[str]) -> list[str]:
    quantities = rng.choices(list(_QUANTITIES), list(_QUANTITIES.values()), k=len(who))
    categories = rng.choices(*_json_strings(_CATEGORIES), k=len(who))
    return [
        f'{{"Quantity": {quantity}, "Category": {category}}}'
        for quantity, category in zip(quantities, categories, strict=True)
    ]


def _notification_clicked(
    rng: random.Random, who: Sequence[int], _platforms: Sequence[str]
) -> list[str]:
    campaigns = rng.choices(*_json_strings(_CAMPAIGNS), k=len(who))
    return [f'{{"Campaign": {campaign}}}' for campaign in campaigns]


def _charged(rng: random.Random, who: Sequence[int], _platforms: Sequence[str]) -> list[str]:
    categories = rng.choices(*_json_strings(_CATEGORIES), k=len(who))
    coupons, coupon_weights = _json_strings(_COUPONS)
    rows = []
    for category in categories:
        amount: float = min(500.0, 1 + rng.expovariate(1 / 60))
        # Half whole amounts, half with cents: clients must not assume either.
        amount = int(amount) if rng.random() < 0.5 else round(amount, 2)
        first = "true" if rng.random() < _FIRST_PURCHASE_SHARE else "false"
        row = f'{{"Amount": {amount}, "Category": {category}, "First Purchase": {first}'
        if rng.random() < _COUPON_SHARE:
            row += f', "Coupon": {rng.choices(coupons, coupon_weights)[0]}'
        rows.append(row + "}")
    return rows


def _chose_new_favorite_food(
    rng: random.Random, who: Sequence[int], _platforms: Sequence[str]
) -> list[str]:
    foods = rng.choices(*_json_strings(_FOODS), k=len(who))
    return [f'{{"value": {food}}}' for food in foods]


_DRAWERS: dict[str, _PropertyDrawer] = {
    "App Launched": _app_launched,
    "Product Viewed": _product_viewed,
    "Added To Cart": _added_to_cart,
    "Notification Clicked": _notification_clicked,
    "Charged": _charged,
    "choseNewFavoriteFood": _chose_new_favorite_food,
}
