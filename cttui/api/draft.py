"""A query as an editor holds it: the text a person typed, before it is a valid `Query`.

`QueryDraft.build()` turns the text into a `Query` and says everything that is wrong with it,
each problem tagged with the field to fix (`event_name`, `filters[1].value`, `from`, ...), in
the order a form shows its fields. `QueryDraft.from_query()` goes back, for loading a job or a
favourite into the editor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from cttui.api.errors import QueryError
from cttui.api.models import (
    DateRange,
    OperatorChoice,
    PropertyFilter,
    Query,
    event_name_problems,
    filter_label,
    parse_date,
)
from cttui.api.operators import Operator, Scalar, ValueKind, parse_value


@dataclass(frozen=True)
class FilterDraft:
    name: str
    choice: OperatorChoice
    value: str = ""

    def build(self, index: int) -> tuple[PropertyFilter | None, list[QueryError]]:
        operator = self.choice.operator
        where = f"filters[{index}]"
        label = filter_label(index, self.name, operator)
        value: Scalar | None = None
        if operator.takes_value and self.value.strip():
            try:
                value = parse_value(
                    self.value.strip(), operator, f"{where}.value", label, self.choice.kind
                )
            except QueryError as error:
                unnamed = [
                    problem
                    for problem in PropertyFilter(self.name, operator).problems(index)
                    if problem.field == f"{where}.name"
                ]
                return None, [*unnamed, error]
        built = PropertyFilter(self.name, operator, value)
        problems = built.problems(index)
        return (None if problems else built), problems


@dataclass(frozen=True)
class QueryDraft:
    event_name: str = ""
    filters: tuple[FilterDraft, ...] = field(default=())
    start: str = ""
    end: str = ""

    def build(self) -> tuple[Query | None, list[QueryError]]:
        """The query, or None and every problem in form order."""
        problems = event_name_problems(self.event_name)
        filters: list[PropertyFilter] = []
        for index, draft in enumerate(self.filters):
            built, found = draft.build(index)
            problems.extend(found)
            if built is not None:
                filters.append(built)
        dates: list[date] = []
        for text, which in ((self.start, "from"), (self.end, "to")):
            if not text.strip():
                problems.append(QueryError(f"{which} date is empty; type YYYY-MM-DD", which))
                continue
            try:
                dates.append(parse_date(text, which))
            except QueryError as error:
                problems.append(error)
        if len(dates) == 2:
            problems.extend(DateRange(*dates).problems())
        if problems:
            return None, problems
        return Query(self.event_name, DateRange(*dates), tuple(filters)), []

    @classmethod
    def from_query(cls, query: Query) -> QueryDraft:
        """The draft that builds `query` again; raises QueryError for what an editor cannot hold
        (a filter with a list of values)."""
        for index, item in enumerate(query.filters):
            if isinstance(item.value, tuple):
                raise QueryError(
                    f"filter {index + 1} ({item.name}) has a list of values, which the editor "
                    "cannot show; edit that query in favorites.toml",
                    f"filters[{index}].value",
                )
        return cls(
            query.event_name,
            tuple(
                FilterDraft(item.name, OperatorChoice.for_filter(item), value_text(item.value))
                for item in query.filters
            ),
            query.date_range.start.isoformat(),
            query.date_range.end.isoformat(),
        )


def value_text(value: object) -> str:
    """A filter value as a person would type it back."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, float) and "e" in repr(value):
        # 1e-07 is how Python writes it, not how a person types a number (nor what parses back).
        text = format(Decimal(repr(value)), "f")
        return text if "." in text else text + ".0"
    return str(value)


def takes_booleans(choice: OperatorChoice) -> bool:
    """True for the operators whose True / False is sent as a boolean."""
    return choice.kind is ValueKind.STRING and choice.operator in (
        Operator.EQUALS,
        Operator.NOT_EQUALS,
    )


def is_boolean_text(text: str, choice: OperatorChoice) -> bool:
    """True when `text` will be sent as a boolean ("True"/"False")."""
    return takes_booleans(choice) and text.strip().lower() in ("true", "false")
