"""ctrl+s: save the editor's query as a favourite: its name, whether its dates roll, and the
profile it runs on. Saving over a favourite of the same name asks first, unless it would change
nothing."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Input, RadioButton, RadioSet, Select, Static

from cttui.api.errors import CttuiError
from cttui.api.models import DateRange, Query
from cttui.api.operators import Operator
from cttui.api.ranges import RangePreset
from cttui.report import dates_text, summary_text
from cttui.store.favorites import NAME_MAX, Favorite, check_favorite_name, taken_name
from cttui.tui.failures import ShowsFailedWorkers
from cttui.tui.keys import bindings
from cttui.tui.screens.confirm import ConfirmScreen
from cttui.tui.widgets.footer import KeysFooter
from cttui.tui.workers import start

if TYPE_CHECKING:
    from cttui.session.core import Session

ACTIVE = "(active)"


@dataclass(frozen=True)
class SaveRequest:
    """`replace` the favourite of that name, which the user agreed to; neither that nor a new
    name when the file holds this one already as it is (the save then writes nothing)."""

    name: str
    dates: DateRange | RangePreset
    profile: str | None
    replace: bool


class SaveFavoriteScreen(ShowsFailedWorkers, ModalScreen[SaveRequest | None]):
    BINDINGS: ClassVar[list[BindingType]] = bindings("save-favorite")

    def __init__(
        self,
        query: Query,
        preset: RangePreset | None,
        *,
        name: str,
        profile: str | None,
        profiles: Sequence[str],
        saved: Sequence[Favorite],
    ) -> None:
        super().__init__()
        self._query = query
        self._preset = preset
        self._name = name
        self._profile = profile
        self._profiles = list(profiles)
        self._saved = list(saved)

    def compose(self) -> ComposeResult:
        dates = self._query.date_range
        with Vertical(id="save-favorite", classes="dialog"):
            yield Static("Save as favourite", classes="dialog-title")
            yield Static(summary_text(self._query, 64), classes="dialog-note", markup=False)
            yield Input(
                self._name,
                placeholder="a name, such as weekly buyers",
                max_length=NAME_MAX,
                id="favorite-name",
            )
            yield Static(id="favorite-name-problem", classes="dialog-problem", markup=False)
            if self._preset is not None:
                with RadioSet(id="favorite-dates"):
                    yield RadioButton(
                        f"{self._preset.label}, counted afresh each day it runs",
                        value=True,
                        id="dates-rolling",
                    )
                    yield RadioButton(f"Always {dates_text(dates)}", id="dates-fixed")
            else:
                yield Static(f"Dates: always {dates_text(dates)}", classes="dialog-note")
            if len(self._profiles) > 1 or (
                self._profile is not None and self._profile not in self._profiles
            ):
                options = [("Runs on the active profile", ACTIVE)] + [
                    (f"Runs on profile {name}", name) for name in self._profiles
                ]
                value = self._profile if self._profile in self._profiles else ACTIVE
                yield Select(options, value=value, allow_blank=False, id="favorite-profile")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", id="favorite-save", variant="primary")
                yield Button("Cancel", id="favorite-cancel")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#favorite-name-problem").display = False
        self.query_one("#favorite-name", Input).focus()

    @property
    def dates(self) -> DateRange | RangePreset:
        if self._preset is not None and self.query_one("#dates-rolling", RadioButton).value:
            return self._preset
        return self._query.date_range

    @property
    def profile(self) -> str | None:
        chosen = self.query("#favorite-profile")
        if not chosen:
            return self._profile
        value = self.query_one("#favorite-profile", Select).value
        return None if value == ACTIVE else str(value)

    @on(Input.Changed, "#favorite-name")
    def _typed(self) -> None:
        self.query_one("#favorite-name-problem").display = False

    @on(Input.Submitted, "#favorite-name")
    @on(Button.Pressed, "#favorite-save")
    def _save(self) -> None:
        try:
            name = check_favorite_name(self.query_one("#favorite-name", Input).value)
        except CttuiError as error:
            self._show_problem(error.message)
            return
        existing = taken_name((item.name for item in self._saved), name)
        if existing is None or self._holds_as_it_is(existing):
            self.dismiss(SaveRequest(existing or name, self.dates, self.profile, replace=False))
            return

        def answered(replace: bool | None) -> None:
            if replace:
                self.dismiss(SaveRequest(existing, self.dates, self.profile, replace=True))
            else:
                self.query_one("#favorite-name", Input).focus()

        self.app.push_screen(
            ConfirmScreen(
                f"A favourite named {existing!r} exists. Replace its query with this one? Its "
                "notes and its counts over time are kept.",
                yes="Replace",
                no="Back",
            ),
            answered,
        )

    def _holds_as_it_is(self, name: str) -> bool:
        """Whether the favourite `name` is this query on these dates and profile already."""
        query = self._query
        mine = Favorite(name, query.event_name, query.filters, self.dates, self.profile)
        return any(item.name == name and item.same_query(mine) for item in self._saved)

    def _show_problem(self, problem: str) -> None:
        shown = self.query_one("#favorite-name-problem", Static)
        shown.update(problem)
        shown.display = True

    @on(Button.Pressed, "#favorite-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


# How each operator reads in a name: short, and typed as easily in a shell as in the app.
OPERATOR_WORDS = {
    Operator.EQUALS: "=",
    Operator.NOT_EQUALS: "!=",
    Operator.CONTAINS: "contains",
    Operator.DOES_NOT_CONTAIN: "does not contain",
    Operator.EXISTS: "exists",
    Operator.DOES_NOT_EXIST: "does not exist",
    Operator.GREATER_THAN: ">",
    Operator.GREATER_THAN_EQUALS: ">=",
    Operator.LESS_THAN: "<",
    Operator.LESS_THAN_EQUALS: "<=",
}


def suggested_name(query: Query) -> str:
    """A first name to edit, the same way for every operator: the event, then the first
    filter as it reads ("Charged Amount > 100", "Charged Coupon exists"), cut to the name
    limit at a word boundary."""
    words = [query.event_name]
    if query.filters:
        first = query.filters[0]
        words += [first.name, OPERATOR_WORDS[first.operator]]
        if first.value is not None:
            values = first.value if isinstance(first.value, tuple) else (first.value,)
            words.append(" or ".join(str(value) for value in values))
    # Line breaks, tabs and spaces of any kind become one space; what a name may not hold
    # (zero-width and other invisible characters) is dropped.
    text = "".join(char for char in " ".join(" ".join(words).split()) if char.isprintable())
    if len(text) <= NAME_MAX:
        return text
    # At the last word boundary within the limit, unless that would drop most of the name
    # (a 600-character value of one word): then within the word.
    cut = text[: NAME_MAX + 1].rsplit(" ", 1)[0]
    return cut if NAME_MAX // 2 <= len(cut) <= NAME_MAX else text[:NAME_MAX].strip()


async def save_requested(
    screen: Screen[Any], session: Session, query: Query, request: SaveRequest
) -> Favorite | None:
    """Save `query` as the dialog's `request` says, and say so; the favourite as stored, or
    None when it could not be (a toast says why)."""
    favorite = Favorite(
        request.name, query.event_name, query.filters, request.dates, request.profile
    )
    try:
        stored, written = await session.favorites.save(favorite, replace_existing=request.replace)
    except CttuiError as error:
        screen.notify(error.message, title="Not saved", severity="error", timeout=15)
        return None
    verb = "replaced" if request.replace else "saved"
    said = f"{stored.name} {verb}; F3 lists your favourites"
    if not written:
        said = f"{stored.name} is already saved as it is; nothing was written"
    screen.notify(said, title="Favourite")
    return stored


def ask_to_save(
    screen: Screen[Any],
    session: Session,
    query: Query,
    preset: RangePreset | None,
    *,
    loaded: Favorite | None,
    saved: Callable[[Favorite], None],
) -> None:
    """ctrl+s: the dialog for `query` (over `loaded`, the favourite the editor holds, if any);
    `saved` is told of the favourite as stored."""
    favorites = session.favorites.current
    if not favorites.writable:
        screen.notify(favorites.read_only_reason(), title="Not saved", severity="error")
        return
    profiles = [] if session.demo is not None else session.config.names()

    async def save(request: SaveRequest) -> None:
        stored = await save_requested(screen, session, query, request)
        if stored is not None:
            saved(stored)

    def answered(request: SaveRequest | None) -> None:
        if request is not None:
            start(screen, save(request), name="Saving the favourite")

    screen.app.push_screen(
        SaveFavoriteScreen(
            query,
            preset,
            name=loaded.name if loaded else suggested_name(query),
            profile=loaded.profile if loaded else None,
            profiles=profiles,
            saved=favorites.items,
        ),
        answered,
    )
