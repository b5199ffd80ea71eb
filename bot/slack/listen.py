"""One way to register a listener: guarded, acked at once, the rest run after the ack.

A listener states only its own steps, as ``first(deps, args) -> Reply``. ``first`` is
synchronous, so nothing it does can wait on I/O before Slack gets its ack (3 s at most).
``Reply.ack`` is what the ack itself carries (a card, options, or nothing) and
``Reply.later`` the work to run once the ack has gone: tracked by InFlight so shutdown
lets it finish, and contained so a failure is logged and the user still hears back.
A failure in ``first`` is guarded the same way, and the request is still acked.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from slack_bolt.kwargs_injection.async_args import AsyncArgs

from bot.blocks.message import Message
from bot.slack.deps import ListenerDeps
from bot.slack.errors import contained, guarded

Later = Callable[[], Awaitable[None]]
Listener = Callable[..., Awaitable[None]]
Route = Callable[[Listener], object]  # what app.command(...), app.action(...) … return
First = Callable[[ListenerDeps, AsyncArgs], "Reply"]


@dataclass(frozen=True, slots=True)
class Reply:
    """What to answer now (the ack's arguments) and what to run after the ack."""

    ack: Mapping[str, Any] = field(default_factory=dict)
    later: Later | None = None

    @classmethod
    def card(cls, message: Message) -> Reply:
        """An ephemeral answer carried by the ack itself."""
        return cls({"response_type": "ephemeral", "text": message.text, "blocks": message.blocks})


def listen(route: Route, deps: ListenerDeps, first: First) -> None:
    """Register `first` on `route` (for example `app.command("/customer")`)."""

    async def listener(args: AsyncArgs) -> None:
        reply = first(deps, args)
        await args.ack(**reply.ack)
        if reply.later is not None:
            deps.inflight.spawn(contained(reply.later(), args.respond))

    # A listener bound with functools.partial is named by the function it binds.
    name = getattr(getattr(first, "func", first), "__name__", "listener")
    listener.__name__ = listener.__qualname__ = name
    route(guarded(listener))
