"""The sandbox's contacts and onboardings: deterministic, drawn from each customer's fields.

Any customer list gets them, the sample customers and ``generate_customers`` alike: each
customer's contacts (1-6, one primary, emails on its domain) and onboarding (every customer
in status onboarding, some active, at-risk and churned ones) follow from its display_id
and cuid, the same every run. Nothing is drawn before it is asked for: a customer's
contacts on the first request about them, the onboardings on the first onboarding request,
so a 100,000-customer benchmark pays only for what it reads. Edits are kept on top.
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_right
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

from bot.sandbox.pivotal.formats import b36, format_ms
from bot.sandbox.pivotal.store import CustomerStore

__all__ = ["CONTACT_FINGERPRINT", "ONBOARDING_FINGERPRINT", "RelatedStore", "by_newest"]

CONTACT_FINGERPRINT = "ct0k"
ONBOARDING_FINGERPRINT = "onb0"
_DAY_MS = 86_400_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DIGITS = re.compile(r"[0-9]{1,12}")
_FIRST_TEXT = (
    "Ada Amara Ben Carla Chen Diego Elena Farah Felix Grace Hana Ivan Jonas Kai Lena "
    "Liam Maya Mateo Nadia Noah Olga Omar Priya Rafael Sara Tariq Uma Viktor Wen Zoe"
)
_LAST_TEXT = (
    "Becker Okafor Lindqvist Moreau Nakamura Patel Rossi Schmidt Silva Tanaka Kowalski "
    "Haddad Novak Fischer Garcia Ivanova Jensen Kim Larsen Mendes Nguyen Ortiz Quinn "
    "Reyes Sato Torres Vogel Walsh Yilmaz Zhang"
)
_FIRST = tuple(_FIRST_TEXT.split())
_LAST = tuple(_LAST_TEXT.split())
_TITLES = ("VP Customer Operations", "Head of Operations", "IT Director", "CTO", "COO",
           "Finance Manager", "Procurement Lead", "Project Manager", "Product Owner",
           "Office Manager", "Marketing Lead", "Engineering Manager", "Founder & CEO",
           "Accounts Payable", "Support Lead")  # fmt: skip
_LABELS = ("champion", "decision maker", "billing", "technical", "executive sponsor", "admin",
           "end user")  # fmt: skip
_TEAM_IDS = ("usr_pat", "usr_sam", "usr_alex", "usr_jo", "usr_rene")
_TEMPLATES = ("tmpl_standard", "tmpl_enterprise", "tmpl_quickstart")
_IN_PROGRESS = ("before_getting_started", "program_design", "review", "program_buildout",
                "internal_qa", "launch")  # fmt: skip
_NOTES = (None, None, "Kickoff call went well.", "Waiting on SSO details from their IT team.",
          "Data import scheduled.", "Launch comms drafted; needs sign-off.")  # fmt: skip
# A few sample customers, fixed so tests and the demo can name them.
_FIXED_CONTACTS: dict[int, tuple[tuple[str, str, tuple[str, ...]], ...]] = {
    42: (("Maya Patel", "VP Customer Operations", ("champion", "executive sponsor")),
         ("Tom Becker", "IT Director", ("technical",)),
         ("Lena Ortiz", "Finance Manager", ("billing",))),
    10: (("Art Vandelay", "Founder & CEO", ("decision maker",)),),
}  # fmt: skip
_FIXED_ONBOARDINGS: dict[int, dict[str, Any]] = {
    42: {"phase": "completed", "state": "active", "waiting_on_customer": False},
    10: {"phase": "launch", "state": "active", "waiting_on_customer": True,
         "notes": "Launch comms drafted; needs sign-off."},
    38: {"phase": "internal_qa", "state": "at_risk", "waiting_on_customer": False},
    22: {"phase": "program_design", "state": "waiting", "waiting_on_customer": True},
}  # fmt: skip


def _h(*parts: object) -> int:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:16], "big")


def _ms(timestamp: str) -> int:
    dt = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    return (dt - _EPOCH) // timedelta(milliseconds=1)


def by_newest(item: dict[str, Any]) -> int:
    """Sort key: newest first (created_at descending) as Pivotal lists, in milliseconds."""
    return -_ms(item["created_at"])


def page_of(
    items: list[dict[str, Any]], limit: int, before_micros: int | None
) -> tuple[list[dict[str, Any]], bool]:
    """Up to `limit` of `items` (newest first) created strictly before the cursor."""
    start = 0
    if before_micros is not None:
        keys = [-_ms(i["created_at"]) * 1000 for i in items]
        start = bisect_right(keys, -before_micros)
    chosen = items[start : start + limit + 1]
    return chosen[:limit], len(chosen) > limit


class RelatedStore:
    """Contacts and onboardings of the customers in one CustomerStore, plus edits."""

    def __init__(self, customers: CustomerStore) -> None:
        self.customers = customers
        self._contacts: dict[str, list[dict[str, Any]]] = {}  # customer id -> newest first
        self._added = 0  # contacts created through the API
        self._onboardings: list[dict[str, Any]] | None = None  # newest first, drawn once
        self._onboarding_ids: dict[str, dict[str, Any]] = {}
        self._neg_micros: list[int] = []

    # ---- contacts ----------------------------------------------------------------------
    def contacts_of(self, customer: dict[str, Any]) -> list[dict[str, Any]]:
        """The customer's contacts, newest first (drawn on first use)."""
        found = self._contacts.get(customer["id"])
        if found is None:
            found = sorted(_draw_contacts(customer), key=by_newest)
            self._contacts[customer["id"]] = found
        return found

    def contact(self, ident: str) -> dict[str, Any] | None:
        """A contact by cuid or display_id, if its customer is visible."""
        owner = self.customers.get(str(_contact_owner(ident)))
        for customer in (owner, self._customer_of_added(ident)):
            for contact in self.contacts_of(customer) if customer is not None else ():
                if ident in (contact["id"], str(contact["display_id"])):
                    return contact
        return None

    def add_contact(self, customer: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
        """A new contact of `customer` (the primary one if `is_primary` or it is the first)."""
        contacts = self.contacts_of(customer)
        self._added += 1
        now = datetime.now(UTC)
        now_ms = (now - _EPOCH) // timedelta(milliseconds=1)
        if contacts:
            now_ms = max(now_ms, _ms(contacts[0]["created_at"]) + 1)
        contact = {
            "object": "contact",
            "id": "c" + b36(now_ms, 8) + b36(self._added, 4) + "ctad" + b36(_h(now_ms), 8),
            # Beyond any drawn contact's (display_id * 8 + 0..5).
            "display_id": 8 * (_max_display_id(self.customers) + 1) + self._added,
            "customer_id": customer["id"],
            "name": None,
            "email": None,
            "title": None,
            "is_primary": not contacts,
            "labels": [],
            "created_at": format_ms(now_ms),
            "updated_at": format_ms(now_ms),
        }
        contact.update(fields)
        contacts.insert(0, contact)
        if contact["is_primary"]:
            self.make_primary(contact)
        return contact

    def update_contact(self, contact: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
        """Apply `changes` in place (one primary per customer) and bump updated_at."""
        contact.update(changes, updated_at=format_ms(_now_ms()))
        if changes.get("is_primary"):
            self.make_primary(contact)
        return contact

    def make_primary(self, contact: dict[str, Any]) -> None:
        for other in self._contacts.get(contact["customer_id"], []):
            if other is not contact:
                other["is_primary"] = False

    def _customer_of_added(self, ident: str) -> dict[str, Any] | None:
        for cid, contacts in self._contacts.items():
            if any(ident in (c["id"], str(c["display_id"])) for c in contacts):
                return self.customers.get(cid)
        return None

    # ---- onboardings -------------------------------------------------------------------
    def onboarding_page(
        self,
        limit: int,
        before_micros: int | None = None,
        *,
        phase: str | None = None,
        state: str | None = None,
    ) -> tuple[list[dict[str, Any]], bool]:
        """Up to `limit` onboardings of visible customers created strictly before the
        cursor, newest first, filtered before paging; (page, has_more)."""
        everyone = self._all_onboardings()
        start = 0 if before_micros is None else bisect_right(self._neg_micros, -before_micros)
        page: list[dict[str, Any]] = []
        for o in islice(everyone, start, None):
            if (phase is not None and o["phase"] != phase) or (
                state is not None and o["state"] != state
            ):
                continue
            if self.customers.get(o["customer_id"]) is None:
                continue  # a deleted customer's onboardings survive but are not listed
            if len(page) == limit:
                return page, True
            page.append(o)
        return page, False

    def onboardings_of(self, customer: dict[str, Any]) -> list[dict[str, Any]]:
        return [o for o in self._all_onboardings() if o["customer_id"] == customer["id"]]

    def onboarding(self, ident: str) -> dict[str, Any] | None:
        self._all_onboardings()
        found = self._onboarding_ids.get(ident)
        if found is None and _DIGITS.fullmatch(ident):
            found = next((o for o in self._all_onboardings() if str(o["display_id"]) == ident),
                         None)  # fmt: skip
        if found is None or self.customers.get(found["customer_id"]) is None:
            return None
        return found

    def _all_onboardings(self) -> list[dict[str, Any]]:
        if self._onboardings is None:
            drawn = [o for c in self.customers.all() if (o := _draw_onboarding(c)) is not None]
            drawn.sort(key=by_newest)
            _distinct_times(drawn)
            self._onboardings = drawn
            self._neg_micros = [-_ms(o["created_at"]) * 1000 for o in drawn]
            self._onboarding_ids = {o["id"]: o for o in drawn}
        return self._onboardings


def _now_ms() -> int:
    return (datetime.now(UTC) - _EPOCH) // timedelta(milliseconds=1)


def _max_display_id(customers: CustomerStore) -> int:
    return max((c["display_id"] for c in customers.all()), default=0)


def _contact_owner(ident: str) -> int:
    """The customer display_id a drawn contact's id or display_id encodes (0 if none)."""
    if _DIGITS.fullmatch(ident):
        return int(ident) // 8
    if len(ident) == 25 and ident[13:17] == CONTACT_FINGERPRINT:
        try:
            return int(ident[9:13], 36)
        except ValueError:
            return 0
    return 0


def _draw_contacts(customer: dict[str, Any]) -> list[dict[str, Any]]:
    did = int(customer["display_id"])
    seed = _h("contacts", did, customer["id"])
    fixed = _FIXED_CONTACTS.get(did) if _sample_id(customer) else None
    count = len(fixed) if fixed else 1 + seed % 6
    created = _ms(customer["created_at"])
    domain = customer.get("domain")
    out: list[dict[str, Any]] = []
    used: set[str] = set()
    for i in range(count):
        h = _h("contact", did, i, seed)
        if fixed:
            name, title, labels = fixed[i]
        else:
            first, last = h % len(_FIRST), (h >> 8) % len(_LAST)
            name = f"{_FIRST[first]} {_LAST[last]}"
            while name in used:  # one person per name (and so per email) at a customer
                last = (last + 1) % len(_LAST)
                name = f"{_FIRST[first]} {_LAST[last]}"
            title = _TITLES[(h >> 32) % len(_TITLES)]
            labels = tuple(sorted({_LABELS[(h >> s) % len(_LABELS)] for s in (40, 48)
                                   if (h >> (s + 4)) % 3}))  # fmt: skip
        used.add(name)
        at = created + (i * 37 + (h >> 56) % 30) * _DAY_MS + (h >> 64) % _DAY_MS
        local = name.lower().replace(" ", ".")
        out.append({
            "object": "contact",
            "id": "c" + b36(at, 8) + b36(did, 4) + CONTACT_FINGERPRINT + b36(h >> 72, 8),
            "display_id": did * 8 + i,
            "customer_id": customer["id"],
            "name": name,
            "email": f"{local}@{domain}" if domain else None,
            "title": title if (h >> 80) % 9 else None,
            "is_primary": i == 0,
            "labels": list(labels),
            "phone": f"+1 555 01{(h >> 88) % 100:02d}" if (h >> 96) % 4 == 0 else None,
            "created_at": format_ms(at),
            "updated_at": format_ms(at + (h >> 100) % (90 * _DAY_MS)),
        })  # fmt: skip
    return out


def _sample_id(customer: dict[str, Any]) -> str:
    """The id a sample customer has: fixed contacts are for the sample ones only."""
    return str(customer["id"]) if str(customer["id"])[13:17] == "g7l8" else ""


def _draw_onboarding(customer: dict[str, Any]) -> dict[str, Any] | None:
    did, status = int(customer["display_id"]), str(customer.get("status") or "")
    h = _h("onboarding", did, customer["id"])
    fixed = _FIXED_ONBOARDINGS.get(did) if _sample_id(customer) else None
    roll = h % 100
    if fixed:
        phase, state = fixed["phase"], fixed["state"]
    elif status == "onboarding":
        phase = _IN_PROGRESS[(h >> 8) % len(_IN_PROGRESS)]
        state = ("active", "active", "active", "waiting", "at_risk", "paused")[(h >> 12) % 6]
    elif status == "active" and roll < 20:
        phase, state = ("completed", "active") if roll < 15 else ("launch", "active")
    elif status == "at_risk" and roll < 50:
        phase, state = _IN_PROGRESS[2 + (h >> 8) % 4], "at_risk"
    elif status == "churned" and roll < 30:
        phase, state = _IN_PROGRESS[(h >> 8) % 4], "paused"
    else:
        return None
    created = _ms(customer["created_at"]) + (1 + (h >> 16) % 10) * _DAY_MS
    started = created + (h >> 24) % (3 * _DAY_MS)
    target = started + (45 + (h >> 32) % 90) * _DAY_MS
    completed = target + ((h >> 40) % 21 - 7) * _DAY_MS if phase == "completed" else None
    updated = max(started, completed or 0) + (h >> 48) % (20 * _DAY_MS)
    onboarding: dict[str, Any] = {
        "object": "onboarding",
        "id": "c" + b36(created, 8) + b36(did, 4) + ONBOARDING_FINGERPRINT + b36(h >> 56, 8),
        "display_id": 1000 + did,
        "customer_id": customer["id"],
        "template_id": _TEMPLATES[(h >> 64) % len(_TEMPLATES)],
        "phase": phase,
        "state": state,
        "started_at": format_ms(started),
        "completed_at": format_ms(completed) if completed is not None else None,
        "target_launch_date": format_ms(target)[:10],
        "csm_id": _TEAM_IDS[(h >> 72) % len(_TEAM_IDS)],
        "se_id": _TEAM_IDS[(h >> 76) % len(_TEAM_IDS)] if (h >> 80) % 3 else None,
        "designer_id": _TEAM_IDS[(h >> 84) % len(_TEAM_IDS)] if (h >> 88) % 2 else None,
        "product_ops_id": _TEAM_IDS[(h >> 92) % len(_TEAM_IDS)] if (h >> 96) % 4 == 0 else None,
        "notes": _NOTES[(h >> 100) % len(_NOTES)],
        "waiting_on_customer": state == "waiting",
        "created_at": format_ms(created),
        "updated_at": format_ms(updated),
    }
    if fixed:
        onboarding.update(fixed)
    return onboarding


def _distinct_times(items: list[dict[str, Any]]) -> None:
    """Nudge equal created_at (newest first) apart by a millisecond, so cursors never tie."""
    last: int | None = None
    for item in items:
        at = _ms(item["created_at"])
        if last is not None and at >= last:
            at = last - 1
            item["created_at"] = format_ms(at)
        last = at
