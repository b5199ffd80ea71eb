"""The customer card: Customer -> Block Kit dicts (pure; no I/O, clock or environment)."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import quote

from bot.blocks import ids
from bot.blocks.health import health_fields
from bot.blocks.message import Block, CardSettings, Message
from bot.blocks.text import count, cut, escape, money, slack_date
from bot.pivotal.models import Customer, Signals

HEADER_LIMIT = 150
FIELD_LIMIT = 2000
BUTTON_TEXT_LIMIT = 75
TEXT_LIMIT = 3000
_ID_LIMIT = 200  # characters of a path-encoded integration id
_DASH = "—"
# Slack channel ids: ASCII upper-case letters and digits (str.isalnum() also passes "Cé", "C١").
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,19}")
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,19}")
_SHARED_BY = re.compile(r"Shared by <@([UW][A-Z0-9]{2,19})>")

_NEUTRAL_MARKER = ":radio_button:"
_STATUS = {
    "active": (":large_green_circle:", "Active"),
    "onboarding": (":large_blue_circle:", "Onboarding"),
    "at_risk": (":large_orange_circle:", "At risk"),
    "churned": (":red_circle:", "Churned"),
    "archived": (":white_circle:", "Archived"),
}


def customer_card(
    customer: Customer,
    *,
    cards: CardSettings,
    as_of: datetime | None = None,
    minimal: bool = False,
    shareable: bool = False,
    shared_by: str | None = None,
    refreshed_at: datetime | None = None,
    signals: Signals | None = None,
    followable: bool = False,
    linked: bool = False,
    onboarding: str | None = None,
) -> Message:
    """The card for `customer`.

    `as_of` marks a stale copy; `minimal` hides financials (for other organisations);
    `shareable` adds a Share button (ephemeral answers); `shared_by` credits a user id;
    `refreshed_at` says the card was just fetched again (after a Refresh click).
    `signals` adds health and owner (internal data: hidden with the financials).
    `followable` adds Follow buttons (ephemeral full cards): in the channel, or just for
    the asker; `linked` says the channel is the customer's own ("Follow in this channel").
    `onboarding` adds the current onboarding's line (blocks/related.py `onboarding_line`,
    already escaped), never when `minimal`.
    """
    blocks: list[Block] = [_header(customer)]
    if not minimal:
        blocks.append(_fields(customer, cards.currency, signals))
        if onboarding:
            blocks.append(_related_line(onboarding))
    blocks.append(_context(customer, with_dates=not minimal, shared_by=shared_by))
    if as_of is not None:
        blocks.append(_stale_note(as_of))
    elif refreshed_at is not None:
        blocks.append(_refreshed_note(refreshed_at))
    actions = _buttons(customer, cards, minimal=minimal)
    if shareable:
        actions["elements"].append(_share_button(customer))
    actions["elements"].append(_refresh_button(customer, minimal=minimal))
    if followable and not minimal:
        actions["elements"] += _follow_buttons(customer, linked=linked)
    blocks.append(actions)
    return Message(text=_fallback(customer, cards.currency, minimal=minimal), blocks=blocks)


def _related_line(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": cut(text, TEXT_LIMIT)}]}


def customer_url(customer: Customer, app_url: str) -> str:
    """The customer's page in Pivotal; the display_id form always resolves."""
    return f"{app_url.rstrip('/')}/customers/{customer.display_id}"


def status_label(status: str) -> str:
    """A marker and a label; statuses the card does not know get a neutral marker."""
    emoji, label = _STATUS.get(status, (_NEUTRAL_MARKER, ""))
    return f"{emoji} {label or status_name(status)}"


def status_name(status: str) -> str:
    """The status in words: known ones by name, others humanised (trialing -> Trialing)."""
    known = _STATUS.get(status)
    if known:
        return known[1]
    words = " ".join(status.replace("_", " ").replace("-", " ").split())
    return escape(cut(words[:1].upper() + words[1:], 100)) if words else "Unknown"


def _header(customer: Customer) -> Block:
    name = cut(customer.name.strip() or f"Customer #{customer.display_id}", HEADER_LIMIT)
    return {
        "type": "header",
        "block_id": ids.CARD_HEADER_BLOCK,
        "text": {"type": "plain_text", "text": name, "emoji": False},
    }


def _fields(customer: Customer, currency: str, signals: Signals | None) -> Block:
    mrr = money(customer.mrr, currency) if customer.mrr is not None else _DASH
    orders = count(customer.monthly_orders) if customer.monthly_orders is not None else _DASH
    pairs = [
        ("Status", status_label(customer.status)),
        ("Plan", escape(customer.plan) if customer.plan else _DASH),
        ("MRR", mrr),
        ("Monthly orders", orders),
        ("Domain", escape(customer.domain) if customer.domain else _DASH),
        ("Channel", _channel(customer.slack_channel_id)),
        *health_fields(signals),
    ]
    fields = [
        {"type": "mrkdwn", "text": cut(f"*{label}*\n{value}", FIELD_LIMIT)}
        for label, value in pairs
    ]
    return {"type": "section", "block_id": ids.CARD_FIELDS_BLOCK, "fields": fields}


def _channel(channel_id: str | None) -> str:
    # Only a well-formed id becomes a <#C…> reference; anything else is shown inert.
    if channel_id and _CHANNEL_ID.fullmatch(channel_id):
        return f"<#{channel_id}>"
    return escape(cut(channel_id, 40)) if channel_id else _DASH


def shared_by_in(blocks: object) -> str | None:
    """Who shared a posted card, read back from its context line, so a redraw keeps it."""
    if not isinstance(blocks, list):
        return None
    for block in blocks:
        if isinstance(block, dict) and block.get("block_id") == ids.CARD_CONTEXT_BLOCK:
            for element in block.get("elements") or []:
                text = element.get("text") if isinstance(element, dict) else None
                found = _SHARED_BY.search(text) if isinstance(text, str) else None
                if found:
                    return found.group(1)
    return None


def _context(customer: Customer, *, with_dates: bool, shared_by: str | None) -> Block:
    parts = [f"*#{customer.display_id}*"]
    if with_dates:
        parts.append(f"Customer since {slack_date(customer.created_at)}")
        updated = slack_date(customer.updated_at, tokens="{date_short_pretty} at {time}")
        parts.append(f"Updated {updated}")
    if shared_by and _USER_ID.fullmatch(shared_by):
        parts.append(f"Shared by <@{shared_by}>")
    return {
        "type": "context",
        "block_id": ids.CARD_CONTEXT_BLOCK,
        "elements": [{"type": "mrkdwn", "text": " · ".join(parts)}],
    }


def _stale_note(as_of: datetime) -> Block:
    when = slack_date(as_of, tokens="{date_short_pretty} at {time}")
    text = f":warning: Pivotal is not answering right now. This is the card as of {when}."
    return {
        "type": "context",
        "block_id": ids.STALE_NOTE_BLOCK,
        "elements": [{"type": "mrkdwn", "text": text}],
    }


def _refreshed_note(at: datetime) -> Block:
    when = slack_date(at, tokens="{time}")
    text = f":arrows_counterclockwise: Updated just now from Pivotal ({when})"
    return {
        "type": "context",
        "block_id": ids.REFRESHED_NOTE_BLOCK,
        "elements": [{"type": "mrkdwn", "text": text}],
    }


def _refresh_button(customer: Customer, *, minimal: bool) -> Block:
    # Other organisations' clients receive button values too: only the number there.
    ref = str(customer.display_id) if minimal else customer.id
    return {
        "type": "button",
        "action_id": ids.REFRESH_CUSTOMER,
        "text": {"type": "plain_text", "text": "Refresh"},
        "value": ids.customer_value(ref, customer.display_id),
    }


def _buttons(customer: Customer, cards: CardSettings, *, minimal: bool) -> Block:
    buttons = [_button(ids.OPEN_PIVOTAL, "Open in Pivotal", customer_url(customer, cards.app_url))]
    buttons[0]["style"] = "primary"
    if not minimal:
        buttons.extend(_integration_buttons(customer, cards))
    return {"type": "actions", "block_id": ids.CARD_LINKS_BLOCK, "elements": buttons}


def _share_button(customer: Customer) -> Block:
    return {
        "type": "button",
        "action_id": ids.SHARE_CUSTOMER,
        "text": {"type": "plain_text", "text": "Share in channel"},
        "value": ids.customer_value(customer.id, customer.display_id),
    }


def _follow_buttons(customer: Customer, *, linked: bool) -> list[Block]:
    value = ids.customer_value(customer.id, customer.display_id)
    here: Block = {
        "type": "button",
        "action_id": ids.FOLLOW_CHANNEL,
        "text": {"type": "plain_text", "text": "Follow in this channel" if linked
                 else "Follow in channel"},
        "value": value,
    }  # fmt: skip
    me: Block = {
        "type": "button",
        "action_id": ids.FOLLOW_ME,
        "text": {"type": "plain_text", "text": "Follow just for me"},
        "value": value,
    }
    return [here, me]


def _integration_buttons(customer: Customer, cards: CardSettings) -> list[Block]:
    buttons: list[Block] = []
    portal = _path(cards.hubspot_portal_id)
    hubspot = f"https://{cards.hubspot_host}/contacts/{portal}/record"
    company, deal = _path(customer.hubspot_company_id), _path(customer.hubspot_deal_id)
    if portal and company:
        buttons.append(
            _button(ids.OPEN_HUBSPOT_COMPANY, "HubSpot company", f"{hubspot}/0-2/{company}")
        )
    if portal and deal:
        buttons.append(_button(ids.OPEN_HUBSPOT_DEAL, "HubSpot deal", f"{hubspot}/0-3/{deal}"))
    stripe = _path(customer.stripe_customer_id)
    if stripe:
        mode = "test/" if cards.stripe_test_mode else ""
        url = f"https://dashboard.stripe.com/{mode}customers/{stripe}"
        buttons.append(_button(ids.OPEN_STRIPE, "Stripe", url))
    app, intercom = _path(cards.intercom_app_id), _path(customer.intercom_company_id)
    if app and intercom:
        url = f"https://app.intercom.com/a/apps/{app}/companies/{intercom}"
        buttons.append(_button(ids.OPEN_INTERCOM, "Intercom", url))
    return buttons


def _button(action_id: str, label: str, url: str) -> Block:
    return {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": cut(label, BUTTON_TEXT_LIMIT)},
        "url": url,
    }


def _path(value: str | None) -> str | None:
    """`value` as one URL path segment; None when blank or too long to be a real id."""
    # A cut id would open the wrong record (or half a %-escape), so no button beats that.
    encoded = quote((value or "").strip(), safe="")
    return encoded if 0 < len(encoded) <= _ID_LIMIT else None


def _fallback(customer: Customer, currency: str, *, minimal: bool) -> str:
    name = f"{customer.name.strip() or 'Customer'} (#{customer.display_id})"
    if minimal:
        return cut(escape(name), TEXT_LIMIT)
    parts = [status_name(customer.status)]
    if customer.plan:
        parts.append(customer.plan)
    if customer.mrr is not None:
        parts.append(f"{money(customer.mrr, currency)} MRR")
    return cut(escape(f"{name}: {', '.join(parts)}"), TEXT_LIMIT)
