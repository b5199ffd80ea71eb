"""ChannelLinks: plans, write order, putting back on failure, and the words for each outcome."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import pytest

from bot.blocks import links as blocks
from bot.lookup.directory import Snapshot
from bot.lookup.linkers import Linkers
from bot.lookup.linking import Changed, ChannelLinks, Done, WriteFailed
from bot.pivotal.errors import (
    CustomerNotFound,
    PivotalAuthError,
    PivotalError,
    PivotalRateLimited,
    PivotalRefused,
    PivotalUnavailable,
)
from bot.pivotal.models import Customer
from tests.blockkit import block_kit_problems
from tests.unit.customers import make_customer

HERE, OLD = "C0HERE", "C0OLD"
NAMES = {1: "Alpha", 2: "Bravo", 3: "Charlie"}
AT = datetime(2026, 12, 5, tzinfo=UTC)


class Index:
    """The directory as linking reads it: customers by channel."""

    def __init__(self, *customers: Customer):
        self.snaps = {c.id: Snapshot(c, 0.0, AT) for c in customers}
        self.ready = True

    async def wait_ready(self, timeout: float) -> bool:
        return self.ready

    def by_channel(self, channel_id: str) -> list[Snapshot]:
        return [s for s in self.snaps.values() if s.customer.slack_channel_id == channel_id]

    def best(self, ref: str) -> Snapshot | None:
        return self.snaps.get(ref)

    async def keep(self, customer: Customer) -> None:
        self.snaps[customer.id] = Snapshot(customer, 1.0, AT)


class Writer:
    """Pivotal's PATCH: writes land unless `fail` names the customer (and the attempt)."""

    def __init__(self, fail: Mapping[tuple[str, int], PivotalError] | None = None):
        self.fail = dict(fail or {})
        self.writes: list[tuple[str, object]] = []
        self.updated = 0

    async def update_customer(self, ref: str, changes: Mapping[str, object]) -> Customer:
        attempt = sum(1 for r, _ in self.writes if r == ref) + 1
        self.writes.append((ref, changes["slack_channel_id"]))
        error = self.fail.get((ref, attempt))
        if error is not None:
            raise error
        self.updated += 1
        n = int(ref.removeprefix("cus_"))
        return make_customer(n, NAMES[n], slack_channel_id=changes["slack_channel_id"],
                             updated_at=f"2026-12-05T10:00:{self.updated:02d}Z")  # fmt: skip


def service(writer: Writer, index: Index) -> ChannelLinks:
    return ChannelLinks(writer, index, index.best, index.keep, Linkers())


B = make_customer(2, "Bravo", slack_channel_id=OLD)
A1 = make_customer(1, "Alpha", slack_channel_id=HERE)
A3 = make_customer(3, "Charlie", slack_channel_id=HERE)


def test_a_plan_says_what_changes() -> None:
    index = Index(A1, B, A3)
    plan = service(Writer(), index).plan_link(B, HERE)
    assert (plan.replaces, [c.display_id for c in plan.displaced]) == (OLD, [1, 3])
    assert not plan.already and not plan.empty
    assert service(Writer(), index).plan_link(A1, HERE).already
    unlink = service(Writer(), index).plan_unlink(HERE)
    assert [c.display_id for c in unlink.displaced] == [1, 3]
    assert service(Writer(), index).plan_unlink("C0NOBODY").empty


def test_a_newer_copy_decides_who_is_linked() -> None:
    index = Index(A1)
    moved = make_customer(1, "Alpha", slack_channel_id="C0ELSE", updated_at="2026-12-01T00:00:00Z")
    index.snaps[A1.id] = Snapshot(moved, 1.0, AT)
    # The directory's channel index is older than the copy: Alpha is not linked here now.
    index.by_channel = lambda channel_id: [Snapshot(A1, 0.0, AT)]  # type: ignore[method-assign]
    assert service(Writer(), index).plan_unlink(HERE).displaced == ()


async def test_link_writes_the_customer_first_then_clears_the_others() -> None:
    writer, index = Writer(), Index(A1, B, A3)
    result = await service(writer, index).link(B, HERE, user="U1")
    assert isinstance(result, Done)
    assert writer.writes == [("cus_0002", HERE), ("cus_0001", None), ("cus_0003", None)]
    assert result.linked is not None and result.linked.slack_channel_id == HERE
    assert [c.slack_channel_id for c in result.cleared] == [None, None]
    assert [s.customer.display_id for s in index.by_channel(HERE)] == [2]  # kept at once
    message = blocks.done(result)
    assert block_kit_problems(message.blocks) == []
    assert (
        "*Alpha* (#1) and *Charlie* (#3) are no longer linked here."
        in message.blocks[0]["text"]["text"]
    )


async def test_a_failed_clear_puts_everything_back() -> None:
    writer = Writer({("cus_0003", 1): PivotalUnavailable("down")})
    index = Index(A1, B, A3)
    result = await service(writer, index).link(B, HERE, user="U1")
    assert isinstance(result, WriteFailed)
    assert (result.kind, result.failed_on.display_id, result.left) == ("unavailable", 3, ())
    assert [c.display_id for c in result.undone] == [2, 1]
    # Alpha linked here again, then Bravo back to its old channel.
    assert writer.writes[3:] == [("cus_0001", HERE), ("cus_0002", OLD)]
    assert {s.customer.display_id for s in index.by_channel(HERE)} == {1, 3}
    assert [s.customer.display_id for s in index.by_channel(OLD)] == [2]
    text = blocks.failed(result).blocks[0]["text"]["text"]
    assert "was put back, so nothing changed" in text


async def test_when_putting_back_fails_too_the_result_says_what_stands() -> None:
    writer = Writer({("cus_0001", 1): PivotalUnavailable("down"),
                     ("cus_0002", 2): PivotalUnavailable("down")})  # fmt: skip
    result = await service(writer, Index(A1, B)).link(B, HERE, user="U1")
    assert isinstance(result, WriteFailed)
    assert [c.display_id for c in result.left] == [2] and result.undone == ()
    assert result.left[0].slack_channel_id == HERE
    text = blocks.failed(result).blocks[0]["text"]["text"]
    assert "Putting back the earlier change failed too, so it stands" in text
    assert f"*Bravo* (#2) (linked to <#{HERE}>)" in text and "Check the links in Pivotal" in text


async def test_a_put_back_waits_out_a_short_rate_limit() -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    busy = PivotalRateLimited("busy", retry_after=7.0)
    writer = Writer({("cus_0001", 1): busy, ("cus_0002", 2): busy})
    links = ChannelLinks(writer, Index(A1, B), Index(A1, B).best, Index().keep, Linkers(),
                         sleep=sleep)  # fmt: skip
    result = await links.link(B, HERE, user="U1")
    assert isinstance(result, WriteFailed) and result.kind == "rate_limited"
    assert result.left == () and [c.display_id for c in result.undone] == [2]
    assert slept == [7.0]
    assert writer.writes == [("cus_0002", HERE), ("cus_0001", None), ("cus_0002", OLD),
                             ("cus_0002", OLD)]  # fmt: skip

    long = PivotalRateLimited("busy", retry_after=600.0)
    writer = Writer({("cus_0001", 1): busy, ("cus_0002", 2): long})
    links = ChannelLinks(writer, Index(A1, B), Index(A1, B).best, Index().keep, Linkers(),
                         sleep=sleep)  # fmt: skip
    result = await links.link(B, HERE, user="U1")
    assert isinstance(result, WriteFailed) and [c.display_id for c in result.left] == [2]
    assert slept == [7.0]  # ten minutes is not waited out


async def test_unlink_clears_each_and_puts_back_on_failure() -> None:
    writer = Writer()
    done = await service(writer, Index(A1, A3)).unlink(HERE, user="U1")
    assert isinstance(done, Done) and [c.display_id for c in done.cleared] == [1, 3]
    assert writer.writes == [("cus_0001", None), ("cus_0003", None)]

    writer = Writer({("cus_0003", 1): PivotalAuthError("revoked", status=401)})
    failed = await service(writer, Index(A1, A3)).unlink(HERE, user="U1")
    assert isinstance(failed, WriteFailed) and failed.kind == "auth"
    assert writer.writes == [("cus_0001", None), ("cus_0003", None), ("cus_0001", HERE)]


@pytest.mark.parametrize(
    ("error", "kind", "words"),
    [
        (PivotalRefused("x", reason="slack_channel_id is <bad>", status=422), "refused",
         "Pivotal refused the change to *Bravo* (#2): slack_channel_id is &lt;bad&gt;."),
        (PivotalRefused("x", reason=None, status=400), "refused", "it gave no reason"),
        (PivotalAuthError("x", status=401), "auth", "rejected the bot's API key"),
        (PivotalRateLimited("x", retry_after=12.2), "rate_limited", "try again in 13 s"),
        (CustomerNotFound("x", status=404), "not_found", "no longer has *Bravo* (#2)"),
        (PivotalUnavailable("x"), "unavailable", "not answering right now"),
    ],
)  # fmt: skip
async def test_each_failure_is_told_in_plain_words(
    error: PivotalError, kind: str, words: str
) -> None:
    writer = Writer({("cus_0002", 1): error})
    result = await service(writer, Index(B)).link(B, HERE, user="U1")
    assert isinstance(result, WriteFailed) and result.kind == kind
    message = blocks.failed(result)
    assert block_kit_problems(message.blocks) == []
    assert words in message.blocks[0]["text"]["text"] and "Nothing changed." in message.text
    assert writer.writes == [("cus_0002", HERE)]


async def test_a_confirmation_applies_only_the_plan_it_showed() -> None:
    writer, index = Writer(), Index(A1, B)
    links = service(writer, index)
    shown = links.plan_link(B, HERE).digest()
    index.snaps[A3.id] = Snapshot(A3, 0.0, AT)  # another customer linked here meanwhile
    result = await links.link(B, HERE, user="U1", expected=shown)
    assert isinstance(result, Changed) and len(result.plan.displaced) == 2
    assert writer.writes == []
    assert isinstance(await links.link(B, HERE, user="U1", expected=result.plan.digest()), Done)
    assert isinstance(await links.link(B, HERE, user="U1"), Changed)  # already linked


def test_button_values_round_trip() -> None:
    links = service(Writer(), Index(A1, B))
    for plan in (links.plan_link(B, HERE), links.plan_unlink(HERE)):
        value = blocks.confirm_value(plan)
        asked = blocks.link_request({"value": value})
        assert asked is not None
        assert (asked.customer, asked.channel_id, asked.digest) == (
            plan.customer.id if plan.customer else None,
            HERE,
            plan.digest(),
        )
    bad = ("", "link", "link:cus_1:C0HERE", "link:../me:C0HERE:0123456789ab",
           "link:cus_1:<#C0HERE>:0123456789ab", "unlink:C0HERE:xyz", "other:a:b:c")  # fmt: skip
    for value in bad:
        assert blocks.link_request({"value": value}) is None


@pytest.mark.parametrize(
    ("linkers", "words"),
    [
        (Linkers("admins"), "Only workspace admins can link channels (CHANNEL_LINKERS=admins)."),
        (Linkers("listed", users=frozenset({"U0B", "U0A"}), groups=frozenset({"S0C"})),
         "Only <@U0A>, <@U0B>, <!subteam^S0C> can link channels (CHANNEL_LINKERS=U0A,U0B,S0C)."),
    ],
)  # fmt: skip
def test_who_may_link_is_said(linkers: Linkers, words: str) -> None:
    assert blocks.not_allowed(linkers).text == words
