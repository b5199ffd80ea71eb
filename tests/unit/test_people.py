"""Who asked: users.info once per user an hour (single-flight), failures remembered briefly,
user groups from usergroups.users.list; all against the fake Slack over loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox.slack.server import FakeSlack
from bot.slack.people import FAILURE_TTL, PERSON_TTL, People, Person, Unknown


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


def people(slack: FakeSlack, ticks: Ticks) -> People:
    return People(AsyncWebClient(token="xoxb-test", base_url=slack.base_url), timer=ticks)


@pytest.mark.parametrize(
    ("configure", "expected"),
    [
        ({"email": "Ann@Example.com "}, Person("U1", "Ann@Example.com", tz="Europe/London")),
        ({"email": "", "admin": True}, Person("U1", None, is_admin=True, tz="Europe/London")),
        ({"owner": True, "tz": "America/New_York"},
         Person("U1", "u1@example.com", is_admin=True, is_owner=True, tz="America/New_York")),
        ({"deleted": True, "admin": True},
         Person("U1", "u1@example.com", is_admin=True, tz="Europe/London", deleted=True)),
    ],
)  # fmt: skip
async def test_what_users_info_says_becomes_a_person(
    slack: FakeSlack, configure: dict[str, object], expected: Person
) -> None:
    slack.workspace.set_user("U1", **configure)  # type: ignore[arg-type]
    found = await people(slack, Ticks()).person("U1")
    assert found == expected
    assert found.may_administer is (expected.is_admin and not expected.deleted)  # type: ignore[union-attr]


async def test_one_users_info_per_user_per_hour_even_when_asked_at_once(slack: FakeSlack) -> None:
    ticks = Ticks()
    book = people(slack, ticks)
    assert book.known("U1") is None
    found = await asyncio.gather(*(book.person("U1") for _ in range(5)))
    assert {f.email for f in found if isinstance(f, Person)} == {"u1@example.com"}
    assert len(slack.calls_to("users.info")) == 1
    assert book.known("U1") == found[0]
    ticks.now = PERSON_TTL + 1
    await book.person("U1")
    assert len(slack.calls_to("users.info")) == 2


async def test_a_failure_is_remembered_for_a_minute_then_asked_again(slack: FakeSlack) -> None:
    ticks = Ticks()
    book = people(slack, ticks)
    slack.fail("users.info", "missing_scope", count=1)
    assert await book.person("U1") == Unknown("missing_scope")
    assert await book.email("U1") is None
    assert len(slack.calls_to("users.info")) == 1
    ticks.now = FAILURE_TTL + 1
    assert await book.email("U1") == "u1@example.com"


async def test_a_missing_user_is_unknown(slack: FakeSlack) -> None:
    slack.workspace.set_user("U9", missing=True)
    assert await people(slack, Ticks()).person("U9") == Unknown("user_not_found")


async def test_user_group_members_are_cached(slack: FakeSlack) -> None:
    slack.workspace.set_group("S1", ["U1", "U2"])
    book = people(slack, Ticks())
    assert await book.members("S1") == frozenset({"U1", "U2"})
    assert await book.members("S1") == frozenset({"U1", "U2"})
    assert len(slack.calls_to("usergroups.users.list")) == 1
    assert await book.members("S404") is None


async def test_forget_asks_again(slack: FakeSlack) -> None:
    book = people(slack, Ticks())
    await book.person("U1")
    slack.workspace.set_user("U1", email="new@example.com")
    book.forget("U1")
    assert await book.email("U1") == "new@example.com"
