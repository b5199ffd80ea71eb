"""One seam for Slack Web API calls: every failure is a SlackCallFailed, classified once.

The twin of bot/pivotal/errors.py. ``call(what, request)`` awaits one Web API call and
turns any failure (Slack's ``ok: false``, an HTTP error status, a transport error) into
``SlackCallFailed``: Slack's ``error`` string (or the transport error's type name), the
``retry_after`` of a ``ratelimited`` answer, and one of three kinds:

    kind       errors                                                   so
    gone       channel_not_found, cannot_find_channel, not_in_channel,  the target is gone for
               is_archived, message_not_found, cant_update_message,     good, or out of our
               cannot_unfurl_message, not_found (a view), user_not_found reach: forget it
    transient  ratelimited (+ retry_after), message_limit_exceeded,     may work later: worth
               fatal_error, internal_error, service_unavailable,        retrying (`retryable`)
               request_timeout, team_added_to_org, HTTP 5xx, transport
    permanent  invalid_auth, not_authed, account_inactive, token_revoked, the same call fails
               token_expired, no_permission, missing_scope (the install  again: a bug or an
               is broken); invalid_blocks, msg_too_long, invalid_arguments install to fix; log
               … (our payload is wrong); and every error not named above

Auth errors are permanent, not gone: the token's workspace or user is the problem, not the
message, so what points at a message stays. ``uncertain`` marks a failure after which the
call may still have taken effect (a transport error, 5xx, fatal_error, internal_error):
calls that set (chat.update, chat.unfurl, views.*) may be repeated; chat.postMessage may not.

``Pacer`` gives turns to call Slack: about one a second per channel inside one app-wide pace
(Tier 3, about 50 a minute), over a store every replica shares when REDIS_URL is set
(bot/state/pacer.py). A ``ratelimited`` answer holds that channel (chat.postMessage's
limit is per channel) or the whole app (every other method's) for its Retry-After.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.logs import event
from bot.state.pacer import MemoryPacer, SlackPacer

log = logging.getLogger(__name__)
T = TypeVar("T")

TIER3_GAP = 1.2  # seconds between calls app-wide: Tier 3's 50 a minute
CHANNEL_GAP = 1.0  # seconds between messages to one channel
MAX_RETRY_AFTER = 60.0

_GONE = frozenset({"channel_not_found", "cannot_find_channel", "not_in_channel", "is_archived",
                   "message_not_found", "cant_update_message", "cannot_unfurl_message",
                   "not_found", "user_not_found"})  # fmt: skip
_TRANSIENT = frozenset({"ratelimited", "rate_limited", "message_limit_exceeded", "fatal_error",
                        "internal_error", "service_unavailable", "request_timeout",
                        "team_added_to_org"})  # fmt: skip
_UNCERTAIN = frozenset({"fatal_error", "internal_error", "service_unavailable"})
_RATELIMITED = frozenset({"ratelimited", "rate_limited"})
_PER_CHANNEL = frozenset({"chat.postMessage", "chat.postEphemeral", "chat.scheduleMessage"})
_TRANSPORT = (SlackClientError, aiohttp.ClientError, OSError, TimeoutError)


class Kind(StrEnum):
    """What a failed call means for whatever asked for it."""

    GONE = "gone"
    PERMANENT = "permanent"
    TRANSIENT = "transient"


class SlackCallFailed(Exception):
    """Any failed Slack Web API call; see the module docstring for the kinds."""

    def __init__(
        self,
        method: str,
        error: str,
        *,
        kind: Kind,
        retry_after: float | None = None,
        status: int | None = None,
        uncertain: bool = False,
    ):
        super().__init__(f"{method}: {error}")
        self.method, self.error, self.kind = method, error, kind
        self.retry_after, self.status, self.uncertain = retry_after, status, uncertain

    @property
    def gone(self) -> bool:
        return self.kind is Kind.GONE

    @property
    def retryable(self) -> bool:
        return self.kind is Kind.TRANSIENT

    @property
    def ratelimited(self) -> bool:
        return self.error in _RATELIMITED

    @property
    def per_channel(self) -> bool:
        """The limit this call hit counts per channel, not for the whole app."""
        return self.method in _PER_CHANNEL

    @classmethod
    def refused(
        cls, method: str, error: str, *, status: int | None = None, retry_after: float | None = None
    ) -> SlackCallFailed:
        """Slack answered, and not with ok: the kind is chosen from `error` (and the status)."""
        if status == 429 and error not in _RATELIMITED:
            error = error or "ratelimited"
        if error in _GONE:
            kind = Kind.GONE
        elif error in _TRANSIENT or (status or 0) >= 500:
            kind = Kind.TRANSIENT
        else:
            kind = Kind.PERMANENT
        wait = _clamp(retry_after) if error in _RATELIMITED else None
        uncertain = error in _UNCERTAIN or (status or 0) >= 500
        return cls(method, error or f"http_{status}", kind=kind, retry_after=wait, status=status,
                   uncertain=uncertain)  # fmt: skip

    @classmethod
    def unreachable(cls, method: str, exc: BaseException) -> SlackCallFailed:
        """No answer (connection, timeout): worth retrying, and it may have happened."""
        return cls(method, type(exc).__name__, kind=Kind.TRANSIENT, uncertain=True)


async def call(what: str, request: Awaitable[T]) -> T:
    """Await one Web API call (`what` is its method name); any failure is SlackCallFailed."""
    try:
        return await request
    except SlackApiError as exc:
        raise _from_api_error(what, exc) from exc
    except _TRANSPORT as exc:
        raise SlackCallFailed.unreachable(what, exc) from exc


async def attempt(what: str, request: Awaitable[T]) -> T | None:
    """One Web API call whose failure is only logged (`slack.call.failed`): None then."""
    try:
        return await call(what, request)
    except SlackCallFailed as failed:
        logged(failed)
        return None


def logged(failed: SlackCallFailed, name: str = "slack.call.failed", **fields: object) -> None:
    """The one log line for a failed call: its method, error and kind."""
    event(log, name, logging.WARNING, method=failed.method, error=failed.error,
          kind=failed.kind.value, **fields)  # fmt: skip


def _from_api_error(method: str, exc: SlackApiError) -> SlackCallFailed:
    response = exc.response
    data = getattr(response, "data", None)
    body = data if isinstance(data, Mapping) else response if isinstance(response, Mapping) else {}
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    headers = getattr(response, "headers", None) or {}
    retry_after = headers.get("Retry-After") or headers.get("retry-after")
    return SlackCallFailed.refused(
        method,
        str(body.get("error") or ""),
        status=status if isinstance(status, int) else None,
        retry_after=_seconds(retry_after),
    )


def _seconds(value: object) -> float | None:
    try:
        return float(value) if isinstance(value, str | int | float) else None
    except ValueError:
        return None


def _clamp(seconds: float | None) -> float:
    """A ratelimited answer holds back at least 1 s and at most a minute (1 s if unsaid)."""
    if seconds is None or seconds != seconds:  # missing or NaN
        return 1.0
    return min(max(seconds, 1.0), MAX_RETRY_AFTER)


@dataclass(frozen=True, slots=True)
class Pace:
    """Seconds between calls: app-wide, and to one channel."""

    app: float = TIER3_GAP
    channel: float = CHANNEL_GAP


class Pacer:
    """Turns to call Slack, per channel inside the app's pace, shared by every replica."""

    def __init__(
        self,
        store: SlackPacer | None = None,
        *,
        pace: Pace | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ):
        self.store: SlackPacer = store if store is not None else MemoryPacer()
        self.pace = pace if pace is not None else Pace()
        self._sleep = sleep

    async def turn(self, channel: str) -> bool:
        """Wait until a call to `channel` may go (and take the turn); True if it waited."""
        waited = False
        while (left := await self.store.slot(channel, self.pace.app, self.pace.channel)) > 0:
            await self._sleep(left)
            waited = True
        return waited

    async def held(self, failed: SlackCallFailed, channel: str) -> bool:
        """After `ratelimited`: hold the channel or the app for Retry-After; False otherwise."""
        if not failed.ratelimited:
            return False
        seconds = failed.retry_after if failed.retry_after is not None else 1.0
        await self.store.hold(seconds, channel if failed.per_channel else None)
        return True
