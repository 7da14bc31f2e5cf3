"""Every key of the app and its words, from keys.toml: one place for the footer's word, the
palette's line and the tooltip, read by the nodes' BINDINGS and the command palette alike.

A node (screen or widget) takes its bindings by its name in the file: `BINDINGS =
bindings("credentials-screen")`. The file ships with cttui and is checked by the tests (every
action exists on the node that names it, every id is unique), so reading it never fails for a
user; a broken file is a broken build.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from textual.binding import Binding, BindingType

CATALOGUE = Path(__file__).with_name("keys.toml")


@dataclass(frozen=True)
class Key:
    """One key as keys.toml gives it; `title` is the footer's word unless the file says more."""

    id: str
    keys: str
    action: str
    footer: str
    title: str
    help: str = ""
    show: bool = True

    def binding(self) -> Binding:
        return Binding(
            self.keys, self.action, self.footer, show=self.show, id=self.id, tooltip=self.help
        )


FIELDS = frozenset(Key.__dataclass_fields__)


def _key(entry: dict[str, object]) -> Key:
    unknown = set(entry) - FIELDS
    if unknown:
        raise ValueError(f"{CATALOGUE.name}: {entry.get('id')}: unknown {sorted(unknown)}")
    footer = str(entry["footer"])
    return Key(
        id=str(entry["id"]),
        keys=str(entry["keys"]),
        action=str(entry["action"]),
        footer=footer,
        title=str(entry.get("title", footer)),
        help=str(entry.get("help", "")),
        show=bool(entry.get("show", True)),
    )


@cache
def catalogue() -> dict[str, tuple[Key, ...]]:
    """keys.toml by node, each node's keys in the file's order."""
    with CATALOGUE.open("rb") as file:
        nodes: dict[str, list[dict[str, object]]] = tomllib.load(file)
    return {node: tuple(map(_key, entries)) for node, entries in nodes.items()}


def bindings(*nodes: str) -> list[BindingType]:
    """The bindings of `nodes` (a node and the groups it shares, such as a job's keys)."""
    return [key.binding() for node in nodes for key in catalogue()[node]]


@cache
def wording(binding_id: str) -> tuple[str, str] | None:
    """The palette's title and help for a binding of the app, None for one that is not."""
    for keys in catalogue().values():
        for key in keys:
            if key.id == binding_id:
                return key.title, key.help
    return None
