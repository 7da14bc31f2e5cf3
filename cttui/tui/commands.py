"""The command palette's actions: every action of the screen below it, by name.

One provider for every screen: it reads the bindings of every widget shown on the screen (the
focused one and its parents first), the screen's and the app's, and the actions without a key
that a node lists for the palette. Each runs on the node that offers it, and only while
check_action says it would work.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol, runtime_checkable

from textual.actions import parse
from textual.app import App
from textual.binding import Binding
from textual.command import CommandPalette, DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode
from textual.screen import Screen

from cttui.tui.keys import wording


@runtime_checkable
class NamesItsSubject(Protocol):
    """A node whose actions act on one thing (a job): the palette names it in their titles."""

    def palette_subject(self, action: str) -> str | None: ...


@dataclass(frozen=True)
class Unbound:
    """An action of a node that no key starts (a button's, a row's enter): the palette's way to
    it. `action` is written as a binding's would be (`"act('details')"`)."""

    action: str
    title: str
    help: str


@runtime_checkable
class OffersUnbound(Protocol):
    """A node with actions that no key starts."""

    def palette_unbound(self) -> Iterable[Unbound]: ...


@dataclass(frozen=True)
class PaletteAction:
    title: str
    help: str
    run: Callable[[], Awaitable[object]]


def beneath_palette(app: App[Any]) -> Screen[Any]:
    """The screen the user is on: while the palette is open, the one it was opened over."""
    return next(s for s in reversed(app.screen_stack) if not isinstance(s, CommandPalette))


def _shown(node: DOMNode) -> Iterator[DOMNode]:
    """`node` and its descendants, leaving out those hidden (with display: none)."""
    if node.display:
        yield node
        for child in node.children:
            yield from _shown(child)


def _nodes(screen: Screen[object]) -> list[DOMNode]:
    """Whose actions the palette offers: the focus chain first, then every widget shown, then
    the app (unless the screen is modal, which keeps the app's keys from working)."""
    focused = screen.focused
    chain = list(focused.ancestors_with_self) if focused is not None else [screen]
    nodes = [node for node in chain if node is not screen.app]
    nodes += [node for node in _shown(screen) if node not in nodes]
    return nodes if screen.is_modal else [*nodes, screen.app]


def _enabled(node: DOMNode, action: str) -> bool:
    _, name, parameters = parse(action)
    return node.check_action(name, parameters) is True


def _titled(node: DOMNode, action: str, title: str) -> str:
    subject = node.palette_subject(action) if isinstance(node, NamesItsSubject) else None
    return f"{subject}: {title[:1].lower()}{title[1:]}" if subject is not None else title


def screen_actions(screen: Screen[object]) -> Iterator[PaletteAction]:
    """The enabled actions of `screen`, the focused widget's first."""
    app = screen.app
    for node in _nodes(screen):
        # One action may have several keys ("delete,d"): offered once, with each of them.
        found: dict[str, tuple[Binding, list[str]]] = {}
        # Textual keeps a node's merged bindings here; `active_bindings` has only the focus
        # chain's.
        for _, binding in node._bindings:
            # cttui's bindings carry ids (the keymap's handles); Textual's editing keys
            # (cursor moves, deletes) have none, and are not actions to pick by name.
            if binding.id is not None and not binding.system and _enabled(node, binding.action):
                keys = found.setdefault(binding.action, (binding, []))[1]
                keys.append(app.get_key_display(binding))
        for action, (binding, keys) in found.items():
            # keys.toml has a title and a sentence for every key of cttui's.
            title, help_text = wording(binding.id) or (binding.description, binding.tooltip)
            said = " or ".join(keys)
            yield PaletteAction(
                _titled(node, action, title),
                f"{help_text} ({said})" if help_text else said,
                partial(app.run_action, action, node),
            )
        if isinstance(node, OffersUnbound):
            for unbound in node.palette_unbound():
                if _enabled(node, unbound.action):
                    yield PaletteAction(
                        _titled(node, unbound.action, unbound.title),
                        unbound.help,
                        partial(app.run_action, unbound.action, node),
                    )


class ScreenActions(Provider):
    """The screen's actions: all of them when the palette opens, those matching as one types."""

    async def discover(self) -> Hits:
        for action in screen_actions(self.screen):
            yield DiscoveryHit(action.title, action.run, help=action.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for action in screen_actions(self.screen):
            score = matcher.match(action.title)
            if score > 0:
                yield Hit(
                    score, matcher.highlight(action.title), action.run, action.title, action.help
                )
