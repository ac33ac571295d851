"""Determinism: the shipped sample tick file replayed against two fresh servers makes the same fills.

Both servers start empty, freeze their clocks at the same instant, take the same resting orders over
KIS HTTP, then `localkis replay sample --speed max` (the CLI, through the admin prices API). Their
order books (GET /localkis/admin/orders) and accounts must then be identical, field for field.
The random walk gets the same treatment: same seed, same clock moves → same prices.
"""

from __future__ import annotations

import secrets
import time
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from localkis.engine.sources import RandomWalk, WalkSpec, snap_to_tick
from localkis.protocol import codes
from localkis.protocol.exchanges import Exchange
from localkis.protocol.orders import Side
from tests.integration.conftest import Kis, database, expect_order_ok
from tests.integration.simulator import app, cli, config_text, sample_ticks
from tests.serverproc import RunningServer, running_server

FROZEN_AT = "2026-11-25T23:45:00+09:00"  # 09:45 New York
# Per symbol: (big, mid, small) order quantities, multiples of the board lot.
QUANTITIES = {"AAPL": (600, 120, 40), "TSLA": (1000, 120, 40), "00700": (3000, 300, 100),
              "00005": (12000, 1200, 400)}


def resting_orders() -> list[tuple[str, str, Side, int, str]]:
    """(exchange, symbol, side, quantity, limit) per symbol of the sample: buys at its lowest price, at the
    30% and 50% quantiles of its prices (big, mid, small quantity), sells at the highest, 70% and 50%, and
    one buy below every price (it never fills). All limits are on tick (prices of the file or snapped)."""
    ticks = sample_ticks()
    out = []
    for symbol, (big, mid, small) in QUANTITIES.items():
        prices = sorted(t.price for t in ticks if t.symbol == symbol)
        exchange = next(t.exchange for t in ticks if t.symbol == symbol)

        def at(q: float, prices: list[Decimal] = prices) -> str:
            return str(prices[round(q * (len(prices) - 1))])

        out += [(exchange.value, symbol, Side.BUY, big, at(0)), (exchange.value, symbol, Side.BUY, mid, at(0.3)),
                (exchange.value, symbol, Side.BUY, small, at(0.5)),
                (exchange.value, symbol, Side.SELL, big, at(1)), (exchange.value, symbol, Side.SELL, mid, at(0.7)),
                (exchange.value, symbol, Side.SELL, small, at(0.5)),
                (exchange.value, symbol, Side.BUY, small, str(snap_to_tick(exchange, prices[0] * Decimal("0.9"))))]
    return out


def admin_get(server: RunningServer, path: str) -> Any:
    resp = httpx.get(server.base_url + path, headers={"Authorization": f"Bearer {server.admin_token}"}, timeout=10)
    assert resp.status_code == 200, resp.text
    return resp.json()


def run_once(server: RunningServer, kis: Kis) -> tuple[Any, Any]:
    admin = {"Authorization": f"Bearer {server.admin_token}"}
    resp = httpx.post(server.base_url + "/localkis/admin/clock", json={"time": FROZEN_AT, "frozen": True},
                      headers=admin, timeout=10)
    assert resp.status_code == 200, resp.text
    kis.login()
    for exchange, symbol, side, qty, limit in resting_orders():
        ok = codes.ORDER_BUY_OK if side is Side.BUY else codes.ORDER_SELL_OK
        expect_order_ok(kis.order(exchange, symbol, qty, limit, side=side), ok.for_env(kis.env))
    result = cli("replay", "sample", "--speed", "max", "--url", server.base_url, f"--admin-token={server.admin_token}")
    assert result.code == 0, result.err
    assert f"replayed {len(sample_ticks())} ticks" in result.out
    return admin_get(server, "/localkis/admin/orders")["orders"], admin_get(server, "/localkis/admin/accounts")


def test_replaying_the_sample_twice_gives_the_same_fills(tmp_path: Path, backend: str) -> None:
    runs = []
    for n in range(2):
        creds = app()
        token = secrets.token_urlsafe(16)
        workdir = tmp_path / f"server{n}"
        workdir.mkdir()
        with database(backend, workdir) as db_url, \
                running_server(config_text(creds, token), workdir, admin_token=token, db_url=db_url) as server:
            kis = Kis(server, creds)
            try:
                runs.append(run_once(server, kis))
            finally:
                kis.http.close()
            assert "Traceback" not in server.log()

    (orders_a, accounts_a), (orders_b, accounts_b) = runs
    assert orders_a == orders_b
    assert accounts_a == accounts_b
    # The scenario is not vacuous: whole fills, partial fills and untouched orders all occur.
    assert len(orders_a) == len(resting_orders())
    states = {o["state"] for o in orders_a}
    assert {"filled", "partially_filled", "open"} <= states, states
    assert sum(o["filled"] for o in orders_a) > 0
    for o in orders_a:
        assert o["filled"] + o["open"] + o["cancelled"] + o["revised_away"] == o["quantity"]


def quote(kis: Kis) -> Decimal:
    reply = kis.quote("NAS", "AAPL")
    assert reply.status == 200, reply
    return Decimal(reply.body["output"]["last"])


def test_random_walk_is_reproducible_on_the_server_clock(tmp_path: Path) -> None:
    """Same seed, same clock moves → the same prices, equal to the walk computed here."""
    engine = """
[engine]
source = "random_walk"
seed = 11
interval_seconds = 60
volatility = 0.01
symbols = ["NASD:AAPL"]
"""
    start = Decimal("270.35")  # the shipped list's AAPL
    expected = RandomWalk([WalkSpec(Exchange.NASD, "AAPL", 0.01)], seed=11).path(Exchange.NASD, "AAPL", start, 5)
    with ExitStack() as stack:
        clients = []
        for n in range(2):
            creds = app()
            token = secrets.token_urlsafe(16)
            server = stack.enter_context(running_server(config_text(creds, token, engine=engine),
                                                        tmp_path / f"walk{n}", admin_token=token))
            admin = {"Authorization": f"Bearer {token}"}
            # Frozen in the past: no step is due (the first would be 60 s after start-up).
            resp = httpx.post(server.base_url + "/localkis/admin/clock",
                              json={"time": "2026-01-05T15:00:00+00:00", "frozen": True}, headers=admin, timeout=10)
            assert resp.status_code == 200, resp.text
            kis = Kis(server, creds).login()
            stack.callback(kis.http.close)
            clients.append((server, kis, admin))

        time.sleep(0.6)  # more than the walk's polling period: a frozen clock moves nothing
        assert [quote(kis) for _, kis, _ in clients] == [start, start]

        for server, _, admin in clients:
            resp = httpx.post(server.base_url + "/localkis/admin/clock", json={"advance_seconds": 300},
                              headers=admin, timeout=10)
            assert resp.status_code == 200, resp.text
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(quote(kis) != expected[-1] for _, kis, _ in clients):
            time.sleep(0.1)
        assert [quote(kis) for _, kis, _ in clients] == [expected[-1], expected[-1]]
        for server, _, _ in clients:
            assert "Traceback" not in server.log()


def test_random_walk_refuses_several_workers(tmp_path: Path) -> None:
    creds = app()
    config = tmp_path / "localkis.toml"
    config.write_text(config_text(creds, "t" * 20, engine='[engine]\nsource = "random_walk"\n'), encoding="utf-8")
    result = cli("serve", "--config", str(config), "--db", f"sqlite:///{tmp_path / 'x.db'}", "--workers", "2",
                 cwd=tmp_path, timeout=60)
    assert result.code == 2
    assert "use --workers 1" in result.err
