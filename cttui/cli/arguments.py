"""A typed value per command, made once from argparse's Namespace by the dispatcher (`typed`):
handlers never see the Namespace."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Scope:
    """What every command runs on: the demo's emulator, files and journal, or the user's; and
    the profile named on the command line, if any."""

    demo: bool
    profile: str | None

    @classmethod
    def of(cls, namespace: argparse.Namespace) -> Scope:
        return cls(demo=bool(namespace.demo), profile=namespace.profile)

    @property
    def command(self) -> str:
        """How to run cttui again on the same journal, for a hint to quote."""
        return "cttui --demo" if self.demo else "cttui"


@dataclass(frozen=True)
class ScopeArgs:
    """A command with no options of its own."""

    scope: Scope


@dataclass(frozen=True)
class WaitArgs:
    """How a command that sends or polls a count waits for it."""

    json: bool
    no_wait: bool
    timeout: float | None
    poll_interval: float | None


@dataclass(frozen=True)
class CountArgs:
    scope: Scope
    event: str
    date_from: str | None
    date_to: str | None
    range: str | None
    where: tuple[tuple[str, ...], ...]
    save: str | None
    replace: bool
    wait: WaitArgs


@dataclass(frozen=True)
class PollArgs:
    scope: Scope
    req_id: str
    wait: WaitArgs


@dataclass(frozen=True)
class RunArgs:
    scope: Scope
    names: tuple[str, ...]
    wait: WaitArgs


@dataclass(frozen=True)
class ListArgs:
    """`cttui favorites` and `cttui jobs`: a listing, as a table or as JSON."""

    scope: Scope
    json: bool


@dataclass(frozen=True)
class FavoritesRenameArgs:
    scope: Scope
    old: str
    new: str


@dataclass(frozen=True)
class FavoritesDeleteArgs:
    scope: Scope
    name: str
    yes: bool


@dataclass(frozen=True)
class JobsShowArgs:
    scope: Scope
    job_id: int
    json: bool


@dataclass(frozen=True)
class JobsResumeArgs:
    """`jobs resume` (every pending job), or `jobs resubmit ID` when `resubmit` is set."""

    scope: Scope
    resubmit: int | None
    timeout: float | None
    poll_interval: float | None


@dataclass(frozen=True)
class JobsRemoveArgs:
    scope: Scope
    job_ids: tuple[int, ...]


@dataclass(frozen=True)
class CredentialsSetArgs:
    scope: Scope
    account_id: str | None
    region: str | None
    passcode_stdin: bool


@dataclass(frozen=True)
class CredentialsDeleteArgs:
    scope: Scope
    yes: bool


@dataclass(frozen=True)
class NameArgs:
    """A command on one thing named: `credentials use NAME`, `favorites duplicate NAME`."""

    scope: Scope
    name: str


@dataclass(frozen=True)
class EmulatorArgs:
    host: str
    port: int
    account_id: str
    passcode: str
    seed: int
    profiles: int
    events: int
    fail_rate: float
    throttle_rate: float
    reset_rate: float
    forget_rate: float
    fault_seed: int | None
    latency: float
    latency_jitter: float
    max_concurrent: int
    partial_after_days: int
    compute_seconds: float
    state_file: Path | None
    verbose: bool


# Fields whose option has another name on the command line.
_OPTION_OF = {"resubmit": "job_id"}


def typed(kind: type[T], namespace: argparse.Namespace, scope: Scope) -> T:
    """`kind` with each field taken from the option of its name (`scope` and `wait` built
    here); lists become tuples, so the value stays frozen all the way down."""
    values: dict[str, Any] = {}
    for field in fields(kind):  # type: ignore[arg-type]
        value: Any
        if field.name == "scope":
            value = scope
        elif field.name == "wait":
            value = typed(WaitArgs, namespace, scope)
        else:
            value = getattr(namespace, _OPTION_OF.get(field.name, field.name), None)
        if isinstance(value, list):
            value = tuple(tuple(item) if isinstance(item, list) else item for item in value)
        values[field.name] = value
    return kind(**values)
