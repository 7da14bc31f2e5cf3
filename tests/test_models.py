"""The query model: CleverTap's documented body, byte for byte, and validation before sending."""

from __future__ import annotations

import json
import math
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cttui.api.errors import QueryError
from cttui.api.models import DateRange, PropertyFilter, Query, parse_date
from cttui.api.operators import (
    NUMBER_OPERATORS,
    STRING_OPERATORS,
    Operator,
    Scalar,
    Value,
    ValueKind,
    parse_value,
    written_number,
)
from cttui.console import printable

# CleverTap's example payload and the body of its curl example, copied from the API page.
DOC_PAYLOAD: dict[str, object] = {
    "event_name": "choseNewFavoriteFood",
    "event_properties": [{"name": "value", "operator": "contains", "value": "piz"}],
    "from": 20150810,
    "to": 20151025,
}
DOC_CURL_BODY = (
    '{"event_name":"choseNewFavoriteFood","event_properties":'
    '[{"name":"value","operator":"contains","value":"piz"}],"from":20150810,"to":20151025}'
)
DOC_STRING_OPERATORS = set(
    ["equals", "not_equals", "contains", "does_not_contain", "exists", "does_not_exist"]
)
DOC_NUMBER_OPERATORS = set(
    ["equals", "greater_than", "greater_than_equals", "less_than", "less_than_equals"]
)
DOC_RANGE = DateRange(date(2015, 8, 10), date(2015, 10, 25))


def doc_query() -> Query:
    return Query(
        "choseNewFavoriteFood",
        DateRange.parse("2015-08-10", "2015-10-25"),
        (PropertyFilter.from_text("value", "contains", "piz"),),
    )


def query_with(*filters: PropertyFilter, event: str = "Charged") -> Query:
    return Query(event, DOC_RANGE, filters)


# --- the documented example ---------------------------------------------------------------------


def test_documented_example_payload_matches_the_docs_in_key_order() -> None:
    payload = doc_query().to_payload()
    assert payload == DOC_PAYLOAD
    assert list(payload) == ["event_name", "event_properties", "from", "to"]
    assert type(payload["from"]) is int
    assert type(payload["to"]) is int


def test_documented_example_json_is_the_curl_body_byte_for_byte() -> None:
    assert doc_query().to_json().encode() == DOC_CURL_BODY.encode()


def test_event_properties_omitted_without_filters() -> None:
    query = Query("App Launched", DateRange.parse("20240101", "20240131"))
    assert query.to_payload() == {"event_name": "App Launched", "from": 20240101, "to": 20240131}
    assert query.to_json() == '{"event_name":"App Launched","from":20240101,"to":20240131}'


# --- operators ----------------------------------------------------------------------------------


def test_operator_enum_is_exactly_the_documented_operators() -> None:
    assert len(Operator) == 10
    assert {operator.value for operator in Operator} == DOC_STRING_OPERATORS | DOC_NUMBER_OPERATORS


def test_operator_groups_are_exactly_the_documented_groups() -> None:
    assert len(STRING_OPERATORS) == len(set(STRING_OPERATORS)) == 6
    assert len(NUMBER_OPERATORS) == len(set(NUMBER_OPERATORS)) == 5
    assert {str(operator) for operator in STRING_OPERATORS} == DOC_STRING_OPERATORS
    assert {str(operator) for operator in NUMBER_OPERATORS} == DOC_NUMBER_OPERATORS


@pytest.mark.parametrize("text", ["contains", "CONTAINS", "  Contains "])
def test_from_text_reads_operator_in_any_case(text: str) -> None:
    assert PropertyFilter.from_text("value", text, "piz").operator is Operator.CONTAINS


# --- validation ---------------------------------------------------------------------------------


def first_problem(query: Query) -> QueryError:
    with pytest.raises(QueryError) as excinfo:
        query.validate()
    return excinfo.value


def bad(operator: Operator, value: Value | None = None, name: str = "Amount") -> Query:
    return query_with(PropertyFilter(name, operator, value))


VALUE = "filters[0].value"
INVALID_QUERIES = [
    ("empty-event", query_with(event=""), "event_name", "empty"),
    ("blank-event", query_with(event="   "), "event_name", "empty"),
    ("spaced-event", query_with(event=" Charged "), "event_name", "spaces"),
    ("tab-event", query_with(event="Charged\t"), "event_name", "spaces"),
    ("number-op-text", bad(Operator.GREATER_THAN, "5"), VALUE, "needs a number"),
    ("number-op-bool", bad(Operator.LESS_THAN, True), VALUE, "needs a number"),
    ("number-op-list-bool", bad(Operator.LESS_THAN, (1, False)), VALUE, "needs a number"),
    ("missing-value", bad(Operator.EQUALS), VALUE, "needs a value"),
    ("empty-text", bad(Operator.NOT_EQUALS, ""), VALUE, "needs a value"),
    ("empty-list", bad(Operator.EQUALS, ()), VALUE, "needs a value"),
    ("exists-with-value", bad(Operator.EXISTS, "Pune"), VALUE, "takes no value"),
    ("does-not-exist-with-value", bad(Operator.DOES_NOT_EXIST, 3), VALUE, "takes no value"),
    ("contains-number", bad(Operator.CONTAINS, 5), VALUE, "needs text"),
    ("does-not-contain-list", bad(Operator.DOES_NOT_CONTAIN, ("a", 5)), VALUE, "needs text"),
    ("nan", bad(Operator.EQUALS, math.nan), VALUE, "finite"),
    ("minus-inf", bad(Operator.GREATER_THAN, -math.inf), VALUE, "finite"),
    ("no-property-name", bad(Operator.EXISTS, name=" "), "filters[0].name", "property name"),
    (
        "second-filter",
        query_with(
            PropertyFilter("City", Operator.EXISTS),
            PropertyFilter("Amount", Operator.GREATER_THAN_EQUALS, "many"),
        ),
        "filters[1].value",
        "needs a number",
    ),
    (
        "from-after-to",
        Query("Charged", DateRange(date(2015, 10, 25), date(2015, 8, 10))),
        "from",
        "after",
    ),
]


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [row[1:] for row in INVALID_QUERIES],
    ids=[row[0] for row in INVALID_QUERIES],
)
def test_invalid_query_is_refused_naming_the_field(query: Query, field: str, words: str) -> None:
    error = first_problem(query)
    assert error.field == field
    assert words in str(error)
    with pytest.raises(QueryError):
        query.to_payload()
    with pytest.raises(QueryError):
        query.to_json()


def test_problems_lists_every_problem_in_form_order() -> None:
    query = Query(
        "",
        DateRange(date(2015, 10, 25), date(2015, 8, 10)),
        (PropertyFilter("Amount", Operator.LESS_THAN, "x"),),
    )
    assert [problem.field for problem in query.problems()] == [
        "event_name",
        "filters[0].value",
        "from",
    ]


@pytest.mark.parametrize(
    ("operator", "value", "field", "words"),
    [
        ("between", "1", "filters[0].operator", "unknown operator"),
        ("like", "piz", "filters[0].operator", "unknown operator"),
        ("greater_than", "abc", "filters[0].value", "needs a number"),
        ("less_than_equals", "12abc", "filters[0].value", "needs a number"),
        ("greater_than_equals", "", "filters[0].value", "needs a number"),
    ],
)
def test_from_text_refuses_bad_input(operator: str, value: str, field: str, words: str) -> None:
    with pytest.raises(QueryError) as excinfo:
        PropertyFilter.from_text("Amount", operator, value)
    assert excinfo.value.field == field
    assert words in str(excinfo.value)
    assert repr(operator if field.endswith("operator") else value) in str(excinfo.value)


def test_unknown_operator_message_lists_the_valid_ones() -> None:
    with pytest.raises(QueryError) as excinfo:
        PropertyFilter.from_text("Amount", "between", "1", index=2)
    assert excinfo.value.field == "filters[2].operator"
    assert all(operator.value in str(excinfo.value) for operator in Operator)


def test_from_text_without_value_is_caught_by_validation() -> None:
    query = query_with(PropertyFilter.from_text("Amount", "equals"))
    assert first_problem(query).field == "filters[0].value"


# --- dates --------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["2015-08-10", "20150810", " 2015-08-10 "])
def test_both_date_formats_parse(text: str) -> None:
    assert parse_date(text) == date(2015, 8, 10)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("2015-02-30", "not a real calendar date"),
        ("20151301", "not a real calendar date"),
        ("2015-00-10", "not a real calendar date"),
        ("2015/08/10", "YYYY-MM-DD or YYYYMMDD"),
        ("10-08-2015", "YYYY-MM-DD or YYYYMMDD"),
        ("2015-8-10", "YYYY-MM-DD or YYYYMMDD"),
        ("150810", "YYYY-MM-DD or YYYYMMDD"),
        ("", "YYYY-MM-DD or YYYYMMDD"),
        ("yesterday", "YYYY-MM-DD or YYYYMMDD"),
    ],
)
@pytest.mark.parametrize("field", ["from", "to"])
def test_bad_dates_are_refused(text: str, words: str, field: str) -> None:
    start, end = (text, "2015-10-25") if field == "from" else ("2015-08-10", text)
    with pytest.raises(QueryError) as excinfo:
        DateRange.parse(start, end)
    assert excinfo.value.field == field
    assert words in str(excinfo.value)


def test_date_range_is_inclusive() -> None:
    assert DateRange.parse("2015-08-10", "2015-08-10").days == 1
    assert DOC_RANGE.days == 77


# --- values -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "text", "expected"),
    [
        (Operator.GREATER_THAN, "42", 42),
        (Operator.LESS_THAN, "4.5", 4.5),
        (Operator.GREATER_THAN_EQUALS, "-3", -3),
        (Operator.LESS_THAN_EQUALS, " 0 ", 0),
        (Operator.EQUALS, "42", 42),
        (Operator.EQUALS, "4.5", 4.5),
        (Operator.EQUALS, "-3", -3),
        (Operator.EQUALS, "007", "007"),
        (Operator.EQUALS, "1e5", "1e5"),
        (Operator.EQUALS, "12abc", "12abc"),
        (Operator.EQUALS, "Pune", "Pune"),
        (Operator.CONTAINS, "42", "42"),
        (Operator.DOES_NOT_CONTAIN, "4.5", "4.5"),
        (Operator.NOT_EQUALS, "piz", "piz"),
        (Operator.EQUALS, "true", True),
        (Operator.EQUALS, "FALSE", False),
        (Operator.NOT_EQUALS, "True", True),
    ],
)
def test_parse_value(operator: Operator, text: str, expected: Scalar) -> None:
    value = parse_value(text, operator)
    assert value == expected
    assert type(value) is type(expected)


def test_number_operator_refuses_a_number_too_long_for_int() -> None:
    """Python's int() refuses over 4300 digits: that must be a QueryError, not a ValueError."""
    with pytest.raises(QueryError) as excinfo:
        parse_value("9" * 5000, Operator.GREATER_THAN)
    assert excinfo.value.field == "value"


def test_equals_keeps_a_number_too_long_for_int_as_text() -> None:
    assert parse_value("9" * 5000, Operator.EQUALS) == "9" * 5000


@pytest.mark.parametrize(
    ("text", "sent"),
    [
        ("1e3", "1000"),
        ("1E3", "1000"),
        ("1e+3", "1000"),
        ("-1e3", "-1000"),
        ("2.5e3", "2500"),
        ("1e-1", "0.1"),
        ("-2.5e-3", "-0.0025"),
        (".5", "0.5"),
        ("-.5", "-0.5"),
        ("+.5", "0.5"),
        ("5.", "5"),
        ("-5.", "-5"),
        ("5.e2", "500"),
        ("+7", "7"),
        ("+0", "0"),
        ("-0", "0"),
        ("+7.25", "7.25"),
        ("0e5", "0"),
        ("9007199254740991e0", "9007199254740991"),
        # Past 2**53 a float is no longer exact: sent as the float it is, in JSON's spelling.
        ("1e300", "1e+300"),
        # What parsed before parses as before.
        ("42", "42"),
        ("-3.5", "-3.5"),
        ("7.0", "7.0"),
        (" 1e3 ", "1000"),
    ],
)
@pytest.mark.parametrize("operator", NUMBER_OPERATORS)
def test_a_number_operator_takes_numbers_as_people_write_them_and_sends_them_plain(
    operator: Operator, text: str, sent: str
) -> None:
    if operator is Operator.EQUALS:
        # `equals` without a kind keeps what is not plainly a number as text ("1e5" may be an
        # ID): the editor's number equals and every other number operator parse it.
        value = parse_value(text.strip(), operator, kind=ValueKind.NUMBER)
        query = query_with(PropertyFilter("Amount", operator, value))
    else:
        query = query_with(PropertyFilter.from_text("Amount", operator, text.strip()))
    body = query.to_json()
    assert f'{{"name":"Amount","operator":"{operator}","value":{sent}}}' in body
    (item,) = json.loads(body)["event_properties"]
    assert type(item["value"]) is (float if "." in sent or "e" in sent else int)


@given(st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(10**400), 10**400))
def test_every_number_python_writes_reads_back_as_itself(number: float) -> None:
    # repr writes 1e+300, 5e-324, -0.0: each is the number it says, of the type it says where
    # it is exact.
    value = written_number(repr(number))
    assert value == number
    if isinstance(number, int) or (
        number.is_integer() and abs(number) < 2**53 and "e" in repr(number)
    ):
        assert type(value) is int
    with pytest.raises(QueryError):
        written_number(repr(number) + "x")


@pytest.mark.parametrize(
    ("text", "advice"),
    [
        ("nan", "type a finite number, such as 42"),
        ("NaN", "type a finite number, such as 42"),
        ("inf", "type a finite number, such as 42"),
        ("-Infinity", "type a finite number, such as 42"),
        ("1e999", "too large to send; type a number below 1e308"),
        ("-1e999", "too large to send; type a number below 1e308"),
        ("9" * 5000, "too large to send; type a number below 1e308"),
        ("1e-999", "too small to send (it would be 0); type 0, or a number above 1e-300"),
        ("0x10", "type it in decimal, as 16"),
        ("0X1f", "type it in decimal, as 31"),
        ("0b101", "type it in decimal, as 5"),
        ("0o17", "type it in decimal, as 15"),
        ("1_000", "type it without the underscores, as 1000"),
        ("1_000.5", "type it without the underscores, as 1000.5"),
        ("lots", "type digits, such as 42, -3.5 or 1e3"),
        ("", "type digits, such as 42, -3.5 or 1e3"),
        ("-", "type digits, such as 42, -3.5 or 1e3"),
        ("+", "type digits, such as 42, -3.5 or 1e3"),
        (".", "type digits, such as 42, -3.5 or 1e3"),
        ("e5", "type digits, such as 42, -3.5 or 1e3"),
        ("1e", "type digits, such as 42, -3.5 or 1e3"),
        ("1e+", "type digits, such as 42, -3.5 or 1e3"),
        ("--5", "type digits, such as 42, -3.5 or 1e3"),
        ("+-5", "type digits, such as 42, -3.5 or 1e3"),
        ("1.2.3", "type digits, such as 42, -3.5 or 1e3"),
        ("1 000", "type digits, such as 42, -3.5 or 1e3"),
        ("007", "type digits, such as 42, -3.5 or 1e3"),
        ("١٢٣", "type digits, such as 42, -3.5 or 1e3"),
        ("\uff11\uff12\uff13", "type digits, such as 42, -3.5 or 1e3"),
        ("0x", "type digits, such as 42, -3.5 or 1e3"),
        ("1e5\x1b[2J", "type digits, such as 42, -3.5 or 1e3"),
    ],
)
def test_what_is_not_a_plain_decimal_number_is_refused_saying_what_to_type(
    text: str, advice: str
) -> None:
    with pytest.raises(QueryError) as excinfo:
        PropertyFilter.from_text("Amount", "greater_than", text)
    message = str(excinfo.value)
    assert excinfo.value.field == "filters[0].value"
    assert message.startswith("filter 1 (Amount greater_than) needs a")
    assert message.endswith(advice)
    assert "\n" not in message
    assert message.isprintable()
    # A long value is shown cut, not whole: the message stays one short line.
    assert len(message) < 200


@pytest.mark.parametrize(
    ("value", "sent"),
    [
        pytest.param(True, "True", id="true"),
        pytest.param(False, "False", id="false"),
        pytest.param(("Pune", "Delhi"), ["Pune", "Delhi"], id="text-list"),
        pytest.param((1, 2.5), [1, 2.5], id="number-list"),
        pytest.param((True, False), ["True", "False"], id="bool-list"),
        pytest.param(0, 0, id="zero"),
    ],
)
def test_values_are_encoded_as_documented(value: Value, sent: object) -> None:
    query = query_with(PropertyFilter("flag", Operator.EQUALS, value))
    properties = query.to_payload()["event_properties"]
    assert properties == [{"name": "flag", "operator": "equals", "value": sent}]
    assert json.dumps(sent, separators=(",", ":")) in query.to_json()


@pytest.mark.parametrize(("text", "sent"), [("true", "True"), ("FALSE", "False")])
def test_typed_booleans_from_text_are_sent_capitalised(text: str, sent: str) -> None:
    query = query_with(PropertyFilter.from_text("opted_in", "equals", text))
    assert f'{{"name":"opted_in","operator":"equals","value":"{sent}"}}' in query.to_json()


def test_exists_sends_no_value() -> None:
    query = query_with(PropertyFilter.from_text("City", "exists"))
    assert query.to_payload()["event_properties"] == [{"name": "City", "operator": "exists"}]


# --- property: every valid query serialises to what its payload says ---------------------------

FINITE = st.floats(allow_nan=False, allow_infinity=False)
TEXT = st.text(min_size=1, max_size=12)
# Names are what CleverTap can hold: no control or bidi characters (those are refused).
NAME = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=12).filter(
    lambda text: printable(text) == text
)


def scalars_for(operator: Operator) -> st.SearchStrategy[Scalar]:
    if operator.needs_number:
        return st.integers() | FINITE
    if operator.needs_text:
        return TEXT
    return TEXT | st.integers() | FINITE | st.booleans()


@st.composite
def filters(draw: st.DrawFn) -> PropertyFilter:
    operator = draw(st.sampled_from(list(Operator)))
    name = draw(NAME.filter(str.strip))
    if not operator.takes_value:
        return PropertyFilter(name, operator)
    scalar = scalars_for(operator)
    value: Value = draw(scalar | st.lists(scalar, min_size=1, max_size=3).map(tuple))
    return PropertyFilter(name, operator, value)


@st.composite
def queries(draw: st.DrawFn) -> Query:
    event = draw(NAME.filter(lambda text: text.strip() == text))
    days = st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31))
    start, end = sorted((draw(days), draw(days)))
    return Query(event, DateRange(start, end), tuple(draw(st.lists(filters(), max_size=3))))


@settings(max_examples=200, deadline=None)
@given(queries())
def test_valid_queries_serialise_to_their_payload(query: Query) -> None:
    assert query.problems() == []
    payload = query.to_payload()
    assert json.loads(query.to_json()) == payload
    properties = ["event_properties"] if query.filters else []
    assert list(payload) == ["event_name", *properties, "from", "to"]
    for key, day in (("from", query.date_range.start), ("to", query.date_range.end)):
        sent = payload[key]
        assert type(sent) is int
        assert f"{sent:08d}" == day.strftime("%Y%m%d") == day.isoformat().replace("-", "")


def test_a_problem_names_a_property_with_control_characters_on_one_line() -> None:
    # Found by the favourites fuzz: a name of "0\n" split the one-line message in two.
    problems = PropertyFilter("Am\nount\u202e", Operator.EQUALS, None).problems()
    assert [problem.message for problem in problems] == [
        "filter 1: property name Am\\x0aount\\u202e has a control character; CleverTap's names "
        "have none, so type it again",
        "filter 1 (Am\\x0aount\\u202e equals) needs a value",
    ]


@pytest.mark.parametrize("name", ["Ev\nx", "Ev\rx", "Ev\x1b[2Jx", "Ev\u202ex", "Ev\x00"])
def test_an_event_or_property_name_with_a_control_character_is_refused_before_sending(
    name: str,
) -> None:
    # No CleverTap name has one; sent, it came back from the server as "Invalid event : Ev x".
    dates = DateRange.parse("2026-11-01", "2026-11-05")
    with pytest.raises(QueryError, match=r"^event name .* has a control character") as caught:
        Query(name, dates).validate()
    assert caught.value.field == "event_name"
    assert "\n" not in caught.value.message
    assert "\r" not in caught.value.message
    problems = PropertyFilter(name, Operator.EXISTS).problems()
    assert [(problem.field, "control character" in problem.message) for problem in problems] == [
        ("filters[0].name", True)
    ]
