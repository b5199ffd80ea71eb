"""`pivotal-bot check`: is this configuration going to work? A checklist with fixes."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.follows.store import OutboxStats
from bot.manifest import DEFAULT_MANIFEST, Manifest, ManifestError, read_manifest
from bot.pivotal.client import PivotalClient
from bot.pivotal.errors import PivotalAuthError, PivotalError, PivotalRateLimited
from bot.state.health import redis_status
from bot.store.health import database_status

# What manifest.yml asks for; tests keep the two in step.
BOT_SCOPES = frozenset(
    {"commands", "links:read", "links:write", "chat:write",
     "channels:read", "groups:read", "im:read", "mpim:read", "im:write",
     "users:read", "users:read.email", "usergroups:read", "files:write",
     "channels:history", "groups:history", "im:history", "mpim:history"}
)  # fmt: skip
UNFURL_DOMAIN = "my.pivotal.app"


@dataclass(frozen=True)
class Item:
    ok: bool
    text: str
    fix: str = ""
    warning: bool = False  # works, but not the way it is probably meant to


async def check_pivotal(settings: Settings) -> list[Item]:
    client = PivotalClient(settings.api_url, settings.pivotal_api_key, deadline=10)
    try:
        identity = await client.me()
    except PivotalAuthError as exc:
        fix = "create a key at Admin › API Keys in Pivotal and set PIVOTAL_API_KEY"
        return [Item(False, f"Pivotal rejected the API key ({exc.code or exc.status})", fix)]
    except PivotalRateLimited as exc:
        fix = f"the key is out of requests; wait {exc.retry_after:.0f} s and run check again"
        return [Item(False, "Pivotal is rate-limiting this key", fix)]
    except PivotalError as exc:
        fix = f"check PIVOTAL_API_URL ({settings.api_url}) and the network"
        return [Item(False, _unreachable("Pivotal", exc), fix)]
    finally:
        await client.aclose()
    who = ", ".join(
        f'{label} "{value}"'
        for label, value in (("key", identity.key_name), ("workspace", identity.organization))
        if value
    )
    items = [Item(True, f"Pivotal key accepted ({who or 'no identity details'})")]
    if settings.pivotal_key_is_test:
        items.append(Item(True, "Test key: same data as live, integrations' side effects off"))
    else:
        items.append(Item(True, "Live key"))
    info = client.governor.info()
    if info.limit is not None:
        left = f", {info.remaining} left now" if info.remaining is not None else ""
        items.append(Item(True, f"Rate limit: {info.limit} requests a minute{left}"))
    else:
        items.append(Item(True, "Rate limit: Pivotal sent no X-RateLimit headers"))
    return items


async def check_slack(settings: Settings) -> list[Item]:
    token = settings.slack_bot_token.get_secret_value()
    client = AsyncWebClient(token=token, base_url=settings.slack_url, timeout=10)
    try:
        response = await client.auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error", "error")
        fix = "set SLACK_BOT_TOKEN to the app's Bot User OAuth Token (OAuth & Permissions)"
        return [Item(False, f"Slack rejected the bot token ({error})", fix)]
    except (SlackClientError, OSError, TimeoutError) as exc:
        fix = f"check SLACK_API_URL ({settings.slack_url}) and the network"
        return [Item(False, f"Slack could not be reached ({type(exc).__name__})", fix)]
    team, user = response.get("team"), response.get("user")
    items = [Item(True, f'Slack token accepted (workspace "{team}", bot @{user})')]
    header = response.headers.get("x-oauth-scopes") or response.headers.get("X-OAuth-Scopes")
    granted = {s.strip() for s in (header or "").split(",") if s.strip()}
    missing = sorted(BOT_SCOPES - granted)
    if missing:
        fix = "add them under OAuth & Permissions (or re-create from manifest.yml), then reinstall"
        items.append(Item(False, f"Bot scopes missing: {', '.join(missing)}", fix))
    else:
        items.append(Item(True, "Bot scopes: all that manifest.yml asks for are granted"))
    return items


def _unreachable(what: str, exc: Exception) -> str:
    """ "X could not be reached", with the error's own words only when they add something."""
    text, detail = f"{what} could not be reached", str(exc).strip()
    if not detail or detail.lower().rstrip(".") in text.lower():
        return f"{text} ({type(exc).__name__})"
    return f"{text}: {detail}"


def check_settings(settings: Settings, manifest: Manifest | ManifestError | None) -> list[Item]:
    host = urlsplit(settings.app_url).hostname or ""
    items = check_unfurls(host, manifest)
    if settings.slack_signing_secret is None:
        fix = "set SLACK_SIGNING_SECRET (Basic Information › App Credentials) for HTTP mode"
        items.append(Item(False, "No signing secret: only Socket Mode can run", fix))
    return items


async def check_redis(settings: Settings) -> list[Item]:
    if settings.redis_url is None:
        return [Item(True, "Redis: REDIS_URL not set; state stays in this process (one replica)")]
    status = await redis_status(settings.redis_url.get_secret_value())
    if not status.reachable:
        fix = "check REDIS_URL and that Redis 6+ is reachable; the bot would run per process"
        return [Item(False, "Redis did not answer", fix)]
    items = [Item(True, f"Redis answers ({status.latency_ms or 0:.1f} ms)")]
    if status.walking:
        items.append(Item(True, "Directory: a replica is walking the customer list now"))
    else:
        items.append(Item(True, "Directory: no replica is walking the customer list now"))
    if status.list_customers is not None and status.list_age_seconds is not None:
        age = status.list_age_seconds
        items.append(Item(True, f"Shared list: {status.list_customers} customers, {age:.0f} s old"))
    return items


async def check_database(settings: Settings) -> list[Item]:
    status = await database_status(settings.durable_url)
    where = status.display_url
    items = [Item(True, text, warning=True) for text in settings.durable_warnings()]
    if settings.database_url is None:
        items.insert(0, Item(True, f"Database: DATABASE_URL not set; a SQLite file ({where})"))
    if not status.reachable:
        fix = "check DATABASE_URL and that the database accepts connections from here"
        return [*items, Item(False, f"The database did not answer ({where})", fix)]
    if not status.exists:
        return [*items, Item(True, "The SQLite file does not exist yet: the bot creates it")]
    items.append(Item(True, f"{status.dialect} answers ({status.latency_ms or 0:.1f} ms)"))
    if status.migrations_current is False:
        text = "Database schema is behind the newest migration: the bot migrates at start-up"
        items.append(Item(True, text, warning=True))
    elif status.migrations_current:
        items.append(Item(True, "Database schema is current"))
    if status.inbox_pending:
        age = status.inbox_oldest_seconds or 0
        items.append(Item(True, f"Webhook inbox: {status.inbox_pending} event(s) not applied "
                                f"yet, the oldest {age:.0f} s old", warning=age > 300))  # fmt: skip
    return items + follow_items(status.follows, status.notifications)


def follow_items(follows: dict[str, int] | None, sent: OutboxStats | None) -> list[Item]:
    """Follows by kind, and the notifications they still owe or could not deliver."""
    if follows is None or sent is None:
        return []
    kinds = ", ".join(f"{count} {kind}" for kind, count in follows.items() if count)
    items = [Item(True, f"Follows: {kinds or 'none yet'}")]
    pending = sent.by_status.get("pending", 0) + sent.by_status.get("sending", 0)
    if pending:
        age = sent.oldest_pending_seconds or 0
        items.append(Item(True, f"Notifications: {pending} waiting to be sent, the oldest "
                                f"{age:.0f} s old", warning=age > 600))  # fmt: skip
    failed = sent.by_status.get("failed", 0)
    if failed:
        reasons = "; ".join(f"{count} {reason or 'unknown'}"
                            for reason, count in sorted(sent.failed_by_reason.items()))  # fmt: skip
        items.append(Item(True, f"Notifications: {failed} not delivered ({reasons})",
                          warning=True))  # fmt: skip
    if follows.get("paused"):
        text = (
            f"{follows['paused']} follow(s) paused: /customer following in their channel says why"
        )
        items.append(Item(True, text, warning=True))
    return items


def check_unfurls(host: str, manifest: Manifest | ManifestError | None) -> list[Item]:
    """Does the manifest's unfurl_domains cover PIVOTAL_APP_URL's host?"""
    if isinstance(manifest, ManifestError):
        fix = "pass --manifest PATH to the manifest the Slack app was created from"
        return [Item(False, f"Could not read the manifest: {manifest}", fix)]
    if manifest is None:
        manifest = Manifest(DEFAULT_MANIFEST, (UNFURL_DOMAIN,))
        source = f"the default {UNFURL_DOMAIN} (no manifest.yml here; --manifest PATH)"
    else:
        source = f"unfurl_domains of {manifest.path}"
    domain = manifest.unfurls(host)
    if domain is not None:
        return [Item(True, f"Unfurl domain {domain} matches PIVOTAL_APP_URL ({source})")]
    fix = f"add {host} to features.unfurl_domains in the manifest and update the app in Slack"
    listed = ", ".join(manifest.unfurl_domains) or "none"
    return [Item(False, f"PIVOTAL_APP_URL host {host} is not an unfurl domain ({source}: "
                        f"{listed})", fix)]  # fmt: skip


def load_manifest(path: Path | None) -> Manifest | ManifestError | None:
    """The manifest at `path`, else ./manifest.yml when there is one, else None."""
    if path is None:
        if not DEFAULT_MANIFEST.is_file():
            return None
        path = DEFAULT_MANIFEST
    try:
        return read_manifest(path)
    except ManifestError as exc:
        return ManifestError(f"{path}: {exc}")


async def run_checks(settings: Settings, manifest: Path | None = None) -> list[Item]:
    pivotal, slack, redis, database = await asyncio.gather(
        check_pivotal(settings),
        check_slack(settings),
        check_redis(settings),
        check_database(settings),
    )
    checked = pivotal + slack + redis + database
    return checked + check_settings(settings, load_manifest(manifest))


def report(items: list[Item], out: TextIO) -> int:
    """Print the checklist; 0 when everything passed, 1 otherwise."""
    print("pivotal-bot check", file=out)
    for item in items:
        mark = "✗" if not item.ok else "!" if item.warning else "✓"
        print(f"  {mark} {item.text}", file=out)
        if item.fix:
            print(f"      fix: {item.fix}", file=out)
    failed = sum(not item.ok for item in items)
    print("All checks passed." if not failed else f"{failed} check(s) failed.", file=out)
    return 0 if not failed else 1


def run_check(settings: Settings, manifest: Path | None = None, out: TextIO = sys.stdout) -> int:
    return report(asyncio.run(run_checks(settings, manifest)), out)
