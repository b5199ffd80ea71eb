"""`CustomerChanged`, the one typed change, and who hears it (`Subscribers`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from bot.pivotal.models import Customer, Signals

Cause = Literal["webhook", "refetch", "walk", "refresh"]
# "local": this replica applied it (a webhook it received, its own refetch or walk);
# "peer": another replica applied it and passed it on (bot.state.changefeed).
Origin = Literal["local", "peer"]


@dataclass(frozen=True)
class CustomerChanged:
    """What the bot knew of one customer before and after a change, and why it changed."""

    display_id: int
    before: Customer | None
    after: Customer | None
    signals_before: Signals | None
    signals_after: Signals | None
    cause: Cause
    event_id: str | None = None  # the Pivotal event behind a webhook change
    origin: Origin = "local"

    @property
    def fields(self) -> frozenset[str]:
        """Names of the customer and signal fields whose values differ (all when new)."""
        customer = _differing(self.before, self.after)
        return frozenset(customer | _differing(self.signals_before, self.signals_after))

    @property
    def changed(self) -> bool:
        return bool(self.fields)


ChangeHandler = Callable[[CustomerChanged], Awaitable[None]]


@dataclass(frozen=True)
class Subscribers:
    """Who hears each change, in two kinds that say how often across replicas.

    `every_replica`: state each replica keeps for itself (caches, indexes, the live-card
    queue, whose shared registry and per-message lease redraw each card once); called for
    changes applied here and for those a peer passed on.
    `once`: work that must happen once per change across all replicas (passing the change
    on to peers, notifications); called only on the replica where the change originated,
    which for a webhook is the one whose durable inbox holds the event.

    Handlers contain their own failures (the wiring wraps each one, bot/slack/errors.py):
    one that raised would make the webhook inbox apply the event again for everyone.
    """

    every_replica: tuple[ChangeHandler, ...] = ()
    once: tuple[ChangeHandler, ...] = ()

    async def tell(self, change: CustomerChanged) -> None:
        """Hand `change` to each subscriber in turn, `once` ones only where it originated."""
        handlers: Iterable[ChangeHandler] = self.every_replica
        if change.origin == "local":
            handlers = (*self.every_replica, *self.once)
        for handler in handlers:
            await handler(change)


def _differing(before: Customer | Signals | None, after: Customer | Signals | None) -> set[str]:
    if before is None and after is None:
        return set()
    if before is None or after is None:
        model = after if after is not None else before
        assert model is not None
        return {name for name, value in model if value is not None}
    return {name for name, value in after if getattr(before, name, None) != value}
