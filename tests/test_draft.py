"""The editor's pure side: drafts to queries and back, date presets, and the curl command."""

from __future__ import annotations

import shlex
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cttui.api.curl import curl_command
from cttui.api.draft import FilterDraft, QueryDraft, is_boolean_text
from cttui.api.errors import QueryError
from cttui.api.models import OPERATOR_CHOICES, DateRange, OperatorChoice, PropertyFilter, Query
from cttui.api.operators import NUMBER_OPERATORS, STRING_OPERATORS, Operator, ValueKind
from cttui.api.ranges import RangePreset, matching_preset

STRING = ValueKind.STRING
NUMBER = ValueKind.NUMBER


def test_the_choices_are_exactly_the_documented_operators_grouped() -> None:
    strings = [c.operator for c in OPERATOR_CHOICES if c.kind is STRING]
    numbers = [c.operator for c in OPERATOR_CHOICES if c.kind is NUMBER]
    assert strings == list(STRING_OPERATORS)
    assert numbers == list(NUMBER_OPERATORS)
    assert len({c.key for c in OPERATOR_CHOICES}) == len(OPERATOR_CHOICES) == 11


def test_a_draft_lists_every_problem_in_form_order_with_its_field() -> None:
    draft = QueryDraft(
        "",
        (
            FilterDraft("", OperatorChoice(NUMBER, Operator.GREATER_THAN), "lots"),
            FilterDraft("Coupon", OperatorChoice(STRING, Operator.EQUALS), ""),
            FilterDraft("Coupon", OperatorChoice(STRING, Operator.EXISTS), "ignored"),
        ),
        "2026-02-30",
        "",
    )
    query, problems = draft.build()
    assert query is None
    assert [(p.field, p.message) for p in problems] == [
        ("event_name", "event name is empty; type the exact event name"),
        ("filters[0].name", "filter 1 has no property name; type one"),
        (
            "filters[0].value",
            "filter 1 (greater_than) needs a number, not 'lots'; type digits, such as "
            "42, -3.5 or 1e3",
        ),
        ("filters[1].value", "filter 2 (Coupon equals) needs a value"),
        ("from", "from date '2026-02-30' is not a real calendar date"),
        ("to", "to date is empty; type YYYY-MM-DD"),
    ]


@pytest.mark.parametrize("name", ["", "   ", "\t"])
def test_a_filter_without_a_name_reads_naturally_in_every_problem(name: str) -> None:
    draft = QueryDraft(
        "E",
        (
            FilterDraft(name, OperatorChoice(STRING, Operator.EQUALS), ""),
            FilterDraft(name, OperatorChoice(STRING, Operator.CONTAINS), "x"),
            FilterDraft(name, OperatorChoice(STRING, Operator.EXISTS), ""),
        ),
        "2026-01-01",
        "2026-01-02",
    )
    _, problems = draft.build()
    assert [(p.field, p.message) for p in problems] == [
        ("filters[0].name", "filter 1 has no property name; type one"),
        ("filters[0].value", "filter 1 (equals) needs a value"),
        ("filters[1].name", "filter 2 has no property name; type one"),
        ("filters[2].name", "filter 3 has no property name; type one"),
    ]
    assert not any("no name" in p.message or "( " in p.message for p in problems)


def test_the_kind_decides_how_a_value_is_sent() -> None:
    def value(kind: ValueKind, operator: Operator, text: str) -> object:
        query, problems = QueryDraft(
            "E",
            (FilterDraft("p", OperatorChoice(kind, operator), text),),
            "2026-01-01",
            "2026-01-02",
        ).build()
        assert problems == []
        assert query is not None
        return query.to_payload()["event_properties"][0]["value"]  # type: ignore[index]

    assert value(STRING, Operator.EQUALS, "007") == "007"
    assert value(STRING, Operator.EQUALS, "42") == "42"
    assert value(STRING, Operator.EQUALS, "1e3") == "1e3"
    assert value(NUMBER, Operator.EQUALS, "1e3") == 1000
    assert value(NUMBER, Operator.GREATER_THAN, ".5") == 0.5
    assert value(NUMBER, Operator.LESS_THAN, "+7") == 7
    assert value(NUMBER, Operator.LESS_THAN_EQUALS, "5.") == 5
    assert value(NUMBER, Operator.EQUALS, "42") == 42
    assert value(NUMBER, Operator.LESS_THAN, "-3.5") == -3.5
    assert value(STRING, Operator.NOT_EQUALS, "TRUE") == "True"
    assert value(STRING, Operator.CONTAINS, "true") == "true"
    assert is_boolean_text(" false ", OperatorChoice(STRING, Operator.EQUALS))
    assert not is_boolean_text("false", OperatorChoice(STRING, Operator.CONTAINS))
    assert not is_boolean_text("false", OperatorChoice(NUMBER, Operator.EQUALS))


@pytest.mark.parametrize(
    ("text", "sent"), [("1e3", "1000"), (".5", "0.5"), ("5.", "5"), ("+7", "7")]
)
def test_a_number_as_typed_is_sent_plain_and_reads_back_so(text: str, sent: str) -> None:
    number = OperatorChoice(NUMBER, Operator.GREATER_THAN)
    draft = QueryDraft("E", (FilterDraft("Amount", number, text),), "2026-01-01", "2026-01-02")
    query, problems = draft.build()
    assert problems == []
    assert query is not None
    # The body the preview shows is the body sent: one to_json for both.
    assert '"value":' + sent + "}" in query.to_json()
    again = QueryDraft.from_query(query)
    assert again.filters[0].value == sent
    assert again.build()[0] == query


@pytest.mark.parametrize("text", ["nan", "inf", "1e999", "0x10", "1_000"])
def test_a_number_the_draft_cannot_send_is_one_problem_on_its_value(text: str) -> None:
    number = OperatorChoice(NUMBER, Operator.EQUALS)
    draft = QueryDraft("E", (FilterDraft("Amount", number, text),), "2026-01-01", "2026-01-02")
    query, problems = draft.build()
    assert query is None
    assert [problem.field for problem in problems] == ["filters[0].value"]
    assert problems[0].message.startswith("filter 1 (Amount equals) needs a ")
    assert "; type " in problems[0].message


def test_from_after_to_names_both_dates() -> None:
    _, problems = QueryDraft("E", (), "2026-03-02", "2026-03-01").build()
    assert [(p.field, p.message) for p in problems] == [
        ("from", "from 2026-03-02 is after to 2026-03-01; swap them")
    ]


def test_a_list_value_cannot_be_loaded_into_the_editor() -> None:
    query = Query(
        "E",
        DateRange(date(2026, 1, 1), date(2026, 1, 1)),
        (PropertyFilter("p", Operator.EQUALS, ("a", "b")),),
    )
    with pytest.raises(QueryError, match="list of values"):
        QueryDraft.from_query(query)


names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1).filter(
    lambda text: text == text.strip()
)
values = st.one_of(
    names.filter(lambda t: t.lower() not in ("true", "false")),
    st.integers(-(10**12), 10**12),
    st.booleans(),
)


@st.composite
def filters(draw: st.DrawFn) -> PropertyFilter:
    choice = draw(st.sampled_from(OPERATOR_CHOICES))
    name = draw(names)
    if not choice.operator.takes_value:
        return PropertyFilter(name, choice.operator)
    if choice.kind is NUMBER:
        number = st.integers(-(10**12), 10**12) | st.floats(allow_nan=False, allow_infinity=False)
        return PropertyFilter(name, choice.operator, draw(number))
    if choice.operator.needs_text:
        return PropertyFilter(name, choice.operator, draw(names))
    return PropertyFilter(name, choice.operator, draw(values))


@given(names, st.lists(filters(), max_size=4), st.dates(), st.integers(0, 400))
def test_a_query_goes_to_the_editor_and_back_unchanged(
    event: str, items: list[PropertyFilter], start: date, days: int
) -> None:
    end = date.fromordinal(min(start.toordinal() + days, date.max.toordinal()))
    query = Query(event, DateRange(start, end), tuple(items))
    if query.problems():
        return
    built, problems = QueryDraft.from_query(query).build()
    assert problems == []
    assert built is not None
    assert built.to_payload() == query.to_payload()


@pytest.mark.parametrize(
    ("today", "preset", "expected"),
    [
        (date(2026, 1, 1), RangePreset.YESTERDAY, (date(2025, 12, 31), date(2025, 12, 31))),
        (date(2026, 1, 15), RangePreset.LAST_MONTH, (date(2025, 12, 1), date(2025, 12, 31))),
        (date(2024, 3, 31), RangePreset.LAST_MONTH, (date(2024, 2, 1), date(2024, 2, 29))),
        (date(2026, 3, 1), RangePreset.THIS_MONTH, (date(2026, 3, 1), date(2026, 3, 1))),
        (date(2026, 3, 5), RangePreset.LAST_7_DAYS, (date(2026, 2, 27), date(2026, 3, 5))),
        (date(2026, 3, 5), RangePreset.LAST_30_DAYS, (date(2026, 2, 4), date(2026, 3, 5))),
    ],
)
def test_presets_at_the_edges_of_months_and_years(
    today: date, preset: RangePreset, expected: tuple[date, date]
) -> None:
    resolved = preset.resolve(today)
    assert (resolved.start, resolved.end) == expected
    assert resolved.end <= today


def test_typed_dates_find_their_preset() -> None:
    today = date(2026, 11, 23)
    assert matching_preset(DateRange(date(2026, 11, 17), today), today) is RangePreset.LAST_7_DAYS
    assert matching_preset(DateRange(date(2026, 11, 16), today), today) is None


def test_curl_quotes_for_a_shell_and_leaves_the_passcode_to_it() -> None:
    query = Query("it's", DateRange(date(2026, 1, 1), date(2026, 1, 2)))
    command = curl_command(query, "https://in1.api.clevertap.com/", "ABC-DEF-1234")
    words = shlex.split(command.replace("\\\n", " "))
    assert words[:4] == [
        "curl",
        "-X",
        "POST",
        "https://in1.api.clevertap.com/1/counts/profiles.json",
    ]
    assert words[words.index("--data-raw") + 1] == query.to_json()
    assert "X-CleverTap-Passcode: $CLEVERTAP_PASSCODE" in words
    assert "X-CleverTap-Account-Id: ABC-DEF-1234" in words
