"""What the sample Pivotal holds while it serves: data, keys, faults, webhooks and its request log.

The route handlers (``endpoints.py``) and the controls (``control.py``) read and steer this;
``server.py`` adds the request pipeline and the lifecycle on top.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.sandbox.pivotal.data import sample_customers
from bot.sandbox.pivotal.deliveries import envelope
from bot.sandbox.pivotal.edits import WebhookTarget
from bot.sandbox.pivotal.faults import Fault, FaultInjector
from bot.sandbox.pivotal.ratelimit import SlidingWindowLimiter
from bot.sandbox.pivotal.signals import webhook_fields
from bot.sandbox.pivotal.store import CustomerStore

API_PREFIX = "/api/v1"
CUSTOMERS = API_PREFIX + "/customers"
_BEARER = re.compile(r"bearer ([^\s]+)", re.IGNORECASE)


@dataclass
class RecordedRequest:
    """One request seen by the sandbox. The API key itself is never stored."""

    method: str
    path: str
    query: str
    headers: dict[str, str]  # without Authorization
    authorized: bool  # a known, non-revoked key was presented
    key_prefix: str | None  # first 12 chars of the presented key (safe to log)
    at: float  # time.monotonic() on arrival
    status: int = 0  # HTTP status once answered (0 while pending / hung)
    body: bytes = b""  # what a PATCH sent

    def json(self) -> Any:
        """The body, parsed (None when there was none)."""
        return json.loads(self.body) if self.body else None


class SandboxState:
    """The sample Pivotal's state; ``SandboxPivotal`` serves it (arguments are described there)."""

    def __init__(
        self,
        customers: list[dict[str, Any]] | None = None,
        *,
        api_keys: Iterable[str] = ("pivotal_test_sandbox",),
        rate_limit: int = 600,
        latency: float = 0.0,
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.api_keys: list[str] = list(api_keys)
        self.revoked: set[str] = set()
        self.limiter = SlidingWindowLimiter(rate_limit, window, clock)
        self.latency = latency
        self.faults = FaultInjector()
        self.store = CustomerStore(sample_customers() if customers is None else customers)
        # Where PATCHed customers are announced (a bot's /pivotal/webhooks), if anywhere.
        self.webhooks: WebhookTarget | None = None
        self.told: dict[int, dict[str, Any]] = {}  # webhook-only fields set by `tell`
        self.requests: list[RecordedRequest] = []

    # ---- data, keys, faults, log --------------------------------------------------------
    @property
    def customers(self) -> list[dict[str, Any]]:
        """Visible (not deleted) customers, newest first."""
        return self.store.all()

    def upsert(self, customer: dict[str, Any]) -> None:
        """Insert or replace a customer (matched on ``id``, else ``display_id``)."""
        self.store.upsert(customer)

    def delete(self, display_id: int) -> bool:
        """Soft delete: GET 404s and lists skip it afterwards. False if not found."""
        return self.store.delete(display_id)

    def revoke_key(self, key: str) -> None:
        self.revoked.add(key)

    def restore_key(self, key: str) -> None:
        self.revoked.discard(key)

    def key_state(self, request: web.Request) -> tuple[str | None, bool, bool]:
        """(presented key, accepted, revoked)."""
        m = _BEARER.fullmatch(request.headers.get("Authorization", "").strip())
        key = m.group(1) if m else None
        known = key is not None and key in self.api_keys
        return key, known and key not in self.revoked, known and key in self.revoked

    @property
    def fault(self) -> Fault | None:
        return self.faults.fault

    def set_fault(
        self, mode: str | None, *, count: int | None = None, paths: str = "customers", **opts: Any
    ) -> None:
        """Inject ``mode`` (one of ``FAULT_MODES``) or clear it with None (also un-hangs).

        count: only the next N matching requests, then it clears itself (None = until cleared).
        paths: "customers" (/customers endpoints; plus /me for "revoked") or "all".
        opts: ``retry_after`` (rate_limited, default 7), ``seconds`` (slow, default 1.0),
        ``path`` (only requests to exactly this path, e.g. one customer's).
        """
        self.faults.set(mode, count, paths, opts)

    def reset(self) -> None:
        """Clear faults, release hung requests, restore revoked keys, empty rate-limit windows.
        Leaves data, ``latency`` and the request log alone."""
        self.faults.clear()
        self.revoked.clear()
        self.limiter.reset()

    def clear_requests(self) -> None:
        self.requests.clear()

    def customer_gets(self) -> int:
        """Number of ``GET /customers/{id}`` requests recorded (not its contacts' or
        onboardings': ``related_gets``)."""
        prefix = CUSTOMERS + "/"
        return sum(1 for r in self.requests if r.method == "GET" and r.path.startswith(prefix)
                   and "/" not in r.path[len(prefix):])  # fmt: skip

    def related_gets(self) -> int:
        """Number of GETs of contacts and onboardings (lists and single ones) recorded."""
        starts = (API_PREFIX + "/contacts", API_PREFIX + "/onboardings")
        ends = ("/contacts", "/onboardings")
        return sum(
            1
            for r in self.requests
            if r.method == "GET" and (r.path.startswith(starts) or r.path.endswith(ends))
        )

    def patches(self) -> list[tuple[str, Any]]:
        """Every PATCH recorded, oldest first: (path, body as parsed)."""
        return [(r.path, r.json()) for r in self.requests if r.method == "PATCH"]

    def list_calls(self) -> int:
        """Number of ``GET /customers`` (list) requests recorded."""
        return sum(1 for r in self.requests if r.method == "GET" and r.path == CUSTOMERS)

    # ---- webhooks -----------------------------------------------------------------------
    def deliver_to(self, url: str, secret: str) -> WebhookTarget:
        """Send a signed ``customer.updated`` to ``url`` after every PATCH, like Pivotal."""
        self.webhooks = WebhookTarget(url, secret, webhook_only=self.webhook_fields)
        return self.webhooks

    def webhook_fields(self, customer: dict[str, Any]) -> dict[str, Any]:
        """What a customer event carries beyond the REST customer: the derived health and
        owner, under what `tell` set since."""
        return {**webhook_fields(customer), **self.told.get(int(customer["display_id"]), {})}

    def tell(self, display_id: int, fields: dict[str, Any]) -> bool:
        """Change webhook-only fields (`health_score`, `owner_email`) as Pivotal's own
        recompute would, and send the ``customer.updated`` that says so; False when there is
        no such customer or nowhere to send."""
        customer = self.store.get(str(display_id))
        if customer is None or self.webhooks is None:
            return False
        previous = self.set_told(display_id, fields)
        self.webhooks.send_soon(envelope("customer.updated", dict(customer), previous=previous))
        return True

    def set_told(self, display_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        """Set webhook-only fields for the next event about the customer (a new health score
        keeps the old one as `previous_health_score`); what they were before."""
        customer = self.store.get(str(display_id))
        before = self.webhook_fields(customer) if customer is not None else {}
        told = dict(fields)
        if "health_score" in told:
            told["previous_health_score"] = before.get("health_score")
            told["at_risk"] = told["health_score"] < 40
        self.told[display_id] = {**self.told.get(display_id, {}), **told}
        return {key: before.get(key) for key in fields}

    async def announce_health(self, timeout: float = 10.0) -> int:
        """Send every customer's health and owner (as a nightly health recompute would:
        one ``customer.updated`` each) to where ``deliver_to`` pointed; how many were sent."""
        if self.webhooks is None:
            return 0
        customers = self.store.all()
        for customer in customers:
            self.webhooks.send_soon(envelope("customer.updated", dict(customer), previous={}))
        await self.webhooks.drain(timeout)
        return len(customers)
