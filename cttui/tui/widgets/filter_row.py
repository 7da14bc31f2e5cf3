"""One property filter in the query editor: property name, operator, value, and its problem."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Button, Input, Select

from cttui.api.draft import FilterDraft, is_boolean_text, takes_booleans
from cttui.api.models import OPERATOR_CHOICES, OperatorChoice
from cttui.api.operators import ValueKind
from cttui.tui.keys import bindings
from cttui.tui.widgets.live_text import LiveText
from cttui.tui.widgets.suggestions import NameSuggester

CHOICES = {choice.key: choice for choice in OPERATOR_CHOICES}
DEFAULT_CHOICE = OPERATOR_CHOICES[0]
BOOLEANS = SuggestFromList(["True", "False"], case_sensitive=False)


def _placeholder(choice: OperatorChoice) -> str:
    if choice.kind is ValueKind.NUMBER:
        return "a number, e.g. 42"
    # Short enough to show whole in a row at 80 columns.
    return "text or True/False" if takes_booleans(choice) else "text"


class FilterRow(Vertical):
    """A row of the editor. `draft` reads what it holds; `show_problem` writes beneath it."""

    # The operators' group (string, number...), styled in cttui.tcss.
    COMPONENT_CLASSES: ClassVar[set[str]] = {"filter-row--kind"}

    BINDINGS: ClassVar[list[BindingType]] = bindings("filter-row")

    class RemoveRequested(Message):
        def __init__(self, row: FilterRow) -> None:
            super().__init__()
            self.row = row

    def __init__(
        self, draft: FilterDraft | None = None, properties: Callable[[], Iterable[str]] = tuple
    ) -> None:
        super().__init__(classes="filter-row")
        self._initial = draft or FilterDraft("", DEFAULT_CHOICE)
        self._properties = properties
        self._problem: str | None = None

    def palette_subject(self, action: str) -> str | None:
        # Every row offers its own "Remove filter" in the palette: each says which row it is.
        rows = list(self.parent.query_children(FilterRow)) if self.parent else [self]
        return f"Filter {rows.index(self) + 1}"

    def _operator_options(self) -> list[tuple[Text, str]]:
        # Grouped as CleverTap documents them: the group in a first column of its own.
        kind = self.get_component_rich_style("filter-row--kind", partial=True)
        return [
            (Text.assemble((f"{choice.kind:<7}", kind), str(choice.operator)), choice.key)
            for choice in OPERATOR_CHOICES
        ]

    def compose(self) -> ComposeResult:
        initial = self._initial
        with Horizontal(classes="filter-fields"):
            yield Input(
                initial.name,
                placeholder="property",
                classes="filter-name",
                compact=True,
                suggester=NameSuggester(self._properties),
            )
            yield Select(
                self._operator_options(),
                value=initial.choice.key,
                allow_blank=False,
                classes="filter-operator",
                compact=True,
            )
            yield Input(initial.value, classes="filter-value", compact=True)
            yield Button(
                "✕", classes="filter-remove", compact=True, tooltip="Remove this filter (F8)"
            )
        yield LiveText(classes="filter-note")

    def on_mount(self) -> None:
        self._show_choice(self._initial.choice)

    @property
    def choice(self) -> OperatorChoice:
        key = self.query_one(".filter-operator", Select).value
        return CHOICES.get(str(key), DEFAULT_CHOICE)

    @property
    def draft(self) -> FilterDraft:
        name = self.query_one(".filter-name", Input).value
        value = self.query_one(".filter-value", Input).value
        choice = self.choice
        return FilterDraft(name, choice, value if choice.operator.takes_value else "")

    def field(self, part: str) -> Widget:
        """The widget for `name`, `operator` or `value`."""
        return self.query_one(f".filter-{part}")

    def show_problem(self, problem: str | None) -> None:
        self._problem = problem
        self._show_note()

    @on(Select.Changed, ".filter-operator")
    def _operator_changed(self) -> None:
        self._show_choice(self.choice)

    @on(Input.Changed, ".filter-value")
    def _value_changed(self) -> None:
        self._show_note()

    @on(Button.Pressed, ".filter-remove")
    def _remove_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.RemoveRequested(self))

    def action_remove(self) -> None:
        self.post_message(self.RemoveRequested(self))

    def _show_choice(self, choice: OperatorChoice) -> None:
        value = self.query_one(".filter-value", Input)
        value.display = choice.operator.takes_value
        value.placeholder = _placeholder(choice)
        value.suggester = BOOLEANS if takes_booleans(choice) else None
        self._show_note()

    def _show_note(self) -> None:
        note = self.query_one(".filter-note", LiveText)
        text = self._problem or ""
        if not text:
            draft = self.draft
            if draft.value and is_boolean_text(draft.value, draft.choice):
                spelled = draft.value.strip().capitalize()
                text = f'sent as "{spelled}": CleverTap spells booleans True / False'
        note.show(text)
        note.display = bool(text)
        note.set_class(bool(self._problem), "-error")
