"""What a count request comes to: a count, or a `req_id` to poll. Free of httpx, so that the job
manager (and the app that holds it) imports without the HTTP stack."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Done:
    """CleverTap counted `count` profiles: from the API, a whole number from 0 to 2**53 - 1
    (answers.MAX_COUNT; a larger one is refused as a broken server)."""

    count: int


@dataclass(frozen=True)
class Pending:
    """CleverTap is still counting: poll `req_id` (from the API, at most 32 ASCII digits)
    until it answers, 30 s apart."""

    req_id: str


Outcome = Done | Pending
