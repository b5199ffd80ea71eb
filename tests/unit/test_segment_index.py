"""The segment index finds exactly the follows that asking every segment would find."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from bot.follows.model import Destination, Follow, Target
from bot.follows.segments import SegmentIndex
from bot.lookup.changed import CustomerChanged
from bot.lookup.filters import Filter, parse_filter
from bot.lookup.matcher import Matcher
from bot.pivotal.models import Customer, Signals
from bot.sandbox.pivotal.data import generate_customers

NOW = datetime(2026, 5, 1, tzinfo=UTC)


def segments(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for _ in range(n):
        parts = []
        if rng.random() < 0.8:
            parts.append(
                f"status:{rng.choice(['active', 'at_risk', 'onboarding', 'active,at_risk'])}"
            )
        if rng.random() < 0.6:
            parts.append(f"plan:{rng.choice(['growth', 'enterprise', 'starter', 'none'])}")
        if rng.random() < 0.5:
            parts.append(f"mrr>{rng.randrange(1, 50) * 100}")
        if rng.random() < 0.3:
            parts.append(f"health<{rng.randrange(20, 80)}")
        if rng.random() < 0.2:
            parts.append(f"health>={rng.randrange(20, 80)}")
        if rng.random() < 0.15:
            parts.append(rng.choice(["orders>10", "orders<=200", "orders:0"]))
        if rng.random() < 0.15:
            parts.append(rng.choice(["created>2025-06-01", "updated<2026-01-01", "updated<30d"]))
        if rng.random() < 0.15:
            parts.append(rng.choice(["channel:linked", "channel:none", "owner:a@example.com"]))
        if rng.random() < 0.1:
            parts.append(rng.choice(["a", "corp", "inc"]))
        texts.append(" ".join(parts) or "sort:name")
    return texts


def test_the_index_agrees_with_asking_every_segment() -> None:
    texts = segments(400, seed=1)
    follows = [Follow(Target(segment=t), Destination(f"C{i}"), "U1", id=i + 1)
               for i, t in enumerate(texts + texts[:50])]  # shared segments too  # fmt: skip
    parsed = {t: parse_filter(t) for t in set(texts)}
    matchers = {t: Matcher(f) for t, f in parsed.items() if isinstance(f, Filter)}
    assert len(matchers) > 300  # most generated texts are filters
    index = SegmentIndex(follows, dict(matchers))
    assert len(index) == len(follows)
    rng = random.Random(2)
    customers = [Customer.model_validate(b) for b in generate_customers(200, seed=3)]
    for before in customers:
        after = before.model_copy(update={
            "status": rng.choice(["active", "at_risk", "churned"]),
            "plan": rng.choice(["growth", "enterprise", None]),
        })  # fmt: skip
        told = (
            rng.choice(
                [None, Signals(health_score=rng.randrange(101), owner_email="a@example.com")]
            ),
            rng.choice([None, Signals(health_score=rng.randrange(101)), Signals()]),
        )
        for pair in ((before, after), (None, after), (before, None)):
            change = CustomerChanged(before.display_id, *pair, *told, "webhook", "e")
            expected = []
            for follow in follows:
                m = matchers.get(follow.target.segment or "")
                if m is None:  # a contradiction: never a follow, never asked
                    continue
                was = pair[0] is not None and m(pair[0], told[0], NOW)
                now = pair[1] is not None and m(pair[1], told[1], NOW)
                if was or now:
                    expected.append((follow.id, None if was == now else now))
            found = [(f.id, moved) for f, moved in index.concerned(change, NOW)]
            assert sorted(found, key=str) == sorted(expected, key=str)
