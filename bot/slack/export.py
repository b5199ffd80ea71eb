"""Export CSV on a list: every match of the filter, as a CSV file in the asker's DM with the app.

The click is acked at once; then the filter is evaluated from memory (the same index the list
came from: no Pivotal request), the file is written (in a thread when the list is long),
the asker's DM with the app is opened (``conversations.open``, scope ``im:write``) and the
file uploaded there (``files_upload_v2``: files.getUploadURLExternal, the upload URL, then
files.completeUploadExternal; scope ``files:write``). The asker is told beside the list
that it was sent, or why it was not.

Slack Connect: the file goes only to the asker's own DM with the app, never to the
conversation the list was shown in, so Export is allowed from any channel, those shared
with other organisations included (Share is not: it posts where everyone reads).
"""

from __future__ import annotations

import asyncio
import copy
import logging
import re
import time
from datetime import UTC, datetime
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncRespond
from slack_bolt.kwargs_injection.async_args import AsyncArgs
from slack_sdk.errors import SlackRequestError

from bot import metrics
from bot.blocks import ids, notices
from bot.blocks.export import (
    Problem,
    app_link,
    export_failed,
    export_sent,
    nothing_to_export,
    upload_comment,
    upload_title,
)
from bot.blocks.lists import loading_list
from bot.blocks.message import Message
from bot.logs import event
from bot.lookup.export import csv_bytes, export_filename
from bot.lookup.filters import Filter, parse_filter
from bot.lookup.portfolio import Portfolio
from bot.slack.deps import ListenerDeps
from bot.slack.listen import Reply, listen
from bot.slack.people import Person
from bot.slack.recents import user_of
from bot.slack.replies import tell
from bot.slack.webapi import SlackCallFailed, call, logged

log = logging.getLogger(__name__)

READY_WAIT = 10.0  # seconds an export waits for the first walk of the customer list
IN_THREAD = 500  # longer lists are written in a thread, off the event loop
UPLOAD = "files.upload_v2"  # files.getUploadURLExternal, the upload URL, completeUploadExternal
UPLOAD_TIMEOUT = 60  # seconds for each of the upload's HTTP calls
OPEN_DM = "conversations.open"
_SCOPES = {OPEN_DM: "im:write", UPLOAD: "files:write"}
_TOO_LARGE = ("file_too_large", "too_large", "file_size_exceeded", "request_too_large")
_STATUS = re.compile(r"status: (\d{3})")


def _action(action_id: str) -> re.Pattern[str]:
    return re.compile(f"^{re.escape(action_id)}(:[0-9]+)?$")


def register(app: AsyncApp, deps: ListenerDeps) -> None:
    listen(app.action(_action(ids.LIST_EXPORT)), deps, on_export)


def on_export(deps: ListenerDeps, args: AsyncArgs) -> Reply:
    """Export CSV: acked at once; the file follows in the asker's DM."""
    started, body, respond = time.monotonic(), args.body, args.respond
    named = ids.list_of(args.action or {})
    parsed = parse_filter(named[0]) if named is not None else None
    user = user_of(body)
    link = app_link(body.get("api_app_id"), _team_of(body))
    if not isinstance(parsed, Filter) or not user:
        return Reply(later=lambda: _out_of_date(respond))
    filter_ = parsed
    return Reply(later=lambda: export_list(deps, filter_, user, respond, started, link=link))


async def export_list(
    deps: ListenerDeps,
    parsed: Filter,
    user: str,
    respond: AsyncRespond,
    started: float,
    *,
    link: str | None = None,
) -> None:
    """Every match of `parsed` as `user` sees it, as CSV in their DM; they are told beside
    the list. `link` opens the DM (see app_link)."""
    if not deps.lists.ready and not await deps.lists.wait_ready(READY_WAIT):
        await tell(respond, loading_list())
        return
    me = None
    if "me" in parsed.owners:
        person = await deps.people.person(user)
        me = person.email if isinstance(person, Person) else None
    portfolio = await deps.lists.portfolio(parsed, me=me)
    text = parsed.canonical()
    if portfolio.count == 0:
        await tell(respond, nothing_to_export(text))
        _count("empty")
        return
    data = await _written(portfolio, deps.cards.currency, deps.app_url)
    at = portfolio.now or datetime.now(UTC)
    filename = export_filename(text, at.astimezone(UTC).date())
    try:
        channel = await _open_dm(deps, user)
        await _upload(deps, channel, data, filename=filename, title=upload_title(text),
                      comment=upload_comment(portfolio.count, text, at))  # fmt: skip
    except SlackCallFailed as failed:
        logged(failed, "list.export.failed", user=user, count=portfolio.count, bytes=len(data))
        await tell(respond, _failure(failed))
        _count("failed")
        return
    ms = round((time.monotonic() - started) * 1000, 1)
    await tell(respond, export_sent(portfolio.count, filename, link=link))
    _count("sent")
    event(log, "list.exported", user=user, count=portfolio.count, bytes=len(data), ms=ms)


async def _written(portfolio: Portfolio, currency: str, app_url: str) -> bytes:
    """The CSV of every match; a long list is read and written in a thread (the index is
    not changed once built, so reading it there is safe)."""
    if portfolio.count <= IN_THREAD:
        return _csv(portfolio, currency, app_url)
    return await asyncio.to_thread(_csv, portfolio, currency, app_url)


def _csv(portfolio: Portfolio, currency: str, app_url: str) -> bytes:
    return csv_bytes(portfolio.rows(), currency=currency, app_url=app_url)


async def _open_dm(deps: ListenerDeps, user: str) -> str:
    """The id of `user`'s DM with the app."""
    opened = await call(OPEN_DM, deps.slack.conversations_open(users=user))
    channel = opened.get("channel")
    channel_id = channel.get("id") if isinstance(channel, dict) else None
    if not isinstance(channel_id, str) or not channel_id:
        raise SlackCallFailed.refused(OPEN_DM, "no_channel")
    return channel_id


async def _upload(
    deps: ListenerDeps, channel: str, data: bytes, *, filename: str, title: str, comment: str
) -> None:
    """files_upload_v2 (three HTTP calls) as one: any failure is SlackCallFailed."""
    # The client's 5 s suit a call; a file of tens of MB needs longer to reach Slack.
    client = copy.copy(deps.slack)
    client.timeout = max(client.timeout, UPLOAD_TIMEOUT)
    request = client.files_upload_v2(
        channel=channel, content=data, filename=filename, title=title, initial_comment=comment
    )
    try:
        await call(UPLOAD, request)
    except SlackCallFailed as failed:
        cause = failed.__cause__
        if not isinstance(cause, SlackRequestError):
            raise
        # The upload URL answered other than 200 (slack_sdk raises SlackRequestError, which
        # call() counts as unreachable): its status says which failure it was.
        found = _STATUS.search(str(cause))
        status = int(found.group(1)) if found else None
        error = "file_too_large" if status == 413 else "upload_failed"
        raise SlackCallFailed.refused(UPLOAD, error, status=status) from cause


def _failure(failed: SlackCallFailed) -> Message:
    """What the asker is told for `failed`."""
    if failed.error == "missing_scope":
        return export_failed(Problem.MISSING_SCOPE, scope=_SCOPES.get(failed.method))
    if failed.error in _TOO_LARGE or failed.status == 413:
        return export_failed(Problem.TOO_LARGE)
    if failed.retryable:
        return export_failed(Problem.UNAVAILABLE)
    return export_failed(Problem.REFUSED, error=failed.error)


def _team_of(body: dict[str, Any]) -> str | None:
    team, user = body.get("team"), body.get("user")
    found = (team.get("id") if isinstance(team, dict) else None) or (
        user.get("team_id") if isinstance(user, dict) else None
    )
    return str(found) if found else None


async def _out_of_date(respond: AsyncRespond) -> None:
    await tell(respond, notices.button_out_of_date())


def _count(outcome: str) -> None:
    metrics.count_lookup("export", outcome, None)
