"""A screen's breakpoint classes, set as it composes."""

from __future__ import annotations

from typing import Any

from textual.screen import Screen


def set_breakpoints(screen: Screen[Any]) -> None:
    """Give `screen` the classes of its horizontal and vertical breakpoints for the app's size
    now. Textual sets them at the first resize, after every child has mounted, and so restyled
    the whole screen once more before its first frame."""
    size = screen.app.size
    classes: dict[str, bool] = {}
    for at_least, breakpoints in (
        (size.width, screen.HORIZONTAL_BREAKPOINTS or []),
        (size.height, screen.VERTICAL_BREAKPOINTS or []),
    ):
        reached = [name for at, name in sorted(breakpoints) if at_least >= at]
        classes.update({name: bool(reached) and name == reached[-1] for _, name in breakpoints})
    screen.update_classes(classes, animate=False)
