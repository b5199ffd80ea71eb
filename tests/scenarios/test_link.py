"""`/customer link` and `/customer unlink`: signed commands, Confirm / Cancel, PATCHes in the
sandbox Pivotal, and what `/customer` answers in the channel right after."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx

from bot.blocks import ids
from bot.sandbox.pivotal.deliveries import new_secret
from bot.sandbox.stack import API_KEY
from tests.blockkit import block_kit_problems
from tests.scenarios.harness import Harness, running_bot, until

ACME_CHANNEL = "C024BE7LT"  # Acme Co. (#42) is linked here in the sample data
INITECH_CHANNEL = "C01ABCD2EFG"  # Initech (#1)
FREE_CHANNEL = "C0NEWROOM1"  # no customer linked
ME = "U0PERSON"  # who the fake Slack says sends every command and click


def cuid(bot: Harness, display_id: int) -> str:
    found = bot.pivotal.store.get(str(display_id))
    assert found is not None
    return str(found["id"])


def channel_of(bot: Harness, display_id: int) -> str | None:
    found = bot.pivotal.store.get(str(display_id))
    assert found is not None
    return found["slack_channel_id"]


def text_of(message: dict[str, Any]) -> str:
    return json.dumps(message.get("blocks") or []) + str(message.get("text") or "")


async def ask(bot: Harness, text: str, channel: str) -> dict[str, Any]:
    """What the asker sees for `/customer <text>`: the ack's message, else the response_url's."""
    ack, token = await bot.command(text, channel_id=channel)
    assert ack.status_code == 200
    if ack.content:
        return dict(ack.json())
    return await bot.answer(token)


def button(message: dict[str, Any], action_id: str) -> dict[str, Any]:
    for block in message.get("blocks") or []:
        for element in block.get("elements") or []:
            if element.get("action_id") == action_id:
                return {**element, "block_id": block.get("block_id", "b1"),
                        "action_ts": "1732560000.000300"}  # fmt: skip
    raise AssertionError(f"no {action_id} button in {message}")


async def press(
    bot: Harness, message: dict[str, Any], action_id: str, channel: str
) -> dict[str, Any]:
    """Press a button of the confirmation; the message that replaced it."""
    ack, token = await bot.press(button(message, action_id), channel_id=channel)
    assert ack.status_code == 200
    answer = await bot.answer(token)
    assert answer.get("replace_original") is True
    return answer


async def link(bot: Harness, text: str, channel: str) -> dict[str, Any]:
    """`/customer link <text>` confirmed; the outcome message."""
    confirmation = await ask(bot, f"link {text}", channel)
    return await press(bot, confirmation, ids.LINK_CONFIRM, channel)


def as_admin(bot: Harness) -> None:
    bot.slack.workspace.set_user(ME, admin=True)


# --- linking ----------------------------------------------------------------------------


async def test_link_moves_the_customer_and_clears_the_channels_old_customer() -> None:
    async with running_bot() as bot:
        as_admin(bot)
        confirmation = await ask(bot, "link 42", INITECH_CHANNEL)
        assert block_kit_problems(confirmation["blocks"]) == []
        shown = text_of(confirmation)
        assert f"Link <#{INITECH_CHANNEL}> to *Acme Co.* (#42)?" in shown
        assert f"*Acme Co.* (#42) is linked to <#{ACME_CHANNEL}> today; it will move here." in shown
        assert "This channel is linked to *Initech* (#1) today; that link is removed." in shown
        assert confirmation["response_type"] == "ephemeral"
        assert bot.pivotal.patches() == []  # nothing is written before Confirm

        done = await press(bot, confirmation, ids.LINK_CONFIRM, INITECH_CHANNEL)
        assert block_kit_problems(done["blocks"]) == []
        outcome = text_of(done)
        assert f"Linked <#{INITECH_CHANNEL}> to *Acme Co.* (#42)." in outcome
        assert f"It is no longer linked to <#{ACME_CHANNEL}>." in outcome
        assert "*Initech* (#1) is no longer linked here." in outcome
        # Acme first, then Initech cleared: one field each.
        assert bot.pivotal.patches() == [
            (f"/api/v1/customers/{cuid(bot, 42)}", {"slack_channel_id": INITECH_CHANNEL}),
            (f"/api/v1/customers/{cuid(bot, 1)}", {"slack_channel_id": None}),
        ]
        assert channel_of(bot, 42) == INITECH_CHANNEL and channel_of(bot, 1) is None

        # At once, with no GET: the channel names Acme now, its old channel no one.
        bot.pivotal.clear_requests()
        card = await ask(bot, "", INITECH_CHANNEL)
        assert "Acme Co." in text_of(card) and "Initech" not in text_of(card)
        assert "not linked to a customer" in text_of(await ask(bot, "", ACME_CHANNEL))
        assert bot.pivotal.customer_gets() == 0
        linked = bot.deps.directory.by_channel(INITECH_CHANNEL)
        assert [s.customer.display_id for s in linked] == [42]


async def test_link_by_name_url_and_number_sign_in_a_free_channel() -> None:
    async with running_bot() as bot:
        as_admin(bot)
        for text, display_id in (("Zorg Industries", 43), ("#44", 44),
                                 ("https://my.pivotal.app/customers/46-cogswell", 46)):  # fmt: skip
            channel = f"C0ROOM{display_id}"
            confirmation = await ask(bot, f"link {text}", channel)
            shown = text_of(confirmation)
            assert f"(#{display_id})?" in shown and "today" not in shown  # nothing replaced
            done = await press(bot, confirmation, ids.LINK_CONFIRM, channel)
            assert f"Linked <#{channel}>" in text_of(done)
            assert channel_of(bot, display_id) == channel
        assert len(bot.pivotal.patches()) == 3


async def test_customer_names_are_escaped() -> None:
    async with running_bot() as bot:
        as_admin(bot)
        shown = text_of(await ask(bot, "link 13", FREE_CHANNEL))
        assert "*Smith &amp; Sons &lt;Ltd&gt;* (#13)" in shown and "<Ltd>" not in shown


async def test_a_customer_already_linked_here_writes_nothing() -> None:
    async with running_bot() as bot:
        as_admin(bot)
        answer = await ask(bot, "link acme co.", ACME_CHANNEL)
        assert f"<#{ACME_CHANNEL}> is already linked to *Acme Co.* (#42); nothing changed." in (
            text_of(answer)
        )
        assert ids.LINK_CONFIRM not in text_of(answer)
        assert bot.pivotal.patches() == []


async def test_cancel_changes_nothing() -> None:
    async with running_bot() as bot:
        as_admin(bot)
        confirmation = await ask(bot, "link 42", FREE_CHANNEL)
        cancelled = await press(bot, confirmation, ids.LINK_CANCEL, FREE_CHANNEL)
        assert "Nothing changed" in text_of(cancelled)
        assert bot.pivotal.patches() == []
        assert channel_of(bot, 42) == ACME_CHANNEL


async def test_when_clearing_the_old_customer_fails_the_new_link_is_put_back() -> None:
    async with running_bot() as bot:
        as_admin(bot)
        confirmation = await ask(bot, "link 42", INITECH_CHANNEL)
        bot.pivotal.set_fault("error_500", path=f"/api/v1/customers/{cuid(bot, 1)}")
        failed = text_of(await press(bot, confirmation, ids.LINK_CONFIRM, INITECH_CHANNEL))
        assert "Pivotal is not answering right now, so *Initech* (#1) could not" in failed
        assert "The change to *Acme Co.* (#42) was put back, so nothing changed." in failed
        patches = bot.pivotal.patches()
        acme = f"/api/v1/customers/{cuid(bot, 42)}"
        assert patches[0] == (acme, {"slack_channel_id": INITECH_CHANNEL})
        assert patches[-1] == (acme, {"slack_channel_id": ACME_CHANNEL})  # put back
        assert channel_of(bot, 42) == ACME_CHANNEL and channel_of(bot, 1) == INITECH_CHANNEL
        bot.pivotal.set_fault(None)
        assert "Initech" in text_of(await ask(bot, "", INITECH_CHANNEL))
        assert "Acme Co." in text_of(await ask(bot, "", ACME_CHANNEL))


async def test_a_refused_write_says_pivotals_reason() -> None:
    async with running_bot() as bot:
        as_admin(bot)
        # An old private channel has a G… id; this Pivotal takes only C… ids (422).
        failed = text_of(await link(bot, "42", "G0PRIVATE1"))
        assert "Pivotal refused the change to *Acme Co.* (#42): slack_channel_id must be a " in (
            failed
        )
        assert "Nothing changed." in failed
        assert channel_of(bot, 42) == ACME_CHANNEL


async def test_a_revoked_key_is_explained() -> None:
    async with running_bot() as bot:
        as_admin(bot)
        confirmation = await ask(bot, "link 42", FREE_CHANNEL)
        bot.pivotal.revoke_key(API_KEY)
        failed = text_of(await press(bot, confirmation, ids.LINK_CONFIRM, FREE_CHANNEL))
        assert "Pivotal rejected the bot's API key" in failed and "PIVOTAL_API_KEY" in failed
        assert "Nothing changed." in failed
        assert channel_of(bot, 42) == ACME_CHANNEL


async def test_rate_limiting_is_explained() -> None:
    async with running_bot() as bot:
        as_admin(bot)
        confirmation = await ask(bot, "link 42", FREE_CHANNEL)
        bot.pivotal.set_fault("rate_limited", count=1, retry_after=9)
        failed = text_of(await press(bot, confirmation, ids.LINK_CONFIRM, FREE_CHANNEL))
        assert "Pivotal is busy" in failed and "try again in 9 s" in failed
        assert "Nothing changed." in failed
        assert channel_of(bot, 42) == ACME_CHANNEL


async def test_a_confirmation_out_of_date_is_shown_again() -> None:
    async with running_bot() as bot:
        as_admin(bot)
        first = await ask(bot, "link 42", FREE_CHANNEL)
        second = await ask(bot, "link 43", FREE_CHANNEL)
        await press(bot, first, ids.LINK_CONFIRM, FREE_CHANNEL)
        # Zorg's confirmation said nothing of Acme, now linked here: shown again, not applied.
        again = text_of(await press(bot, second, ids.LINK_CONFIRM, FREE_CHANNEL))
        assert "The links changed since you asked" in again
        assert "This channel is linked to *Acme Co.* (#42) today" in again
        assert channel_of(bot, 43) is None and channel_of(bot, 42) == FREE_CHANNEL


async def test_several_matches_ask_for_a_number() -> None:
    async with running_bot() as bot:
        as_admin(bot)
        answer = text_of(await ask(bot, "link globex", FREE_CHANNEL))
        assert "`/customer link 7`" in answer and "`/customer link 8`" in answer
        assert bot.pivotal.patches() == []


# --- unlinking --------------------------------------------------------------------------


async def test_unlink_clears_every_customer_linked_here() -> None:
    async with running_bot() as bot:
        as_admin(bot)
        confirmation = await ask(bot, "unlink", ACME_CHANNEL)
        assert f"Unlink <#{ACME_CHANNEL}> from *Acme Co.* (#42)?" in text_of(confirmation)
        done = await press(bot, confirmation, ids.LINK_CONFIRM, ACME_CHANNEL)
        assert f"Unlinked <#{ACME_CHANNEL}> from *Acme Co.* (#42)." in text_of(done)
        assert bot.pivotal.patches() == [
            (f"/api/v1/customers/{cuid(bot, 42)}", {"slack_channel_id": None})
        ]
        assert "not linked to a customer" in text_of(await ask(bot, "", ACME_CHANNEL))


async def test_unlink_where_nothing_is_linked_says_so() -> None:
    async with running_bot() as bot:
        as_admin(bot)
        answer = text_of(await ask(bot, "unlink", FREE_CHANNEL))
        assert "is not linked to any customer; nothing changed" in answer
        assert bot.pivotal.patches() == []


# --- who and where ----------------------------------------------------------------------


async def test_only_admins_by_default() -> None:
    async with running_bot() as bot:  # U0PERSON is a plain member
        answer = text_of(await ask(bot, "link 42", FREE_CHANNEL))
        assert "Only workspace admins can link channels (CHANNEL_LINKERS=admins)." in answer
        assert "Only workspace admins" in text_of(await ask(bot, "unlink", ACME_CHANNEL))
        assert bot.pivotal.patches() == []


async def test_confirm_checks_again_who_pressed_it() -> None:
    async with running_bot() as bot:
        as_admin(bot)
        confirmation = await ask(bot, "link 42", FREE_CHANNEL)
        bot.slack.workspace.set_user(ME)  # no longer an admin
        bot.deps.people.forget(ME)  # as a user_change event would
        refused = await press(bot, confirmation, ids.LINK_CONFIRM, FREE_CHANNEL)
        assert "Only workspace admins can link channels" in text_of(refused)
        assert bot.pivotal.patches() == []


async def test_when_slack_will_not_say_who_asked_the_answer_is_no() -> None:
    async with running_bot() as bot:
        bot.slack.workspace.set_user(ME, missing=True)
        answer = text_of(await ask(bot, "link 42", FREE_CHANNEL))
        assert "Slack would not say whether you are a workspace admin (user_not_found)" in answer
        assert bot.pivotal.patches() == []


async def test_a_workspace_owner_may_link() -> None:
    async with running_bot() as bot:
        bot.slack.workspace.set_user(ME, owner=True)
        assert "Link <#" in text_of(await ask(bot, "link 42", FREE_CHANNEL))


async def test_listed_users_and_group_members_may_link() -> None:
    async with running_bot(channel_linkers="U0OTHER,S0CSTEAM") as bot:
        bot.slack.workspace.set_group("S0CSTEAM", ["U0SOMEONE"])
        refused = text_of(await ask(bot, "link 42", FREE_CHANNEL))
        assert "Only <@U0OTHER>, <!subteam^S0CSTEAM> can link channels" in refused
        assert "(CHANNEL_LINKERS=U0OTHER,S0CSTEAM)" in refused
        bot.slack.workspace.set_group("S0CSTEAM", ["U0SOMEONE", ME])
        bot.deps.people._groups.clear()  # the group's members are cached for five minutes
        done = text_of(await link(bot, "42", FREE_CHANNEL))
        assert f"Linked <#{FREE_CHANNEL}>" in done

    async with running_bot(channel_linkers=ME) as bot:  # an admin is not needed
        assert f"Linked <#{FREE_CHANNEL}>" in text_of(await link(bot, "42", FREE_CHANNEL))


async def test_a_group_slack_will_not_list_refuses() -> None:
    async with running_bot(channel_linkers="S0GONE") as bot:
        answer = text_of(await ask(bot, "link 42", FREE_CHANNEL))
        assert "Slack would not list the members of <!subteam^S0GONE>" in answer


async def test_everyone_may_link() -> None:
    async with running_bot(channel_linkers="everyone") as bot:
        assert f"Linked <#{FREE_CHANNEL}>" in text_of(await link(bot, "42", FREE_CHANNEL))


async def test_direct_messages_and_group_dms_cannot_be_linked() -> None:
    async with running_bot(channel_linkers="everyone") as bot:
        for verb in ("link 42", "unlink"):
            ack, _ = await bot.command(verb, channel_id="D0PERSON")
            assert "Only channels can be linked" in text_of(ack.json())
        body, _ = bot.command_body("link 42", channel_id="G0MPIM1")
        form = dict(parse_qsl(body.decode()))
        form["channel_name"] = "mpdm-pat--sam-1"
        ack = await bot.post(urlencode(form).encode(), "application/x-www-form-urlencoded")
        assert "Only channels can be linked" in text_of(ack.json())
        assert bot.pivotal.patches() == []


async def test_link_without_a_customer_shows_how() -> None:
    async with running_bot(channel_linkers="everyone") as bot:
        for text in ("link", "link help", f"link <#{ACME_CHANNEL}|general>"):
            ack, _ = await bot.command(text, channel_id=FREE_CHANNEL)
            assert "/customer link 42" in text_of(ack.json())


# --- the sandbox's PATCH --------------------------------------------------------------------


async def test_the_sandbox_refuses_a_channel_that_is_not_a_c_id() -> None:
    async with running_bot() as bot, httpx.AsyncClient() as http:
        url = f"{bot.pivotal.base_url}/customers/42"
        auth = {"Authorization": f"Bearer {API_KEY}"}
        for bad in ("general", "#general", "G0PRIVATE1", "c024be7lt", ""):
            response = await http.patch(url, headers=auth, json={"slack_channel_id": bad})
            assert response.status_code == 422, bad
            error = response.json()["error"]
            assert (error["type"], error["field"]) == ("invalid_request_error", "slack_channel_id")
            assert error["message"].startswith("slack_channel_id must be a Slack channel id")
        cleared = await http.patch(url, headers=auth, json={"slack_channel_id": None})
        assert cleared.status_code == 200 and cleared.json()["slack_channel_id"] is None
        moved = await http.patch(url, headers=auth, json={"slack_channel_id": "C0NEWROOM1"})
        assert moved.json()["slack_channel_id"] == "C0NEWROOM1"


async def test_with_webhooks_each_write_is_delivered_signed_and_the_link_holds() -> None:
    secret = new_secret()
    async with running_bot(pivotal_webhook_secret=secret) as bot:
        target = bot.pivotal.deliver_to(f"{bot.url}/pivotal/webhooks", secret)
        as_admin(bot)
        assert "Linked" in text_of(await link(bot, "42", INITECH_CHANNEL))
        await target.drain()
        assert [status for _, status in target.delivered] == [202, 202]  # Acme, then Initech
        hooks = bot.deps.hooks
        assert hooks is not None
        await until(lambda: hooks.applied >= 2)
        assert "Acme Co." in text_of(await ask(bot, "", INITECH_CHANNEL))
        assert "not linked to a customer" in text_of(await ask(bot, "", ACME_CHANNEL))


async def test_the_channel_that_linked_is_not_told_of_its_own_change() -> None:
    async with running_bot() as bot:
        as_admin(bot)
        await link(bot, "#44", ACME_CHANNEL)
        follows, now = bot.deps.durable.follows, time.time()
        # Acme (#42) was linked here and Spacely (#44) is now: both changes are this channel's.
        assert ACME_CHANNEL in await follows.written_by(44, now=now)
        assert ACME_CHANNEL in await follows.written_by(42, now=now)
        assert await follows.written_by(44, now=now + 3600) == frozenset()
