"""A card in Slack: where a clicked card is, how it is drawn again, what is kept of unfurls."""

from __future__ import annotations

from typing import Any

import pytest

from bot.blocks.message import CardMode, Message
from bot.slack.cards import clicked, draw, remember_unfurls, unfurl_target
from bot.slack.webapi import Kind, SlackCallFailed
from bot.state.live import MemoryLiveCards, Posted
from tests.unit.live_fakes import FakeClient, Response

CARD = Message("Acme Co.", [{"type": "section", "text": {"type": "mrkdwn", "text": "Acme"}}])
URL = "https://my.pivotal.app/customers/42"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"container": {"type": "message", "channel_id": "C1", "message_ts": "1.2"}},
         Posted("C1", "1.2", CardMode.MINIMAL)),
        ({"container": {"type": "message", "message_ts": "1.2"}, "channel": {"id": "C2"}},
         Posted("C2", "1.2", CardMode.MINIMAL)),
        ({"container": {"type": "message_attachment", "is_app_unfurl": True, "channel_id": "C1",
                        "message_ts": "1.2"}, "app_unfurl": {"app_unfurl_url": URL}},
         Posted("C1", "1.2", CardMode.MINIMAL, url=URL)),
        ({"container": {"is_app_unfurl": True, "channel_id": "C1", "message_ts": "1.2"}}, None),
        ({"container": {"type": "message", "channel_id": "C1"}}, None),  # no ts
        ({"container": {"type": "message", "message_ts": "1.2"}}, None),  # no channel
        ({}, None),
    ],
)  # fmt: skip
def test_where_a_clicked_card_is(body: dict[str, Any], expected: Posted | None) -> None:
    assert clicked(body, CardMode.MINIMAL) == expected


async def test_a_message_is_drawn_again_with_chat_update() -> None:
    client = FakeClient()
    await draw(client, Posted("C1", "1.2", CardMode.FULL), CARD)  # type: ignore[arg-type]
    assert client.calls == [("chat.update", {"channel": "C1", "ts": "1.2", "text": "Acme Co.",
                                             "blocks": CARD.blocks})]  # fmt: skip


@pytest.mark.parametrize(
    ("target", "address"),
    [((), {"channel": "C1", "ts": "1.2"}),
     ((("unfurl_id", "U9"), ("source", "composer")), {"unfurl_id": "U9", "source": "composer"})],
)  # fmt: skip
async def test_an_unfurl_is_drawn_again_where_it_was_addressed(
    target: tuple[tuple[str, str], ...], address: dict[str, str]
) -> None:
    client = FakeClient()
    posted = Posted("C1", "1.2", CardMode.FULL, url=URL, target=target)
    await draw(client, posted, CARD)  # type: ignore[arg-type]
    ((method, sent),) = client.calls
    assert method == "chat.unfurl"
    assert sent == {"unfurls": {URL: {"blocks": CARD.blocks}}, **address}


async def test_a_refused_redraw_is_one_classified_failure() -> None:
    client = FakeClient()
    client.errors.append(Response({"ok": False, "error": "message_not_found"}))
    with pytest.raises(SlackCallFailed) as caught:
        await draw(client, Posted("C1", "1.2", CardMode.FULL), CARD)  # type: ignore[arg-type]
    assert caught.value.kind is Kind.GONE and caught.value.method == "chat.update"


async def test_unfurls_are_kept_with_their_composer_address() -> None:
    registry = MemoryLiveCards()

    class Book:
        async def remember(self, display_id: int, posted: Posted) -> None:
            await registry.add(display_id, posted)

        async def kept(self, display_id: int, posted: Posted) -> Posted | None:
            return None

    event = {"channel": "C1", "message_ts": "1.2", "unfurl_id": "U9", "source": "composer"}
    await remember_unfurls(Book(), event, {URL: 42, f"{URL}-acme": 42}, CardMode.MINIMAL)
    kept = await registry.cards(42)
    assert sorted(p.url or "" for p in kept) == [URL, f"{URL}-acme"]
    assert all(p.target == unfurl_target(event) and p.mode is CardMode.MINIMAL for p in kept)
    assert unfurl_target({"unfurl_id": "U9"}) == ()  # both or neither
