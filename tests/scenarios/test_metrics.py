"""GET /metrics: Prometheus text with lookups, Pivotal requests and gauges, no customer data."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.scenarios.harness import Harness


def samples(page: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(page)
        for s in family.samples
    }


def value(page: str, name: str, **labels: str) -> float:
    return samples(page).get((name, frozenset(labels.items())), 0.0)


async def test_metrics_count_lookups_and_requests_without_customer_data(bot: Harness) -> None:
    before = (await bot.http.get(f"{bot.url}/metrics")).text
    await bot.lookup("42")  # a warm hit from the directory
    await bot.lookup("999999")  # not found: asks Pivotal
    response = await bot.http.get(f"{bot.url}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    page = response.text

    found = dict(surface="command", outcome="found", source="directory")
    assert value(page, "pivotal_bot_lookups_total", **found) == (
        value(before, "pivotal_bot_lookups_total", **found) + 1
    )
    missing = dict(route="/customers/{id}", status="404")
    assert value(page, "pivotal_bot_pivotal_requests_total", **missing) >= 1
    assert value(page, "pivotal_bot_pivotal_requests_total", route="/customers", status="200") >= 1
    assert value(page, "pivotal_bot_directory_customers") == len(bot.pivotal.customers)
    assert value(page, "pivotal_bot_directory_ready") == 1
    assert 0 <= value(page, "pivotal_bot_directory_age_seconds") < 60
    assert value(page, "pivotal_bot_budget_limit") > 0
    assert "pivotal_bot_redis_up" not in page  # no REDIS_URL, no Redis metrics
    assert "pivotal_bot_live_card" not in page  # no webhook secret, no live cards
    for customer in bot.pivotal.customers:
        assert customer["name"] not in page
        assert customer["id"] not in page
    assert bot.deps.settings.pivotal_api_key.get_secret_value() not in page
