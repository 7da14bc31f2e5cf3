"""A typed value per command, made once from argparse's Namespace by the dispatcher (`typed`):
handlers never see the Namespace. Here are those that several commands share; a command's own
class is in its module (`CountArgs` in cli/count.py), so that each command builds only its own.
NamedTuples rather than dataclasses: every command builds this module, and a NamedTuple class
costs a quarter of a frozen dataclass's to create."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

if TYPE_CHECKING:
    from pathlib import Path

T = TypeVar("T", bound=tuple[Any, ...])
ENV_FAVORITES = "CTTUI_FAVORITES"


class Scope(NamedTuple):
    """What every command runs on: the demo's emulator, files and journal, or the user's; and
    the profile named on the command line, if any."""

    demo: bool
    profile: str | None
    # --favorites FILE, else CTTUI_FAVORITES: the file read and written as your own favourites.
    favorites: str | None = None

    @classmethod
    def of(cls, namespace: argparse.Namespace) -> Scope:
        chosen = getattr(namespace, "favorites", None) or os.environ.get(ENV_FAVORITES) or None
        return cls(demo=bool(namespace.demo), profile=namespace.profile, favorites=chosen)

    @property
    def favorites_file(self) -> Path:
        """Your own favourites' file for this run."""
        from pathlib import Path

        from cttui.store.paths import favorites_file

        if self.favorites is None:
            return favorites_file(demo=self.demo)
        return Path(self.favorites).expanduser().absolute()

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


class AlertArgs(NamedTuple):
    """The limits of --alert-below and its kin, as typed (checked by cli/alerts.py)."""

    alert_below: int | None
    alert_above: int | None
    alert_change_below: str | None
    alert_change_above: str | None


class ListArgs(NamedTuple):
    """`cttui favorites` and `cttui jobs`: a listing, in a --format (None: the table), on
    stdout or in the file `output`."""

    scope: Scope
    format: str | None
    output: str | None


class NameArgs(NamedTuple):
    """A command on one thing named: `credentials use NAME`, `favorites duplicate NAME`."""

    scope: Scope
    name: str


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
        elif name == "alert":
            value = typed(AlertArgs, namespace, scope)
        else:
            value = getattr(namespace, _OPTION_OF.get(name, name), None)
        if isinstance(value, list):
            value = tuple(tuple(item) if isinstance(item, list) else item for item in value)
        values[name] = value
    return kind(**values)
