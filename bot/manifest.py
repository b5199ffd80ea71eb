"""What the Slack app manifest (manifest.yml) says the bot relies on: its unfurl domains."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

DEFAULT_MANIFEST = Path("manifest.yml")


class ManifestError(Exception):
    """The manifest cannot be read or is not shaped like one; the message says why."""


@dataclass(frozen=True)
class Manifest:
    path: Path
    unfurl_domains: tuple[str, ...]

    def unfurls(self, host: str) -> str | None:
        """The listed domain covering `host` (Slack counts subdomains in), or None."""
        host = host.lower().rstrip(".")
        for domain in self.unfurl_domains:
            if host == domain or host.endswith("." + domain):
                return domain
        return None


def read_manifest(path: Path) -> Manifest:
    """`features.unfurl_domains` of the YAML (or JSON) manifest at `path`."""
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ManifestError(exc.strerror or type(exc).__name__) from exc
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ManifestError("not valid YAML") from exc
    if not isinstance(loaded, dict):
        raise ManifestError("not an app manifest (no top-level mapping)")
    features = loaded.get("features") or {}
    domains = features.get("unfurl_domains") if isinstance(features, dict) else None
    if domains is None:
        return Manifest(path, ())
    if not isinstance(domains, list) or not all(isinstance(d, str) for d in domains):
        raise ManifestError("features.unfurl_domains is not a list of domains")
    return Manifest(path, tuple(d.strip().lower().rstrip(".") for d in domains if d.strip()))
