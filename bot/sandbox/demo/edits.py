"""Demo command /edit: a change in Pivotal, its signed webhook, and the cards it redraws."""

from __future__ import annotations

import asyncio
import time

from bot.sandbox.demo.lookups import customer
from bot.sandbox.demo.session import Session
from bot.sandbox.pivotal import edits
from bot.sandbox.slack import effects
from bot.sandbox.stack import API_KEY


async def edit(session: Session, rest: str) -> None:
    parsed = edits.parse_assignments(rest or "?")
    if isinstance(parsed, str):
        session.error(parsed)
        return
    stack, hooks = session.stack, session.stack.deps.hooks
    applied, gets = (hooks.applied if hooks else 0), stack.pivotal.customer_gets()
    mark = effects.mark(stack.slack)
    ref, changes = parsed
    told = {key: changes.pop(key) for key in edits.TOLD.values() if key in changes}
    if changes:
        stack.pivotal.set_told(int(ref), told)  # rides on the PATCH's event
        status = await edits.patch_over_http(stack.pivotal.base_url, API_KEY, ref, changes)
    else:  # only health or owner: Pivotal's own recompute sends the event
        status = 200 if stack.pivotal.tell(int(ref), told) else 404
    if status != 200 or stack.pivotal.webhooks is None or hooks is None:
        session.error(f"(Pivotal answered HTTP {status})")
        return
    await stack.pivotal.webhooks.drain()
    await stack.settle()
    answered = [code for _, code in stack.pivotal.webhooks.delivered[-1:]]
    session.say(session.style.dim(f"↳ Pivotal sent a signed customer.updated; the bot answered "
                                  f"{answered[0] if answered else '-'} and applied "
                                  f"{hooks.applied - applied} change(s)"))  # fmt: skip
    await _live_cards_redrawn(session, mark)
    await customer(session, parsed[0])
    session.say(session.style.dim(f"(requests to Pivotal for it: "
                                  f"{stack.pivotal.customer_gets() - gets} GET)\n"))  # fmt: skip


async def _live_cards_redrawn(session: Session, mark: effects.Mark, wait: float = 4.0) -> None:
    """Cards shared or unfurled earlier follow the edit, and follows hear of it: show what
    reached Slack so far."""
    await _notifications_sent(session)
    live = session.stack.deps.live
    if live is None:
        session.show_effects(effects.effects_since(session.stack.slack, mark,
                                                   channel=session.channel))  # fmt: skip
        return
    done = await live.settled(wait)  # paced: about one card a second
    session.show_effects(effects.effects_since(session.stack.slack, mark, channel=session.channel))
    if not done:
        session.say(session.style.dim("↳ (more cards are queued; Slack allows about 50 "
                                      "updates a minute, so they follow in turn)"))  # fmt: skip


async def _notifications_sent(session: Session, wait: float = 5.0) -> None:
    """Let the sender post what the edit made followers owe (its own loop may hold them)."""
    sender, outbox = session.stack.deps.sender, session.stack.deps.durable.outbox
    if sender is None:
        return
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        await sender.send_due()
        owed = (await outbox.stats(now=time.time())).by_status
        if not owed.get("pending") and not owed.get("sending"):
            return
        await asyncio.sleep(0.1)
