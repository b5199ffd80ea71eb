"""One error family for the Pivotal boundary, chosen from the envelope's error.type.

    PivotalError                 any failure talking to Pivotal
    ├── NotFound                 404 / not_found; .what says what is missing
    │   └── CustomerNotFound     the customer (any 404 on its own path)
    ├── PivotalAuthError         401, 403 / authentication_error, permission_error
    ├── PivotalRateLimited       429 / rate_limit_error, or the bot's own budget; .retry_after
    ├── PivotalBadRequest        400, 409 / invalid_request_error, conflict
    │   └── PivotalRefused       a write refused (400, 409, 422); .reason is Pivotal's message
    └── PivotalUnavailable       5xx, timeouts, unreachable, bodies of the wrong shape
        └── PivotalEndpointMissing  404 on a list whose error names nothing missing

``PivotalError.from_response()`` picks the class for an error response. The type comes
from the envelope, never from its message; an unknown type lets the status decide.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.pivotal.headers import clamp_wait

if TYPE_CHECKING:
    import httpx

_ERROR_TYPES = frozenset(
    {"invalid_request_error", "authentication_error", "permission_error", "not_found",
     "conflict", "rate_limit_error", "internal_error"}
)  # fmt: skip
_RETRYABLE_STATUS = frozenset({500, 502, 503, 504})


class PivotalError(Exception):
    """Any failure talking to Pivotal."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code

    @classmethod
    def from_response(
        cls, response: httpx.Response, *, retry_after: float | None = None
    ) -> PivotalError:
        """The error an unsuccessful `response` means; `retry_after` is the wait the rate
        governor read from its headers (RateGovernor.observe), carried by a 429."""
        status = response.status_code
        kind, code = _envelope(response)
        if kind == "not_found" or (kind is None and status == 404):
            return CustomerNotFound("no such customer", status=status, code=code)
        if kind in ("authentication_error", "permission_error") or (
            kind is None and status in (401, 403)
        ):
            return PivotalAuthError("Pivotal refused the API key", status=status, code=code)
        if kind == "rate_limit_error" or status == 429:
            wait = clamp_wait(retry_after)
            return PivotalRateLimited("Pivotal rate limit reached", retry_after=wait)
        if kind in ("invalid_request_error", "conflict") or (kind is None and 400 <= status < 500):
            return PivotalBadRequest("Pivotal refused the request", status=status, code=code)
        retryable = status in _RETRYABLE_STATUS
        return PivotalUnavailable(
            f"Pivotal answered {status}", status=status, code=code, retryable=retryable
        )


class NotFound(PivotalError):
    """404: no such `what` ("customer", "contact", "onboarding"), soft-deleted, or another
    workspace's."""

    what = "record"

    def __init__(
        self,
        message: str,
        *,
        what: str | None = None,
        status: int | None = None,
        code: str | None = None,
    ):
        super().__init__(message, status=status, code=code)
        if what is not None:
            self.what = what


class CustomerNotFound(NotFound):
    """404: no such customer, soft-deleted, or another workspace's."""

    what = "customer"


class PivotalAuthError(PivotalError):
    """401/403: the API key is missing, malformed, revoked or not allowed."""


class PivotalRateLimited(PivotalError):
    """429, or the bot's own budget says wait: retry after `retry_after` seconds."""

    def __init__(self, message: str, *, retry_after: float, status: int | None = 429):
        super().__init__(message, status=status, code="rate_limited")
        self.retry_after = retry_after


class PivotalUnavailable(PivotalError):
    """5xx, timeouts, connection failures, or a body that is not the documented shape."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        retryable: bool = False,
    ):
        super().__init__(message, status=status, code=code)
        self.retryable = retryable


class PivotalEndpointMissing(PivotalUnavailable):
    """404 to a list (a customer's contacts, the onboardings) whose error code names nothing
    missing: the path is not served (an older API, a proxy, a wrong base URL), not a
    customer that is gone."""


# error.code of a 404 -> what it says is missing. Pivotal documents onboarding_not_found;
# customer_not_found and contact_not_found are named by analogy (and the sandbox's).
_MISSING_CODES = {"customer_not_found": "customer", "contact_not_found": "contact",
                  "onboarding_not_found": "onboarding"}  # fmt: skip


def listing_not_found(error: NotFound, listing: str) -> PivotalError:
    """What a 404 (`error`) to a list of `listing` (e.g. "contacts") means.

    CustomerNotFound only when the code says the customer is missing; another named
    resource is a NotFound of it; anything else (no code, "not_found", an unknown code) is
    a PivotalEndpointMissing: the list is not there, which says nothing about the customer.
    """
    what = _MISSING_CODES.get(error.code or "")
    if what == "customer":
        return CustomerNotFound("no such customer", status=error.status, code=error.code)
    if what is not None:
        return NotFound(f"no such {what}", what=what, status=error.status, code=error.code)
    return PivotalEndpointMissing(
        f"Pivotal does not serve the {listing} list (404)", status=error.status, code=error.code
    )


class PivotalBadRequest(PivotalError):
    """400/409: the request itself was refused; a bug on our side, not the user's."""


class PivotalRefused(PivotalBadRequest):
    """A write Pivotal refused (400, 409, 422): `reason` is its own message, for people.

    The message is shown, never branched on (the type and code decide control flow).
    """

    def __init__(
        self,
        message: str,
        *,
        reason: str | None,
        field: str | None = None,
        status: int | None = None,
        code: str | None = None,
    ):
        super().__init__(message, status=status, code=code)
        self.reason = reason
        self.field = field

    @classmethod
    def from_refusal(cls, response: httpx.Response) -> PivotalRefused:
        """The refusal `response` (a 4xx to a write) carries, with its message and field."""
        _, code = _envelope(response)
        envelope = _error_object(response)
        reason, field = envelope.get("message"), envelope.get("field")
        return cls(
            "Pivotal refused the change",
            reason=_printable(reason) if isinstance(reason, str) else None,
            field=_printable(field)[:64] if isinstance(field, str) else None,
            status=response.status_code,
            code=code,
        )


def _error_object(response: httpx.Response) -> dict[str, object]:
    """The `error` object of an error body, or {} when the body has none."""
    try:
        envelope = response.json().get("error") or {}
    except (ValueError, AttributeError):
        envelope = {}
    return envelope if isinstance(envelope, dict) else {}


def _printable(text: str, limit: int = 300) -> str:
    """`text` on one line without control characters, at most `limit` characters."""
    cleaned = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def _envelope(response: httpx.Response) -> tuple[str | None, str | None]:
    """error.type (when it is one the API documents) and error.code of an error body."""
    envelope = _error_object(response)
    if not envelope:
        return None, None
    kind, code = envelope.get("type"), envelope.get("code")
    kind = kind if isinstance(kind, str) and kind in _ERROR_TYPES else None
    return kind, code if isinstance(code, str) else None
