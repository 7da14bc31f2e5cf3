"""What one answer of the Get Profile Count API means: its outcome, or the ApiError it stands for.

Everything the server wrote that a person may see (an `error`, a bad `count`, a `Location`)
goes through `ServerText` first: one printable line, with the passcode taken out, since a proxy
or gateway may echo the request's headers back.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import quote, quote_plus, urlsplit

from cttui.api.errors import (
    AuthError,
    BadRequestError,
    InvalidResponseError,
    RateLimitedError,
    ServerError,
    UnknownRequestError,
)
from cttui.api.outcomes import Done, Outcome, Pending

# No profile count comes near this; beyond it a count is a broken server, not a number to store
# (SQLite stops at 2**63 - 1, and JSON readers lose exactness above 2**53 - 1).
MAX_COUNT = 2**53 - 1
# CleverTap's req_ids have 15 to 19 digits.
MAX_REQ_ID_DIGITS = 32
MAX_SHOWN_CHARS = 300
HIDDEN = "***"

# Replaced by a space: control characters and line or paragraph separators. Removed: format
# characters (bidi overrides and isolates, zero-width ones), surrogates, private-use and
# unassigned code points. None of them may reach a terminal or the journal.
_BREAKING = {"Cc", "Zl", "Zp"}
_INVISIBLE = {"Cf", "Cs", "Co", "Cn"}


@dataclass(frozen=True)
class Answer:
    """One HTTP answer, its body decoded and bounded by the client."""

    status: int
    headers: Mapping[str, str]
    body: bytes


class _Shown(dict[int, str]):
    """A `str.translate` table that fills itself: each character as shown."""

    def __missing__(self, code: int) -> str:
        category = unicodedata.category(chr(code))
        shown = " " if category in _BREAKING else "" if category in _INVISIBLE else chr(code)
        if len(self) < 10_000:  # a server sending every character there is gets no bigger table
            self[code] = shown
        return shown


_SHOWN = _Shown()


def _visible(text: str) -> str:
    return text.translate(_SHOWN)


def _echoes(secret: str) -> set[str]:
    """The ways a server may echo `secret`: as sent, URL- or HTML-encoded, JSON-escaped."""
    forms = {secret, secret.strip()}
    forms |= {quote(form, safe="") for form in list(forms)} | {quote_plus(secret)}
    forms |= {quote(secret), html.escape(secret), html.escape(secret, quote=False)}
    forms |= {json.dumps(secret)[1:-1], "".join(f"%{byte:02x}" for byte in secret.encode())}
    return {_visible(form) for form in forms}


def _plain(value: object) -> str:
    """A JSON value as text: its strings and numbers in order, joined by `; `. Not repr() nor
    json.dumps(): they spell line breaks, quotes and invisible characters as escapes, which no
    redaction would see through."""
    parts: list[str] = []
    stack = [value]
    # A loop, not recursion: a value as deep as the JSON reader allows must not overflow.
    while stack and len(parts) < 1000:
        item = stack.pop()
        if isinstance(item, str):
            parts.append(item)
        elif isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            for key, inner in reversed(item.items()):
                stack += [inner, key]
        elif item is not None:
            parts.append(json.dumps(item))
    return "; ".join(parts)


class ServerText:
    """Turns what a server wrote into text fit to show, log and store.

    `secrets` (the passcode) are replaced by `***` in every form `_echoes` knows, in any case,
    and even with whitespace slipped in or trimmed off: whitespace never separates a match.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        patterns = {
            r"\s*".join(re.escape(char) for char in form if not char.isspace())
            for secret in secrets
            for form in _echoes(secret)
        }
        patterns.discard("")
        # Longest first, so that an encoded form is hidden whole rather than in part.
        ordered = sorted(patterns, key=len, reverse=True)
        self._secrets = re.compile("|".join(ordered), re.IGNORECASE) if ordered else None

    def __call__(self, raw: object) -> str:
        """CleverTap's `error` (sometimes a JSON array serialised in a string) as one line."""
        if isinstance(raw, str):
            stripped = raw.strip()
            if stripped.startswith("["):
                try:
                    raw = json.loads(stripped)
                except (ValueError, RecursionError):
                    raw = stripped
        return self.line(_plain(raw))

    def line(self, text: str) -> str:
        text = _visible(text)
        if self._secrets is not None:
            text = self._secrets.sub(HIDDEN, text)
        text = " ".join(text.split())
        if len(text) > MAX_SHOWN_CHARS:
            text = text[: MAX_SHOWN_CHARS - 1] + "…"
        return text

    def value(self, raw: object) -> str:
        """A JSON value the server sent where another was due, as a short quote of it."""
        if isinstance(raw, str):
            return json.dumps(self.line(raw)[:60], ensure_ascii=False)
        if isinstance(raw, dict):
            return "an object"
        if isinstance(raw, list):
            return "an array"
        return self.line(json.dumps(raw))[:60]


def _count(raw: object, text: ServerText, http_status: int) -> Done:
    if isinstance(raw, int) and not isinstance(raw, bool) and 0 <= raw <= MAX_COUNT:
        return Done(raw)
    if isinstance(raw, int) and not isinstance(raw, bool) and raw > MAX_COUNT:
        raise InvalidResponseError(
            f"the server answered an implausible count ({text.value(raw)}, more than "
            f"{MAX_COUNT}); is the base URL a CleverTap API host?",
            http_status,
        )
    raise InvalidResponseError(
        f"the server answered success without a valid count (got {text.value(raw)}); "
        "is the base URL a CleverTap API host?",
        http_status,
    )


def _req_id(raw: object) -> str | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int) and 0 <= raw < 10**MAX_REQ_ID_DIGITS:
        return str(raw)
    if isinstance(raw, str):
        stripped = raw.strip()
        if stripped.isascii() and stripped.isdigit() and len(stripped) <= MAX_REQ_ID_DIGITS:
            return stripped
    return None


def _auth_error(http_status: int, detail: str, *, forbidden: bool) -> AuthError:
    said = f" ({detail})" if detail else ""
    if forbidden:
        return AuthError(
            f"CleverTap refused access{said}: this passcode is not allowed to read counts; "
            "check its permissions in the dashboard",
            http_status,
        )
    return AuthError(
        f"CleverTap rejected the credentials{said}: check the passcode and account ID, and that "
        "the region matches your dashboard URL (a wrong region answers the same way)",
        http_status,
    )


def _redirect(answer: Answer, text: ServerText) -> InvalidResponseError:
    """cttui never follows a redirect: it would carry the passcode to where the server says."""
    location = text.line(answer.headers.get("location", ""))
    if not location:
        return InvalidResponseError(
            f"the server answered HTTP {answer.status} without a count; "
            "is the base URL a CleverTap API host?",
            answer.status,
        )
    try:
        parts = urlsplit(location)
        origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    except ValueError:
        origin = ""
    fix = (
        f"set CTTUI_BASE_URL to {origin} if you trust that server"
        if origin
        else "check CTTUI_BASE_URL"
    )
    return InvalidResponseError(
        f"the server redirected to {location} (HTTP {answer.status}), and cttui does not follow "
        f"redirects, which would send the passcode along: {fix}",
        answer.status,
    )


def interpret(answer: Answer, text: ServerText, req_id: str | None = None) -> Outcome:
    """The outcome of one answer, or the ApiError it stands for.

    `status` in the body decides, whatever the HTTP code: CleverTap answers many failures with
    HTTP 200 and `"status": "fail"`. `req_id` is set when the answer is to a poll.
    """
    http_status = answer.status
    if 300 <= http_status < 400:
        raise _redirect(answer, text)
    try:
        data: object = json.loads(answer.body) if answer.body.strip() else None
    except (ValueError, RecursionError):
        data = None
    if not isinstance(data, dict):
        return _from_http_status(http_status, empty=not answer.body.strip())

    status = data.get("status")
    if status == "success" and http_status < 400:
        return _count(data.get("count"), text, http_status)
    if status == "partial" and http_status < 400:
        pending = _req_id(data.get("req_id")) or req_id
        if pending is None:
            got = f" (got {text.value(data['req_id'])})" if "req_id" in data else ""
            raise InvalidResponseError(
                f"the server answered partial without a valid req_id to poll{got}", http_status
            )
        return Pending(pending)
    if status not in ("fail", "success", "partial") and http_status < 400:
        raise InvalidResponseError(
            f"the server's answer has no known status (got {text.value(status)})", http_status
        )
    return _failure(data, text, http_status, req_id)


def _failure(
    data: dict[str, object], text: ServerText, http_status: int, req_id: str | None
) -> Outcome:
    detail = text(data.get("error"))
    code = data.get("code")
    if code == 2:
        # CleverTap's "still in progress": the same call later will do.
        if req_id is not None:
            return Pending(req_id)
        raise ServerError("CleverTap is still busy with this query; try again", http_status)
    if http_status in (401, 403) or code in (401, 403) or "invalid credentials" in detail.lower():
        raise _auth_error(http_status, detail, forbidden=403 in (http_status, code))
    if http_status == 429 or code in (1, 429):
        raise RateLimitedError(
            f"CleverTap is throttling this account ({detail or 'too many requests'})",
            http_status,
        )
    if http_status >= 500 or (isinstance(code, int) and code >= 500):
        raise ServerError(
            f"CleverTap's server failed (HTTP {http_status}{': ' + detail if detail else ''}); "
            "it usually recovers, try again",
            http_status,
        )
    lowered = detail.lower()
    if req_id is not None and ("req_id" in lowered or "request id" in lowered):
        raise UnknownRequestError(
            f"the server no longer knows request {req_id} ({detail}); send the query again",
            http_status,
        )
    raise BadRequestError(
        f"CleverTap refused the query: {detail or f'HTTP {http_status} with no reason given'}",
        http_status,
    )


def _from_http_status(http_status: int, *, empty: bool) -> Outcome:
    """For answers whose body is not a JSON object: the HTTP code is all there is."""
    if http_status in (401, 403):
        raise _auth_error(http_status, "", forbidden=http_status == 403)
    if http_status == 429:
        raise RateLimitedError("CleverTap is throttling this account (HTTP 429)", http_status)
    if http_status >= 500:
        raise ServerError(
            f"CleverTap's server failed (HTTP {http_status}); it usually recovers, try again",
            http_status,
        )
    if http_status == 400:
        raise BadRequestError("CleverTap refused the query: HTTP 400 with no reason given", 400)
    what = "an empty answer" if empty else "an answer that is not a JSON object"
    raise InvalidResponseError(
        f"the server sent {what} (HTTP {http_status}); is the base URL a CleverTap API host?",
        http_status,
    )
