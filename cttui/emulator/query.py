"""The body of a Get Profile Count request, validated the way the emulator answers it.

A count is the number of distinct profiles that did ``event_name`` on at least one day in
``[from, to]`` (inclusive ``YYYYMMDD`` integers) in an occurrence that matches every filter in
``event_properties``. Filters apply to one occurrence at a time: two filters are never satisfied by
two different occurrences of the same profile.

Each property of an event has one kind (string, number or boolean, see ``dataset.EVENT_SCHEMA``).
For an occurrence, a filter on property ``p`` means:

``equals``
    The value is a primitive or a non-empty list of primitives (a list means any of them).
    Number property: numeric equality with a number or a numeric string (``"12.5"``).
    Boolean property: ``true``/``false`` or the strings ``"True"``/``"False"`` in any case.
    String property: exact, case-sensitive equality with a string.
    A value of another type simply never matches.
``not_equals``
    Exactly the occurrences ``equals`` rejects, including those without ``p``.
``contains``
    String property only: case-insensitive substring of a string value (a list means any of them).
    On another kind it matches nothing.
``does_not_contain``
    Exactly the occurrences ``contains`` rejects, including those without ``p``.
``exists`` / ``does_not_exist``
    ``p`` is present / absent on the occurrence; a value, if sent, is ignored.
``greater_than``, ``greater_than_equals``, ``less_than``, ``less_than_equals``
    Number property only: numeric comparison with a number or a numeric string (anything else
    is a 400). Occurrences without ``p``, or where ``p`` is not a number, never match.

A property name the event does not have matches nothing for the positive operators, so
``not_equals``, ``does_not_contain`` and ``does_not_exist`` on it match every occurrence.
"""

from __future__ import annotations

import datetime
import enum
import math
import re
from dataclasses import dataclass

Primitive = str | int | float | bool


class QueryError(ValueError):
    """A request body the server rejects with HTTP 400; the message is the answer's ``error``."""


class UnknownEventError(ValueError):
    """An event name the store has never seen (CleverTap answers this with HTTP 200 and fail)."""

    def __init__(self, event_name: str) -> None:
        super().__init__(f"Invalid event : {event_name}")
        self.event_name = event_name


class Operator(enum.StrEnum):
    EQUALS = "equals"
    NOT_EQUALS = "not_equals"
    CONTAINS = "contains"
    DOES_NOT_CONTAIN = "does_not_contain"
    EXISTS = "exists"
    DOES_NOT_EXIST = "does_not_exist"
    GREATER_THAN = "greater_than"
    GREATER_THAN_EQUALS = "greater_than_equals"
    LESS_THAN = "less_than"
    LESS_THAN_EQUALS = "less_than_equals"


NEGATIONS: dict[Operator, Operator] = {
    Operator.NOT_EQUALS: Operator.EQUALS,
    Operator.DOES_NOT_CONTAIN: Operator.CONTAINS,
    Operator.DOES_NOT_EXIST: Operator.EXISTS,
}
COMPARISONS = frozenset(
    {
        Operator.GREATER_THAN,
        Operator.GREATER_THAN_EQUALS,
        Operator.LESS_THAN,
        Operator.LESS_THAN_EQUALS,
    }
)

_OPERATORS = frozenset(operator.value for operator in Operator)
_NUMERIC = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


@dataclass(frozen=True)
class PropertyFilter:
    """One validated ``event_properties`` entry.

    ``values`` holds what the operator compares with: the primitives sent for ``equals`` and
    ``contains`` (a single value becomes a one-item tuple), one float for a comparison, and
    nothing for ``exists``/``does_not_exist``.
    """

    name: str
    operator: Operator
    values: tuple[Primitive, ...]


@dataclass(frozen=True)
class Query:
    event_name: str
    date_from: datetime.date
    date_to: datetime.date
    filters: tuple[PropertyFilter, ...]

    @property
    def span_days(self) -> int:
        """Days in the inclusive range."""
        return (self.date_to - self.date_from).days + 1


def as_number(value: object) -> float | None:
    """``value`` as a finite float if it is a JSON number or a numeric string, else None."""
    if isinstance(value, str) and _NUMERIC.fullmatch(value.strip()):
        number = float(value)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        try:
            number = float(value)
        except OverflowError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def as_boolean(value: object) -> bool | None:
    """``value`` as a bool if it is a JSON boolean or ``"true"``/``"false"`` in any case."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def date_from_int(value: int) -> datetime.date:
    """Parse ``YYYYMMDD``; raises QueryError for anything that is not a calendar date."""
    if not 10_000_101 <= value <= 99_991_231:
        raise QueryError(f"Invalid date: {value}")
    try:
        return datetime.date(value // 10_000, value // 100 % 100, value % 100)
    except ValueError:
        raise QueryError(f"Invalid date: {value}") from None


def date_to_int(day: datetime.date) -> int:
    return day.year * 10_000 + day.month * 100 + day.day


def parse_query(body: dict[str, object]) -> Query:
    """Validate a decoded request body; raises QueryError naming the first problem found."""
    event_name = body.get("event_name")
    if event_name is None:
        raise QueryError("Missing parameter: event_name")
    if not isinstance(event_name, str) or not event_name:
        raise QueryError("Invalid parameter: event_name must be a non-empty string")
    date_from = date_from_int(_date_parameter(body, "from"))
    date_to = date_from_int(_date_parameter(body, "to"))
    if date_from > date_to:
        raise QueryError(
            f"Invalid date range: from {date_to_int(date_from)} is after to {date_to_int(date_to)}"
        )
    raw_filters = body.get("event_properties", [])
    if not isinstance(raw_filters, list):
        raise QueryError("Invalid parameter: event_properties must be a list")
    filters = tuple(_parse_filter(index, entry) for index, entry in enumerate(raw_filters))
    return Query(event_name, date_from, date_to, filters)


def query_body(query: Query) -> dict[str, object]:
    """The smallest body that ``parse_query`` turns back into ``query``.

    It keeps only what the server uses, so that saving a request never saves whatever else
    (however large or deep) the client sent with it.
    """
    filters: list[dict[str, object]] = []
    for property_filter in query.filters:
        entry: dict[str, object] = {
            "name": property_filter.name,
            "operator": property_filter.operator.value,
        }
        if property_filter.operator in COMPARISONS:
            entry["value"] = property_filter.values[0]
        elif property_filter.values:
            entry["value"] = list(property_filter.values)
        filters.append(entry)
    return {
        "event_name": query.event_name,
        "from": date_to_int(query.date_from),
        "to": date_to_int(query.date_to),
        "event_properties": filters,
    }


def _date_parameter(body: dict[str, object], key: str) -> int:
    value = body.get(key)
    if value is None:
        raise QueryError(f"Missing parameter: {key}")
    # bool is an int subclass, and a quoted date is a common client bug worth rejecting loudly.
    if isinstance(value, bool) or not isinstance(value, int):
        raise QueryError(f"Invalid parameter: {key} must be an integer YYYYMMDD")
    return value


def _parse_filter(index: int, entry: object) -> PropertyFilter:
    where = f"event_properties[{index}]"
    if not isinstance(entry, dict):
        raise QueryError(f"Invalid parameter: {where} must be an object")
    name = entry.get("name")
    if name is None:
        raise QueryError(f"Missing parameter: {where}.name")
    if not isinstance(name, str) or not name:
        raise QueryError(f"Invalid parameter: {where}.name must be a non-empty string")
    raw_operator = entry.get("operator")
    if raw_operator is None:
        raise QueryError(f"Missing parameter: {where}.operator")
    if not isinstance(raw_operator, str) or raw_operator not in _OPERATORS:
        raise QueryError(f"Invalid operator: {raw_operator}")
    operator = Operator(raw_operator)
    if operator in (Operator.EXISTS, Operator.DOES_NOT_EXIST):
        return PropertyFilter(name, operator, ())
    if "value" not in entry:
        raise QueryError(f"Missing parameter: {where}.value")
    value = entry["value"]
    if operator in COMPARISONS:
        number = as_number(value)
        if number is None:
            raise QueryError(f"Invalid value for {operator}: {value!r} is not a number")
        return PropertyFilter(name, operator, (number,))
    values = tuple(value) if isinstance(value, list) else (value,)
    if operator in (Operator.CONTAINS, Operator.DOES_NOT_CONTAIN):
        if not values or not all(isinstance(item, str) for item in values):
            raise QueryError(
                f"Invalid value for {operator}: expected a string or a non-empty list of strings"
            )
    elif not values or not all(isinstance(item, str | int | float) for item in values):
        raise QueryError(
            f"Invalid value for {operator}: expected a primitive or a non-empty list of primitives"
        )
    return PropertyFilter(name, operator, values)
