"""Tests for the fake Slack Web API and response_url sink, driven by the real slack_sdk."""

from __future__ import annotations

import asyncio
import json
import re
import ssl
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.sandbox.slack.server import DEFAULT_SCOPES, FakeSlack

TOKEN = "xoxb-test-123"
URL = "https://my.pivotal.app/customers/42-acme-co"
BLOCKS: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Acme*"}}]
TLS = ssl.create_default_context()  # loopback HTTP only; shared so httpx skips loading CAs


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def client(slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=TOKEN, base_url=slack.base_url)


def http() -> httpx.AsyncClient:
    return httpx.AsyncClient(verify=TLS, timeout=5)


async def test_urls(slack: FakeSlack) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/api/", slack.base_url)
    root = slack.base_url.removesuffix("api/")
    assert slack.response_url_base == root + "response/"
    assert slack.response_url("tok") == root + "response/tok"
    with pytest.raises(RuntimeError):
        _ = FakeSlack().base_url


async def test_auth_test_identity_and_scopes(slack: FakeSlack, client: AsyncWebClient) -> None:
    resp = await client.auth_test()
    assert resp["ok"] is True
    assert (resp["team_id"], resp["user_id"], resp["bot_id"]) == ("T0SANDBOX", "U0BOT", "B0BOT")
    assert resp["url"] == "https://sandbox.slack.com/"
    assert resp.headers["x-oauth-scopes"] == DEFAULT_SCOPES
    slack.scopes = "commands,chat:write"
    assert (await client.auth_test()).headers["x-oauth-scopes"] == "commands,chat:write"


async def test_chat_unfurl_arrives_as_json(slack: FakeSlack, client: AsyncWebClient) -> None:
    resp = await client.chat_unfurl(
        channel="C024BE7LT", ts="1732560000.000100", unfurls={URL: {"blocks": BLOCKS}}
    )
    assert resp["ok"] is True
    (call,) = slack.calls_to("chat.unfurl")
    assert call.headers["Content-Type"].startswith("application/json")
    assert call.body == {
        "channel": "C024BE7LT",
        "ts": "1732560000.000100",
        "unfurls": {URL: {"blocks": BLOCKS}},
    }
    assert call.authorized and call.http_method == "POST"
    assert call.headers["Authorization"] == "Bearer REDACTED"
    assert TOKEN not in repr(slack.calls) and TOKEN not in slack.all_bodies_text()


async def test_conversations_info(slack: FakeSlack, client: AsyncWebClient) -> None:
    default = await client.conversations_info(channel="C0PLAIN")
    channel = default["channel"]
    assert channel["id"] == "C0PLAIN" and channel["is_channel"] is True
    assert channel["is_ext_shared"] is False and channel["is_shared"] is False
    assert channel["is_pending_ext_shared"] is False and channel["is_private"] is False
    (call,) = slack.calls_to("conversations.info")
    assert call.http_method == "GET" and call.body == {"channel": "C0PLAIN"}

    slack.set_channel("C0SHARED", ext_shared=True, name="acme-shared")
    shared = (await client.conversations_info(channel="C0SHARED"))["channel"]
    assert shared["is_ext_shared"] is True and shared["name"] == "acme-shared"

    slack.set_channel("C0GONE", error="channel_not_found")
    with pytest.raises(SlackApiError) as exc:
        await client.conversations_info(channel="C0GONE")
    assert exc.value.response["error"] == "channel_not_found"
    assert exc.value.response.status_code == 200


async def test_post_message_and_ephemeral(slack: FakeSlack, client: AsyncWebClient) -> None:
    first = await client.chat_postMessage(channel="C1", text="hi", blocks=BLOCKS)
    second = await client.chat_postMessage(channel="C1", text="again")
    assert first["channel"] == "C1" and float(second["ts"]) > float(first["ts"])
    assert first["message"]["blocks"] == BLOCKS
    eph = await client.chat_postEphemeral(channel="C1", user="U1", text="psst")
    assert eph["ok"] is True and eph["message_ts"]
    assert [c.method for c in slack.calls] == [
        "chat.postMessage",
        "chat.postMessage",
        "chat.postEphemeral",
    ]
    assert slack.calls_to("chat.postEphemeral")[0].body["user"] == "U1"


async def test_form_encoded_body_and_query_params(slack: FakeSlack) -> None:
    form = {"channel": "C1", "text": "hello", "blocks": json.dumps(BLOCKS), "unfurls": "{bad"}
    async with http() as c:
        resp = await c.post(
            slack.base_url + "chat.postMessage",
            params={"thread_ts": "1.2"},
            data=form,
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
    assert resp.json()["ok"] is True
    (call,) = slack.calls_to("chat.postMessage")
    assert call.body["blocks"] == BLOCKS  # JSON-in-form fields are decoded
    assert call.body["unfurls"] == "{bad"  # ...when they are valid JSON
    assert (call.body["channel"], call.body["text"], call.body["thread_ts"]) == (
        "C1",
        "hello",
        "1.2",
    )


async def test_unknown_method_is_ok(slack: FakeSlack, client: AsyncWebClient) -> None:
    resp = await client.api_call("views.publish", json={"user_id": "U1", "view": {"type": "home"}})
    assert resp["ok"] is True
    assert slack.calls_to("views.publish")[0].body["view"] == {"type": "home"}


@pytest.mark.parametrize(
    "header", [None, "Bearer xoxp-user-token", "xoxb-no-scheme", "Bearer xoxb-"]
)
async def test_invalid_auth_is_recorded_and_redacted(slack: FakeSlack, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    async with http() as c:
        resp = await c.post(slack.base_url + "chat.unfurl", json={"channel": "C1"}, headers=headers)
    assert resp.status_code == 200
    assert resp.json() == {"ok": False, "error": "invalid_auth"}
    (call,) = slack.calls
    assert call.authorized is False and call.body == {"channel": "C1"}
    if header is None:
        assert "Authorization" not in call.headers
    else:
        assert call.headers["Authorization"] == "Bearer REDACTED"


async def test_lowercase_header_name_is_redacted(slack: FakeSlack) -> None:
    async with http() as c:
        headers = {"authorization": f"bearer {TOKEN}"}
        resp = await c.post(slack.base_url + "auth.test", headers=headers)
    assert resp.json()["ok"] is True
    assert slack.calls[0].headers["Authorization"] == "Bearer REDACTED"
    assert TOKEN not in repr(slack.calls)


async def test_invalid_auth_via_slack_sdk(slack: FakeSlack) -> None:
    user_client = AsyncWebClient(token="xoxp-user", base_url=slack.base_url)
    with pytest.raises(SlackApiError) as exc:
        await user_client.chat_postMessage(channel="C1", text="x")
    assert exc.value.response["error"] == "invalid_auth"


async def test_token_allow_list() -> None:
    async with FakeSlack(tokens=["xoxb-good"]) as slack:
        good = AsyncWebClient(token="xoxb-good", base_url=slack.base_url)
        bad = AsyncWebClient(token="xoxb-other", base_url=slack.base_url)
        assert (await good.auth_test())["ok"] is True
        with pytest.raises(SlackApiError):
            await bad.auth_test()


async def test_wait_for(slack: FakeSlack, client: AsyncWebClient) -> None:
    async def later() -> None:
        await asyncio.sleep(0.02)
        await client.chat_unfurl(channel="C1", ts="1.1", unfurls={URL: {"blocks": BLOCKS}})

    task = asyncio.create_task(later())
    calls = await slack.wait_for("chat.unfurl", timeout=2)
    await task
    assert len(calls) == 1 and calls[0].body["ts"] == "1.1"
    assert await slack.wait_for("chat.unfurl", timeout=0.01) == calls  # already satisfied
    with pytest.raises(TimeoutError, match=r"expected 2 call\(s\) to chat\.unfurl.*got 1"):
        await slack.wait_for("chat.unfurl", count=2, timeout=0.05)


async def test_fail_with_count_then_recovers(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.fail("chat.unfurl", "ratelimited", status=429, retry_after=1, count=1)
    with pytest.raises(SlackApiError) as exc:
        await client.chat_unfurl(channel="C1", ts="1.1", unfurls={URL: {"blocks": BLOCKS}})
    assert exc.value.response.status_code == 429
    assert exc.value.response.headers["Retry-After"] == "1"
    assert exc.value.response["error"] == "ratelimited"
    ok = await client.chat_unfurl(channel="C1", ts="1.1", unfurls={URL: {"blocks": BLOCKS}})
    assert ok["ok"] is True
    assert len(slack.calls_to("chat.unfurl")) == 2  # failed calls are recorded too
    assert (await client.auth_test())["ok"] is True  # other methods unaffected


async def test_fail_until_cleared(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.fail("chat.postMessage", "channel_not_found")
    for _ in range(2):
        with pytest.raises(SlackApiError) as exc:
            await client.chat_postMessage(channel="C1", text="x")
        assert exc.value.response.status_code == 200
        assert exc.value.response["error"] == "channel_not_found"
    slack.clear_faults()
    assert (await client.chat_postMessage(channel="C1", text="x"))["ok"] is True
    with pytest.raises(ValueError):
        slack.fail("chat.postMessage", "x", count=0)


async def test_response_sink(slack: FakeSlack) -> None:
    hook = AsyncWebhookClient(slack.response_url("tok1"))
    resp = await hook.send(text="hello", blocks=BLOCKS, response_type="ephemeral")
    assert resp.status_code == 200
    (post,) = await slack.wait_for_response(timeout=2)
    assert post.token == "tok1"
    assert post.body == {"text": "hello", "blocks": BLOCKS, "response_type": "ephemeral"}
    async with http() as c:
        await c.post(slack.response_url("tok2"), content=b"not json")
    assert slack.responses[-1].body == {"_raw": "not json"}
    with pytest.raises(TimeoutError, match="response_url"):
        await slack.wait_for_response(count=3, timeout=0.05)


async def test_response_sink_fault(slack: FakeSlack) -> None:
    slack.fail("response_url", "expired_url", status=404, count=1)
    hook = AsyncWebhookClient(slack.response_url("tok"))
    assert (await hook.send(text="a")).status_code == 404
    assert (await hook.send(text="b")).status_code == 200
    assert [r.body["text"] for r in slack.responses] == ["a", "b"]


async def test_all_bodies_text_and_clear(slack: FakeSlack, client: AsyncWebClient) -> None:
    await client.chat_postMessage(channel="C1", text="from-call <Smith & Sons>")
    await AsyncWebhookClient(slack.response_url("t")).send(text="from-response")
    text = slack.all_bodies_text()
    assert "from-call <Smith & Sons>" in text and "from-response" in text
    assert TOKEN not in text
    slack.clear()
    assert slack.calls == [] and slack.responses == [] and slack.all_bodies_text() == ""


async def test_stop_is_idempotent() -> None:
    fake = FakeSlack()
    await fake.start()
    await fake.stop()
    await fake.stop()
    with pytest.raises(RuntimeError):
        _ = fake.response_url_base
