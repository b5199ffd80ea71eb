"""The sandbox's contacts and onboardings: data, paging, filters, edits and their webhooks."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiohttp import web
from pydantic import SecretStr

from bot.pivotal.client import PivotalClient
from bot.pivotal.errors import CustomerNotFound
from bot.pivotal.related import Contact, Onboarding
from bot.pivotal.webhooks import parse_secrets, verify
from bot.sandbox.pivotal.data import ACME_ID, generate_customers, sample_customers
from bot.sandbox.pivotal.deliveries import new_secret
from bot.sandbox.pivotal.related import RelatedStore
from bot.sandbox.pivotal.related_endpoints import onboarding_events
from bot.sandbox.pivotal.server import SandboxPivotal
from bot.sandbox.pivotal.store import CustomerStore
from bot.sandbox.serving import serve_app

KEY = "pivotal_test_sandbox"
AUTH = {"Authorization": f"Bearer {KEY}"}
CUID = re.compile(r"^c[a-z0-9]{24}$")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
CONTACT_KEYS = {"object", "id", "display_id", "customer_id", "name", "email", "title",
                "is_primary", "labels", "phone", "created_at", "updated_at"}  # fmt: skip
ONBOARDING_KEYS = {"object", "id", "display_id", "customer_id", "template_id", "phase", "state",
                   "started_at", "completed_at", "target_launch_date", "csm_id", "se_id",
                   "designer_id", "product_ops_id", "notes", "waiting_on_customer",
                   "created_at", "updated_at"}  # fmt: skip


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxPivotal]:
    async with SandboxPivotal() as sb:
        yield sb


@pytest.fixture
async def client(sandbox: SandboxPivotal) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sandbox.base_url, headers=AUTH, timeout=5) as http:
        yield http


class Receiver:
    """A loopback webhook endpoint that verifies each delivery's signature."""

    def __init__(self, secret: str) -> None:
        self.verifiers = parse_secrets(secret)
        self.events: list[dict[str, Any]] = []

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        verify(body, request.headers, self.verifiers)  # raises (a 500) when it does not match
        self.events.append(json.loads(body))
        return web.Response(status=202)


@pytest.fixture
async def hooks(sandbox: SandboxPivotal) -> AsyncIterator[Receiver]:
    secret = new_secret()
    receiver = Receiver(secret)
    app = web.Application()
    app.router.add_post("/hooks", receiver.handle)
    runner, root = await serve_app(app, "127.0.0.1", 0)
    sandbox.deliver_to(f"{root}/hooks", secret)
    yield receiver
    await runner.cleanup()


async def sent(sandbox: SandboxPivotal, receiver: Receiver) -> list[str]:
    assert sandbox.webhooks is not None
    await sandbox.webhooks.drain()
    assert all(status == 202 for _, status in sandbox.webhooks.delivered)
    return [event["type"] for event in receiver.events]


async def walk(client: httpx.AsyncClient, path: str, **params: Any) -> list[list[dict[str, Any]]]:
    pages: list[list[dict[str, Any]]] = []
    cursor = None
    while True:
        query = dict(params, **({"cursor": cursor} if cursor else {}))
        body = (await client.get(path, params=query)).json()
        pages.append(body["data"])
        assert body["object"] == "list"
        if not body["has_more"]:
            assert body["next_cursor"] is None
            return pages
        cursor = body["next_cursor"]


# ---- data ------------------------------------------------------------------------------


def test_every_sample_customer_has_one_to_six_contacts_one_primary_on_its_domain() -> None:
    store = RelatedStore(CustomerStore(sample_customers()))
    for customer in store.customers.all():
        contacts = store.contacts_of(customer)
        assert 1 <= len(contacts) <= 6
        assert sum(c["is_primary"] for c in contacts) == 1
        for contact in contacts:
            assert set(contact) == CONTACT_KEYS and CUID.match(contact["id"])
            assert contact["customer_id"] == customer["id"]
            assert TIMESTAMP.match(contact["created_at"]) and TIMESTAMP.match(contact["updated_at"])
            domain = customer["domain"]
            assert contact["email"] == (None if domain is None else contact["email"])
            assert domain is None or contact["email"].endswith("@" + domain)
            Contact.model_validate(contact)
        assert contacts == sorted(contacts, key=lambda c: c["created_at"], reverse=True)


def test_acme_has_named_contacts_and_a_completed_onboarding() -> None:
    store = RelatedStore(CustomerStore(sample_customers()))
    acme = store.customers.get(ACME_ID)
    assert acme is not None
    contacts = {c["name"]: c for c in store.contacts_of(acme)}
    assert set(contacts) == {"Maya Patel", "Tom Becker", "Lena Ortiz"}
    maya = contacts["Maya Patel"]
    assert maya["is_primary"] and maya["email"] == "maya.patel@acme.com"
    assert maya["labels"] == ["champion", "executive sponsor"]
    [onboarding] = store.onboardings_of(acme)
    assert onboarding["phase"] == "completed" and onboarding["completed_at"]


def test_onboardings_cover_onboarding_customers_and_some_others() -> None:
    store = RelatedStore(CustomerStore(sample_customers()))
    statuses: Counter[str] = Counter()
    for customer in store.customers.all():
        found = store.onboardings_of(customer)
        assert len(found) <= 1
        if customer["status"] == "onboarding":
            assert len(found) == 1 and found[0]["phase"] != "completed"
        if found:
            statuses[customer["status"]] += 1
            onboarding = found[0]
            assert set(onboarding) == ONBOARDING_KEYS and CUID.match(onboarding["id"])
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", onboarding["target_launch_date"])
            assert (onboarding["completed_at"] is None) == (onboarding["phase"] != "completed")
            Onboarding.model_validate(onboarding)
    assert statuses["active"] >= 3 and statuses["onboarding"] == 7
    vandelay = store.onboardings_of(store.customers.get("10") or {})
    assert vandelay[0]["phase"] == "launch" and vandelay[0]["waiting_on_customer"] is True


def test_related_data_is_deterministic_and_covers_generated_customers() -> None:
    first = RelatedStore(CustomerStore(generate_customers(3000, seed=5)))
    again = RelatedStore(CustomerStore(generate_customers(3000, seed=5)))
    page, more = first.onboarding_page(100)
    assert more and page == again.onboarding_page(100)[0]
    customer = first.customers.get("1234")
    assert customer is not None
    assert first.contacts_of(customer) == again.contacts_of(customer)
    everyone, _ = first.onboarding_page(100_000)
    assert 500 < len(everyone) < 1500  # onboarding customers and some others
    times = [o["created_at"] for o in everyone]
    assert len(set(times)) == len(times)  # cursors never tie
    assert {o["customer_id"] for o in everyone} <= {c["id"] for c in first.customers.all()}


# ---- contacts over HTTP -----------------------------------------------------------------


async def test_contacts_by_display_id_and_cuid(client: httpx.AsyncClient) -> None:
    by_number = (await client.get("/customers/42/contacts")).json()
    by_cuid = (await client.get(f"/customers/{ACME_ID}/contacts")).json()
    assert by_number == by_cuid and len(by_number["data"]) == 3
    one = by_number["data"][0]
    for ident in (one["id"], str(one["display_id"])):
        assert (await client.get(f"/contacts/{ident}")).json() == one


@pytest.mark.parametrize("path", ["/customers/999/contacts", "/customers/999/onboardings"])
async def test_a_missing_customer_is_customer_not_found(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "customer_not_found"


async def test_deleted_customers_contacts_and_onboardings_vanish(
    sandbox: SandboxPivotal, client: httpx.AsyncClient
) -> None:
    onboarding = (await client.get("/customers/10/onboardings")).json()["data"][0]
    contact = (await client.get("/customers/10/contacts")).json()["data"][0]
    assert sandbox.delete(10)
    assert (await client.get("/customers/10/contacts")).status_code == 404
    assert (await client.get(f"/onboardings/{onboarding['id']}")).json()["error"]["code"] == (
        "onboarding_not_found"
    )
    assert (await client.get(f"/contacts/{contact['id']}")).status_code == 404
    listed = [o["id"] for page in await walk(client, "/onboardings", limit=100) for o in page]
    assert onboarding["id"] not in listed


@pytest.mark.parametrize("ident", ["cnope", "0", "99999999"])
async def test_unknown_contact_and_onboarding_ids(client: httpx.AsyncClient, ident: str) -> None:
    for what in ("contact", "onboarding"):
        response = await client.get(f"/{what}s/{ident}")
        assert response.status_code == 404
        assert response.json()["error"] == {"type": "not_found", "code": f"{what}_not_found",
                                            "message": f"No such {what}: '{ident}'"}  # fmt: skip


async def test_contact_pages_follow_the_cursor(client: httpx.AsyncClient) -> None:
    everyone = (await client.get("/customers/42/contacts", params={"limit": 100})).json()["data"]
    pages = await walk(client, "/customers/42/contacts", limit=1)
    assert [len(p) for p in pages] == [1, 1, 1]
    assert [c for p in pages for c in p] == everyone


@pytest.mark.parametrize(
    ("params", "code"),
    [({"limit": "0"}, "too_small"), ({"limit": "101"}, "too_big"), ({"limit": "x"}, "invalid_type"),
     ({"cursor": "yesterday"}, "invalid_string")],
)  # fmt: skip
async def test_bad_paging_is_refused(
    client: httpx.AsyncClient, params: dict[str, str], code: str
) -> None:
    for path in ("/customers/42/contacts", "/onboardings", "/customers/10/onboardings"):
        response = await client.get(path, params=params)
        assert response.status_code == 400 and response.json()["error"]["code"] == code


async def test_related_routes_need_the_key(sandbox: SandboxPivotal) -> None:
    async with httpx.AsyncClient(base_url=sandbox.base_url, timeout=5) as http:
        for path in ("/customers/42/contacts", "/onboardings", "/customers/42/onboardings"):
            assert (await http.get(path)).status_code == 401


async def test_create_contact_sends_contact_created(
    sandbox: SandboxPivotal, client: httpx.AsyncClient, hooks: Receiver
) -> None:
    body = {"name": "Zoe Walsh", "email": "zoe.walsh@acme.com", "title": "COO",
            "labels": ["champion"], "is_primary": True}  # fmt: skip
    response = await client.post("/customers/42/contacts", json=body)
    assert response.status_code == 201
    created = response.json()
    assert {k: created[k] for k in body} == body and created["customer_id"] == ACME_ID
    listed = (await client.get("/customers/42/contacts")).json()["data"]
    assert listed[0] == created and len(listed) == 4
    assert [c["name"] for c in listed if c["is_primary"]] == ["Zoe Walsh"]  # one primary
    assert (await client.get(f"/contacts/{created['id']}")).json() == created
    assert await sent(sandbox, hooks) == ["contact.created"]
    event = hooks.events[0]
    assert event["data"] == {"object": created, "previous_attributes": None}
    assert "health_score" not in event["data"]["object"]  # customer-only fields stay out
    assert sandbox.requests[-3].body and sandbox.requests[-3].json() == body


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [({}, 400, "invalid_field"), ({"title": "CTO"}, 400, "missing_field"),
     ({"name": "X", "email": "not-an-email"}, 400, "invalid_field"),
     ({"name": "X", "colour": "red"}, 400, "invalid_field"),
     ({"name": "X", "labels": "vip"}, 400, "invalid_field"),
     ({"name": "X", "email": "MAYA.PATEL@acme.com"}, 409, "email_taken")],
)  # fmt: skip
async def test_create_contact_refusals_send_nothing(
    sandbox: SandboxPivotal,
    client: httpx.AsyncClient,
    hooks: Receiver,
    body: dict[str, Any],
    status: int,
    code: str,
) -> None:
    response = await client.post("/customers/42/contacts", json=body)
    assert response.status_code == status and response.json()["error"]["code"] == code
    assert len((await client.get("/customers/42/contacts")).json()["data"]) == 3
    assert await sent(sandbox, hooks) == []


async def test_patch_contact_changes_it_silently(
    sandbox: SandboxPivotal, client: httpx.AsyncClient, hooks: Receiver
) -> None:
    contacts = (await client.get("/customers/42/contacts")).json()["data"]
    tom = next(c for c in contacts if c["name"] == "Tom Becker")
    response = await client.patch(f"/contacts/{tom['id']}",
                                  json={"title": "CIO", "is_primary": True})  # fmt: skip
    assert response.status_code == 200
    changed = response.json()
    assert changed["title"] == "CIO" and changed["updated_at"] > tom["updated_at"]
    listed = (await client.get("/customers/42/contacts")).json()["data"]
    assert [c["name"] for c in listed if c["is_primary"]] == ["Tom Becker"]
    clash = await client.patch(f"/contacts/{tom['id']}", json={"email": "maya.patel@acme.com"})
    assert clash.status_code == 409
    assert await sent(sandbox, hooks) == []  # Pivotal's catalog has no contact.updated
    assert ("/api/v1/contacts/" + tom["id"], {"title": "CIO", "is_primary": True}) in (
        sandbox.patches()
    )


# ---- onboardings over HTTP --------------------------------------------------------------


async def test_onboardings_walk_every_one_once_newest_first(
    sandbox: SandboxPivotal, client: httpx.AsyncClient
) -> None:
    pages = await walk(client, "/onboardings", limit=7)
    everyone = [o for page in pages for o in page]
    assert len({o["id"] for o in everyone}) == len(everyone) > 7
    assert everyone == sorted(everyone, key=lambda o: o["created_at"], reverse=True)
    assert everyone == (await client.get("/onboardings", params={"limit": 100})).json()["data"]
    default = (await client.get("/onboardings")).json()  # 20 a page by default
    assert default["data"] == everyone[:20] and default["has_more"] is (len(everyone) > 20)


@pytest.mark.parametrize(
    "params", [{"phase": "launch"}, {"state": "at_risk"}, {"phase": "completed", "state": "active"},
               {"phase": "kickoff"}],
)  # fmt: skip
async def test_onboarding_filters_apply_before_paging(
    client: httpx.AsyncClient, params: dict[str, str]
) -> None:
    everyone = (await client.get("/onboardings", params={"limit": 100})).json()["data"]
    expected = [o for o in everyone if all(o[k] == v for k, v in params.items())]
    pages = await walk(client, "/onboardings", limit=2, **params)
    assert [o for page in pages for o in page] == expected


async def test_customer_onboardings(client: httpx.AsyncClient) -> None:
    [mesa] = (await client.get("/customers/38/onboardings")).json()["data"]
    assert mesa["phase"] == "internal_qa" and mesa["state"] == "at_risk"
    assert (await client.get(f"/onboardings/{mesa['display_id']}")).json() == mesa
    assert (await client.get("/customers/246/onboardings")).json()["data"]  # all fields null
    none = (await client.get("/customers/13/onboardings")).json()
    assert none == {"object": "list", "data": [], "has_more": False, "next_cursor": None}


@pytest.mark.parametrize(
    ("change", "events"),
    [({"phase": "launch"}, ["onboarding.phase_changed", "onboarding.launched"]),
     ({"phase": "completed"}, ["onboarding.phase_changed", "onboarding.completed"]),
     ({"phase": "review"}, ["onboarding.phase_changed"]),
     ({"state": "active"}, ["onboarding.state_changed", "onboarding.back_on_track"]),
     ({"state": "paused"}, ["onboarding.state_changed"]),
     ({"state": "at_risk"}, []),  # no change
     ({"notes": "Call on Monday.", "target_launch_date": "2027-01-15"}, []),
     ({"phase": "launch", "state": "active"},
      ["onboarding.phase_changed", "onboarding.launched", "onboarding.state_changed",
       "onboarding.back_on_track"])],
)  # fmt: skip
async def test_patch_onboarding_sends_its_events(
    sandbox: SandboxPivotal,
    client: httpx.AsyncClient,
    hooks: Receiver,
    change: dict[str, Any],
    events: list[str],
) -> None:
    [mesa] = (await client.get("/customers/38/onboardings")).json()["data"]  # internal_qa, at_risk
    response = await client.patch(f"/onboardings/{mesa['id']}", json=change)
    assert response.status_code == 200
    changed = response.json()
    assert {k: changed[k] for k in change} == change
    assert (changed["completed_at"] is not None) == (change.get("phase") == "completed")
    assert await sent(sandbox, hooks) == events
    previous = {k: mesa[k] for k in change if mesa[k] != change[k]}
    if change.get("phase") == "completed":
        previous["completed_at"] = None
    for event in hooks.events:
        assert event["data"] == {"object": changed, "previous_attributes": previous}
        assert event["livemode"] is False and event["api_version"] == "v1"
    assert (await client.get(f"/onboardings/{mesa['id']}")).json() == changed


@pytest.mark.parametrize(
    "body",
    [{}, {"phase": "Launch!"}, {"state": 3}, {"target_launch_date": "soon"},
     {"waiting_on_customer": "yes"}, {"customer_id": "other"}, {"notes": 5}],
)  # fmt: skip
async def test_patch_onboarding_refusals(
    sandbox: SandboxPivotal, client: httpx.AsyncClient, hooks: Receiver, body: dict[str, Any]
) -> None:
    response = await client.patch("/onboardings/1038", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert await sent(sandbox, hooks) == []


async def test_edits_without_a_webhook_target_still_apply(client: httpx.AsyncClient) -> None:
    assert (await client.patch("/onboardings/1038", json={"phase": "launch"})).status_code == 200
    assert (await client.get("/onboardings/1038")).json()["phase"] == "launch"
    missing = await client.patch("/onboardings/cnope", json={"phase": "launch"})
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("previous", "now", "kinds"),
    [({}, {"phase": "x", "state": "y"}, []),
     ({"state": "paused"}, {"phase": "x", "state": "active"}, ["onboarding.state_changed"]),
     ({"state": "at_risk"}, {"phase": "x", "state": "waiting"}, ["onboarding.state_changed"]),
     ({"phase": "launch"}, {"phase": "kickoff", "state": "y"}, ["onboarding.phase_changed"])],
)  # fmt: skip
def test_onboarding_events_table(
    previous: dict[str, Any], now: dict[str, Any], kinds: list[str]
) -> None:
    assert onboarding_events(previous, now) == kinds


# ---- the bot's client against the sandbox ------------------------------------------------


async def test_the_client_reads_contacts_and_onboardings_from_the_sandbox() -> None:
    customers = generate_customers(1500, seed=9)
    async with SandboxPivotal(customers) as sandbox:
        client = PivotalClient(sandbox.base_url, SecretStr(KEY))
        try:
            contacts = await client.list_contacts("700")
            assert 1 <= len(contacts) <= 6 and sum(c.is_primary for c in contacts) == 1
            with pytest.raises(CustomerNotFound):
                await client.list_contacts("99999")
            pages = [p async for p in client.iter_onboardings(background=False)]
            everyone = [o for p in pages for o in p.data]
            assert len(pages) == -(-len(everyone) // 100) and len(everyone) > 100
            assert sum(p.skipped for p in pages) == 0
            assert len({o.id for o in everyone}) == len(everyone)
            launching = [p async for p in client.iter_onboardings(phase="launch")]
            assert [o.id for p in launching for o in p.data] == [
                o.id for o in everyone if o.phase == "launch"
            ]
            mine = await client.list_customer_onboardings(everyone[0].customer_id)
            assert mine == [everyone[0]]
        finally:
            await client.aclose()


async def test_related_gets_are_counted_apart_from_customer_gets(
    sandbox: SandboxPivotal, client: httpx.AsyncClient
) -> None:
    for path in ("/customers/42/contacts", "/customers/42/onboardings", "/onboardings",
                 "/onboardings/1010", "/customers/42"):  # fmt: skip
        assert (await client.get(path)).status_code == 200
    assert (sandbox.customer_gets(), sandbox.related_gets()) == (1, 4)


def test_no_two_contacts_of_a_customer_share_an_email() -> None:
    store = RelatedStore(CustomerStore(generate_customers(2000, seed=2)))
    for customer in store.customers.all():
        emails = [c["email"] or c["name"] for c in store.contacts_of(customer)]
        assert len(set(emails)) == len(emails)
