"""One exception tree for everything that can go wrong between a query and its count.

Every error carries a message a person can act on. None of them ever holds the passcode: they are
built from the request's shape, never from its headers, and from what the server said once
`answers.ServerText` has made it one clean line with any echo of the passcode hidden.
"""

from __future__ import annotations


class CttuiError(Exception):
    """Base of every error cttui raises on purpose; `str(error)` is the one-line message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(CttuiError):
    """Bad input or configuration: nothing was sent (exit code 2)."""


class QueryError(UsageError):
    """A query that fails validation. `field` names the part to fix, e.g. `filters[0].value`."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class ApiError(CttuiError):
    """The server or the network failed the request (exit code 1).

    `retryable` errors are worth the same request again after a pause; `http_status` is the HTTP
    code of the answer when there was one.
    """

    retryable = False

    def __init__(self, message: str, http_status: int | None = None) -> None:
        super().__init__(message)
        self.http_status = http_status


class AuthError(ApiError):
    """Wrong account ID, passcode or region: CleverTap answers all three the same way."""


class UnsendableCredentialsError(AuthError):
    """A passcode or account ID that an HTTP header cannot carry: nothing was sent, and sending
    again will not help. The message never quotes the value."""


class RateLimitedError(ApiError):
    """More requests in flight than the account allows."""

    retryable = True


class ServerError(ApiError):
    """A 5xx answer: CleverTap's side failed, and may not the next time."""

    retryable = True


class NetworkError(ApiError):
    """No answer at all: the connection failed or timed out."""

    retryable = True


class TlsError(ApiError):
    """The server's certificate is not trusted, or TLS with it failed: a retry meets the same."""


class BadRequestError(ApiError):
    """The server refused the query; the message is the server's own."""


class InvalidResponseError(ApiError):
    """An answer that is not what the API documents: empty, not JSON, the wrong shape, too large,
    badly compressed, an implausible count, or a redirect (never followed)."""


class UnknownRequestError(ApiError):
    """The server no longer knows a `req_id`: the query has to be sent again."""


DEBUG_VARIABLE = "CTTUI_DEBUG"


def unexpected(error: BaseException) -> str:
    """The one line a user sees for a bug of ours, with the way to the full story."""
    return (
        f"unexpected error ({type(error).__name__}: {error}); please report it, with the "
        f"traceback that {DEBUG_VARIABLE}=1 shows"
    )
