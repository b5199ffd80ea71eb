"""`pivotal-bot check` against the sandbox Pivotal and the fake Slack, passing and failing."""

from __future__ import annotations

import asyncio
import io
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from bot.check import BOT_SCOPES, UNFURL_DOMAIN, check_unfurls, load_manifest, report, run_checks
from bot.sandbox.pivotal.server import SandboxPivotal
from bot.sandbox.slack.server import FakeSlack
from bot.sandbox.stack import stack_settings
from tests.scratch import scratch_database_url

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[SandboxPivotal, FakeSlack, str, str]]:
    pivotal, slack = SandboxPivotal(rate_limit=30), FakeSlack()
    pivotal_url, slack_url = await pivotal.start(), await slack.start()
    yield pivotal, slack, pivotal_url, slack_url
    await slack.stop()
    await pivotal.stop()


async def checklist(pivotal_url: str, slack_url: str, **overrides: Any) -> tuple[int, str]:
    out = io.StringIO()
    code = report(await run_checks(stack_settings(pivotal_url, slack_url, **overrides)), out)
    return code, out.getvalue()


async def test_all_pass(fakes: tuple[SandboxPivotal, FakeSlack, str, str]) -> None:
    _, _, pivotal_url, slack_url = fakes
    code, text = await checklist(pivotal_url, slack_url)
    assert code == 0, text
    assert "Pivotal key accepted" in text
    assert "Test key" in text
    assert "Rate limit: 30 requests a minute" in text
    assert 'Slack token accepted (workspace "Sandbox"' in text
    assert "All checks passed." in text


async def test_failures_each_come_with_a_fix(
    fakes: tuple[SandboxPivotal, FakeSlack, str, str],
) -> None:
    pivotal, slack, pivotal_url, slack_url = fakes
    pivotal.revoke_key("pivotal_test_sandbox")
    slack.scopes = "commands,chat:write"
    code, text = await checklist(pivotal_url, slack_url, pivotal_app_url="https://pivotal.acme.dev")
    assert code == 1
    assert "✗ Pivotal rejected the API key (api_key_revoked)" in text
    missing = (
        "✗ Bot scopes missing: channels:history, channels:read, files:write, groups:history, "
        "groups:read, im:history, im:read, im:write"
    )
    assert missing in text
    assert "✗ PIVOTAL_API_URL" not in text
    assert "pivotal.acme.dev is not an unfurl domain" in text
    assert text.count("fix:") == 3


async def test_bad_slack_token(fakes: tuple[SandboxPivotal, FakeSlack, str, str]) -> None:
    _, _, pivotal_url, slack_url = fakes
    code, text = await checklist(pivotal_url, slack_url, slack_bot_token="xoxb-")
    assert code == 1
    assert "Slack rejected the bot token (invalid_auth)" in text or "Slack" in text


async def test_cli_exit_codes(fakes: tuple[SandboxPivotal, FakeSlack, str, str]) -> None:
    pivotal, _, pivotal_url, slack_url = fakes
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "PIVOTAL_"))}
    env.update({
        "SLACK_BOT_TOKEN": "xoxb-cli-check-token", "PIVOTAL_API_KEY": "pivotal_test_sandbox",
        "PIVOTAL_API_URL": pivotal_url, "SLACK_API_URL": slack_url,
        "SLACK_SIGNING_SECRET": "cli-check-signing-secret",
        "DATABASE_URL": scratch_database_url(),
    })  # fmt: skip

    async def run() -> tuple[int, str]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "check", env=env, cwd=ROOT,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        output, _ = await asyncio.wait_for(proc.communicate(), 60)
        return proc.returncode or 0, output.decode()

    code, output = await run()
    assert code == 0, output
    pivotal.revoke_key("pivotal_test_sandbox")
    code, output = await run()
    assert code == 1
    assert "fix:" in output
    assert "pivotal_test_sandbox" not in output


def test_manifest_asks_for_what_check_expects() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == BOT_SCOPES
    assert UNFURL_DOMAIN in manifest["features"]["unfurl_domains"]


async def manifest_items(tmp_path: Path, app_url: str, manifest: str | None) -> str:
    path = None
    if manifest is not None:
        path = tmp_path / "manifest.yml"
        path.write_text(manifest)
    items = check_unfurls(urlsplit(app_url).hostname or "", load_manifest(path))
    out = io.StringIO()
    report(items, out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("app_url", "manifest", "expected"),
    [
        ("https://pivotal.example.com", "features:\n  unfurl_domains:\n    - pivotal.example.com\n",
         "✓ Unfurl domain pivotal.example.com matches PIVOTAL_APP_URL (unfurl_domains of "),
        ("https://eu.pivotal.example.com", "features:\n  unfurl_domains: [pivotal.example.com]\n",
         "✓ Unfurl domain pivotal.example.com matches"),  # subdomains unfurl too
        ("https://my.pivotal.app", "features:\n  unfurl_domains: [pivotal.example.com]\n",
         "✗ PIVOTAL_APP_URL host my.pivotal.app is not an unfurl domain (unfurl_domains of "),
        ("https://my.pivotal.app", "features: {}\n", "is not an unfurl domain"),
        ("https://my.pivotal.app", "- just a list\n", "✗ Could not read the manifest: "),
        ("https://my.pivotal.app", "features: [unclosed\n", "not valid YAML"),
    ],
)  # fmt: skip
async def test_check_reads_unfurl_domains_from_the_manifest_it_is_given(
    tmp_path: Path, app_url: str, manifest: str, expected: str
) -> None:
    text = await manifest_items(tmp_path, app_url, manifest)
    assert expected in text, text
    if "Could not read" not in text:
        assert str(tmp_path / "manifest.yml") in text  # says which file it read


async def test_check_without_a_manifest_compares_with_the_default_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no manifest.yml here
    text = await manifest_items(tmp_path, "https://my.pivotal.app", None)
    assert "✓ Unfurl domain my.pivotal.app matches PIVOTAL_APP_URL (the default" in text
    assert "--manifest PATH" in text


async def test_check_reads_manifest_yml_of_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "manifest.yml").write_text("features:\n  unfurl_domains: [pivotal.example.com]\n")
    monkeypatch.chdir(tmp_path)
    text = await manifest_items(tmp_path, "https://pivotal.example.com", None)
    assert "✓ Unfurl domain pivotal.example.com matches PIVOTAL_APP_URL" in text
    assert "manifest.yml" in text


async def test_unreachable_pivotal_is_said_once() -> None:
    text = await checklist("http://127.0.0.1:9/api/v1", "http://127.0.0.1:9/api/")
    line = next(line for line in text[1].splitlines() if "Pivotal could not be reached" in line)
    assert line.count("could not be reached") == 1, line
