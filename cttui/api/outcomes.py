"""What a count request comes to: a count, or a `req_id` to poll. Free of httpx, so that the job
manager (and the app that holds it) imports without the HTTP stack."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Done:
    count: int


@dataclass(frozen=True)
class Pending:
    req_id: str


Outcome = Done | Pending
