"""Pivotal API objects as frozen pydantic models (unknown fields ignored, status kept open)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

_FROZEN = ConfigDict(frozen=True, extra="ignore")
_LEAP_SECOND = re.compile(r"(T\d\d:\d\d):60")


def _lenient_timestamp(value: object) -> object:
    """RFC 3339 allows a leap second (:60) and year 0000; Python's datetime has neither."""
    if isinstance(value, str):
        value = _LEAP_SECOND.sub(r"\1:59", value)
        if value.startswith("0000-"):
            value = "0001-" + value[5:]
    return value


Timestamp = Annotated[datetime, BeforeValidator(_lenient_timestamp)]
T = TypeVar("T", bound=BaseModel)
# Which fields each customer was given: nearly always all of them. One shared set per
# combination instead of one per customer halves a 100,000-customer directory (~700
# bytes each); frozen models never add to it, and copies get their own.
_FIELDS_SETS: dict[frozenset[str], set[str]] = {}


def instant(moment: datetime) -> datetime:
    """`moment` comparable with any other: a naive time is taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


class Customer(BaseModel):
    """One customer, as GET /customers/{id} and the list return it (OpenAPI `Customer`)."""

    model_config = _FROZEN

    id: str = Field(min_length=1)
    display_id: int
    name: str
    slug: str | None = None
    domain: str | None = None
    # An open string: the API adds enum values inside v1 without notice.
    status: str
    plan: str | None = None
    mrr: int | None = Field(default=None, description="Monthly recurring revenue in cents.")
    monthly_orders: int | None = None
    hubspot_company_id: str | None = None
    hubspot_deal_id: str | None = None
    stripe_customer_id: str | None = None
    intercom_company_id: str | None = None
    slack_channel_id: str | None = None
    created_at: Timestamp
    updated_at: Timestamp

    def model_post_init(self, context: Any, /) -> None:
        given = self.__pydantic_fields_set__
        shared = _FIELDS_SETS.setdefault(frozenset(given), given)
        object.__setattr__(self, "__pydantic_fields_set__", shared)


class Page(BaseModel, Generic[T]):
    """One page of a Pivotal list (customers, contacts, onboardings); entries that fail
    validation are counted, not fatal."""

    model_config = _FROZEN

    data: tuple[T, ...]
    has_more: bool
    next_cursor: str | None = None
    skipped: int = 0


CustomerPage = Page[Customer]


class Identity(BaseModel):
    """What GET /me says about the key; parsed defensively, both documented shapes."""

    model_config = _FROZEN

    key_name: str | None = None
    key_prefix: str | None = None
    organization: str | None = None
    livemode: bool | None = None


class Signals(BaseModel):
    """What webhooks tell beyond the REST customer: health (0-100), owner, risk flags."""

    model_config = _FROZEN

    health_score: int | None = Field(default=None, ge=0, le=100)
    previous_health_score: int | None = Field(default=None, ge=0, le=100)
    owner_email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s<>]+@[^@\s<>]+$")
    at_risk: bool | None = None
    churned: bool | None = None
