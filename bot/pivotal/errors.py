"""One error family for the Pivotal boundary, chosen from the envelope's error.type."""

from __future__ import annotations


class PivotalError(Exception):
    """Any failure talking to Pivotal."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code


class CustomerNotFound(PivotalError):
    """404: no such customer, soft-deleted, or another workspace's."""


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


class PivotalBadRequest(PivotalError):
    """400/409: the request itself was refused; a bug on our side, not the user's."""
