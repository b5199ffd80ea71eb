"""Demo commands for the interactive surfaces: Refresh, the picker, App Home, the shortcut.

Each goes through the same signed requests Slack would send (block_suggestion,
block_actions, app_home_opened, message_action); the demo only prints what comes back.
"""

from __future__ import annotations

from typing import Any

from bot.blocks import ids
from bot.blocks.text import escape
from bot.sandbox.demo.lookups import press
from bot.sandbox.demo.session import Session, Shown
from bot.sandbox.slack import effects


async def refresh(session: Session, rest: str) -> None:
    numbers = [
        n
        for n, (button, _) in enumerate(session.buttons, 1)
        if button.element.get("action_id") == ids.REFRESH_CUSTOMER
    ]
    if not numbers:
        session.error("No card with a Refresh button on screen yet: try /customer 42 first.")
        return
    session.fresh = False  # keep the numbers of the card being refreshed
    await press(session, str(numbers[-1]))


async def type_(session: Session, rest: str) -> None:
    response = await session.stack.driver.suggest(rest)
    options = response.json().get("options", []) if response.status_code == 200 else []
    if not options:
        session.error(f"(the picker lists nothing for {rest!r})")
        return
    session.say(session.style.dim(f"↳ the picker's options for {rest!r} (press one to choose it)"))
    session.show(_as_message(options[:10], len(options)))


async def home(session: Session, rest: str) -> None:
    stack = session.stack
    before = len(stack.slack.calls_to("views.publish"))
    await stack.driver.home_opened(view={"id": "VHOME", "hash": f"h{before}"})
    await stack.settle()
    published = stack.slack.calls_to("views.publish")
    if len(published) > before:
        session.say(session.style.dim("↳ your Home tab (only you see it)"))
        view = published[-1].body["view"]
        session.show(view, Shown(view, session.channel, True, session.next_ts()))
    else:
        session.say(session.style.dim("↳ your Home tab is unchanged since last time"))
        session.say()


async def shortcut(session: Session, rest: str) -> None:
    mark = effects.mark(session.stack.slack)
    ack, _ = await session.stack.driver.message_shortcut(rest, channel_id=session.channel)
    if ack.status_code != 200:
        session.error(f"(the bot answered HTTP {ack.status_code})")
    elif not await session.exchange(mark):
        session.error("(no answer reached Slack)")


def _as_message(options: list[dict[str, Any]], total: int) -> dict[str, Any]:
    """The options as Slack's dropdown shows them, each pressable like choosing it."""
    blocks = [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": escape(option["text"]["text"])},
            "accessory": {
                "type": "button",
                "action_id": ids.PICKER,
                "text": {"type": "plain_text", "text": "Choose"},
                "value": option["value"],
            },
        }
        for option in options
    ]
    more = f" (first 10 of {total})" if total > len(options) else ""
    return {"text": f"{total} options{more}", "blocks": blocks}


async def digest(session: Session, rest: str) -> None:
    """Send the daily follows' digests of today now, as if their hour had come."""
    runner, mark = session.stack.deps.digests, effects.mark(session.stack.slack)
    if runner is None:
        session.error("(digests need the database)")
        return
    sent = await runner.send_today()
    if not sent:
        session.error(
            "No daily follow has a digest to send: try /customer follow status:at_risk daily"
        )
        return
    session.show_effects(effects.effects_since(session.stack.slack, mark, channel=session.channel))
