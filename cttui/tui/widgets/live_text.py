"""Text that follows what a user types, at the cost of the widget alone."""

from __future__ import annotations

from textual.visual import VisualType
from textual.widgets import Static


class LiveText(Static):
    """A Static for text redone on every key: the same text again changes nothing, and the
    screen is laid out again only when the new text takes another number of lines.

    `Static.update` lays out the whole screen each time (10 ms at 120x40, and with it every
    widget in view is drawn again, a job list of 500 rows included), and the editor updated
    its notes and its preview, changed or not, on each key typed.
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, markup=False)
        self._text: str | None = None

    def show(self, text: str, content: VisualType | None = None) -> None:
        """Show `text`, drawn as `content` if given (highlighted, say)."""
        if text == self._text:
            return
        self._text = text
        height = self.size.height
        self.update(text if content is None else content, layout=False)
        width = self.size.width
        self.clear_cached_dimensions()
        if not width or self.get_content_height(self.size, self.app.size, width) != height:
            self.refresh(layout=True)
