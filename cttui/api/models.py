"""A count query as CleverTap's Get Profile Count API takes it, and its validation.

Models are plain frozen dataclasses that may hold an invalid query (an editor is mid-way through
one); `Query.problems()` says everything that is wrong, and `Query.to_payload()` refuses to build a
body from an invalid query, so nothing invalid is ever sent.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from cttui.api.errors import QueryError
from cttui.api.operators import (
    NUMBER_OPERATORS,
    STRING_OPERATORS,
    Operator,
    Scalar,
    Value,
    ValueKind,
    is_number,
    operator_names,
    parse_operator,
    parse_value,
)
from cttui.console import printable


@dataclass(frozen=True)
class OperatorChoice:
    """An operator as the editor offers it: `equals` is both a string and a number operator,
    and which one a person picked decides whether "42" is sent as text or as a number."""

    kind: ValueKind
    operator: Operator

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.operator}"

    @classmethod
    def for_filter(cls, property_filter: PropertyFilter) -> OperatorChoice:
        """The choice that reads `property_filter` back as it was built."""
        operator = property_filter.operator
        numeric = is_number(property_filter.value) or operator.needs_number
        return cls(ValueKind.NUMBER if numeric else ValueKind.STRING, operator)


OPERATOR_CHOICES: tuple[OperatorChoice, ...] = tuple(
    OperatorChoice(ValueKind.STRING, operator) for operator in STRING_OPERATORS
) + tuple(OperatorChoice(ValueKind.NUMBER, operator) for operator in NUMBER_OPERATORS)


@dataclass(frozen=True)
class PropertyFilter:
    """One `event_properties` entry: a value only for the operators that take one, a tuple for
    "any of these"."""

    name: str
    operator: Operator
    value: Value | None = None

    @classmethod
    def from_text(
        cls, name: str, operator: str, value: str | None = None, *, index: int = 0
    ) -> PropertyFilter:
        """A filter from words a person typed; raises QueryError naming what to fix."""
        where = f"filters[{index}]"
        parsed = parse_operator(operator, f"{where}.operator")
        if value is None or not parsed.takes_value:
            return cls(name, parsed, value)
        label = filter_label(index, name, parsed)
        return cls(name, parsed, parse_value(value, parsed, f"{where}.value", label))

    def problems(self, index: int = 0) -> list[QueryError]:
        where = f"filters[{index}]"
        label = filter_label(index, self.name, self.operator)
        found: list[QueryError] = []
        if not self.name.strip():
            found.append(
                QueryError(f"filter {index + 1} has no property name; type one", f"{where}.name")
            )
        elif _has_control(self.name):
            problem = _control_problem(f"filter {index + 1}: property name", self.name)
            found.append(QueryError(problem, f"{where}.name"))
        if not isinstance(self.operator, Operator):
            found.append(
                QueryError(
                    f"filter {index + 1}: unknown operator {self.operator!r}; "
                    f"use one of: {operator_names()}",
                    f"{where}.operator",
                )
            )
            return found
        if not self.operator.takes_value:
            if self.value is not None:
                found.append(QueryError(f"{label} takes no value; clear it", f"{where}.value"))
            return found
        values = self.value if isinstance(self.value, tuple) else (self.value,)
        problem = _value_problem(self.operator, values)
        if problem:
            found.append(QueryError(f"{label} {problem}", f"{where}.value"))
        return found

    def to_payload(self) -> dict[str, object]:
        body: dict[str, object] = {"name": self.name, "operator": str(self.operator)}
        if self.value is not None:
            body["value"] = _encode(self.value)
        return body


def filter_label(index: int, name: str, operator: Operator | str) -> str:
    """How a message names filter `index` (from 0): `filter 1 (Amount greater_than)`, or with
    no name yet, `filter 1 (greater_than)`."""
    named = f"{printable(name.strip())} " if name.strip() else ""
    return f"filter {index + 1} ({named}{operator})"


def _value_problem(operator: Operator, values: Sequence[object]) -> str:
    if not values or values == (None,):
        return "needs a value"
    for value in values:
        if value is None or (isinstance(value, str) and not value):
            return "needs a value"
        if not isinstance(value, str | int | float | bool):
            return f"cannot take {value!r}; use text, a number or True/False"
        if operator.needs_number and not is_number(value):
            return f"needs a number, not {value!r}"
        if operator.needs_text and not isinstance(value, str):
            return f"needs text, not {value!r}"
        if isinstance(value, float) and not math.isfinite(value):
            return f"needs a finite number, not {value!r}"
    return ""


def _encode(value: Value) -> object:
    if isinstance(value, tuple):
        return [_encode(item) for item in value]
    if isinstance(value, bool):
        return "True" if value else "False"
    return value


_DATE_FORMATS = (
    re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$"),
    re.compile(r"^([0-9]{4})([0-9]{2})([0-9]{2})$"),
)


def parse_date(text: str, field: str = "date") -> date:
    """A date from `YYYY-MM-DD` or `YYYYMMDD`."""
    for pattern in _DATE_FORMATS:
        match = pattern.match(text.strip())
        if match:
            year, month, day = (int(part) for part in match.groups())
            try:
                return date(year, month, day)
            except ValueError:
                raise QueryError(
                    f"{field} date {text.strip()!r} is not a real calendar date", field
                ) from None
    raise QueryError(f"{field} date {text!r} must be YYYY-MM-DD or YYYYMMDD", field)


def date_to_int(day: date) -> int:
    return day.year * 10_000 + day.month * 100 + day.day


def date_from_int(value: int) -> date:
    """20260131 as the day it names."""
    return date(value // 10_000, value // 100 % 100, value % 100)


@dataclass(frozen=True)
class DateRange:
    """Inclusive at both ends, as CleverTap counts."""

    start: date
    end: date

    @classmethod
    def parse(cls, start: str, end: str) -> DateRange:
        return cls(parse_date(start, "from"), parse_date(end, "to"))

    def problems(self) -> list[QueryError]:
        if self.start > self.end:
            return [
                QueryError(
                    f"from {self.start.isoformat()} is after to {self.end.isoformat()}; swap them",
                    "from",
                )
            ]
        return []

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def event_name_problems(event_name: str) -> list[QueryError]:
    if not event_name.strip():
        return [QueryError("event name is empty; type the exact event name", "event_name")]
    if event_name != event_name.strip():
        return [
            QueryError(
                f"event name {event_name!r} has spaces at an end; CleverTap matches event "
                "names exactly, so remove them",
                "event_name",
            )
        ]
    if _has_control(event_name):
        return [QueryError(_control_problem("event name", event_name), "event_name")]
    return []


def _has_control(name: str) -> bool:
    # No CleverTap name holds one, and a terminal would obey it when the name is shown.
    return printable(name) != name


def _control_problem(what: str, name: str) -> str:
    return (
        f"{what} {printable(name)} has a control character; CleverTap's names have none, "
        "so type it again"
    )


@dataclass(frozen=True)
class Query:
    event_name: str
    date_range: DateRange
    filters: tuple[PropertyFilter, ...] = field(default=())
    # Set once `validate` has passed: a query is immutable, so it need not be checked again (a
    # listing of 10,000 jobs would check each twice).
    _valid: bool = field(default=False, init=False, repr=False, compare=False)

    def problems(self) -> list[QueryError]:
        """Everything wrong with this query, in the order a form shows its fields."""
        found = event_name_problems(self.event_name)
        for index, property_filter in enumerate(self.filters):
            found.extend(property_filter.problems(index))
        found.extend(self.date_range.problems())
        return found

    def validate(self) -> None:
        """Raise the first problem, if any."""
        if self._valid:
            return
        problems = self.problems()
        if problems:
            raise problems[0]
        object.__setattr__(self, "_valid", True)

    def to_payload(self) -> dict[str, object]:
        """The request body, keys in CleverTap's documented order; validates first."""
        self.validate()
        body: dict[str, object] = {"event_name": self.event_name}
        if self.filters:
            body["event_properties"] = [item.to_payload() for item in self.filters]
        body["from"] = date_to_int(self.date_range.start)
        body["to"] = date_to_int(self.date_range.end)
        return body

    def to_json(self) -> str:
        """The body as sent: compact, as in CleverTap's own curl example."""
        return json.dumps(self.to_payload(), separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_payload(cls, body: Mapping[str, object]) -> Query:
        """The query a body (as `to_payload` built it) asks; raises QueryError if it is not one.

        "True" and "False" after equals or not_equals read back as the booleans they were sent
        for, so that `from_payload(q.to_payload()) == q`.
        """
        try:
            event_name = body["event_name"]
            start, end = body["from"], body["to"]
            raw_filters = body.get("event_properties", [])
            if not isinstance(event_name, str) or not isinstance(raw_filters, list):
                raise TypeError
            filters = tuple(_filter_from_payload(item) for item in raw_filters)
            dates = DateRange(_date_from_int(start), _date_from_int(end))
        except (KeyError, TypeError, ValueError):
            raise QueryError(f"not a count query body: {_short(body)}") from None
        query = cls(event_name, dates, filters)
        query.validate()
        return query


def _short(body: object) -> str:
    text = json.dumps(body, default=repr, ensure_ascii=False)
    return text if len(text) <= 120 else text[:119] + "…"


def _date_from_int(value: object) -> date:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError
    return date_from_int(value)


def _filter_from_payload(item: object) -> PropertyFilter:
    if not isinstance(item, dict):
        raise TypeError
    name, operator = item["name"], Operator(item["operator"])
    if not isinstance(name, str):
        raise TypeError
    if "value" not in item:
        return PropertyFilter(name, operator)
    raw = item["value"]
    value: Value = (
        tuple(_decode(operator, v) for v in raw)
        if isinstance(raw, list)
        else _decode(operator, raw)
    )
    return PropertyFilter(name, operator, value)


def _decode(operator: Operator, value: object) -> Scalar:
    if operator in (Operator.EQUALS, Operator.NOT_EQUALS) and value in ("True", "False"):
        return value == "True"
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return value
    raise TypeError
