"""Help and usage text for /customer."""

from __future__ import annotations

from bot.blocks.lists import FILTER_HELP
from bot.blocks.message import Block, Message

USAGE = (
    "*How to look up a customer*\n"
    "• `/customer 42` or `/customer #42`: by customer number\n"
    "• `/customer acme`: by name, slug or domain\n"
    "• `/customer https://my.pivotal.app/customers/42`: by Pivotal link\n"
    "• `/customer` alone, in a customer's linked channel: that customer\n"
    "• Paste a Pivotal customer link in a conversation and it unfurls\n"
    "• `/customer link 42`, in a channel: link the channel to that customer\n"
    "• `/customer unlink`, in a channel: remove its link\n"
    "• `/customer follow 42` or `/customer follow status:at_risk`: this channel hears "
    "changes (add kinds such as `status health`, `daily`, or `me` for your DM)\n"
    "• `/customer unfollow 42`, `/customer following`: stop one, list them"
)


def help_message(app_url: str) -> Message:
    """The answer to `/customer help`, with the workspace's own link form."""
    usage = USAGE.replace("https://my.pivotal.app", app_url.rstrip("/"))
    text = "Look up Pivotal customers from Slack. Answers are only visible to you."
    blocks: list[Block] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": usage}},
        {"type": "section", "text": {"type": "mrkdwn", "text": FILTER_HELP}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]},
    ]
    return Message(text=text, blocks=blocks)
