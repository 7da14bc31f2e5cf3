"""Textual's Footer, rebuilt only when the keys it shows change, and without its watcher leak.

Every job change refreshes the screen's keys (which apply depends on the highlighted job), and
Textual's Footer recomposes on each refresh. Each FooterKey it composes data-binds `compact` to
the footer: a watcher on the footer that Textual 8.2.8 prunes only when `compact` changes, which
in cttui it never does. So the watchers piled up, holding every removed key, and each rebuild
scanned them all (`_watch` looks for a duplicate callback): 1,501 watchers after 1,500 rebuilds,
each slower than the last.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer

Shown = tuple[tuple[str, str, str, str, bool, str, bool], ...]


class KeysFooter(Footer):
    _shown: Shown | None = None
    # A rebuild is on its way (Textual's runs after the next refresh, and reads the keys then):
    # the bindings changing again before it needs no second one. At the start they change
    # several times before the first frame, and each rebuild remounts every key.
    _rebuild_due = False

    def _keys(self) -> Shown:
        """What the footer would show: every active binding's key, words and whether it works."""
        return tuple(
            (key, binding.key, binding.description, binding.action, enabled, tooltip, binding.show)
            for key, (_, binding, enabled, tooltip) in self.screen.active_bindings.items()
        )

    def compose(self) -> ComposeResult:
        if self._bindings_ready:
            self._shown = self._keys()
        yield from super().compose()

    def bindings_changed(self, screen: Screen[object]) -> None:
        if (
            self._shown is not None
            and self.is_attached
            and screen is self.screen
            and self._keys() == self._shown
        ):
            return
        if self._rebuild_due and screen is self.screen:
            return
        super().bindings_changed(screen)
        self._rebuild_due = screen.app.app_focus and self.is_attached and screen is self.screen

    async def recompose(self) -> None:
        self._rebuild_due = False
        await super().recompose()
        # Setting `compact` again, even to the same value, runs Textual's pruning of the
        # watchers whose keys have closed (the keys just removed).
        self.mutate_reactive(Footer.compact)
