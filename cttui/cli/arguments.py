"""A typed value per command, made once from argparse's Namespace by the dispatcher: handlers
never see the Namespace. Each has `from_namespace(namespace, scope)`."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path


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

    @classmethod
    def from_namespace(cls, namespace: argparse.Namespace, scope: Scope) -> ScopeArgs:
        return cls(scope)


@dataclass(frozen=True)
class WaitArgs:
    """How a command that sends or polls a count waits for it."""

    json: bool
    no_wait: bool
    timeout: float | None
    poll_interval: float | None

    @classmethod
    def of(cls, namespace: argparse.Namespace) -> WaitArgs:
        return cls(namespace.json, namespace.no_wait, namespace.timeout, namespace.poll_interval)


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

    @classmethod
    def from_namespace(cls, namespace: argparse.Namespace, scope: Scope) -> CountArgs:
        return cls(
            scope,
            namespace.event,
            namespace.date_from,
            namespace.date_to,
            namespace.range,
            tuple(tuple(words) for words in namespace.where),
            namespace.save,
            namespace.replace,
            WaitArgs.of(namespace),
        )


@dataclass(frozen=True)
class PollArgs:
    scope: Scope
    req_id: str
    wait: WaitArgs

    @classmethod
    def from_namespace(cls, namespace: argparse.Namespace, scope: Scope) -> PollArgs:
        return cls(scope, namespace.req_id, WaitArgs.of(namespace))


@dataclass(frozen=True)
class RunArgs:
    scope: Scope
    names: tuple[str, ...]
    wait: WaitArgs

    @classmethod
    def from_namespace(cls, namespace: argparse.Namespace, scope: Scope) -> RunArgs:
        return cls(scope, tuple(namespace.names), WaitArgs.of(namespace))


@dataclass(frozen=True)
class ListArgs:
    """`cttui favorites` and `cttui jobs`: a listing, as a table or as JSON."""

    scope: Scope
    json: bool

    @classmethod
    def from_namespace(cls, namespace: argparse.Namespace, scope: Scope) -> ListArgs:
        return cls(scope, namespace.json)


@dataclass(frozen=True)
class FavoritesRenameArgs:
    scope: Scope
    old: str
    new: str

    @classmethod
    def from_namespace(cls, namespace: argparse.Namespace, scope: Scope) -> FavoritesRenameArgs:
        return cls(scope, namespace.old, namespace.new)


@dataclass(frozen=True)
class FavoritesDeleteArgs:
    scope: Scope
    name: str
    yes: bool

    @classmethod
    def from_namespace(cls, namespace: argparse.Namespace, scope: Scope) -> FavoritesDeleteArgs:
        return cls(scope, namespace.name, namespace.yes)


@dataclass(frozen=True)
class CredentialsTestArgs:
    scope: Scope

    @classmethod
    def from_namespace(cls, namespace: argparse.Namespace, scope: Scope) -> CredentialsTestArgs:
        return cls(scope)


@dataclass(frozen=True)
class JobsShowArgs:
    scope: Scope
    job_id: int
    json: bool

    @classmethod
    def from_namespace(cls, namespace: argparse.Namespace, scope: Scope) -> JobsShowArgs:
        return cls(scope, namespace.job_id, namespace.json)


@dataclass(frozen=True)
class JobsResumeArgs:
    """`jobs resume` (every pending job), or `jobs resubmit ID` when `resubmit` is set."""

    scope: Scope
    resubmit: int | None
    timeout: float | None
    poll_interval: float | None

    @classmethod
    def from_namespace(cls, namespace: argparse.Namespace, scope: Scope) -> JobsResumeArgs:
        resubmit: int | None = getattr(namespace, "job_id", None)
        return cls(scope, resubmit, namespace.timeout, namespace.poll_interval)


@dataclass(frozen=True)
class JobsRemoveArgs:
    scope: Scope
    job_ids: tuple[int, ...]

    @classmethod
    def from_namespace(cls, namespace: argparse.Namespace, scope: Scope) -> JobsRemoveArgs:
        return cls(scope, tuple(namespace.job_ids))


@dataclass(frozen=True)
class CredentialsSetArgs:
    scope: Scope
    account_id: str | None
    region: str | None
    passcode_stdin: bool

    @classmethod
    def from_namespace(cls, namespace: argparse.Namespace, scope: Scope) -> CredentialsSetArgs:
        return cls(scope, namespace.account_id, namespace.region, namespace.passcode_stdin)


@dataclass(frozen=True)
class CredentialsDeleteArgs:
    scope: Scope
    yes: bool

    @classmethod
    def from_namespace(cls, namespace: argparse.Namespace, scope: Scope) -> CredentialsDeleteArgs:
        return cls(scope, namespace.yes)


@dataclass(frozen=True)
class NameArgs:
    """A command on one thing named: `credentials use NAME`, `favorites duplicate NAME`."""

    scope: Scope
    name: str

    @classmethod
    def from_namespace(cls, namespace: argparse.Namespace, scope: Scope) -> NameArgs:
        return cls(scope, namespace.name)


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

    @classmethod
    def from_namespace(cls, namespace: argparse.Namespace, scope: Scope) -> EmulatorArgs:
        return cls(**{name: getattr(namespace, name) for name in cls.__dataclass_fields__})
