"""A list of customers (a filter's matches) and what is said when there is none (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.blocks import ids
from bot.blocks.customer import customer_url, status_label
from bot.blocks.message import Block, Message
from bot.blocks.text import count, cut, escape, money
from bot.lookup.filters import EXAMPLES, FIELDS, FilterError
from bot.lookup.portfolio import Page, Row

_NAME_LIMIT = 80
_FILTER_LIMIT = 300
_SORTS = {"mrr": "MRR, highest first", "name": "name", "health": "health, lowest first",
          "updated": "last update, newest first"}  # fmt: skip


@dataclass(frozen=True)
class Listing:
    """One page of a filter's matches, with what the header says of all of them."""

    filter_text: str  # canonical: what the buttons carry
    page: Page
    total_mrr: int  # cents
    sort: str
    owner_note: str | None = None  # why an owner filter may miss customers
    title: str | None = None  # said instead of the filter (a list no filter can express)


def list_message(
    listing: Listing,
    *,
    currency: str,
    app_url: str,
    shareable: bool = True,
    shared_by: str | None = None,
) -> Message:
    """The page as an ephemeral answer (buttons to page, show, export, share), or as a
    message `shared_by` posted for the channel (no buttons: it is a picture of the page)."""
    page, shown = listing.page, _filter(listing.filter_text)
    noun = "customer matches" if page.count == 1 else "customers match"
    if listing.title is not None:
        noun, shown = ("customer" if page.count == 1 else "customers"), escape(listing.title)
    head = f"*{count(page.count)}* {noun} {shown} · *{money(listing.total_mrr, currency)}* MRR"
    blocks: list[Block] = [_section(head)]
    if listing.owner_note:
        blocks.append(_context(f":information_source: {escape(listing.owner_note)}"))
    for row in page.rows:
        blocks.append(_row(row, currency, app_url, buttons=shared_by is None))
    footer = f"Page {page.number} of {page.pages} · sorted by {_SORTS.get(listing.sort, 'MRR')}"
    if shared_by is None:
        footer += " · only you can see this"
        blocks.append(_context(footer))
        blocks.append(_actions(listing, shareable=shareable))
    else:
        first, last = page.first, page.first + len(page.rows) - 1
        blocks.append(_context(f"Shared by <@{shared_by}> · {first}–{last} of {page.count}"))
    text = f"{page.count} {noun} {listing.title or listing.filter_text}"
    return Message(text=cut(text, 300), blocks=blocks)


def empty_list(
    filter_text: str, *, nearest: tuple[str, int] | None, owner_note: str | None = None
) -> Message:
    """No customer matches: say so, and offer the nearest filter that matches some."""
    text = f"No customers match {_filter(filter_text)}."
    blocks: list[Block] = [_section(f":mag: {text}")]
    if owner_note:
        blocks.append(_context(f":information_source: {escape(owner_note)}"))
    if nearest is not None:
        near, found = nearest
        noun = "customer" if found == 1 else "customers"
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"Nearest: {_filter(near)} ({found} {noun})"},
                "accessory": _button("Show those", ids.LIST_PAGE, ids.list_value(near, 1)),
            }
        )
    return Message(text=f"No customers match {cut(filter_text, _FILTER_LIMIT)}", blocks=blocks)


def owners_unknown(filter_text: str, note: str) -> Message:
    """An owner filter when the bot cannot know owners yet: why, rather than "no customers"."""
    text = f"{_filter(filter_text)}: {escape(note)}"
    return Message(text=cut(note, 300), blocks=[_section(f":information_source: {text}")])


def filter_problem(error: FilterError) -> Message:
    """Why the text is not a filter, with the fields there are."""
    shown = escape(cut(error.message, 500))
    blocks = [_section(f":thinking_face: {shown}"), _section(FILTER_HELP)]
    return Message(text=shown, blocks=blocks)


def loading_list() -> Message:
    text = "The customer list is still loading (the bot has just started). Try again in a minute."
    return Message(text=text, blocks=[_section(f":hourglass_flowing_sand: {text}")])


def share_refused() -> Message:
    text = (
        "Lists are not shared in channels with people from other organisations: "
        "they show MRR, plans and owners. Export it instead, or share it elsewhere."
    )
    return Message(text=text, blocks=[_section(f":lock: {text}")])


FILTER_HELP = (
    "*Lists of customers*: `/customer` with filters, all of which must hold:\n"
    + "\n".join(f"• `{escape(EXAMPLES[name])}`" for name in FIELDS)
    + "\n• `mine`: customers you own · free words match names, e.g. `acme mrr&gt;1k`"
    + "\nComparisons: `&gt;`, `&gt;=`, `&lt;`, `&lt;=`, `:`; money in units (`1.5k`), "
    "ages as `7d` or `2w`."
)


def _row(row: Row, currency: str, app_url: str, *, buttons: bool) -> Block:
    customer = row.customer
    name = escape(cut(customer.name.strip() or f"Customer #{customer.display_id}", _NAME_LIMIT))
    parts = [f"*<{customer_url(customer, app_url)}|{name}>* #{customer.display_id}",
             status_label(customer.status)]  # fmt: skip
    if customer.plan:
        parts.append(escape(cut(customer.plan, 40)))
    if customer.mrr is not None:
        parts.append(money(customer.mrr, currency))
    if row.health is not None:
        parts.append(f"health {row.health}")
    block: Block = {"type": "section", "text": {"type": "mrkdwn", "text": " · ".join(parts)}}
    if buttons:
        value = ids.customer_value(customer.id, customer.display_id)
        block["accessory"] = _button("Show", ids.LIST_SHOW, value)
    return block


def _actions(listing: Listing, *, shareable: bool) -> Block:
    page, text = listing.page, listing.filter_text
    elements: list[Block] = []
    if page.has_previous:
        elements.append(_button("Previous", ids.LIST_PAGE, ids.list_value(text, page.number - 1)))
    if page.has_next:
        elements.append(_button("Next", ids.LIST_PAGE, ids.list_value(text, page.number + 1)))
    elements.append(_button("Export CSV", ids.LIST_EXPORT, ids.list_value(text, page.number)))
    if shareable:
        elements.append(_button("Share", ids.LIST_SHARE, ids.list_value(text, page.number)))
    # One action_id per block: Previous and Next share LIST_PAGE, so each gets its own.
    for n, element in enumerate(elements):
        element["action_id"] = f"{element['action_id']}:{n}"
    return {"type": "actions", "elements": elements}


def _button(label: str, action_id: str, value: str) -> Block:
    return {"type": "button", "action_id": action_id,
            "text": {"type": "plain_text", "text": label}, "value": value}  # fmt: skip


def _filter(text: str) -> str:
    return f"`{escape(cut(text, _FILTER_LIMIT)).replace('`', 'ˋ')}`" if text else "*everyone*"


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}
