"""Demo commands for the session itself: channel, Slack Connect, raw JSON and quit."""

from __future__ import annotations

from bot.sandbox.demo.session import DEFAULT_CHANNEL, Session
from bot.sandbox.pivotal.data import SAMPLE_CHANNELS, UNLINKED_CHANNEL, sample_customers

_SWITCH = {"on": True, "yes": True, "true": True, "1": True,
           "off": False, "no": False, "false": False, "0": False}  # fmt: skip


async def channel(session: Session, rest: str) -> None:
    session.channel = rest.lstrip("#") or DEFAULT_CHANNEL
    session.shared = session.channel in _shared_channels(session)
    note = " (shared with another organisation)" if session.shared else ""
    session.error(f"Now in channel {session.channel}{note}.")


def _shared_channels(session: Session) -> set[str]:
    return {c for c, info in session.stack.slack.channels.items() if info.get("is_ext_shared")}


async def channels(session: Session, rest: str) -> None:
    names = {c["display_id"]: c["name"] for c in sample_customers()}
    for channel_id, display_id in SAMPLE_CHANNELS.items():
        session.say(f"  {channel_id:<14} #{display_id} {names.get(display_id, '')}")
    session.error(f"  {UNLINKED_CHANNEL:<14} (not linked)")


async def shared(session: Session, rest: str) -> None:
    on = _switch(session, "/shared", rest, session.shared)
    if on is None:
        return
    session.shared = on
    session.stack.slack.set_channel(session.channel, ext_shared=on)
    session.error(_sharing_note(session.channel, on, session.stack.deps.settings.external_unfurls))


def _sharing_note(channel: str, on: bool, mode: str) -> str:
    if not on:
        return f"{channel} is an ordinary channel again: previews and shared cards show everything."
    shows = {"off": "are not shown at all", "minimal": "show only the name and an Open button",
             "full": "still show everything"}[mode]  # fmt: skip
    return (
        f"{channel} is now shared with another organisation (Slack Connect). There, link\n"
        f"previews and cards posted with Share in channel {shows}\n"
        f"(EXTERNAL_UNFURLS={mode}). /customer answers are unchanged: only the asker sees them."
    )


async def raw_json(session: Session, rest: str) -> None:
    on = _switch(session, "/json", rest, session.raw_json)
    if on is not None:
        session.raw_json = on
        session.error(f"json is {'on' if on else 'off'}.")


def _switch(session: Session, name: str, rest: str, now: bool) -> bool | None:
    """on/off (yes/no, true/false, 1/0) -> bool; nothing -> say the state; else an error."""
    if not rest:
        session.error(f"{name[1:]} is {'on' if now else 'off'} ({name} on|off to change it).")
        return None
    on = _SWITCH.get(rest.lower())
    if on is None:
        session.error(f"{name} takes on or off (or yes/no, true/false, 1/0), not {rest!r}.")
    return on


async def quit_(session: Session, rest: str) -> None:
    session.done = True
