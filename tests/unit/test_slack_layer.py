"""The Slack layer's seams: card modes by channel, the frozen listener deps, listen()."""

from __future__ import annotations

import dataclasses
from functools import partial
from types import SimpleNamespace
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError

from bot.blocks.message import CardMode, CardSettings, Message
from bot.slack.deps import InFlight, ListenerDeps
from bot.slack.listen import Reply, listen
from bot.slack.privacy import ChannelSharing


class Conversations:
    """conversations.info answering from a dict of channel -> channel object, or failing."""

    def __init__(self, channels: dict[str, dict[str, Any]]):
        self.channels = channels
        self.asked: list[str] = []

    async def conversations_info(self, *, channel: str) -> dict[str, Any]:
        self.asked.append(channel)
        if channel not in self.channels:
            raise SlackApiError("channel_not_found", {"ok": False, "error": "channel_not_found"})
        return {"ok": True, "channel": self.channels[channel]}


CHANNELS = {
    "C0OWN": {"is_ext_shared": False},
    "C0CONNECT": {"is_ext_shared": True},
    "C0PENDING": {"is_pending_ext_shared": True},
    "C0TEAMS": {"connected_team_ids": ["T1", "T2"]},
}


@pytest.mark.parametrize("shared", list(CardMode))
@pytest.mark.parametrize(
    ("channel", "hint", "external"),
    [
        ("C0OWN", None, False),
        ("C0CONNECT", None, True),
        ("C0PENDING", None, True),
        ("C0TEAMS", None, True),
        ("C0UNKNOWN", None, True),  # sharing status unreadable: fail closed
        ("D0DIRECT", None, False),  # a direct message is never shared
        ("C0CONNECT", False, False),  # the event said so: believed, not asked
        ("C0OWN", True, True),
    ],
)
async def test_card_mode(shared: CardMode, channel: str, hint: bool | None, external: bool) -> None:
    client = Conversations(CHANNELS)
    sharing = ChannelSharing(client, shared=shared)  # type: ignore[arg-type]
    expected = shared if external else CardMode.FULL
    assert await sharing.card_mode(channel, hint) is expected
    assert await sharing.card_mode(channel) is expected
    # Remembered per channel; an unreadable status is asked again next time.
    assert len(client.asked) <= (2 if channel == "C0UNKNOWN" else 1)


def listener_deps(inflight: InFlight | None = None) -> ListenerDeps:
    return ListenerDeps(
        lookup=SimpleNamespace(),  # type: ignore[arg-type]
        cards=CardSettings(app_url="https://my.pivotal.app"),
        sharing=SimpleNamespace(),  # type: ignore[arg-type]
        inflight=inflight if inflight is not None else InFlight(),
        slack=SimpleNamespace(),  # type: ignore[arg-type]
        app_url="https://my.pivotal.app",
        directory=SimpleNamespace(),  # type: ignore[arg-type]
        recent=SimpleNamespace(),  # type: ignore[arg-type]
        lists=SimpleNamespace(),  # type: ignore[arg-type]
        people=SimpleNamespace(),  # type: ignore[arg-type]
        follows=SimpleNamespace(),  # type: ignore[arg-type]
        outbox=SimpleNamespace(),  # type: ignore[arg-type]
    )


def test_listener_deps_are_frozen() -> None:
    deps = listener_deps()
    with pytest.raises(dataclasses.FrozenInstanceError):
        deps.lookup = SimpleNamespace()  # type: ignore[misc]
    assert "settings" not in {f.name for f in dataclasses.fields(ListenerDeps)}
    assert "pivotal" not in {f.name for f in dataclasses.fields(ListenerDeps)}


class Ack:
    """Stands in for Bolt's AsyncAck: callable, and `response` once called."""

    def __init__(self, acked: list[dict[str, Any]]) -> None:
        self.acked = acked
        self.response: object = None

    async def __call__(self, **body: Any) -> None:
        self.acked.append(body)
        self.response = body


class Request:
    """Stands in for Bolt's AsyncArgs: records the ack and what was posted to respond."""

    def __init__(self) -> None:
        self.acked: list[dict[str, Any]] = []
        self.responded: list[dict[str, Any]] = []
        self.ack = Ack(self.acked)
        self.respond = self._respond

    async def _respond(self, **body: Any) -> SimpleNamespace:
        self.responded.append(body)
        return SimpleNamespace(status_code=200, body="")


def registered(first: Any, inflight: InFlight) -> Any:
    routes: list[Any] = []
    listen(routes.append, listener_deps(inflight), first)
    assert len(routes) == 1
    return routes[0]


async def test_listen_acks_with_the_reply_and_runs_the_rest_after() -> None:
    inflight, order = InFlight(), []
    card = Message("Acme", [{"type": "section", "text": {"type": "mrkdwn", "text": "Acme"}}])

    async def later() -> None:
        order.append("later")

    def first(deps: ListenerDeps, args: Any) -> Reply:
        order.append("first")
        return Reply(Reply.card(card).ack, later=later)

    request = Request()
    await registered(first, inflight)(args=request)
    assert request.acked == [{"response_type": "ephemeral", "text": "Acme", "blocks": card.blocks}]
    assert await inflight.drain(1) == 0
    assert order == ["first", "later"]


@pytest.mark.parametrize("fails", ["first", "later"])
async def test_listen_contains_failures_and_the_user_still_hears(fails: str) -> None:
    inflight = InFlight()

    async def later() -> None:
        raise RuntimeError("boom")

    def first(deps: ListenerDeps, args: Any) -> Reply:
        if fails == "first":
            raise RuntimeError("boom")
        return Reply(later=later)

    request = Request()
    await registered(first, inflight)(args=request)
    assert await inflight.drain(1) == 0
    assert request.acked == [{}]
    assert len(request.responded) == 1
    assert "went wrong" in str(request.responded[0]).lower()


def test_a_bound_listener_is_named_by_its_function() -> None:
    def on_thing(state: object, deps: ListenerDeps, args: Any) -> Reply:
        return Reply()

    assert registered(partial(on_thing, None), InFlight()).__name__ == "on_thing"
