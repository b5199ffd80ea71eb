"""A minimal HTTP/1.1 keep-alive client for the load side.

Requests go in as ready-made bytes and come back as (status, body). On the 2-core bench VM
httpx spends about 1.7 ms of CPU per request and aiohttp 0.4 ms; with the load process on
one core that caps the offered load near the bot's own capacity and adds the load side's
queueing to every latency measured. This client costs a small fraction of that.
Responses must carry Content-Length (uvicorn sets it for Bolt's and the bot's answers).
"""

from __future__ import annotations

import asyncio


class _Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        waiter = self.waiter
        if waiter is None or waiter.done():
            return
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        lines = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        total = end + 4 + length
        if len(self.buffer) < total:
            return
        body = bytes(self.buffer[end + 4 : total])
        del self.buffer[:total]
        waiter.set_result((int(lines[0].split(" ", 2)[1]), body))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("connection closed"))


class WireClient:
    """Keep-alive connections to one host:port, opened as concurrency needs them."""

    def __init__(self, host: str, port: int, *, timeout: float = 30.0):
        self.host, self.port, self.timeout = host, port, timeout
        self._idle: list[_Connection] = []
        self._all: list[_Connection] = []

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        """Send `raw` (a whole HTTP/1.1 request) and wait for the answer."""
        for attempt in (1, 2):  # a keep-alive connection may have been closed while idle
            connection = await self._acquire()
            loop = asyncio.get_running_loop()
            waiter: asyncio.Future[tuple[int, bytes]] = loop.create_future()
            connection.waiter = waiter
            assert connection.transport is not None
            connection.transport.write(raw)
            expire = loop.call_later(self.timeout, _expire, waiter)
            try:
                result = await waiter
            except ConnectionError:
                if attempt == 2:
                    raise
                continue
            finally:
                expire.cancel()
                connection.waiter = None
            if not connection.closed:
                self._idle.append(connection)
            return result
        raise AssertionError("unreachable")

    async def _acquire(self) -> _Connection:
        while self._idle:
            connection = self._idle.pop()
            if not connection.closed:
                return connection
        loop = asyncio.get_running_loop()
        _, connection = await loop.create_connection(_Connection, self.host, self.port)
        self._all.append(connection)
        return connection

    def close(self) -> None:
        for connection in self._all:
            if connection.transport is not None:
                connection.transport.close()
        self._idle.clear()
        self._all.clear()


def _expire(waiter: asyncio.Future[tuple[int, bytes]]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError("no answer in time"))
