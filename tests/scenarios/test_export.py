"""Export CSV on a list, end to end: the click, the DM, the uploaded file, the confirmation."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.blocks import ids
from bot.lookup.export import COLUMNS
from bot.pivotal.models import Customer
from bot.sandbox.pivotal.data import generate_customers, sample_customers
from bot.sandbox.slack.payloads import APP_ID, TEAM_ID, USER_ID
from bot.sandbox.slack.server import UPLOAD_URL_METHOD
from bot.sandbox.slack.workspace import Upload, dm_of
from bot.slack.export import IN_THREAD
from tests.scenarios.harness import Harness

FILTER = "status:active"


def texts(message: dict[str, Any]) -> str:
    return json.dumps(message.get("blocks", []), ensure_ascii=False) + message.get("text", "")


async def listed(bot: Harness, text: str = FILTER) -> dict[str, Any]:
    """The list `/customer text` answers with."""
    message = await bot.lookup(text)
    assert any(b["type"] == "actions" for b in message["blocks"]), message
    return message


def export_button(message: dict[str, Any]) -> dict[str, Any]:
    (button,) = [
        e
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"].startswith(ids.LIST_EXPORT)
    ]
    return dict(button)


def count_of(message: dict[str, Any]) -> int:
    found = re.match(r"\*([\d,]+)\* customers? match", message["blocks"][0]["text"]["text"])
    assert found, message["blocks"][0]
    return int(found.group(1).replace(",", ""))


def shown_ids(message: dict[str, Any]) -> list[str]:
    """The display ids of the rows on the page, top to bottom."""
    found = [re.search(r"\* #(\d+)", b["text"]["text"]) for b in message["blocks"]
             if b.get("accessory", {}).get("action_id") == ids.LIST_SHOW]  # fmt: skip
    return [match.group(1) for match in found if match]


def read(upload: Upload) -> list[dict[str, str]]:
    header, *rows = csv.reader(io.StringIO(upload.text, newline=""))
    assert tuple(header) == COLUMNS
    return [dict(zip(header, cells, strict=True)) for cells in rows]


async def press(bot: Harness, button: dict[str, Any], channel_id: str = "C0GENERAL") -> str:
    ack, token = await bot.press(button, channel_id=channel_id)
    assert ack.status_code == 200
    assert ack.text == ""  # acked at once, with nothing: the file follows
    return token


async def test_export_sends_every_match_as_csv_to_the_askers_dm(
    bot: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.slack.export")
    message = await listed(bot)
    count = count_of(message)
    expected = sum(c["status"] == "active" for c in sample_customers())
    assert count == expected > 10  # more than one page: the file holds them all
    bot.pivotal.clear_requests()
    bot.slack.clear()

    token = await press(bot, export_button(message))
    await bot.slack.wait_for("files.completeUploadExternal")
    told = await bot.answer(token)

    (upload,) = bot.slack.workspace.completed()
    rows = read(upload)
    assert len(rows) == count
    assert {r["status"] for r in rows} == {"active"}
    assert [r["display_id"] for r in rows[:10]] == shown_ids(message)  # the list's order
    assert len({r["id"] for r in rows}) == count
    acme = next(r for r in rows if r["display_id"] == "42")
    assert acme["name"] == "Acme Co."
    assert acme["mrr"] == "1250.00" and acme["currency"] == "USD"
    assert acme["pivotal_url"] == "https://my.pivotal.app/customers/42"
    # Only to the asker's own DM with the app.
    (opened,) = bot.slack.calls_to("conversations.open")
    assert opened.body["users"] == USER_ID
    assert upload.channel == dm_of(USER_ID)
    today = datetime.now(UTC).date().isoformat()
    assert upload.filename == f"customers-status-active-{today}.csv"
    assert upload.title == "Customers matching status:active"
    assert upload.initial_comment is not None
    assert upload.initial_comment.startswith(f"{count} customers matching `status:active`, as of ")
    assert len(upload.data or b"") == upload.length
    # The asker hears beside the list, which stays.
    assert told["response_type"] == "ephemeral"
    assert told["replace_original"] is False
    assert f"Sent {count} customers as CSV to your DM with the app" in told["text"]
    link = f"https://slack.com/app_redirect?app={APP_ID}&team={TEAM_ID}"
    assert link in texts(told)
    # From memory: Pivotal is never asked.
    assert bot.pivotal.requests == []
    (line,) = [r.getMessage() for r in caplog.records if "event=list.exported" in r.getMessage()]
    assert f"user={USER_ID} count={count} bytes={len(upload.data or b'')} ms=" in line


async def test_export_of_a_sorted_filter_keeps_its_order(bot: Harness) -> None:
    message = await listed(bot, "sort:name")
    token = await press(bot, export_button(message))
    await bot.slack.wait_for("files.completeUploadExternal")
    await bot.answer(token)
    (upload,) = bot.slack.workspace.completed()
    rows = read(upload)
    assert len(rows) == count_of(message) == len(sample_customers())
    assert [r["display_id"] for r in rows[:10]] == shown_ids(message)
    assert upload.filename.startswith("customers-sort-name-")


async def test_export_from_a_slack_connect_channel_goes_to_the_dm(bot: Harness) -> None:
    bot.slack.set_channel("C0SHARED", ext_shared=True)
    message = await bot.lookup(FILTER, channel_id="C0SHARED")
    token = await press(bot, export_button(message), channel_id="C0SHARED")
    await bot.slack.wait_for("files.completeUploadExternal")
    told = await bot.answer(token)
    (upload,) = bot.slack.workspace.completed()
    assert upload.channel == dm_of(USER_ID)
    assert "Sent" in told["text"]
    assert not bot.slack.calls_to("chat.postMessage")


async def test_nothing_to_export(bot: Harness) -> None:
    bot.slack.clear()
    value = ids.list_value("status:churned plan:no-such-plan", 1)
    token = await press(bot, {"type": "button", "action_id": f"{ids.LIST_EXPORT}:0",
                              "value": value})  # fmt: skip
    told = await bot.answer(token)
    assert "nothing to export" in told["text"]
    assert not bot.slack.calls_to("files.getUploadURLExternal")
    assert bot.slack.workspace.completed() == []


async def test_a_button_not_ours_is_out_of_date(bot: Harness) -> None:
    token = await press(bot, {"type": "button", "action_id": ids.LIST_EXPORT, "value": "junk"})
    told = await bot.answer(token)
    assert told["response_type"] == "ephemeral"
    assert bot.slack.workspace.completed() == []


@pytest.mark.parametrize(
    ("method", "error", "status", "said"),
    [
        ("files.getUploadURLExternal", "missing_scope", 200, "`files:write`"),
        ("files.completeUploadExternal", "missing_scope", 200, "`files:write`"),
        ("conversations.open", "missing_scope", 200, "`im:write`"),
        (UPLOAD_URL_METHOD, "Request Entity Too Large", 413, "too large"),
        (UPLOAD_URL_METHOD, "Service Unavailable", 503, "Try again in a minute"),
        ("files.getUploadURLExternal", "service_unavailable", 503, "Try again in a minute"),
        ("files.completeUploadExternal", "invalid_channel", 200, "`invalid_channel`"),
    ],
)
async def test_failures_say_why(
    bot: Harness, method: str, error: str, status: int, said: str
) -> None:
    message = await listed(bot)
    bot.pivotal.clear_requests()
    bot.slack.fail(method, error, status=status)
    token = await press(bot, export_button(message))
    told = await bot.answer(token)
    assert told["response_type"] == "ephemeral"
    assert said in texts(told), texts(told)
    assert "Sent" not in told["text"]
    assert bot.slack.workspace.completed() == []
    assert bot.pivotal.requests == []


async def test_export_works_again_once_slack_is_back(bot: Harness) -> None:
    message = await listed(bot)
    bot.slack.fail("files.getUploadURLExternal", "missing_scope", count=1)
    first = await press(bot, export_button(message))
    assert "files:write" in texts(await bot.answer(first))
    second = await press(bot, export_button(message))
    await bot.slack.wait_for("files.completeUploadExternal")
    assert "Sent" in (await bot.answer(second))["text"]
    assert len(bot.slack.workspace.completed()) == 1


async def test_a_long_list_arrives_whole(bot: Harness) -> None:
    # Over a megabyte of CSV, written in a thread (more rows than export.IN_THREAD).
    bodies = generate_customers(6000, seed=5)
    bot.deps.directory.load(Customer.model_validate(body) for body in bodies)
    message = await listed(bot, "sort:name")
    assert count_of(message) == 6000 > IN_THREAD
    bot.pivotal.clear_requests()
    token = await press(bot, export_button(message))
    await bot.slack.wait_for("files.completeUploadExternal")
    assert "Sent 6,000 customers" in (await bot.answer(token))["text"]
    (upload,) = bot.slack.workspace.completed()
    assert upload.length > 1_000_000
    rows = read(upload)
    assert sorted(int(r["display_id"]) for r in rows) == list(range(1, 6001))
    assert [r["display_id"] for r in rows[:10]] == shown_ids(message)
    assert bot.pivotal.requests == []
