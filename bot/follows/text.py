"""`/customer follow …` text -> what to follow, what it hears, where, how often (pure).

    follow 42                        the customer, every kind of change, in this channel
    follow acme status health        only those kinds
    follow status:at_risk daily      a segment (the list filter language), as a daily digest
    follow 42 daily at 17 me         at 17:00, in the asker's DM with the app

Modifier words (kinds, `daily`, `at <hour>`, `me` / `just me`) come after the customer or
the filter. After a customer number, link or channel, every word must be a modifier; after
a name, trailing modifier words are taken off it (quote a name that ends in one:
`"Health Co" status`). Text past MAX_TEXT characters, control characters and mentions of
people are refused rather than guessed at.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import unicodedata
from dataclasses import dataclass

from bot.follows.model import DEFAULT_KINDS, KINDS
from bot.lookup.filter_terms import is_filter_text
from bot.lookup.filters import Filter, FilterError, parse_filter
from bot.lookup.query import ChannelQuery, HelpQuery, InvalidQuery, Query, parse_query

MAX_TEXT = 600  # characters once spaces are collapsed: longer text is refused, not cut
DEFAULT_HOUR = 9
KIND_WORDS = frozenset(KINDS)
ALL_WORDS = frozenset({"all", "everything"})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_INVISIBLE = re.compile(r"[\u200b-\u200d\u2060\ufeff]")
_PERSON_MENTION = re.compile(r"<[@!][^<>]*>")
_HOUR = re.compile(r"(?:([01]?[0-9]|2[0-3])(?::00)?|([1-9]|1[0-2])\s?(am|pm))")
_STRICT_TARGET = re.compile(r"^(?:#?[0-9]+|<[^<>]*>|https?://\S+)$")


@dataclass(frozen=True)
class FollowText:
    """What `/customer follow …` asked for: a customer (`query`) or a segment (`segment`)."""

    query: Query | None = None
    segment: Filter | None = None
    kinds: frozenset[str] = DEFAULT_KINDS
    digest: bool = False
    hour: int = DEFAULT_HOUR
    personal: bool = False

    @property
    def is_segment(self) -> bool:
        return self.segment is not None


@dataclass(frozen=True)
class FollowProblem:
    """Why the text is not something to follow, in the asker's words."""

    message: str
    usage: bool = False  # show the follow usage with it


def parse_follow(text: str, *, app_url: str, channel_id: str = "") -> FollowText | FollowProblem:
    """Parse the text after `follow` (or `unfollow`) typed in `channel_id`."""
    if _CONTROL.search(text):
        return FollowProblem("That text has control characters in it; type it again plainly.")
    normal = " ".join(unicodedata.normalize("NFKC", _INVISIBLE.sub("", text)).split())
    if len(normal) > MAX_TEXT:
        return FollowProblem(
            f"That is {len(normal):,} characters; a follow takes at most {MAX_TEXT}."
        )
    if _PERSON_MENTION.search(normal):
        return FollowProblem(
            "Mentions are not customers: follow a customer (`42`, a name, a link) "
            "or a segment (`status:at_risk`)."
        )
    words = normal.split(" ") if normal else []
    target, modifiers = _split(words)
    mods = _modifiers(modifiers)
    if isinstance(mods, FollowProblem):
        return mods
    kinds, digest, hour, personal = mods
    target_text = " ".join(target)
    if target_text and is_filter_text(target_text):
        parsed = parse_filter(target_text)
        if isinstance(parsed, FilterError):
            return FollowProblem(parsed.message)
        segment = dataclasses.replace(parsed, sort="mrr")  # a segment has no order
        if not segment.terms():
            return FollowProblem("That segment has no conditions: say which customers.", True)
        return FollowText(None, segment, kinds, digest, hour, personal)
    if target and _STRICT_TARGET.match(target[0]) and len(target) > 1:
        return _unknown_words(target[1:])
    near = _near_kind(target)
    if near is not None:
        return near
    query = parse_query(target_text, app_url=app_url, channel_id=channel_id)
    if isinstance(query, HelpQuery):
        return FollowProblem("", usage=True)
    if isinstance(query, InvalidQuery):
        return FollowProblem(query.reason)
    if isinstance(query, ChannelQuery) and not query.channel_id:
        return FollowProblem("Say which customer or segment to follow.", usage=True)
    return FollowText(query, None, kinds, digest, hour, personal)


def canonical_segment(segment: Filter) -> str:
    """The text a segment follow is kept under (and matched by): the filter, no order."""
    return dataclasses.replace(segment, sort="mrr").canonical()


def with_owner(segment: Filter, email: str) -> Filter:
    """`owner:me` / `mine` as the creator's own email, since follows outlive who asked."""
    owners = frozenset(email.casefold() if o == "me" else o for o in segment.owners)
    return dataclasses.replace(segment, owners=owners)


def hour_text(hour: int) -> str:
    return f"{hour:02d}:00"


def _split(words: list[str]) -> tuple[list[str], list[str]]:
    """The target's words and the modifier words after them (taken from the end)."""
    end = len(words)
    while end > 0:
        word = words[end - 1].casefold()
        if word in KIND_WORDS or word in ALL_WORDS or word in ("daily", "me", "just", "only"):
            end -= 1
        elif end >= 2 and words[end - 2].casefold() == "at" and word[:1].isdigit():
            end -= 2
        elif end >= 2 and _HOUR.fullmatch(word) and words[end - 2].casefold() == "daily":
            end -= 1  # "daily 17"
        else:
            break
    return words[:end], words[end:]


Modifiers = tuple[frozenset[str], bool, int, bool]


def _modifiers(words: list[str]) -> Modifiers | FollowProblem:
    kinds: set[str] = set()
    digest, hour, personal, every = False, DEFAULT_HOUR, False, False
    at: int | None = None
    index = 0
    while index < len(words):
        word = words[index].casefold()
        if word in KIND_WORDS:
            kinds.add(word)
        elif word in ALL_WORDS:
            every = True
        elif word == "daily":
            digest = True
        elif word == "me":
            personal = True
        elif word in ("just", "only"):
            pass
        elif word == "at" or _HOUR.fullmatch(word):
            if word == "at":
                index += 1
                word = words[index].casefold() if index < len(words) else ""
            found = _hour(word)
            if found is None:
                return FollowProblem(f"{_echo(word)} is not an hour: try `daily at 9` or `at 17`.")
            at = found
        index += 1
    if at is not None:
        if not digest:
            return FollowProblem("An hour is for a daily digest: `daily at 17`.")
        hour = at
    chosen = frozenset(kinds) if kinds and not every else DEFAULT_KINDS
    return chosen, digest, hour, personal


def _hour(word: str) -> int | None:
    match = _HOUR.fullmatch(word)
    if match is None:
        return None
    if match.group(1) is not None:
        return int(match.group(1))
    value = int(match.group(2)) % 12
    return value + 12 if match.group(3) == "pm" else value


def _unknown_words(words: list[str]) -> FollowProblem:
    word = words[0]
    close = difflib.get_close_matches(word.casefold(), KINDS, n=1, cutoff=0.7)
    hint = f" Did you mean `{close[0]}`?" if close else ""
    return FollowProblem(
        f"{_echo(word)} is not a kind of change.{hint} Kinds: {', '.join(KINDS)} "
        "(all of them when none is named), then `daily` and `me` if wanted."
    )


def _near_kind(target: list[str]) -> FollowProblem | None:
    """A name ending in a misspelt kind (`acme helth`): asked about, not looked up."""
    if len(target) < 2 or target[-1][:1] in "\"'“‘" or target[-1][-1:] in "\"'”’":
        return None
    last = target[-1].casefold()
    close = difflib.get_close_matches(last, KINDS, n=1, cutoff=0.8)
    if not close or last in KIND_WORDS:
        return None
    return FollowProblem(
        f"{_echo(target[-1])} is not a kind of change: did you mean `{close[0]}`? "
        f'If it is part of the customer\'s name, quote the name: `"{" ".join(target)}"`.'
    )


def _echo(word: str) -> str:
    shown = word[:40].replace("`", "'")
    return f"`{shown}`"
