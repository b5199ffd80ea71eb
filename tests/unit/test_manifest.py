"""manifest.yml against Slack's published JSON Schema (loaded locally), plus what the bot needs."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from bot.config import DEFAULT_PIVOTAL_APP_URL
from tests.reference import SLACK_MANIFEST_SCHEMA

REPO = Path(__file__).resolve().parents[2]
MANIFEST = REPO / "manifest.yml"
SCHEMA_DIR = SLACK_MANIFEST_SCHEMA
# The root schema's $refs name these remote files; each is served from SCHEMA_DIR instead.
REMOTE = "https://raw.githubusercontent.com/slackapi/manifest-schema/v0.5.0/schemas/"
REQUEST_URL = "https://YOUR-HOST/slack/events"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    root_path = SCHEMA_DIR / "manifest.schema.json"
    registry: Registry[Any] = Registry()
    for path in sorted((SCHEMA_DIR / "schemas").glob("manifest.schema.*.json")):
        contents = json.loads(path.read_text())
        registry = registry.with_resource(
            REMOTE + path.name, Resource.from_contents(contents, default_specification=DRAFT7)
        )
    root = json.loads(root_path.read_text())
    remote_refs = set(re.findall(r'"\$ref":\s*"([^"]+)"', root_path.read_text()))
    missing = sorted(ref for ref in remote_refs if ref not in registry)
    assert not missing, f"schema $refs with no local file: {missing}"
    jsonschema.Draft7Validator.check_schema(root)
    # Any $ref outside the registry would fail (no retrieve hook), so nothing goes to the network.
    return jsonschema.Draft7Validator(root, registry=registry)


@pytest.fixture
def manifest() -> dict[str, Any]:
    loaded = yaml.safe_load(MANIFEST.read_text())
    assert isinstance(loaded, dict)
    return loaded


def errors_of(validator: jsonschema.Draft7Validator, manifest: dict[str, Any]) -> list[str]:
    return [error.message for error in validator.iter_errors(manifest)]


def test_manifest_matches_slacks_schema(
    validator: jsonschema.Draft7Validator, manifest: dict[str, Any]
) -> None:
    assert manifest["_metadata"]["major_version"] == 1
    assert errors_of(validator, manifest) == []


def test_customer_command(manifest: dict[str, Any]) -> None:
    (command,) = [c for c in manifest["features"]["slash_commands"] if c["command"] == "/customer"]
    assert command["description"]
    assert command["usage_hint"] == "[42 | name | link | help]"
    assert command["url"] == REQUEST_URL
    assert command["should_escape"] is False


def test_events_scopes_and_settings(manifest: dict[str, Any]) -> None:
    settings = manifest["settings"]
    events = settings["event_subscriptions"]
    assert events["request_url"] == REQUEST_URL
    assert {"link_shared", "channel_shared", "channel_unshared", "app_home_opened"} <= set(
        events["bot_events"]
    )
    assert settings["interactivity"] == {
        "is_enabled": True,
        "request_url": REQUEST_URL,
        "message_menu_options_url": REQUEST_URL,
    }
    assert settings["socket_mode_enabled"] is False
    assert settings["org_deploy_enabled"] is False
    assert settings["token_rotation_enabled"] is False
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"commands", "links:read", "links:write", "chat:write"} <= scopes
    # conversations.info, to detect Slack Connect channels
    assert {"channels:read", "groups:read", "im:read", "mpim:read"} <= scopes


def test_home_tab_and_shortcuts_match_the_listeners(manifest: dict[str, Any]) -> None:
    from bot.blocks import ids

    features = manifest["features"]
    assert features["app_home"]["home_tab_enabled"] is True
    shortcuts = {s["callback_id"]: s["type"] for s in features["shortcuts"]}
    assert shortcuts == {ids.LOOKUP_SHORTCUT: "message", ids.FIND_SHORTCUT: "global"}


def test_unfurl_domain_is_the_default_app_host(manifest: dict[str, Any]) -> None:
    host = urlsplit(DEFAULT_PIVOTAL_APP_URL).hostname
    assert manifest["features"]["unfurl_domains"] == [host]


def test_display_information(manifest: dict[str, Any]) -> None:
    info = manifest["display_information"]
    assert info["name"] == "Pivotal"
    assert 175 <= len(info["long_description"]) <= 4000
    # The schema spells this "regex", which JSON Schema ignores, so check it here.
    assert re.fullmatch(r"#[0-9a-fA-F]{6}", info["background_color"])
    assert manifest["features"]["bot_user"] == {"display_name": "pivotal", "always_online": False}
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is False


def _six_domains(m: dict[str, Any]) -> None:
    m["features"]["unfurl_domains"] = [f"d{i}.example.com" for i in range(6)]


def _no_slash(m: dict[str, Any]) -> None:
    m["features"]["slash_commands"][0]["command"] = "customer"


def _short_long_description(m: dict[str, Any]) -> None:
    m["display_information"]["long_description"] = "Too short."


def _unknown_key(m: dict[str, Any]) -> None:
    m["settings"]["socket_mode"] = True


def _interactivity_without_flag(m: dict[str, Any]) -> None:
    del m["settings"]["interactivity"]["is_enabled"]


def _unknown_major_version(m: dict[str, Any]) -> None:
    m["_metadata"]["major_version"] = 3


@pytest.mark.parametrize(
    "breaker",
    [
        _six_domains,
        _no_slash,
        _short_long_description,
        _unknown_key,
        _interactivity_without_flag,
        _unknown_major_version,
    ],
)
def test_broken_copies_fail_validation(
    validator: jsonschema.Draft7Validator, manifest: dict[str, Any], breaker: Any
) -> None:
    broken = copy.deepcopy(manifest)
    breaker(broken)
    assert errors_of(validator, broken), f"{breaker.__name__} should not validate"


def test_procfile_serves_http() -> None:
    lines = (REPO / "Procfile").read_text().splitlines()
    assert lines == ["web: pivotal-bot serve"]
