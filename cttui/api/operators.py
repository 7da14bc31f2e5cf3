"""The operators CleverTap documents for `event_properties`, and the values they compare with:
what a person types becomes the typed value the API is sent."""

from __future__ import annotations

import re
from enum import StrEnum

from cttui.api.errors import QueryError

Scalar = str | int | float | bool
Value = Scalar | tuple[Scalar, ...]


class Operator(StrEnum):
    """Exactly the operators CleverTap documents for `event_properties`."""

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

    @property
    def takes_value(self) -> bool:
        return self not in (Operator.EXISTS, Operator.DOES_NOT_EXIST)

    @property
    def needs_number(self) -> bool:
        """True for the operators that only make sense on a number property."""
        return self in NUMBER_OPERATORS and self not in STRING_OPERATORS

    @property
    def needs_text(self) -> bool:
        return self in (Operator.CONTAINS, Operator.DOES_NOT_CONTAIN)


STRING_OPERATORS: tuple[Operator, ...] = (
    Operator.EQUALS,
    Operator.NOT_EQUALS,
    Operator.CONTAINS,
    Operator.DOES_NOT_CONTAIN,
    Operator.EXISTS,
    Operator.DOES_NOT_EXIST,
)
NUMBER_OPERATORS: tuple[Operator, ...] = (
    Operator.EQUALS,
    Operator.GREATER_THAN,
    Operator.GREATER_THAN_EQUALS,
    Operator.LESS_THAN,
    Operator.LESS_THAN_EQUALS,
)


def operator_names() -> str:
    return ", ".join(operator.value for operator in Operator)


def parse_operator(text: str, field: str = "operator") -> Operator:
    try:
        return Operator(text.strip().lower())
    except ValueError:
        raise QueryError(
            f"unknown operator {text!r}; use one of: {operator_names()}", field
        ) from None


# A number written the way people write numbers; "007" stays text (an ID, a zip code).
NUMBER_TEXT = re.compile(r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?$")


def as_number(text: str) -> int | float | None:
    text = text.strip()
    if not NUMBER_TEXT.match(text):
        return None
    try:
        return float(text) if "." in text else int(text)
    except ValueError:
        # Longer than Python converts (over 4,300 digits): not a number anyone means.
        return None


class ValueKind(StrEnum):
    """What a filter compares: CleverTap groups its operators by the property's type."""

    STRING = "string"
    NUMBER = "number"


def parse_value(
    text: str,
    operator: Operator,
    field: str = "value",
    label: str = "",
    kind: ValueKind | None = None,
) -> Scalar:
    """The typed value for what a person typed after `operator`.

    Number operators (and any operator of `kind` NUMBER) need a number. `True`/`False` in any
    case become booleans, which the payload spells "True"/"False" as CleverTap documents. With no
    `kind`, `equals` sends a number when the text is one, since CleverTap compares number
    properties by value; with `kind` STRING the text stays text. Everything else stays text.
    """
    if operator.needs_number or kind is ValueKind.NUMBER:
        number = as_number(text)
        if number is None:
            raise QueryError(f"{label or operator} needs a number, not {text!r}", field)
        return number
    if operator in (Operator.EQUALS, Operator.NOT_EQUALS) and text.lower() in ("true", "false"):
        return text.lower() == "true"
    if operator is Operator.EQUALS and kind is None:
        number = as_number(text)
        if number is not None:
            return number
    return text


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
