"""Who asked: a Slack user's email, role and time zone (users.info), cached per user.

"owner:me" needs the asker's email and CHANNEL_LINKERS=admins their role. Each user is
asked about once an hour at most (one users.info, single-flight); a failure is remembered
for a minute so a broken scope does not turn every list into a Slack call. Members of user
groups (usergroups.users.list) are cached for five minutes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from cachetools import TTLCache
from slack_sdk.web.async_client import AsyncWebClient

from bot.logs import event
from bot.slack.webapi import SlackCallFailed, call

log = logging.getLogger(__name__)

PERSON_TTL = 3600.0
FAILURE_TTL = 60.0
GROUP_TTL = 300.0


@dataclass(frozen=True, slots=True)
class Person:
    """What Slack says of a user; `email` is None without users:read.email or a profile email."""

    id: str
    email: str | None
    is_admin: bool = False
    is_owner: bool = False
    tz: str | None = None
    deleted: bool = False

    @property
    def may_administer(self) -> bool:
        """A workspace admin or owner (who CHANNEL_LINKERS=admins lets link channels)."""
        return (self.is_admin or self.is_owner) and not self.deleted


@dataclass(frozen=True, slots=True)
class Unknown:
    """users.info failed for this user: `error` is Slack's error (or the transport's)."""

    error: str


class People:
    """users.info and usergroups.users.list behind per-user and per-group caches."""

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        timer: Callable[[], float] = time.monotonic,
        maxsize: int = 20_000,
    ):
        self._client = client
        self._people: TTLCache[str, Person] = TTLCache(maxsize, PERSON_TTL, timer=timer)
        self._failed: TTLCache[str, Unknown] = TTLCache(1024, FAILURE_TTL, timer=timer)
        self._groups: TTLCache[str, frozenset[str]] = TTLCache(1024, GROUP_TTL, timer=timer)
        self._asking: dict[str, asyncio.Future[Person | Unknown]] = {}

    def known(self, user_id: str) -> Person | None:
        """What memory holds of `user_id`, without asking Slack (for answers in the ack)."""
        return self._people.get(user_id)

    async def person(self, user_id: str) -> Person | Unknown:
        """`user_id` as Slack describes them; Unknown (with why) when Slack would not say."""
        found = self._people.get(user_id) or self._failed.get(user_id)
        if found is not None:
            return found
        asking = self._asking.get(user_id)
        if asking is not None:
            return await asyncio.shield(asking)
        future: asyncio.Future[Person | Unknown] = asyncio.get_running_loop().create_future()
        self._asking[user_id] = future
        try:
            result = await self._ask(user_id)
            future.set_result(result)
            return result
        finally:
            del self._asking[user_id]
            if not future.done():
                future.cancel()

    async def email(self, user_id: str) -> str | None:
        found = await self.person(user_id)
        return found.email if isinstance(found, Person) else None

    async def members(self, group_id: str) -> frozenset[str] | None:
        """The members of user group `group_id`; None when Slack would not say."""
        cached = self._groups.get(group_id)
        if cached is not None:
            return cached
        try:
            response = await call(
                "usergroups.users.list",
                self._client.usergroups_users_list(usergroup=group_id),
            )
        except SlackCallFailed as failed:
            event(log, "slack.usergroup.failed", logging.WARNING, group=group_id,
                  error=failed.error)  # fmt: skip
            return None
        users = response.get("users")
        members = (
            frozenset(u for u in users if isinstance(u, str))
            if isinstance(users, list)
            else frozenset()
        )
        self._groups[group_id] = members
        return members

    def forget(self, user_id: str) -> None:
        """Ask Slack again next time (user_change: a new email or role)."""
        self._people.pop(user_id, None)
        self._failed.pop(user_id, None)

    async def _ask(self, user_id: str) -> Person | Unknown:
        try:
            response = await call("users.info", self._client.users_info(user=user_id))
        except SlackCallFailed as failed:
            event(log, "slack.users_info.failed", logging.WARNING, user=user_id,
                  error=failed.error)  # fmt: skip
            unknown = Unknown(failed.error)
            self._failed[user_id] = unknown
            return unknown
        person = _person(user_id, response.get("user"))
        self._people[user_id] = person
        return person


def _person(user_id: str, user: object) -> Person:
    data = user if isinstance(user, dict) else {}
    profile = data.get("profile") if isinstance(data.get("profile"), dict) else {}
    email = profile.get("email") if isinstance(profile, dict) else None
    tz = data.get("tz")
    return Person(
        id=user_id,
        email=email.strip() if isinstance(email, str) and "@" in email else None,
        is_admin=data.get("is_admin") is True,
        is_owner=data.get("is_owner") is True or data.get("is_primary_owner") is True,
        tz=tz if isinstance(tz, str) and tz else None,
        deleted=data.get("deleted") is True,
    )
