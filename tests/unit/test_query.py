"""Table tests for what people type after /customer and which links unfurl."""

from __future__ import annotations

import pytest

from bot.lookup.query import (
    ChannelQuery,
    HelpQuery,
    IdQuery,
    InvalidQuery,
    NameQuery,
    Query,
    SlugQuery,
    parse_customer_link,
    parse_query,
)

APP = "https://my.pivotal.app"
CUID = "cl9bn00of0000g7l8gcq8c4xk"

QUERY_TABLE: list[tuple[str, Query]] = [
    ("42", IdQuery("42")),
    ("  42  ", IdQuery("42")),
    ("#42", IdQuery("42")),
    ("# 42", IdQuery("42")),
    ("0042", IdQuery("42")),
    ("999999999999", IdQuery("999999999999")),
    ("000000000000042", IdQuery("42")),
    ("#0", IdQuery("0")),
    (CUID, NameQuery(CUID, id_hint=CUID)),
    ("acme", NameQuery("acme")),
    ("Acme   Co.", NameQuery("Acme Co.")),
    ("acme.com", NameQuery("acme.com")),
    ('"Acme Co."', NameQuery("Acme Co.")),
    ("“Acme Co.”", NameQuery("Acme Co.")),
    ('""', NameQuery('""')),
    ("help", HelpQuery()),
    ("HELP", HelpQuery()),
    ("?", HelpQuery()),
    ("", ChannelQuery("C0CHAN")),
    ("   ", ChannelQuery("C0CHAN")),
    ("\u200b", ChannelQuery("C0CHAN")),
    ("https://my.pivotal.app/customers/42", IdQuery("42")),
    ("https://my.pivotal.app/customers/42-acme-co", IdQuery("42")),
    ("https://my.pivotal.app/customers/42/", IdQuery("42")),
    ("https://my.pivotal.app/customers/42?tab=contacts#top", IdQuery("42")),
    ("https://pivotal.app/customers/245", IdQuery("245")),
    ("https://MY.PIVOTAL.APP/customers/7", IdQuery("7")),
    ("https://my.pivotal.app/customers/aurora", SlugQuery("aurora")),
    ("<https://my.pivotal.app/customers/42>", IdQuery("42")),
    ("<https://my.pivotal.app/customers/42-acme-co|Acme>", IdQuery("42")),
    ("<#C024BE7LT|acme-customer>", ChannelQuery("C024BE7LT")),
    ("<#C024BE7LT>", ChannelQuery("C024BE7LT")),
]

INVALID = [
    "1234567890123",  # 13 digits
    "<@U123ABC>",
    "<!channel>",
    "<!here|here>",
    "https://evil.example/customers/42",
    "<https://evil.example/customers/42|https://my.pivotal.app/customers/42>",
    "https://my.pivotal.app.evil.example/customers/42",
    "https://my.pivotal.app/admin/api-keys",
    "x" * 201,
]


@pytest.mark.parametrize(("text", "expected"), QUERY_TABLE)
def test_parse_query(text: str, expected: Query) -> None:
    assert parse_query(text, app_url=APP, channel_id="C0CHAN") == expected


@pytest.mark.parametrize("text", INVALID)
def test_refused_input_says_why(text: str) -> None:
    query = parse_query(text, app_url=APP, channel_id="C0CHAN")
    assert isinstance(query, InvalidQuery)
    assert query.reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("../me", NameQuery("../me")),
        ("42/../me", NameQuery("42/../me")),
        ("42?x=1", NameQuery("42?x=1")),
        ("%2e%2e/", NameQuery("%2e%2e/")),
    ],
)
def test_path_tricks_never_become_ids(text: str, expected: Query) -> None:
    query = parse_query(text, app_url=APP)
    assert query == expected
    assert isinstance(query, NameQuery) and query.id_hint is None


LINK_TABLE: list[tuple[str, str, IdQuery | SlugQuery | None]] = [
    (APP, "https://my.pivotal.app/customers/42", IdQuery("42")),
    (APP, "http://my.pivotal.app/customers/42", IdQuery("42")),
    (APP, "https://my.pivotal.app/customers/245-totally-wrong-slug", IdQuery("245")),
    (APP, "https://my.pivotal.app/customers/42/onboardings", IdQuery("42")),
    (APP, "https://my.pivotal.app/customers/42abc", IdQuery("42")),
    (APP, "https://my.pivotal.app:443/customers/42", IdQuery("42")),
    (APP, "https://my.pivotal.app@evil.example/customers/42", None),
    (APP, "https://my.pivotal.app/customers/1234567890123", None),
    (APP, "https://my.pivotal.app/customers/", None),
    (APP, "https://my.pivotal.app/customers/..%2fme", None),
    (APP, "https://my.pivotal.app/customersx/42", None),
    (APP, "https://my.pivotal.app/onboardings/1024", None),
    (APP, "https://other.example/customers/42", None),
    (APP, "ftp://my.pivotal.app/customers/42", None),
    (APP, "https://my.pivotal.app:8443/customers/42", None),
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080/customers/42", IdQuery("42")),
    ("http://127.0.0.1:8080", "http://127.0.0.1:9090/customers/42", None),
    ("https://acme.example/pivotal", "https://acme.example/pivotal/customers/9", IdQuery("9")),
    ("https://acme.example/pivotal", "https://acme.example/customers/9", None),
]


@pytest.mark.parametrize(("app", "url", "expected"), LINK_TABLE)
def test_parse_customer_link(app: str, url: str, expected: IdQuery | SlugQuery | None) -> None:
    assert parse_customer_link(url, app_url=app) == expected
