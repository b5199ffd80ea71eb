"""The Slack call seam: every failure one exception, classified once; the pacer on top."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError, SlackRequestError

from bot.slack.webapi import (
    Kind,
    Pace,
    Pacer,
    SlackCallFailed,
    attempt,
    call,
)
from bot.state.pacer import MemoryPacer
from tests.unit.live_fakes import Response


class Answer(Response):
    """An AsyncSlackResponse as the SDK raises it: data, status_code and headers."""

    def __init__(self, data: dict[str, Any], status: int = 200, **headers: str) -> None:
        super().__init__(data, headers)
        self.data, self.status_code = data, status


async def refused(error: str, status: int = 200, **headers: str) -> SlackCallFailed:
    async def request() -> None:
        raise SlackApiError("refused", Answer({"ok": False, "error": error}, status, **headers))

    with pytest.raises(SlackCallFailed) as caught:
        await call("chat.update", request())
    return caught.value


@pytest.mark.parametrize(
    ("error", "status", "kind"),
    [
        # gone: the target is gone for good, or out of the app's reach
        ("channel_not_found", 200, Kind.GONE),
        ("cannot_find_channel", 200, Kind.GONE),
        ("not_in_channel", 200, Kind.GONE),
        ("is_archived", 200, Kind.GONE),
        ("message_not_found", 200, Kind.GONE),
        ("cant_update_message", 200, Kind.GONE),
        ("cannot_unfurl_message", 200, Kind.GONE),
        ("not_found", 200, Kind.GONE),
        # transient: may work later
        ("ratelimited", 429, Kind.TRANSIENT),
        ("message_limit_exceeded", 200, Kind.TRANSIENT),
        ("fatal_error", 200, Kind.TRANSIENT),
        ("internal_error", 500, Kind.TRANSIENT),
        ("service_unavailable", 503, Kind.TRANSIENT),
        ("request_timeout", 200, Kind.TRANSIENT),
        ("", 502, Kind.TRANSIENT),
        # permanent: the install or our payload; and anything unnamed
        ("invalid_auth", 200, Kind.PERMANENT),
        ("account_inactive", 200, Kind.PERMANENT),
        ("token_revoked", 200, Kind.PERMANENT),
        ("missing_scope", 200, Kind.PERMANENT),
        ("no_permission", 200, Kind.PERMANENT),
        ("invalid_blocks", 200, Kind.PERMANENT),
        ("msg_too_long", 200, Kind.PERMANENT),
        ("something_slack_added_later", 200, Kind.PERMANENT),
    ],
)
async def test_every_slack_error_has_one_kind(error: str, status: int, kind: Kind) -> None:
    failed = await refused(error, status)
    assert failed.kind is kind
    assert failed.error == (error or f"http_{status}")
    assert failed.gone is (kind is Kind.GONE)
    assert failed.retryable is (kind is Kind.TRANSIENT)
    assert failed.method == "chat.update" and failed.status == status
    assert isinstance(failed.__cause__, SlackApiError)


@pytest.mark.parametrize(
    ("error", "status", "uncertain"),
    [("internal_error", 200, True), ("fatal_error", 200, True), ("", 503, True),
     ("ratelimited", 429, False), ("channel_not_found", 200, False),
     ("invalid_auth", 200, False)],
)  # fmt: skip
async def test_a_failure_says_when_the_call_may_have_happened(
    error: str, status: int, uncertain: bool
) -> None:
    assert (await refused(error, status)).uncertain is uncertain


@pytest.mark.parametrize(
    ("header", "expected"),
    [({"Retry-After": "7"}, 7.0), ({"retry-after": "3"}, 3.0), ({}, 1.0),
     ({"Retry-After": "0"}, 1.0), ({"Retry-After": "3600"}, 60.0),
     ({"Retry-After": "soon"}, 1.0), ({"Retry-After": "nan"}, 1.0)],
)  # fmt: skip
async def test_ratelimited_carries_its_retry_after(header: dict[str, str], expected: float) -> None:
    failed = await refused("ratelimited", 429, **header)
    assert failed.ratelimited and failed.retry_after == expected


async def test_a_429_without_an_error_is_ratelimited_and_others_carry_no_wait() -> None:
    assert (await refused("", 429)).ratelimited
    assert (await refused("internal_error", 500, **{"Retry-After": "5"})).retry_after is None


@pytest.mark.parametrize(
    "exc",
    [
        TimeoutError(),
        ConnectionResetError(),
        aiohttp.ServerDisconnectedError(),
        SlackRequestError("bad"),
    ],
)
async def test_no_answer_is_transient_uncertain_and_named_by_its_type(exc: Exception) -> None:
    async def request() -> None:
        raise exc

    with pytest.raises(SlackCallFailed) as caught:
        await call("chat.postMessage", request())
    failed = caught.value
    assert failed.kind is Kind.TRANSIENT and failed.uncertain
    assert failed.error == type(exc).__name__ and failed.retry_after is None
    assert failed.__cause__ is exc


async def test_a_bug_is_not_a_slack_failure() -> None:
    async def request() -> None:
        raise KeyError("ours")

    with pytest.raises(KeyError):
        await call("chat.update", request())


async def test_an_answer_that_is_not_json_is_classified_by_its_status() -> None:
    class Raw:  # the SDK raises an aiohttp response when the body is not JSON
        def __init__(self) -> None:
            self.status, self.headers = 503, {"Content-Type": "text/html"}

    async def request() -> None:
        raise SlackApiError("not json", Raw())

    with pytest.raises(SlackCallFailed) as caught:
        await call("views.open", request())
    assert caught.value.kind is Kind.TRANSIENT and caught.value.error == "http_503"


async def test_attempt_logs_a_failure_and_answers_none(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bot")

    async def ok() -> dict[str, Any]:
        return {"ok": True}

    async def gone() -> None:
        raise SlackApiError("no", Answer({"ok": False, "error": "channel_not_found"}))

    assert await attempt("views.open", ok()) == {"ok": True}
    assert await attempt("views.open", gone()) is None
    assert "event=slack.call.failed method=views.open error=channel_not_found kind=gone" in (
        caplog.text
    )


# --- the pacer -----------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.t = 100.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.t += seconds


def pacer(clock: Clock, pace: Pace | None = None) -> Pacer:
    return Pacer(MemoryPacer(monotonic=clock), pace=pace, sleep=clock.sleep)


async def test_a_turn_waits_for_the_apps_and_the_channels_gap() -> None:
    clock = Clock()
    paced = pacer(clock, Pace(app=0.5, channel=2.0))
    assert await paced.turn("C1") is False
    assert await paced.turn("C2") is True and clock.waits == [0.5]
    assert await paced.turn("C1") is True and clock.waits == [0.5, 1.5]


@pytest.mark.parametrize(
    ("method", "held_channel", "held_other"),
    [("chat.update", 7.0, 7.0), ("chat.unfurl", 7.0, 7.0), ("chat.postMessage", 7.0, 0.0)],
)
async def test_ratelimited_holds_the_channel_or_the_whole_app(
    method: str, held_channel: float, held_other: float
) -> None:
    clock = Clock()
    paced = pacer(clock, Pace(app=0.0, channel=0.0))
    failed = SlackCallFailed.refused(method, "ratelimited", status=429, retry_after=7)
    assert await paced.held(failed, "C1") is True
    assert await paced.store.slot("C1", 0.0, 0.0) == pytest.approx(held_channel)
    assert await paced.store.slot("C2", 0.0, 0.0) == pytest.approx(held_other)


async def test_other_failures_hold_nothing() -> None:
    clock = Clock()
    paced = pacer(clock, Pace(app=0.0, channel=0.0))
    for error in ("internal_error", "channel_not_found", "message_limit_exceeded"):
        assert await paced.held(SlackCallFailed.refused("chat.update", error), "C1") is False
    assert await paced.turn("C1") is False


async def test_the_default_pace_is_tier3_for_the_app_and_a_second_per_channel() -> None:
    assert Pace() == Pace(app=1.2, channel=1.0)
    paced = Pacer()
    assert await asyncio.wait_for(paced.turn("C1"), 1) is False
