"""An in-memory index of resting orders, so that a tick that crosses nothing costs a dict look-up.

`Book` mirrors, per instrument (exchange, symbol), the live orders of the store — order number → side,
limit, open quantity — and keeps two bars: the best resting buy limit and the best resting sell limit.
A tick priced strictly between them cannot fill anything (matching.on_print fills a buy at or below
its limit, a sell at or above), unless the instrument has a live auction order (MOO/LOO/MOC/LOC fill
at session changes): such an instrument always takes the store path.

`BookTrader` runs ticks through it, as the in-process replay and the benchmark do:

- a tick that crosses nothing changes only the instrument's last trade, which is kept in memory
  (price, size left, time, session date, last regular-session price — what `FillEngine.on_trade`
  would have written);
- any other tick runs in a store transaction: it writes the instrument's last trade from memory, then
  `FillEngine.on_trade` as `Desk.trade` does (which reads only the orders the price crosses); the fills
  update the mirror. By default each such tick
  commits on its own; `batch=N` groups N of them per transaction (one commit, one fsync);
- `flush()` (also on leaving the `with` block) writes the last trades kept in memory and commits.

Assumption: while a `BookTrader` runs, nothing else — another process, or other code of this one that
does not report to the book through `put` — places, revises, cancels or fills orders or records
trades in the same database. The mirror would not see those changes, and the last trades in memory
would overwrite the stored ones. The server never uses this path: it runs every tick through
`Desk.trade`, and `localkis replay` against a server goes through the admin prices API.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import TracebackType

from localkis.domain import matching
from localkis.domain.hours import SessionState, compact_date, local_date
from localkis.domain.orders import Order
from localkis.engine.fills import Fill, FillEngine
from localkis.engine.prints import PendingBars
from localkis.engine.sources import Tick
from localkis.protocol.exchanges import Exchange
from localkis.protocol.orders import Side
from localkis.store.base import LastTrade, Store, Transaction

Key = tuple[Exchange, str]
_INF = Decimal("Infinity")
_NO_FILLS: tuple[Fill, ...] = ()


class UnknownInstrument(LookupError):
    """A tick for an instrument the book was not built with."""


@dataclass(slots=True)
class _Resting:
    buy: bool
    price: Decimal
    open: int
    auction: bool


class _Instrument:
    """One instrument's mirrored orders, its two bars and its last trade (in memory)."""

    __slots__ = ("at", "auctions", "bars", "buy_bar", "buys", "dirty", "exchange", "minute", "orders", "price",
                 "regular_date", "regular_now", "regular_price", "sell_bar", "sells", "session_date", "size_left",
                 "symbol", "today")

    def __init__(self, exchange: Exchange, symbol: str) -> None:
        self.exchange = exchange
        self.symbol = symbol
        self.orders: dict[str, _Resting] = {}
        self.buys: list[tuple[Decimal, str]] = []  # (limit, order number), best first
        self.sells: list[tuple[Decimal, str]] = []
        self.auctions: list[str] = []
        self.buy_bar = -_INF  # a tick at or below it may fill a buy (or an auction is live: +inf)
        self.sell_bar = _INF  # a tick at or above it may fill a sell (or an auction is live: -inf)
        self.price: Decimal | None = None  # None: no trade yet
        self.size_left: int | None = None
        self.at: datetime | None = None
        self.session_date = ""
        self.regular_price: Decimal | None = None
        self.regular_date = ""
        self.dirty = False  # the last trade in memory is newer than the store's
        self.bars = PendingBars()  # the fast ticks' prints, not yet in the stored bars
        # The session of the minute of the last fast tick: (regular session?, exchange-local date).
        self.minute: float | None = None
        self.regular_now = False
        self.today = ""

    def recompute(self) -> None:
        """Rebuild the price ladders and the bars after the mirrored orders changed."""
        self.buys = sorted(((r.price, no) for no, r in self.orders.items() if r.buy and not r.auction),
                           key=lambda pn: (-pn[0], pn[1]))
        self.sells = sorted((r.price, no) for no, r in self.orders.items() if not r.buy and not r.auction)
        self.auctions = sorted(no for no, r in self.orders.items() if r.auction)
        if self.auctions:
            self.buy_bar, self.sell_bar = _INF, -_INF
        else:
            self.buy_bar = self.buys[0][0] if self.buys else -_INF
            self.sell_bar = self.sells[0][0] if self.sells else _INF

    def load_last(self, trade: LastTrade | None) -> None:
        if trade is None:
            return
        self.price, self.size_left, self.at = trade.price, trade.size_left, trade.at
        self.session_date, self.regular_price, self.regular_date = (trade.session_date, trade.regular_price,
                                                                    trade.regular_date)
        self.dirty = False

    def last_trade(self) -> LastTrade | None:
        if self.price is None or self.at is None:
            return None
        return LastTrade(self.exchange, self.symbol, self.price, self.size_left, self.at, self.session_date,
                         self.regular_price, self.regular_date)


class Book:
    """Per instrument: the mirrored live orders and the best resting buy and sell limits."""

    def __init__(self, instruments: Iterable[Key]) -> None:
        self.entries: dict[Key, _Instrument] = {key: _Instrument(*key) for key in instruments}

    @classmethod
    def from_store(cls, store: Store, instruments: Iterable[Key]) -> Book:
        """The live orders and last trades of `store` (orders on other instruments can never trade)."""
        book = cls(instruments)
        with store.read() as tx:
            for trade in tx.last_trades():
                entry = book.entries.get((trade.exchange, trade.symbol))
                if entry is not None:
                    entry.load_last(trade)
            live = tx.live_orders()
        touched: set[_Instrument] = set()
        for order in live:
            entry = book.entries.get((order.exchange, order.symbol))
            if entry is not None and order.is_live and order.open_quantity > 0:
                entry.orders[order.order_no] = _Resting(order.side is Side.BUY, order.price, order.open_quantity,
                                                        matching.is_auction(order))
                touched.add(entry)
        for entry in touched:
            entry.recompute()
        return book

    def put(self, order: Order) -> None:
        """Record an order placed, revised, cancelled or filled in this process (its new state)."""
        entry = self.entries.get((order.exchange, order.symbol))
        if entry is None:
            return
        if order.is_live and order.open_quantity > 0:
            entry.orders[order.order_no] = _Resting(order.side is Side.BUY, order.price, order.open_quantity,
                                                    matching.is_auction(order))
        else:
            entry.orders.pop(order.order_no, None)
        entry.recompute()

    def apply(self, key: Key, fills: Iterable[Fill]) -> None:
        """Take filled quantities off the mirrored orders of one instrument."""
        entry = self.entries[key]
        for fill in fills:
            resting = entry.orders.get(fill.order_no)
            if resting is None:
                continue
            resting.open -= fill.quantity
            if resting.open <= 0:
                del entry.orders[fill.order_no]
        entry.recompute()

    def crosses(self, exchange: Exchange, symbol: str, price: Decimal) -> bool:
        """Whether a tick at `price` may fill something (False: it certainly fills nothing)."""
        entry = self.entries[(exchange, symbol)]
        return price <= entry.buy_bar or price >= entry.sell_bar

    def best(self, exchange: Exchange, symbol: str) -> tuple[Decimal | None, Decimal | None]:
        """(best resting buy limit, best resting sell limit), None where there is none."""
        entry = self.entries[(exchange, symbol)]
        return (entry.buys[0][0] if entry.buys else None), (entry.sells[0][0] if entry.sells else None)

    def open_orders(self, exchange: Exchange, symbol: str) -> int:
        return len(self.entries[(exchange, symbol)].orders)


@dataclass(slots=True)
class TraderStats:
    ticks: int = 0
    store_ticks: int = 0  # ticks that went through a store transaction
    fills: int = 0
    filled_quantity: int = 0


class BookTrader:
    """Ticks through a `Book`: store transactions only for ticks that may fill (see the module doc).

    `batch` is how many such ticks share one store transaction: 1 (the default) commits each one, as
    the server does; more groups their commits (one fsync per group instead of per tick), and
    `flush()` commits what is left. A failure inside a group rolls the whole group back and reloads the
    book from the store, so the mirror never claims fills the store does not have.
    """

    def __init__(self, store: Store, engine: FillEngine, book: Book, *, batch: int = 1) -> None:
        if batch < 1:
            raise ValueError("batch must be at least 1")
        self.store = store
        self.engine = engine
        self.book = book
        self.batch = batch
        self.stats = TraderStats()
        # Per exchange: minute since the epoch → (regular session?, exchange-local YYYYMMDD), or None
        # where the minute holds a session change (then computed per tick).
        self._minutes: dict[Exchange, dict[float, tuple[bool, str] | None]] = {e: {} for e in Exchange}
        self._cm: AbstractContextManager[Transaction] | None = None  # the open group's transaction
        self._tx: Transaction | None = None
        self._pending = 0  # ticks in the open group

    @classmethod
    def open(cls, store: Store, engine: FillEngine, instruments: Iterable[Key], *, batch: int = 1) -> BookTrader:
        return cls(store, engine, Book.from_store(store, instruments), batch=batch)

    def __enter__(self) -> BookTrader:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc is None:
            self.flush()
        elif self._cm is not None:
            self._abort(exc)

    # --- transactions ------------------------------------------------------------------------------
    def _transaction(self) -> Transaction:
        if self._tx is None:
            cm = self.store.transaction()
            self._tx = cm.__enter__()
            self._cm = cm
        return self._tx

    def _commit(self) -> None:
        cm, self._cm, self._tx, self._pending = self._cm, None, None, 0
        if cm is not None:
            try:
                cm.__exit__(None, None, None)
            except BaseException:
                self.book = Book.from_store(self.store, list(self.book.entries))
                raise

    def _abort(self, exc: BaseException) -> None:
        """Roll the open group back and reload the book, whose mirror may hold its fills."""
        cm, self._cm, self._tx, self._pending = self._cm, None, None, 0
        if cm is not None:
            cm.__exit__(type(exc), exc, exc.__traceback__)
        self.book = Book.from_store(self.store, list(self.book.entries))

    # --- sessions ----------------------------------------------------------------------------------
    def _exact(self, exchange: Exchange, at: datetime) -> tuple[bool, str]:
        return (self.engine.hours.session(exchange, at) is SessionState.REGULAR,
                compact_date(local_date(exchange, at)))

    def _session(self, exchange: Exchange, at: datetime, minute: float) -> tuple[bool, str] | None:
        """What `FillEngine.on_trade` derives from the clock for minute `minute` (since the epoch), or None
        where the minute holds a session change (sessions change on minute boundaries; a minute whose
        first and last instants disagree is not cached and is computed per tick)."""
        cache = self._minutes[exchange]
        if minute in cache:
            return cache[minute]
        if len(cache) > 100_000:
            cache.clear()
        start = datetime.fromtimestamp(minute * 60, UTC)
        first = self._exact(exchange, start)
        uniform = first == self._exact(exchange, start + timedelta(seconds=60, microseconds=-1))
        cache[minute] = first if uniform else None
        return cache[minute]

    # --- ticks -------------------------------------------------------------------------------------
    def trade(self, exchange: Exchange, symbol: str, price: Decimal, size: int | None,
              at: datetime) -> Sequence[Fill]:
        """A trade of `size` (None: unlimited) at `price`; the fills it made."""
        entry = self.book.entries.get((exchange, symbol))
        if entry is None:
            raise UnknownInstrument(f"{exchange.value} {symbol}")
        self.stats.ticks += 1
        if price <= entry.buy_bar or price >= entry.sell_bar:
            return self._through_store(entry, price, size, at)
        # The hot path: what on_trade would store as the last trade, with nothing printed against it.
        minute = at.timestamp() // 60
        if minute != entry.minute:
            known = self._session(exchange, at, minute)
            if known is None:
                entry.minute = None
                regular, today = self._exact(exchange, at)
            else:
                entry.minute = minute
                entry.regular_now, entry.today = regular, today = known
        else:
            regular, today = entry.regular_now, entry.today
        entry.price, entry.size_left, entry.at, entry.session_date = price, size, at, today
        if regular:
            entry.regular_price, entry.regular_date = price, today
        entry.dirty = True
        bars = entry.bars  # PendingBars.add_keyed, inlined: two appends per tick
        if minute != bars.key:
            bars.mark(exchange, minute, today)
        bars.prices.append(price)
        bars.sizes.append(size or 0)
        return _NO_FILLS

    def trade_tick(self, tick: Tick) -> Sequence[Fill]:
        return self.trade(tick.exchange, tick.symbol, tick.price, tick.size, tick.at)

    def _through_store(self, entry: _Instrument, price: Decimal, size: int | None, at: datetime) -> list[Fill]:
        self.stats.store_ticks += 1
        tx = self._transaction()
        try:
            if entry.dirty:
                last = entry.last_trade()
                if last is not None:
                    tx.set_last_trade(last)
            if entry.bars:
                entry.bars.write(tx, entry.exchange, entry.symbol)
            fills = self.engine.on_trade(tx, entry.exchange, entry.symbol, price, size, at)
            stored = tx.last_trade(entry.exchange, entry.symbol)
        except BaseException as exc:
            self._abort(exc)
            raise
        entry.load_last(stored)
        if fills:
            self.book.apply((entry.exchange, entry.symbol), fills)
            self.stats.fills += len(fills)
            self.stats.filled_quantity += sum(f.quantity for f in fills)
        self._pending += 1
        if self._pending >= self.batch:
            self._commit()
        return fills

    def last_trade(self, exchange: Exchange, symbol: str) -> LastTrade | None:
        """The instrument's last trade as the store will hold it after `flush()`."""
        return self.book.entries[(exchange, symbol)].last_trade()

    def flush(self) -> int:
        """Write the last trades kept in memory and commit the open group; the number of last trades written."""
        dirty = [e for e in self.book.entries.values() if e.dirty or e.bars]
        if dirty:
            tx = self._transaction()
            try:
                for entry in dirty:
                    last = entry.last_trade()
                    if last is not None and entry.dirty:
                        tx.set_last_trade(last)
                    if entry.bars:
                        entry.bars.write(tx, entry.exchange, entry.symbol)
            except BaseException as exc:
                self._abort(exc)
                raise
        self._commit()
        for entry in dirty:
            entry.dirty = False
        return len(dirty)


def replay_in_process(trader: BookTrader, ticks: Iterable[Tick]) -> TraderStats:
    """Feed `ticks` (already paced, if they should be) through `trader`, then flush its last trades."""
    trade = trader.trade
    for tick in ticks:
        trade(tick.exchange, tick.symbol, tick.price, tick.size, tick.at)
    trader.flush()
    return trader.stats
