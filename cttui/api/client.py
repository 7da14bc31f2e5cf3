"""Async client for the Get Profile Count API on one `httpx.AsyncClient` per account."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from types import TracebackType
from urllib.parse import urlsplit

import httpx

from cttui import __version__
from cttui.api.errors import (
    AuthError,
    BadRequestError,
    InvalidResponseError,
    NetworkError,
    RateLimitedError,
    ServerError,
    UnknownRequestError,
)
from cttui.api.models import Query
from cttui.api.outcomes import Done, Outcome, Pending
from cttui.api.regions import COUNT_PATH, check_base_url

USER_AGENT = f"cttui/{__version__}"
DEFAULT_TIMEOUT = 30.0


@dataclass(frozen=True)
class Credentials:
    account_id: str
    passcode: str = field(repr=False)


# What a server may put in `error` is shown to a person: keep it one printable line of sane length.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f]+")
_MAX_ERROR_CHARS = 300


def error_text(raw: object) -> str:
    """CleverTap's `error`, which is sometimes a JSON array serialised inside a string."""
    if isinstance(raw, str):
        stripped = raw.strip()
        if stripped.startswith("["):
            try:
                raw = json.loads(stripped)
            except (ValueError, RecursionError):
                raw = stripped
    if isinstance(raw, list):
        text = "; ".join(str(item) for item in raw)
    elif raw is None:
        text = ""
    else:
        text = str(raw)
    text = _UNPRINTABLE.sub(" ", text).strip()
    if len(text) > _MAX_ERROR_CHARS:
        text = text[: _MAX_ERROR_CHARS - 1] + "…"
    return text


def _req_id(raw: object) -> str | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int) and raw >= 0:
        return str(raw)
    if isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit():
        return raw.strip()
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


def interpret(response: httpx.Response, req_id: str | None = None) -> Outcome:
    """The outcome of one answer, or the ApiError it stands for.

    `status` in the body decides, whatever the HTTP code: CleverTap answers many failures with
    HTTP 200 and `"status": "fail"`. `req_id` is set when the answer is to a poll.
    """
    http_status = response.status_code
    try:
        data: object = json.loads(response.content) if response.content.strip() else None
    except (ValueError, RecursionError):
        data = None
    if not isinstance(data, dict):
        return _from_http_status(http_status, empty=not response.content.strip())

    status = data.get("status")
    if status == "success" and http_status < 400:
        count = data.get("count")
        if isinstance(count, int) and not isinstance(count, bool) and count >= 0:
            return Done(count)
        raise InvalidResponseError(
            f"the server answered success without a valid count (got {count!r})", http_status
        )
    if status == "partial" and http_status < 400:
        pending = _req_id(data.get("req_id")) or req_id
        if pending is None:
            raise InvalidResponseError(
                "the server answered partial without a req_id to poll", http_status
            )
        return Pending(pending)
    if status not in ("fail", "success", "partial") and http_status < 400:
        raise InvalidResponseError(
            f"the server's answer has no known status (got {status!r})", http_status
        )

    detail = error_text(data.get("error"))
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


class CleverTapClient:
    """Submits count queries and polls them, for one account on one host.

    Use one host for the whole submit-then-poll flow: a `req_id` is only known where it was made.
    """

    def __init__(
        self,
        credentials: Credentials,
        base_url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = check_base_url(base_url)
        self.account_id = credentials.account_id
        self._host = urlsplit(self.base_url).netloc
        self._timeout = timeout
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            headers={
                "X-CleverTap-Account-Id": credentials.account_id,
                "X-CleverTap-Passcode": credentials.passcode,
                "User-Agent": USER_AGENT,
            },
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
        )

    async def submit(self, query: Query) -> Outcome:
        """POST the query: its count, or the `req_id` to poll. Validates before sending."""
        body = query.to_json().encode()
        response = await self._send(
            "POST", COUNT_PATH, content=body, headers={"Content-Type": "application/json"}
        )
        return interpret(response)

    async def poll(self, req_id: str) -> Outcome:
        """GET the state of a pending query, on the same host, with no Content-Type."""
        response = await self._send("GET", COUNT_PATH, params={"req_id": req_id})
        return interpret(response, req_id=req_id)

    async def _send(
        self,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> httpx.Response:
        try:
            return await self._http.request(
                method, path, content=content, headers=headers, params=params
            )
        except httpx.TimeoutException:
            raise NetworkError(
                f"no answer from {self._host} within {self._timeout:g} s; "
                "check the network and try again"
            ) from None
        except httpx.ConnectError as error:
            raise NetworkError(
                f"cannot connect to {self._host} ({error or 'connection failed'}); "
                "check the network and the region"
            ) from None
        except httpx.HTTPError as error:
            raise NetworkError(
                f"the connection to {self._host} failed ({type(error).__name__}); try again"
            ) from None

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> CleverTapClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()
