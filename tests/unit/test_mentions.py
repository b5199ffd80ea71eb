"""What a message mentions: customer links, #numbers and whole known names (table tests)."""

from __future__ import annotations

import pytest

from bot.lookup.mentions import MAX_FOUND, find_mentions, named_refs
from bot.lookup.query import IdQuery, SlugQuery

APP = "https://my.pivotal.app"
NAMES = {"acme co": "c42", "acme": "c1", "globex corporation": "c7", "initech": "c9"}


def refs(text: str) -> list[str]:
    mentions = find_mentions(text, app_url=APP)
    return named_refs(
        mentions, lambda phrase: [NAMES[p] for p in [phrase.casefold()] if p in NAMES]
    )


@pytest.mark.parametrize(
    ("text", "links", "numbers"),
    [
        ("see https://my.pivotal.app/customers/42-acme-co.", [IdQuery("42")], []),
        ("<https://my.pivotal.app/customers/acme-co|Acme>", [SlugQuery("acme-co")], []),
        ("https://evil.example/customers/42", [], []),
        ("#42 and #0007, not ##9 or C#5 or &#39;", [], [IdQuery("42"), IdQuery("7")]),
        ("#1234567890123 is too long", [], []),
        ("issue#42", [], []),
        ("<#C024BE7LT> is a channel, <@U1> a person", [], []),
    ],
)
def test_links_and_numbers(text: str, links: list[object], numbers: list[object]) -> None:
    mentions = find_mentions(text, app_url=APP)
    assert list(mentions.links) == links
    assert list(mentions.numbers) == numbers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Did Acme Co. renew?", ["c42"]),  # the longest name wins over "Acme" inside it
        ("acme and Acme Co", ["c42"]),  # a name found inside a longer one is that one
        ("Globex Corporation, Initech", ["c7", "c9"]),
        ("globex", []),  # part of a name is not the name
        ("", []),
        ("<!channel> acme", ["c1"]),
    ],
)
def test_known_names(text: str, expected: list[str]) -> None:
    assert sorted(refs(text)) == sorted(expected)


def test_long_messages_are_read_in_part_and_found_is_capped() -> None:
    assert refs("word " * 100_000) == []
    many = {f"name{n}": f"c{n}" for n in range(30)}
    mentions = find_mentions(" ".join(many), app_url=APP)
    found = named_refs(mentions, lambda p: [many[p]] if p in many else [])
    assert len(found) == MAX_FOUND
