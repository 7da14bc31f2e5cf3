"""A query from the command line's words: EVENT and each --where NAME OPERATOR [VALUE] (or
NAME OPERATOR=VALUE), for `cttui count` and `cttui series`."""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from cttui.api.errors import QueryError, UsageError
from cttui.api.models import DateRange, PropertyFilter, Query, filter_label
from cttui.api.operators import Operator


def query_from_words(event: str, dates: DateRange, where: Sequence[Sequence[str]]) -> Query:
    """The query of EVENT and its --where words; raises QueryError saying what to fix."""
    filters = [filter_from_words(words, index) for index, words in enumerate(where)]
    query = Query(event, dates, tuple(filters))
    query.validate()
    return query


def filter_from_words(words: Sequence[str], index: int) -> PropertyFilter:
    """One --where: NAME OPERATOR [VALUE], or NAME OPERATOR=VALUE, the form for a value that
    starts with '-' (which argparse would take for an option)."""
    if len(words) not in (2, 3):
        raise UsageError(
            f"--where takes NAME OPERATOR [VALUE], got {len(words)} "
            f"word{'' if len(words) == 1 else 's'} "
            f"({' '.join(words)}); quote a name or value that has spaces"
        )
    if len(words) == 3:
        return PropertyFilter.from_text(*words, index=index)
    name, word = words
    operator, joined, value = word.partition("=")
    known = next((item for item in Operator if item == operator.strip().lower()), None)
    if known is None:
        return PropertyFilter.from_text(name, word, index=index)
    if joined:
        return PropertyFilter.from_text(name, operator, value, index=index)
    if known.takes_value:
        raise QueryError(
            f"{filter_label(index, name, known)} needs a value: --where {shlex.quote(name)} "
            f"{known} VALUE, or {known}=VALUE for a value that starts with '-'",
            f"filters[{index}].value",
        )
    return PropertyFilter(name, known)
