"""Which columns the job list shows, and how wide, for the width it has.

In the order of what matters most: the job, its query, state and count always; then its dates,
polls, the countdown and the elapsed time as the width allows, each dropped whole (never cut
behind a horizontal scrollbar). The query takes every cell the others leave.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text

from cttui.console import clip
from cttui.jobs import Job
from cttui.report import count_text, dates_text, duration_text, state_text, summary_text

# (label, key), in the order shown and in the order kept when the width runs short.
COLUMNS = (
    ("#", "id"),
    ("Query", "query"),
    ("State", "state"),
    ("Count", "count"),
    ("Dates", "dates"),
    ("Polls", "polls"),
    ("Next", "next"),
    ("Elapsed", "elapsed"),
)
KEYS = tuple(key for _, key in COLUMNS)
ALWAYS = 4  # the first four are always shown
# A DataTable cell has one cell of padding each side.
PADDING = 2
# The query never narrower than this while another column could go instead (a longer summary
# is cut with "…"; the line under the list shows the selected job's whole).
QUERY_MIN = 20
# Every state's name in full, with room for a "…" that says there is more ("interrupted…" for
# "interrupted (another cttui)", whole in the line under the list) when there is no room.
STATE_MIN = len("interrupted…")
# Room for the countdown and elapsed time of any job ("59m59s", "3d04h").
TICKING_WIDTH = 6
# The columns whose width follows what they hold.
SIZED = ("id", "query", "state", "count", "dates", "polls")
# A query's summary no longer than this: the line under the list shows the selected job's whole.
SUMMARY_MAX = 120


@dataclass(frozen=True)
class Layout:
    """The columns shown, each with its width (the text's, without the padding)."""

    widths: tuple[tuple[str, int], ...]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(key for key, _ in self.widths)

    def width(self, key: str) -> int:
        return dict(self.widths).get(key, 0)


def layout(available: int, content: dict[str, int]) -> Layout:
    """The columns for `available` cells, given the widest text each column holds (`content`,
    by key; a column absent from it is as wide as its label). The query takes what the others
    leave, up to its longest summary; a state spelled at length ("pending (another cttui)")
    gives way before a column or the query's summary would."""
    wanted = {key: max(len(label), content.get(key, 0)) for label, key in COLUMNS}
    wanted["state"] = max(wanted["state"], STATE_MIN)
    for key in ("next", "elapsed"):
        wanted[key] = max(wanted[key], TICKING_WIDTH)

    def room(keys: list[str], widths: dict[str, int]) -> int:
        return available - sum(widths[key] + PADDING for key in keys if key != "query") - PADDING

    best: tuple[list[str], dict[str, int]] | None = None
    for state in (wanted["state"], STATE_MIN):
        widths = dict(wanted, state=state)
        keys = list(KEYS)
        while len(keys) > ALWAYS and room(keys, widths) < QUERY_MIN:
            keys.pop()
        if best is None or len(keys) > len(best[0]):
            best = (keys, widths)
    assert best is not None
    keys, widths = best
    # And gives way to the query's summary too, down to its name and "…".
    short = wanted["query"] - room(keys, widths)
    if short > 0:
        widths["state"] = max(STATE_MIN, widths["state"] - short)
    widths["query"] = max(len("Query"), min(room(keys, widths), wanted["query"]))
    return Layout(tuple((key, widths[key]) for key in keys))


def measure(jobs: Iterable[Job], content: dict[str, int]) -> bool:
    """Widen `content` (the widest text of each sized column) to hold `jobs`' texts; whether
    any column widened."""
    widened = False
    for job in jobs:
        query = job.query
        widths = (
            len(str(job.id)),
            len(summary_cell(job, SUMMARY_MAX)),
            len(state_text(job)),
            len(count_text(job)),
            len(dates_text(query.date_range)) if query else 0,
            len(str(job.polls)),
        )
        for key, width in zip(SIZED, widths, strict=True):
            if width > content.get(key, 0):
                content[key] = width
                widened = True
    return widened


def summary_cell(job: Job, width: int) -> str:
    """What the query column says of `job` in `width` cells."""
    if job.favorite is not None:
        return clip(f"★ {job.favorite}", width)
    if job.query is None:
        return clip(f"req_id {job.req_id}", width)
    return summary_text(job.query, width)


def state_cell(job: Job, width: int) -> str:
    """The state in `width` cells: at length if it fits, else its name and "…"."""
    state = state_text(job)
    if not width or len(state) <= width:
        return state
    return clip(f"{job.state}…", width)


def cells(job: Job, shown: Layout, state_style: Style, now: float) -> dict[str, str | Text]:
    """Every column's cell for `job`, by key, whether shown or not, at `shown`'s widths."""
    # Strings in a DataTable are markup; what a user typed (or a server said) is not.
    query = job.query
    next_poll, elapsed = ticking(job, now)
    return {
        "id": str(job.id),
        "query": Text(summary_cell(job, max(1, shown.width("query")))),
        "state": Text(state_cell(job, shown.width("state")), style=state_style),
        "count": Text(count_text(job), justify="right"),
        "dates": Text(dates_text(query.date_range) if query else ""),
        "polls": Text(str(job.polls), justify="right"),
        "next": next_poll,
        "elapsed": elapsed,
    }


def ticking(job: Job, now: float) -> tuple[Text, Text]:
    """The countdown to the next poll and the elapsed time: the cells that tick."""
    countdown = job.countdown(now)
    return (
        Text(duration_text(countdown) if countdown is not None else "", justify="right"),
        Text(duration_text(job.elapsed(now)), justify="right"),
    )


def same(shown: object, value: str | Text) -> bool:
    """Whether a cell showing `shown` would look the same showing `value`."""
    if isinstance(shown, Text) and isinstance(value, Text):
        return (shown.plain, shown.style, shown.justify, shown.spans) == (
            value.plain,
            value.style,
            value.justify,
            value.spans,
        )
    return type(shown) is type(value) and shown == value
