"""Types every builder shares: a Block, the Message, the card settings, a channel's mode."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

Block = dict[str, Any]


class CardMode(StrEnum):
    """What a card posted in a channel may show."""

    FULL = "full"
    MINIMAL = "minimal"  # no financial fields: MRR, plan, orders, integration ids
    OFF = "off"  # no card at all


@dataclass(frozen=True)
class CardSettings:
    """Where the card's buttons point and how money is written."""

    app_url: str
    currency: str = "USD"
    hubspot_portal_id: str | None = None
    hubspot_host: str = "app.hubspot.com"
    intercom_app_id: str | None = None
    stripe_test_mode: bool = False


@dataclass(frozen=True)
class Message:
    """What reaches Slack: blocks plus the notification / screen-reader fallback."""

    text: str
    blocks: list[Block]
