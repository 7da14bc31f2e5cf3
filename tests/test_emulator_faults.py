"""The emulator's injected faults: throttling, resets, forgotten req_ids, and what it counts."""

from __future__ import annotations

import dataclasses
import http.client
import pathlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from cttui.emulator import Emulator, EmulatorConfig
from tests.conftest import run_cttui
from tests.test_emulator import API, SMALL, VALID, call, post

LONG = {**VALID, "from": 20260101, "to": 20260331}


@pytest.fixture(scope="module")
def fault_cache(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    return tmp_path_factory.mktemp("fault-cache")


@pytest.fixture
def faulty(fault_cache: pathlib.Path) -> Iterator[Callable[..., Emulator]]:
    started: list[Emulator] = []

    def make(**changes: Any) -> Emulator:
        config = dataclasses.replace(SMALL, cache_dir=fault_cache, **changes)
        started.append(Emulator(config).start())
        return started[-1]

    yield make
    for running in started:
        running.stop()


def test_throttle_rate_one_answers_an_injected_429(faulty: Callable[..., Emulator]) -> None:
    throttled = faulty(throttle_rate=1.0)
    answer = post(throttled.base_url, VALID)
    assert (answer.status, answer.body) == (
        429,
        {"status": "fail", "error": "Too many requests", "code": 429},
    )
    stats = throttled.stats()
    # Injected, not a client over the limit.
    assert (stats["refused"], stats["injected"]) == (
        0,
        {"5xx": 0, "429": 1, "reset": 0, "forgotten": 0},
    )


def test_reset_rate_one_resets_the_connection_unanswered(faulty: Callable[..., Emulator]) -> None:
    resetting = faulty(reset_rate=1.0)
    with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected)):
        post(resetting.base_url, LONG)
    (request,) = resetting.requests
    assert (request.method, request.status, request.response) == ("POST", 0, {})
    assert resetting.stats()["injected"] == {"5xx": 0, "429": 0, "reset": 1, "forgotten": 0}


def test_forget_rate_one_forgets_a_req_id_at_its_first_poll(
    faulty: Callable[..., Emulator],
) -> None:
    forgetful = faulty(forget_rate=1.0, partial_after_days=0)
    answer = post(forgetful.base_url, LONG)
    req_id = answer.body["req_id"]
    for _ in range(2):
        polled = call(forgetful.base_url, "GET", f"{API}?req_id={req_id}")
        assert polled.body == {"status": "fail", "error": f"Invalid req_id: {req_id}", "code": 400}
    # Forgotten once; the second poll found nothing to forget.
    assert forgetful.stats()["injected"] == {"5xx": 0, "429": 0, "reset": 0, "forgotten": 1}


def test_faults_repeat_with_the_fault_seed_and_change_with_it(
    faulty: Callable[..., Emulator],
) -> None:
    rates = {"fail_rate": 0.3, "throttle_rate": 0.3}
    runs = [faulty(fault_seed=seed, **rates) for seed in (7, 7, 8)]
    sequences = [[post(run.base_url, VALID).status for _ in range(20)] for run in runs]
    assert sequences[0] == sequences[1] != sequences[2]
    assert {200, 429} <= set(sequences[0])
    assert {503, 500} & set(sequences[0])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"throttle_rate": 1.5}, "throttle_rate must be between 0 and 1"),
        ({"forget_rate": -0.1}, "forget_rate must be between 0 and 1"),
        ({"fail_rate": 0.5, "reset_rate": 0.6}, "must add up to at most 1"),
        ({"latency_jitter": -1.0}, "must not be negative"),
    ],
)
def test_bad_fault_settings_are_refused(changes: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        EmulatorConfig(**changes)  # type: ignore[arg-type]


def test_cttui_emulator_refuses_rates_adding_up_to_more_than_1() -> None:
    result = run_cttui("emulator", "--port", "0", "--fail-rate", "0.6", "--throttle-rate", "0.5")
    assert result.code == 2
    assert result.err.strip().splitlines() == [
        "cttui: --fail-rate, --throttle-rate and --reset-rate add up to more than 1; lower one"
    ]
