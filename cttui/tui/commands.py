"""The command palette's actions: every key in reach on the screen below it, by name.

One provider for every screen: it reads the screen's active bindings (the focused widget and
its parents, the screen, the app), so a screen's actions reach the palette by having a key,
and only while that key would work (check_action decides both).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol, runtime_checkable

from textual.app import App
from textual.binding import ActiveBinding
from textual.command import CommandPalette, DiscoveryHit, Hit, Hits, Provider
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
class PaletteAction:
    title: str
    help: str
    run: Callable[[], Awaitable[object]]


def beneath_palette(app: App[Any]) -> Screen[Any]:
    """The screen the user is on: while the palette is open, the one it was opened over."""
    return next(s for s in reversed(app.screen_stack) if not isinstance(s, CommandPalette))


def screen_actions(screen: Screen[object]) -> Iterator[PaletteAction]:
    """The enabled actions of `screen`'s bindings, the focused widget's first."""
    app = screen.app
    # One action may have several keys ("delete,d"): offered once, with each of them.
    found: dict[tuple[int, str], tuple[str, ActiveBinding, list[str]]] = {}
    for active in screen.active_bindings.values():
        binding = active.binding
        # cttui's bindings carry ids (the keymap's handles); Textual's editing keys (cursor
        # moves, deletes) have none, and are not actions to pick by name.
        if active.enabled and binding.id is not None and not binding.system:
            where = (id(active.node), binding.action)
            keys = found.setdefault(where, (binding.id, active, []))[2]
            keys.append(app.get_key_display(binding))
    for binding_id, active, keys in found.values():
        binding, node = active.binding, active.node
        title, help_text = WORDING.get(binding_id, (binding.description, binding.tooltip))
        subject = (
            node.palette_subject(binding.action) if isinstance(node, NamesItsSubject) else None
        )
        if subject is not None:
            title = f"{subject}: {title[:1].lower()}{title[1:]}"
        said = " or ".join(keys)
        yield PaletteAction(
            title,
            f"{help_text} ({said})" if help_text else said,
            partial(app.run_action, binding.action, node),
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
