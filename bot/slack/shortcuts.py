"""Shortcuts: "Look up customer" on a message, and "Find a customer" anywhere (a modal)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.blocks import ids, notices
from bot.blocks.customer import customer_card
from bot.blocks.matches import match_list
from bot.blocks.surfaces import find_modal, notice_modal
from bot.lookup.mentions import find_mentions, named_refs
from bot.lookup.query import IdQuery, SlugQuery
from bot.lookup.service import Found
from bot.slack.errors import contained, guarded
from bot.slack.privacy import CardMode
from bot.slack.recents import remember, user_of
from bot.slack.render import render
from bot.slack.replies import reply
from bot.slack.views import call

if TYPE_CHECKING:
    from bot.slack.deps import ListenerDeps


def register(app: AsyncApp, deps: ListenerDeps) -> None:
    @guarded
    async def on_message_shortcut(
        ack: AsyncAck, shortcut: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        deps.inflight.spawn(contained(look_up(shortcut, respond), respond))

    async def look_up(shortcut: dict[str, Any], respond: AsyncRespond) -> None:
        text = str((shortcut.get("message") or {}).get("text") or "")
        refs = refs_in(text)
        channel = str((shortcut.get("channel") or {}).get("id") or "")
        if len(refs) == 1:
            outcome = await deps.lookup.resolve(IdQuery(refs[0]))
            remember(deps, user_of(shortcut), outcome, channel)
            message = render(outcome, deps.cards, shareable=True)
        elif refs:
            snaps = [s for r in refs if (s := deps.directory.get(r)) is not None]
            message = match_list("that message", [s.customer for s in snaps])
        else:
            message = notices.nothing_mentioned()
        await reply(respond, message, response_type="ephemeral")

    def refs_in(text: str) -> list[str]:
        mentions = find_mentions(text, app_url=deps.app_url)
        refs: list[str] = []
        for link in (*mentions.links, *mentions.numbers):
            if isinstance(link, SlugQuery):
                snap = deps.directory.by_slug(link.slug)
                ref = snap.customer.id if snap is not None else None
            else:
                snap = deps.directory.get(link.ref)
                ref = snap.customer.id if snap is not None else link.ref
            if ref is not None and ref not in refs:
                refs.append(ref)
        exact = deps.directory.exact
        for ref in named_refs(mentions, lambda p: [s.customer.id for s in exact(p)]):
            if ref not in refs:
                refs.append(ref)
        return refs[:10]

    @guarded
    async def on_global_shortcut(ack: AsyncAck, shortcut: dict[str, Any]) -> None:
        await ack()
        deps.inflight.spawn(contained(open_modal(str(shortcut.get("trigger_id") or ""))))

    async def open_modal(trigger: str) -> None:
        await call("views.open", deps.slack.views_open(trigger_id=trigger, view=find_modal()))

    @guarded
    async def on_share_submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = (view.get("state") or {}).get("values") or {}
        target = (values.get(ids.SHARE_TARGET_BLOCK) or {}).get(ids.SHARE_TARGET) or {}
        channel = str(target.get("selected_conversation") or "")
        ref = str(view.get("private_metadata") or "")
        if not channel or not ref:
            await ack(
                response_action="errors",
                errors={ids.SHARE_TARGET_BLOCK: "Pick where to share the card."},
            )
            return
        await ack(response_action="update", view=notice_modal(":hourglass: Sharing…"))
        deps.inflight.spawn(contained(share(body, view, channel, ref)))

    async def share(body: dict[str, Any], view: dict[str, Any], channel: str, ref: str) -> None:
        user = user_of(body)
        mode = await deps.sharing.card_mode(channel)
        outcome = await deps.lookup.resolve(IdQuery(ref))
        if mode is CardMode.OFF:
            text = notices.not_shared_externally().text
        elif not isinstance(outcome, Found):
            text = render(outcome, deps.cards).text
        else:
            card = customer_card(
                outcome.snapshot.customer,
                cards=deps.cards,
                minimal=mode is CardMode.MINIMAL,
                shared_by=user,
            )
            posted = await call(
                "chat.postMessage",
                deps.slack.chat_postMessage(channel=channel, text=card.text, blocks=card.blocks),
            )
            text = (
                f":white_check_mark: Shared in <#{channel}>."
                if posted
                else ":warning: Slack did not take the card there; invite the bot to that "
                "conversation and try again."
            )
        await call(
            "views.update", deps.slack.views_update(view_id=view.get("id"), view=notice_modal(text))
        )

    app.shortcut({"type": "message_action", "callback_id": ids.LOOKUP_SHORTCUT})(
        on_message_shortcut
    )
    app.shortcut({"type": "shortcut", "callback_id": ids.FIND_SHORTCUT})(on_global_shortcut)
    app.view(ids.FIND_MODAL)(on_share_submitted)
