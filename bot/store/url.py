"""DATABASE_URL: what is wrong with one, the driver URL it becomes, and how it is logged.

`database_url_problem` uses only urllib so that configuration can check a URL without
loading SQLAlchemy; the other functions import it when called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

POSTGRES_SCHEMES = frozenset(
    {"postgres", "postgresql", "postgresql+psycopg", "postgresql+psycopg2", "postgresql+asyncpg"}
)
SQLITE_SCHEMES = frozenset({"sqlite", "sqlite+pysqlite", "sqlite+aiosqlite"})
POSTGRES_DRIVER = "postgresql+psycopg"
SQLITE_DRIVER = "sqlite+aiosqlite"
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


def is_local_host(host: str | None) -> bool:
    """True for a host that needs no TLS: none (a Unix socket), loopback, or a socket folder."""
    if not host:
        return True
    host = host.strip("[]").lower()
    return host in ("localhost", "::1") or host.startswith(("127.", "/"))


def driver_url(raw: str) -> URL:
    """The URL SQLAlchemy is given: psycopg 3 or aiosqlite, TLS required for remote hosts."""
    from sqlalchemy.engine import make_url

    url = make_url(raw.strip())
    if url.drivername in POSTGRES_SCHEMES:
        url = url.set(drivername=POSTGRES_DRIVER)
        query = dict(url.query)
        if "ssl" in query and "sslmode" not in query:  # asyncpg's spelling
            ssl = query.pop("ssl")
            query["sslmode"] = "require" if ssl in ("true", "1") else str(ssl)
            url = url.set(query=query)
        host = url.host or query.get("host")  # ?host=/run/postgresql names a socket folder
        if "sslmode" not in query and not is_local_host(str(host) if host else None):
            url = url.update_query_dict({"sslmode": "require"})
    elif url.drivername in SQLITE_SCHEMES:
        url = url.set(drivername=SQLITE_DRIVER)
    return url


def display_url(url: URL | str) -> str:
    """The URL as logs may show it: the password replaced by ***."""
    if isinstance(url, str):
        from sqlalchemy.engine import make_url

        url = make_url(url)
    return url.render_as_string(hide_password=True)
