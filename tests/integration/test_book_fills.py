"""Fills that follow the book (`[market] arrival_fills = "book"`): a marketable order walks the displayed
opposite side level by level, up to each level's size; what its limit does not reach rests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from localkis.domain.bars import Interval
from localkis.domain.book import BookParams
from localkis.domain.hours import MarketHours
from localkis.domain.instruments import Instrument
from localkis.domain.orders import NewOrder, Order
from localkis.engine.desk import Desk, DeskSettings
from localkis.protocol.env import Env
from localkis.protocol.exchanges import Exchange
from localkis.protocol.orders import Side
from localkis.store import open_store
from localkis.store.base import Store
from tests.pg import fresh_database

E = Exchange.NASD
AAPL = Instrument(E, "AAPL", "애플", Decimal("190"), None, "APPLE INC", False)
NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
ACCOUNT = "12345678-01"
PARAMS = BookParams(levels=10, spread_ticks=2, size=100)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        s = open_store(f"sqlite:///{tmp_path / 'book.db'}")
        yield s
        s.close()
    else:
        with fresh_database() as url:
            s = open_store(url)
            yield s
            s.close()


def _desk(store: Store) -> Desk:
    desk = Desk(store, MarketHours(date(2026, 11, 25), date(2026, 12, 10)), [AAPL],
                DeskSettings(branch="01790", enforce_hours=False, book=PARAMS))
    with store.transaction() as tx:
        desk.open_account(ACCOUNT, {"USD": Decimal(1_000_000)}, [], NOW)(tx)
    return desk


def _buy(store: Store, desk: Desk, quantity: int, limit: Decimal) -> Order:
    with store.transaction() as tx:
        return desk.place(NewOrder(ACCOUNT, Env.REAL, E, "AAPL", Side.BUY, "00", quantity, limit, "TTTT1002U"),
                          NOW)(tx)


def test_a_marketable_order_walks_three_levels_of_the_book(store: Store) -> None:
    desk = _desk(store)
    asks = desk.book(AAPL, PARAMS, NOW).asks
    assert [a.size for a in asks[:3]] == [100, 100, 100]
    order = _buy(store, desk, 250, asks[5].price)  # marketable through six levels, needs three
    assert (order.filled, order.open_quantity) == (250, 0)
    expected = 100 * asks[0].price + 100 * asks[1].price + 50 * asks[2].price
    assert order.filled_amount == expected  # what the bot saw is what it got
    with store.read() as tx:
        (day,) = tx.bars(E, "AAPL", Interval.DAY)
        funds = tx.account_funds(ACCOUNT)["USD"]
    assert (day.volume, day.high, day.close) == (250, asks[2].price, asks[2].price)
    assert funds.cash == Decimal(1_000_000) - expected


def test_what_the_limit_does_not_reach_rests(store: Store) -> None:
    desk = _desk(store)
    asks = desk.book(AAPL, PARAMS, NOW).asks
    order = _buy(store, desk, 300, asks[1].price)
    assert (order.filled, order.open_quantity) == (200, 100)
    assert order.is_live
    below = _buy(store, desk, 10, asks[0].price - Decimal("0.01"))  # crosses nothing displayed
    assert below.filled == 0
