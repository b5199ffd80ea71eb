"""The demo's /refresh, /type, /home and /shortcut, through the signed path to the real bot."""

from __future__ import annotations

from tests.scenarios.test_demo_session import Session, run, session

__all__ = ["session"]


async def test_refresh_redraws_the_last_card(session: Session) -> None:
    assert "Nothing" not in await run(session, "/customer 42")
    before = session.stack.pivotal.customer_gets()
    printed = await run(session, "/refresh")
    assert "(pressed [Refresh])" in printed
    assert "Updated just now from Pivotal" in printed
    assert session.stack.pivotal.customer_gets() == before + 1


async def test_refresh_on_a_preview_unfurls_the_link_again(session: Session) -> None:
    await run(session, "https://my.pivotal.app/customers/7")
    printed = await run(session, "/refresh")
    assert "preview of https://my.pivotal.app/customers/7" in printed
    assert "Updated just now from Pivotal" in printed
    again = session.stack.slack.calls_to("chat.unfurl")[-1].body
    assert list(again["unfurls"]) == ["https://my.pivotal.app/customers/7"]
    assert not session.stack.slack.calls_to("chat.update")


async def test_refresh_without_a_card_says_what_to_do(session: Session) -> None:
    assert "try /customer 42 first" in await run(session, "/refresh")


async def test_type_lists_options_and_choosing_shows_the_card(session: Session) -> None:
    options = await run(session, "/type acmee")
    assert "Acme Co. · #42" in options and "[Choose]" in options
    assert "MRR" not in options
    number = next(
        line.split("(")[1].split(")")[0] for line in options.splitlines() if "Acme Co." in line
    )
    card = await run(session, number)
    assert "replaces the message with the button" in card and "MRR" in card
    assert "lists nothing" in await run(session, "/type zzzzqq")


async def test_home_shows_my_lookups_and_only_changes(session: Session) -> None:
    await run(session, "/customer 7")
    home = await run(session, "/home")
    assert "your Home tab (only you see it)" in home and "Globex Corporation" in home
    assert "unchanged since last time" in await run(session, "/home")


async def test_shortcut_over_a_pasted_line(session: Session) -> None:
    one = await run(session, "/shortcut see https://my.pivotal.app/customers/42 please")
    assert "only you see this" in one and "Acme Co." in one and "MRR" in one
    several = await run(session, "/shortcut did Acme Co. renew? and #7")
    assert "2 customers match" in several
    assert "No customer link" in await run(session, "/shortcut lunch at noon?")
