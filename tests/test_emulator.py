"""The CleverTap emulator, driven over real loopback HTTP with the standard library only.

Counts are checked against a brute-force counter written here from the documented semantics, over
every event read back from the emulator's own SQLite store.
"""

from __future__ import annotations

import dataclasses
import datetime
import email.message
import http.client
import io
import json
import os
import pathlib
import re
import selectors
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cttui.cli.options import ENV_POLL_INTERVAL, positive_float
from cttui.emulator import Emulator, EmulatorConfig, RecordedRequest, serve
from cttui.emulator.server import SHORTEST_POLL_INTERVAL, poll_interval_text
from cttui.emulator.store import EventStore
from tests.conftest import wait_for

TODAY = datetime.date(2026, 5, 1)
FIRST_DAY = TODAY - datetime.timedelta(days=364)
API = "/1/counts/profiles.json"
ACCOUNT = "EMU-LAT-0001"
PASSCODE = "emulator-passcode"
AUTH = {
    "X-CleverTap-Account-Id": ACCOUNT,
    "X-CleverTap-Passcode": PASSCODE,
    "Content-Type": "application/json",
}
VALID: dict[str, Any] = {"event_name": "Charged", "from": 20260401, "to": 20260410}
SMALL = EmulatorConfig(profiles=300, events=20_000, today=TODAY, compute_seconds=0.3)
DEADLINE_SECONDS = 60.0


def day(value: datetime.date) -> int:
    return int(value.strftime("%Y%m%d"))


YEAR = (day(FIRST_DAY), day(TODAY))
LAST_30_DAYS = (day(TODAY - datetime.timedelta(days=29)), day(TODAY))


@dataclasses.dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    headers: email.message.Message


def call(
    base_url: str,
    method: str,
    path: str = API,
    body: object = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    """One request on a fresh connection, header names sent exactly as given.

    ``body`` is sent as is when bytes, else as JSON; None sends no body.
    """
    data = body if isinstance(body, bytes) else None if body is None else json.dumps(body).encode()
    host, port = base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=DEADLINE_SECONDS)
    try:
        connection.request(method, path, data, AUTH if headers is None else headers)
        response = connection.getresponse()
        raw = response.read()
    finally:
        connection.close()
    return Answer(response.status, json.loads(raw) if raw else None, response.headers)


def post(base_url: str, body: object, headers: dict[str, str] | None = None) -> Answer:
    return call(base_url, "POST", API, body, headers)


# --- brute force --------------------------------------------------------------------------------

Event = tuple[int, str, int, dict[str, Any]]


def read_events(cache_dir: pathlib.Path) -> list[Event]:
    (path,) = cache_dir.glob("*.sqlite3")
    with sqlite3.connect(path) as connection:
        rows = connection.execute(
            "SELECT e.profile, n.name, e.day, e.props FROM events e"
            " JOIN event_names n ON n.id = e.event"
        ).fetchall()
    return [(profile, name, when, json.loads(props)) for profile, name, when, props in rows]


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _equal(actual: object, wanted: object) -> bool:
    if isinstance(actual, bool):
        if isinstance(wanted, str):
            return wanted.lower() == str(actual).lower()
        return isinstance(wanted, bool) and wanted == actual
    if isinstance(actual, int | float):
        return _number(wanted) == actual
    return isinstance(wanted, str) and wanted == actual


def matches(props: dict[str, Any], rule: dict[str, Any]) -> bool:
    operator, name = rule["operator"], rule["name"]
    present, actual = name in props, props.get(name)
    if operator == "exists":
        return present
    if operator == "does_not_exist":
        return not present
    if operator == "not_equals":
        return not matches(props, {**rule, "operator": "equals"})
    if operator == "does_not_contain":
        return not matches(props, {**rule, "operator": "contains"})
    values = rule["value"] if isinstance(rule["value"], list) else [rule["value"]]
    if operator == "equals":
        return present and any(_equal(actual, value) for value in values)
    if operator == "contains":
        return isinstance(actual, str) and any(v.lower() in actual.lower() for v in values)
    if isinstance(actual, bool) or not isinstance(actual, int | float):
        return False
    bound = _number(values[0])
    assert bound is not None
    return {
        "greater_than": actual > bound,
        "greater_than_equals": actual >= bound,
        "less_than": actual < bound,
        "less_than_equals": actual <= bound,
    }[operator]


def brute_count(
    events: list[Event], event_name: str, date_from: int, date_to: int, rules: list[dict[str, Any]]
) -> int:
    return len(
        {
            profile
            for profile, name, when, props in events
            if name == event_name
            and date_from <= when <= date_to
            and all(matches(props, rule) for rule in rules)
        }
    )


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    return tmp_path_factory.mktemp("emulator-cache")


@pytest.fixture(scope="module")
def emulator(cache_dir: pathlib.Path) -> Iterator[Emulator]:
    with Emulator(dataclasses.replace(SMALL, cache_dir=cache_dir)) as running:
        yield running


@pytest.fixture(scope="module")
def events(emulator: Emulator, cache_dir: pathlib.Path) -> list[Event]:
    return read_events(cache_dir)


@pytest.fixture
def make_emulator(cache_dir: pathlib.Path) -> Iterator[Callable[..., Emulator]]:
    """Start emulators over the module's cached small store; all are stopped afterwards."""
    started: list[Emulator] = []

    def make(**changes: Any) -> Emulator:
        config = dataclasses.replace(SMALL, cache_dir=cache_dir, **changes)
        started.append(Emulator(config).start())
        return started[-1]

    yield make
    for running in started:
        running.stop()


# --- counting -----------------------------------------------------------------------------------


def rule(name: str, operator: str, value: object = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name, "operator": operator}
    if value is not None:
        entry["value"] = value
    return entry


COUNT_CASES: dict[str, tuple[str, list[dict[str, Any]]]] = {
    "no filter": ("Charged", []),
    "string equals": ("Charged", [rule("Category", "equals", "Books")]),
    "string equals is case-sensitive": ("Charged", [rule("Category", "equals", "books")]),
    "string equals any of a list": ("Charged", [rule("Category", "equals", ["Books", "Toys"])]),
    "string not_equals": ("Charged", [rule("Category", "not_equals", "Books")]),
    "not_equals a list": ("App Launched", [rule("Platform", "not_equals", ["iOS", "Web"])]),
    "not_equals counts absent property": ("Charged", [rule("Coupon", "not_equals", "SAVE10")]),
    "contains matches two values": ("choseNewFavoriteFood", [rule("value", "contains", "piz")]),
    "contains ignores the needle's case": (
        "choseNewFavoriteFood",
        [rule("value", "contains", "PIZ")],
    ),
    "contains ignores the value's case": ("Charged", [rule("Category", "contains", "bOOk")]),
    "contains any of a list": ("choseNewFavoriteFood", [rule("value", "contains", ["sus", "tik"])]),
    "does_not_contain": ("choseNewFavoriteFood", [rule("value", "does_not_contain", "piz")]),
    "exists": ("Charged", [rule("Coupon", "exists")]),
    "exists ignores a value": ("Charged", [rule("Coupon", "exists", "ignored")]),
    "does_not_exist": ("Charged", [rule("Coupon", "does_not_exist")]),
    "number equals int": ("Added To Cart", [rule("Quantity", "equals", 2)]),
    "number equals float": ("Product Viewed", [rule("Price", "equals", 12.99)]),
    "number equals numeric string": ("Product Viewed", [rule("Price", "equals", "79")]),
    "number equals non-numeric": ("Product Viewed", [rule("Price", "equals", "cheap")]),
    "number equals list": ("Added To Cart", [rule("Quantity", "equals", [3, "4"])]),
    "greater_than": ("Charged", [rule("Amount", "greater_than", 100)]),
    "greater_than_equals float": ("Charged", [rule("Amount", "greater_than_equals", 50.5)]),
    "less_than numeric string": ("Charged", [rule("Amount", "less_than", "20.25")]),
    "less_than_equals": ("Added To Cart", [rule("Quantity", "less_than_equals", 1)]),
    "boolean True string": ("Charged", [rule("First Purchase", "equals", "True")]),
    "boolean true any case": ("Charged", [rule("First Purchase", "equals", "tRUE")]),
    "boolean false any case": ("Charged", [rule("First Purchase", "equals", "fALSE")]),
    "boolean JSON true": ("Charged", [rule("First Purchase", "equals", True)]),
    "boolean not_equals": ("Charged", [rule("First Purchase", "not_equals", "True")]),
    "two filters": (
        "Charged",
        [rule("Category", "equals", "Electronics"), rule("Amount", "greater_than", 30)],
    ),
    "two filters on one occurrence": (
        "Product Viewed",
        [rule("Category", "equals", "Books"), rule("Price", "greater_than", 20)],
    ),
    "unknown property equals": ("Charged", [rule("Colour", "equals", "red")]),
    "unknown property not_equals": ("Charged", [rule("Colour", "not_equals", "red")]),
    "unknown property does_not_exist": ("Charged", [rule("Colour", "does_not_exist")]),
    "contains on a number property": ("Charged", [rule("Amount", "contains", "1")]),
    "comparison on a string property": ("Charged", [rule("Category", "greater_than", 1)]),
}


@pytest.mark.parametrize(("event_name", "rules"), list(COUNT_CASES.values()), ids=list(COUNT_CASES))
def test_counts_match_brute_force(
    emulator: Emulator, events: list[Event], event_name: str, rules: list[dict[str, Any]]
) -> None:
    for date_from, date_to in (YEAR, LAST_30_DAYS):
        expected = brute_count(events, event_name, date_from, date_to, rules)
        assert emulator.count(event_name, date_from, date_to, rules) == expected
    date_from, date_to = LAST_30_DAYS
    body = {"event_name": event_name, "event_properties": rules, "from": date_from, "to": date_to}
    answer = post(emulator.base_url, body)
    expected = brute_count(events, event_name, date_from, date_to, rules)
    assert (answer.status, answer.body) == (200, {"status": "success", "count": expected})


def test_the_data_makes_filters_matter(emulator: Emulator) -> None:
    def count(event_name: str, *rules: dict[str, Any]) -> int:
        return emulator.count(event_name, *YEAR, list(rules))

    everyone = count("Charged")
    with_coupon = count("Charged", rule("Coupon", "exists"))
    without_coupon = count("Charged", rule("Coupon", "does_not_exist"))
    assert 0 < with_coupon < everyone
    assert 0 < without_coupon <= everyone
    pizza = count("choseNewFavoriteFood", rule("value", "equals", "pizza"))
    assert count("choseNewFavoriteFood", rule("value", "contains", "piz")) > pizza > 0
    web = count("App Launched", rule("Platform", "equals", "Web"))
    android = count("App Launched", rule("Platform", "equals", "Android"))
    assert 0 < web < android
    first = count("Charged", rule("First Purchase", "equals", "True"))
    assert 0 < first < count("Charged", rule("First Purchase", "equals", "False"))


@pytest.mark.parametrize(
    ("date_from", "date_to", "expect_data"),
    [
        pytest.param(day(TODAY), day(TODAY), True, id="today only"),
        pytest.param(day(FIRST_DAY), day(FIRST_DAY), True, id="first day only"),
        pytest.param(*YEAR, True, id="whole year"),
        pytest.param(20000101, 20301231, True, id="wider than the data"),
        pytest.param(20000101, day(FIRST_DAY) - 1, False, id="before the data"),
        pytest.param(day(TODAY + datetime.timedelta(days=1)), 20301231, False, id="after the data"),
    ],
)
def test_range_edges(
    emulator: Emulator, events: list[Event], date_from: int, date_to: int, expect_data: bool
) -> None:
    expected = brute_count(events, "App Launched", date_from, date_to, [])
    assert (expected > 0) is expect_data
    assert emulator.count("App Launched", date_from, date_to) == expected


def test_whole_year_equals_all_data(emulator: Emulator, events: list[Event]) -> None:
    doers = {profile for profile, name, _, _ in events if name == "Product Viewed"}
    assert emulator.count("Product Viewed", *YEAR) == len(doers)
    assert {when for _, _, when, _ in events} == {
        day(FIRST_DAY + datetime.timedelta(days=offset)) for offset in range(365)
    }


def test_count_rejects_what_the_server_rejects(emulator: Emulator) -> None:
    with pytest.raises(ValueError, match="Invalid event : Uninstalled"):
        emulator.count("Uninstalled", *YEAR)
    with pytest.raises(ValueError, match="Invalid operator: containz"):
        emulator.count("Charged", *YEAR, [rule("Category", "containz", "B")])
    with pytest.raises(ValueError, match="Invalid date: 20260230"):
        emulator.count("Charged", 20260201, 20260230)


# --- the store ----------------------------------------------------------------------------------

PROBES: list[tuple[str, list[dict[str, Any]]]] = [
    ("App Launched", []),
    ("Charged", [rule("Amount", "greater_than", 40)]),
    ("choseNewFavoriteFood", [rule("value", "contains", "piz")]),
    ("Product Viewed", [rule("Category", "equals", "Toys")]),
]


def probe_counts(config: EmulatorConfig) -> list[int]:
    with Emulator(config) as running:
        return [running.count(name, *LAST_30_DAYS, rules) for name, rules in PROBES]


def test_same_inputs_give_the_same_data_and_a_new_seed_does_not(tmp_path: pathlib.Path) -> None:
    config = EmulatorConfig(profiles=200, events=5_000, today=TODAY, seed=7)
    first = probe_counts(dataclasses.replace(config, cache_dir=tmp_path / "a"))
    again = probe_counts(dataclasses.replace(config, cache_dir=tmp_path / "b"))
    other = probe_counts(dataclasses.replace(config, cache_dir=tmp_path / "c", seed=8))
    assert first == again
    assert first != other


def test_a_cached_store_is_reused(tmp_path: pathlib.Path) -> None:
    cache = tmp_path / "cache"
    config = EmulatorConfig(profiles=200, events=5_000, today=TODAY, cache_dir=cache)
    first = probe_counts(config)
    (path,) = cache.iterdir()
    before = path.stat()
    assert probe_counts(config) == first
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert list(cache.iterdir()) == [path]


def test_a_damaged_cache_is_regenerated(tmp_path: pathlib.Path) -> None:
    cache = tmp_path / "cache"
    config = EmulatorConfig(profiles=200, events=5_000, today=TODAY, cache_dir=cache)
    first = probe_counts(config)
    (path,) = cache.iterdir()
    path.write_bytes(b"not a database" * 100)
    assert probe_counts(config) == first
    assert list(cache.iterdir()) == [path]


def test_a_new_days_store_replaces_the_same_shape_from_other_days(
    tmp_path: pathlib.Path,
) -> None:
    cache = tmp_path / "cache"
    config = EmulatorConfig(profiles=200, events=5_000, today=TODAY, cache_dir=cache)
    probe_counts(config)
    probe_counts(dataclasses.replace(config, seed=9))
    yesterday_path, other_seed_path = sorted(cache.iterdir(), key=lambda p: "-s9-" in p.name)
    probe_counts(dataclasses.replace(config, today=TODAY + datetime.timedelta(days=1)))
    names = {path.name for path in cache.iterdir()}
    assert yesterday_path.name not in names
    assert other_seed_path.name in names
    assert len(names) == 2


def test_the_default_store_has_a_year_of_rich_data(tmp_path: pathlib.Path) -> None:
    with Emulator(EmulatorConfig(today=TODAY, cache_dir=tmp_path / "cache")) as running:
        (path,) = (tmp_path / "cache").glob("*.sqlite3")
        with sqlite3.connect(path) as connection:
            profiles = connection.execute("SELECT COUNT(*) FROM profiles").fetchone()[0]
            active = connection.execute("SELECT COUNT(DISTINCT profile) FROM events").fetchone()
            total, first, last, days = connection.execute(
                "SELECT COUNT(*), MIN(day), MAX(day), COUNT(DISTINCT day) FROM events"
            ).fetchone()
        assert profiles >= 10_000
        assert active[0] >= 10_000
        assert total >= 500_000
        assert (first, last, days) == (day(FIRST_DAY), day(TODAY), 365)
        for name in ("choseNewFavoriteFood", "Charged", "App Launched", "Product Viewed"):
            assert running.count(name, *LAST_30_DAYS) > 0


def test_without_a_cache_dir_the_store_lives_and_dies_with_the_emulator(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A temporary directory of this test's own: emulators of other xdist workers come and go
    # in the shared one.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    def owned() -> set[pathlib.Path]:
        return set(pathlib.Path(tempfile.gettempdir()).glob("cttui-emulator-*"))

    before = owned()
    with Emulator(dataclasses.replace(SMALL, events=2_000)) as running:
        (created,) = owned() - before
        assert list(created.glob("*.sqlite3"))
        assert post(running.base_url, VALID).body["status"] == "success"
    assert not created.exists()


# --- answers ------------------------------------------------------------------------------------


def test_success_within_the_partial_threshold(emulator: Emulator) -> None:
    start = day(TODAY - datetime.timedelta(days=30))
    answer = post(emulator.base_url, {"event_name": "Charged", "from": start, "to": day(TODAY)})
    assert answer.status == 200
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.body == {"status": "success", "count": emulator.count("Charged", start, YEAR[1])}


def test_partial_then_polls_then_success(make_emulator: Callable[..., Emulator]) -> None:
    # Long enough that the first poll surely comes before the result is due, even on a slow box.
    emulator = make_emulator(compute_seconds=1.0)
    posted = time.monotonic()
    start = day(TODAY - datetime.timedelta(days=31))
    answer = post(emulator.base_url, {"event_name": "Charged", "from": start, "to": day(TODAY)})
    assert answer.status == 200
    assert answer.body["status"] == "partial"
    req_id = answer.body["req_id"]
    assert isinstance(req_id, int)
    assert len(str(req_id)) == 15

    def poll() -> Answer:
        return call(emulator.base_url, "GET", f"{API}?req_id={req_id}")

    assert poll().body == {"status": "partial", "req_id": req_id}
    wait_for(lambda: poll().body["status"] == "success", "the partial count", DEADLINE_SECONDS)
    assert time.monotonic() - posted >= 1.0
    done = {"status": "success", "count": emulator.count("Charged", start, YEAR[1])}
    for _ in range(3):
        again = poll()
        assert (again.status, again.body) == (200, done)


def test_req_ids_are_unique(emulator: Emulator) -> None:
    body = {"event_name": "App Launched", "from": YEAR[0], "to": YEAR[1]}
    ids = {post(emulator.base_url, body).body["req_id"] for _ in range(5)}
    assert len(ids) == 5


@pytest.mark.parametrize("req_id", ["123456789012345", "abc", "", "-5"])
def test_unknown_req_id(emulator: Emulator, req_id: str) -> None:
    answer = call(emulator.base_url, "GET", f"{API}?req_id={req_id}")
    assert answer.status == 200
    assert answer.body == {"status": "fail", "error": f"Invalid req_id: {req_id}", "code": 400}


def test_get_without_req_id_is_a_400(emulator: Emulator) -> None:
    answer = call(emulator.base_url, "GET")
    assert (answer.status, answer.body["code"]) == (400, 400)
    assert "req_id" in answer.body["error"]


def test_unknown_event_is_a_200_fail_with_a_json_array_inside(emulator: Emulator) -> None:
    answer = post(
        emulator.base_url, {"event_name": "Uninstalled", "from": 20260401, "to": 20260402}
    )
    assert answer.status == 200
    assert answer.body == {
        "status": "fail",
        "error": '["Invalid event : Uninstalled"]',
        "code": 400,
    }


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({**AUTH, "X-CleverTap-Passcode": "wrong"}, id="wrong passcode"),
        pytest.param({**AUTH, "X-CleverTap-Account-Id": "ABC-DEF-0000"}, id="wrong account"),
        pytest.param({"Content-Type": "application/json"}, id="no credentials"),
    ],
)
def test_bad_credentials_are_a_401(emulator: Emulator, headers: dict[str, str]) -> None:
    for method, body in (("POST", {"event_name": "Charged", "from": 20260401}), ("GET", None)):
        answer = call(emulator.base_url, method, f"{API}?req_id=1", body, headers)
        assert answer.status == 401
        assert answer.body == {"status": "fail", "error": "Invalid Credentials", "code": 401}


def test_header_names_are_case_insensitive(emulator: Emulator) -> None:
    emulator.reset_log()
    names = {"x-clevertap-account-id": ACCOUNT, "X-CLEVERTAP-PASSCODE": PASSCODE}
    answer = post(emulator.base_url, VALID, names)
    assert (answer.status, answer.body) == (200, post(emulator.base_url, VALID).body)
    assert answer.body["status"] == "success"
    first = emulator.requests[0]
    assert first.headers["x-clevertap-account-id"] == ACCOUNT
    assert first.headers["X-CLEVERTAP-PASSCODE"] == "<redacted>"


BAD_BODIES: dict[str, tuple[object, str]] = {
    "not JSON": (b"{not json", "Invalid JSON payload"),
    "empty": (b"", "Invalid JSON payload"),
    "a list": ([VALID], "Invalid JSON payload"),
    "NaN": (b'{"event_name": "Charged", "from": NaN, "to": 20260410}', "Invalid JSON payload"),
    "not UTF-8": (b'{"event_name": "\xff"}', "Invalid JSON payload"),
    "no event_name": ({"from": 20260401, "to": 20260410}, "Missing parameter: event_name"),
    "event_name not a string": (
        {**VALID, "event_name": 5},
        "Invalid parameter: event_name must be a non-empty string",
    ),
    "no from": ({"event_name": "Charged", "to": 20260410}, "Missing parameter: from"),
    "no to": ({"event_name": "Charged", "from": 20260401}, "Missing parameter: to"),
    "from a string": (
        {**VALID, "from": "20260401"},
        "Invalid parameter: from must be an integer YYYYMMDD",
    ),
    "to a bool": ({**VALID, "to": True}, "Invalid parameter: to must be an integer YYYYMMDD"),
    "from a float": (
        {**VALID, "from": 20260401.0},
        "Invalid parameter: from must be an integer YYYYMMDD",
    ),
    "impossible date": ({**VALID, "from": 20150230}, "Invalid date: 20150230"),
    "seven digits": ({**VALID, "to": 2026041}, "Invalid date: 2026041"),
    "from after to": (
        {**VALID, "from": 20260411},
        "Invalid date range: from 20260411 is after to 20260410",
    ),
    "event_properties not a list": (
        {**VALID, "event_properties": {"name": "Category"}},
        "Invalid parameter: event_properties must be a list",
    ),
    "entry not an object": (
        {**VALID, "event_properties": ["Category"]},
        "Invalid parameter: event_properties[0] must be an object",
    ),
    "entry without name": (
        {**VALID, "event_properties": [{"operator": "equals", "value": "Books"}]},
        "Missing parameter: event_properties[0].name",
    ),
    "entry without operator": (
        {**VALID, "event_properties": [rule("Category", "exists"), {"name": "Category"}]},
        "Missing parameter: event_properties[1].operator",
    ),
    "unknown operator": (
        {**VALID, "event_properties": [rule("Category", "containz", "B")]},
        "Invalid operator: containz",
    ),
    "between is not offered": (
        {**VALID, "event_properties": [rule("Amount", "between", [1, 2])]},
        "Invalid operator: between",
    ),
    "missing value": (
        {**VALID, "event_properties": [rule("Category", "equals")]},
        "Missing parameter: event_properties[0].value",
    ),
    "null value": (
        {**VALID, "event_properties": [{"name": "Category", "operator": "equals", "value": None}]},
        "Invalid value for equals: expected a primitive or a non-empty list of primitives",
    ),
    "empty list": (
        {**VALID, "event_properties": [rule("Category", "not_equals", [])]},
        "Invalid value for not_equals: expected a primitive or a non-empty list of primitives",
    ),
    "non-numeric comparison": (
        {**VALID, "event_properties": [rule("Amount", "greater_than", "lots")]},
        "Invalid value for greater_than: 'lots' is not a number",
    ),
    "boolean comparison": (
        {**VALID, "event_properties": [rule("Amount", "less_than", True)]},
        "Invalid value for less_than: True is not a number",
    ),
    "list comparison": (
        {**VALID, "event_properties": [rule("Amount", "less_than_equals", [1])]},
        "Invalid value for less_than_equals: [1] is not a number",
    ),
    "contains a number": (
        {**VALID, "event_properties": [rule("Category", "contains", 5)]},
        "Invalid value for contains: expected a string or a non-empty list of strings",
    ),
}


@pytest.mark.parametrize(("body", "error"), list(BAD_BODIES.values()), ids=list(BAD_BODIES))
def test_bad_bodies_are_a_400_saying_what_is_wrong(
    emulator: Emulator, body: object, error: str
) -> None:
    answer = post(emulator.base_url, body)
    assert answer.status == 400
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.body == {"status": "fail", "error": error, "code": 400}


def test_unknown_path_and_method(emulator: Emulator) -> None:
    missing = call(emulator.base_url, "GET", "/1/counts/events.json")
    assert (missing.status, missing.body["status"], missing.body["code"]) == (404, "fail", 404)
    assert missing.headers["Content-Type"] == "application/json"
    for method in ("PUT", "DELETE", "PATCH"):
        answer = call(emulator.base_url, method, API, VALID)
        assert (answer.status, answer.body["code"]) == (405, 405)
        assert answer.headers["Content-Type"] == "application/json"
    brewed = call(emulator.base_url, "BREW")
    assert (brewed.status, brewed.body["code"]) == (405, 405)
    host, port = emulator.base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=DEADLINE_SECONDS)
    try:
        connection.request("HEAD", API, headers=AUTH)
        head = connection.getresponse()
        assert (head.status, head.read()) == (405, b"")
        # A body after a HEAD answer would be misread as the next answer on this connection.
        connection.request("GET", "/_emulator/stats")
        assert connection.getresponse().status == 200
    finally:
        connection.close()


def test_a_failing_handler_answers_500_and_keeps_serving(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    def broken(self: EventStore, *_: object) -> int:
        raise RuntimeError("disk on fire")

    with monkeypatch.context() as patch:
        patch.setattr(EventStore, "count", broken)
        answer = post(emulator.base_url, VALID)
    assert answer.status == 500
    assert answer.body == {"status": "fail", "error": "Internal server error", "code": 500}
    assert post(emulator.base_url, VALID).body["status"] == "success"
    assert capfd.readouterr().err == ""


def test_a_client_sending_back_to_back_never_sees_429(emulator: Emulator) -> None:
    statuses: list[int] = []

    def client() -> None:
        statuses.extend(post(emulator.base_url, VALID).status for _ in range(10))

    threads = [threading.Thread(target=client) for _ in range(SMALL.max_concurrent)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(DEADLINE_SECONDS)
    assert statuses == [200] * 10 * SMALL.max_concurrent


def test_one_request_over_the_limit_is_a_429(make_emulator: Callable[..., Emulator]) -> None:
    slow = make_emulator(latency=1.0, max_concurrent=3)
    start = threading.Barrier(4)
    answers: list[Answer] = []

    def client(method: str) -> None:
        start.wait(DEADLINE_SECONDS)
        # Polls count against the limit as much as submissions do.
        body = VALID if method == "POST" else None
        answers.append(call(slow.base_url, method, f"{API}?req_id=1", body))

    threads = [threading.Thread(target=client, args=(m,)) for m in ("POST", "GET") * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(DEADLINE_SECONDS)
    refused = [answer for answer in answers if answer.status == 429]
    assert len(answers) == 4
    assert len(refused) == 1
    assert refused[0].body == {
        "status": "fail",
        "error": "Too many concurrent requests",
        "code": 429,
    }
    assert slow.max_in_flight == 3
    assert post(slow.base_url, VALID).status == 200
    slow.reset_log()
    assert (slow.max_in_flight, slow.requests) == (0, [])


def test_fail_rate_one_injects_503_and_500_after_auth(
    make_emulator: Callable[..., Emulator],
) -> None:
    failing = make_emulator(fail_rate=1.0)
    answers = [post(failing.base_url, VALID) for _ in range(4)]
    assert [answer.status for answer in answers] == [503, 500, 503, 500]
    assert answers[0].body == {
        "status": "fail",
        "error": "Service temporarily unavailable",
        "code": 503,
    }
    assert answers[1].body == {"status": "fail", "error": "Internal server error", "code": 500}
    assert post(failing.base_url, VALID, {"X-CleverTap-Account-Id": ACCOUNT}).status == 401


def test_injected_failures_repeat_with_the_seed(make_emulator: Callable[..., Emulator]) -> None:
    runs = [make_emulator(fail_rate=0.5) for _ in range(2)]
    sequences = [[post(run.base_url, VALID).status for _ in range(12)] for run in runs]
    assert sequences[0] == sequences[1]
    assert 200 in sequences[0]
    assert {503, 500} & set(sequences[0])


# --- the log and introspection ------------------------------------------------------------------


def test_the_request_log(emulator: Emulator) -> None:
    emulator.reset_log()
    body = json.dumps(VALID)
    post(emulator.base_url, body.encode())
    call(emulator.base_url, "GET", f"{API}?req_id=42")
    post(emulator.base_url, VALID, {"X-CleverTap-Passcode": "guess"})
    submitted, polled, refused = emulator.requests
    assert isinstance(submitted, RecordedRequest)
    assert (submitted.method, submitted.path, submitted.query) == ("POST", API, {})
    assert submitted.body == body
    assert submitted.headers["X-CleverTap-Account-Id"] == ACCOUNT
    assert submitted.headers["X-CleverTap-Passcode"] == "<redacted>"
    assert submitted.headers["Content-Type"] == "application/json"
    assert (submitted.status, submitted.auth_ok) == (200, True)
    # When, and from which connection: what tells two processes' requests apart in a soak.
    assert 0 < submitted.received <= submitted.answered <= polled.received
    assert submitted.client.startswith("127.0.0.1:")
    expected = emulator.count("Charged", VALID["from"], VALID["to"])
    assert submitted.response == {"status": "success", "count": expected}
    assert (polled.method, polled.query, polled.body) == ("GET", {"req_id": "42"}, "")
    assert polled.response == {"status": "fail", "error": "Invalid req_id: 42", "code": 400}
    assert (refused.status, refused.auth_ok) == (401, False)
    assert refused.headers["X-CleverTap-Passcode"] == "<redacted>"
    assert PASSCODE not in repr(emulator.requests)
    assert "guess" not in repr(emulator.requests)


def test_introspection_endpoints(emulator: Emulator) -> None:
    emulator.reset_log()
    post(emulator.base_url, VALID)
    listed = call(emulator.base_url, "GET", "/_emulator/requests", headers={})
    assert listed.status == 200
    assert listed.body == [dataclasses.asdict(request) for request in emulator.requests]
    stats = call(emulator.base_url, "GET", "/_emulator/stats", headers={})
    assert stats.body == {
        "requests": 1,
        "in_flight": 0,
        "max_in_flight": 1,
        "max_offered": 1,
        "refused": 0,
        "injected": {"5xx": 0, "429": 0, "reset": 0, "forgotten": 0},
    }
    assert len(emulator.requests) == 1


def test_access_log_only_when_not_quiet(
    make_emulator: Callable[..., Emulator], capfd: pytest.CaptureFixture[str]
) -> None:
    post(make_emulator().base_url, VALID)
    assert capfd.readouterr().err == ""
    post(make_emulator(quiet=False).base_url, VALID)
    err = capfd.readouterr().err
    assert re.search(rf"POST {re.escape(API)} 200", err)
    assert PASSCODE not in err
    assert ACCOUNT not in err


# --- lifecycle ----------------------------------------------------------------------------------


def test_stop_closes_idle_connections_and_is_idempotent(
    make_emulator: Callable[..., Emulator],
) -> None:
    running = make_emulator()
    host, port = running.base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=DEADLINE_SECONDS)

    def send() -> bytes:
        connection.request("POST", API, json.dumps(VALID), AUTH)
        return connection.getresponse().read()

    try:
        assert send()
        running.stop()
        running.stop()
        # The kept-alive connection was shut down with the server, not left answering.
        with pytest.raises((ConnectionError, http.client.HTTPException)):
            send()
    finally:
        connection.close()
    with pytest.raises(ConnectionRefusedError):
        post(running.base_url, VALID)


def test_stop_does_not_wait_out_the_latency(make_emulator: Callable[..., Emulator]) -> None:
    sleepy = make_emulator(latency=600.0)
    outcome: list[BaseException] = []

    def wait_for_an_answer() -> None:
        try:
            post(sleepy.base_url, VALID)
        except (ConnectionError, http.client.HTTPException) as error:
            outcome.append(error)

    client = threading.Thread(target=wait_for_an_answer, daemon=True)
    client.start()
    wait_for(lambda: sleepy.max_in_flight == 1, "the request to be in flight", DEADLINE_SECONDS)
    stopper = threading.Thread(target=sleepy.stop)
    stopper.start()
    stopper.join(DEADLINE_SECONDS)
    assert not stopper.is_alive()
    client.join(DEADLINE_SECONDS)
    assert not client.is_alive()
    assert len(outcome) == 1


@given(st.floats(min_value=0, max_value=86_400))
def test_the_printed_poll_interval_reads_back_as_the_compute_time(compute_seconds: float) -> None:
    # As cttui reads CTTUI_POLL_INTERVAL: the number itself, never a hair under it (which
    # would poll a moment before the count is ready, and wait a whole interval more).
    text = poll_interval_text(compute_seconds)
    assert positive_float(text) == max(compute_seconds, SHORTEST_POLL_INTERVAL)
    assert text == text.strip()
    assert not text.endswith(".0")


def test_the_export_line_names_the_variable_cttui_reads(cache_dir: pathlib.Path) -> None:
    out = io.StringIO()
    stop = threading.Event()
    stop.set()
    serve(dataclasses.replace(SMALL, cache_dir=cache_dir), out, stop)
    assert f" {ENV_POLL_INTERVAL}=0.3" in out.getvalue()


@pytest.mark.parametrize(
    ("compute_seconds", "interval"),
    [(0.3, "0.3"), (5.0, "5"), (2.125, "2.125"), (86_400.0, "86400"), (0.0, "0.1"), (0.01, "0.1")],
)
def test_serve_prints_where_it_listens_and_stops(
    cache_dir: pathlib.Path, compute_seconds: float, interval: str
) -> None:
    out = io.StringIO()
    stop = threading.Event()
    config = dataclasses.replace(SMALL, cache_dir=cache_dir, compute_seconds=compute_seconds)
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(serve(config, out, stop)))
    thread.start()
    try:
        wait_for(lambda: out.getvalue().count("\n") >= 2, "serve's two lines", DEADLINE_SECONDS)
    finally:
        stop.set()
        thread.join(DEADLINE_SECONDS)
    listening, exports = out.getvalue().splitlines()
    match = re.fullmatch(r"listening on (http://127\.0\.0\.1:\d+)", listening)
    assert match
    # A partial count is polled as soon as it is ready, not CleverTap's 30 s later.
    assert exports == (
        f"export CTTUI_BASE_URL={match[1]} CLEVERTAP_ACCOUNT_ID={ACCOUNT}"
        f" CLEVERTAP_PASSCODE={PASSCODE} CTTUI_POLL_INTERVAL={interval}"
    )
    assert result == [0]
    assert not thread.is_alive()


@pytest.mark.parametrize("at_once", [False, True], ids=["after-a-request", "at-once"])
def test_serve_in_a_subprocess_stops_cleanly_on_ctrl_c(
    cache_dir: pathlib.Path, at_once: bool
) -> None:
    """Ctrl-C ends it with 0 and the export line, even when it comes the moment the first line
    is out (a loaded machine once stopped it there, between two prints: exit -2)."""
    script = (
        "import datetime, pathlib, sys\n"
        "from cttui.emulator import EmulatorConfig, serve\n"
        "config = EmulatorConfig(profiles=300, events=20_000, today=datetime.date(2026, 5, 1),"
        " cache_dir=pathlib.Path(sys.argv[1]))\n"
        "raise SystemExit(serve(config, sys.stdout))\n"
    )
    environment = {**os.environ, "PYTHONPATH": str(pathlib.Path(__file__).parents[1])}
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(cache_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    )
    try:
        assert process.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            assert selector.select(DEADLINE_SECONDS), "no output from serve"
        listening = process.stdout.readline()
        match = re.fullmatch(r"listening on (http://127\.0\.0\.1:\d+)\n", listening)
        assert match
        if not at_once:
            assert post(match[1], VALID).body["status"] == "success"
            stats = call(match[1], "GET", "/_emulator/stats", headers={})
            assert (stats.body["requests"], stats.body["max_in_flight"]) == (1, 1)
        process.send_signal(signal.SIGINT)
        # wait, then read: communicate() would skip what readline() already buffered.
        assert process.wait(timeout=DEADLINE_SECONDS) == 0
        assert process.stdout.read().startswith("export CTTUI_BASE_URL=")
        assert process.stderr is not None
        assert process.stderr.read() == ""
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def test_an_answer_leaves_in_one_write(emulator: Emulator) -> None:
    """Headers and body in one write, on a connection kept alive: written apart, the body waits
    for the client's delayed ACK of the headers (Nagle), about 40 ms a request on Linux, which
    capped the demo at some 68 requests a second. The whole answer is in the first read."""
    host, port = emulator.base_url.removeprefix("http://").split(":")
    request = (
        f"POST {API} HTTP/1.1\r\nHost: {host}\r\nX-CleverTap-Account-Id: {ACCOUNT}\r\n"
        f"X-CleverTap-Passcode: {PASSCODE}\r\nContent-Type: application/json\r\n"
    )
    body = json.dumps(VALID).encode()
    with socket.create_connection((host, int(port)), timeout=DEADLINE_SECONDS) as connection:
        for _ in range(5):
            connection.sendall(f"{request}Content-Length: {len(body)}\r\n\r\n".encode() + body)
            first = connection.recv(1 << 16)
            head, _, answer = first.partition(b"\r\n\r\n")
            length = re.search(rb"(?i)content-length: (\d+)", head)
            assert length is not None, head
            assert len(answer) == int(length.group(1)), first
