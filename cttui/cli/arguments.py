"""A typed value per command, made once from argparse's Namespace by the dispatcher (`typed`):
handlers never see the Namespace. NamedTuples rather than dataclasses: every command builds
this module, and a NamedTuple class costs a quarter of a frozen dataclass's to create."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

T = TypeVar("T", bound=tuple[Any, ...])


class Scope(NamedTuple):
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


class ScopeArgs(NamedTuple):
    """A command with no options of its own."""

    scope: Scope


class WaitArgs(NamedTuple):
    """How a command that sends or polls a count waits for it."""

    json: bool
    no_wait: bool
    timeout: float | None
    poll_interval: float | None


class CountArgs(NamedTuple):
    scope: Scope
    event: str
    date_from: str | None
    date_to: str | None
    range: str | None
    where: tuple[tuple[str, ...], ...]
    save: str | None
    replace: bool
    wait: WaitArgs


class PollArgs(NamedTuple):
    scope: Scope
    req_id: str
    wait: WaitArgs


class RunArgs(NamedTuple):
    scope: Scope
    names: tuple[str, ...]
    wait: WaitArgs


class ListArgs(NamedTuple):
    """`cttui favorites` and `cttui jobs`: a listing, as a table or as JSON."""

    scope: Scope
    json: bool


class FavoritesRenameArgs(NamedTuple):
    scope: Scope
    old: str
    new: str


class FavoritesDeleteArgs(NamedTuple):
    scope: Scope
    name: str
    yes: bool


class JobsShowArgs(NamedTuple):
    scope: Scope
    job_id: int
    json: bool


class JobsResumeArgs(NamedTuple):
    """`jobs resume` (every pending job), or `jobs resubmit ID` when `resubmit` is set."""

    scope: Scope
    resubmit: int | None
    timeout: float | None
    poll_interval: float | None


class JobsRemoveArgs(NamedTuple):
    scope: Scope
    job_ids: tuple[int, ...]


class CredentialsSetArgs(NamedTuple):
    scope: Scope
    account_id: str | None
    region: str | None
    passcode_stdin: bool


class CredentialsDeleteArgs(NamedTuple):
    scope: Scope
    yes: bool


class NameArgs(NamedTuple):
    """A command on one thing named: `credentials use NAME`, `favorites duplicate NAME`."""

    scope: Scope
    name: str


class EmulatorArgs(NamedTuple):
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
    names: tuple[str, ...] = kind._fields  # type: ignore[attr-defined]
    for name in names:
        value: Any
        if name == "scope":
            value = scope
        elif name == "wait":
            value = typed(WaitArgs, namespace, scope)
        else:
            value = getattr(namespace, _OPTION_OF.get(name, name), None)
        if isinstance(value, list):
            value = tuple(tuple(item) if isinstance(item, list) else item for item in value)
        values[name] = value
    return kind(**values)
