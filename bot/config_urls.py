"""What is wrong with a REDIS_URL or DATABASE_URL, in one clause that never echoes it."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

POSTGRES_SCHEMES = frozenset(
    {"postgres", "postgresql", "postgresql+psycopg", "postgresql+psycopg2", "postgresql+asyncpg"}
)
SQLITE_SCHEMES = frozenset({"sqlite", "sqlite+pysqlite", "sqlite+aiosqlite"})
SSL_MODES = frozenset({"disable", "allow", "prefer", "require", "verify-ca", "verify-full"})
_ENCODE_HINT = "(a password with : @ / # ? in it must be percent-encoded)"


def database_url_problem(raw: str) -> str | None:
    """Why `raw` cannot be a DATABASE_URL, in one clause that never echoes it; None if fine."""
    url = raw.strip()
    if not url:
        return "is empty"
    if any(ch.isspace() for ch in url):
        return "must not contain spaces"
    if "://" not in url:
        return "must be postgresql://user:password@host:5432/name or sqlite:///path/to/file.db"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return f"has a port that is not a number {_ENCODE_HINT}"
    try:
        query = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError:
        return "has a malformed query: ?name=value&name=value"
    scheme = parts.scheme.lower()
    if scheme in POSTGRES_SCHEMES:
        return _postgres_problem(parts.hostname, port, parts.fragment, dict(query))
    if scheme in SQLITE_SCHEMES:
        return _sqlite_problem(parts.netloc, parts.path)
    if scheme.startswith(("postgres", "sqlite")):
        return "names a driver this bot does not have: use postgresql:// or sqlite:///path"
    return "must start with postgresql://, postgres:// or sqlite:///"


def _postgres_problem(
    host: str | None, port: int | None, fragment: str, query: dict[str, str]
) -> str | None:
    if fragment:
        return f"has a '#' outside the query {_ENCODE_HINT}"
    if not host and not query.get("host"):
        return "must name a host: postgresql://user:password@host:5432/name"
    if port == 0:
        return "the port must be 1-65535"
    mode = query.get("sslmode")
    if mode is not None and mode not in SSL_MODES:
        return "sslmode must be one of " + ", ".join(sorted(SSL_MODES))
    return None


def _sqlite_problem(netloc: str, path: str) -> str | None:
    if netloc:
        return "a SQLite URL has no host: sqlite:///relative.db or sqlite:////absolute/path.db"
    name = path[1:] if path.startswith("/") else path
    if not name:
        return "must name a file: sqlite:///relative.db or sqlite:////absolute/path.db"
    if name == ":memory:" or name.startswith("file::memory:"):
        return "is an in-memory database: nothing in it would survive a restart"
    if name.endswith("/"):
        return "names a folder, not a file: sqlite:///path/to/file.db"
    return None


def redis_url_problem(url: str) -> str | None:
    """Why `url` cannot be a Redis URL (never echoing it: it may hold a password), or None."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "must be redis://host:port/db, rediss://… or unix:///path (port not a number)"
    if parts.scheme in ("redis", "rediss"):
        if not parts.hostname:
            return "must name a host: redis://host:6379/0"
        if parts.path.strip("/") and not parts.path.strip("/").isdigit():
            return "the database after the host must be a number: redis://host:6379/0"
        return None if port is None or port > 0 else "the port must be 1-65535"
    if parts.scheme == "unix":
        return None if parts.path.startswith("/") else "must be unix:///absolute/path.sock"
    return "must start with redis://, rediss:// or unix://"
