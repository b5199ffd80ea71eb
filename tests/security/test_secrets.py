"""Promise 6: the Pivotal key, the Slack token and the signing secret never appear in a log
line (every logger at DEBUG, unredacted), a message sent to Slack, or any error text.

One bot runs a representative set of flows: commands that hit and miss, a pick and a share,
unfurls (internal, shared, unknown), every Pivotal fault, Slack failures, forged requests and
a listener crash. The bot's own log handler (bot.logs) is checked separately.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import traceback
from collections.abc import Iterator

import pytest
from pydantic import SecretStr, ValidationError
from slack_sdk.errors import SlackApiError

from bot.blocks import ids
from bot.check import report, run_checks
from bot.config import ConfigError, Settings, load_settings
from bot.logs import configure_logging
from bot.lookup.query import Query
from bot.lookup.service import Outcome
from bot.pivotal.client import PivotalClient
from bot.pivotal.errors import PivotalError
from bot.sandbox.pivotal.data import sample_customers
from bot.sandbox.pivotal.server import SandboxPivotal
from bot.sandbox.slack.driver import sign
from bot.sandbox.slack.server import FakeSlack
from bot.sandbox.stack import API_KEY, BOT_TOKEN, SIGNING_SECRET, stack_settings
from bot.slack.deps import Lookup
from tests.scenarios.harness import Harness, running_bot
from tests.security.support import customer_record

SECRETS = {"Pivotal key": API_KEY, "Slack token": BOT_TOKEN, "signing secret": SIGNING_SECRET}
LOGGERS = (
    "",
    "bot",
    "slack_bolt",
    "slack_sdk",
    "httpx",
    "httpcore",
    "aiohttp",
    "hpack",
    "uvicorn",
    "asyncio",
)
TTL = 0.05  # copies turn stale at once, so lookups reach Pivotal and its faults
CRASHER = 9300  # a customer with a calendar-edge date (test_api_data)


@pytest.fixture
def every_logger_at_debug(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Everything any library logs, before any redaction, as LOG_LEVEL=DEBUG could let out."""
    levels = {name: logging.getLogger(name).level for name in LOGGERS}
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def leaks(where: str, text: str) -> list[str]:
    return [f"{name} in {where}" for name, secret in SECRETS.items() if secret in text]


def error_text(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc)) + repr(exc)


async def settle(seconds: float = TTL * 2) -> None:
    await asyncio.sleep(seconds)  # cached copies turn stale, so the next lookup asks Pivotal


async def commands_and_actions(bot: Harness, seen: list[str]) -> None:
    for text in ("42", "999", "acme", "zzzz-nothing", "help", "", "<@U1>"):
        ack, token = await bot.command(text)
        seen.append(ack.text)
        if not ack.content:
            seen.append(json.dumps(await bot.answer(token)))
    card = await bot.lookup("42")
    share = [
        e["value"]
        for b in card["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == ids.SHARE_CUSTOMER
    ]
    for action_id, value in ((ids.PICK_CUSTOMER, "customer:7"), (ids.SHARE_CUSTOMER, share[0])):
        response, token = await bot.action(action_id, value)
        seen.append(response.text)
        await bot.answer(token)


async def unfurls(bot: Harness) -> None:
    bot.slack.set_channel("C0UNREADABLE", error="missing_scope")
    for channel, flag in (("C0GENERAL", False), ("C0SHARED", True), ("C0UNREADABLE", None)):
        await bot.link_shared(
            ["https://my.pivotal.app/customers/42"], channel=channel, ext_shared=flag
        )
    await bot.slack.wait_for("chat.unfurl", count=3)


async def pivotal_faults(bot: Harness) -> None:
    # Rate limiting last: the governor then holds every later request.
    faults = [
        ("slow", {"seconds": 0.2}),
        ("error_500", {}),
        ("malformed_json", {}),
        ("bad_schema", {}),
        ("revoked", {}),
        ("rate_limited", {"retry_after": 1}),
    ]
    for n, (mode, opts) in enumerate(faults):
        await settle()
        bot.pivotal.set_fault(mode, **opts)
        _ack, token = await bot.command(str(7 + n))  # 7.. exist; their copies are stale
        await bot.answer(token)
        bot.pivotal.set_fault(None)


async def slack_failures(bot: Harness) -> None:
    bot.slack.fail("chat.unfurl", "invalid_blocks", count=1)
    bot.slack.fail("response_url", "expired_url", status=404, count=1)
    await bot.link_shared(["https://my.pivotal.app/customers/7"])
    await settle()
    await bot.command("8")
    await bot.slack.wait_for("chat.unfurl", count=4)
    bot.slack.clear_faults()


async def forged_requests(bot: Harness) -> None:
    body, _ = bot.command_body("42")
    stale = sign(body, secret=SIGNING_SECRET, timestamp=1)
    malformed = {"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=1"}
    for headers in ({}, sign(body, secret="wrong-secret"), stale, malformed):
        await bot.post(body, "application/x-www-form-urlencoded", signed=False, headers=headers)


class ExplodingLookup:
    """The real lookup, failing while `exploding`, to drive the listener-error path."""

    def __init__(self, real: Lookup):
        self.real = real
        self.exploding = False

    def peek(self, query: Query) -> Outcome | None:
        if self.exploding:
            raise RuntimeError("lookup exploded")
        return self.real.peek(query)

    async def resolve(self, query: Query) -> Outcome:
        if self.exploding:
            raise RuntimeError("lookup exploded")
        return await self.real.resolve(query)

    async def refetch(self, ref: str) -> Outcome:
        return await self.real.refetch(ref)


async def a_listener_crash(bot: Harness) -> None:
    # The guard logs the error (and a traceback at DEBUG) and still answers the user.
    lookup = bot.deps.lookup
    assert isinstance(lookup, ExplodingLookup)
    lookup.exploding = True
    try:
        await bot.link_shared([f"https://my.pivotal.app/customers/{CRASHER}"])
        _ack, token = await bot.command("42")
        await bot.answer(token)
    finally:
        lookup.exploding = False


async def direct_errors(bot: Harness) -> list[str]:
    """Exceptions the adapters raise, with their causes, as they would reach a log."""
    texts = []
    offline = PivotalClient("http://127.0.0.1:9/api/v1", SecretStr(API_KEY), deadline=0.5)
    for client, ref in ((offline, "42"), (bot.deps.pivotal, "999")):
        try:
            await client.get_customer(ref)
        except PivotalError as exc:
            texts.append(error_text(exc))
    await offline.aclose()
    bot.slack.fail("conversations.info", "invalid_auth", count=1)
    try:
        await bot.deps.slack.conversations_info(channel="C0GENERAL")
    except SlackApiError as exc:
        texts.append(error_text(exc))
    return texts


async def test_no_secret_in_any_log_line_message_or_error(
    every_logger_at_debug: None, caplog: pytest.LogCaptureFixture
) -> None:
    crasher = customer_record(CRASHER, created_at="0001-01-01T00:00:00+05:00")
    pivotal = SandboxPivotal(customers=[*sample_customers(), crasher])
    seen: list[str] = []
    async with running_bot(pivotal=pivotal, cache_ttl_seconds=TTL, lookup=ExplodingLookup) as bot:
        await commands_and_actions(bot, seen)
        await unfurls(bot)
        await slack_failures(bot)
        await forged_requests(bot)
        await a_listener_crash(bot)
        errors = await direct_errors(bot)
        await pivotal_faults(bot)
        await asyncio.sleep(0.1)
        settings = bot.deps.settings
        shown = [
            repr(settings),
            str(settings),
            settings.model_dump_json(),
            json.dumps(settings.model_dump(), default=str),
            repr(bot.deps),
        ]
        slack_headers = json.dumps([c.headers for c in bot.slack.calls])
        pivotal_seen = json.dumps([(r.path, r.query, r.headers) for r in bot.pivotal.requests])
        sent = bot.slack.all_bodies_text()
    found = [
        *leaks("log output", caplog.text),
        *leaks("messages sent to Slack", sent),
        *leaks("HTTP answers to Slack", "\n".join(seen)),
        *leaks("headers of Slack API calls", slack_headers),
        *leaks("requests to Pivotal (other than Authorization)", pivotal_seen),
        *leaks("error text", "\n".join(errors)),
        *leaks("settings and deps as printed", "\n".join(shown)),
    ]
    assert not found, found
    assert len(caplog.records) > 200, "the flows did not run at DEBUG"
    assert "event=slack.listener.error" in caplog.text, "the listener-error path did not run"
    print(
        f"\n[security] secrets: none in {len(caplog.records)} DEBUG log records, "
        f"{len(bot.slack.calls)} Slack calls, {len(bot.slack.responses)} response_url posts, "
        f"{len(bot.pivotal.requests)} Pivotal requests"
    )


@pytest.fixture
def bot_log_handler() -> Iterator[io.StringIO]:
    """bot.logs.configure_logging at DEBUG, its stderr handler writing to a buffer instead."""
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in LOGGERS}
    before = list(root.handlers)
    configure_logging(logging.DEBUG, SECRETS.values())
    (handler,) = [h for h in root.handlers if getattr(h, "_pivotal_bot", False)]
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    handler.setStream(buffer)
    yield buffer
    root.removeHandler(handler)
    for old in before:
        if old not in root.handlers:
            root.addHandler(old)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


async def test_the_bots_log_output_at_debug_redacts_whatever_logs_a_secret(
    bot_log_handler: io.StringIO,
) -> None:
    async with running_bot() as bot:
        await bot.lookup("42")
        await bot.link_shared(["https://my.pivotal.app/customers/42"])
        await bot.slack.wait_for("chat.unfurl")
    # A library (or a careless line) printing a secret: the handler still redacts it,
    # in the message and in a traceback.
    for name, secret in SECRETS.items():
        logging.getLogger("slack_sdk.web").warning("%s is %s", name, secret)
        logging.getLogger("bot.pivotal.client").error(f"header Authorization: Bearer {secret}")
        try:
            raise ValueError(f"request failed with {secret}")
        except ValueError:
            logging.getLogger("bot.slack.errors").debug("traceback", exc_info=True)
    output = bot_log_handler.getvalue()
    assert "event=lookup" in output and "[redacted]" in output
    assert not leaks("the bot's log output", output)


WRONG_SHAPES = {
    # Real secrets pasted into the wrong variable: a user token, a key without its prefix.
    "slack_bot_token": "xoxp-" + BOT_TOKEN,
    "pivotal_api_key": "sk_" + API_KEY,
    "slack_app_token": BOT_TOKEN,
    "slack_signing_secret": SIGNING_SECRET,
}


async def test_configuration_errors_and_the_check_report_name_no_secret() -> None:
    with pytest.raises(ConfigError) as config_error:
        load_settings(_env_file=None, **WRONG_SHAPES)
    texts = [error_text(config_error.value)]  # with any chained cause or context
    pivotal, slack = SandboxPivotal(), FakeSlack()
    settings = stack_settings(await pivotal.start(), await slack.start())
    try:
        for revoked in (False, True):
            if revoked:
                pivotal.revoke_key(API_KEY)
            out = io.StringIO()
            report(await run_checks(settings), out)
            texts.append(out.getvalue())
    finally:
        await slack.stop()
        await pivotal.stop()
    assert "SLACK_BOT_TOKEN" in texts[0] and "rejected" in texts[-1]
    found = [leak for n, text in enumerate(texts) for leak in leaks(f"text {n}", text)]
    assert not found, (found, texts)


def test_a_settings_validation_error_names_no_secret() -> None:
    with pytest.raises(ValidationError) as validation_error:
        Settings(_env_file=None, **WRONG_SHAPES)  # type: ignore[arg-type]
    assert not leaks("Settings' ValidationError", error_text(validation_error.value))
