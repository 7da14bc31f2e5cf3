"""Async client for the Get Profile Count API on one `httpx.AsyncClient` per account.

Each request has one deadline for all of it, the body included, and its answer is read up to
`MAX_ANSWER_BYTES` once decoded: a server that trickles, never ends or inflates cannot hold
cttui. Failures that a retry cannot mend (an untrusted certificate, a passcode HTTP cannot
carry, a body that does not decode) raise errors that are not `retryable`.
"""

from __future__ import annotations

import asyncio
import ssl
import sys
import zlib
from dataclasses import dataclass, field
from types import TracebackType
from typing import TypeVar
from urllib.parse import urlsplit

import httpx

from cttui import __version__
from cttui.api.answers import Answer, ServerText, interpret
from cttui.api.errors import (
    ApiError,
    InvalidResponseError,
    NetworkError,
    TlsError,
    UnsendableCredentialsError,
    UsageError,
)
from cttui.api.models import Query
from cttui.api.outcomes import Outcome
from cttui.api.regions import COUNT_PATH, check_base_url, is_clevertap_host, is_loopback

# httpcore tries `import sniffio` each time it sets up a connection or a lock, to learn which
# async library runs it. Where sniffio is not installed, each try walked sys.path again, since a
# failed import is not remembered: 0.2 ms a request, 13% of the app's time with 500 jobs
# polling. None in sys.modules remembers it, and httpcore then takes asyncio, which cttui uses.
try:
    __import__("sniffio")
except ImportError:
    sys.modules["sniffio"] = None  # type: ignore[assignment]

E = TypeVar("E", bound=BaseException)

USER_AGENT = f"cttui/{__version__}"
DEFAULT_TIMEOUT = 30.0
# An answer is a few dozen bytes; a megabyte is a broken or hostile server.
MAX_ANSWER_BYTES = 2**20
_MIB = MAX_ANSWER_BYTES // 2**20


@dataclass(frozen=True)
class Credentials:
    account_id: str
    passcode: str = field(repr=False)


def _flaw(value: str) -> str | None:
    """Why an HTTP header cannot carry `value` as it is, without quoting any of it."""
    if not value:
        return "is empty"
    if value != value.strip():
        return "starts or ends with a space or line break"
    if not value.isascii():
        return "holds a non-ASCII character"
    if not value.isprintable():
        return "holds a control character"
    return None


def _unsendable(credentials: Credentials) -> UnsendableCredentialsError | None:
    """Nothing is sent with a passcode or account ID that HTTP would refuse or alter."""
    passcode, account = _flaw(credentials.passcode), _flaw(credentials.account_id)
    if passcode is not None:
        return UnsendableCredentialsError(
            f"the passcode {passcode}, which HTTP cannot send, so nothing was sent: set it again "
            "exactly as the dashboard shows it ('cttui credentials set', or CLEVERTAP_PASSCODE)"
        )
    if account is not None:
        return UnsendableCredentialsError(
            f"the account ID {account}, which HTTP cannot send, so nothing was sent: set it "
            "again as the dashboard URL shows it"
        )
    return None


class _Decoder:
    """The body as sent, or inflated from gzip / deflate, never past `MAX_ANSWER_BYTES`."""

    def __init__(self, encoding: str, text: ServerText) -> None:
        self.encoding = encoding
        self._inflate = None
        if encoding in ("gzip", "x-gzip", "deflate"):
            # 47: a zlib or a gzip header, whichever comes.
            self._inflate = zlib.decompressobj(47)
        elif encoding not in ("", "identity"):
            raise InvalidResponseError(
                f"the server sent a body encoded as {text.value(encoding)}, which cttui does "
                "not read; is the base URL a CleverTap API host?"
            )
        self._size = 0
        self._fed = False
        self.chunks: list[bytes] = []

    def feed(self, data: bytes) -> None:
        room = MAX_ANSWER_BYTES - self._size + 1
        self._fed = self._fed or bool(data)
        if self._inflate is not None:
            try:
                data = self._inflate.decompress(data, room)
            except zlib.error:
                raise self._broken() from None
        self._size += len(data)
        if self._size > MAX_ANSWER_BYTES:
            raise _too_large()
        self.chunks.append(data)

    def finish(self) -> bytes:
        # An empty body is empty whatever its encoding; one cut short is not an answer.
        if self._inflate is not None and self._fed and not self._inflate.eof:
            raise self._broken()
        return b"".join(self.chunks)

    def _broken(self) -> InvalidResponseError:
        return InvalidResponseError(
            f"the server's body says it is {self.encoding} but does not decode as {self.encoding}"
            " (corrupt or cut short); is the base URL a CleverTap API host?"
        )


def _too_large() -> InvalidResponseError:
    return InvalidResponseError(
        f"the server's answer is larger than {_MIB} MiB, far more than a count; "
        "is the base URL a CleverTap API host?"
    )


def _tls_for(base_url: str) -> ssl.SSLContext | bool:
    """What the client verifies TLS with: for https, httpx's default (the certifi bundle, or
    SSL_CERT_FILE / SSL_CERT_DIR), loaded when the client is made. Plain http does no TLS, and
    loading the bundle would cost a count a third of its start: it gets a context that trusts
    no CA at all, so that an https connection it should never make fails verification rather
    than go unverified."""
    if urlsplit(base_url).scheme == "https":
        return True
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # CERT_REQUIRED, check_hostname, no CAs


def _cause(error: BaseException, kind: type[E]) -> E | None:
    """The failure of `kind` behind an httpx error (a TLS one, a refused connection), if one is."""
    seen: BaseException | None = error
    for _ in range(10):  # a chain is short; this one bound keeps a cycle from holding us
        if seen is None or isinstance(seen, kind):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


# What to do when nothing answers on this machine: it is the emulator, or a server of one's own.
_START_LOCAL = "start it (for the emulator, 'cttui emulator') or check CTTUI_BASE_URL"


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
        self._text = ServerText([credentials.passcode])
        self._refusal = _unsendable(credentials)
        headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip"}
        if self._refusal is None:
            headers["X-CleverTap-Account-Id"] = credentials.account_id
            headers["X-CleverTap-Passcode"] = credentials.passcode
        try:
            self._http = httpx.AsyncClient(
                base_url=self.base_url,
                headers=headers,
                timeout=timeout,
                transport=transport,
                follow_redirects=False,
                verify=_tls_for(self.base_url),
                # Plain http (loopback only) never goes through a proxy, which would read the
                # passcode; https may (HTTPS_PROXY, ALL_PROXY, NO_PROXY), as a tunnel that
                # carries TLS through.
                trust_env=urlsplit(self.base_url).scheme == "https",
            )
        except (ImportError, ValueError, httpx.InvalidURL) as error:
            # Not the variable's value in the message: a proxy URL may hold a password.
            why = "a SOCKS proxy needs httpx[socks]" if isinstance(error, ImportError) else ""
            raise UsageError(
                f"the proxy that HTTPS_PROXY or ALL_PROXY names cannot be used"
                f"{f' ({why})' if why else ''}: give an http:// or https:// proxy URL, or unset "
                "the variable"
            ) from None

    async def submit(self, query: Query) -> Outcome:
        """POST the query: its count, or the `req_id` to poll. Validates before sending."""
        body = query.to_json().encode()
        answer = await self._send(
            "POST", COUNT_PATH, content=body, headers={"Content-Type": "application/json"}
        )
        return interpret(answer, self._text)

    async def poll(self, req_id: str) -> Outcome:
        """GET the state of a pending query, on the same host, with no Content-Type."""
        answer = await self._send("GET", COUNT_PATH, params={"req_id": req_id})
        return interpret(answer, self._text, req_id=req_id)

    async def _send(
        self,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> Answer:
        if self._refusal is not None:
            raise self._refusal
        request = self._http.build_request(
            method, path, content=content, headers=headers, params=params
        )
        try:
            async with asyncio.timeout(self._timeout):
                return await self._exchange(request)
        except (TimeoutError, httpx.TimeoutException):
            raise NetworkError(
                f"no full answer from {self._host} within {self._timeout:g} s; "
                "check the network and try again"
            ) from None
        except httpx.LocalProtocolError:
            # What we send is a query and fixed headers: only the credentials can be at fault.
            raise UnsendableCredentialsError(
                "the request could not be sent: HTTP refused a header; check the passcode and "
                "account ID for spaces, line breaks or other characters that do not belong"
            ) from None
        except httpx.HTTPError as error:
            raise self._transport_error(error) from None

    async def _exchange(self, request: httpx.Request) -> Answer:
        response = await self._http.send(request, stream=True)
        try:
            encoding = response.headers.get("content-encoding", "").strip().lower()
            length = response.headers.get("content-length", "").strip()
            if response.is_stream_consumed:
                # Made in memory (by a mock transport): already read, and decoded.
                decoder = _Decoder("", self._text)
                decoder.feed(response.content)
            else:
                decoder = _Decoder(encoding, self._text)
                if not encoding and length.isdigit() and int(length) > MAX_ANSWER_BYTES:
                    raise _too_large()
                async for chunk in response.aiter_raw():
                    decoder.feed(chunk)
            body = decoder.finish()
        except ApiError as error:
            error.http_status = response.status_code
            raise
        finally:
            await response.aclose()
        return Answer(response.status_code, response.headers, body)

    def _transport_error(self, error: httpx.HTTPError) -> ApiError:
        tls = _cause(error, ssl.SSLError)
        if isinstance(tls, ssl.SSLCertVerificationError):
            reason = self._text.line(tls.verify_message or "certificate verify failed")
            return TlsError(
                f"the TLS certificate of {self._host} is not trusted ({reason}); check "
                "CTTUI_BASE_URL, or give the CA that signed it with SSL_CERT_FILE"
            )
        if tls is not None and not isinstance(tls, ssl.SSLEOFError | ssl.SSLZeroReturnError):
            reason = self._text.line(tls.reason or type(tls).__name__)
            return TlsError(
                f"TLS with {self._host} failed ({reason}); check that CTTUI_BASE_URL names an "
                "https server"
            )
        if isinstance(error, httpx.ConnectError):
            return self._unreachable(error)
        return NetworkError(
            f"the connection to {self._host} failed ({type(error).__name__}); try again"
        )

    def _unreachable(self, error: httpx.ConnectError) -> NetworkError:
        """No connection: the region is to blame only on CleverTap's own hosts."""
        local = is_loopback(self.base_url)
        if local and _cause(error, ConnectionRefusedError) is not None:
            return NetworkError(
                f"the server at {self.base_url} refused the connection: nothing listens there; "
                f"{_START_LOCAL}"
            )
        if local:
            advice = _START_LOCAL
        elif is_clevertap_host(self.base_url):
            advice = "check the network and the region"
        else:
            advice = "check the network and CTTUI_BASE_URL"
        reason = self._text.line(str(error)) or "connection failed"
        return NetworkError(f"cannot connect to {self._host} ({reason}); {advice}")

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
