"""The token bucket against a server with KIS's limits on (20/s real, 2/s mock per wall-clock second)."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

from localkis.client.ratelimit import TokenBucket
from localkis.protocol.env import Env
from tests.client.conftest import World


def test_real_burst_of_100_from_16_threads(limited: World) -> None:
    app = limited.app(Env.REAL)
    cache = limited.token_dir()
    # two clients of the same app (e.g. two components of one bot) share the app's bucket
    a = limited.client(app=app, token_cache_dir=cache, rate_per_second=None)
    b = limited.client(app=app, token_cache_dir=cache, rate_per_second=None)
    assert a.bucket is b.bucket
    a.access_token()
    started = time.monotonic()
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda i: (a if i % 2 else b).quote("NASD", "AAPL"), range(100)))
    elapsed = time.monotonic() - started
    assert all(q.last is not None for q in results)  # no exception reached the caller
    rate_limited = a.stats.rate_limited + b.stats.rate_limited
    print(f"100 calls in {elapsed:.2f}s; EGW00201 answers retried inside the client: {rate_limited}")
    assert 4.5 <= elapsed < 8.0, "paced at ~20/s"
    assert rate_limited <= 3, "the bucket, not the retry, keeps the app under the limit"


def test_mock_burst_async(limited: World) -> None:
    async def scenario() -> tuple[float, int, int]:
        async with limited.aclient(Env.MOCK, rate_per_second=None) as kis:
            await kis.access_token()
            started = time.monotonic()
            quotes = await asyncio.gather(*(kis.quote("NASD", "AAPL") for _ in range(6)))
            assert all(q.last is not None for q in quotes)
            return time.monotonic() - started, kis.stats.rate_limited, kis.stats.requests

    elapsed, rate_limited, requests = asyncio.run(scenario())
    assert 2.3 <= elapsed < 5.0, elapsed  # 6 calls at 2/s
    assert rate_limited <= 1 and requests == 6 + rate_limited


def test_egw00201_is_retried_with_backoff(limited: World) -> None:
    """Without client-side pacing the server refuses some calls; the client retries them all."""
    kis = limited.client(Env.MOCK, rate_per_second=0)
    kis.access_token()
    quotes = [kis.quote("NASD", "AAPL") for _ in range(5)]
    assert all(q.last is not None for q in quotes)
    assert kis.stats.rate_limited >= 1
    assert kis.stats.requests == 5 + kis.stats.rate_limited


def test_sync_and_async_clients_share_the_bucket(limited: World) -> None:
    app = limited.app(Env.MOCK)
    cache = limited.token_dir()
    sync = limited.client(app=app, token_cache_dir=cache, rate_per_second=None)
    sync.access_token()

    async def scenario() -> int:
        async with limited.aclient(app=app, token_cache_dir=cache, rate_per_second=None) as kis:
            assert kis.bucket is sync.bucket
            loop = asyncio.get_running_loop()
            threaded = loop.run_in_executor(None, lambda: [sync.quote("NASD", "AAPL") for _ in range(2)])
            await asyncio.gather(*(kis.quote("NASD", "AAPL") for _ in range(2)))
            await threaded
            return kis.stats.rate_limited + sync.stats.rate_limited

    started = time.monotonic()
    assert asyncio.run(scenario()) == 0
    assert time.monotonic() - started >= 1.4  # 4 calls at 2/s share one bucket


def test_bucket_spacing() -> None:
    bucket = TokenBucket(20)
    waits = [bucket.reserve(now=100.0) for _ in range(41)]
    assert waits[0] == 0 and abs(waits[1] - 0.051) < 1e-9
    # never more than 20 slots in any one-second window
    slots = [100.0 + w for w in waits]
    assert all(slots[i + 20] - slots[i] > 1.0 for i in range(len(slots) - 20))
    assert TokenBucket(0).reserve() == 0.0
    burst = TokenBucket(2, burst=4)
    assert [burst.reserve(now=5.0) for _ in range(4)] == [0.0, 0.0, 0.0, 0.0]
    assert burst.reserve(now=5.0) > 0
