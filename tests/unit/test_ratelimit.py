"""RateGovernor on an injected clock: header reading, Retry-After, background reserve."""

from __future__ import annotations

import pytest

from bot.pivotal.errors import PivotalRateLimited
from bot.pivotal.ratelimit import RateGovernor, RateInfo

WALL = 1_700_000_000.0  # epoch seconds "now"; the monotonic clock starts elsewhere on purpose


class Clock:
    """Monotonic and wall clocks that move together, only when the fake sleep runs."""

    def __init__(self) -> None:
        self.t = 50.0
        self.sleeps: list[float] = []

    def mono(self) -> float:
        return self.t

    def wall(self) -> float:
        return WALL + (self.t - 50.0)

    async def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.sleeps.append(seconds)
        self.t += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def governor(clock: Clock) -> RateGovernor:
    return RateGovernor(clock=clock.mono, wall=clock.wall, sleep=clock.sleep)


def headers(limit: int | None = 60, remaining: int | None = None, reset_in: float | None = None,
            retry_after: str | None = None) -> dict[str, str]:  # fmt: skip
    out = {}
    if limit is not None:
        out["x-ratelimit-limit"] = str(limit)
    if remaining is not None:
        out["x-ratelimit-remaining"] = str(remaining)
    if reset_in is not None:
        out["x-ratelimit-reset"] = str(int(WALL + reset_in))
    if retry_after is not None:
        out["retry-after"] = retry_after
    return out


def retry_after_of(governor: RateGovernor) -> float | None:
    try:
        governor.check()
    except PivotalRateLimited as exc:
        assert exc.status is None  # the bot's own decision, not a 429 from Pivotal
        return exc.retry_after
    return None


def test_nothing_known_means_no_limits(governor: RateGovernor) -> None:
    assert governor.info() == RateInfo(None, None, None)
    governor.check()


def test_observe_reads_the_rate_headers(governor: RateGovernor) -> None:
    governor.observe(headers(60, 41, reset_in=20), 200)
    info = governor.info()
    assert (info.limit, info.remaining) == (60, 41)
    assert info.reset_in == pytest.approx(20)


def test_reset_epoch_is_read_against_the_wall_clock(clock: Clock, governor: RateGovernor) -> None:
    governor.observe(headers(60, 10, reset_in=30), 200)
    clock.t += 12
    assert governor.info().reset_in == pytest.approx(18)
    clock.t += 18
    assert governor.info().reset_in is None


def test_a_reset_in_the_past_is_no_reset(governor: RateGovernor) -> None:
    governor.observe(headers(60, 0, reset_in=-5), 200)
    assert governor.info().reset_in is None
    governor.check()


@pytest.mark.parametrize("bad", ["", "abc", "1.5e", "NaN-ish", "ten"])
def test_malformed_headers_keep_what_was_known(governor: RateGovernor, bad: str) -> None:
    governor.observe(headers(60, 30, reset_in=10), 200)
    governor.observe(
        {"x-ratelimit-limit": bad, "x-ratelimit-remaining": bad, "x-ratelimit-reset": bad}, 200
    )
    info = governor.info()
    assert (info.limit, info.remaining) == (60, 30)
    assert info.reset_in == pytest.approx(10)


def test_headers_on_errors_count_too(governor: RateGovernor) -> None:
    governor.observe(headers(60, 7), 500)
    assert governor.info().remaining == 7


@pytest.mark.parametrize(("value", "wait"), [("12", 12.0), ("1.5", 1.5), ("0", 0.5), ("-3", 0.5)])
def test_429_blocks_for_retry_after(
    clock: Clock, governor: RateGovernor, value: str, wait: float
) -> None:
    governor.observe(headers(60, 0, retry_after=value), 429)
    assert retry_after_of(governor) == pytest.approx(wait)
    clock.t += wait - 0.1
    assert retry_after_of(governor) == pytest.approx(0.1)
    clock.t += 0.1
    assert retry_after_of(governor) is None


def test_429_without_retry_after_waits_for_the_reset(clock: Clock, governor: RateGovernor) -> None:
    governor.observe(headers(60, 3, reset_in=9), 429)
    assert retry_after_of(governor) == pytest.approx(9)
    clock.t += 9
    assert retry_after_of(governor) is None


@pytest.mark.parametrize("value", [None, "Wed, 21 Oct 2015 07:28:00 GMT"])
def test_429_with_nothing_usable_waits_a_second(
    clock: Clock, governor: RateGovernor, value: str | None
) -> None:
    governor.observe(headers(limit=None, retry_after=value), 429)
    assert retry_after_of(governor) == pytest.approx(1.0)
    clock.t += 1.0
    assert retry_after_of(governor) is None


def test_retry_after_outside_a_429_is_ignored(governor: RateGovernor) -> None:
    governor.observe(headers(60, 30, retry_after="40"), 200)
    assert retry_after_of(governor) is None


def test_a_shorter_retry_after_never_shortens_a_block(clock: Clock, governor: RateGovernor) -> None:
    governor.observe(headers(retry_after="30"), 429)
    governor.observe(headers(retry_after="2"), 429)
    clock.t += 5
    assert retry_after_of(governor) == pytest.approx(25)


def test_a_spent_window_blocks_until_its_reset(clock: Clock, governor: RateGovernor) -> None:
    governor.observe(headers(60, 0, reset_in=10), 200)
    assert retry_after_of(governor) == pytest.approx(10)
    clock.t += 10.01
    assert retry_after_of(governor) is None


def test_interactive_lookups_may_spend_the_reserve(governor: RateGovernor) -> None:
    governor.observe(headers(60, 1, reset_in=50), 200)
    assert retry_after_of(governor) is None


@pytest.mark.parametrize(
    ("limit", "remaining", "waits"),
    [
        (60, 60, False),
        (60, 16, False),
        (60, 15, True),  # 25% of 60: the reserve left to people
        (60, 1, True),
        (60, 0, True),
        (600, 151, False),
        (600, 150, True),
        (30, 8, False),
        (30, 7, True),
        (2, 2, False),
        (2, 1, True),  # the reserve is never less than one request
        (None, 1, False),
        (None, 0, True),
    ],
)
async def test_background_work_leaves_a_reserve(
    clock: Clock, governor: RateGovernor, limit: int | None, remaining: int, waits: bool
) -> None:
    governor.observe(headers(limit, remaining, reset_in=40), 200)
    start = clock.t
    await governor.wait_for_background()
    if waits:
        assert clock.t - start == pytest.approx(40)  # until the window resets, not longer
        assert all(s <= 5.0 for s in clock.sleeps)  # in short naps, to notice changes
    else:
        assert clock.sleeps == []


async def test_background_wakes_early_when_budget_returns(clock: Clock) -> None:
    naps = 0

    async def sleep(seconds: float) -> None:
        nonlocal naps
        naps += 1
        await clock.sleep(seconds)
        if naps == 2:  # meanwhile an interactive response reports a fresh window
            governor.observe(headers(60, 59, reset_in=60), 200)

    governor = RateGovernor(clock=clock.mono, wall=clock.wall, sleep=sleep)
    governor.observe(headers(60, 2, reset_in=40), 200)
    start = clock.t
    await governor.wait_for_background()
    assert clock.t - start == pytest.approx(10)


async def test_background_honours_retry_after(clock: Clock, governor: RateGovernor) -> None:
    governor.observe(headers(60, 50, retry_after="7"), 429)
    start = clock.t
    await governor.wait_for_background()
    assert clock.t - start == pytest.approx(7)
    governor.check()


async def test_background_without_a_reset_time_does_not_wait(
    clock: Clock, governor: RateGovernor
) -> None:
    governor.observe(headers(60, 0), 200)
    await governor.wait_for_background()
    assert clock.sleeps == []


@pytest.mark.parametrize(
    ("retry_after", "blocked_for"),
    [("inf", 1.0), ("nan", 1.0), ("-inf", 1.0), ("1e9", 3600.0), ("7", 7.0), ("0", 0.5)],
)
def test_absurd_retry_after_values_are_bounded(retry_after: str, blocked_for: float) -> None:
    clock = [1000.0]
    governor = RateGovernor(clock=lambda: clock[0], wall=lambda: 0.0)
    governor.observe({"retry-after": retry_after}, 429)
    with pytest.raises(PivotalRateLimited) as caught:
        governor.check()
    assert caught.value.retry_after == pytest.approx(blocked_for)
    clock[0] += blocked_for + 0.01
    governor.check()
