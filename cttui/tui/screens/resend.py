"""Before a query, or a favourite, is sent again while an earlier send of it is on its way (being
sent, queued, sending or pending, here or in another cttui), ask: a second ctrl+r is more often a
slip than a wish to ask CleverTap the same question twice."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.screen import Screen

from cttui.api.errors import CttuiError
from cttui.api.models import Query
from cttui.records import asks_again
from cttui.tui.workers import start

if TYPE_CHECKING:
    from cttui.session.core import Session
    from cttui.store.favorites import Favorite
    from cttui.store.selection import Selection

# A send under way: the account and host, the query and the favourite it runs, if any.
Send = tuple[str, str, Query, str | None]


def in_flight_question(
    session: Session, query: Query, selection: Selection, favorite: Favorite | None = None
) -> str | None:
    """What to ask before sending `query` on `selection` (or running `favorite`) again, if a job
    of it is on its way; None if none is."""
    name = favorite.name if favorite is not None else None
    account, host = selection.account_id, selection.base_url
    job = next(
        (j for j in reversed(session.jobs.jobs) if asks_again(j, account, host, query, name)),
        None,
    )
    if job is None:
        return None
    where = " (in another cttui)" if job.elsewhere else ""
    if name is not None and job.favorite == name:
        return f"Job {job.id} is already {job.state} for favourite {name}{where}. Run it again?"
    return f"Job {job.id} is already {job.state} for this query{where}. Send it again?"


def favorite_question(session: Session, favorites: Sequence[Favorite]) -> str | None:
    """What to ask before running `favorites` when some are on their way; None if none is."""
    for favorite in favorites:
        try:
            selection = session.favorite_selection(favorite)
        except CttuiError:
            continue  # not sent at all: the run says why
        question = in_flight_question(session, favorite.query(session.today()), selection, favorite)
        if question is not None:
            others = len(favorites) - 1
            return question if not others else f"{question[:-1]}, with the {others} others?"
    return None


def ask_then(
    screen: Screen[Any], question: str | None, run: bool, go: Callable[[], object]
) -> None:
    """`go()` now if there is no `question`, else once the person says yes to it (a favourite
    to `run` again, or a query to send again). The question is on screen before this returns:
    the next key answers it."""
    if question is None:
        go()
        return
    from cttui.tui.screens.confirm import ConfirmScreen  # when first asked

    def answered(yes: bool | None) -> None:
        if yes:
            go()

    again, keep = ("Run again", "Don't run") if run else ("Send again", "Don't send")
    screen.app.push_screen(ConfirmScreen(question, yes=again, no=keep), answered)


class Resends:
    """For `screen`: sends, asking first when a send of the same is on its way, counting the
    sends it started whose job is not made yet (a burst of ctrl+r comes faster than the journal
    makes a job)."""

    def __init__(self, screen: Screen[Any], session: Session) -> None:
        self._screen = screen
        self._session = session
        self._underway: list[Send] = []

    def account_of(self, favorite: Favorite) -> Selection | None:
        """The account `favorite` runs on; None if it has none (running it says why)."""
        try:
            return self._session.favorite_selection(favorite)
        except CttuiError:
            return None

    def send(
        self,
        query: Query,
        selection: Selection | None,
        favorite: Favorite | None,
        sender: Callable[[], Coroutine[Any, Any, object]],
        name: str,
    ) -> None:
        """Start `sender()` (the send) in a worker named `name`, now or once the person says yes
        to sending again (see ask_then). Started, it counts as under way at once: the next key
        finds it so."""
        if selection is None:
            self._start(None, sender, name)
            return
        running = favorite.name if favorite is not None else None
        send = (selection.account_id, selection.base_url, query, running)
        question = in_flight_question(self._session, query, selection, favorite)
        question = question or self._underway_question(send)
        ask_then(
            self._screen, question, favorite is not None, partial(self._start, send, sender, name)
        )

    def _underway_question(self, send: Send) -> str | None:
        account, host, query, name = send
        for underway in self._underway:
            if underway[:2] != (account, host):
                continue
            if name is not None and underway[3] == name:
                return f"Favourite {name} is being run already. Run it again?"
            if underway[2] == query:
                return "This query is being sent already. Send it again?"
        return None

    def _start(
        self, send: Send | None, sender: Callable[[], Coroutine[Any, Any, object]], name: str
    ) -> None:
        sending = sender()
        if send is None:
            start(self._screen, sending, name=name)
            return
        self._underway.append(send)

        async def tracked() -> None:
            # Under way until the send returns: its job is made by then.
            try:
                await sending
            finally:
                self._underway.remove(send)

        start(self._screen, tracked(), name=name)
