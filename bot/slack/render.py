"""Outcome of a lookup -> the Message a person sees, and the one log line about it."""

from __future__ import annotations

import logging
import time

from bot import metrics
from bot.blocks import notices
from bot.blocks.customer import customer_card
from bot.blocks.help import help_message
from bot.blocks.matches import match_list
from bot.blocks.message import CardSettings, Message
from bot.blocks.related import onboarding_line
from bot.logs import event
from bot.lookup.service import (
    Failed,
    Found,
    Matches,
    NeedsHelp,
    NotFound,
    Outcome,
    Unlinked,
)

log = logging.getLogger(__name__)


def _onboarding(found: Found) -> str | None:
    """The card's onboarding line, counted from the day the lookup was answered."""
    if found.onboarding is None or found.today is None:
        return None
    return onboarding_line(found.onboarding, found.today)


def render(
    outcome: Outcome,
    cards: CardSettings,
    *,
    minimal: bool = False,
    shareable: bool = False,
    shared_by: str | None = None,
    refreshed: bool = False,
    followable: bool = False,
    linked: bool = False,
) -> Message:
    """The message for `outcome`.

    `minimal` drops financial fields (channels shared with other organisations);
    `shareable` offers a Share button (ephemeral answers); `shared_by` credits the sharer;
    `refreshed` says the card was just fetched for a Refresh click; `followable` offers
    Follow buttons (ephemeral answers), `linked` (the channel's own customer) in its words.
    """
    match outcome:
        case Found(snapshot=snap):
            return customer_card(
                snap.customer,
                cards=cards,
                as_of=snap.as_of if outcome.stale else None,
                minimal=minimal,
                shareable=shareable and not minimal,
                shared_by=shared_by,
                refreshed_at=snap.as_of if refreshed else None,
                signals=outcome.signals,
                onboarding=None if minimal else _onboarding(outcome),
                followable=followable and not minimal,
                linked=linked,
            )
        case Matches(text=text, snapshots=snaps, total=total):
            return match_list(text, [s.customer for s in snaps], total=total)
        case NotFound(what=what):
            return notices.not_found(what)
        case Unlinked(channel_id=channel_id):
            return notices.unlinked_channel(channel_id)
        case NeedsHelp(reason=reason):
            return help_message(cards.app_url) if reason is None else notices.invalid_input(reason)
        case Failed(kind=kind, retry_after=retry_after):
            if kind == "auth":
                return notices.key_rejected()
            if kind == "rate_limited":
                return notices.rate_limited(retry_after)
            return notices.loading() if kind == "loading" else notices.unavailable()


def log_lookup(surface: str, outcome: Outcome, started: float, *, instant: bool) -> None:
    """One line per lookup: where it came from, how it ended, cache use and time."""
    display_id = source = reason = None
    if isinstance(outcome, Found):
        display_id, source = outcome.snapshot.customer.display_id, outcome.source
    elif isinstance(outcome, Failed):
        reason = outcome.kind
    metrics.count_lookup(surface, type(outcome).__name__.lower(), source)
    event(log, "lookup", surface=surface, outcome=type(outcome).__name__.lower(),
          display_id=display_id, source=source, reason=reason, in_ack=instant,
          ms=(time.monotonic() - started) * 1000)  # fmt: skip
