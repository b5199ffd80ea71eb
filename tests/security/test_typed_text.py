"""Promise 2: whatever people type after /customer, they get an answer with blocks, nothing
escapes as an exception, and only GET /customers/{safe id} (or the list) reaches Pivotal.

The parser is pure, so it gets many examples; a few hundred more run end to end against one
bot on a background thread (`BackgroundBot`), a batch of inputs in flight per example.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.blocks import notices
from bot.blocks.matches import match_list
from bot.lookup.query import (
    ChannelQuery,
    HelpQuery,
    IdQuery,
    InvalidQuery,
    NameQuery,
    SlugQuery,
    parse_customer_link,
    parse_query,
)
from bot.pivotal.models import Customer
from bot.pivotal.refs import is_safe_customer_ref
from bot.sandbox.pivotal.server import SandboxPivotal
from bot.sandbox.stack import APP_URL
from tests.security.support import (
    BackgroundBot,
    assert_safe_reply,
    customer_record,
    slash,
    unsafe_pivotal_requests,
)

TRIED: Counter[str] = Counter()
BATCH = 8
E2E_EXAMPLES = 60  # batches of up to BATCH inputs: a few hundred inputs end to end
PARSER_EXAMPLES = 1000

TRICKS = [
    # paths and URLs
    "../", "..", "%2e%2e/", "%2E%2E%2F", "..%2f", "42/../me", "42/..", "42?x=1", "42#frag", "#",
    "#42", "# 42", "/", "\\", "me", "customers/42", "42%00", "42;x", "42&x=1", "%34%32",
    "https://my.pivotal.app/customers/42/../../me", "https://my.pivotal.app/customers/%2e%2e%2fme",
    "https://my.pivotal.app/customers/42?expand=all", "https://my.pivotal.app/customers/42#x",
    "https://my.pivotal.app@evil.example/customers/42", "https://evil.example/customers/42",
    "https://my.pivotal.app/customers/..%2F..%2Fme", "http://my.pivotal.app/customers/42-x%2F..",
    # Slack's escaped forms
    "<@U024BE7LH>", "<@U024BE7LH|pat>", "<#C024BE7LT|acme>", "<#C024BE7LT>", "<#CXYZ|>",
    "<!channel>", "<!here>", "<!everyone>", "<!subteam^S123|@team>", "<!date^1^{date}|x>",
    "<https://evil.example|click>", "<https://my.pivotal.app/customers/%2e%2e%2fme|x>",
    "<mailto:a@b.example|mail>", "&lt;!channel&gt;", "&amp;", "<", ">", "<>", "<<@U1>>",
    # control, bidi, invisible, emoji and other scripts
    "\x00", "\x1b[31m", "\r\n", "\t", "\x7f", "\u0085", "\u202e", "\u200b", "\ufeff", "\u2066",
    "שלום", "مرحبا", "🙂", "👩‍💻", "🏳️‍🌈", "ＡＢＣ", "４２", "①②", "ﷺ", "e\u0301",
    # formatting, numbers, ids and words the bot knows
    "*bold*", "_i_", "~s~", "`code`", "```", "'", '"', "%s", "{0}", "${x}", "null", "-1", "0",
    "000000000042", "9" * 12, "9" * 13, "1e3", "0x2a", "42.0", " 42 ", "help", "--help",
    "cl9bn00of0000g7l8gcq8c4xk", "acme", "acme.com", "a" * 64, "a1" * 40, "Smith & Sons <Ltd>",
]  # fmt: skip

# Pieces joined together, any unicode text at all, and 10 KB strings.
typed_text = st.one_of(
    st.lists(st.one_of(st.sampled_from(TRICKS), st.text(max_size=12)), max_size=6).map("".join),
    st.text(max_size=300),
    st.builds(
        lambda piece, extra: (piece * (10_240 // len(piece) + 1))[:10_240] + extra,
        st.sampled_from([*TRICKS, "a", "🙂 ", "\u202e"]),
        st.text(max_size=5),
    ),
)

_QUIET_LOGGERS = ("slack_bolt", "slack_sdk", "httpx", "httpcore", "aiohttp")


TWO_CUSTOMERS = [Customer.model_validate(customer_record(n)) for n in (9001, 9002)]


@settings(
    max_examples=PARSER_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example],
)
@given(text=typed_text)
def test_parsing_any_text_gives_a_safe_query(text: str) -> None:
    TRIED["parser"] += 1
    query = parse_query(text, app_url=APP_URL, channel_id="C0GENERAL")
    match query:
        case IdQuery(ref=ref):
            assert is_safe_customer_ref(ref), ref
        case NameQuery(text=name, id_hint=hint):
            assert hint is None or is_safe_customer_ref(hint), hint
            assert 0 < len(name) <= 200
            # Typed text is echoed in "no match" and pick lists: it must stay inert there.
            assert_safe_reply({"blocks": notices.not_found(name).blocks, "text": "x"})
            assert_safe_reply({"blocks": match_list(name, TWO_CUSTOMERS).blocks})
        case InvalidQuery(reason=reason):
            assert_safe_reply({"blocks": notices.invalid_input(reason).blocks, "text": "x"})
        case ChannelQuery(channel_id=channel):
            assert channel == "C0GENERAL" or channel.isalnum()
        case SlugQuery() | HelpQuery():
            pass


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(
    segment=st.one_of(st.sampled_from(TRICKS), st.text(max_size=40)),
    host=st.sampled_from(
        [
            "https://my.pivotal.app",
            "https://pivotal.app",
            "http://MY.PIVOTAL.APP",
            "https://evil.example",
        ]
    ),
)
def test_a_pasted_link_yields_a_safe_reference_or_nothing(segment: str, host: str) -> None:
    TRIED["links"] += 1
    link = parse_customer_link(f"{host}/customers/{segment}", app_url=APP_URL)
    if isinstance(link, IdQuery):
        assert is_safe_customer_ref(link.ref)
    elif isinstance(link, SlugQuery):  # slugs are looked up in memory, never in an API path
        assert re.fullmatch(r"[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?", link.slug), link.slug
    else:
        assert link is None


@pytest.fixture(scope="module")
def background_bot() -> Iterator[BackgroundBot]:
    # A rate limit the examples cannot reach, so every answer is about the input.
    pivotal = SandboxPivotal(rate_limit=100_000)
    with BackgroundBot(pivotal=pivotal, log_level="INFO") as running:
        yield running
    print(
        f"\n[security] typed text: {TRIED['e2e']} inputs end to end, "
        f"{TRIED['parser']} through the parser, {TRIED['links']} pasted links"
    )


async def _answer_all(running: BackgroundBot, texts: list[str]) -> list[tuple[str, Any]]:
    bot = running.bot
    assert bot is not None
    replies = await asyncio.gather(*(slash(bot, text) for text in texts), return_exceptions=True)
    return list(zip(texts, replies, strict=True))


@settings(
    max_examples=E2E_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.large_base_example,
    ],
)
@given(texts=st.lists(typed_text, min_size=1, max_size=BATCH))
def test_any_text_gets_an_answer_and_only_safe_pivotal_requests(
    background_bot: BackgroundBot, caplog: pytest.LogCaptureFixture, texts: list[str]
) -> None:
    bot = background_bot.bot
    assert bot is not None
    caplog.set_level(logging.INFO)
    for name in _QUIET_LOGGERS:
        caplog.set_level(logging.WARNING, logger=name)
    seen_requests, seen_records = len(bot.pivotal.requests), len(caplog.records)
    results = background_bot.run(_answer_all(background_bot, texts))
    TRIED["e2e"] += len(texts)
    for text, reply in results:
        assert not isinstance(reply, BaseException), (text[:200], reply)
        assert reply.status == 200, (text[:200], reply)
        assert reply.message is not None
        assert_safe_reply(reply.message)
    unsafe = unsafe_pivotal_requests(bot.pivotal.requests[seen_requests:])
    assert not unsafe, (unsafe, [t[:200] for t in texts])
    new = caplog.records[seen_records:]
    errors_logged = [r.getMessage() for r in new if r.levelno >= logging.ERROR]
    assert not errors_logged, errors_logged
    assert not [r for r in new if "slack.listener.error" in r.getMessage()]
