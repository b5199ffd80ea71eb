"""Follows as lists show them: each with the name of its customer or its segment's text."""

from __future__ import annotations

from collections.abc import Sequence

from bot.blocks.follow import Shown, customer_label, segment_label
from bot.follows.model import Follow
from bot.slack.deps import ListenerDeps


def shown(deps: ListenerDeps, follows: Sequence[Follow]) -> list[Shown]:
    """Each follow with its label (customer names from the directory)."""
    return [Shown(f, label_of(deps, f)) for f in follows]


def label_of(deps: ListenerDeps, follow: Follow) -> str:
    display_id = follow.target.display_id
    if display_id is None:
        return segment_label(follow.target.segment or "")
    snap = deps.directory.get(str(display_id))
    return customer_label(snap.customer.name if snap else None, display_id)


async def home_follows(deps: ListenerDeps, user: str) -> list[Shown]:
    """App Home's "You follow": the user's personal follows, then the ones they set up."""
    mine = await deps.follows.of_user(user)
    seen = {f.id for f in mine}
    made = [f for f in await deps.follows.created_by(user) if f.id not in seen]
    return shown(deps, [*mine, *made])
