"""What Export CSV says: the file's title and comment, the confirmation, why it failed (pure)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from urllib.parse import urlencode

from bot.blocks.message import Block, Message
from bot.blocks.text import count, cut, escape, slack_date

_FILTER_LIMIT = 300
_TITLE_LIMIT = 200


class Problem(StrEnum):
    """Why a CSV did not reach the asker's DM."""

    MISSING_SCOPE = "missing_scope"  # the app lacks files:write (upload) or im:write (the DM)
    TOO_LARGE = "too_large"  # Slack refused the file's size
    UNAVAILABLE = "unavailable"  # Slack down, timing out or rate limiting: try again later
    REFUSED = "refused"  # any other refusal: the error is named


def upload_title(filter_text: str) -> str:
    """The file's title in Slack."""
    return cut(f"Customers matching {filter_text}" if filter_text else "All customers",
               _TITLE_LIMIT)  # fmt: skip


def upload_comment(found: int, filter_text: str, at: datetime) -> str:
    """The message the file arrives with: how many, which filter, as of when."""
    noun = "customer" if found == 1 else "customers"
    when = slack_date(at, tokens="{date_short_pretty} at {time}")
    return f"{count(found)} {noun} matching {_filter(filter_text)}, as of {when}"


def app_link(app_id: str | None, team_id: str | None) -> str | None:
    """Slack's web-safe link that opens the app's DM (None without both ids)."""
    if not app_id or not team_id:
        return None
    return "https://slack.com/app_redirect?" + urlencode({"app": app_id, "team": team_id})


def export_sent(found: int, filename: str, *, link: str | None) -> Message:
    """The ephemeral confirmation beside the list."""
    noun = "customer" if found == 1 else "customers"
    dm = f"<{link}|your DM with the app>" if link else "your DM with the app"
    text = f"Sent {count(found)} {noun} as CSV to your DM with the app ({filename})."
    shown = f":white_check_mark: Sent {count(found)} {noun} as CSV to {dm} (`{escape(filename)}`)."
    return Message(text=text, blocks=[_section(shown)])


def nothing_to_export(filter_text: str) -> Message:
    text = f"No customers match {_filter(filter_text)}, so there is nothing to export."
    return Message(text=cut(text, 300), blocks=[_section(f":mag: {text}")])


def export_failed(problem: Problem, *, scope: str | None = None, error: str = "") -> Message:
    """Why the CSV did not arrive, and what would fix it."""
    if problem is Problem.MISSING_SCOPE:
        needs = f"the `{scope}` scope" if scope else "the `files:write` and `im:write` scopes"
        text = (
            f"The export could not be sent: the app needs {needs}. "
            "Ask a workspace admin to add it and reinstall the app."
        )
    elif problem is Problem.TOO_LARGE:
        text = (
            "The export is too large for Slack to accept as a file. "
            "Narrow the filter (for example add `status:` or `plan:`) and export again."
        )
    elif problem is Problem.UNAVAILABLE:
        text = "Slack did not take the file just now (busy or down?). Try again in a minute."
    else:
        said = f" (Slack said `{escape(cut(error, 60))}`)" if error else ""
        text = f"Slack refused the export{said}. It has been logged; please try again later."
    return Message(text=text, blocks=[_section(f":warning: {text}")])


def _filter(text: str) -> str:
    return f"`{escape(cut(text, _FILTER_LIMIT)).replace('`', 'ˋ')}`" if text else "*everyone*"


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": cut(text, 3000)}}
