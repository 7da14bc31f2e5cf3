"""The operators CleverTap documents for `event_properties`, and the values they compare with:
what a person types becomes the typed value the API is sent."""

from __future__ import annotations

import contextlib
import math
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


# What a number operator takes beyond that: a sign, a point at either end, an exponent.
_WRITTEN_NUMBER = re.compile(
    r"[+-]?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
)
_OTHER_BASE = re.compile(r"[+-]?0[xXbBoO][0-9a-fA-F_]+")
# Past this an integer is not exact as a float, which is how JSON's readers take numbers.
_EXACT_INTEGERS = 2**53
_DIGITS = "type digits, such as 42, -3.5 or 1e3"


def written_number(text: str, what: str = "the value", field: str = "value") -> int | float:
    """The number `text` is, as a number operator sends it: `1e3`, `+7` and `5.` are 1000, 7
    and 5 (integers as integers), `.5` is 0.5. Anything else (`nan`, `inf`, `1e999`, `0x10`,
    `1_000`) raises QueryError saying what to type instead."""
    number = as_number(text)
    if number is not None:
        return number
    if _WRITTEN_NUMBER.fullmatch(text):
        mantissa = text.lower().partition("e")[0]
        exponent = "e" in text.lower()
        if not exponent and "." not in text:
            with contextlib.suppress(ValueError):  # past 4,300 digits: far too large anyway
                return int(text)
        value = float(text)
        if not math.isfinite(value):
            problem = "that is too large to send; type a number below 1e308"
        elif value == 0 and mantissa.strip("+-.0"):
            problem = "that is too small to send (it would be 0); type 0, or a number above 1e-300"
        elif (exponent or text.endswith(".")) and value.is_integer():
            return int(value) if abs(value) < _EXACT_INTEGERS else value
        else:
            return value
        raise QueryError(f"{what} needs a number, not {_shown(text)}: {problem}", field)
    raise QueryError(_not_a_number(text, what), field)


def _not_a_number(text: str, what: str) -> str:
    if text.lower().lstrip("+-") in ("nan", "inf", "infinity"):
        return f"{what} needs a number, not {_shown(text)}; type a finite number, such as 42"
    if _OTHER_BASE.fullmatch(text):
        with contextlib.suppress(ValueError):
            decimal = int(text, 0)
            return (
                f"{what} needs a decimal number, not {_shown(text)}; type it in decimal, "
                f"as {decimal}"
            )
    plain = text.replace("_", "")
    if plain != text and _WRITTEN_NUMBER.fullmatch(plain):
        return (
            f"{what} needs a number, not {_shown(text)}; type it without the underscores, "
            f"as {plain}"
        )
    return f"{what} needs a number, not {_shown(text)}; {_DIGITS}"


def _shown(text: str) -> str:
    """`text` quoted for a message, cut: a value pasted whole must not make a page of it."""
    return repr(text if len(text) <= 40 else text[:40] + "…")


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

    Number operators (and any operator of `kind` NUMBER) need a number, as `written_number`
    reads it. `True`/`False` in any
    case become booleans, which the payload spells "True"/"False" as CleverTap documents. With no
    `kind`, `equals` sends a number when the text is one, since CleverTap compares number
    properties by value; with `kind` STRING the text stays text. Everything else stays text.
    """
    if operator.needs_number or kind is ValueKind.NUMBER:
        return written_number(text, label or str(operator), field)
    if operator in (Operator.EQUALS, Operator.NOT_EQUALS) and text.lower() in ("true", "false"):
        return text.lower() == "true"
    if operator is Operator.EQUALS and kind is None:
        number = as_number(text)
        if number is not None:
            return number
    return text


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
