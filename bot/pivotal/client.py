"""Async client for the Pivotal REST API: auth, timeouts, bounded retries, typed errors."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import SecretStr, ValidationError

from bot import metrics
from bot.logs import event
from bot.pivotal.errors import (
    CustomerNotFound,
    NotFound,
    PivotalBadRequest,
    PivotalError,
    PivotalRefused,
    PivotalUnavailable,
    listing_not_found,
)
from bot.pivotal.models import Customer, CustomerPage, Identity, Page
from bot.pivotal.ratelimit import RateGovernor
from bot.pivotal.refs import is_safe_customer_ref
from bot.pivotal.related import Contact, Onboarding

log = logging.getLogger(__name__)

PAGE_SIZE = 100
_ItemT = TypeVar("_ItemT", Customer, Contact, Onboarding)
_USER_AGENT = "pivotal-bot/0.1 (+https://github.com/pivotal-bot)"


class PivotalClient:
    """Talks to one Pivotal workspace with one key; every failure is a PivotalError."""

    def __init__(
        self,
        base_url: str,
        api_key: SecretStr,
        *,
        governor: RateGovernor | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        connect_timeout: float = 1.5,
        read_timeout: float = 2.5,
        deadline: float = 4.5,
        max_attempts: int = 3,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.governor = governor if governor is not None else RateGovernor()
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._deadline = deadline
        self._max_attempts = max_attempts
        self._sleep = sleep
        self._jitter = jitter
        self._clock = clock
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/",
            headers={
                "Authorization": f"Bearer {api_key.get_secret_value()}",
                "Accept": "application/json",
                "User-Agent": _USER_AGENT,
            },
            transport=transport,
            limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
            follow_redirects=False,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def get_customer(self, ref: str) -> Customer:
        """GET /customers/{ref} where ref is a display_id or cuid (validated, path-encoded)."""
        if not is_safe_customer_ref(ref):
            raise CustomerNotFound(f"not a customer id: {ref[:20]!r}", status=None)
        await self.governor.admit()
        body = await self._get(f"customers/{quote(ref, safe='')}", route="/customers/{id}")
        try:
            return Customer.model_validate(body)
        except ValidationError as exc:
            raise PivotalUnavailable("customer body does not match the schema") from exc

    async def update_customer(self, ref: str, changes: Mapping[str, object]) -> Customer:
        """PATCH /customers/{ref} with `changes` (omitted fields stay); the updated customer.

        A refusal (400, 409, 422) is a PivotalRefused carrying Pivotal's own message. A
        PATCH of given values is idempotent, so 5xx and transport failures are retried
        like a GET.
        """
        if not is_safe_customer_ref(ref):
            raise CustomerNotFound(f"not a customer id: {ref[:20]!r}", status=None)
        await self.governor.admit()
        body = await self._get(
            f"customers/{quote(ref, safe='')}", route="PATCH /customers/{id}", json=dict(changes)
        )
        try:
            return Customer.model_validate(body)
        except ValidationError as exc:
            raise PivotalUnavailable("customer body does not match the schema") from exc

    async def list_customers(
        self, *, cursor: str | None = None, limit: int = PAGE_SIZE, background: bool = True
    ) -> CustomerPage:
        """One page of GET /customers, newest first; bad entries are skipped and counted."""
        if background:
            await self.governor.wait_for_background()
        else:
            await self.governor.admit()
        params: dict[str, str | int] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        body = await self._get("customers", route="/customers", params=params, patient=background)
        return _parse_page(body, Customer, "customer")

    async def iter_customers(self, *, background: bool = True) -> AsyncIterator[CustomerPage]:
        """Walk every page of the customer list."""
        async for page in _follow(
            lambda cursor: self.list_customers(cursor=cursor, background=background)
        ):
            yield page

    async def list_contacts(self, customer_ref: str, *, background: bool = False) -> list[Contact]:
        """Every contact of one customer: GET /customers/{ref}/contacts, page by page.

        CustomerNotFound only when Pivotal's error code says the customer is missing; a
        404 that names nothing is a PivotalEndpointMissing. Bad entries are skipped.
        """
        path = f"customers/{self._customer_path(customer_ref)}/contacts"
        return await self._collect(path, "/customers/{id}/contacts", Contact, "contacts",
                                   background=background)  # fmt: skip

    async def list_customer_onboardings(
        self, customer_ref: str, *, background: bool = False
    ) -> list[Onboarding]:
        """Every onboarding of one customer: GET /customers/{ref}/onboardings, page by page
        (404s mapped as for list_contacts)."""
        path = f"customers/{self._customer_path(customer_ref)}/onboardings"
        return await self._collect(path, "/customers/{id}/onboardings", Onboarding,
                                   "onboardings", background=background)  # fmt: skip

    async def iter_onboardings(
        self, *, background: bool = True, phase: str | None = None, state: str | None = None
    ) -> AsyncIterator[Page[Onboarding]]:
        """Walk GET /onboardings across the workspace, 100 a page (within the background
        budget unless `background` is False), optionally filtered by `phase` / `state`."""
        params: dict[str, str | int] = {}
        if phase:
            params["phase"] = phase
        if state:
            params["state"] = state
        async for page in self._pages("onboardings", "/onboardings", Onboarding, "onboardings",
                                      background=background, params=params):  # fmt: skip
            yield page

    def _customer_path(self, ref: str) -> str:
        if not is_safe_customer_ref(ref):
            raise CustomerNotFound(f"not a customer id: {ref[:20]!r}", status=None)
        return quote(ref, safe="")

    async def _collect(
        self, path: str, route: str, model: type[_ItemT], listing: str, *, background: bool
    ) -> list[_ItemT]:
        items: list[_ItemT] = []
        skipped = 0
        async for page in self._pages(path, route, model, listing, background=background):
            items.extend(page.data)
            skipped += page.skipped
        if skipped:
            event(log, "pivotal.skipped", route=route, skipped=skipped)
        return items

    async def _pages(
        self,
        path: str,
        route: str,
        model: type[_ItemT],
        listing: str,
        *,
        background: bool,
        params: Mapping[str, str | int] | None = None,
    ) -> AsyncIterator[Page[_ItemT]]:
        """Every page of one list, 100 at a time; a 404 is mapped by listing_not_found."""

        async def fetch(cursor: str | None) -> Page[_ItemT]:
            if background:
                await self.governor.wait_for_background()
            else:
                await self.governor.admit()
            query: dict[str, str | int] = {**(params or {}), "limit": PAGE_SIZE}
            if cursor:
                query["cursor"] = cursor
            try:
                body = await self._get(path, route=route, params=query, patient=background)
            except NotFound as exc:
                raise listing_not_found(exc, listing) from exc
            return _parse_page(body, model, listing)

        async for page in _follow(fetch):
            yield page

    async def me(self) -> Identity:
        """GET /me, parsed for either documented shape."""
        body = await self._get("me", route="/me")
        return _parse_identity(body)

    async def _get(
        self,
        path: str,
        *,
        route: str,
        params: Mapping[str, str | int] | None = None,
        patient: bool = False,
        json: dict[str, object] | None = None,
    ) -> dict[str, Any]:
        """GET (a PATCH with `json`) with bounded retries for 5xx and transport failures,
        inside one deadline."""
        deadline = self._deadline * (6 if patient else 1)
        started = self._clock()
        attempt = 0
        while True:
            attempt += 1
            remaining = deadline - (self._clock() - started)
            try:
                return await self._attempt(path, route, params, remaining, attempt, json)
            except PivotalUnavailable as exc:
                pause = min(0.2 * 2 ** (attempt - 1), 1.0) * (0.5 + self._jitter())
                elapsed = self._clock() - started
                if not exc.retryable or attempt >= self._max_attempts or elapsed + pause > deadline:
                    raise
                await self._sleep(pause)

    async def _attempt(
        self,
        path: str,
        route: str,
        params: Mapping[str, str | int] | None,
        remaining: float,
        attempt: int,
        json: dict[str, object] | None = None,
    ) -> dict[str, Any]:
        if attempt > 1:
            await self.governor.admit()  # a retry is one more request against the window
        read = max(0.1, min(self._read_timeout, remaining))
        timeout = httpx.Timeout(read, connect=min(self._connect_timeout, read), pool=read)
        started = self._clock()
        try:
            if json is None:
                response = await self._http.get(path, params=params, timeout=timeout)
            else:
                response = await self._http.patch(path, json=json, timeout=timeout)
        except httpx.TimeoutException as exc:
            self._log(route, "timeout", started, attempt)
            raise PivotalUnavailable("Pivotal did not answer in time", retryable=True) from exc
        except httpx.TransportError as exc:
            self._log(route, "unreachable", started, attempt)
            raise PivotalUnavailable("Pivotal could not be reached", retryable=True) from exc
        except httpx.RequestError as exc:  # e.g. DecodingError: a body that cannot be read
            self._log(route, "unreadable", started, attempt)
            raise PivotalUnavailable("Pivotal sent a body that cannot be read") from exc
        wait = self.governor.observe(response.headers, response.status_code)
        if response.status_code == 429:
            await self.governor.share_block()
        self._log(route, response.status_code, started, attempt)
        if response.is_success:
            return _json_object(response)
        error = PivotalError.from_response(response, retry_after=wait)
        if json is not None and isinstance(error, PivotalBadRequest):
            raise PivotalRefused.from_refusal(response)
        raise error

    def _log(self, route: str, status: object, started: float, attempt: int) -> None:
        ms = (self._clock() - started) * 1000
        metrics.count_pivotal_request(route, status)
        info = self.governor.info()
        event(log, "pivotal.request", route=route, status=status, ms=ms, attempt=attempt,
              remaining=info.remaining)  # fmt: skip


async def _follow(
    fetch: Callable[[str | None], Awaitable[Page[_ItemT]]],
) -> AsyncIterator[Page[_ItemT]]:
    """The pages `fetch(cursor)` gives, from the first until has_more is false, the cursor
    is missing, or it repeats one seen before (a loop, not more pages)."""
    cursor: str | None = None
    seen: set[str] = set()
    while True:
        page = await fetch(cursor)
        yield page
        if not page.has_more or not page.next_cursor or page.next_cursor in seen:
            return
        cursor = page.next_cursor
        seen.add(cursor)


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError as exc:
        raise PivotalUnavailable("Pivotal sent a body that is not JSON") from exc
    if not isinstance(body, dict):
        raise PivotalUnavailable("Pivotal sent an unexpected body")
    return body


def _parse_page(body: dict[str, Any], model: type[_ItemT], listing: str) -> Page[_ItemT]:
    raw = body.get("data")
    if not isinstance(raw, list) or not isinstance(body.get("has_more"), bool):
        raise PivotalUnavailable(f"{listing} list does not match the documented envelope")
    items: list[_ItemT] = []
    skipped = 0
    for item in raw:
        try:
            items.append(model.model_validate(item))
        except ValidationError:
            skipped += 1
    cursor = body.get("next_cursor")
    return Page[model](  # type: ignore[valid-type]
        data=tuple(items),
        has_more=body["has_more"],
        next_cursor=cursor if isinstance(cursor, str) else None,
        skipped=skipped,
    )


def _parse_identity(body: dict[str, Any]) -> Identity:
    key, org = _object(body.get("api_key")), _object(body.get("organization"))
    livemode = body.get("livemode")
    return Identity(
        key_name=_text(key.get("name") or body.get("key_name")),
        key_prefix=_text(key.get("prefix") or body.get("key_prefix")),
        organization=_text(org.get("name") or org.get("slug")),
        livemode=livemode if isinstance(livemode, bool) else None,
    )


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
