"""The connection layer: one write per POST, the O(1) asyncio pool (limits, hand-over, cancellation)."""

from __future__ import annotations

import asyncio

import httpcore
import pytest

from localkis.client import transport
from localkis.client.transport import _announces_body
from localkis.protocol.env import Env
from tests.client.conftest import World
from tests.client.proxy import Proxy


def test_head_announcing_a_body() -> None:
    assert _announces_body(b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 12\r\n\r\n")
    assert _announces_body(b"POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\n")
    assert not _announces_body(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
    assert not _announces_body(b"POST / HTTP/1.1\r\ncontent-length: 0\r\n\r\n")
    assert not _announces_body(b'{"CANO":"12345678"}')


def test_head_and_body_leave_in_one_write() -> None:
    class Recorder(httpcore.NetworkStream):
        def __init__(self) -> None:
            self.writes: list[bytes] = []

        def write(self, buffer: bytes, timeout: float | None = None) -> None:
            self.writes.append(buffer)

        def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
            return b""

    inner = Recorder()
    stream = transport._OneSegment(inner)
    head = b"POST /x HTTP/1.1\r\nhost: h\r\ncontent-length: 2\r\n\r\n"
    stream.write(head)
    assert inner.writes == []
    stream.write(b"{}")
    assert inner.writes == [head + b"{}"]
    stream.write(b"GET /y HTTP/1.1\r\nhost: h\r\n\r\n")
    assert len(inner.writes) == 2
    stream.write(head)
    stream.read(10)  # a read flushes what is held
    assert inner.writes[-1] == head


def test_post_through_the_pool(main: World) -> None:
    with Proxy(main.base_url) as proxy:
        kis = main.client(base_url=proxy.base_url)
        kis.buy("NASD", "AAPL", 1, "150.00")
        (order,) = proxy.requests_to("/trading/order")
        assert order.json()["ORD_QTY"] == "1"


def test_async_pool_limits_hand_over_and_cancellation(main: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transport, "MAX_CONNECTIONS", 2)

    async def scenario() -> None:
        async with main.aclient(Env.REAL) as kis:
            pool = kis._http._pool
            await kis.access_token()
            quotes = await asyncio.gather(*(kis.quote("NASD", "AAPL") for _ in range(20)))
            assert all(q.last is not None for q in quotes)
            assert pool._open <= 2 and not pool._waiters
            # cancel half of 20 queued calls while they wait for a connection
            tasks = [asyncio.create_task(kis.quote("NASD", "AAPL")) for _ in range(20)]
            await asyncio.sleep(0)
            for t in tasks[::2]:
                t.cancel()
            done = await asyncio.gather(*tasks, return_exceptions=True)
            assert sum(isinstance(d, asyncio.CancelledError) for d in done) >= 1
            assert all(not isinstance(d, Exception) or isinstance(d, asyncio.CancelledError) for d in done)
            assert 0 <= pool._open <= 2 and not [w for w in pool._waiters if not w.done()]
            assert (await kis.quote("NASD", "AAPL")).last is not None

    asyncio.run(scenario())
