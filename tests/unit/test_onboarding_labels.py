"""Onboarding phases and states: order, steps, labels, and the fallback for unknown values."""

from __future__ import annotations

import pytest

from bot.pivotal.onboarding_phases import (
    PHASES,
    STATES,
    phase_label,
    phase_step,
    phase_text,
    state_label,
)


def test_phases_are_the_api_guides_in_order() -> None:
    assert PHASES == ("before_getting_started", "program_design", "review", "program_buildout",
                      "internal_qa", "launch", "completed")  # fmt: skip
    assert STATES == ("active", "paused", "at_risk", "waiting")


@pytest.mark.parametrize(
    ("phase", "label", "step", "text"),
    [("before_getting_started", "Before getting started", (1, 7),
      "Before getting started (step 1 of 7)"),
     ("program_design", "Program design", (2, 7), "Program design (step 2 of 7)"),
     ("review", "Review", (3, 7), "Review (step 3 of 7)"),
     ("program_buildout", "Program build-out", (4, 7), "Program build-out (step 4 of 7)"),
     ("internal_qa", "Internal QA", (5, 7), "Internal QA (step 5 of 7)"),
     ("launch", "Launch", (6, 7), "Launch (step 6 of 7)"),
     ("completed", "Completed", (7, 7), "Completed (step 7 of 7)"),
     # the product docs' and the webhook docs' phases: named, but no step
     ("kickoff", "Kickoff", None, "Kickoff"),
     ("integration", "Integration", None, "Integration"),
     ("uat", "UAT", None, "UAT"),
     ("adoption", "Adoption", None, "Adoption"),
     # spelled differently, still known
     ("LAUNCH", "Launch", (6, 7), "Launch (step 6 of 7)"),
     (" internal_qa ", "Internal QA", (5, 7), "Internal QA (step 5 of 7)"),
     # unknown: humanised, never dropped
     ("data_migration", "Data migration", None, "Data migration"),
     ("go-live-prep", "Go live prep", None, "Go live prep"),
     ("Phase 2b", "Phase 2b", None, "Phase 2b"),
     ("x" * 60, "X" + "x" * 38 + "…", None, "X" + "x" * 38 + "…"),
     ("bad\nline\x00", "Bad line", None, "Bad line"),
     ("", "Unknown phase", None, "Unknown phase"),
     ("__", "Unknown phase", None, "Unknown phase"),
     (None, "Unknown phase", None, "Unknown phase")],
)  # fmt: skip
def test_phase_labels_and_steps(
    phase: str | None, label: str, step: tuple[int, int] | None, text: str
) -> None:
    assert phase_label(phase) == label
    assert phase_step(phase) == step
    assert phase_text(phase) == text


@pytest.mark.parametrize(
    ("state", "label"),
    [("active", "Active"), ("paused", "Paused"), ("at_risk", "At risk"), ("waiting", "Waiting"),
     ("blocked", "Blocked"), ("done", "Done"), ("completed", "Completed"),
     ("At_Risk", "At risk"), ("on_hold", "On hold"), ("needs-review", "Needs review"),
     ("", "Unknown state"), (None, "Unknown state"), ("\t", "Unknown state")],
)  # fmt: skip
def test_state_labels(state: str | None, label: str) -> None:
    assert state_label(state) == label


def test_every_known_value_has_a_label_that_is_not_the_raw_value() -> None:
    for phase in PHASES:
        assert "_" not in phase_label(phase)
    for state in STATES:
        assert "_" not in state_label(state)
