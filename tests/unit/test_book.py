"""The in-memory book and the in-process replay path give exactly what the store path gives.

The reference is the server's path: every tick in its own store transaction running
`FillEngine.on_trade` over every live order of the instrument. `BookTrader` answers non-crossing
ticks from memory and narrows the candidates of crossing ones; the orders, fills, cash, positions and
last trades it leaves must be identical.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from localkis.domain import orders
from localkis.domain.accounts import Position
from localkis.domain.hours import MarketHours
from localkis.engine.book import Book, BookTrader, UnknownInstrument, replay_in_process
from localkis.engine.fills import Fill, FillEngine
from localkis.engine.sources import Tick
from localkis.protocol.env import Env
from localkis.protocol.exchanges import Exchange
from localkis.protocol.orders import Side
from localkis.store.base import Transaction
from localkis.store.sqlite import SqliteStore
from tests.records import place

D = Decimal
E = Exchange
START = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)  # 07:00 New York, before the pre-market
ACCOUNTS = ["80000001-01", "80000002-01", "80000003-01"]
SHORT = "80000009-01"  # holds fewer shares than it has on sale: its sells cannot fill
INSTRUMENTS = [(E.NASD, "AAA"), (E.NASD, "BBB"), (E.NASD, "AUC"), (E.SEHK, "00700")]
MID = {"AAA": D("100.00"), "BBB": D("20.00"), "AUC": D("50.00"), "00700": D("600.0")}
TICK = {"AAA": D("0.01"), "BBB": D("0.01"), "AUC": D("0.01"), "00700": D("0.5")}


@pytest.fixture(scope="module")
def hours() -> MarketHours:
    return MarketHours(date(2026, 10, 1), date(2027, 1, 31))


def insert(tx: Transaction, account: str, exchange: Exchange, symbol: str, side: Side, qty: int, price: Decimal,
           order_type: str = "00") -> None:
    command = orders.NewOrder(account=account, env=Env.REAL, exchange=exchange, symbol=symbol, side=side,
                              order_type=order_type, quantity=qty, price=price, tr_id="TTTT1002U")
    tx.insert_order(place(command, tx.next_order_no(), START - timedelta(hours=1), "01790"), "20261124")


def preload(store: SqliteStore, seed: int) -> None:
    rng = random.Random(seed)
    at = START - timedelta(hours=2)
    with store.transaction() as tx:
        for number in ACCOUNTS:
            tx.ensure_account(number, {"USD": D("10000000"), "HKD": D("100000000")},
                              [(e, s, Position(100_000, MID[s])) for e, s in INSTRUMENTS], at)
        tx.ensure_account(SHORT, {"USD": D("1000")}, [(E.NASD, "AAA", Position(5, D("90")))], at)
        for exchange, symbol in INSTRUMENTS:
            lot = 100 if exchange is E.SEHK else 1
            for _ in range(40):
                side = rng.choice([Side.BUY, Side.SELL])
                ticks_away = rng.randint(1, 60)
                price = MID[symbol] + (-1 if side is Side.BUY else 1) * ticks_away * TICK[symbol]
                insert(tx, rng.choice(ACCOUNTS), exchange, symbol, side, lot * rng.randint(1, 20), price)
        insert(tx, SHORT, E.NASD, "AAA", Side.SELL, 10, D("100.05"))  # only 5 held
        # US auction orders (MOO/LOO/MOC/LOC) fill at session changes, never on ordinary prints.
        for side, order_type, price in ((Side.BUY, "32", D("50.10")), (Side.BUY, "34", D("49.00")),
                                        (Side.SELL, "31", D("0")), (Side.SELL, "33", D("0"))):
            insert(tx, ACCOUNTS[0], E.NASD, "AUC", side, 7, price, order_type)


def make_ticks(seed: int, count: int = 600) -> list[Tick]:
    """Random walks around the middles over two days (pre-market, regular, after-hours, closed)."""
    rng = random.Random(seed)
    prices = dict(MID)
    out = []
    for i in range(count):
        exchange, symbol = rng.choice(INSTRUMENTS)
        prices[symbol] = max(TICK[symbol], prices[symbol] + rng.randint(-12, 12) * TICK[symbol])
        size = None if rng.random() < 0.1 else (100 if exchange is E.SEHK else 1) * rng.randint(1, 40)
        out.append(Tick(exchange, symbol, prices[symbol], size, START + timedelta(minutes=5 * i)))
    return out


def state(store: SqliteStore) -> tuple[object, ...]:
    with store.read() as tx:
        cash = {n: tx.account_funds(n) for n in [*ACCOUNTS, SHORT]}
        positions = {n: tx.holdings(n) for n in [*ACCOUNTS, SHORT]}
        ledger = {n: tx.ledger_totals(n) for n in [*ACCOUNTS, SHORT]}
        lasts = sorted(tx.last_trades(), key=lambda t: (t.exchange.value, t.symbol))
    return list(store.all_orders()), cash, positions, ledger, lasts


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[tuple[SqliteStore, SqliteStore]]:
    a, b = SqliteStore(tmp_path / "reference.db"), SqliteStore(tmp_path / "book.db")
    yield a, b
    a.close()
    b.close()


@pytest.mark.parametrize("batch", [1, 7])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_book_path_equals_the_store_path(hours: MarketHours, stores: tuple[SqliteStore, SqliteStore],
                                         seed: int, batch: int) -> None:
    reference, booked = stores
    preload(reference, seed)
    preload(booked, seed)
    ticks = make_ticks(seed)
    engine = FillEngine(hours)

    expected: list[list[Fill]] = []
    for t in ticks:
        with reference.transaction() as tx:
            expected.append(engine.on_trade(tx, t.exchange, t.symbol, t.price, t.size, t.at))

    got: list[list[Fill]] = []
    with BookTrader.open(booked, engine, INSTRUMENTS, batch=batch) as trader:
        for t in ticks:
            got.append(list(trader.trade_tick(t)))
        assert trader.stats.ticks == len(ticks)
        assert 0 < trader.stats.store_ticks < len(ticks) - 150  # many ticks never touched the store

    assert got == expected
    assert sum(len(f) for f in expected) > 20  # the scenario does fill things
    assert any(t.symbol == "AUC" and f for t, f in zip(ticks, expected, strict=True))  # auctions happened
    assert state(booked) == state(reference)


def test_fast_ticks_keep_the_last_trade_in_memory_until_flush(hours: MarketHours, tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    preload(store, 5)
    trader = BookTrader.open(store, FillEngine(hours), INSTRUMENTS)
    best_buy, best_sell = trader.book.best(E.NASD, "BBB")
    assert best_buy is not None and best_sell is not None and best_buy < best_sell
    inside = best_buy + D("0.01")
    assert not trader.book.crosses(E.NASD, "BBB", inside)
    at = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # regular session
    assert trader.trade(E.NASD, "BBB", inside, 3, at) == ()
    assert trader.stats.store_ticks == 0
    with store.read() as tx:
        assert tx.last_trade(E.NASD, "BBB") is None
    assert trader.flush() == 1
    with store.read() as tx:
        last = tx.last_trade(E.NASD, "BBB")
    assert last is not None
    assert (last.price, last.size_left, last.at, last.session_date, last.regular_price, last.regular_date) == (
        inside, 3, at, "20261125", inside, "20261125")
    assert trader.flush() == 0
    store.close()


def test_unknown_instrument(hours: MarketHours, tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    trader = BookTrader.open(store, FillEngine(hours), INSTRUMENTS)
    with pytest.raises(UnknownInstrument):
        trader.trade(E.NASD, "ZZZ", D("1"), None, START)
    store.close()


def test_put_follows_orders_of_this_process(hours: MarketHours, tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    book = Book.from_store(store, INSTRUMENTS)
    assert book.best(E.NASD, "AAA") == (None, None)
    command = orders.NewOrder(account=ACCOUNTS[0], env=Env.REAL, exchange=E.NASD, symbol="AAA", side=Side.BUY,
                              order_type="00", quantity=5, price=D("99.00"), tr_id="TTTT1002U")
    order = place(command, "0000000001", START, "01790")
    book.put(order)
    assert book.best(E.NASD, "AAA") == (D("99.00"), None)
    assert book.crosses(E.NASD, "AAA", D("99.00")) and not book.crosses(E.NASD, "AAA", D("99.01"))
    book.put(orders.fill(order, 5, D("99.00")))  # filled: gone
    assert book.best(E.NASD, "AAA") == (None, None)
    store.close()


class FailingEngine(FillEngine):
    """Fails on the n-th trade it runs."""

    def __init__(self, hours: MarketHours, fail_at: int) -> None:
        super().__init__(hours)
        self.calls = 0
        self.fail_at = fail_at

    def on_trade(self, tx: Transaction, exchange: Exchange, symbol: str, price: Decimal, size: int | None,
                 at: datetime) -> list[Fill]:
        self.calls += 1
        if self.calls == self.fail_at:
            raise RuntimeError("disk on fire")
        return super().on_trade(tx, exchange, symbol, price, size, at)


def test_a_failure_rolls_back_the_group_and_reloads_the_book(hours: MarketHours, tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    preload(store, 9)
    before = state(store)
    trader = BookTrader.open(store, FailingEngine(hours, fail_at=3), INSTRUMENTS, batch=10)
    at = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
    for symbol in ("AAA", "BBB"):  # two crossing trades that fill, in one open group
        best_buy, _ = trader.book.best(E.NASD, symbol)
        assert best_buy is not None
        assert trader.trade(E.NASD, symbol, best_buy, None, at)
    best_buy, _ = trader.book.best(E.NASD, "AAA")
    assert best_buy is not None
    with pytest.raises(RuntimeError, match="disk on fire"):
        trader.trade(E.NASD, "AAA", best_buy, None, at)
    assert state(store) == before  # the group's fills are gone from the store…
    assert trader.book.best(E.NASD, "AAA") == Book.from_store(store, INSTRUMENTS).best(E.NASD, "AAA")  # …and the book
    store.close()


def test_replay_in_process_flushes(hours: MarketHours, tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    preload(store, 4)
    ticks = make_ticks(4, 50)
    stats = replay_in_process(BookTrader.open(store, FillEngine(hours), INSTRUMENTS), ticks)
    assert stats.ticks == 50
    with store.read() as tx:
        lasts = {(t.exchange, t.symbol): t.price for t in tx.last_trades()}
    final = {(t.exchange, t.symbol): t.price for t in ticks}
    assert lasts == final
    store.close()
