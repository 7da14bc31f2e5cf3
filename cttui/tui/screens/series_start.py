"""Starting a series from a screen: the form, then the session's series, told in a toast; its
points arrive in the favourite's history, which the chart and the favourites list follow."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cttui.api.errors import CttuiError
from cttui.session.series import SeriesRequest, start_series
from cttui.store.favorites import Favorite
from cttui.tui.screens.series_form import SeriesChoice, SeriesFormScreen
from cttui.tui.workers import start

if TYPE_CHECKING:
    from textual.screen import Screen

    from cttui.api.models import Query
    from cttui.api.ranges import RangePreset
    from cttui.session.core import Session
    from cttui.session.series import Series


# What a series does once its form is answered, before anything is sent: open the favourite's
# chart (of this name), where the points show as they come, so that the next key lands there.
Then = Callable[[str], None]


def ask_series(
    screen: Screen[Any], session: Session, favorite: Favorite, then: Then | None = None
) -> None:
    """The form for `favorite`; the series starts when it is answered."""

    def answered(choice: SeriesChoice | None) -> None:
        if choice is not None:
            if then is not None:
                then(favorite.name)
            start(screen, count_series(screen, session, favorite, choice), name="Series")

    screen.app.push_screen(SeriesFormScreen(f"Count {favorite.name} over time"), answered)


def ask_series_of_query(
    screen: Screen[Any],
    session: Session,
    query: Query,
    preset: RangePreset | None,
    then: Then | None = None,
) -> None:
    """The form for the editor's query, with the name of the favourite to keep its counts: one
    of that name that asks the same is used as it is, else a new one is saved."""

    def answered(choice: SeriesChoice | None) -> None:
        if choice is None or choice.name is None:
            return
        favorite = Favorite(
            choice.name, query.event_name, query.filters, preset or query.date_range
        )
        found = session.favorites.resolve(favorite.name)
        if found is not None and found.favorite.query_key != favorite.query_key:
            screen.notify(
                f"{found.favorite.name!r} is a favourite that asks something else; pick "
                "another name",
                title="Not sent",
                severity="error",
            )
            return
        if then is not None:
            then(found.favorite.name if found else favorite.name)
        start(screen, _save_and_count(screen, session, favorite, choice), name="Series")

    known = next((item for item in session.favorites.listed() if _asks_the_same(item, query)), None)
    name = known.name if known else query.event_name
    screen.app.push_screen(
        SeriesFormScreen(f"Count {query.event_name} over time", name=name), answered
    )


def _asks_the_same(favorite: Favorite, query: Query) -> bool:
    return favorite.query_key == Favorite("x", query.event_name, query.filters).query_key


async def _save_and_count(
    screen: Screen[Any], session: Session, favorite: Favorite, choice: SeriesChoice
) -> None:
    found = session.favorites.resolve(favorite.name)
    existing = found.favorite if found is not None else None
    if existing is not None:
        if existing.query_key != favorite.query_key:
            screen.notify(
                f"{existing.name!r} is a favourite that asks something else; pick another name",
                title="Not sent",
                severity="error",
            )
            return
        favorite = existing
    else:
        try:
            favorite, _ = await session.favorites.save(favorite)
        except CttuiError as error:
            screen.notify(error.message, title="Not saved", severity="error")
            return
    await count_series(screen, session, favorite, choice)


async def count_series(
    screen: Screen[Any], session: Session, favorite: Favorite, choice: SeriesChoice
) -> Series | None:
    request = SeriesRequest(
        favorite.query(session.today()),
        choice.every,
        choice.last,
        current=choice.current,
        favorite=favorite,
    )
    try:
        series = await start_series(session, request)
    except CttuiError as error:
        screen.notify(f"{error.message}; or press F2", title="Not sent", severity="error")
        return None
    parts = [f"{series.asked} asked"]
    if series.resumed:
        parts.append(f"{series.resumed} taken up")
    if series.saved:
        parts.append(f"{series.saved} known already")
    screen.notify(
        f"{len(series.points)} {choice.every.plural}: {', '.join(parts)}",
        title=favorite.name,
        # Short: it covers the end of the line under the chart it opened over.
        timeout=4,
    )
    return series
