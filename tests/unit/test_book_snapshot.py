"""The order book loaded from the store: the resting limits of localkis's accounts, summed per price,
merged into the synthetic depth around the last print; read by one walk of the crossing index."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from localkis.domain.book import BookParams, Level
from localkis.domain.instruments import Instrument
from localkis.domain.orders import NewOrder
from localkis.engine.marketdata import book_snapshot
from localkis.protocol.env import Env
from localkis.protocol.exchanges import Exchange
from localkis.protocol.orders import OrderType, Side
from localkis.store.base import LastTrade
from localkis.store.sqlite import SqliteStore
from tests.records import place
from tests.unit.test_store_sqlite import PlanRecorder

D = Decimal
NOW = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)
AAPL = Instrument(Exchange.NASD, "AAPL", "애플", D("190.00"))


def rest(store: SqliteStore, side: Side, price: str, quantity: int, order_type: OrderType = OrderType.LIMIT) -> None:
    with store.transaction() as tx:
        command = NewOrder("12345678-01", Env.REAL, Exchange.NASD, "AAPL", side, order_type.value, quantity, D(price),
                           "TTTT1002U")
        tx.insert_order(place(command, tx.next_order_no(), NOW), "20260303")


def test_resting_limits_are_summed_per_price_and_merged_with_the_synthetic_depth(store: SqliteStore) -> None:
    rest(store, Side.BUY, "189.98", 5)
    rest(store, Side.BUY, "189.98", 7)
    rest(store, Side.BUY, "180.00", 3)  # beyond the third level: not shown
    rest(store, Side.SELL, "190.05", 4)
    rest(store, Side.SELL, "0", 9, OrderType.MOC)  # an auction order is not in the book
    with store.read() as tx:
        book = book_snapshot(tx, AAPL, BookParams(levels=3, spread_ticks=2, size=100), NOW)
    assert book.bids == (Level(D("189.99"), 100), Level(D("189.98"), 112), Level(D("189.97"), 100))
    assert book.asks == (Level(D("190.01"), 100), Level(D("190.02"), 100), Level(D("190.03"), 100))


def test_the_book_follows_the_last_print(store: SqliteStore) -> None:
    with store.transaction() as tx:
        tx.set_last_trade(LastTrade(Exchange.NASD, "AAPL", D("200.00"), None, NOW, "20260303", None, ""))
    with store.read() as tx:
        book = book_snapshot(tx, AAPL, BookParams(levels=1), NOW)
    assert (book.best_bid, book.best_ask) == (Level(D("199.99"), 100), Level(D("200.01"), 100))


def test_book_levels_walk_the_crossing_index(store: SqliteStore) -> None:
    with store.transaction() as tx:
        recorder = PlanRecorder(tx._conn)
        tx._conn = recorder
        tx.book_levels(Exchange.NASD, "AAPL", Side.BUY, 10)
        tx.book_levels(Exchange.NASD, "AAPL", Side.SELL, 10)
    for _, detail in recorder.plans:
        assert "orders_crossing" in detail and "TEMP B-TREE" not in detail, detail
