"""Card lines for a customer's onboarding and contacts (pure: `today` is given)."""

from __future__ import annotations

from datetime import date

from bot.blocks.text import escape
from bot.lookup.onboardings import is_open
from bot.pivotal.onboarding_phases import phase_label, phase_step, state_label
from bot.pivotal.related import Onboarding


def onboarding_line(onboarding: Onboarding, today: date) -> str:
    """``Onboarding: Launch · step 6 of 7 · At risk · launch Mar 3 (in 12 days)``, escaped
    for mrkdwn."""
    target = onboarding.target_launch_date
    if not is_open(onboarding):  # done: when it launched, never how late
        done = [phase_label(onboarding.phase)]
        if target is not None:
            done.append(f"launch {target:%b} {target.day}, {target.year}")
        return escape("Onboarding: " + " · ".join(done))
    step = phase_step(onboarding.phase)
    parts = [phase_label(onboarding.phase)]
    if step:
        parts.append(f"step {step[0]} of {step[1]}")
    parts.append(state_label(onboarding.state))
    if onboarding.waiting_on_customer and onboarding.state.strip().lower() != "waiting":
        parts.append("waiting on customer")
    if target is not None:
        parts.append(f"launch {target:%b} {target.day} ({how_far(target, today)})")
    return escape("Onboarding: " + " · ".join(parts))


def how_far(target: date, today: date) -> str:
    """ "in 12 days", "tomorrow", "today", "1 day late", "3 days late"."""
    days = (target - today).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days > 1:
        return f"in {days} days"
    return "1 day late" if days == -1 else f"{-days} days late"
