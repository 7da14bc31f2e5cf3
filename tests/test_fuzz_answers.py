"""Fuzzing what a server answers: any HTTP status with any JSON body (counts and req_ids of
every type, error texts with control and bidi characters and the passcode echoed in the forms a
proxy may use), or bytes that are not JSON at all. Each answer is an outcome or an ApiError whose
message is one short clean line that never holds the passcode.

CTTUI_FUZZ_EXAMPLES scales the examples, as for tests/test_fuzz_cli.py (`make fuzz`).
"""

from __future__ import annotations

import asyncio
import html
import json
import re
import string
from collections.abc import Callable
from urllib.parse import quote, quote_plus

import httpx
from hypothesis import example, given
from hypothesis import strategies as st

from cttui.api.answers import MAX_SHOWN_CHARS, Answer, ServerText, interpret
from cttui.api.client import CleverTapClient, Credentials
from cttui.api.errors import ApiError
from cttui.api.outcomes import Done, Pending
from tests.test_fuzz_cli import examples
from tests.test_journal import QUERY

# Line breaks of any kind, controls, bidi overrides and isolates, zero-width characters.
UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ud800-\udfff]"
)
# The longest message: a quoted Location and the origin it names, in a sentence around them.
MAX_MESSAGE = 2 * MAX_SHOWN_CHARS + 300
REQ_ID = "384649162721759"

# Each holds a "+", "%" or "=" and a digit, which none of cttui's own sentences do: a passcode
# of letters alone may be a word of them (fuzzing found "CREDENTI" in "credentials").
_PART = st.text(alphabet=string.ascii_letters + string.digits + "-/", min_size=3, max_size=9)
PASSCODES = st.builds(
    lambda head, mark, digit, tail: f"{head}{mark}{digit}{tail}",
    _PART,
    st.sampled_from("+%="),
    st.sampled_from(string.digits),
    _PART,
)


# The passcode as a server or a proxy may write it back: (passcode, a place inside it) -> echo.
ECHOES: list[Callable[[str, int], str]] = [
    lambda code, at: code,
    lambda code, at: code.upper(),
    lambda code, at: code.lower(),
    lambda code, at: quote(code, safe=""),
    lambda code, at: quote_plus(code),
    lambda code, at: html.escape(code),
    lambda code, at: json.dumps(code)[1:-1],
    lambda code, at: f" {code}\n",
    lambda code, at: f"{code[:at]} {code[at:]}",
    lambda code, at: f"{code[:at]}\r\n{code[at:]}",
    lambda code, at: "\u200b".join(code),
    lambda code, at: "\u202e".join(code),
    lambda code, at: "\x00".join(code),
    lambda code, at: code.replace("k", "\u212a").replace("K", "\u212a"),  # the Kelvin sign
]


def echo(draw: st.DrawFn, passcode: str) -> str:
    return draw(st.sampled_from(ECHOES))(passcode, draw(st.integers(1, len(passcode) - 1)))


ODD = "\x00\x07\x1b[2J\r\n\x85\u2028\u2029\u202e\u2066\u200f\ufeff\u061c\t "
TEXT = st.one_of(st.text(max_size=40), st.text(alphabet=st.sampled_from(ODD + "ab1"), max_size=20))
NUMBERS = st.one_of(
    st.integers(),
    st.sampled_from([0, -1, 2**53 - 1, 2**53, 2**63, 10**32, 10**400]),
    st.floats(allow_nan=True, allow_infinity=True),
)
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, TEXT)
# Nested two deep at most: st.recursive costs several times as much to draw.
ANY_JSON = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=3),
    st.dictionaries(TEXT, SCALARS, max_size=2),
    st.lists(
        st.lists(SCALARS, max_size=2) | st.dictionaries(TEXT, SCALARS, max_size=2), max_size=2
    ),
)
STATUSES = st.one_of(
    st.sampled_from([200, 201, 204, 301, 302, 307, 400, 401, 403, 404, 429, 500, 502, 503]),
    st.integers(100, 599),
)


FIELDS = {
    "status": st.sampled_from(["success", "partial", "fail", "SUCCESS", ""]) | ANY_JSON,
    "count": NUMBERS | SCALARS | ANY_JSON,
    "req_id": st.sampled_from([REQ_ID, int(REQ_ID), " 12 ", "1e5", "\u0661\u0662"]) | ANY_JSON,
    "code": st.sampled_from([1, 2, 401, 403, 429, 500]) | ANY_JSON,
}


def error_text(draw: st.DrawFn, passcode: str) -> object:
    """CleverTap's `error`: text, a list of texts, or such a list serialised in a string."""
    said = f"{draw(TEXT)}{echo(draw, passcode)}{draw(TEXT)}" if draw(st.booleans()) else draw(TEXT)
    shape = draw(st.integers(0, 2))
    return said if shape == 0 else [said, draw(TEXT)] if shape == 1 else json.dumps([said])


@st.composite
def json_answers(draw: st.DrawFn) -> tuple[str, Answer]:
    """A passcode, and a JSON object shaped like CleverTap's answer with it maybe echoed in the
    error or in a Location."""
    passcode = draw(PASSCODES)
    data = {name: draw(value) for name, value in FIELDS.items() if draw(st.booleans())}
    if draw(st.booleans()):
        data["error"] = error_text(draw, passcode)
    if draw(st.booleans()):
        data[draw(TEXT)] = draw(ANY_JSON)
    body = json.dumps(data, ensure_ascii=draw(st.booleans())).encode()
    headers = {}
    if draw(st.booleans()):
        headers["location"] = f"https://{echo(draw, passcode)}/{draw(TEXT)}"
    return passcode, Answer(draw(STATUSES), headers, body)


def assert_clean(message: str, passcode: str) -> None:
    assert message, "an error with no message"
    assert not UNSAFE.search(message), repr(message)
    assert len(message) <= MAX_MESSAGE, len(message)
    assert passcode.lower() not in message.lower(), message
    assert passcode.lower() not in "".join(message.split()).lower(), message


def outcome_of(answer: Answer, passcode: str, req_id: str | None) -> None:
    try:
        outcome = interpret(answer, ServerText([passcode]), req_id)
    except ApiError as error:
        assert_clean(str(error), passcode)
        return
    assert isinstance(outcome, Done | Pending)
    if isinstance(outcome, Done):
        assert 0 <= outcome.count <= 2**53 - 1
    else:
        assert outcome.req_id.isascii()
        assert outcome.req_id.isdigit()


@examples(1_500)
@given(case=json_answers(), polling=st.booleans())
@example(
    case=("Pa55-w0rd-x", Answer(400, {}, b'{"status": "fail", "error": "bad Pa55-\\u200bw0rd-x"}')),
    polling=False,
)
def test_any_json_answer_is_an_outcome_or_one_clean_line(
    case: tuple[str, Answer], polling: bool
) -> None:
    passcode, answer = case
    outcome_of(answer, passcode, REQ_ID if polling else None)


@examples(2_200)
@given(
    passcode=PASSCODES,
    status=STATUSES,
    body=st.one_of(
        st.binary(max_size=200),
        st.text(max_size=80).map(str.encode),
        st.sampled_from([b"", b" ", b"null", b"[]", b"[" * 10_000, b'{"a":' * 3_000, b"\xff\xfe"]),
    ),
    polling=st.booleans(),
)
def test_any_bytes_are_an_outcome_or_one_clean_line(
    passcode: str, status: int, body: bytes, polling: bool
) -> None:
    outcome_of(Answer(status, {}, body), passcode, REQ_ID if polling else None)


def replying(status: int, headers: dict[str, str], body: bytes) -> httpx.MockTransport:
    def reply(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers=headers, content=body)

    return httpx.MockTransport(reply)


async def through_client(passcode: str, transport: httpx.MockTransport, polling: bool) -> None:
    credentials = Credentials("W9R-486-4W5Z", passcode)
    async with CleverTapClient(
        credentials, "https://eu1.api.clevertap.com", transport=transport
    ) as client:
        try:
            await (client.poll(REQ_ID) if polling else client.submit(QUERY))
        except ApiError as error:
            assert_clean(str(error), passcode)


# Fewer: each builds a client and an event loop.
@examples(200)
@given(case=json_answers(), polling=st.booleans())
def test_the_client_turns_any_answer_into_an_outcome_or_one_clean_line(
    case: tuple[str, Answer], polling: bool
) -> None:
    passcode, answer = case
    headers = {key: value for key, value in answer.headers.items() if value.isascii()}
    transport = replying(answer.status, headers, answer.body)
    asyncio.run(through_client(passcode, transport, polling))
