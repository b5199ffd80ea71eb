"""What the domain knows of the durable tier: the one error its stores raise."""

from __future__ import annotations


class StoreUnavailable(Exception):
    """A durable store could not be read or written in time (the database is away)."""
