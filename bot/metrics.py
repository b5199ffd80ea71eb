"""Prometheus metrics: counters bumped where things happen, gauges read at scrape time.

A leaf like logging: it imports nothing of the bot's; the caller hands it a Reading.

Labels are closed sets (surface, outcome, source, route template, status); never
customer data, ids, channels or secrets.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# Process-wide, like logging: every lookup and Pivotal request of this process.
REGISTRY = CollectorRegistry(auto_describe=True)
LOOKUPS = Counter(
    "pivotal_bot_lookups",
    "Lookups answered, by surface, outcome and where the customer came from",
    ["surface", "outcome", "source"],
    registry=REGISTRY,
)
PIVOTAL_REQUESTS = Counter(
    "pivotal_bot_pivotal_requests",
    "Requests sent to the Pivotal API, by route template and status",
    ["route", "status"],
    registry=REGISTRY,
)
NOTIFICATIONS = Counter(
    "pivotal_bot_notifications",
    "Follow notifications posted, edited or failed (failed: by reason)",
    ["outcome", "reason"],
    registry=REGISTRY,
)


def count_notification(outcome: str, reason: str = "") -> None:
    NOTIFICATIONS.labels(outcome, reason).inc()


def count_lookup(surface: str, outcome: str, source: str | None) -> None:
    LOOKUPS.labels(surface, outcome, source or "none").inc()


def count_pivotal_request(route: str, status: object) -> None:
    PIVOTAL_REQUESTS.labels(route, str(status)).inc()


@dataclass(frozen=True)
class Reading:
    """What the gauges show, read from the running bot just before a scrape."""

    budget_limit: int | None
    budget_remaining: int | None
    shared_budget_remaining: int | None
    directory_customers: int
    directory_loaded_at: float | None  # epoch seconds
    directory_ready: bool
    inflight: int
    redis_configured: bool
    redis_up: bool
    redis_fallbacks: int
    redis_outages: int
    webhooks: Webhooks | None = None  # with PIVOTAL_WEBHOOK_SECRET
    notifications: Notifications | None = None  # the outbox, when the database answers


@dataclass(frozen=True)
class Notifications:
    """The notification outbox as every replica sees it (rows by status)."""

    queued: int  # pending: owed, not sent yet
    sending: int  # leased by a sender now
    sent: int  # kept until purged
    failed: int
    oldest_pending_seconds: float | None
    follows: dict[str, int] | None = None  # by kind: customer, segment, personal, digest, paused
    digests_sent: int = 0  # by this replica since start
    planned: int = 0  # notifications this replica started or joined since start


@dataclass(frozen=True)
class Webhooks:
    """Webhook and live-card counts since start, for one replica."""

    applied: int  # verified customer events applied
    refetches: int  # budget-aware GETs for partial events
    live_cards: int  # cards this replica knows to follow
    live_updates: int  # cards redrawn in Slack
    live_unchanged: int  # redraws skipped: the message already showed that card
    live_dropped: int  # cards forgotten: message or channel deleted


class _Gauges(Collector):
    def __init__(self, reading: Reading, wall: float):
        self._reading = reading
        self._wall = wall

    def collect(self) -> Iterator[Metric]:
        r = self._reading
        age = (
            None if r.directory_loaded_at is None else max(0.0, self._wall - r.directory_loaded_at)
        )
        gauges: list[tuple[str, str, float | None]] = [
            ("budget_limit", "Requests the key may send per window", r.budget_limit),
            ("budget_remaining", "Requests left in the window, as Pivotal last said",
             r.budget_remaining),
            ("shared_budget_remaining", "Requests left in the window all replicas share",
             r.shared_budget_remaining),
            ("directory_customers", "Customers in the directory", r.directory_customers),
            ("directory_age_seconds", "Seconds since the customer list was read", age),
            ("directory_ready", "1 once the customer list is loaded", int(r.directory_ready)),
            ("inflight", "Answers still being worked on after their ack", r.inflight),
        ]  # fmt: skip
        if r.redis_configured:
            gauges.append(("redis_up", "1 while Redis answers", int(r.redis_up)))
        for name, doc, value in gauges:
            if value is not None:
                yield GaugeMetricFamily(f"pivotal_bot_{name}", doc, value=value)
        if r.redis_configured:
            yield CounterMetricFamily("pivotal_bot_redis_fallbacks",
                                      "Redis calls answered from in-process state instead",
                                      value=r.redis_fallbacks)  # fmt: skip
            yield CounterMetricFamily("pivotal_bot_redis_outages", "Redis outages seen",
                                      value=r.redis_outages)  # fmt: skip
        if r.webhooks is not None:
            yield from _webhook_metrics(r.webhooks)
        if r.notifications is not None:
            yield from _notification_metrics(r.notifications)


def _notification_metrics(n: Notifications) -> Iterator[Metric]:
    rows = GaugeMetricFamily(
        "pivotal_bot_outbox_notifications",
        "Notifications in the outbox, by status",
        labels=["status"],
    )
    for status, value in (("pending", n.queued), ("sending", n.sending), ("sent", n.sent),
                          ("failed", n.failed)):  # fmt: skip
        rows.add_metric([status], value)
    yield rows
    if n.oldest_pending_seconds is not None:
        yield GaugeMetricFamily("pivotal_bot_outbox_oldest_pending_seconds",
                                "Age of the oldest notification not sent yet",
                                value=n.oldest_pending_seconds)  # fmt: skip
    if n.follows is not None:
        kinds = GaugeMetricFamily("pivotal_bot_follows", "Follows, by kind", labels=["kind"])
        for kind, value in sorted(n.follows.items()):
            kinds.add_metric([kind], value)
        yield kinds
    yield CounterMetricFamily("pivotal_bot_digests_sent", "Digests this replica posted",
                              value=n.digests_sent)  # fmt: skip
    yield CounterMetricFamily("pivotal_bot_notifications_planned",
                              "Notifications this replica started or joined for a change",
                              value=n.planned)  # fmt: skip


def _webhook_metrics(w: Webhooks) -> Iterator[Metric]:
    counters = [
        ("webhooks_applied", "Verified Pivotal customer events applied", w.applied),
        ("webhook_refetches", "Customer GETs asked for by partial events", w.refetches),
        ("live_card_updates", "Posted cards and unfurls redrawn in Slack", w.live_updates),
        ("live_card_unchanged", "Redraws skipped: the message already showed that card",
         w.live_unchanged),
        ("live_cards_dropped", "Live cards forgotten: message or channel deleted",
         w.live_dropped),
    ]  # fmt: skip
    for name, doc, value in counters:
        yield CounterMetricFamily(f"pivotal_bot_{name}", doc, value=value)
    yield GaugeMetricFamily("pivotal_bot_live_cards", "Cards this replica follows itself",
                            value=w.live_cards)  # fmt: skip


def exposition(reading: Reading, *, wall: float | None = None) -> bytes:
    """The Prometheus text page: process counters, then this bot's gauges."""
    gauges = CollectorRegistry(auto_describe=False)
    gauges.register(_Gauges(reading, time.time() if wall is None else wall))
    return generate_latest(REGISTRY) + generate_latest(gauges)
