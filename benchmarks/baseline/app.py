"""A minimal Bolt AsyncApp as a tutorial writes it: ack, fetch with httpx, respond. No cache,
no directory, no rate budget: every /customer is one GET /customers/{text}.

One httpx client is shared by all requests. A new `httpx.AsyncClient()` per request loads the
CA bundle each time (SSLContext.load_verify_locations, about 40 ms of CPU here), which would
swamp every figure and make the comparison about that rather than about caching.
"""

from __future__ import annotations

from typing import Any

import httpx
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient


def create_app(
    *, api_url: str, api_key: str, signing_secret: str, bot_token: str, slack_url: str
) -> AsyncApp:
    app = AsyncApp(
        client=AsyncWebClient(token=bot_token, base_url=slack_url), signing_secret=signing_secret
    )
    pivotal = httpx.AsyncClient(headers={"Authorization": f"Bearer {api_key}"})

    @app.command("/customer")
    async def customer(ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        ref = command["text"].strip()
        r = await pivotal.get(f"{api_url}/customers/{ref}")
        if r.status_code == 429:
            await respond(text="Pivotal rate limit reached; try again later.")
            return
        if r.status_code != 200:
            await respond(text=f"Could not look up {ref} (HTTP {r.status_code}).")
            return
        await respond(text=f"{(c := r.json())['name']} (#{c['display_id']})", blocks=card(c))

    return app


def card(c: dict[str, Any]) -> list[dict[str, Any]]:
    """A simple card: the name, a few fields and a link."""
    fields = [("Status", c["status"]), ("Plan", c["plan"]), ("MRR", c["mrr"])]
    return [
        {"type": "header", "text": {"type": "plain_text", "text": c["name"]}},
        {
            "type": "section",
            "fields": [{"type": "mrkdwn", "text": f"*{k}*\n{v or '—'}"} for k, v in fields],
        },
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Open in Pivotal"},
                    "url": f"https://my.pivotal.app/customers/{c['display_id']}",
                }
            ],
        },
    ]
