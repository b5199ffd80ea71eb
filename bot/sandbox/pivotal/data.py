"""Deterministic sample and synthetic Pivotal customers in the exact API JSON shape.

Every customer dict carries the 17 required keys of the OpenAPI ``Customer`` schema
(``tests/reference/pivotal-openapi-get-customer.yaml``). Lists are newest first
(``created_at`` descending), like ``GET /api/v1/customers``. ``synthetic.py`` draws the
synthetic ones; ``formats.py`` spells ids and timestamps as Pivotal does. ``related.py``
draws the contacts and onboardings of any of them (sample or generated) when first asked.
"""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.sandbox.pivotal.formats import (
    STRIPE_ALPHABET,
    b36,
    cuid,
    epoch_ms,
    format_timestamp,
    slugify,
)
from bot.sandbox.pivotal.synthetic import BASE_MS, SPAN_MS, synthetic_customer

__all__ = [
    "ACME_ID",
    "CUSTOMER_KEYS",
    "SAMPLE_CHANNELS",
    "UNLINKED_CHANNEL",
    "generate_customers",
    "sample_customers",
]

ACME_ID = "cl9bn00of0000g7l8gcq8c4xk"
UNLINKED_CHANNEL = "C0UNLINKED1"

CUSTOMER_KEYS: tuple[str, ...] = (
    "object",
    "id",
    "display_id",
    "name",
    "slug",
    "domain",
    "status",
    "plan",
    "mrr",
    "monthly_orders",
    "hubspot_company_id",
    "hubspot_deal_id",
    "stripe_customer_id",
    "intercom_company_id",
    "slack_channel_id",
    "created_at",
    "updated_at",
)

_SAMPLE_BASE = datetime(2021, 6, 1, 9, 0, 0, tzinfo=UTC)
_SAMPLE_NOW = datetime(2026, 5, 26, 17, 21, 9, 412000, tzinfo=UTC)


def _h(*parts: object) -> int:
    """Stable integer hash (unlike ``hash()``, not salted per process)."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest, "big")


_SCALE = "Scale (annual)"
# Integration flags: H = hubspot company, D = hubspot deal, S = stripe, I = intercom.
# Columns: display_id, name, status, plan, mrr (cents), monthly_orders, domain, slack channel, flags
_Row = tuple[int, str, str, str | None, int | None, int | None, str | None, str | None, str]
# fmt: off
_SAMPLE_ROWS: tuple[_Row, ...] = (
    (1, "Initech", "active", "enterprise", 450000, 1200, "initech.com", "C01ABCD2EFG", "HDSI"),
    (2, "Umbrella Health", "active", "growth", 89900, 410, "umbrellahealth.io", None, "HDS"),
    (3, "Hooli", "churned", "enterprise", 0, 0, "hooli.xyz", None, "HS"),
    (5, "Stark Logistics", "active", _SCALE, 987654321, 98000, "stark.io", "C1234567890", "HDSI"),
    (6, "Wayne Foods", "at_risk", "growth", 64000, 230, "waynefoods.com", None, "HI"),
    (7, "Globex Corporation", "at_risk", "growth", 72500, 150, "globex.com", None, "HDS"),
    (8, "Globex Europe", "active", "starter", 19900, 40, "globex.com", None, "S"),
    (9, "Soylent Kitchens", "archived", None, None, None, "soylent.example", None, ""),
    (10, "Vandelay Industries", "onboarding", "starter", 0, 0, "vandelay.com", "C05VANDEL1", "HD"),
    (11, "Cyberdyne Systems", "active", "enterprise", 310000, 2100, "cyberdyne.ai", None, "HDSI"),
    (13, "Smith & Sons <Ltd>", "active", "starter", 12900, 18, "smithandsons.co.uk", None, "S"),
    (14, "Pied Piper", "trialing", None, None, 3, "piedpiper.com", None, "I"),
    (15, "Massive Dynamic", "active", _SCALE, 1250000, 8700, "massivedynamic.com", None, "HDSI"),
    (16, "Oscorp Retail", "paused", "growth", 0, 0, "oscorp.com", None, "HDS"),
    (18, "Tyrell Outfitters", "active", "growth", 55000, 275, "tyrell.shop", "C07TYRELL9X", "HS"),
    (19, "Nakatomi Trading", "churned", "starter", None, 0, "nakatomi.jp", None, "H"),
    (20, "Bluth Frozen Bananas", "active", "starter", 4900, 12, "bluthbananas.com", None, ""),
    (21, "Dunder Mifflin", "at_risk", "enterprise", 210000, 940, "dundermifflin.com", None, "HDSI"),
    (22, "Prestige Worldwide", "onboarding", None, None, None, "prestigeworldwide.biz", None, "D"),
    (23, "Café Müller GmbH", "active", "growth", 38000, 160, "cafe-mueller.de", None, "SI"),
    (24, "Gringotts Ledger", "active", "enterprise", 520000, 1730, "gringotts.bank", None, "HDS"),
    (26, "Kwik-E-Mart Franchising", "active", "starter", 9900, 85, "kwikemart.com", None, "S"),
    (27, "Monsters Inc.", "archived", "growth", 0, 0, "monstersinc.com", None, "HS"),
    (28, "Wonka Confections", "active", "growth", 81000, 505, "wonka.com", "C09WONKA22", "HDSI"),
    (29, "Acme Rockets", "onboarding", "starter", 15000, 0, None, None, "H"),
    (30, "Sterling Cooper", "active", "enterprise", 275000, 610, "sterlingcooper.com", None, "HDS"),
    (31, "Los Pollos Hermanos", "churned", "growth", 0, 0, "lospollos.com", None, "HDSI"),
    (33, "Duff Brewing", "active", "growth", 47500, 390, "duff.beer", None, "SI"),
    (34, "Paper Street Soap", "at_risk", "starter", 7900, 22, "paperstreetsoap.com", None, ""),
    (35, "Virtucon", "active", _SCALE, 640000, 3300, "virtucon.com", None, "HDSI"),
    (36, "Blue Sun Corp", "trialing", "starter", 0, 5, "bluesun.space", None, ""),
    (37, "Aperture Labs", "active", "enterprise", 395000, 1480, "aperture.science", None, "HDS"),
    (38, "Black Mesa", "onboarding", "enterprise", 120000, 0, "blackmesa.org", "C0BMESA0001", "HD"),
    (40, "Ollivanders", "active", "starter", 2900, 7, "ollivanders.co.uk", None, "S"),
    (41, "Rekall Memories", "paused", "growth", None, 60, "rekall.com", None, "HI"),
    (42, "Acme Co.", "active", "enterprise", 125000, 320, "acme.com", "C024BE7LT", "HDSI"),
    (43, "Zorg Industries", "active", "growth", 59000, 340, "zorg.fr", None, "HDS"),
    (44, "Spacely Sprockets", "at_risk", "growth", 33000, 120, "spacely.com", None, "S"),
    (46, "Cogswell Cogs", "active", "starter", 8900, 31, "cogswell.com", None, ""),
    (47, "Gekko & Co", "churned", "enterprise", 0, 0, "gekko.capital", None, "HDSI"),
    (48, "Ghostbusters LLC", "active", "starter", 11900, 64, None, None, "I"),
    (49, "Genco Olive Oil", "active", "growth", 42000, 215, "genco.it", None, "HS"),
    (50, "Good Burger", "onboarding", "starter", None, None, "goodburger.com", None, ""),
    (52, "Weyland-Yutani", "active", _SCALE, 2200000, 15400, "weyland.corp", "C0WEYLAND7Y", "HDSI"),
    (53, "InGen Bio", "archived", None, None, None, None, None, ""),
    (54, "Buy n Large", "active", "enterprise", 760000, 22000, "bnl.com", None, "HDS"),
    (55, "Chotchkie's", "at_risk", "starter", 5900, 45, "chotchkies.com", None, "S"),
    (56, "Krusty Krab", "active", "growth", 29900, 880, "krustykrab.sea", None, "SI"),
    (58, "Mom's Friendly Robots", "paused", "enterprise", 180000, 0, "momcorp.com", None, "HD"),
    (59, "Strickland Propane", "active", "starter", 6900, 55, "stricklandpropane.com", None, "H"),
    (60, "Dharma Initiative", "churned", None, 0, 0, "dharma.org", None, ""),
    (61, "Octan Fuel", "active", "growth", 50500, 300, "octan.com", None, "HDSI"),
    (62, "Central Perk", "onboarding", "starter", 0, 0, "centralperk.cafe", None, "S"),
    (64, "Ollie's Outfitters", "trialing", None, None, 0, "olliesoutfitters.com", None, ""),
    (65, "Hanso Foundation", "active", "enterprise", 0, 900, "hanso.org", None, "HD"),
    (66, "Sirius Cybernetics", "active", "growth", 70000, 450, "sirius.cyb", None, "HDS"),
    (67, "Stay Puft Marshmallow", "archived", "starter", 0, 0, "staypuft.com", None, "S"),
    (69, "Vehement Capital", "active", "growth", 46000, 190, "vehement.capital", None, "HI"),
    (70, "Frobozz Magic Co", "at_risk", "enterprise", 150000, 700, "frobozz.com", None, "HDSI"),
    (245, "Aurora", "active", "growth", 150000, 75, "aurora.app", "C0AURORA01", "HDSI"),
    (246, "Nullius Holdings", "onboarding", None, None, None, None, None, ""),
)
# fmt: on
_NULL_SLUG: frozenset[int] = frozenset({53, 246})
_ACME_FIXED: dict[str, Any] = {
    "id": ACME_ID,
    "hubspot_company_id": "123456789",
    "hubspot_deal_id": "987654321",
    "stripe_customer_id": "cus_J5k9vX2bL8Q7Yz",
    "intercom_company_id": "abc123def456",
}


def _rand_alnum(seed: int, n: int, alphabet: str) -> str:
    out = []
    for _ in range(n):
        seed, rem = divmod(seed, len(alphabet))
        out.append(alphabet[rem])
    return "".join(out)


def _sample_customer(row: _Row) -> dict[str, Any]:
    did, name, status, plan, mrr, orders, domain, channel, flags = row
    # Later display ids are created later; the jitter (< 1 day) keeps created_at distinct.
    created = _SAMPLE_BASE + timedelta(days=7 * did, milliseconds=_h("c", did) % 86_400_000)
    updated = min(created + timedelta(milliseconds=_h("u", did) % (200 * 86_400_000)), _SAMPLE_NOW)
    h = _h("ids", did)
    customer: dict[str, Any] = {
        "object": "customer",
        "id": cuid(epoch_ms(created), did, "g7l8", _h("r", did)),
        "display_id": did,
        "name": name,
        "slug": None if did in _NULL_SLUG else slugify(name),
        "domain": domain,
        "status": status,
        "plan": plan,
        "mrr": mrr,
        "monthly_orders": orders,
        "hubspot_company_id": str(100_000_000 + h % 899_999_999) if "H" in flags else None,
        "hubspot_deal_id": str(1_000_000_000 + (h >> 7) % 8_999_999_999) if "D" in flags else None,
        "stripe_customer_id": "cus_" + _rand_alnum(h >> 3, 14, STRIPE_ALPHABET)
        if "S" in flags
        else None,
        "intercom_company_id": f"{(h >> 11) % 16**12:012x}" if "I" in flags else None,
        "slack_channel_id": channel,
        "created_at": format_timestamp(created),
        "updated_at": format_timestamp(updated),
    }
    if did == 42:
        customer.update(_ACME_FIXED)
    return customer


def sample_customers() -> list[dict[str, Any]]:
    """About 60 realistic customers (fresh dicts on every call), newest first.

    Notable members: 42 "Acme Co." (``ACME_ID``, channel ``C024BE7LT``, every field set),
    7 "Globex Corporation" (at_risk, no channel; shares ``globex.com`` with 8),
    245 "Aurora", 246 "Nullius Holdings" (every nullable field null), 13 "Smith & Sons <Ltd>".
    Every status occurs: active, at_risk, churned, archived, onboarding, paused, trialing.
    Display ids 999 and 404 never exist.
    """
    customers = [_sample_customer(row) for row in _SAMPLE_ROWS]
    customers.sort(key=lambda c: c["created_at"], reverse=True)
    return customers


SAMPLE_CHANNELS: dict[str, int] = {
    c["slack_channel_id"]: c["display_id"] for c in sample_customers() if c["slack_channel_id"]
}


def generate_customers(n: int, *, seed: int = 1) -> list[dict[str, Any]]:
    """``n`` synthetic customers with display ids 1..n, deterministic for ``seed``, newest first.

    Unique ids, slugs, created_at and channels; about 10 % have a Slack channel; realistic
    nulls (plan, mrr, monthly_orders, domain, slug and the integration ids are sometimes null).
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    rng = random.Random(seed)
    fingerprint = b36(seed * 7919, 4)
    gap = max(SPAN_MS // max(n, 1), 1)
    slugs: set[str] = set()
    channels: set[str] = set()
    out: list[dict[str, Any]] = []
    for did in range(1, n + 1):
        created_ms = BASE_MS + (did - 1) * gap + int(rng.random() * gap)
        out.append(
            synthetic_customer(rng, did, created_ms, fingerprint, slugs=slugs, channels=channels)
        )
    out.reverse()
    return out
