"""The faults the emulator injects on purpose: 5xx, 429, reset connections, latency and
forgotten ``req_id``s, at the rates ``EmulatorConfig`` sets and repeatable from run to run."""

from __future__ import annotations

import random
import threading
from http import HTTPStatus

from cttui.emulator.config import EmulatorConfig

_INJECTED_FAILURES = (
    (HTTPStatus.SERVICE_UNAVAILABLE, "Service temporarily unavailable"),
    (HTTPStatus.INTERNAL_SERVER_ERROR, "Internal server error"),
)
FAULT_KINDS = ("5xx", "429", "reset", "forgotten")


class ResetConnection(Exception):
    """An injected fault: the request gets no answer, its connection is reset."""


class Faults:
    """Draws the injected faults for every handler thread, and counts them by kind."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._injected = dict.fromkeys(FAULT_KINDS, 0)
        # Separate generators so that polling more or less often never shifts which requests
        # fail, and every sequence repeats from run to run.
        fault_seed = config.seed if config.fault_seed is None else config.fault_seed
        self._failure_rng = random.Random(f"failures-{fault_seed}")
        self._latency_rng = random.Random(f"latency-{fault_seed}")
        self._forget_rng = random.Random(f"forget-{fault_seed}")
        self._failures_injected = 0

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._injected)

    def reset_counts(self) -> None:
        with self._lock:
            self._injected = dict.fromkeys(FAULT_KINDS, 0)

    def latency(self) -> float:
        config = self.config
        if not config.latency_jitter:
            return config.latency
        with self._lock:
            return config.latency + self._latency_rng.uniform(0, config.latency_jitter)

    def failure(self) -> tuple[HTTPStatus, str] | None:
        """The status and error of an injected answer for this request, None for none; raises
        ResetConnection when the request is to get no answer."""
        config = self.config
        with self._lock:
            draw = self._failure_rng.random()
            if draw < config.fail_rate:
                index = self._failures_injected % len(_INJECTED_FAILURES)
                self._failures_injected += 1
                self._injected["5xx"] += 1
                return _INJECTED_FAILURES[index]
            if draw < config.fail_rate + config.throttle_rate:
                self._injected["429"] += 1
                return HTTPStatus.TOO_MANY_REQUESTS, "Too many requests"
            if draw < config.fail_rate + config.throttle_rate + config.reset_rate:
                self._injected["reset"] += 1
                raise ResetConnection
        return None

    def forgets(self) -> bool:
        """Whether this poll makes the emulator forget the ``req_id`` it asks about."""
        if not self.config.forget_rate:
            return False
        with self._lock:
            if self._forget_rng.random() >= self.config.forget_rate:
                return False
            self._injected["forgotten"] += 1
        return True
