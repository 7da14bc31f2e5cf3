"""The emulator keeps its own copy of CleverTap's operator list (it must not import `cttui.api`):
the two copies agree on the names, on which operators take a value, and on the kind of value each
one needs, so that neither side gains an operator, or a rule, the other lacks."""

from __future__ import annotations

import pytest

from cttui.api.models import PropertyFilter
from cttui.api.operators import Operator, Scalar
from cttui.emulator import query as emulator

BODY: dict[str, object] = {"event_name": "Charged", "from": 20260101, "to": 20260131}


def emulator_accepts(operator: str, **value: object) -> bool:
    """Whether the emulator takes a filter with `operator` (and `value`, if given)."""
    entry: dict[str, object] = {"name": "Amount", "operator": operator, **value}
    try:
        emulator.parse_query({**BODY, "event_properties": [entry]})
    except emulator.QueryError:
        return False
    return True


def client_accepts(operator: Operator, value: Scalar) -> bool:
    return not PropertyFilter("Amount", operator, value).problems()


def test_both_sides_know_the_same_operators() -> None:
    assert sorted(str(operator) for operator in Operator) == sorted(
        str(operator) for operator in emulator.Operator
    )


@pytest.mark.parametrize("operator", list(Operator), ids=str)
def test_an_operator_takes_a_value_on_both_sides_or_on_neither(operator: Operator) -> None:
    assert emulator_accepts(str(operator)) is not operator.takes_value


@pytest.mark.parametrize("operator", [o for o in Operator if o.takes_value], ids=str)
def test_an_operator_needs_a_number_on_both_sides_or_on_neither(operator: Operator) -> None:
    assert emulator_accepts(str(operator), value="a") is not operator.needs_number
    assert client_accepts(operator, "a") is not operator.needs_number


@pytest.mark.parametrize("operator", [o for o in Operator if o.takes_value], ids=str)
def test_an_operator_needs_text_on_both_sides_or_on_neither(operator: Operator) -> None:
    assert emulator_accepts(str(operator), value=42) is not operator.needs_text
    assert client_accepts(operator, 42) is not operator.needs_text


def test_the_emulators_comparisons_are_the_clients_number_operators() -> None:
    assert sorted(str(o) for o in emulator.COMPARISONS) == sorted(
        str(o) for o in Operator if o.needs_number
    )
