"""LiveCards' turn: coalesced, never the same card twice, never older, paced, polite."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from bot.blocks.message import CardMode, CardSettings
from bot.lookup.query import IdQuery, Query
from bot.lookup.service import Outcome
from bot.pivotal.models import Customer
from bot.slack.cards import remember_unfurls
from bot.slack.live import LiveCards
from bot.slack.webapi import Pace, Pacer
from bot.state.live import MemoryLiveCards, Posted
from bot.state.pacer import MemoryPacer
from tests.unit.live_fakes import FakeClient, FakeLookup, Response, acme

CARDS = CardSettings(app_url="https://my.pivotal.app")


class Sleeps:
    """A sleep that returns at once and moves its clock on (the pacer reads the clock)."""

    def __init__(self) -> None:
        self.waits: list[float] = []
        self.t = 1000.0

    def clock(self) -> float:
        return self.t

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.t += seconds


def live_cards(
    customer: Customer | None,
    registry: Any = None,
    lookup: FakeLookup | None = None,
    store: Any = None,
    **kwargs: Any,
) -> tuple[LiveCards, FakeClient, FakeLookup, Sleeps]:
    client, sleeps = FakeClient(), Sleeps()
    lookup = lookup if lookup is not None else FakeLookup(customer)
    registry = registry if registry is not None else MemoryLiveCards()
    store = store if store is not None else MemoryPacer(monotonic=sleeps.clock)
    pacer = Pacer(store, pace=Pace(app=0.0, channel=0.0), sleep=sleeps)
    live = LiveCards(client, lookup, CARDS, registry, pacer=pacer, **kwargs)  # type: ignore[arg-type]
    return live, client, lookup, sleeps


async def turn(live: LiveCards) -> None:
    """Let the loop work through everything queued, then stop it."""
    task = asyncio.create_task(live.run())
    for _ in range(10_000):  # every await in a turn is a fake: a few hundred steps do it
        await asyncio.sleep(0)
        if live.idle:
            break
    assert live.idle
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


SHARED = Posted("C0GENERAL", "1700000000.000100", "full", shared_by="U0PERSON")
UNFURL = Posted("C0GENERAL", "1700000000.000200", "minimal",
                url="https://my.pivotal.app/customers/42")  # fmt: skip


async def test_changes_before_its_turn_make_one_update_per_card() -> None:
    live, client, _, _ = live_cards(acme(1, plan="growth"))
    await live.remember(42, SHARED)
    await live.remember(42, UNFURL)
    for _ in range(10):
        live.changed(42)
    await turn(live)
    assert sorted(m for m, _ in client.calls) == ["chat.unfurl", "chat.update"]
    (update,) = [kw for m, kw in client.calls if m == "chat.update"]
    assert update["channel"] == "C0GENERAL" and update["ts"] == SHARED.ts
    assert "Shared by <@U0PERSON>" in json.dumps(update["blocks"])
    (unfurl,) = [kw for m, kw in client.calls if m == "chat.unfurl"]
    assert "$" not in json.dumps(unfurl["unfurls"])  # minimal: no money in that channel
    assert live.updates == 2


async def test_a_card_that_would_look_the_same_is_not_sent_again() -> None:
    live, client, lookup, _ = live_cards(acme(1, plan="growth"))
    await live.remember(42, SHARED)
    live.changed(42)
    await turn(live)
    live.changed(42)  # e.g. told again by another replica
    await turn(live)
    assert len(client.calls) == 1 and live.unchanged == 1 and lookup.resolved == 2
    lookup.customer = acme(2, plan="scale")
    live.changed(42)
    await turn(live)
    assert len(client.calls) == 2 and "scale" in client.calls[-1][1]["text"]


async def test_an_older_copy_is_never_drawn_over_a_newer_one() -> None:
    live, client, lookup, _ = live_cards(acme(5, plan="scale"))
    await live.remember(42, SHARED)
    live.changed(42)
    await turn(live)
    lookup.customer = acme(1, plan="growth")  # a replica still holding an earlier copy
    live.changed(42)
    await turn(live)
    assert len(client.calls) == 1 and live.unchanged == 1


async def test_a_customer_without_cards_or_a_lookup_that_fails_sends_nothing() -> None:
    live, client, lookup, _ = live_cards(None)
    live.changed(7)
    await live.remember(42, SHARED)
    live.changed(42)
    await turn(live)
    assert client.calls == [] and lookup.resolved == 1


async def test_ratelimited_holds_back_then_goes_through() -> None:
    live, client, _, sleeps = live_cards(acme(1))
    client.errors.append(Response({"ok": False, "error": "ratelimited"}, {"Retry-After": "7"}))
    await live.remember(42, SHARED)
    live.changed(42)
    await turn(live)
    assert [m for m, _ in client.calls] == ["chat.update", "chat.update"]
    assert sleeps.waits == [7.0]  # the pacer held every call back for Retry-After
    assert live.updates == 1


@pytest.mark.parametrize("error", ["message_not_found", "channel_not_found", "is_archived"])
async def test_a_deleted_message_is_dropped_from_the_registry(error: str) -> None:
    live, client, _, _ = live_cards(acme(1))
    client.errors.append(Response({"ok": False, "error": error}))
    await live.remember(42, SHARED)
    live.changed(42)
    await turn(live)
    assert live.dropped == 1 and len(live) == 0
    live.changed(42)
    await turn(live)
    assert len(client.calls) == 1


async def test_another_failure_keeps_the_card_for_the_next_change() -> None:
    live, client, lookup, _ = live_cards(acme(1))
    client.errors.append(Response({"ok": False, "error": "internal_error"}))
    await live.remember(42, SHARED)
    live.changed(42)
    await turn(live)
    lookup.customer = acme(2, plan="scale")
    live.changed(42)
    await turn(live)
    assert len(client.calls) == 2 and live.updates == 1 and len(live) == 1


class Contended(MemoryLiveCards):
    """A registry whose lease another replica holds for the first `held` asks."""

    def __init__(self, held: int) -> None:
        super().__init__()
        self.held = held
        self.asked = 0

    async def lease(self, posted: Posted, seconds: float) -> str | None:
        self.asked += 1
        return None if self.asked <= self.held else await super().lease(posted, seconds)


async def test_a_card_another_replica_is_drawing_is_looked_at_again() -> None:
    registry = Contended(held=2)
    live, client, _, _ = live_cards(acme(1), registry, held_retry=0.01)
    await live.remember(42, SHARED)
    live.changed(42)
    task = asyncio.create_task(live.run())
    for _ in range(500):
        if client.calls:
            break
        await asyncio.sleep(0.01)
    task.cancel()
    assert registry.asked == 3 and len(client.calls) == 1


class SlowTurn(MemoryPacer):
    """Another replica draws the card while this one waits for the pacer's turn."""

    def __init__(self, registry: MemoryLiveCards, drawn_meanwhile: Any) -> None:
        super().__init__()
        self.registry, self.meanwhile = registry, drawn_meanwhile
        self.asked = 0

    async def slot(self, channel: str, gap: float, channel_gap: float) -> float:
        self.asked += 1
        if self.asked == 1:
            return 5.0
        await self.registry.drew(SHARED, self.meanwhile)
        return 0.0


async def test_a_card_drawn_elsewhere_during_a_long_wait_is_not_sent_again() -> None:
    customer = acme(1, plan="growth")
    elsewhere, _, _, _ = live_cards(customer)  # the other replica, drawing the same card
    await elsewhere.remember(42, SHARED)
    elsewhere.changed(42)
    await turn(elsewhere)
    shown = await elsewhere.registry.drawn(SHARED)
    assert shown is not None
    registry = MemoryLiveCards()
    live, client, _, _ = live_cards(customer, registry, store=SlowTurn(registry, shown))
    await live.remember(42, SHARED)
    live.changed(42)
    await turn(live)
    assert client.calls == [] and live.unchanged == 1


async def test_an_unaddressable_post_or_unfurl_is_not_kept() -> None:
    live, _, _, _ = live_cards(acme(1))
    await remember_unfurls(live, {"channel": "C0GENERAL"}, {"https://x/customers/42": 42},
                           CardMode.FULL)  # fmt: skip
    assert len(live) == 0
    await remember_unfurls(live, {"channel": "C0GENERAL", "message_ts": "1.2"},
                           {"https://x/customers/42": 42}, CardMode.FULL)  # fmt: skip
    assert len(live) == 1


class Flaky(FakeLookup):
    """A lookup with a bug that shows for one customer."""

    async def resolve(self, query: Query) -> Outcome:
        if query == IdQuery("7"):
            raise RuntimeError("a bug")
        return await super().resolve(query)


async def test_a_bug_while_redrawing_one_card_leaves_the_others_and_the_loop_alive() -> None:
    live, client, _, _ = live_cards(acme(1), lookup=Flaky(acme(1)))
    await live.remember(7, Posted("C0GENERAL", "1.7", "full"))
    await live.remember(42, SHARED)
    live.changed(7)
    live.changed(42)
    await turn(live)
    assert [kw["ts"] for _, kw in client.calls] == [SHARED.ts]
