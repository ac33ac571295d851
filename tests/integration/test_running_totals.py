"""The store's running totals (reserved cash per account × currency, pending sells per account ×
instrument) against a full recomputation from the live orders, after every step of random storms of
place / revise / cancel / fill / print / deposit / position changes, on SQLite and on PostgreSQL.

The totals are what buying-power and sellable checks read (O(1) in the book); the recomputation applies
the same rule (`domain.accounts.holds`) to every live order, as nothing on a request's path does."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from localkis.domain.accounts import Position, currency_of, holds
from localkis.domain.errors import BusinessError
from localkis.domain.hours import MarketHours
from localkis.domain.instruments import Instrument
from localkis.domain.orders import FillError, NewOrder, Order, RevisionRequest
from localkis.engine.desk import Desk, DeskSettings, Work
from localkis.protocol.env import Env
from localkis.protocol.exchanges import Exchange
from localkis.protocol.orders import RevisionKind, Side
from localkis.store import open_store
from localkis.store.base import Store
from tests.pg import fresh_database

D = Decimal
NOW = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)  # a Tuesday, 10:00 in New York
ACCOUNTS = ("11111111-01", "22222222-01")
INSTRUMENTS = (
    Instrument(Exchange.NASD, "AAPL", "애플", D("100.00")),
    Instrument(Exchange.NASD, "TSLA", "테슬라", D("50.00")),
    Instrument(Exchange.SEHK, "00700", "텐센트", D("300.0"), lot_size=100),
)
TICK = {"AAPL": D("0.01"), "TSLA": D("0.01"), "00700": D("0.2")}
LOT = {"AAPL": 1, "TSLA": 1, "00700": 100}
HOURS = MarketHours(date(2026, 3, 1), date(2026, 3, 10))

prices = st.integers(-20, 20)
quantities = st.integers(1, 6)


def check_totals(store: Store) -> None:
    """Every account's running totals equal Σ holds(o) over its live orders."""
    with store.read() as tx:
        reserved: dict[tuple[str, str], Decimal] = {}
        pending: dict[tuple[str, Exchange, str], int] = {}
        for order in tx.live_orders():
            held = holds(order)
            key = (order.account, currency_of(order))
            reserved[key] = reserved.get(key, D(0)) + held.cash
            skey = (order.account, order.exchange, order.symbol)
            pending[skey] = pending.get(skey, 0) + held.shares
        for account in ACCOUNTS:
            for currency, funds in tx.account_funds(account).items():
                assert funds.reserved == reserved.pop((account, currency), D(0)), (account, currency)
                assert funds.available >= 0, (account, currency, funds)
            for exchange, symbol, holding in tx.holdings(account):
                assert holding.pending_sells == pending.pop((account, exchange, symbol), 0), (account, symbol)
        # A total for a row not listed (no cash row; a position with no shares left) must be zero too.
        for (account, exchange, symbol), shares in pending.items():
            assert shares == 0 or tx.holding(account, exchange, symbol).pending_sells == shares
        assert not any(reserved.values()), reserved


class Storm(RuleBasedStateMachine):
    store: Store

    @initialize()
    def open_accounts(self) -> None:
        self.desk = Desk(self.store, HOURS, list(INSTRUMENTS), DeskSettings(branch="01790", enforce_hours=False))
        self.now = NOW
        self.orders: list[str] = []
        for account in ACCOUNTS:
            self.run(self.desk.open_account(account, {"USD": D("5000"), "HKD": D("300000")},
                                            [(i.exchange, i.symbol, Position(20 * LOT[i.symbol], i.price))
                                             for i in INSTRUMENTS], self.now))

    def run(self, work: Work[Any]) -> Any:
        self.now += timedelta(seconds=1)
        try:
            with self.store.transaction() as tx:
                return work(tx)
        except (BusinessError, FillError, LookupError):
            return None

    def pick(self, data: st.DataObject) -> tuple[Order, Instrument] | None:
        """One of the orders placed so far, as stored now, with its instrument."""
        if not self.orders:
            return None
        with self.store.read() as tx:
            order = tx.load_order_for_update(data.draw(st.sampled_from(self.orders)))
        assert order is not None
        return order, next(i for i in INSTRUMENTS if i.symbol == order.symbol)

    @rule(account=st.sampled_from(ACCOUNTS), side=st.sampled_from(Side), instrument=st.sampled_from(INSTRUMENTS),
          lots=quantities, offset=prices)
    def place(self, account: str, side: Side, instrument: Instrument, lots: int, offset: int) -> None:
        price = instrument.price + offset * TICK[instrument.symbol]
        command = NewOrder(account, Env.REAL, instrument.exchange, instrument.symbol, side, "00",
                           lots * LOT[instrument.symbol], price, "TTTT1002U")
        order = self.run(self.desk.place(command, self.now))
        if order is not None:
            self.orders.append(order.order_no)

    @rule(data=st.data(), revise=st.booleans(), lots=st.integers(0, 6), offset=prices)
    def revise_or_cancel(self, data: st.DataObject, revise: bool, lots: int, offset: int) -> None:
        picked = self.pick(data)
        if picked is None:
            return
        original, instrument = picked
        request = RevisionRequest(RevisionKind.REVISE if revise else RevisionKind.CANCEL, original.account, Env.REAL,
                                  original.exchange, original.symbol, original.order_no, lots * LOT[original.symbol],
                                  instrument.price + offset * TICK[original.symbol], "TTTT1004U")
        record = self.run(self.desk.revise_cancel(request, self.now))
        if record is not None and revise:
            self.orders.append(record.order_no)

    @rule(instrument=st.sampled_from(INSTRUMENTS), offset=prices, size=st.none() | st.integers(1, 400))
    def trade_print(self, instrument: Instrument, offset: int, size: int | None) -> None:
        self.run(self.desk.trade(instrument.exchange, instrument.symbol,
                                 instrument.price + offset * TICK[instrument.symbol], size, self.now))

    @rule(data=st.data(), lots=quantities, offset=prices)
    def admin_fill(self, data: st.DataObject, lots: int, offset: int) -> None:
        picked = self.pick(data)
        if picked is not None:
            order, instrument = picked
            self.run(self.desk.fill(order.order_no, lots * LOT[order.symbol],
                                    instrument.price + offset * TICK[order.symbol], self.now))

    @rule(account=st.sampled_from(ACCOUNTS), currency=st.sampled_from(["USD", "HKD"]), amount=st.integers(1, 5000))
    def deposit(self, account: str, currency: str, amount: int) -> None:
        self.run(self.desk.deposit(account, currency, D(amount), self.now))

    @rule(account=st.sampled_from(ACCOUNTS), instrument=st.sampled_from(INSTRUMENTS), lots=st.integers(0, 30))
    def set_position(self, account: str, instrument: Instrument, lots: int) -> None:
        self.run(self.desk.set_position(account, instrument.exchange, instrument.symbol,
                                        Position(lots * LOT[instrument.symbol], instrument.price)))

    @invariant()
    def totals_match_a_recomputation(self) -> None:
        if hasattr(self, "desk"):
            check_totals(self.store)


def storm(make_store: Callable[[], Iterator[Store]]) -> None:
    class Run(Storm):
        def __init__(self) -> None:
            self._stores = make_store()
            self.store = next(self._stores)
            super().__init__()

        def teardown(self) -> None:
            self._stores.close()

    Run.TestCase.settings = settings(max_examples=12, stateful_step_count=40, deadline=None,
                                     suppress_health_check=list(HealthCheck))
    Run.TestCase().runTest()


def test_running_totals_match_recomputation_on_sqlite(tmp_path: Path) -> None:
    counter = iter(range(10**6))

    def stores() -> Iterator[Store]:
        store = open_store(f"sqlite:///{tmp_path / f'storm-{next(counter)}.db'}")
        try:
            yield store
        finally:
            store.close()

    storm(stores)


def test_running_totals_match_recomputation_on_postgresql() -> None:
    def stores() -> Iterator[Store]:
        with fresh_database() as url:
            store = open_store(url)
            try:
                yield store
            finally:
                store.close()

    storm(stores)
