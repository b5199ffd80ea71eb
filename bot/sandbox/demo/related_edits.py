"""Demo commands /edit-contact and /edit-onboarding: a change in Pivotal and its webhooks.

The bot does not act on contact and onboarding events yet: the demo shows what Pivotal
sent and what the bot answered.
"""

from __future__ import annotations

from bot.sandbox.demo.session import Session
from bot.sandbox.pivotal import related_edits
from bot.sandbox.stack import API_KEY


async def edit_contact(session: Session, rest: str) -> None:
    parsed = related_edits.parse_contact(rest or "?")
    if isinstance(parsed, str):
        session.error(parsed)
        return
    before = _delivered(session)
    status, kinds = await related_edits.add_contact_over_http(
        session.stack.pivotal.base_url, API_KEY, *parsed
    )
    if status != 201:
        session.error(f"(Pivotal answered HTTP {status})")
        return
    await _told(session, before, kinds)


async def edit_onboarding(session: Session, rest: str) -> None:
    parsed = related_edits.parse_onboarding(rest or "?")
    if isinstance(parsed, str):
        session.error(parsed)
        return
    before = _delivered(session)
    status, kinds = await related_edits.edit_onboarding_over_http(
        session.stack.pivotal.base_url, API_KEY, *parsed
    )
    if status != 200:
        session.error(f"(Pivotal answered HTTP {status})")
        return
    await _told(session, before, kinds)


def _delivered(session: Session) -> int:
    target = session.stack.pivotal.webhooks
    return len(target.delivered) if target is not None else 0


async def _told(session: Session, before: int, kinds: list[str]) -> None:
    target = session.stack.pivotal.webhooks
    if target is None:
        session.say(session.style.dim("↳ changed in Pivotal; no webhook endpoint to tell\n"))
        return
    if not kinds:
        session.say(session.style.dim("↳ changed in Pivotal; it sends no webhook for that\n"))
        return
    await target.drain()
    answers = ", ".join(str(status) for _, status in target.delivered[before:]) or "-"
    session.say(session.style.dim(f"↳ Pivotal sent a signed {', '.join(kinds)}; "
                                  f"the bot answered {answers}\n"))  # fmt: skip
