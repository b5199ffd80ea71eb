"""Action and block ids shared by the card builders and the listeners."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from bot.pivotal.refs import is_safe_customer_ref

# Link buttons still send a block_actions payload when clicked; the app acks them.
OPEN_PIVOTAL = "customer_open_pivotal"
OPEN_HUBSPOT_COMPANY = "customer_open_hubspot_company"
OPEN_HUBSPOT_DEAL = "customer_open_hubspot_deal"
OPEN_STRIPE = "customer_open_stripe"
OPEN_INTERCOM = "customer_open_intercom"
LINK_BUTTONS = (OPEN_PIVOTAL, OPEN_HUBSPOT_COMPANY, OPEN_HUBSPOT_DEAL, OPEN_STRIPE, OPEN_INTERCOM)

# Picking one customer out of several matches.
PICK_CUSTOMER = "customer_pick"
# Posting an ephemeral card to the channel for everyone.
SHARE_CUSTOMER = "customer_share"

# Fetching the customer again now and redrawing the card in place.
REFRESH_CUSTOMER = "customer_refresh"
# The type-ahead picker (external_select): its options come from the bot's options endpoint.
PICKER = "customer_picker"
PICKER_BLOCK = "customer_picker_block"
# Shortcuts, the modal they open, and its Share-to-a-conversation input.
LOOKUP_SHORTCUT = "lookup_customer"  # message shortcut
FIND_SHORTCUT = "find_customer"  # global shortcut
FIND_MODAL = "find_customer_modal"
SHARE_TARGET = "customer_share_target"
SHARE_TARGET_BLOCK = "customer_share_target_block"
HOME_RECENT_PICK = "home_recent_pick"
HOME_LIST = "home_list"  # a Home list's "Show all": the whole list, in the user's DM
ATTENTION: Final = "attention"  # the list value of "Needs attention" (not a filter: an either-or)

# Lists of customers (a filter's matches): page through, open one, export, share.
LIST_PAGE = "customer_list_page"  # Previous / Next, and "show those" on an empty list
LIST_SHOW = "customer_list_show"  # a row's Show: the card as a new ephemeral message
LIST_EXPORT = "customer_list_export"  # every match as CSV, to the asker's DM
LIST_SHARE = "customer_list_share"  # the page, posted for the channel (not in Slack Connect)
LIST_VALUE_LIMIT = 2000  # Slack's limit on a button value

# Linking a channel to a customer: the confirmation's buttons (values: bot/blocks/links.py).
LINK_CONFIRM = "channel_link_confirm"
LINK_CANCEL = "channel_link_cancel"

# Follows: the card's Follow buttons, a segment's Confirm/Cancel, the list's buttons.
FOLLOW_CHANNEL = "follow_in_channel"  # value: customer:<ref>
FOLLOW_ME = "follow_just_me"  # value: customer:<ref>
FOLLOW_CONFIRM = "follow_confirm"  # value: bot/blocks/follow.py request_value
FOLLOW_CANCEL = "follow_cancel"
FOLLOW_UNFOLLOW = "follow_unfollow"  # value: follow:<id>
FOLLOW_SNOOZE = "follow_snooze"  # value: follow:<id>
FOLLOW_RESUME = "follow_resume"  # value: follow:<id>

# A follow's notification: its overflow menu (snooze here for a day / a week, unfollow),
# and the buttons of the DM telling a follow's creator it stopped (values: the follow id).
NOTIFICATION_MENU = "notification_menu"
FOLLOW_MOVE_TO_DM = "follow_move_to_dm"
FOLLOW_DELETE = "follow_delete"

CARD_HEADER_BLOCK = "customer_header"
CARD_FIELDS_BLOCK = "customer_fields"
CARD_CONTEXT_BLOCK = "customer_context"
CARD_LINKS_BLOCK = "customer_links"
STALE_NOTE_BLOCK = "customer_stale"
REFRESHED_NOTE_BLOCK = "customer_refreshed"


def customer_value(customer_id: str, display_id: int) -> str:
    """A button value naming a customer: its id, or the display_id when the id is unsafe."""
    # An id the API path check would refuse (or one past Slack's 2000-character value
    # limit) falls back to the always-safe display_id.
    ref = customer_id if is_safe_customer_ref(customer_id) else str(display_id)
    return encode_customer_value(ref)


def encode_customer_value(customer_id: str) -> str:
    """The value of a button that names one customer."""
    return f"customer:{customer_id}"


def decode_customer_value(value: str) -> str | None:
    """The customer id in a button value, or None if it is not one of ours."""
    prefix, _, ref = value.partition(":")
    if prefix != "customer" or not is_safe_customer_ref(ref):
        return None
    return ref


def customer_of(action: Mapping[str, Any]) -> str | None:
    """The customer a clicked button (or a chosen option) names, None if not one of ours."""
    selected = action.get("selected_option")
    chosen = selected.get("value") if isinstance(selected, Mapping) else None
    return decode_customer_value(str(action.get("value") or chosen or ""))


def list_value(filter_text: str, page: int = 1) -> str:
    """A button value naming a list: the page and the filter's canonical text."""
    return f"list:{max(1, page)}:{filter_text}"[:LIST_VALUE_LIMIT]


def list_of(action: Mapping[str, Any]) -> tuple[str, int] | None:
    """The filter text and page a list button names, or None if it is not one of ours."""
    prefix, _, rest = str(action.get("value") or "").partition(":")
    page, _, text = rest.partition(":")
    if prefix != "list" or not page.isdigit() or not 0 < int(page) < 1_000_000:
        return None
    return text, int(page)


def follow_value(follow_id: int) -> str:
    """A button value naming one follow."""
    return f"follow:{follow_id}"


def follow_of(action: Mapping[str, Any]) -> int | None:
    """The follow id a button names, or None if it is not one of ours."""
    prefix, _, rest = str(action.get("value") or "").partition(":")
    if prefix != "follow" or not rest.isdigit() or len(rest) > 18:
        return None
    return int(rest)
