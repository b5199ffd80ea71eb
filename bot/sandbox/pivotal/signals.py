"""What the sandbox's webhooks carry beyond the REST customer: health score and owner.

Pivotal's REST customer has neither; its webhooks carry `health_score`,
`previous_health_score` and `owner_email`. The sandbox derives both from the customer's
display_id and status (the same every run), so lists like `mine` and "Needs attention" have
something to show once the bot has heard them. The demo's user is TEAM[0].
"""

from __future__ import annotations

import hashlib
from typing import Any

TEAM = ("pat@sandbox.example", "sam@sandbox.example", "alex@sandbox.example")
DEMO_USER_EMAIL = TEAM[0]
_HEALTH = {"at_risk": (22, 48), "churned": (5, 30), "onboarding": (55, 80), "active": (62, 96),
           "archived": (30, 60)}  # fmt: skip


def webhook_fields(customer: dict[str, Any]) -> dict[str, Any]:
    """`health_score` and `owner_email` for `customer` (a REST customer dict)."""
    display_id = int(customer.get("display_id") or 0)
    digest = hashlib.sha256(f"sandbox-signals:{display_id}".encode()).digest()
    low, high = _HEALTH.get(str(customer.get("status") or ""), (40, 90))
    health = low + digest[0] % (high - low + 1)
    owner = TEAM[digest[1] % len(TEAM)] if digest[2] % 5 else None  # a fifth have none
    fields: dict[str, Any] = {"health_score": health, "owner_email": owner}
    if str(customer.get("status")) == "at_risk":
        fields["at_risk"] = True
    return fields
