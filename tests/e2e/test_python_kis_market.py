"""python-kis 2.1.6 as a new user tries it: `kis.stock("AAPL")` with no market, its quote, daily and minute
charts and order book, `kis.account().balance()` and `.pending_orders()` with no country — against a
localkis server, host redirected, websocket off. The numbers agree with prints made through the admin API."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from pykis import PyKis

from .conftest import SYMBOL, HttpLog, KisWorld
from .test_python_kis import _point_pykis_at, _real_kis, _virtual_kis

pytestmark = pytest.mark.e2e


@pytest.fixture
def kis_url(world: KisWorld, http_log: HttpLog, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    _point_pykis_at(monkeypatch, world.base_url)
    yield world.base_url


def _print(world: KisWorld, price: str, size: int) -> None:
    with world.server.client(headers={"Authorization": f"Bearer {world.server.admin_token}"}) as admin:
        resp = admin.post("/localkis/admin/prices", json={"exchange": "NASD", "symbol": SYMBOL, "price": price,
                                                          "size": size})
        assert resp.status_code == 200, resp.text


def _no_errors(http_log: HttpLog) -> None:
    bad = [(c.path, c.status, c.response_text[:200]) for c in http_log if c.status != 200]
    assert not bad, bad


@pytest.mark.parametrize("virtual", [False, True], ids=["real", "virtual"])
def test_a_new_user_reads_market_data(world: KisWorld, kis_url: str, http_log: HttpLog, virtual: bool) -> None:
    _print(world, "190.00", 7)  # on the configured price: fills nothing the order tests leave resting
    kis: PyKis = _virtual_kis(world) if virtual else _real_kis(world)
    try:
        stock = kis.stock(SYMBOL)  # no market: python-kis probes domestic, then overseas quotes
        assert stock.symbol == SYMBOL and stock.market == "NASDAQ"

        quote = stock.quote()
        assert quote.price == Decimal("190.00")
        assert quote.volume >= 7

        daily = stock.chart("1y")  # dailyprice, paged back a year
        assert len(daily.bars) >= 240
        assert daily.bars[-1].close == Decimal("190.00") and daily.bars[-1].volume >= 7
        days = [b.time.date() for b in daily.bars]
        assert days == sorted(days) and len(days) == len(set(days))

        weekly = stock.chart("1y", period="week")
        assert 45 <= len(weekly.bars) <= 60

        minutes = stock.chart(period=1)  # today's 1-minute bars: the minute chart, paged
        assert minutes.bars and minutes.bars[-1].close == Decimal("190.00")

        book = stock.orderbook()
        assert len(book.asks) == 10 and len(book.bids) == 10
        assert book.bids[0].price < book.asks[0].price
        assert all(level.volume > 0 for level in (*book.asks, *book.bids))

        account = kis.account()
        balance = account.balance()  # domestic balance first, then the overseas ones
        assert balance is not None
        pending = account.pending_orders()  # real mode: the domestic revisable orders too
        assert pending is not None
    finally:
        kis.close()
    _no_errors(http_log)
