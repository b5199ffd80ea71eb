"""Demo commands that ask the bot what Slack would: /customer, a pressed button, a pasted link."""

from __future__ import annotations

from bot.sandbox.demo.session import Session
from bot.sandbox.slack import effects


async def customer(session: Session, rest: str) -> None:
    stack, mark = session.stack, effects.mark(session.stack.slack)
    ack, _ = await stack.driver.command(rest, channel_id=session.channel)
    if ack.status_code != 200:
        session.error(f"(the bot answered HTTP {ack.status_code})")
    elif ack.content:
        session.say(session.style.dim("↳ only you see this"))
        session.show(dict(ack.json()))
    elif not await session.exchange(mark):
        session.error("(no answer reached Slack)")


async def click(session: Session, rest: str) -> None:
    await press(session, rest)


async def press(session: Session, rest: str) -> None:
    number, _, choice = rest.partition(" ")
    count = len(session.buttons)
    if not number.isdigit() or not 1 <= int(number) <= count:
        hint = f"the last message has 1 to {count}" if count else "no message has one yet"
        session.error(f"There is no button {number or '?'} to press: {hint}.")
        return
    button, where = session.buttons[int(number) - 1]
    try:
        action = button.action(choice)
    except ValueError as exc:
        session.error(str(exc))
        return
    session.say(session.style.dim(f"(pressed [{button.label}])"))
    mark = effects.mark(session.stack.slack)
    ack, _ = await session.stack.driver.press(
        action, channel_id=where.channel, message_ts=where.ts, ephemeral=where.ephemeral,
        message=where.message, unfurl=where.unfurl,
    )  # fmt: skip
    if ack.status_code != 200:
        session.error(f"(the bot refused the click: HTTP {ack.status_code})")
    elif not await session.exchange(mark, channel=where.channel):
        session.error("(the bot acknowledged the click; nothing changed in Slack)")


async def unfurl(session: Session, urls: list[str]) -> None:
    mark = effects.mark(session.stack.slack)
    await session.stack.driver.link_shared(urls, channel=session.channel, ext_shared=session.shared)
    if not await session.exchange(mark):
        session.error("(no preview: Slack would show the plain link)")
