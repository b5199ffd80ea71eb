"""What a follow is: a target (a customer or a segment), a destination, and what it hears."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# The kinds of change a follow may hear; `segment` (entering or leaving a followed segment)
# is heard by every segment follow whatever its kinds.
KINDS: tuple[str, ...] = ("status", "health", "plan", "mrr", "owner", "onboarding", "contacts")
DEFAULT_KINDS = frozenset(KINDS)
Status = Literal["pending", "sending", "sent", "failed"]


@dataclass(frozen=True)
class Target:
    """One customer (by display id) or a segment (a filter's canonical text)."""

    display_id: int | None = None
    segment: str | None = None

    def __post_init__(self) -> None:
        if (self.display_id is None) == (self.segment is None):
            raise ValueError("a follow targets one customer or one segment")

    @property
    def key(self) -> str:
        """Unique per target: `customer:42`, `segment:plan:enterprise status:at_risk`."""
        return f"customer:{self.display_id}" if self.segment is None else f"segment:{self.segment}"

    @classmethod
    def from_key(cls, key: str) -> Target:
        kind, _, value = key.partition(":")
        if kind == "customer" and value.isdigit():
            return cls(display_id=int(value))
        if kind == "segment" and value:
            return cls(segment=value)
        raise ValueError(f"not a follow target: {key[:40]!r}")


@dataclass(frozen=True)
class Destination:
    """Where notifications go: a channel, or a person's DM with the app."""

    channel_id: str  # the channel, or the DM (im) channel with the person
    user_id: str | None = None  # set for a personal follow

    @property
    def personal(self) -> bool:
        return self.user_id is not None


@dataclass(frozen=True)
class NewFollow:
    """A follow as someone asks for it."""

    target: Target
    destination: Destination
    created_by: str  # Slack user id
    kinds: frozenset[str] = DEFAULT_KINDS
    digest: bool = False  # one message a day instead of one per change
    digest_hour: int = 9  # local hour of the digest, in `timezone`
    timezone: str = "UTC"
    team_id: str | None = None


@dataclass(frozen=True)
class Follow(NewFollow):
    """A follow as the durable tier keeps it."""

    id: int = 0
    created_at: float = 0.0  # epoch seconds
    paused_reason: str | None = None  # why nothing is sent (channel archived, bot removed…)
    last_notified_at: float | None = None
    last_error: str | None = None

    @property
    def active(self) -> bool:
        return self.paused_reason is None


@dataclass(frozen=True)
class Notice:
    """One change worth telling, in words a card builder can show (`before` → `after`)."""

    kind: str  # status, health, plan, mrr, owner, segment (enter/leave), created
    before: str | None = None
    after: str | None = None


@dataclass(frozen=True)
class Notification:
    """One Slack message a follow owes: its changes, where it goes, and how far it got."""

    id: int
    follow_id: int
    channel_id: str
    display_id: int
    notices: tuple[Notice, ...]
    status: Status = "pending"
    attempts: int = 0
    first_at: float = 0.0  # when its first change was folded in (epoch seconds)
    ts: str | None = None  # the message, once posted
    thread_ts: str | None = None  # the day's thread it replies in (None: it is the parent)
    broadcast: bool = False  # a status change: also shown in the channel
    needs_update: bool = False  # posted, and changes folded in since: edit the message
    claimed_at: float | None = None  # when the current lease was taken
    extra: dict[str, str] = field(default_factory=dict)
