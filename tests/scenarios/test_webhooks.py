"""POST /pivotal/webhooks over loopback, signed with the standardwebhooks library's signer."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.pivotal.webhooks import CUSTOMER_EVENTS
from bot.sandbox.pivotal.deliveries import WebhookSender, envelope, new_secret, sign
from tests.scenarios.harness import Harness, running_bot, until

SECRET = new_secret()
OLD_SECRET = new_secret()


@pytest.fixture
async def bot() -> AsyncIterator[Harness]:
    async with running_bot(pivotal_webhook_secret=f"{SECRET} {OLD_SECRET}") as bot:
        yield bot


def sender(bot: Harness, secret: str = SECRET) -> WebhookSender:
    return WebhookSender(f"{bot.url}/pivotal/webhooks", secret, bot.http)


def rest(bot: Harness, display_id: int, **changes: Any) -> dict[str, Any]:
    (found,) = [c for c in bot.pivotal.customers if c["display_id"] == display_id]
    return {**found, **changes}


def later(bot: Harness, display_id: int, minutes: int = 1) -> str:
    updated = datetime.fromisoformat(rest(bot, display_id)["updated_at"])
    return (updated + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def fields(card: Any) -> str:
    if isinstance(card, dict):
        return json.dumps(card["blocks"])
    return repr(card)


async def deliver(bot: Harness, event: dict[str, Any], secret: str = SECRET) -> int:
    assert bot.deps.hooks is not None
    before = bot.deps.hooks.applied
    response = await sender(bot, secret).deliver(event)
    if response.status_code == 202 and event["type"] in CUSTOMER_EVENTS:
        await until(lambda: bot.deps.hooks is not None and bot.deps.hooks.applied > before)
    return response.status_code


async def test_full_update_becomes_the_card_with_no_get(bot: Harness) -> None:
    obj = rest(bot, 42, plan="growth", mrr=150000, updated_at=later(bot, 42))
    assert await deliver(bot, envelope("customer.updated", obj, previous={"plan": "x"})) == 202
    bot.pivotal.clear_requests()
    card = await bot.lookup("42")
    assert "growth" in fields(card) and "$1,500" in fields(card)
    assert bot.pivotal.customer_gets() == 0


async def test_created_customer_is_found_by_name_at_once(bot: Harness) -> None:
    new = {"id": "cl_new000000000000000000001", "display_id": 900, "name": "Brand New Co",
           "slug": "brand-new-co", "domain": "brandnew.example"}  # fmt: skip
    obj = {**rest(bot, 42), **new}
    assert await deliver(bot, envelope("customer.created", obj)) == 202
    assert bot.deps.directory.get("900") is not None  # by id at once
    bot.deps.directory.exact("brand new co")  # by name once the index is rebuilt, off-loop
    await until(lambda: bool(bot.deps.directory.exact("brand new co")))
    bot.pivotal.clear_requests()
    card = await bot.lookup("brand new co")
    assert card["blocks"][0]["text"]["text"] == "Brand New Co"
    assert bot.pivotal.customer_gets() == 0


async def test_redelivery_is_a_2xx_no_op(bot: Harness) -> None:
    event = envelope("customer.updated", rest(bot, 42, plan="growth", updated_at=later(bot, 42)))
    assert await deliver(bot, event) == 202
    again = await sender(bot).deliver(event)
    assert again.status_code == 200 and again.json() == {"status": "duplicate"}
    assert bot.deps.hooks is not None and bot.deps.hooks.applied == 1


async def test_an_older_state_never_overwrites_a_newer_one(bot: Harness) -> None:
    newer = envelope("customer.updated", rest(bot, 42, plan="newer", updated_at=later(bot, 42, 5)))
    older = envelope("customer.updated", rest(bot, 42, plan="older", updated_at=later(bot, 42, 1)))
    assert await deliver(bot, newer) == 202
    assert await deliver(bot, older) == 202
    card = await bot.lookup("42")
    assert "newer" in fields(card) and "older" not in fields(card)


async def test_partial_events_out_of_order_keep_the_later_one(bot: Harness) -> None:
    now = datetime.now(UTC)
    named = {"name": "Acme Co."}  # previous_attributes: the object carries every change
    first = envelope("customer.updated", {"id": "cus_1", "display_id": 42, "name": "Acme Later"},
                     previous=named, created_at=now)  # fmt: skip
    stale = envelope("customer.updated", {"id": "cus_1", "display_id": 42, "name": "Acme Before"},
                     previous=named, created_at=now - timedelta(seconds=30))  # fmt: skip
    assert await deliver(bot, first) == 202
    assert await deliver(bot, stale) == 202
    card = await bot.lookup("42")
    assert card["blocks"][0]["text"]["text"] == "Acme Later"


async def test_partial_object_merges_at_once_then_one_refetch_brings_the_rest(
    bot: Harness,
) -> None:
    obj = {"id": "cus_2N", "display_id": 42, "name": "Acme Renamed", "health_score": 38,
           "previous_health_score": 72, "at_risk": True, "churned": False,
           "owner_email": "csm@example.com"}  # fmt: skip
    bot.pivotal.upsert(rest(bot, 42, name="Acme Renamed", plan="scale", status="at_risk",
                            updated_at=later(bot, 42)))  # fmt: skip
    bot.pivotal.clear_requests()
    bot.pivotal.set_fault("hang")  # hold the refetch until the merge is checked
    assert await deliver(bot, envelope("customer.updated", obj)) == 202
    await until(lambda: bot.pivotal.customer_gets() == 1)
    card = await bot.lookup("42")
    assert card["blocks"][0]["text"]["text"] == "Acme Renamed"
    assert "At risk" in fields(card) and "scale" not in fields(card)
    signals = bot.deps.signals.get(42)
    assert signals is not None and signals.health_score == 38
    assert signals.owner_email == "csm@example.com"
    assert "*Owner*\\ncsm@example.com" in fields(card)
    bot.pivotal.set_fault(None)
    await until(lambda: "scale" in fields(bot.deps.lookup.best_copy("42")))
    assert bot.pivotal.customer_gets() == 1


async def test_partial_whose_changes_it_carries_needs_no_refetch(bot: Harness) -> None:
    obj = {"id": "cus_2N", "display_id": 42, "health_score": 38, "previous_health_score": 72}
    event = envelope("customer.updated", obj, previous={"health_score": 72})
    bot.pivotal.clear_requests()
    assert await deliver(bot, event) == 202
    assert bot.deps.hooks is not None and len(bot.deps.hooks.refetcher) == 0
    assert bot.pivotal.customer_gets() == 0


@pytest.mark.parametrize(
    ("kind", "status"),
    [("customer.archived", "Archived"), ("customer.churned", "Churned"),
     ("customer.at_risk", "At risk")],
)  # fmt: skip
async def test_status_events(bot: Harness, kind: str, status: str) -> None:
    assert await deliver(bot, envelope(kind, {"id": "cus_1", "display_id": 42})) == 202
    card = await bot.lookup("42")
    assert status in fields(card)


async def test_health_score_dropped_updates_health(bot: Harness) -> None:
    obj = {"id": "cus_1", "display_id": 42, "health_score": 41, "previous_health_score": 77}
    assert await deliver(bot, envelope("customer.health_score_dropped", obj)) == 202
    signals = bot.deps.signals.get(42)
    assert signals is not None and (signals.health_score, signals.previous_health_score) == (41, 77)
    assert "*Health*\\n41, down from 77" in fields(await bot.lookup("42"))


@pytest.mark.parametrize("kind", ["webhook.ping", "onboarding.launched", "customer.renamed"])
async def test_ping_and_unknown_types_are_accepted_and_change_nothing(
    bot: Harness, kind: str
) -> None:
    before = await bot.lookup("42")
    assert await deliver(bot, envelope(kind, {"id": "x_1", "display_id": 42, "name": "No"})) == 202
    await until(lambda: not bot.deps.inflight.tasks)
    assert fields(await bot.lookup("42")) == fields(before)


async def test_old_and_new_secret_both_accepted_during_rotation(bot: Harness) -> None:
    obj = rest(bot, 42, plan="rotated", updated_at=later(bot, 42))
    assert await deliver(bot, envelope("customer.updated", obj), secret=OLD_SECRET) == 202
    assert "rotated" in fields(await bot.lookup("42"))


def _body(bot: Harness) -> bytes:
    event = envelope("customer.updated", rest(bot, 42, plan="forged", updated_at=later(bot, 42)))
    return json.dumps(event).encode()


def _forged(bot: Harness) -> tuple[bytes, dict[str, str]]:
    body = _body(bot)
    return body, sign(body, new_secret(), message_id="msg_1")


def _stale(bot: Harness) -> tuple[bytes, dict[str, str]]:
    body = _body(bot)
    return body, sign(body, SECRET, message_id="msg_1", at=datetime.now(UTC) - timedelta(minutes=6))


def _tampered(bot: Harness) -> tuple[bytes, dict[str, str]]:
    body = _body(bot)
    headers = sign(body, SECRET, message_id="msg_1")
    return body.replace(b"forged", b"Forged"), headers


def _unsigned(bot: Harness) -> tuple[bytes, dict[str, str]]:
    body = _body(bot)
    headers = sign(body, SECRET, message_id="msg_1")
    headers["svix-signature"] = "v1,"
    return body, headers


def _missing(bot: Harness) -> tuple[bytes, dict[str, str]]:
    body = _body(bot)
    headers = sign(body, SECRET, message_id="msg_1")
    del headers["svix-timestamp"]
    return body, headers


def _not_json(bot: Harness) -> tuple[bytes, dict[str, str]]:
    body = b"customer.updated 42 plan=forged"
    return body, sign(body, SECRET, message_id="msg_1")


def _oversized(bot: Harness) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"pad": "x" * (300 * 1024)}).encode()
    return body, sign(body, SECRET, message_id="msg_1")


@pytest.mark.parametrize(
    ("make", "status"),
    [(_forged, 401), (_stale, 401), (_tampered, 401), (_unsigned, 401), (_missing, 400),
     (_not_json, 400), (_oversized, 413)],
    ids=["forged", "stale", "tampered", "unsigned", "missing-headers", "non-json", "oversized"],
)  # fmt: skip
async def test_refused_deliveries_change_nothing(
    bot: Harness, make: Callable[[Harness], tuple[bytes, dict[str, str]]], status: int
) -> None:
    body, headers = make(bot)
    response = await sender(bot).post_raw(body, headers)
    assert response.status_code == status
    assert "error" in response.json()
    assert bot.deps.hooks is not None and bot.deps.hooks.applied == 0
    assert "forged" not in fields(await bot.lookup("42"))


async def test_oversized_body_without_content_length_is_cut_off(bot: Harness) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(100):
            yield b"x" * 8192

    response = await bot.http.post(f"{bot.url}/pivotal/webhooks", content=chunks(),
                                   headers=sign(b"{}", SECRET, message_id="msg_1"))  # fmt: skip
    assert response.status_code == 413


async def test_endpoint_is_404_without_a_secret() -> None:
    async with running_bot() as bot:
        assert bot.deps.hooks is None
        event = envelope("customer.updated", rest(bot, 42, plan="growth"))
        response = await sender(bot).deliver(event)
        assert response.status_code == 404
