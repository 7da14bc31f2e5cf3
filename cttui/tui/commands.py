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

# The footer has room for a word, the palette for a sentence: by binding id, the palette's
# title and help. A binding without an entry is offered by its footer description.
WORDING: dict[str, tuple[str, str]] = {
    "help": ("Help", "Keys and what they do here"),
    "credentials": ("Credentials", "Profiles: account ID, region and passcode"),
    "favorites": (
        "Favourites",
        "Saved queries: run, load, rename, duplicate, delete; their counts over time",
    ),
    "run-query": ("Run query", "Send the query in the editor"),
    "add-filter": ("Add filter", "A new property filter row"),
    "copy-curl": ("Copy as curl", "The request as a curl command"),
    "new-query": ("New query", "Clear the editor"),
    "save-favorite": (
        "Save as favourite",
        "Keep the query in favorites.toml, to run again in one key",
    ),
    "open-calendar": ("Calendar", "Pick the date on a calendar"),
    "remove-filter": ("Remove filter", "The filter row the focus is in"),
    "poll-now": ("Poll now", "Ask now; CleverTap allows one poll per 30 s"),
    "cancel-job": ("Cancel", "Stop waiting for this count"),
    "resubmit-job": ("Resubmit", "Send the query again as the same job"),
    "copy-count": ("Copy the count", "To the clipboard"),
    "copy-job-curl": ("Copy as curl", "The request as a curl command"),
    "load-job": ("Load into the editor", "To change and run again"),
    "remove-job": ("Remove", "From the list and the journal"),
    "clear-finished": (
        "Clear finished jobs",
        "Remove every done, failed and cancelled job from the list",
    ),
    "run-favorite": ("Run favourites", "The selected ones, or the one under the cursor"),
    "mark-favorite": ("Select favourite", "Or unselect it; enter runs every one selected"),
    "load-favorite": ("Load favourite", "Into the editor, to change and run"),
    "rename-favorite": ("Rename favourite", "In favorites.toml, with its history"),
    "duplicate-favorite": ("Duplicate favourite", "A copy under a new name"),
    "delete-favorite": ("Delete favourite", "From favorites.toml"),
    "filter-favorites": ("Filter favourites", "By name, event, property or notes"),
    "favorites-back": ("Back to the editor", "Leave the favourites"),
    "save-profile": (
        "Save profile",
        "Account ID and region in config.toml, the passcode in the keyring",
    ),
    "test-connection": ("Test connection", "Ask CleverTap whether these credentials work"),
    "new-profile": ("New profile", "An empty form"),
    "delete-profile": ("Delete profile", "From config.toml, its passcode from the keyring"),
    "back": ("Back to the editor", "Leave the credentials"),
}


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
            title, help_text = WORDING.get(binding.id or "", (binding.description, binding.tooltip))
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
