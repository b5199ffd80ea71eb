"""Promise 1: only signed, fresh requests from allowed workspaces are processed; each event once.

"Processed" is seen from outside: a Pivotal request, a response_url post or a chat.unfurl.
Every refusal test ends with a correctly signed control, so "nothing happened" cannot come
from a request the bot would have ignored anyway.
"""

from __future__ import annotations

import asyncio
import json
import time
from urllib.parse import urlencode, urlsplit

import httpx

from bot.sandbox.slack.driver import sign
from bot.sandbox.slack.payloads import TEAM_ID, USER_ID
from tests.scenarios.harness import Harness, running_bot

ACME = "https://my.pivotal.app/customers/42"
UNKNOWN = "https://my.pivotal.app/customers/999"
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
QUIET = 0.3  # how long "nothing happens" is watched for; work starts within milliseconds
RETRY = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}

Request = tuple[bytes, str]  # body, content type


def command(bot: Harness, team_id: str = TEAM_ID) -> Request:
    body, _token = bot.command_body("999", team_id=team_id)  # unknown: needs a Pivotal GET
    return body, FORM


def link_event(bot: Harness, team_id: str = TEAM_ID, event_id: str | None = None) -> Request:
    event = {
        "type": "link_shared",
        "channel": "C0GENERAL",
        "user": USER_ID,
        "message_ts": "1732560000.000100",
        "links": [{"domain": "my.pivotal.app", "url": u} for u in (ACME, UNKNOWN)],
        "event_ts": "1732560000.000200",
    }
    return bot.event_body(event, team_id=team_id, event_id=event_id), JSON


def pick_action(bot: Harness, team_id: str = TEAM_ID) -> Request:
    payload = {
        "type": "block_actions",
        "team": {"id": team_id, "domain": "sandbox"},
        "user": {"id": USER_ID, "team_id": team_id},
        "api_app_id": "A0PIVOTAL",
        "container": {"type": "message", "is_ephemeral": True},
        "channel": {"id": "C0GENERAL", "name": "general"},
        "response_url": bot.slack.response_url(f"pick-{team_id}"),
        "actions": [
            {
                "type": "button",
                "action_id": "customer_pick",
                "block_id": "b1",
                "value": "customer:998",
                "action_ts": "1732560000.1",
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)}).encode(), FORM


def forgeries(body: bytes, secret: str) -> dict[str, tuple[bytes, dict[str, str]]]:
    """Name -> (body actually sent, signature headers) for every way a request can be false."""
    now = int(time.time())
    good = sign(body, secret=secret)
    digest = good["X-Slack-Signature"].removeprefix("v0=")
    tampered = body.replace(b"999", b"998") if b"999" in body else body + b" "
    assert tampered != body
    return {
        "missing": (body, {}),
        "signature without timestamp": (body, {"X-Slack-Signature": good["X-Slack-Signature"]}),
        "timestamp without signature": (body, {"X-Slack-Request-Timestamp": str(now)}),
        "wrong secret": (body, sign(body, secret="not-the-signing-secret")),
        "tampered body": (tampered, good),
        "timestamp swapped": (body, {**good, "X-Slack-Request-Timestamp": str(now - 1)}),
        "zeros": (body, {**good, "X-Slack-Signature": "v0=" + "0" * 64}),
        "v1 scheme": (body, {**good, "X-Slack-Signature": "v1=" + digest}),
        "stale (301 s)": (body, sign(body, secret=secret, timestamp=now - 301)),
        "stale (a day)": (body, sign(body, secret=secret, timestamp=now - 86_400)),
        # Time runs on while the test posts, so "future" keeps a margin past the 300 s window.
        "future (330 s)": (body, sign(body, secret=secret, timestamp=now + 330)),
    }


async def post(
    bot: Harness, body: bytes, content_type: str, headers: dict[str, str]
) -> httpx.Response:
    return await bot.post(body, content_type, signed=False, headers=headers)


def assert_nothing_processed(bot: Harness) -> None:
    assert bot.pivotal.requests == [], [r.path for r in bot.pivotal.requests]
    assert bot.slack.responses == []
    assert [c.method for c in bot.slack.calls if c.method != "auth.test"] == []


async def assert_all_processed(bot: Harness, team_id: str = TEAM_ID) -> None:
    """The control: the same three requests, correctly signed, are each acted on."""
    for body, content_type in (
        command(bot, team_id),
        link_event(bot, team_id),
        pick_action(bot, team_id),
    ):
        response = await bot.post(body, content_type)
        assert response.status_code == 200, response.text
    await bot.slack.wait_for("chat.unfurl")
    await bot.slack.wait_for_response(count=2)
    assert bot.pivotal.customer_gets() >= 1


async def test_missing_forged_tampered_and_stale_signatures_get_401_and_nothing_runs() -> None:
    async with running_bot(cache_ttl_seconds=0.01) as bot:
        bot.pivotal.clear_requests()
        bot.slack.clear()
        tried = 0
        for body, content_type in (command(bot), link_event(bot), pick_action(bot)):
            for name, (sent, headers) in forgeries(body, bot.secret).items():
                response = await post(bot, sent, content_type, headers)
                assert response.status_code == 401, (name, content_type, response.text)
                tried += 1
        await asyncio.sleep(QUIET)
        assert_nothing_processed(bot)
        print(f"\n[security] {tried} forged requests refused with 401")
        await assert_all_processed(bot)


async def test_a_signature_a_few_minutes_old_is_still_accepted() -> None:
    async with running_bot() as bot:
        body, content_type = command(bot)
        headers = sign(body, secret=bot.secret, timestamp=int(time.time()) - 240)
        response = await post(bot, body, content_type, headers)
        assert response.status_code == 200


async def test_malformed_timestamps_get_401_and_nothing_runs() -> None:
    async with running_bot() as bot:
        bot.pivotal.clear_requests()
        bot.slack.clear()
        statuses = {}
        for timestamp in ("abc", "", "1732560000.5", "9" * 400):
            for body, content_type in (command(bot), link_event(bot), pick_action(bot)):
                headers = {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": "v0=00"}
                response = await post(bot, body, content_type, headers)
                statuses[(timestamp[:12], content_type)] = response.status_code
        await asyncio.sleep(QUIET)
        assert bot.slack.responses == [], "a forged request made the bot POST to its response_url"
        assert set(statuses.values()) == {401}, statuses


async def post_and_hang_up(url: str, body: bytes, headers: dict[str, str]) -> None:
    """Deliver a request and close the connection without reading the ack (a lost ack)."""
    parts = urlsplit(url)
    assert parts.hostname and parts.port
    _reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    lines = [
        "POST /slack/events HTTP/1.1",
        f"Host: {parts.netloc}",
        f"Content-Length: {len(body)}",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    await writer.drain()
    writer.close()
    await writer.wait_closed()


async def test_retries_of_an_event_whose_ack_was_lost_are_not_processed_again(bot: Harness) -> None:
    body, content_type = link_event(bot, event_id="Ev0LOSTACK")
    headers = {"Content-Type": content_type, **sign(body, secret=bot.secret)}
    await post_and_hang_up(bot.url, body, headers)
    await bot.slack.wait_for("chat.unfurl")  # the first delivery was processed
    for attempt, reason in ((1, "http_timeout"), (2, "http_timeout"), (3, "connection_failed")):
        retry = {"X-Slack-Retry-Num": str(attempt), "X-Slack-Retry-Reason": reason}
        response = await bot.post(body, content_type, headers=retry)
        assert response.status_code == 200
    await asyncio.sleep(QUIET)
    assert len(bot.slack.calls_to("chat.unfurl")) == 1


async def test_a_retry_racing_its_original_is_processed_once(bot: Harness) -> None:
    body, content_type = link_event(bot, event_id="Ev0RACE")
    first, retry = await asyncio.gather(
        bot.post(body, content_type), bot.post(body, content_type, headers=RETRY)
    )
    assert (first.status_code, retry.status_code) == (200, 200)
    await bot.slack.wait_for("chat.unfurl")
    await asyncio.sleep(QUIET)
    assert len(bot.slack.calls_to("chat.unfurl")) == 1


async def test_a_retry_whose_original_never_arrived_is_processed(bot: Harness) -> None:
    body, content_type = link_event(bot, event_id="Ev0ONLYRETRY")
    response = await bot.post(body, content_type, headers={**RETRY, "X-Slack-Retry-Num": "2"})
    assert response.status_code == 200
    await bot.slack.wait_for("chat.unfurl")
    # Dedupe is by event_id, not by content: the same links in a new event unfurl again.
    other, _ = link_event(bot, event_id="Ev0NEWEVENT")
    await bot.post(other, content_type)
    await bot.slack.wait_for("chat.unfurl", count=2)


async def test_only_allowed_workspaces_are_served() -> None:
    async with running_bot(allowed_team_ids="T0SANDBOX, T0PARTNER", cache_ttl_seconds=0.01) as bot:
        bot.pivotal.clear_requests()
        bot.slack.clear()
        for body, content_type in (
            command(bot, "T0EVIL"),
            link_event(bot, "T0EVIL"),
            pick_action(bot, "T0EVIL"),
        ):
            response = await bot.post(body, content_type)
            assert response.status_code == 403, response.text
        no_team, _ = bot.command_body("999", team_id="")
        assert (await bot.post(no_team, FORM)).status_code == 403
        await asyncio.sleep(QUIET)
        assert_nothing_processed(bot)
        await assert_all_processed(bot, "T0SANDBOX")
        ack, token = await bot.command("7", team_id="T0PARTNER")
        assert ack.status_code == 200
        assert "Globex" in json.dumps(ack.json() if ack.content else await bot.answer(token))
