"""The fake Slack's people, user groups, DMs and uploaded files (users.info, files.* …).

Someone nobody configured is a plain member whose email is ``<id in lower case>@example.com``
(Slack itself answers ``user_not_found`` only for ids that do not exist; ``set_user(...,
missing=True)`` models that). Uploads keep their bytes, so tests read the CSV that arrived.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Upload", "Workspace"]


@dataclass
class Upload:
    """One file: what files.getUploadURLExternal was told, then its bytes, then where it went."""

    file_id: str
    filename: str
    length: int
    data: bytes | None = None
    title: str = ""
    channel: str | None = None
    initial_comment: str | None = None
    completed: bool = False

    @property
    def text(self) -> str:
        return (self.data or b"").decode("utf-8")


@dataclass
class Workspace:
    """Who is in the fake workspace and what was uploaded to it."""

    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, list[str]] = field(default_factory=dict)
    uploads: dict[str, Upload] = field(default_factory=dict)

    def set_user(
        self,
        user_id: str,
        *,
        email: str | None = None,
        name: str | None = None,
        admin: bool = False,
        owner: bool = False,
        tz: str = "Europe/London",
        deleted: bool = False,
        missing: bool = False,
    ) -> None:
        """Configure what users.info says of `user_id` (`missing`: user_not_found)."""
        if missing:
            self.users[user_id] = {"error": "user_not_found"}
            return
        self.users[user_id] = _user(user_id, email=email, name=name, admin=admin, owner=owner,
                                    tz=tz, deleted=deleted)  # fmt: skip

    def set_group(self, group_id: str, members: list[str]) -> None:
        """A user group (S…) and its members, for usergroups.users.list."""
        self.groups[group_id] = list(members)

    def answer(self, method: str, body: dict[str, Any], *, upload_base: str) -> dict[str, Any]:
        """The answer to one of the methods this class models (see `handles`)."""
        if method == "users.info":
            user_id = str(body.get("user") or "")
            if not user_id:
                return {"ok": False, "error": "invalid_arguments"}
            user = self.users.get(user_id) or _user(user_id)
            if "error" in user:
                return {"ok": False, "error": user["error"]}
            return {"ok": True, "user": user}
        if method == "usergroups.users.list":
            group = str(body.get("usergroup") or "")
            if group not in self.groups:
                return {"ok": False, "error": "no_such_subteam"}
            return {"ok": True, "users": list(self.groups[group])}
        if method == "conversations.open":
            users = str(body.get("users") or "").split(",")
            if len(users) != 1 or not users[0]:
                return {"ok": False, "error": "invalid_arguments"}
            return {"ok": True, "channel": {"id": dm_of(users[0])}}
        if method == "files.getUploadURLExternal":
            return self._url(body, upload_base)
        if method == "files.completeUploadExternal":
            return self._complete(body)
        raise KeyError(method)

    def receive(self, file_id: str, data: bytes) -> bool:
        """The bytes POSTed to an upload URL; False when no such upload was asked for."""
        upload = self.uploads.get(file_id)
        if upload is None:
            return False
        upload.data = data
        return True

    def completed(self) -> list[Upload]:
        """Files shared by files.completeUploadExternal, oldest first."""
        return [u for u in self.uploads.values() if u.completed]

    def _url(self, body: dict[str, Any], upload_base: str) -> dict[str, Any]:
        filename, length = str(body.get("filename") or ""), str(body.get("length") or "")
        if not filename or not length.isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{len(self.uploads) + 1:08d}"
        self.uploads[file_id] = Upload(file_id, filename, int(length))
        return {"ok": True, "file_id": file_id, "upload_url": upload_base + file_id}

    def _complete(self, body: dict[str, Any]) -> dict[str, Any]:
        files = body.get("files")
        if isinstance(files, str):
            try:
                files = json.loads(files)
            except ValueError:
                return {"ok": False, "error": "invalid_arguments"}
        if not isinstance(files, list) or not files:
            return {"ok": False, "error": "invalid_arguments"}
        shared = []
        for item in files:
            upload = self.uploads.get(str((item or {}).get("id") or ""))
            if upload is None or upload.data is None:
                return {"ok": False, "error": "file_not_found"}
            if len(upload.data) != upload.length:
                return {"ok": False, "error": "file_upload_size_mismatch"}
            upload.title = str(item.get("title") or upload.filename)
            upload.channel = body.get("channel_id") or None
            upload.initial_comment = body.get("initial_comment") or None
            upload.completed = True
            shared.append({"id": upload.file_id, "title": upload.title, "name": upload.filename})
        return {"ok": True, "files": shared}


HANDLED = frozenset({"users.info", "usergroups.users.list", "conversations.open",
                     "files.getUploadURLExternal", "files.completeUploadExternal"})  # fmt: skip


def dm_of(user_id: str) -> str:
    """The id of the bot's DM with `user_id` in the fake workspace."""
    return "D" + user_id.lstrip("UW")


def _user(
    user_id: str,
    *,
    email: str | None = None,
    name: str | None = None,
    admin: bool = False,
    owner: bool = False,
    tz: str = "Europe/London",
    deleted: bool = False,
) -> dict[str, Any]:
    handle = name or user_id.lower()
    return {
        "id": user_id,
        "name": handle,
        "deleted": deleted,
        "is_bot": False,
        "is_admin": admin or owner,
        "is_owner": owner,
        "is_primary_owner": False,
        "tz": tz,
        "profile": {
            "email": email if email is not None else f"{user_id.lower()}@example.com",
            "real_name": handle,
            "display_name": handle,
        },
    }
