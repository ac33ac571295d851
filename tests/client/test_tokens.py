"""Tokens: cached on disk (0700/0600), reused across clients and processes, one request a minute,
re-issued near expiry and once on EGW00123. The servers enforce KIS's one-token-a-minute rule, so a
client that asked twice would fail loudly."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from localkis.client import ClientConfig, KisClient, TokenIssueLimited
from localkis.client.tokens import keeper_for
from tests.client.conftest import AppCreds, World
from tests.client.proxy import Proxy
from tests.serverproc import REPO


def shifted_clock() -> tuple[Callable[[], datetime], Callable[[float], None]]:
    offset = [0.0]

    def now() -> datetime:
        return datetime.now(UTC) + timedelta(seconds=offset[0])

    def shift(seconds: float) -> None:
        offset[0] = seconds

    return now, shift


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_cache_is_owner_only(main: World, tmp_path: Path) -> None:
    cache = tmp_path / "tokens"
    cache.mkdir(mode=0o755)
    os.chmod(cache, 0o755)
    kis = main.client(token_cache_dir=cache)
    token = kis.access_token()
    assert mode(cache) == 0o700, "an existing directory is tightened"
    (entry,) = cache.glob("*.json")
    assert mode(entry) == 0o600
    data = json.loads(entry.read_text())
    assert data["access_token"] == token and data["base_url"] == main.base_url
    assert data["appkey"] == kis.config.appkey and kis.config.appsecret not in entry.read_text()
    assert datetime.fromisoformat(data["expires_at"]) > datetime.now(UTC) + timedelta(hours=23)
    assert not list(cache.glob("*.tmp"))


def test_reused_by_another_client_and_another_process(main: World) -> None:
    app = main.app()
    cache = main.token_dir()
    first = main.client(app=app, token_cache_dir=cache)
    token = first.access_token()
    second = main.client(app=app, token_cache_dir=cache)
    assert second.quote("NASD", "AAPL").last is not None
    assert (first.stats.token_requests, second.stats.token_requests) == (1, 0)

    stats = run_clients(main, app, cache, count=1)
    assert stats == [{"token_requests": 0, "token": token}]


def test_concurrent_processes_issue_one_token(main: World) -> None:
    """Three processes and eight threads start cold on one cache: exactly one token request."""
    app, cache = main.app(), main.token_dir()
    results: list[int] = []

    def thread() -> None:
        kis = KisClient(ClientConfig(**main.options(app, None, {"token_cache_dir": cache})))
        kis.quote("NASD", "AAPL")
        results.append(kis.stats.token_requests)
        kis.close()

    threads = [threading.Thread(target=thread) for _ in range(8)]
    procs = start_clients(main, app, cache, count=3)
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stats = finish_clients(procs)
    tokens = {s["token"] for s in stats}
    assert len(tokens) == 1
    assert sum(results) + sum(s["token_requests"] for s in stats) == 1


def start_clients(main: World, app: AppCreds, cache: Path, *, count: int) -> list[subprocess.Popen[str]]:
    script = (
        "import json, sys\n"
        "from localkis.client import KisClient\n"
        "kis = KisClient.local(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], env=sys.argv[5],\n"
        "                      token_cache_dir=sys.argv[6], rate_per_second=0)\n"
        "kis.quote('NASD', 'AAPL')\n"
        "print(json.dumps({'token_requests': kis.stats.token_requests, 'token': kis.access_token()}))\n"
    )
    args = [sys.executable, "-c", script, main.base_url, app.appkey, app.appsecret, app.account, app.env.value,
            str(cache)]
    return [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
            for _ in range(count)]


def finish_clients(procs: list[subprocess.Popen[str]]) -> list[dict[str, object]]:
    out = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 0, stderr
        out.append(json.loads(stdout))
    return out


def run_clients(main: World, app: AppCreds, cache: Path, *, count: int) -> list[dict[str, object]]:
    return finish_clients(start_clients(main, app, cache, count=count))


# --------------------------------------------------------------------------------------------------
# expiry: the `clocked` server's clock is moved; the client gets a clock moved the same way


def fresh_clock(world: World) -> None:
    world.admin.clock(time=datetime.now(UTC).isoformat())


def test_reissued_once_on_egw00123(reissuing: World) -> None:
    fresh_clock(reissuing)
    now, shift = shifted_clock()
    with Proxy(reissuing.base_url) as proxy:
        kis = KisClient(ClientConfig(**reissuing.options(reissuing.app(), proxy.base_url, {})), clock=now)
        old = kis.access_token()
        shift(70)  # a little over a minute later for the client: its cached token still looks valid
        reissuing.admin.clock(advance_seconds=25 * 3600)  # … but the server says it expired
        assert kis.quote("NASD", "AAPL").last is not None
        assert kis.stats.token_reissues == 1 and kis.stats.token_requests == 2
        price_calls = [s for s in proxy.seen if s.path.endswith("/price")]
        assert len(price_calls) == 2 and price_calls[0].headers["authorization"] == f"Bearer {old}"
        assert price_calls[1].headers["authorization"] != f"Bearer {old}"
        kis.close()
    fresh_clock(reissuing)


def test_reissue_waits_for_the_one_minute_window(reissuing: World) -> None:
    fresh_clock(reissuing)
    now, shift = shifted_clock()
    kis = KisClient(ClientConfig(**reissuing.options(reissuing.app(), None, {})), clock=now)
    kis.access_token()
    shift(59.3)  # the last token request was 59.3 s ago: 0.7 s to wait
    reissuing.admin.clock(advance_seconds=25 * 3600)
    started = time.monotonic()
    assert kis.quote("NASD", "AAPL").last is not None
    assert 0.6 <= time.monotonic() - started < 3.0
    assert kis.stats.token_requests == 2
    kis.close()
    fresh_clock(reissuing)


def test_reissue_too_far_off_raises_token_issue_limited(clocked: World) -> None:
    fresh_clock(clocked)
    now, shift = shifted_clock()
    with Proxy(clocked.base_url) as proxy:
        kis = KisClient(ClientConfig(**clocked.options(clocked.app(), proxy.base_url, {"token_wait_max": 5.0})),
                        clock=now)
        kis.access_token()
        shift(10)
        clocked.admin.clock(advance_seconds=25 * 3600)
        with pytest.raises(TokenIssueLimited) as caught:
            kis.quote("NASD", "AAPL")
        assert caught.value.http_status is None, "refused by the client"
        assert len(proxy.requests_to("/oauth2/tokenP")) == 1, "no second token request went out"
        kis.close()
    fresh_clock(clocked)


def test_renewed_before_expiry(reissuing: World) -> None:
    fresh_clock(reissuing)
    now, shift = shifted_clock()
    kis = KisClient(ClientConfig(**reissuing.options(reissuing.app(), None, {})), clock=now)
    old = kis.access_token()
    expiry = kis.tokens.token.expires_at if kis.tokens.token else None
    assert expiry is not None
    almost = (expiry - datetime.now(UTC)).total_seconds() - 300  # 5 minutes left: inside the 10-minute margin
    shift(almost)
    reissuing.admin.clock(advance_seconds=almost)
    assert kis.quote("NASD", "AAPL").last is not None
    assert kis.stats.token_requests == 2 and kis.stats.token_reissues == 0, "renewed before KIS refused it"
    assert kis.access_token() != old
    kis.close()
    fresh_clock(reissuing)


def test_memory_only_cache(main: World) -> None:
    app = main.app()
    kis = main.client(app=app, token_cache_dir=None)
    kis.access_token()
    again = main.client(app=app, token_cache_dir=None)  # same process: the keeper is shared
    again.quote("NASD", "AAPL")
    assert again.stats.token_requests == 0
    assert keeper_for(None, main.base_url, app.appkey).path is None
