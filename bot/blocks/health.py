"""Health score and owner on the card, as webhooks told them (pure)."""

from __future__ import annotations

from bot.blocks.text import cut, escape
from bot.pivotal.models import Signals


def health_fields(signals: Signals | None) -> list[tuple[str, str]]:
    """("Health", "38, down from 72") and ("Owner", "csm@example.com") where known."""
    if signals is None:
        return []
    pairs: list[tuple[str, str]] = []
    if signals.health_score is not None:
        pairs.append(("Health", health_text(signals.health_score, signals.previous_health_score)))
    if signals.owner_email:
        pairs.append(("Owner", escape(cut(signals.owner_email, 254))))
    return pairs


def health_text(score: int, previous: int | None) -> str:
    if previous is None or previous == score:
        return str(score)
    direction = "down" if score < previous else "up"
    return f"{score}, {direction} from {previous}"
