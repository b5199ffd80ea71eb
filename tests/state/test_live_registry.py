"""The live-card registry: one contract in memory and in a real Redis, and what only Redis adds."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.blocks.message import CardMode
from bot.state.live import KEEP_SECONDS, LOCAL, Drawn, LiveRegistry, MemoryLiveCards, Posted
from bot.state.live_shared import SharedLiveCards
from bot.state.redis import SharedRedis
from tests.redis_server import RedisServer


class Clock:
    def __init__(self, t: float = 1_700_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def card(ts: str = "1700000000.000100", mode: str = "full", **fields: Any) -> Posted:
    return Posted("C0GENERAL", ts, mode, **fields)


@pytest.fixture(params=["memory", "redis"])
async def registry(request: pytest.FixtureRequest) -> AsyncIterator[LiveRegistry]:
    if request.param == "memory":
        yield MemoryLiveCards()
        return
    server: RedisServer = request.getfixturevalue("redis")
    shared = SharedRedis.from_url(server.url, cooldown=0.0)
    yield SharedLiveCards(shared)
    await shared.aclose()


# --- the contract, for every registry ------------------------------------------------------


async def test_cards_are_kept_per_customer_once_per_message(registry: LiveRegistry) -> None:
    await registry.add(42, card("1.1"))
    await registry.add(42, card("1.1"))  # the same message again: still one card
    await registry.add(42, card("1.1", url="https://my.pivotal.app/customers/42"))
    await registry.add(7, card("2.2"))
    assert sorted((p.ts, p.url or "") for p in await registry.cards(42)) == [
        ("1.1", ""),
        ("1.1", "https://my.pivotal.app/customers/42"),
    ]
    assert [p.ts for p in await registry.cards(7)] == ["2.2"]
    assert await registry.cards(99) == []


async def test_what_comes_back_is_what_went_in(registry: LiveRegistry) -> None:
    posted = card(url="https://my.pivotal.app/customers/42", shared_by="U0PERSON",
                  target=(("unfurl_id", "Uxyz"), ("source", "composer")))  # fmt: skip
    await registry.add(42, posted)
    (back,) = await registry.cards(42)
    assert (back.channel, back.ts, back.mode, back.url, back.shared_by, back.target) == (
        posted.channel, posted.ts, "full", posted.url, "U0PERSON", posted.target,
    )  # fmt: skip
    assert back.at > 0  # stamped when registered


async def test_a_dropped_card_is_gone_with_what_it_showed(registry: LiveRegistry) -> None:
    one, two = card("1.1"), card("2.2")
    await registry.add(42, one)
    await registry.add(42, two)
    await registry.drew(one, Drawn("abc", 1.0))
    await registry.drop(42, one)
    assert [p.ts for p in await registry.cards(42)] == ["2.2"]
    assert await registry.drawn(one) is None


async def test_what_a_message_last_showed(registry: LiveRegistry) -> None:
    posted = card()
    assert await registry.drawn(posted) is None
    await registry.drew(posted, Drawn("abc", 10.0))
    assert await registry.drawn(posted) == Drawn("abc", 10.0)
    await registry.drew(posted, Drawn("def", 11.0))
    assert await registry.drawn(posted) == Drawn("def", 11.0)


async def test_a_lease_is_a_token_to_give_back(registry: LiveRegistry) -> None:
    token = await registry.lease(card(), 5.0)
    assert token
    await registry.release(card(), token)
    assert await registry.lease(card(), 5.0)


# --- what the shapes mean ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after", "covered"),
    [
        (Drawn("a", 10.0), Drawn("a", 10.0), True),  # the same card
        (Drawn("a", 10.0), Drawn("a", 11.0), True),  # same look, newer version: nothing to do
        (Drawn("a", 10.0), Drawn("b", 10.0), False),  # same version, new look (health, stale)
        (Drawn("a", 10.0), Drawn("b", 11.0), False),  # newer
        (Drawn("a", 11.0), Drawn("b", 10.0), True),  # older: never drawn over a newer one
    ],
)
def test_drawn_covers(before: Drawn, after: Drawn, covered: bool) -> None:
    assert before.covers(after) is covered


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "text",
        [],
        {},
        {"channel": "C1", "ts": "1.1", "mode": "full"},  # no time
        {"channel": "", "ts": "1.1", "mode": "full", "at": 1.0},
        {"channel": "C1", "ts": 1.1, "mode": "full", "at": 1.0},
        {"channel": "C1", "ts": "1.1", "mode": "full", "at": "yesterday"},
        {"channel": "C1", "ts": "1.1", "mode": "full", "at": 1.0, "url": 5},
        {"channel": "C1", "ts": "1.1", "mode": "full", "at": 1.0, "target": [["unfurl_id"]]},
        {"channel": "C1", "ts": "1.1", "mode": "full", "at": 1.0, "target": "unfurl_id"},
        {"channel": "C1", "ts": "1.1", "mode": "everything", "at": 1.0},  # not a CardMode
    ],
)
def test_entries_that_are_not_ours_read_as_nothing(raw: object) -> None:
    assert Posted.load(raw) is None


def test_an_entry_round_trips_through_json() -> None:
    posted = card(url="https://x/customers/1", shared_by="U1", target=(("source", "c"),), at=5.0)
    back = Posted.load(json.loads(json.dumps(posted.dump())))
    assert back == posted and back.mode is CardMode.FULL


def test_the_message_key_keeps_every_part_apart() -> None:
    assert card("1.1", url="a").key != card("1.1a", url="").key
    assert card("1.1").key == card("1.1", shared_by="U1", mode="minimal").key


# --- memory: bounded and aged --------------------------------------------------------------


async def test_memory_forgets_cards_after_seven_days() -> None:
    clock = Clock()
    registry = MemoryLiveCards(clock=clock)
    await registry.add(42, card("1.1"))
    clock.t += KEEP_SECONDS - 60
    await registry.add(42, card("2.2"))
    clock.t += 120
    assert [p.ts for p in await registry.cards(42)] == ["2.2"]
    assert len(registry) == 1


async def test_memory_is_bounded_by_cards() -> None:
    registry = MemoryLiveCards(max_cards=5)
    for n in range(20):
        await registry.add(n % 3, card(f"{n}.0"))
    assert len(registry) == 5
    assert sum([len(await registry.cards(n)) for n in range(3)]) == 5


# --- Redis: shared, aged, trimmed, and down ------------------------------------------------


@pytest.fixture
async def replicas(redis: RedisServer) -> AsyncIterator[list[SharedRedis]]:
    clients = [SharedRedis.from_url(redis.url, cooldown=0.0) for _ in range(2)]
    yield clients
    for client in clients:
        await client.aclose()


async def test_a_card_posted_through_one_replica_is_known_to_another(
    replicas: list[SharedRedis],
) -> None:
    one, two = SharedLiveCards(replicas[0]), SharedLiveCards(replicas[1])
    await one.add(42, card("1.1"))
    assert [p.ts for p in await two.cards(42)] == ["1.1"]
    ttl = await replicas[0].client.pttl(replicas[0].key("live", "42"))
    assert KEEP_SECONDS * 1000 - 60_000 < ttl <= KEEP_SECONDS * 1000
    await two.drew(card("1.1"), Drawn("abc", 1.0))
    assert await one.drawn(card("1.1")) == Drawn("abc", 1.0)
    await two.drop(42, card("1.1"))
    assert await two.cards(42) == []


async def test_a_lease_is_held_by_one_replica_at_a_time(replicas: list[SharedRedis]) -> None:
    one, two = SharedLiveCards(replicas[0]), SharedLiveCards(replicas[1])
    token = await one.lease(card(), 5.0)
    assert token and token != LOCAL
    assert await two.lease(card(), 5.0) is None
    assert await two.lease(card("other"), 5.0)  # other messages are free
    await two.release(card(), "not-the-token")  # a stranger's release changes nothing
    assert await two.lease(card(), 5.0) is None
    await one.release(card(), token)
    assert await two.lease(card(), 5.0)


async def test_entries_past_seven_days_or_unreadable_are_ignored_and_removed(
    replicas: list[SharedRedis],
) -> None:
    registry = SharedLiveCards(replicas[0])
    await registry.add(42, card("new"))
    key = replicas[0].key("live", "42")
    old = card("old", at=1_000.0)  # posted long ago
    await replicas[0].client.hset(key, mapping={old.key: json.dumps(old.dump()), "junk": "{"})
    assert [p.ts for p in await SharedLiveCards(replicas[1]).cards(42)] == ["new"]
    assert sorted(await replicas[0].client.hkeys(key)) == [card("new").key.encode()]


async def test_a_customer_keeps_its_newest_cards_when_over_the_cap(
    replicas: list[SharedRedis],
) -> None:
    registry = SharedLiveCards(replicas[0], per_customer=3)
    for n in range(5):
        await registry.add(42, card(f"{n}.0", at=time.time() + n))
    assert await replicas[0].client.hlen(replicas[0].key("live", "42")) == 3
    other = SharedLiveCards(replicas[1], per_customer=3)
    assert sorted(p.ts for p in await other.cards(42)) == ["2.0", "3.0", "4.0"]


async def test_redis_down_leaves_this_replicas_own_cards(
    redis: RedisServer, replicas: list[SharedRedis]
) -> None:
    one, two = SharedLiveCards(replicas[0]), SharedLiveCards(replicas[1])
    await one.add(42, card("mine"))
    await two.add(42, card("theirs"))
    redis.hang()  # nothing answers; what it holds stays
    try:
        await one.add(42, card("during"))
        assert sorted(p.ts for p in await one.cards(42)) == ["during", "mine"]
        assert await one.lease(card("mine"), 5.0) == LOCAL  # this process decides alone
        await one.drew(card("mine"), Drawn("abc", 1.0))
        assert await one.drawn(card("mine")) == Drawn("abc", 1.0)
    finally:
        redis.resume()
    # Back up: what Redis holds, and the card posted here while it was down.
    assert sorted(p.ts for p in await one.cards(42)) == ["during", "mine", "theirs"]
