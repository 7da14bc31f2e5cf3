"""Inline suggestions for inputs, from names the user has used before."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from textual.suggester import Suggester


class NameSuggester(Suggester):
    """Suggests the first name from `names` that extends what was typed, case-sensitively:
    CleverTap matches event and property names exactly. `names` is read on every keystroke,
    so names used a moment ago are offered at once."""

    def __init__(self, names: Callable[[], Iterable[str]]) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self._names = names

    async def get_suggestion(self, value: str) -> str | None:
        if not value:
            return None
        for name in self._names():
            if name.startswith(value) and name != value:
                return name
        return None


def case_twin(typed: str, names: Iterable[str]) -> str | None:
    """A known name that differs from `typed` only in case: almost certainly a typo."""
    folded = typed.strip().casefold()
    if not folded:
        return None
    for name in names:
        if name != typed.strip() and name.casefold() == folded:
            return name
    return None
