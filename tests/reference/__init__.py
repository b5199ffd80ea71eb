"""Paths of the reference documents vendored beside the tests (see README.md here)."""

from __future__ import annotations

from pathlib import Path

REFERENCE = Path(__file__).resolve().parent
PIVOTAL_OPENAPI = REFERENCE / "pivotal-openapi-get-customer.yaml"
SLACK_MANIFEST_SCHEMA = REFERENCE / "slack-manifest-schema"
