"""The one customer factory for unit tests: API bodies and Customer models by number."""

from __future__ import annotations

from typing import Any

from bot.pivotal.models import Customer


def customer_body(n: int, name: str = "", **fields: Any) -> dict[str, Any]:
    """A GET /customers/{id} body for customer #`n`; `fields` replace or add fields."""
    body: dict[str, Any] = {
        "object": "customer",
        "id": f"cus_{n:04d}",
        "display_id": n,
        "name": name or f"Customer {n}",
        "status": "active",
        "created_at": "2024-05-01T10:00:00Z",
        "updated_at": "2024-06-01T10:00:00Z",
    }
    body.update(fields)
    return body


def make_customer(n: int, name: str = "", **fields: Any) -> Customer:
    return Customer.model_validate(customer_body(n, name, **fields))
