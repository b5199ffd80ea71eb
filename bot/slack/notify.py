"""Notifications go out: due outbox rows become Slack messages, each exactly once.

Every replica runs `Sender.run`. A round claims due rows with a lease (`Outbox.claim`; on
PostgreSQL `FOR UPDATE SKIP LOCKED`, so replicas never share one), then for each row:

- its follow gone or paused: the row fails with that reason; the channel's card mode
  `off` (Slack Connect): the follow is paused and its creator told; `minimal`: internal
  fields are left out, and a row with nothing else to show fails;
- posted already (`needs_update`, changes folded in since): `chat.update` of its message;
- the day's thread for the channel and customer exists: a reply in it (broadcast to the
  channel only for a status change), then the parent is edited to show the latest; else
  the row's message is the day's parent.

`chat.postMessage` has no idempotency key, so each message carries `metadata` naming its
notification, and a row whose earlier post may have reached Slack (its lease ran out, or
Slack answered 5xx / did not answer) is first looked for in the channel's recent history
(`HISTORY_PAGES` pages of `HISTORY_PAGE_SIZE` messages back to just before that attempt,
and the day's thread): found, it is marked sent and not posted again. The client used has
no retry handlers: a `ratelimited` answer holds the channel for its Retry-After and the
row waits in the outbox; 5xx and transport errors retry with backoff (FIRST_BACKOFF
doubling to MAX_BACKOFF) until GIVE_UP_AFTER past the row's first change. Errors that
say the channel is out of reach pause the follow and tell its creator once, in a DM,
with buttons to move the follow to that DM or delete it. Sent and failed rows are purged
after RETENTION_SECONDS.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncRespond
from slack_bolt.kwargs_injection.async_args import AsyncArgs
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import ids
from bot.blocks.customer import customer_url
from bot.blocks.message import CardMode, CardSettings, Message
from bot.blocks.notifications import (
    SNOOZE_DAY,
    SNOOZE_WEEK,
    UNFOLLOW,
    follow_stopped,
    menu_choice,
    notification_message,
    said,
)
from bot.follows.model import Destination, Follow, NewFollow, Notification
from bot.follows.store import FollowStore, Outbox
from bot.logs import event
from bot.lookup.durable import StoreUnavailable
from bot.metrics import count_notification
from bot.slack.deps import CustomerIndex, ListenerDeps
from bot.slack.listen import Reply, listen
from bot.slack.privacy import ChannelSharing
from bot.slack.recents import user_of
from bot.slack.replies import reply, tell
from bot.slack.webapi import CHANNEL_GAP, Kind, Pacer, SlackCallFailed, attempt, call
from bot.store.outbox import unsure, utc_day

log = logging.getLogger(__name__)

EVENT_TYPE = "pivotal_notification"  # the metadata every notification carries
LEASE_SECONDS = 120.0  # a claimed row is this replica's until then
BATCH = 50  # rows claimed per round
POLL_SECONDS = 1.0  # between rounds
AWAY_SECONDS = 10.0  # between rounds while the database is away (logged once)
MAX_INLINE_WAIT = 5.0  # a channel's turn further off than this: the row waits in the outbox
ROUND_BUDGET = LEASE_SECONDS / 2  # rows not reached by then go back (their lease holds)
FIRST_BACKOFF = 5.0
MAX_BACKOFF = 600.0
GIVE_UP_AFTER = 24 * 3600.0  # past the row's first change
RETENTION_SECONDS = 7 * 86400.0  # sent and failed rows kept this long (README)
PURGE_EVERY = 3600.0
HISTORY_PAGES = 3
HISTORY_PAGE_SIZE = 200
HISTORY_MARGIN = 10.0  # seconds looked back before the attempt (clocks differ)
SNOOZES = {SNOOZE_DAY: (86400.0, "a day"), SNOOZE_WEEK: (7 * 86400.0, "a week")}
# Slack's answers that mean this follow's conversation is out of reach (a follow stops).
_CHANNEL_ERRORS = frozenset({"not_in_channel", "channel_not_found", "is_archived",
                             "account_inactive", "no_permission", "invalid_auth",
                             "token_revoked", "not_authed", "restricted_action",
                             "cannot_dm_bot", "user_not_found", "team_access_not_granted",
                             "ekm_access_denied", "missing_scope"})  # fmt: skip
_REASONS = {
    "not_in_channel": "the app is not in the channel (invite it with /invite)",
    "channel_not_found": "the channel was deleted, or is private and the app cannot see it",
    "is_archived": "the channel is archived",
    "account_inactive": "the account or workspace is no longer active",
    "no_permission": "the app may not post in the channel",
}
_PAYLOAD_ERRORS = frozenset({"invalid_blocks", "invalid_blocks_format", "msg_too_long"})
CARDS_OFF = "cards are off in this channel shared with another organisation"
NOTHING_TO_SHOW = "nothing to show in a shared channel"


class Sender:
    """Claims due notifications and posts (or edits) them in Slack."""

    def __init__(
        self,
        follows: FollowStore,
        outbox: Outbox,
        client: AsyncWebClient,
        sharing: ChannelSharing,
        directory: CustomerIndex,
        cards: CardSettings,
        *,
        pacer: Pacer,
        clock: Callable[[], float] = time.time,
        ready: Callable[[], bool] = lambda: True,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ):
        self._follows, self._outbox = follows, outbox
        self._slack, self._sharing = client, sharing
        self._directory, self._cards = directory, cards
        self._pacer, self._clock, self._sleep = pacer, clock, sleep
        self._wake = asyncio.Event()
        self._purged_at = 0.0
        self._ready = ready  # the database migrated and reached
        self._busy: dict[str, float] = {}
        self._away = False
        self.sent = 0  # messages posted or edited, for metrics
        self.failed: dict[str, int] = {}  # rows given up, by reason

    def wake(self) -> None:
        """Something was folded: look now rather than at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        """Send due rows every POLL_SECONDS (a task for the process's life); purge hourly."""
        while True:
            pause = POLL_SECONDS
            try:
                if self._ready():
                    await self.send_due()
                    await self.purge()
                    if self._away:
                        self._away = False
                        event(log, "follows.notify.back")
                else:
                    pause = AWAY_SECONDS
            except StoreUnavailable as exc:
                pause = AWAY_SECONDS  # rows keep: each is sent once the database is back
                if not self._away:
                    self._away = True
                    event(log, "follows.notify.unavailable", logging.WARNING, error=str(exc))
            except Exception:  # the sender outlives one bad round; logged, retried after a pause
                pause = AWAY_SECONDS
                log.exception("follows.notify.round_failed")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), pause)

    async def purge(self, now: float | None = None) -> int:
        """Delete sent and failed rows older than the retention, at most once an hour."""
        now = self._clock() if now is None else now
        if now - self._purged_at < PURGE_EVERY:
            return 0
        self._purged_at = now
        purged = await self._outbox.purge(before=now - RETENTION_SECONDS)
        if purged:
            event(log, "follows.notify.purged", count=purged)
        return purged

    async def send_due(self, now: float | None = None) -> int:
        """One round: claim what is due at `now`, then send each; how many reached Slack."""
        now = self._clock() if now is None else now
        rows = await self._outbox.claim(now=now, lease_seconds=LEASE_SECONDS, limit=BATCH)
        self._busy = {}  # channels whose turn is far off, this round
        done = 0
        for index, row in enumerate(rows):
            if self._clock() - now > ROUND_BUDGET:
                for left in rows[index:]:
                    await self._later(left, "not reached in its round", at=self._clock())
                break
            if row.ts is None and row.channel_id in self._busy:  # no turn taken for it
                await self._later(row, "waiting for the channel's turn",
                                  at=self._busy[row.channel_id])  # fmt: skip
                continue
            try:
                done += await self._one(row)
            except StoreUnavailable:
                raise
            except Exception:  # one row's bug must not stop the others; its lease lapses, retried
                log.exception("follows.notify.row_failed notification=%s", row.id)
        return done

    # ---- one row --------------------------------------------------------------------------
    async def _one(self, row: Notification) -> int:
        follow = await self._follows.get(row.follow_id)
        if follow is None:
            await self._fail(row, "follow deleted", "follow_deleted")
            return 0
        if not follow.active:
            await self._fail(row, f"follow paused: {follow.paused_reason}", "follow_paused")
            return 0
        mode = CardMode.FULL
        channel = row.channel_id
        if not follow.destination.personal and not channel.startswith("D"):
            mode = await self._sharing.card_mode(channel)
        if mode is CardMode.OFF:
            await self._stop(follow, row, CARDS_OFF, "cards_off")
            return 0
        minimal = mode is CardMode.MINIMAL
        message = self._message(follow, row, minimal=minimal)
        if message is None:
            await self._fail(row, NOTHING_TO_SHOW, "nothing_to_show")
            return 0
        if row.ts is not None:
            return await self._edit(follow, row, message, minimal=minimal)
        if await self._outbox.snoozed(channel, row.display_id, now=self._clock()):
            await self._fail(row, "snoozed in this conversation", "snoozed")
            return 0
        thread = await self._outbox.thread(channel, row.display_id, utc_day(row.first_at))
        parent = thread if thread is not None and thread.id != row.id and thread.ts else None
        since = row.extra.get("unsure_since")
        if since is not None:
            found = await self._look(row, float(since), parent)
            if found is None:
                return 0  # could not look: retried later
            if found:
                ts, thread_ts = found
                await self._outbox.sent(row.id, ts=ts, thread_ts=thread_ts, now=self._clock())
                await self._follows.noted(follow.id, at=self._clock())
                event(log, "follows.notify.found", notification=row.id, channel=channel)
                count_notification("sent")
                await self._update(channel, ts, message)  # with whatever was folded since
                return 1
        return await self._post(follow, row, message, parent, minimal=minimal)

    def _message(
        self,
        follow: Follow,
        row: Notification,
        *,
        minimal: bool,
        latest: Notification | None = None,
    ) -> Message | None:
        snap = self._directory.get(str(row.display_id))
        app_url = self._cards.app_url
        if snap is not None:
            name, url = snap.customer.name, customer_url(snap.customer, app_url)
        else:
            name, url = None, f"{app_url.rstrip('/')}/customers/{row.display_id}"
        at = None
        if latest is not None:
            at = datetime.fromtimestamp(latest.first_at, tz=UTC).strftime("%H:%M UTC")
        return notification_message(
            follow,
            row.display_id,
            row.notices,
            name=name,
            url=url,
            currency=self._cards.currency,
            minimal=minimal,
            latest=latest.notices if latest is not None else (),
            latest_at=at,
        )

    async def _post(
        self,
        follow: Follow,
        row: Notification,
        message: Message,
        parent: Notification | None,
        *,
        minimal: bool,
    ) -> int:
        channel = row.channel_id
        wait = await self._outbox.pace(channel, now=self._clock(), gap_seconds=CHANNEL_GAP)
        if wait > MAX_INLINE_WAIT:  # held (ratelimited) or a backlog: the row waits its turn
            self._busy[channel] = self._clock() + wait
            await self._later(row, "waiting for the channel's turn", at=self._busy[channel])
            return 0
        if wait > 0:
            await self._sleep(wait)
        await self._pacer.turn(channel)
        options: dict[str, Any] = {}
        if parent is not None:
            options = {"thread_ts": parent.ts, "reply_broadcast": row.broadcast}
        tried = self._clock()
        metadata = {"event_type": EVENT_TYPE, "event_payload": {"notification_id": row.id}}
        try:
            try:
                answer = await call(
                    "chat.postMessage",
                    self._slack.chat_postMessage(
                        channel=channel,
                        text=message.text,
                        blocks=message.blocks,
                        metadata=metadata,
                        unfurl_links=False,
                        unfurl_media=False,
                        **options,
                    ),
                )
            except SlackCallFailed as refused:
                if refused.error not in _PAYLOAD_ERRORS:
                    raise
                # Our blocks were refused (nothing was posted): a bug; the words still go.
                event(log, "follows.notify.refused", logging.ERROR, notification=row.id,
                      error=refused.error, fallback="text")  # fmt: skip
                answer = await call(
                    "chat.postMessage",
                    self._slack.chat_postMessage(
                        channel=channel,
                        text=message.text[:3000],
                        metadata=metadata,
                        unfurl_links=False,
                        unfurl_media=False,
                        **options,
                    ),
                )
        except SlackCallFailed as failed:
            await self._failed_call(follow, row, failed, tried=tried, posting=True)
            return 0
        ts = str(answer.get("ts") or "")
        thread_ts = parent.ts if parent is not None else None
        await self._outbox.sent(row.id, ts=ts, thread_ts=thread_ts, now=self._clock())
        await self._follows.noted(follow.id, at=self._clock())
        self.sent += 1
        count_notification("sent")
        event(log, "follows.notify.sent", notification=row.id, follow=follow.id, channel=channel,
              reply=parent is not None, broadcast=bool(options.get("reply_broadcast")),
              attempts=row.attempts)  # fmt: skip
        if parent is not None and parent.ts is not None:
            await self._show_latest(parent, row, minimal=minimal)
        return 1

    async def _show_latest(
        self, parent: Notification, latest: Notification, *, minimal: bool
    ) -> None:
        """Edit the day's parent so it shows the newest change told in its thread."""
        owner = await self._follows.get(parent.follow_id)
        if owner is None or parent.ts is None:
            return
        message = self._message(owner, parent, minimal=minimal, latest=latest)
        if message is not None:
            await self._update(parent.channel_id, parent.ts, message)

    async def _update(self, channel: str, ts: str, message: Message) -> bool:
        """An edit whose failure is only logged (the message it edits is already there)."""
        await self._pacer.turn(channel)
        request = self._slack.chat_update(channel=channel, ts=ts, text=message.text,
                                          blocks=message.blocks)  # fmt: skip
        return await attempt("chat.update", request) is not None

    async def _edit(
        self, follow: Follow, row: Notification, message: Message, *, minimal: bool
    ) -> int:
        """A posted row with changes folded in since: its own message is edited."""
        assert row.ts is not None
        await self._pacer.turn(row.channel_id)
        try:
            await call(
                "chat.update",
                self._slack.chat_update(
                    channel=row.channel_id, ts=row.ts, text=message.text, blocks=message.blocks
                ),
            )
        except SlackCallFailed as failed:
            if failed.error in ("message_not_found", "cant_update_message"):
                # Deleted in Slack: nothing to edit, and nothing to post again.
                await self._outbox.sent(row.id, ts=row.ts, thread_ts=row.thread_ts,
                                        now=self._clock())  # fmt: skip
                event(log, "follows.notify.edit_dropped", notification=row.id, error=failed.error)
                return 0
            await self._failed_call(follow, row, failed, tried=self._clock(), posting=False)
            return 0
        await self._outbox.sent(row.id, ts=row.ts, thread_ts=row.thread_ts, now=self._clock())
        await self._follows.noted(follow.id, at=self._clock())
        self.sent += 1
        count_notification("edited")
        event(log, "follows.notify.edited", notification=row.id, follow=follow.id,
              channel=row.channel_id)  # fmt: skip
        if row.thread_ts is not None:  # a reply: its parent shows the latest again
            parent = await self._outbox.thread(
                row.channel_id, row.display_id, utc_day(row.first_at)
            )
            if parent is not None and parent.ts == row.thread_ts:
                await self._show_latest(parent, row, minimal=minimal)
        return 1

    # ---- was it posted after all? ----------------------------------------------------------
    async def _look(
        self, row: Notification, since: float, parent: Notification | None
    ) -> tuple[str, str | None] | tuple[()] | None:
        """The message tagged with this row, if Slack has it: (ts, thread_ts); () when not
        found (post it); None when Slack could not be asked now (the row was put back)."""
        oldest = f"{since - HISTORY_MARGIN:.6f}"
        looks: list[tuple[str, dict[str, Any]]] = [("conversations.history", {})]
        if parent is not None and parent.ts is not None:
            looks.append(("conversations.replies", {"ts": parent.ts}))
        for method, extra in looks:
            cursor = ""
            for _ in range(HISTORY_PAGES):
                await self._pacer.turn(row.channel_id)
                args = {"channel": row.channel_id, "oldest": oldest, "limit": HISTORY_PAGE_SIZE,
                        "include_all_metadata": True, **extra}  # fmt: skip
                if cursor:
                    args["cursor"] = cursor
                request = (
                    self._slack.conversations_history(**args)
                    if method == "conversations.history"
                    else self._slack.conversations_replies(**args)
                )
                try:
                    answer = await call(method, request)
                except SlackCallFailed as failed:
                    if failed.kind is Kind.TRANSIENT:
                        await self._backoff(row, failed, keep_unsure=since)
                        return None
                    # Never able to look (no history scope, channel gone): post, and a
                    # channel out of reach is caught by the post itself.
                    event(log, "follows.notify.unverified", logging.WARNING, notification=row.id,
                          method=method, error=failed.error)  # fmt: skip
                    break
                for message in answer.get("messages") or []:
                    if _names(message, row.id):
                        ts = str(message.get("ts"))
                        thread_ts = message.get("thread_ts")
                        return ts, (str(thread_ts) if thread_ts and thread_ts != ts else None)
                cursor = str((answer.get("response_metadata") or {}).get("next_cursor") or "")
                if not cursor:
                    break
        return ()

    # ---- failures --------------------------------------------------------------------------
    async def _failed_call(
        self, follow: Follow, row: Notification, failed: SlackCallFailed, *, tried: float,
        posting: bool,
    ) -> None:  # fmt: skip
        channel = row.channel_id
        if failed.ratelimited:
            wait = failed.retry_after if failed.retry_after is not None else 1.0
            await self._pacer.held(failed, channel)
            await self._outbox.hold_channel(channel, until=self._clock() + wait)
            await self._outbox.retry(row.id, failed.error, at=self._clock() + wait)
            await self._follows.noted(follow.id, at=self._clock(), error=failed.error)
            event(log, "follows.notify.ratelimited", logging.WARNING, notification=row.id,
                  channel=channel, retry_after=wait)  # fmt: skip
            return
        if failed.kind is Kind.TRANSIENT:
            await self._backoff(
                row, failed, keep_unsure=tried if posting and failed.uncertain else None
            )
            return
        if failed.error in _CHANNEL_ERRORS or failed.kind is Kind.GONE:
            reason = _REASONS.get(failed.error, "Slack refused to post there")
            await self._stop(follow, row, f"{reason} ({failed.error})", failed.error)
            return
        # Our own payload was refused (invalid_blocks, msg_too_long…): a bug, logged loudly.
        await self._fail(row, f"refused: {failed.error}", "refused")
        event(log, "follows.notify.refused", logging.ERROR, notification=row.id,
              method=failed.method, error=failed.error)  # fmt: skip

    async def _backoff(
        self, row: Notification, failed: SlackCallFailed, *, keep_unsure: float | None
    ) -> None:
        now = self._clock()
        if now - row.first_at >= GIVE_UP_AFTER:
            await self._fail(row, f"gave up after 24 h: {failed.error}", "gave_up")
            event(log, "follows.notify.gave_up", logging.WARNING, notification=row.id,
                  error=failed.error)  # fmt: skip
            return
        delay = min(FIRST_BACKOFF * 2 ** max(0, row.attempts - 1), MAX_BACKOFF)
        delay = min(delay, max(1.0, row.first_at + GIVE_UP_AFTER - now))
        error = failed.error if keep_unsure is None else unsure(failed.error, keep_unsure)
        await self._outbox.retry(row.id, error, at=now + delay)
        await self._follows.noted(row.follow_id, at=now, error=failed.error)
        event(log, "follows.notify.retry", logging.WARNING, notification=row.id,
              error=failed.error, delay=delay, attempts=row.attempts)  # fmt: skip

    async def _later(self, row: Notification, why: str, *, at: float) -> None:
        """Give a row back, untried; a post that may have happened stays marked so."""
        since = row.extra.get("unsure_since")
        await self._outbox.retry(row.id, why if since is None else unsure(why, float(since)), at=at)

    async def _fail(self, row: Notification, reason: str, label: str) -> None:
        """Never to be sent: the row keeps the reason, and so does its follow."""
        await self._outbox.failed(row.id, reason)
        await self._follows.noted(row.follow_id, at=self._clock(), error=reason)
        self.failed[label] = self.failed.get(label, 0) + 1
        count_notification("failed", label)
        event(log, "follows.notify.failed", notification=row.id, follow=row.follow_id,
              reason=label)  # fmt: skip

    async def _stop(self, follow: Follow, row: Notification, reason: str, label: str) -> None:
        """The follow's conversation is out of reach: pause it, tell its creator once."""
        await self._fail(
            row, reason, label if label in _REASONS or label == "cards_off" else "channel"
        )
        if not await self._follows.pause(follow.id, reason):
            return  # paused before (by another row or replica): its creator was told then
        event(log, "follows.paused", logging.WARNING, follow=follow.id, reason=label)
        if follow.destination.personal:
            return  # the DM is where it was going: nowhere else to tell
        await self._tell_creator(follow, reason)

    async def _tell_creator(self, follow: Follow, reason: str) -> None:
        opened = await attempt("conversations.open",
                               self._slack.conversations_open(users=follow.created_by))  # fmt: skip
        dm = _opened(opened)
        if not dm:
            return
        message = follow_stopped(follow, reason)
        await self._pacer.turn(dm)
        posted = await attempt(
            "chat.postMessage",
            self._slack.chat_postMessage(channel=dm, text=message.text, blocks=message.blocks),
        )
        event(log, "follows.creator_told", follow=follow.id, ok=posted is not None)


def _names(message: Mapping[str, Any], notification_id: int) -> bool:
    """Whether a message from history carries this notification's metadata."""
    metadata = message.get("metadata")
    if not isinstance(metadata, Mapping) or metadata.get("event_type") != EVENT_TYPE:
        return False
    payload = metadata.get("event_payload")
    return isinstance(payload, Mapping) and str(payload.get("notification_id")) == str(
        notification_id
    )


# ---- the overflow menu and the stopped-follow DM's buttons ----------------------------------
def register(app: AsyncApp, deps: ListenerDeps) -> None:
    listen(app.action(ids.NOTIFICATION_MENU), deps, on_menu)
    listen(app.action(ids.FOLLOW_MOVE_TO_DM), deps, on_move)
    listen(app.action(ids.FOLLOW_DELETE), deps, on_delete)


def on_menu(deps: ListenerDeps, args: AsyncArgs) -> Reply:
    body, respond = args.body, args.respond
    selected = (args.action or {}).get("selected_option") or {}
    choice = menu_choice(str(selected.get("value") or "")) if isinstance(selected, dict) else None
    channel = str((body.get("channel") or {}).get("id") or "")
    return Reply(later=lambda: menu(deps, choice, channel, user_of(body), respond))


async def menu(
    deps: ListenerDeps,
    choice: tuple[str, int, int] | None,
    channel: str,
    user: str,
    respond: AsyncRespond,
) -> None:
    if choice is None or not channel:
        await tell(respond, said("That menu is out of date.", ":warning:"))
        return
    what, follow_id, display_id = choice
    if what in SNOOZES:
        seconds, words = SNOOZES[what]
        await deps.outbox.snooze(channel, display_id, until=time.time() + seconds)
        event(log, "follows.snoozed", channel=channel, display_id=display_id, days=seconds / 86400)
        text = f"Customer #{display_id} is snoozed here for {words}: no notifications until then."
        await tell(respond, said(text, ":no_bell:"))
        return
    follow = await deps.follows.get(follow_id)
    if what != UNFOLLOW or follow is None or follow.destination.channel_id != channel:
        await tell(respond, said("That follow is gone already.", ":information_source:"))
        return
    await deps.follows.remove(follow.id)
    event(log, "follows.unfollowed", follow=follow.id, by=user)
    await tell(respond, said(f"Unfollowed: {_followed(follow)} is no longer followed here."))


def on_move(deps: ListenerDeps, args: AsyncArgs) -> Reply:
    follow_id, body, respond = _follow_id(args.action), args.body, args.respond
    return Reply(later=lambda: move(deps, follow_id, user_of(body), respond))


async def move(deps: ListenerDeps, follow_id: int | None, user: str, respond: AsyncRespond) -> None:
    """The stopped follow, again, to the creator's DM with the app; the old one goes."""
    follow = await deps.follows.get(follow_id) if follow_id is not None else None
    if follow is None:
        await reply(respond, said("That follow is gone already.", ":information_source:"),
                    replace_original=True)  # fmt: skip
        return
    if follow.created_by != user:
        await tell(respond, said("Only the person who set up this follow can move it.", ":lock:"))
        return
    opened = await attempt("conversations.open", deps.slack.conversations_open(users=user))
    dm = _opened(opened)
    if not dm:
        await tell(
            respond, said("Slack did not open your DM with the app; try again.", ":warning:")
        )
        return
    moved = NewFollow(follow.target, Destination(dm, user_id=user), created_by=user,
                      kinds=follow.kinds, digest=follow.digest, digest_hour=follow.digest_hour,
                      timezone=follow.timezone, team_id=follow.team_id)  # fmt: skip
    new, _ = await deps.follows.add(moved, now=time.time())
    await deps.follows.remove(follow.id)
    event(log, "follows.moved", follow=follow.id, to=new.id)
    text = f"Moved: notifications for {_followed(follow)} now come to you here."
    await reply(respond, said(text), replace_original=True)


def on_delete(deps: ListenerDeps, args: AsyncArgs) -> Reply:
    follow_id, body, respond = _follow_id(args.action), args.body, args.respond
    return Reply(later=lambda: delete(deps, follow_id, user_of(body), respond))


async def delete(
    deps: ListenerDeps, follow_id: int | None, user: str, respond: AsyncRespond
) -> None:
    follow = await deps.follows.get(follow_id) if follow_id is not None else None
    if follow is not None and follow.created_by != user:
        await tell(respond, said("Only the person who set up this follow can delete it.", ":lock:"))
        return
    if follow is not None:
        await deps.follows.remove(follow.id)
        event(log, "follows.deleted", follow=follow.id)
    text = (
        f"Deleted the follow of {_followed(follow)}." if follow else "That follow is gone already."
    )
    await reply(respond, said(text), replace_original=True)


def _opened(answer: Any) -> str:
    """The DM channel id in a conversations.open answer ("" when there is none)."""
    channel = answer.get("channel") if answer is not None else None
    return str(channel.get("id") or "") if isinstance(channel, Mapping) else ""


def _follow_id(action: Mapping[str, Any] | None) -> int | None:
    value = str((action or {}).get("value") or "")
    return int(value) if value.isdigit() and len(value) <= 18 else None


def _followed(follow: Follow) -> str:
    if follow.target.segment is not None:
        return "a segment"
    return f"customer #{follow.target.display_id}"
