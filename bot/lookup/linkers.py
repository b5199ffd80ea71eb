"""CHANNEL_LINKERS: who may link a Slack channel to a customer (pure; table-tested).

`admins` (workspace admins and owners), `everyone`, or a comma-separated list of Slack
user ids (U…, W…) and user group ids (S…). Deciding needs Slack (users.info,
usergroups.users.list), so the decision itself is the transport's; this is the rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Kind = Literal["admins", "everyone", "listed"]

_USER = re.compile(r"[UW][A-Z0-9]{2,20}")
_GROUP = re.compile(r"S[A-Z0-9]{2,20}")
FORMS = (
    "admins, everyone, or a comma-separated list of Slack user ids (U…, W…) and user group ids (S…)"
)


@dataclass(frozen=True, slots=True)
class Linkers:
    """Who may link channels: everyone, workspace admins, or the listed users and groups."""

    kind: Kind = "admins"
    users: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()

    def setting(self) -> str:
        """The value as CHANNEL_LINKERS would be written (ids sorted)."""
        if self.kind != "listed":
            return self.kind
        return ",".join(sorted(self.users) + sorted(self.groups))


def parse_linkers(text: str) -> Linkers:
    """`text` as a Linkers; ValueError naming every item that is not allowed."""
    cleaned = text.strip()
    if not cleaned:
        return Linkers()  # unset or blank: the default, workspace admins
    if cleaned.casefold() in ("admins", "everyone"):
        return Linkers("admins" if cleaned.casefold() == "admins" else "everyone")
    items = [item.strip() for item in cleaned.split(",") if item.strip()]
    bad = [item for item in items if not (_USER.fullmatch(item) or _GROUP.fullmatch(item))]
    if bad:
        named = ", ".join(repr(item[:40]) for item in bad)
        kinds = [item for item in bad if item.casefold() in ("admins", "everyone")]
        if kinds:
            raise ValueError(f"{named} cannot be combined with ids; use {FORMS}")
        what = (
            "is not a Slack user or user group id"
            if len(bad) == 1
            else "are not Slack user or user group ids"
        )
        raise ValueError(f"{named} {what}; use {FORMS}")
    return Linkers(
        "listed",
        users=frozenset(i for i in items if _USER.fullmatch(i)),
        groups=frozenset(i for i in items if _GROUP.fullmatch(i)),
    )
