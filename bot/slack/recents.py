"""Remembering what each user looked up, for their own App Home (never shown to others)."""

from __future__ import annotations

from typing import Any

from bot.lookup.service import Found, Outcome
from bot.slack.deps import ListenerDeps


def remember(deps: ListenerDeps, user: str, outcome: Outcome, channel: str = "") -> None:
    """After the answer went out: note a found customer in `user`'s recent lookups."""
    if user and isinstance(outcome, Found):
        ref = outcome.snapshot.customer.id
        # Only channels (not DMs) can be linked to a customer; a DM id says nothing.
        where = channel if channel[:1] in ("C", "G") else ""
        deps.inflight.spawn(deps.recent.add(user, ref, where))


def user_of(body: dict[str, Any]) -> str:
    user = body.get("user")
    if isinstance(user, dict):
        return str(user.get("id") or "")
    return str(user or body.get("user_id") or "")
