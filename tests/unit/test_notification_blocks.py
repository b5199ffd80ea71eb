"""The notification message: changes in words, folding, the follow line, the menu, minimal
mode, escaping, and the DM a stopped follow sends its creator (table tests)."""

from __future__ import annotations

import json

import pytest

from bot.blocks import ids
from bot.blocks.notifications import (
    MAX_LINES,
    SNOOZE_DAY,
    SNOOZE_WEEK,
    UNFOLLOW,
    follow_line,
    follow_stopped,
    menu_choice,
    menu_value,
    notice_words,
    notification_message,
    visible,
)
from bot.follows.model import Destination, Follow, Notice, Target
from bot.metrics import Notifications, Reading, exposition
from tests.blockkit import assert_inert, block_kit_problems

URL = "https://my.pivotal.app/customers/42"
CUSTOMER = Follow(Target(display_id=42), Destination("C0SALES"), created_by="U0ANA", id=3)
SEGMENT = Follow(Target(segment="status:at_risk"), Destination("C0SALES"), created_by="U0ANA", id=4)
MONEY_SEGMENT = Follow(
    Target(segment="plan:enterprise mrr>5000"), Destination("C0X"), "U0ANA", id=5
)
PERSONAL = Follow(Target(display_id=42), Destination("D0ANA", user_id="U0ANA"), "U0ANA", id=6)
HEALTH = Notice("health", "72", "58")
PLAN = Notice("plan", "growth", "enterprise")
OWNER = Notice("owner", "ana@acme.test", "sam@acme.test")
STATUS = Notice("status", "active", "at_risk")


@pytest.mark.parametrize(
    ("notice", "words"),
    [
        (STATUS, "Status: Active → At risk"),
        (Notice("status", "active", "trialing"), "Status: Active → Trialing"),
        (HEALTH, "Health 72 → 58"),
        (PLAN, "Plan growth → enterprise"),
        (Notice("plan", None, "growth"), "Plan none → growth"),
        (Notice("mrr", "120000", "150000"), "MRR $1,200 → $1,500"),
        (Notice("mrr", "125000", "150050"), "MRR $1,250 → $1,500.50"),
        (Notice("mrr", None, "oops"), "MRR none → none"),
        (OWNER, "Owner → sam@acme.test"),
        (Notice("segment", None, "status:at_risk"), "Entered segment `status:at_risk`"),
        (Notice("segment", "status:at_risk", None), "Left segment `status:at_risk`"),
        (Notice("created", None, "active"), "New customer"),
        (Notice("onboarding", "kickoff", "live"), "Onboarding kickoff → live"),
        (
            Notice("quiet", None, "10"),
            "More than 10 changes in 10 minutes: the rest of this hour comes as one digest",
        ),
        (Notice("plan", "<!channel>", "a&b"), "Plan &lt;!channel&gt; → a&amp;b"),
        (Notice("segment", None, "name:`x`"), "Entered segment `name:'x'`"),
    ],
)
def test_notice_words(notice: Notice, words: str) -> None:
    assert notice_words(notice, "USD") == words


@pytest.mark.parametrize(
    ("notices", "minimal", "kinds"),
    [
        ((STATUS, HEALTH, PLAN, OWNER), False, ["status", "health", "plan", "owner"]),
        ((STATUS, HEALTH, PLAN, OWNER), True, ["status"]),
        (
            (Notice("mrr", "1", "2"), Notice("orders", "1", "2"), Notice("contacts", "1", "2")),
            True,
            [],
        ),
        (
            (Notice("segment", None, "status:at_risk"), Notice("created")),
            True,
            ["segment", "created"],
        ),
        ((Notice("segment", None, "mrr>5000"), Notice("segment", "plan:pro", None)), True, []),
    ],
)
def test_minimal_mode_keeps_only_what_another_organisation_may_see(
    notices: tuple[Notice, ...], minimal: bool, kinds: list[str]
) -> None:
    assert [n.kind for n in visible(notices, minimal=minimal)] == kinds


@pytest.mark.parametrize(
    ("notices", "text"),
    [
        ((HEALTH,), "Acme Co. (#42): Health 72 → 58"),
        (
            (HEALTH, PLAN, OWNER),
            "Acme Co. (#42): 3 changes: Health 72 → 58, Plan growth → enterprise, "
            "Owner → sam@acme.test",
        ),
        (
            (Notice("segment", None, "status:at_risk"),),
            "Acme Co. (#42): Entered segment status:at_risk",
        ),
    ],
)
def test_the_fallback_text_makes_sense_alone(notices: tuple[Notice, ...], text: str) -> None:
    message = notification_message(CUSTOMER, 42, notices, name="Acme Co.", url=URL, currency="USD")
    assert message is not None
    assert message.text == text
    assert_inert(message.text)
    assert block_kit_problems(message.blocks) == []


def test_the_message_links_the_customer_lists_folded_changes_and_offers_the_menu() -> None:
    message = notification_message(CUSTOMER, 42, (HEALTH, PLAN, OWNER), name="Acme Co.", url=URL,
                                   currency="USD")  # fmt: skip
    assert message is not None
    section, context = message.blocks
    assert section["text"]["text"] == (
        f"*<{URL}|Acme Co.>* · 3 changes\n• Health 72 → 58\n• Plan growth → enterprise\n"
        "• Owner → sam@acme.test"
    )
    menu = section["accessory"]
    assert (menu["type"], menu["action_id"]) == ("overflow", ids.NOTIFICATION_MENU)
    assert [o["text"]["text"] for o in menu["options"]] == [
        "Snooze this customer here for a day",
        "Snooze this customer here for a week",
        "Unfollow",
    ]
    assert [menu_choice(o["value"]) for o in menu["options"]] == [
        (SNOOZE_DAY, 3, 42), (SNOOZE_WEEK, 3, 42), (UNFOLLOW, 3, 42)]  # fmt: skip
    assert context["elements"][0]["text"] == (
        "Following customer #42 · set up by <@U0ANA> · `/customer following` to change"
    )


@pytest.mark.parametrize(
    ("follow", "minimal", "line"),
    [
        (CUSTOMER, False, "Following customer #42 · set up by <@U0ANA>"),
        (SEGMENT, False, "Following segment `status:at_risk` · set up by <@U0ANA>"),
        (MONEY_SEGMENT, False, "Following segment `plan:enterprise mrr&gt;5000` · set up by"),
        (MONEY_SEGMENT, True, "Following a segment · set up by <@U0ANA>"),
        (PERSONAL, False, "Your follow of customer #42"),
        (
            Follow(Target(display_id=1), Destination("C1"), "<!here>", id=1),
            False,
            "Following customer #1 · set up by someone",
        ),
    ],
)
def test_the_follow_line_names_the_follow_and_who_set_it_up(
    follow: Follow, minimal: bool, line: str
) -> None:
    assert follow_line(follow, minimal=minimal).startswith(line)


def test_minimal_mode_with_nothing_left_is_no_message() -> None:
    money = (Notice("mrr", "1", "2"), HEALTH)
    assert notification_message(CUSTOMER, 42, money, name="Acme", url=URL, currency="USD",
                                 minimal=True) is None  # fmt: skip
    shown = notification_message(CUSTOMER, 42, (*money, STATUS), name="Acme", url=URL,
                                 currency="USD", minimal=True)  # fmt: skip
    assert shown is not None
    assert "MRR" not in json.dumps(shown.blocks) and "Health" not in shown.text


def test_customer_text_is_escaped_and_cut_and_a_missing_name_says_the_number() -> None:
    hostile = "<!channel> & <@U123> " + "x" * 300
    message = notification_message(CUSTOMER, 42, (Notice("plan", hostile, "*bold*"),),
                                   name=hostile, url=URL, currency="USD")  # fmt: skip
    assert message is not None
    assert_inert(message.text)
    assert block_kit_problems(message.blocks) == []
    assert "&lt;!channel&gt; &amp; &lt;@U123&gt;" in message.text
    assert len(message.text) <= 600
    many = tuple(Notice(f"kind{n}", "a", "b") for n in range(MAX_LINES + 5))
    unnamed = notification_message(CUSTOMER, 7, many, name=None, url=URL, currency="USD")
    assert unnamed is not None and unnamed.text.startswith("Customer #7 (#7): 25 changes")
    assert "…and 5 more" in unnamed.blocks[0]["text"]["text"]


def test_a_parent_shows_the_latest_change_of_its_thread() -> None:
    message = notification_message(CUSTOMER, 42, (HEALTH,), name="Acme", url=URL, currency="USD",
                                   latest=(STATUS,), latest_at="14:05 UTC")  # fmt: skip
    assert message is not None
    assert message.blocks[1]["elements"][0]["text"] == (
        ":bell: Latest (14:05 UTC): Status: Active → At risk. More in the thread."
    )
    assert block_kit_problems(message.blocks) == []


@pytest.mark.parametrize(
    ("value", "choice"),
    [
        (menu_value(SNOOZE_DAY, 3, 42), (SNOOZE_DAY, 3, 42)),
        ("unfollow:1:2", (UNFOLLOW, 1, 2)),
        ("snooze_month:1:2", None),
        ("snooze_day:x:2", None),
        ("snooze_day:1", None),
        ("snooze_day:1:" + "9" * 30, None),
        ("", None),
    ],
)
def test_menu_values(value: str, choice: tuple[str, int, int] | None) -> None:
    assert menu_choice(value) == choice


def test_the_stopped_follow_dm_says_which_why_and_offers_two_buttons() -> None:
    message = follow_stopped(CUSTOMER, "the channel is archived (is_archived)")
    assert block_kit_problems(message.blocks) == []
    assert_inert(message.text)
    assert message.text.startswith("A follow you set up stopped: following customer #42.")
    assert "<#C0SALES>" in message.blocks[0]["text"]["text"]
    buttons = message.blocks[1]["elements"]
    assert [(b["action_id"], b["text"]["text"], b["value"]) for b in buttons] == [
        (ids.FOLLOW_MOVE_TO_DM, "Send to my DM instead", "3"),
        (ids.FOLLOW_DELETE, "Delete the follow", "3"),
    ]


def test_metrics_show_the_outbox_by_status_and_the_oldest_pending_age() -> None:
    reading = Reading(None, None, None, 0, None, False, 0, False, False, 0, 0,
                      notifications=Notifications(3, 1, 10, 2, 42.5))  # fmt: skip
    page = exposition(reading, wall=0).decode()
    assert 'pivotal_bot_outbox_notifications{status="pending"} 3.0' in page
    assert 'pivotal_bot_outbox_notifications{status="failed"} 2.0' in page
    assert "pivotal_bot_outbox_oldest_pending_seconds 42.5" in page


def test_metrics_show_follows_by_kind_digests_and_planned_notifications() -> None:
    follows = {"customer": 4, "segment": 2, "personal": 1, "digest": 1, "paused": 1}
    counts = Notifications(0, 0, 0, 0, None, follows=follows, digests_sent=3, planned=7)
    reading = Reading(None, None, None, 0, None, False, 0, False, False, 0, 0,
                      notifications=counts)  # fmt: skip
    page = exposition(reading, wall=0).decode()
    assert 'pivotal_bot_follows{kind="segment"} 2.0' in page
    assert 'pivotal_bot_follows{kind="paused"} 1.0' in page
    assert "pivotal_bot_digests_sent_total 3.0" in page
    assert "pivotal_bot_notifications_planned_total 7.0" in page
    assert "pivotal_bot_outbox_oldest_pending_seconds" not in page
