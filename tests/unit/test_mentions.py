"""What a message mentions: customer links, #numbers and whole known names (table tests)."""

from __future__ import annotations

import pytest

from bot.lookup.directory import Snapshot
from bot.lookup.mentions import MAX_FOUND, find_mentions, mentioned_refs, named_refs
from bot.lookup.query import IdQuery, SlugQuery
from tests.unit.customers import make_customer
from tests.unit.live_fakes import T0

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


class Known:
    """A customer list of three: Acme Co (#42, slug acme-co), Globex (#7), Initech (#9)."""

    def __init__(self) -> None:
        made = [make_customer(42, "Acme Co"), make_customer(7, "Globex"),
                make_customer(9, "Initech")]  # fmt: skip
        self.snaps = {c.display_id: Snapshot(c, 0.0, T0) for c in made}

    def get(self, ref: str) -> Snapshot | None:
        by_id = {s.customer.id: s for s in self.snaps.values()}
        return by_id.get(ref) or (self.snaps.get(int(ref)) if ref.isdigit() else None)

    def by_slug(self, slug: str) -> Snapshot | None:
        return self.snaps[42] if slug == "acme-co" else None

    def exact(self, text: str) -> tuple[Snapshot, ...]:
        return tuple(
            s for s in self.snaps.values() if s.customer.name.casefold() == text.casefold()
        )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("see #42 and https://my.pivotal.app/customers/7", ["#7", "#42"]),  # links first
        ("<https://my.pivotal.app/customers/acme-co|Acme> #42", ["#42"]),  # one customer, once
        ("https://my.pivotal.app/customers/nobody-we-know", []),  # an unknown slug: nothing
        ("#12345 is not in the list yet", ["12345"]),  # an unknown number is still tried
        ("Initech asked about #7", ["#7", "#9"]),  # links and numbers first, then names
        ("nothing here", []),
    ],
)
def test_the_refs_a_message_mentions(text: str, expected: list[str]) -> None:
    known = Known()
    ids = {f"#{n}": s.customer.id for n, s in known.snaps.items()}
    found = mentioned_refs(text, app_url=APP, known=known)
    assert found == [ids.get(e, e) for e in expected]


def test_at_most_ten_refs_come_back() -> None:
    text = " ".join(f"#{n}" for n in range(100, 130))
    assert len(mentioned_refs(text, app_url=APP, known=Known())) == MAX_FOUND
