"""Onboarding phases and states: their order and the words people read (pure, no I/O).

Pivotal keeps both open: the API guide lists the phases in ``PHASES`` and the states
active, paused, at_risk and waiting; the product docs name default phases kickoff,
integration, uat, launch and adoption (renamable per workspace) and a state done; the
webhook docs add blocked and completed. Known values get their label; anything else is
humanised (``data_migration`` -> "Data migration"), never dropped.
"""

from __future__ import annotations

# The API guide's phases, in order; completed is terminal.
PHASES: tuple[str, ...] = (
    "before_getting_started",
    "program_design",
    "review",
    "program_buildout",
    "internal_qa",
    "launch",
    "completed",
)
TERMINAL_PHASES = frozenset({"completed"})
_PHASE_LABELS = {
    "before_getting_started": "Before getting started",
    "program_design": "Program design",
    "review": "Review",
    "program_buildout": "Program build-out",
    "internal_qa": "Internal QA",
    "launch": "Launch",
    "completed": "Completed",
    # The product docs' defaults (no step: their order is the workspace's own).
    "kickoff": "Kickoff",
    "integration": "Integration",
    "uat": "UAT",
    "adoption": "Adoption",
}
STATES: tuple[str, ...] = ("active", "paused", "at_risk", "waiting")
_STATE_LABELS = {
    "active": "Active",
    "paused": "Paused",
    "at_risk": "At risk",
    "waiting": "Waiting",
    "blocked": "Blocked",
    "done": "Done",
    "completed": "Completed",
}
# States that want someone's attention (a card may mark them).
ATTENTION_STATES = frozenset({"at_risk", "blocked"})
_LABEL_LIMIT = 40


def phase_label(phase: str | None) -> str:
    """The words for `phase`: "Internal QA" for internal_qa, humanised when unknown."""
    return _PHASE_LABELS.get(_key(phase)) or _humanise(phase, "Unknown phase")


def phase_step(phase: str | None) -> tuple[int, int] | None:
    """(step, of) for a phase of the API guide's order, e.g. launch -> (6, 7); else None."""
    key = _key(phase)
    return (PHASES.index(key) + 1, len(PHASES)) if key in PHASES else None


def phase_text(phase: str | None) -> str:
    """The label with its step when known: "Launch (step 6 of 7)", "Kickoff"."""
    step = phase_step(phase)
    label = phase_label(phase)
    return f"{label} (step {step[0]} of {step[1]})" if step else label


def state_label(state: str | None) -> str:
    """The words for `state`: "At risk" for at_risk, humanised when unknown."""
    return _STATE_LABELS.get(_key(state)) or _humanise(state, "Unknown state")


def _key(value: str | None) -> str:
    return (value or "").strip().lower()


def _humanise(value: str | None, empty: str) -> str:
    """``data_migration`` -> "Data migration": separators to spaces, first letter capital,
    control characters dropped, at most 40 characters; `empty` when nothing is left."""
    text = "".join(ch if ch.isprintable() else " " for ch in (value or ""))
    words = text.replace("_", " ").replace("-", " ").split()
    if not words:
        return empty
    label = " ".join(words)
    label = label[0].upper() + label[1:]
    return label if len(label) <= _LABEL_LIMIT else label[: _LABEL_LIMIT - 1] + "…"
