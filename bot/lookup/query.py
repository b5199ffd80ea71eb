"""Turn what a person typed or pasted into a Query (pure; table-tested)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from bot.pivotal.refs import DISPLAY_ID_RE, OPAQUE_ID_RE

MAX_TEXT = 200  # longer text is refused rather than cut, so nothing is silently lost


@dataclass(frozen=True)
class HelpQuery:
    """`/customer help`."""


@dataclass(frozen=True)
class ChannelQuery:
    """The customer linked to a Slack channel (`/customer` alone, or `<#C…>`)."""

    channel_id: str


@dataclass(frozen=True)
class IdQuery:
    """A display_id (digits) or an opaque cuid; always safe to put in an API path."""

    ref: str


@dataclass(frozen=True)
class SlugQuery:
    """A slug taken from a `/customers/<slug>` link."""

    slug: str


@dataclass(frozen=True)
class NameQuery:
    """Free text: matched against names, slugs and domains. `id_hint` may be a cuid."""

    text: str
    id_hint: str | None = None


@dataclass(frozen=True)
class InvalidQuery:
    """Input the bot will not look up; `reason` says why in the user's terms."""

    reason: str


Query = HelpQuery | ChannelQuery | IdQuery | SlugQuery | NameQuery | InvalidQuery
CustomerLink = IdQuery | SlugQuery

_HELP_WORDS = frozenset({"help", "-h", "--help", "?", "usage"})
_SLACK_ANGLE = re.compile(r"^<([^<>]*)>$")
_CHANNEL_REF = re.compile(r"^#(C[A-Z0-9]{2,20})(?:\|[^<>]*)?$")
_ASCII_DIGITS = re.compile(r"^[0-9]+$")
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$")
# Pivotal routes on a segment's leading digits (the slug after them is decorative).
_URL_SEGMENT_ID = re.compile(r"^([0-9]{1,12})(?![0-9])[A-Za-z0-9_-]*$")
_CONTROL = re.compile(r"[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def parse_query(text: str, *, app_url: str, channel_id: str = "") -> Query:
    """Parse `/customer` text typed in `channel_id`; `app_url` says which links count."""
    cleaned = _clean(text)
    if not cleaned:
        return ChannelQuery(channel_id=channel_id)
    if len(cleaned) > MAX_TEXT:
        return InvalidQuery(
            f"That is {len(cleaned)} characters; a lookup takes at most {MAX_TEXT}."
        )
    if cleaned.casefold() in _HELP_WORDS:
        return HelpQuery()
    angled = _SLACK_ANGLE.match(cleaned)
    if angled:
        return _parse_slack_reference(angled.group(1), app_url=app_url)
    if cleaned.startswith(("http://", "https://")):
        return _link_or_invalid(cleaned, app_url=app_url)
    digits = cleaned.removeprefix("#").strip()
    if _ASCII_DIGITS.fullmatch(digits):
        number = digits.lstrip("0") or "0"
        if DISPLAY_ID_RE.fullmatch(number):
            return IdQuery(number)
        return InvalidQuery("Customer numbers have at most 12 digits.")
    name = _unquote(cleaned)
    return NameQuery(text=name, id_hint=name if _looks_like_id(name) else None)


def parse_customer_link(url: str, *, app_url: str) -> CustomerLink | None:
    """A customer page link on the app's host (`/customers/42`, `/customers/42-acme`, slug)."""
    try:
        parts = urlsplit(url.strip())
        base = urlsplit(app_url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not _same_site(parts.netloc, base.netloc):
        return None
    prefix = base.path.rstrip("/") + "/customers/"
    path = unquote(parts.path)
    if not path.startswith(prefix):
        return None
    segment = path[len(prefix) :].split("/", 1)[0]
    match = _URL_SEGMENT_ID.fullmatch(segment)
    if match:
        return IdQuery(_canonical_display_id(match.group(1)))
    if _SLUG.fullmatch(segment) and not segment[:1].isdigit():
        return SlugQuery(segment)
    return None


def _parse_slack_reference(inner: str, *, app_url: str) -> Query:
    channel = _CHANNEL_REF.match(inner)
    if channel:
        return ChannelQuery(channel_id=channel.group(1))
    if inner.startswith(("@", "!")):
        return InvalidQuery("That is a mention, not a customer. Try a number, a name or a link.")
    url = inner.split("|", 1)[0]
    if url.startswith(("http://", "https://")):
        return _link_or_invalid(url, app_url=app_url)
    return InvalidQuery("That is not something the bot can look up.")


def _link_or_invalid(url: str, *, app_url: str) -> Query:
    link = parse_customer_link(url, app_url=app_url)
    if link is not None:
        return link
    return InvalidQuery(f"Only customer links on {urlsplit(app_url).netloc} can be looked up.")


def _clean(text: str) -> str:
    normalised = unicodedata.normalize("NFKC", text)
    return " ".join(_CONTROL.sub("", normalised).split())


def _unquote(text: str) -> str:
    """`"Acme Co."` -> `Acme Co.`: people quote names with spaces out of habit."""
    for left, right in (('"', '"'), ("'", "'"), ("“", "”"), ("‘", "’")):
        if len(text) > 2 and text.startswith(left) and text.endswith(right):
            return text[1:-1].strip() or text
    return text


def _canonical_display_id(digits: str) -> str:
    return str(int(digits))


def _looks_like_id(text: str) -> bool:
    return bool(
        OPAQUE_ID_RE.fullmatch(text)
        and any(ch.isdigit() for ch in text)
        and any(ch.isalpha() for ch in text)
    )


def _same_site(netloc: str, app_netloc: str) -> bool:
    host, app_host = _without_default_port(netloc), _without_default_port(app_netloc)
    if host == app_host:
        return True
    # The docs write both my.pivotal.app and pivotal.app for the same pages.
    return app_host.startswith("my.") and host == app_host[3:]


def _without_default_port(netloc: str) -> str:
    netloc = netloc.lower().rsplit("@", 1)[-1]
    for default in (":443", ":80"):
        netloc = netloc.removesuffix(default)
    return netloc
