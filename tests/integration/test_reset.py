"""POST /localkis/admin/reset (issue 16): configured cash, positions, prices and clock come back; orders,
fills, tokens and run-time faults are forgotten; well under a second."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from localkis.protocol.codes import Gateway
from tests.integration.conftest import INSTRUMENTS, World, check_alive, start_world

AAPL = INSTRUMENTS["AAPL"]


@pytest.fixture(scope="module")
def reset_world(tmp_path_factory: pytest.TempPathFactory, backend: str) -> Iterator[World]:
    yield from start_world(tmp_path_factory, "reset", count=4, prefix="7", backend=backend,
                           server={"clock": "2026-11-25T23:45:00+09:00"})


def admin(world: World, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    resp = world.admin.http.request(method, path, json=body)
    assert resp.status_code == 200, resp.text
    answer: dict[str, Any] = resp.json()
    return answer


def test_reset_restores_the_configured_state(reset_world: World) -> None:
    world = check_alive(reset_world)
    client = world.real()  # logs in: a token
    account = client.account
    before = admin(world, "GET", f"/localkis/admin/accounts/{account}")
    placed = [client.placed(AAPL) for _ in range(3)]
    world.admin.fill(placed[0], AAPL.lot, AAPL.price)
    admin(world, "POST", "/localkis/admin/prices", {"exchange": "NASD", "symbol": "AAPL", "price": "150.00"})
    admin(world, "POST", "/localkis/admin/clock", {"advance_seconds": 86400 * 3})
    admin(world, "POST", "/localkis/admin/faults", {"api": "order", "kind": "error", "msg_cd": "EGW00201"})
    assert admin(world, "GET", f"/localkis/admin/accounts/{account}") != before

    answer = admin(world, "POST", "/localkis/admin/reset")
    assert answer["reset"] is True and answer["seconds"] < 1.0

    assert world.admin.orders() == []
    assert admin(world, "GET", f"/localkis/admin/accounts/{account}") == before
    assert admin(world, "GET", "/localkis/admin/faults")["faults"] == []
    assert admin(world, "GET", "/localkis/admin/clock")["now"].startswith("2026-11-25T23:4")
    # The token issued before the reset is gone: KIS's answer to an unknown token.
    stale = client.quote("NAS", "AAPL")
    assert stale.status == 500 and stale.body["msg_cd"] == Gateway.BAD_TOKEN.value
    client.login()
    quote = client.quote("NAS", "AAPL")
    assert quote.body["rt_cd"] == "0" and quote.body["output"]["last"].startswith(AAPL.price.split(".")[0])
    # Order numbers go on rising: one from before the reset never names a new order.
    assert client.placed(AAPL) > placed[-1]


def test_reset_with_many_orders_is_well_under_a_second(reset_world: World) -> None:
    world = check_alive(reset_world)
    kis = world.real()
    for _ in range(300):
        kis.placed(AAPL)
    started = time.monotonic()
    answer = admin(world, "POST", "/localkis/admin/reset")
    elapsed = time.monotonic() - started
    assert world.admin.orders() == []
    assert answer["seconds"] < 0.5 and elapsed < 1.0, (answer, elapsed)


def test_cli_reset(reset_world: World) -> None:
    world = check_alive(reset_world)
    world.real().placed(AAPL)
    done = subprocess.run([sys.executable, "-m", "localkis", "reset", "--url", world.server.base_url,
                           "--admin-token", world.server.admin_token], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("reset in "), done.stderr
    assert world.admin.orders() == []
