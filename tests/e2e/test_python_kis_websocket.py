"""python-kis 2.1.6 with its WebSocket ON against a real localkis server: only the KIS hosts are redirected
(`pykis.kis.*_DOMAIN` for REST, `pykis.client.websocket.WEBSOCKET_*_DOMAIN` for the socket).

- `account.on("execution", …)` receives the fill of an order python-kis placed, after a price print
  crosses it (the app's notice layout is 21 fields: python-kis 2.1.x parses no other);
- `stock.on("price", …)` receives the prints set through the admin API.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pykis.__env__
import pykis.client.websocket
import pykis.kis
import pytest
from pykis import PyKis

from tests.serverproc import RunningServer, make_appkey, make_appsecret, running_server

pytestmark = pytest.mark.e2e

HTS_ID = "lkpykis1"
ACCOUNT = "12345678-01"


MOCK_ACCOUNT = "50012345-01"
MOCK_APP = (make_appkey(), make_appsecret())


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningServer, str, str]]:
    token, appkey, appsecret = secrets.token_hex(12), make_appkey(), make_appsecret()
    config = "\n".join([
        "[server]", 'market_hours = "ignore"', "rate_limits = false", "token_issue_limit = false",
        f'admin_token = "{token}"', "",
        "[[apps]]", f'appkey = "{appkey}"', f'appsecret = "{appsecret}"', 'env = "real"',
        f'accounts = ["{ACCOUNT}"]', f'hts_id = "{HTS_ID}"', "notice_fields = 21", "",
        "[[apps]]", f'appkey = "{MOCK_APP[0]}"', f'appsecret = "{MOCK_APP[1]}"', 'env = "mock"',
        f'accounts = ["{MOCK_ACCOUNT}"]', f'hts_id = "{HTS_ID}"', "notice_fields = 21", "",
        "[[accounts]]", f'number = "{ACCOUNT}"', 'cash = { USD = "100000.00" }', "",
        "[[accounts]]", f'number = "{MOCK_ACCOUNT}"', 'cash = { USD = "100000.00" }', "",
        "[[instruments]]", 'exchange = "NASD"', 'symbol = "AAPL"', 'name = "애플"', 'price = "190.00"', "",
    ])
    with running_server(config, tmp_path_factory.mktemp("pykis-ws"), admin_token=token) as running:
        yield running, appkey, appsecret


@pytest.fixture
def kis(server: tuple[RunningServer, str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[PyKis]:
    running, appkey, appsecret = server
    base, ws = running.base_url, running.base_url.replace("http://", "ws://")
    for module in (pykis.kis, pykis.__env__):
        monkeypatch.setattr(module, "REAL_DOMAIN", base)
        monkeypatch.setattr(module, "VIRTUAL_DOMAIN", base)
    monkeypatch.setattr(pykis.client.websocket, "WEBSOCKET_REAL_DOMAIN", ws)
    monkeypatch.setattr(pykis.client.websocket, "WEBSOCKET_VIRTUAL_DOMAIN", ws)
    client = PyKis(id=HTS_ID, account=ACCOUNT, appkey=appkey, secretkey=appsecret, keep_token=False)
    yield client
    client.websocket.disconnect()


def _print(server: RunningServer, price: str, size: int | None = None) -> None:
    body: dict[str, Any] = {"exchange": "NASD", "symbol": "AAPL", "price": price}
    if size is not None:
        body["size"] = size
    r = httpx.post(server.base_url + "/localkis/admin/prices", json=body, timeout=10,
                   headers={"authorization": f"Bearer {server.admin_token}"})
    assert r.status_code == 200, r.text


def test_account_execution_notices(kis: PyKis, server: tuple[RunningServer, str, str]) -> None:
    running = server[0]
    received: list[Any] = []
    filled = threading.Event()

    def on_execution(_: Any, event: Any) -> None:
        received.append(event.response)
        if event.response.executed_quantity > 0:
            filled.set()

    account = kis.account()
    ticket = account.on("execution", on_execution)
    time.sleep(2)  # python-kis subscribes on its socket thread; a notice before that is not for it
    try:
        order = account.buy("NASDAQ", "AAPL", price=Decimal("150.00"), qty=3)
        _print(running, "149.00", size=2)  # crosses the buy: 2 filled at its limit
        assert filled.wait(20), f"no fill notice; got {received!r}\n{running.log()[-3000:]}"
    finally:
        ticket.unsubscribe()
    fill = next(r for r in received if r.executed_quantity > 0)
    assert fill.order_number.number == order.number or int(fill.order_number.number) == int(order.number)
    assert (fill.symbol, fill.market, fill.executed_quantity, fill.price) == ("AAPL", "NASDAQ", 2,
                                                                              Decimal("150.00"))
    assert fill.type == "buy"


def test_stock_price_events(kis: PyKis, server: tuple[RunningServer, str, str]) -> None:
    running = server[0]
    prices: list[Any] = []
    got = threading.Event()

    def on_price(_: Any, event: Any) -> None:
        prices.append(event.response)
        got.set()

    stock = kis.stock("AAPL", market="NASDAQ")
    ticket = stock.on("price", on_price)
    try:
        for _ in range(40):  # python-kis subscribes asynchronously: print until a price arrives
            _print(running, "191.50", size=5)
            if got.wait(0.5):
                break
        assert got.is_set(), f"no price event\n{running.log()[-3000:]}"
    finally:
        ticket.unsubscribe()
    price = prices[-1]
    assert (price.symbol, price.price) == ("AAPL", Decimal("191.50"))
    assert price.volume >= 5  # the day's volume (TVOL) on the tape


def test_virtual_mode_execution_notices(server: tuple[RunningServer, str, str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """python-kis virtual mode: it subscribes H0GSCNI9 on its real app's socket; the mock account's notices
    reach it there, as both apps share the HTS id (one user)."""
    running, appkey, appsecret = server
    base, ws = running.base_url, running.base_url.replace("http://", "ws://")
    for module in (pykis.kis, pykis.__env__):
        monkeypatch.setattr(module, "REAL_DOMAIN", base)
        monkeypatch.setattr(module, "VIRTUAL_DOMAIN", base)
    monkeypatch.setattr(pykis.client.websocket, "WEBSOCKET_REAL_DOMAIN", ws)
    monkeypatch.setattr(pykis.client.websocket, "WEBSOCKET_VIRTUAL_DOMAIN", ws)
    vkis = PyKis(id=HTS_ID, account=MOCK_ACCOUNT, appkey=appkey, secretkey=appsecret, virtual_id=HTS_ID,
                 virtual_appkey=MOCK_APP[0], virtual_secretkey=MOCK_APP[1], keep_token=False)
    received: list[Any] = []
    filled = threading.Event()

    def on_execution(_: Any, event: Any) -> None:
        received.append(event.response)
        if event.response.executed_quantity > 0:
            filled.set()

    try:
        account = vkis.account()
        ticket = account.on("execution", on_execution)
        time.sleep(2)  # python-kis subscribes on its socket threads; a notice before that is not for it
        try:
            order = account.buy("NASDAQ", "AAPL", price=Decimal("140.00"), qty=1)
            _print(running, "139.00")  # no size: fills every buy it crosses (an earlier test left one)
            assert filled.wait(20), f"no fill notice; got {received!r}\n{running.log()[-3000:]}"
        finally:
            ticket.unsubscribe()
    finally:
        vkis.websocket.disconnect()
    fill = next(r for r in received if r.executed_quantity > 0)
    assert int(fill.order_number.number) == int(order.number) and fill.executed_quantity == 1
