"""/customer end to end: signed POSTs in, response_url posts and Pivotal requests out."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from bot.pivotal.ratelimit import RateGovernor
from bot.sandbox.pivotal.data import sample_customers
from tests.scenarios.harness import Harness, running_bot


def texts(message: dict[str, Any]) -> str:
    """Every visible string in a message, for asserting wording."""
    return json.dumps(message.get("blocks", []), ensure_ascii=False) + message.get("text", "")


def header(message: dict[str, Any]) -> str:
    return str(message["blocks"][0]["text"]["text"])


async def test_cold_lookup_acks_before_pivotal_and_answers_at_response_url() -> None:
    async with running_bot(wait_ready=False) as bot:
        await bot.wait_ready()
        bot.pivotal.clear_requests()
        bot.pivotal.latency = 0.3
        # Expire what the walk fetched so this lookup must go to Pivotal.
        bot.expire_copies()
        ack, token = await bot.command("42")
        assert ack.status_code == 200
        assert ack.text == ""
        assert bot.pivotal.customer_gets() == 0 or ack.elapsed.total_seconds() < 0.3
        answer = await bot.answer(token)
        assert header(answer) == "Acme Co."
        assert answer["response_type"] == "ephemeral"
        assert "$1,250" in texts(answer)
        assert bot.pivotal.customer_gets() == 1


async def test_warm_lookup_rides_on_the_ack(bot: Harness) -> None:
    bot.pivotal.clear_requests()
    ack, token = await bot.command("#42")
    assert ack.status_code == 200
    body = ack.json()
    assert body["response_type"] == "ephemeral"
    assert header(body) == "Acme Co."
    assert bot.pivotal.requests == []
    await asyncio.sleep(0.05)
    assert [r for r in bot.slack.responses if r.token == token] == []


async def test_unknown_number_says_so(bot: Harness) -> None:
    ack, token = await bot.command("999")
    assert ack.status_code == 200
    answer = await bot.answer(token)
    assert "no customer #999" in texts(answer).lower()


async def test_help(bot: Harness) -> None:
    ack, _ = await bot.command("help")
    assert "/customer 42" in texts(ack.json())


async def test_linked_channel_shows_its_customer(bot: Harness) -> None:
    ack, _ = await bot.command("", channel_id="C024BE7LT")
    assert header(ack.json()) == "Acme Co."


async def test_unlinked_channel_explains(bot: Harness) -> None:
    ack, _ = await bot.command("", channel_id="C0UNLINKED1")
    message = texts(ack.json())
    assert "not linked to a customer" in message
    assert "/customer 42" in message


async def test_app_url_as_slack_sends_it(bot: Harness) -> None:
    ack, _ = await bot.command("<https://my.pivotal.app/customers/42-acme-co|Acme>")
    assert header(ack.json()) == "Acme Co."


async def test_exact_name_slug_or_domain_shows_the_card(bot: Harness) -> None:
    for text in ("acme co", "Acme Co.", "acme-co", "acme.com"):
        ack, _ = await bot.command(text)
        assert header(ack.json()) == "Acme Co.", text


async def test_several_matches_offer_a_pick_list_that_opens_the_card(bot: Harness) -> None:
    ack, _ = await bot.command("acme")
    message = ack.json()
    assert "2 customers match" in texts(message)
    buttons = [b["accessory"] for b in message["blocks"] if "accessory" in b]
    assert [b["action_id"] for b in buttons] == [
        "customer_pick",
        "customer_pick",
        "customer_picker",
    ]
    response, token = await bot.action("customer_pick", buttons[0]["value"])
    assert response.status_code == 200
    picked = await bot.answer(token)
    assert picked["replace_original"] is True
    assert header(picked) in ("Acme Co.", "Acme Rockets")


async def test_a_typo_finds_the_customer(bot: Harness) -> None:
    ack, _ = await bot.command("acmee")
    assert "Acme Co." in texts(ack.json())


async def test_many_matches_say_how_many_in_all(bot: Harness) -> None:
    ack, _ = await bot.command("s")
    # Counted apart from the search code: a word of the name or slug, or a label of the
    # domain before its top-level one, starts with "s".
    word = re.compile(r"(?:^|[^a-z0-9])s", re.IGNORECASE)

    def matches(c: dict[str, Any]) -> bool:
        domain = (c["domain"] or "").rsplit(".", 1)[0] if "." in (c["domain"] or "") else ""
        return any(word.search(text or "") for text in (c["name"], c["slug"], domain))

    expected = sum(matches(c) for c in sample_customers())
    assert expected > 10
    assert f"More than 10 customers match *s* ({expected} in all)" in texts(ack.json())


async def test_no_match_for_a_name(bot: Harness) -> None:
    ack, _ = await bot.command("zzzz-no-such-company")
    assert "No customer matches" in texts(ack.json())


async def test_cuid(bot: Harness) -> None:
    ack, _ = await bot.command("cl9bn00of0000g7l8gcq8c4xk")
    assert header(ack.json()) == "Acme Co."


async def test_revoked_key_tells_user_an_admin_must_fix_it(bot: Harness) -> None:
    bot.expire_copies()
    bot.pivotal.revoke_key("pivotal_test_sandbox")
    ack, token = await bot.command("7")
    assert ack.status_code == 200
    answer = await bot.answer(token)
    assert "admin" in texts(answer).lower()
    assert "PIVOTAL_API_KEY" in texts(answer)


async def test_unavailable_serves_stale_copy_with_as_of_note(bot: Harness) -> None:
    bot.expire_copies()
    bot.pivotal.set_fault("error_500")
    _ack, token = await bot.command("42")
    answer = await bot.answer(token)
    assert header(answer) == "Acme Co."
    assert "as of" in texts(answer)
    assert bot.pivotal.customer_gets() <= 3


async def test_rate_limited_uncached_says_try_again_in_n_seconds(bot: Harness) -> None:
    newcomer = {**bot.pivotal.customers[0], "id": "cnewcomer000000000000000x", "display_id": 5000}
    bot.pivotal.upsert(newcomer)  # created after the directory walk: no copy anywhere
    bot.pivotal.set_fault("rate_limited", retry_after=12)
    _ack, token = await bot.command("5000")
    answer = await bot.answer(token)
    assert "try again in 12 s" in texts(answer).lower()
    bot.pivotal.set_fault(None)
    bot.deps.pivotal.governor = RateGovernor()  # as if Retry-After had passed
    _ack, token = await bot.command("5000")
    assert header(await bot.answer(token)) == newcomer["name"]


async def test_a_burst_after_start_asks_slack_who_the_bot_is_once(bot: Harness) -> None:
    acks = await asyncio.gather(*(bot.command("42") for _ in range(20)))
    assert all(ack.status_code == 200 for ack, _ in acks)
    assert len(bot.slack.calls_to("auth.test")) == 1
