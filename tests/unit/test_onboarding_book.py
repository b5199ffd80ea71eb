"""OnboardingBook: the current onboarding per customer, from a walk and from webhooks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from bot.lookup.onboardings import OnboardingBook, is_open
from bot.pivotal.related import Onboarding


def onb(id_: str, customer: str = "cus_1", **kw: object) -> Onboarding:
    data: dict[str, object] = {"id": id_, "customer_id": customer, "phase": "launch",
                               "state": "active"}  # fmt: skip
    data.update(kw)
    return Onboarding.model_validate(data)


def test_current_is_newest_open_else_latest() -> None:
    book = OnboardingBook()
    book.put(onb("a", started_at="2026-01-01T00:00:00Z"))
    book.put(onb("b", started_at="2026-06-01T00:00:00Z", phase="completed"))
    current = book.current("cus_1")
    assert current is not None and current.id == "a"
    book.put(onb("a", started_at="2026-01-01T00:00:00Z", completed_at="2026-02-01T00:00:00Z"))
    current = book.current("cus_1")
    assert current is not None and current.id == "b"
    assert book.current("cus_2") is None


def test_webhook_put_replaces_the_same_onboarding() -> None:
    book = OnboardingBook()
    book.put(onb("a", state="active"))
    book.put(onb("a", state="at_risk"))
    assert len(book) == 1
    current = book.current("cus_1")
    assert current is not None and current.state == "at_risk"


def test_fill_replaces_what_was_held() -> None:
    book = OnboardingBook()
    book.put(onb("gone", customer="cus_9"))

    async def pages() -> AsyncIterator[list[Onboarding]]:
        yield [onb("a"), onb("b", customer="cus_2")]
        yield [onb("c", customer="cus_3")]

    assert asyncio.run(book.fill(pages())) == 3
    assert book.walked and len(book) == 3
    assert book.current("cus_9") is None
    assert book.current("cus_3") is not None


def test_open_states() -> None:
    assert is_open(onb("a"))
    assert not is_open(onb("a", state="done"))
    assert not is_open(onb("a", phase="Completed"))


def test_an_older_delivery_changes_nothing() -> None:
    book = OnboardingBook()
    assert book.put(onb("a", state="at_risk", updated_at="2026-03-02T00:00:00Z"))
    assert not book.put(onb("a", state="active", updated_at="2026-03-01T00:00:00Z"))
    current = book.current("cus_1")
    assert current is not None and current.state == "at_risk"
    assert book.put(onb("a", state="active", updated_at="2026-03-03T00:00:00Z"))


def test_a_walk_keeps_what_a_webhook_told_after_it_read_the_page() -> None:
    book = OnboardingBook()
    book.put(onb("a", state="at_risk", updated_at="2026-03-02T00:00:00Z"))
    book.replace([onb("a", state="active", updated_at="2026-03-01T00:00:00Z"), onb("b", "cus_2")])
    current = book.current("cus_1")
    assert current is not None and current.state == "at_risk"
    assert len(book) == 2
