"""Export as CSV: every field of every match, formula-safe cells, round-trips through csv;
and what the asker is told (bot/blocks/export.py)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest

from bot.blocks.export import (
    Problem,
    app_link,
    export_failed,
    export_sent,
    nothing_to_export,
    upload_comment,
    upload_title,
)
from bot.blocks.message import Message
from bot.lookup.directory import Snapshot
from bot.lookup.export import COLUMNS, csv_bytes, export_filename, neutralise
from bot.lookup.portfolio import Row
from bot.pivotal.models import Customer, Signals
from bot.sandbox.pivotal.data import generate_customers
from tests.blockkit import assert_inert, assert_valid_message, block_kit_problems
from tests.unit.customers import make_customer

APP_URL = "https://my.pivotal.app/"
NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def row(customer: Customer, signals: Signals | None = None) -> Row:
    return Row(Snapshot(customer, NOW.timestamp(), NOW), signals)


def parsed(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def by_column(data: bytes) -> list[dict[str, str]]:
    header, *rows = parsed(data)
    return [dict(zip(header, cells, strict=True)) for cells in rows]


@pytest.mark.parametrize(
    ("given", "written"),
    [
        ("=1+2", "'=1+2"),
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+x", "'+x"),
        ("-x", "'-x"),
        ("@x", "'@x"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=x", "'\t=x"),
        ("\r=x", "'\r=x"),
        ("Acme Co.", "Acme Co."),
        ("a=b", "a=b"),
        ("x-1", "x-1"),
        (" =1+2", " =1+2"),  # not at the start: spreadsheets read it as text
        ("'quoted", "'quoted"),
        ("", ""),
        ("Café Müller 🚀", "Café Müller 🚀"),
    ],
)
def test_neutralise(given: str, written: str) -> None:
    assert neutralise(given) == written


# (name as Pivotal has it, name as the CSV cell reads back)
NAMES = [
    ("=1+2", "'=1+2"),
    ("+x", "'+x"),
    ("-x", "'-x"),
    ("@x", "'@x"),
    ("\t=x", "'\t=x"),
    ("\r=x", "'\r=x"),
    ('Say "hi" Inc', 'Say "hi" Inc'),
    ("Smith, Jones & Co", "Smith, Jones & Co"),
    ("Line one\nline two", "Line one\nline two"),
    ("Carriage\r\nreturn", "Carriage\r\nreturn"),
    ("Café Müller", "Café Müller"),
    ("Rocket 🚀 Labs", "Rocket 🚀 Labs"),
    ("株式会社テスト", "株式会社テスト"),
    ('"=quoted formula"', '"=quoted formula"'),
]


@pytest.mark.parametrize(("name", "read_back"), NAMES)
def test_names_round_trip_through_csv_reader(name: str, read_back: str) -> None:
    data = csv_bytes([row(make_customer(1, name))], currency="USD", app_url=APP_URL)
    (only,) = by_column(data)
    assert only["name"] == read_back


def test_every_name_in_one_file_keeps_its_row() -> None:
    rows = [row(make_customer(n, name)) for n, (name, _) in enumerate(NAMES, start=1)]
    data = csv_bytes(rows, currency="USD", app_url=APP_URL)
    read = by_column(data)
    assert [r["name"] for r in read] == [back for _, back in NAMES]
    assert [r["display_id"] for r in read] == [str(n) for n in range(1, len(NAMES) + 1)]


def test_header_and_every_field() -> None:
    customer = make_customer(
        42, "Acme Co.", id="cl9x0acme", slug="acme-co", domain="acme.com", status="active",
        plan="enterprise", mrr=125_000, monthly_orders=320, hubspot_company_id="123456789",
        hubspot_deal_id="987654321", stripe_customer_id="cus_J5k9", intercom_company_id="abc123",
        slack_channel_id="C024BE7LT", created_at="2022-03-22T09:30:00Z",
        updated_at="2022-06-27T19:01:02.500+02:00",
    )  # fmt: skip
    told = Signals(health_score=82, previous_health_score=90, owner_email="ann@example.com")
    data = csv_bytes([row(customer, told)], currency="EUR", app_url=APP_URL)
    header, cells = parsed(data)
    assert tuple(header) == COLUMNS
    assert dict(zip(header, cells, strict=True)) == {
        "id": "cl9x0acme",
        "display_id": "42",
        "name": "Acme Co.",
        "slug": "acme-co",
        "domain": "acme.com",
        "status": "active",
        "plan": "enterprise",
        "mrr": "1250.00",
        "currency": "EUR",
        "monthly_orders": "320",
        "hubspot_company_id": "123456789",
        "hubspot_deal_id": "987654321",
        "stripe_customer_id": "cus_J5k9",
        "intercom_company_id": "abc123",
        "slack_channel_id": "C024BE7LT",
        "created_at": "2022-03-22T09:30:00Z",
        "updated_at": "2022-06-27T17:01:02.500000Z",
        "health_score": "82",
        "previous_health_score": "90",
        "owner_email": "ann@example.com",
        "pivotal_url": "https://my.pivotal.app/customers/42",
    }


def test_unknown_values_are_empty_cells() -> None:
    customer = make_customer(7, "Nullius", plan=None, mrr=None, monthly_orders=None)
    (only,) = by_column(csv_bytes([row(customer)], currency="USD", app_url=APP_URL))
    empty = ("slug", "domain", "plan", "mrr", "monthly_orders", "hubspot_company_id",
             "hubspot_deal_id", "stripe_customer_id", "intercom_company_id", "slack_channel_id",
             "health_score", "previous_health_score", "owner_email")  # fmt: skip
    for column in empty:
        assert only[column] == "", column
    assert only["currency"] == "USD"  # the unit of a column, said even where MRR is unknown


@pytest.mark.parametrize(
    ("cents", "written"),
    [(0, "0.00"), (5, "0.05"), (99_999, "999.99"), (125_000, "1250.00"), (-150, "-1.50"),
     (-12_345_678, "-123456.78")],
)  # fmt: skip
def test_numbers_are_written_as_numbers_untouched(cents: int, written: str) -> None:
    customer = make_customer(3, "Refunds", mrr=cents, monthly_orders=-2)
    (only,) = by_column(csv_bytes([row(customer)], currency="USD", app_url=APP_URL))
    assert only["mrr"] == written  # a negative MRR is a number the bot wrote: no quote
    assert only["monthly_orders"] == "-2"
    assert only["display_id"] == "3"


def test_every_text_column_is_neutralised() -> None:
    customer = make_customer(
        9, "=cmd", id="=id", slug="-slug", domain="+domain", status="@status", plan="=plan",
        hubspot_company_id="=1", hubspot_deal_id="+1", stripe_customer_id="-1",
        intercom_company_id="@1", slack_channel_id="\t1",
    )  # fmt: skip
    told = Signals(owner_email="=owner@example.com")
    data = csv_bytes([row(customer, told)], currency="=USD", app_url="=cmd|' /C calc'!A0/")
    (only,) = by_column(data)
    for column in ("id", "name", "slug", "domain", "status", "plan", "currency",
                   "hubspot_company_id", "hubspot_deal_id", "stripe_customer_id",
                   "intercom_company_id", "slack_channel_id", "owner_email",
                   "pivotal_url"):  # fmt: skip
        assert only[column].startswith("'"), (column, only[column])


def test_an_empty_list_is_the_header_alone() -> None:
    assert parsed(csv_bytes([], currency="USD", app_url=APP_URL)) == [list(COLUMNS)]


def test_rows_keep_the_order_given() -> None:
    rows = [row(make_customer(n)) for n in (5, 3, 9, 1)]
    read = by_column(csv_bytes(rows, currency="USD", app_url=APP_URL))
    assert [r["display_id"] for r in read] == ["5", "3", "9", "1"]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("status:at_risk plan:enterprise", "customers-status-at-risk-plan-enterprise-2026-12-05.csv"),  # noqa: E501
        ("", "customers-all-2026-12-05.csv"),
        ("mrr>1k sort:name", "customers-mrr-1k-sort-name-2026-12-05.csv"),
        ('"café müller" ../../etc', "customers-cafe-muller-etc-2026-12-05.csv"),
        ("x" * 200, f"customers-{'x' * 40}-2026-12-05.csv"),
    ],
)  # fmt: skip
def test_filename(text: str, name: str) -> None:
    assert export_filename(text, date(2026, 12, 5)) == name


def test_ten_thousand_generated_rows(benchmark_rows: list[Row]) -> None:
    data = csv_bytes(benchmark_rows, currency="USD", app_url=APP_URL)
    read = parsed(data)
    assert len(read) == len(benchmark_rows) + 1
    assert isinstance(data, bytes)


@pytest.fixture
def benchmark_rows() -> list[Row]:
    bodies: list[dict[str, Any]] = generate_customers(10_000, seed=3)
    return [row(Customer.model_validate(body)) for body in bodies]


# --- what the asker and the DM are told (bot/blocks/export.py) ---------------------------

HOSTILE = "<!channel> & <@U123> <https://evil.example|click> `tick`"


def test_the_comment_says_how_many_which_filter_and_when() -> None:
    comment = upload_comment(1234, "status:at_risk plan:enterprise", NOW)
    assert comment.startswith("1,234 customers matching `status:at_risk plan:enterprise`, as of ")
    assert "<!date^1796472000^{date_short_pretty} at {time}|Dec 5, 2026 at 12:00 UTC>" in comment
    assert upload_comment(1, "", NOW).startswith("1 customer matching *everyone*, as of ")
    assert_inert(upload_comment(2, HOSTILE, NOW))


def test_titles() -> None:
    assert upload_title("status:active") == "Customers matching status:active"
    assert upload_title("") == "All customers"
    assert len(upload_title("x" * 5000)) <= 200


def test_the_confirmation_names_the_count_and_links_the_dm() -> None:
    link = app_link("A0PIVOTAL", "T0SANDBOX")
    assert link == "https://slack.com/app_redirect?app=A0PIVOTAL&team=T0SANDBOX"
    sent = export_sent(1234, "customers-all-2026-12-05.csv", link=link)
    assert sent.text.startswith("Sent 1,234 customers as CSV to your DM with the app")
    assert f"<{link}|your DM with the app>" in sent.blocks[0]["text"]["text"]
    assert not block_kit_problems(sent.blocks)
    plain = export_sent(1, "customers-all-2026-12-05.csv", link=None)
    assert plain.text.startswith("Sent 1 customer as CSV")
    assert_valid_message(plain.blocks, text=plain.text)
    assert app_link(None, "T1") is None and app_link("A1", None) is None


@pytest.mark.parametrize(
    ("message", "said"),
    [
        (lambda: nothing_to_export(HOSTILE), "nothing to export"),
        (lambda: export_failed(Problem.MISSING_SCOPE, scope="files:write"), "`files:write`"),
        (lambda: export_failed(Problem.MISSING_SCOPE, scope="im:write"), "`im:write`"),
        (lambda: export_failed(Problem.MISSING_SCOPE), "`files:write` and `im:write`"),
        (lambda: export_failed(Problem.TOO_LARGE), "too large"),
        (lambda: export_failed(Problem.UNAVAILABLE), "Try again in a minute"),
        (lambda: export_failed(Problem.REFUSED, error=HOSTILE), "Slack refused the export"),
    ],
)
def test_failures_are_valid_inert_messages(message: Callable[[], Message], said: str) -> None:
    built = message()
    assert_valid_message(built.blocks, text=built.text)
    assert said in built.text
