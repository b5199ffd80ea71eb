"""The fake Slack keeps what was posted per channel, reads it back through
conversations.history / conversations.replies, and fails one channel's calls on demand."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox.slack.server import FakeSlack

TOKEN = "xoxb-test-123"
TAG = {"event_type": "pivotal_notification", "event_payload": {"notification_id": 7}}


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def client(slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=TOKEN, base_url=slack.base_url, retry_handlers=[])


async def test_history_is_newest_first_pages_and_shows_metadata_only_when_asked(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    posted = [
        (await client.chat_postMessage(channel="C1", text=f"m{n}", metadata=TAG))["ts"]
        for n in range(5)
    ]
    await client.chat_postMessage(channel="C2", text="elsewhere")
    page = await client.conversations_history(channel="C1", limit=2, include_all_metadata=True)
    assert [m["text"] for m in page["messages"]] == ["m4", "m3"]
    assert page["messages"][0]["metadata"] == TAG and page["has_more"]
    cursor = page["response_metadata"]["next_cursor"]
    rest = await client.conversations_history(channel="C1", limit=10, cursor=cursor)
    assert [m["text"] for m in rest["messages"]] == ["m2", "m1", "m0"]
    assert "metadata" not in rest["messages"][0] and not rest["has_more"]
    bounded = await client.conversations_history(channel="C1", oldest=posted[1], latest=posted[4])
    assert [m["text"] for m in bounded["messages"]] == ["m3", "m2"]  # both ends exclusive
    assert (await client.conversations_history(channel="C9"))["messages"] == []


async def test_replies_stay_in_their_thread_unless_broadcast_and_updates_edit_the_kept_message(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    parent = (await client.chat_postMessage(channel="C1", text="parent"))["ts"]
    await client.chat_postMessage(channel="C1", text="quiet", thread_ts=parent, metadata=TAG)
    await client.chat_postMessage(channel="C1", text="loud", thread_ts=parent, reply_broadcast=True)
    await client.chat_update(channel="C1", ts=parent, text="parent, edited")
    history = await client.conversations_history(channel="C1")
    assert [m["text"] for m in history["messages"]] == ["loud", "parent, edited"]
    thread = await client.conversations_replies(channel="C1", ts=parent, include_all_metadata=True)
    assert [m["text"] for m in thread["messages"]] == ["parent, edited", "quiet", "loud"]
    assert thread["messages"][1]["metadata"] == TAG
    assert thread["messages"][1]["thread_ts"] == parent
    assert [m["text"] for m in slack.posted("C1")] == ["parent, edited", "quiet", "loud"]
    with pytest.raises(SlackApiError) as missing:
        await client.conversations_replies(channel="C1", ts="1.0")
    assert missing.value.response["error"] == "thread_not_found"


async def test_one_channels_calls_fail_as_told_and_others_do_not(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    slack.fail_channel("C1", "chat.postMessage", "not_in_channel")
    slack.fail_channel("C2", "chat.postMessage", "ratelimited", status=429, retry_after=30,
                       count=1)  # fmt: skip
    slack.fail_channel("C3", "chat.postMessage", "service_unavailable", status=503, count=2)
    with pytest.raises(SlackApiError) as gone:
        await client.chat_postMessage(channel="C1", text="x")
    assert gone.value.response["error"] == "not_in_channel"
    with pytest.raises(SlackApiError) as limited:
        await client.chat_postMessage(channel="C2", text="x")
    assert limited.value.response.status_code == 429
    assert limited.value.response.headers["Retry-After"] == "30"
    assert (await client.chat_postMessage(channel="C2", text="x"))["ok"]  # count ran out
    for _ in range(2):
        with pytest.raises(SlackApiError) as down:
            await client.chat_postMessage(channel="C3", text="x")
        assert down.value.response.status_code == 503
    assert (await client.chat_postMessage(channel="C3", text="x"))["ok"]
    assert (await client.chat_update(channel="C1", ts="1.0", text="x"))["ok"]  # other methods
    assert (await client.chat_postMessage(channel="C4", text="x"))["ok"]
    assert [m["text"] for m in slack.posted("C1")] == []
    slack.clear_faults()
    assert (await client.chat_postMessage(channel="C1", text="x"))["ok"]


async def test_message_ts_can_follow_a_clock(slack: FakeSlack, client: AsyncWebClient) -> None:
    default = (await client.chat_postMessage(channel="C1", text="a"))["ts"]
    assert default == "1700000001.000001"  # the counter, unchanged by default
    slack.set_clock(lambda: 1_800_000_000.25)
    first = (await client.chat_postMessage(channel="C1", text="b"))["ts"]
    second = (await client.chat_postMessage(channel="C1", text="c"))["ts"]
    assert (first, second) == ("1800000000.250000", "1800000000.250001")
