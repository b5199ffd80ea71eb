"""What one bench run does: the knobs from the command line and the sizes they imply."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

UNLIMITED = 1_000_000  # requests per minute: "no rate limit" for scenarios about latency


@dataclass(frozen=True)
class Plan:
    latency_ms: float = 150.0
    rate_limit: int = 60  # per minute, for the budget scenarios (burst, overload)
    customers: int = 10_000  # directory size for the memory scenario
    walk_rate_limit: int = 600  # paid-plan key for the memory walk (100 pages at 60/min: 2+ min)
    quick: bool = False
    directory: int = 500  # customers in the sandbox for every other scenario
    ack_requests: int = 1000
    ack_concurrency: int = 50
    warmup: int = 50
    warm_lookups: int = 200
    warm_rate: float = 50.0  # lookups/s, open loop
    cold_lookups: int = 50
    cold_rate: float = 20.0
    throughput_rates: tuple[float, ...] = (100, 200, 300, 400, 500, 600, 700, 800, 1000, 1200,
                                           1500, 2000)  # fmt: skip
    step_seconds: float = 2.0
    trace_lookups: int = 1000
    trace_seconds: float = 10.0
    trace_ttl: float = 2.0
    zipf_s: float = 1.0
    burst: int = 200
    overload_factor: int = 10
    overload_seconds: float = 10.0
    overload_ttl: float = 2.0
    uncached: int = 20  # customers created after the walk, looked up in the overload trace
    uncached_share: float = 0.1
    surface_customers: int = 100_000  # directory for the type-ahead / search / Refresh figures
    surface_latency_ms: float = 20.0
    surface_queries: int = 1000
    surface_concurrency: int = 2  # people typing at the same moment
    surface_refresh_seconds: float = 10.0
    inbox_events: int = 500  # distinct signed deliveries per database, one in flight
    inbox_databases: tuple[str, ...] = ("sqlite", "postgresql")

    @classmethod
    def make(
        cls,
        *,
        quick: bool = False,
        latency_ms: float | None = None,
        rate_limit: int | None = None,
        customers: int | None = None,
        inbox_databases: tuple[str, ...] | None = None,
    ) -> Plan:
        base = cls.tiny() if quick else cls()
        given = (("latency_ms", latency_ms), ("rate_limit", rate_limit),
                 ("customers", customers), ("inbox_databases", inbox_databases))  # fmt: skip
        return cls(**{**asdict(base), **{k: v for k, v in given if v is not None}})

    @classmethod
    def tiny(cls) -> Plan:
        """Small enough for the smoke test: every scenario, a few seconds each."""
        return cls(
            rate_limit=6, customers=1000, quick=True, directory=100, ack_requests=60,
            ack_concurrency=20, warmup=10, warm_lookups=20, cold_lookups=5,
            throughput_rates=(50, 100), step_seconds=0.5, trace_lookups=60, trace_seconds=1.0,
            trace_ttl=0.3, burst=20, overload_seconds=1.0, overload_ttl=0.3,
            uncached=5, surface_customers=2000, surface_queries=50, surface_refresh_seconds=1.0,
            inbox_events=20,
        )  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
