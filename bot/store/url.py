"""DATABASE_URL: what is wrong with one, the driver URL it becomes, and how it is logged.

What is wrong with one is said by bot.config_urls (urllib only, so configuration checks a
URL without loading SQLAlchemy); the functions here import SQLAlchemy when called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.config_urls import POSTGRES_SCHEMES, SQLITE_SCHEMES

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

POSTGRES_DRIVER = "postgresql+psycopg"
SQLITE_DRIVER = "sqlite+aiosqlite"


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
