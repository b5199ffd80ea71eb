"""A list of customers as CSV: every field of every row, safe to open in a spreadsheet (pure).

One row per customer, in the order given (a Portfolio's ``rows()``: the filter's sort), after
a header row naming the columns. UTF-8, RFC 4180 quoting (csv's "excel" dialect, CRLF line
ends), so names with commas, quotes, line breaks or emoji read back unchanged.

Formula injection (OWASP "CSV Injection"): a text cell that starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return is written with a single quote in front, so a spreadsheet
shows it as text instead of running it. Only text from elsewhere (Pivotal, webhooks, the
settings) is a text cell; numbers the bot writes itself (ids, MRR, orders, health, dates)
are not, so a negative MRR stays a number.

The file is written once into one buffer, as bytes: no list of lines, no str copy of the
whole file (a str holding one emoji takes 4 bytes a character).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from datetime import UTC, date, datetime

from bot.lookup.portfolio import Row
from bot.pivotal.models import instant

COLUMNS = (
    "id",
    "display_id",
    "name",
    "slug",
    "domain",
    "status",
    "plan",
    "mrr",
    "currency",
    "monthly_orders",
    "hubspot_company_id",
    "hubspot_deal_id",
    "stripe_customer_id",
    "intercom_company_id",
    "slack_channel_id",
    "created_at",
    "updated_at",
    "health_score",
    "previous_health_score",
    "owner_email",
    "pivotal_url",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_SLUG_LIMIT = 40
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def neutralise(text: str) -> str:
    """`text` as a cell no spreadsheet runs as a formula (a quote before a risky start)."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_bytes(rows: Iterable[Row], *, currency: str, app_url: str) -> bytes:
    """`rows` as a CSV file (UTF-8, header first); MRR in currency units, e.g. ``1250.00``."""
    buffer = io.BytesIO()
    # newline="": csv writes its own CRLF and must not have "\n" in cells translated.
    text = io.TextIOWrapper(buffer, encoding="utf-8", newline="")
    writer = csv.writer(text)
    writer.writerow(COLUMNS)
    unit = neutralise(currency)
    base = neutralise(app_url.rstrip("/") + "/customers/")  # every link starts with it
    safe = neutralise
    for row in rows:
        c, s = row.customer, row.signals
        writer.writerow(
            (
                safe(c.id),
                c.display_id,
                safe(c.name),
                None if c.slug is None else safe(c.slug),
                None if c.domain is None else safe(c.domain),
                safe(c.status),
                None if c.plan is None else safe(c.plan),
                None if c.mrr is None else units(c.mrr),
                unit,
                c.monthly_orders,
                None if c.hubspot_company_id is None else safe(c.hubspot_company_id),
                None if c.hubspot_deal_id is None else safe(c.hubspot_deal_id),
                None if c.stripe_customer_id is None else safe(c.stripe_customer_id),
                None if c.intercom_company_id is None else safe(c.intercom_company_id),
                None if c.slack_channel_id is None else safe(c.slack_channel_id),
                timestamp(c.created_at),
                timestamp(c.updated_at),
                None if s is None else s.health_score,
                None if s is None else s.previous_health_score,
                None if s is None or s.owner_email is None else safe(s.owner_email),
                f"{base}{c.display_id}",
            )
        )
    text.flush()
    data = buffer.getvalue()
    text.detach()  # the wrapper would close the buffer when collected; it is done with
    return data


def units(cents: int) -> str:
    """125000 -> "1250.00": a plain decimal number, no grouping or symbol."""
    whole, rest = divmod(abs(cents), 100)
    return f"{'-' if cents < 0 else ''}{whole}.{rest:02d}"


def timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z (a time without a zone is taken as UTC)."""
    return instant(moment).astimezone(UTC).isoformat().replace("+00:00", "Z")


def export_filename(filter_text: str, day: date) -> str:
    """``customers-<filter, shortened to letters, digits and dashes>-<YYYY-MM-DD>.csv``."""
    folded = unicodedata.normalize("NFKD", filter_text).encode("ascii", "ignore").decode()
    slug = _NOT_SLUG.sub("-", folded.lower()).strip("-")[:_SLUG_LIMIT].rstrip("-")
    return f"customers-{slug or 'all'}-{day.isoformat()}.csv"
