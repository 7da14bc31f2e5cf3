"""Keys handled in the order they were typed, whatever their timing.

Textual forwards each key to the widget focused when the app reads it, into that widget's
queue, and the key's bindings run later, when it has bubbled back up to the app. Keys that
arrive in one burst (over SSH, on a busy machine) are therefore all forwarded before the first
is handled: `Abc`, Tab, `2026` typed `Abc2026` into one field, and a `z` typed after ctrl+r went
into the query that ctrl+r sent.

Here the app hands over one key at a time. After each key it sends a `KeyHandled` marker to
the same widget; every node handles its queue in order and bubbles what it does not stop, so
the marker reaches the app only after every node on the key's way has handled the key, its
bindings included. Only then is the next key forwarded, to the widget focused by then. A key
that opened or closed a screen also waits for that screen's own queue (its focus, and the
callbacks of a dismissed screen), and a marker lost with a removed widget is noticed within a
tenth of a second. Mouse events are not held back.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any, TypeVar

from textual import events
from textual.app import App
from textual.dom import DOMNode
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget

ReturnType = TypeVar("ReturnType")

# How often a key still in hand is checked for a marker lost with a removed widget.
LOST_MARKER_CHECK = 0.1


class KeyHandled(Message):
    """Follows a key up the DOM; at the app, the key before it has been handled everywhere."""

    def __init__(self, turn: int) -> None:
        super().__init__()
        self.turn = turn


@dataclass
class _InHand:
    """The key being handled: the number of its marker, the screen it was typed on, the nodes
    its marker goes through (a marker in the queue of a node that goes is lost with it), and
    how many more times the marker is to go round."""

    turn: int
    screen: Screen[Any]
    path: tuple[DOMNode, ...]
    rounds: int = 1


class KeysInOrder(App[ReturnType]):
    """An app that forwards a key only once the key before it has been handled."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._waiting: deque[events.Key | events.Paste] = deque()
        self._in_hand: _InHand | None = None
        self._turn = 0
        self._lost_check: Timer | None = None
        self._keys_taken = 0

    @property
    def keys_in_hand(self) -> int:
        """Keys typed and not yet handled: the one in hand and those waiting behind it."""
        return len(self._waiting) + (self._in_hand is not None)

    @property
    def keys_taken(self) -> int:
        """How many keys (and pastes) the app has read from its queue so far."""
        return self._keys_taken

    async def on_event(self, event: events.Event) -> None:
        if (
            isinstance(event, (events.Key, events.Paste))
            and not event.is_forwarded
            and self.screen_stack
        ):
            self._keys_taken += 1
            self._waiting.append(event)
            await self._next_key()
            return
        await super().on_event(event)

    async def _next_key(self) -> None:
        while self._waiting and self._in_hand is None and self.screen_stack:
            event = self._waiting.popleft()
            target: Widget = self.focused or self.screen
            self._turn += 1
            self._in_hand = _InHand(self._turn, self.screen, tuple(target.ancestors_with_self))
            # Priority bindings, then the key to the focused widget's queue: Textual's own way.
            await super().on_event(event)
            self._send_marker()

    def _send_marker(self) -> None:
        """The marker after the key, along its way; or, where the key opened or closed a
        screen or its way is gone, through the screen's queue: behind the screen's focus and
        what waited on it there."""
        in_hand = self._in_hand
        assert in_hand is not None
        # Each marker its own number: one given up for lost may still come, and must not count.
        self._turn += 1
        in_hand.turn = self._turn
        marker = KeyHandled(in_hand.turn)
        screen = self.screen
        if screen is not in_hand.screen or not in_hand.path:
            in_hand.screen, in_hand.path = screen, (screen, self)
            screen.call_next(screen.post_message, marker)
        elif not in_hand.path[0].post_message(marker):
            in_hand.path = ()
            self.call_later(self._handled, in_hand.turn)
            return
        if self._lost_check is None:
            self._lost_check = self.set_interval(LOST_MARKER_CHECK, self._check_lost)
        else:
            self._lost_check.resume()

    def _on_key_handled(self, message: KeyHandled) -> None:
        message.stop()
        # Behind whatever the key's handling put in the app's queue: `focus()` is one such.
        self.call_later(self._handled, message.turn)

    async def _handled(self, turn: int) -> None:
        in_hand = self._in_hand
        if in_hand is None or in_hand.turn != turn or not self.screen_stack:
            return  # a marker given up for lost, arriving after all
        if self.screen is not in_hand.screen or not in_hand.path or in_hand.rounds:
            # Once more: behind what the key's handling posted on the way (a widget's action
            # often posts a message to itself), or through the screen the key opened.
            in_hand.rounds = max(0, in_hand.rounds - 1)
            self._send_marker()
            return
        self._in_hand = None
        if self._lost_check is not None:
            self._lost_check.pause()
        await self._next_key()

    async def _check_lost(self) -> None:
        in_hand = self._in_hand
        if in_hand is None:
            return
        if any(node._closing or node._closed or not node.is_attached for node in in_hand.path):
            in_hand.path = ()
            self._send_marker()
