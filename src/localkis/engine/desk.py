"""The order desk: each KIS command as store work — load what the decision needs, decide, write.

A method here returns the work (`Callable[[Transaction], T]`) for `Store.run`, which runs it in a
transaction and answers once it is committed; the rules themselves are the pure decisions in `domain/`.
Everything a decision reads is O(1) in the account's book: one order by number, two running totals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

from localkis.domain import place_order, revise_cancel
from localkis.domain.accounts import Funds, Holding, Position
from localkis.domain.book import BookParams, BookSnapshot, synthetic_book
from localkis.domain.errors import BusinessError, Reason
from localkis.domain.hours import MarketHours, SessionState, compact_date, local_date
from localkis.domain.instruments import Instrument
from localkis.domain.orders import NewOrder, Order, RevisionRequest
from localkis.domain.profit import DEFAULT_FEES, FeeSchedule, FillRecord
from localkis.domain.revise_cancel import Revision
from localkis.engine.events import (
    BookEvent,
    Event,
    EventBus,
    OrderEventKind,
    PrintEvent,
    Recorded,
    encode_events,
    fill_event,
    order_events,
)
from localkis.engine.fills import Fill, FillEngine
from localkis.engine.marketdata import book_snapshot
from localkis.engine.prints import record_print
from localkis.protocol.exchanges import EXCHANGES, Exchange
from localkis.protocol.orders import RevisionKind, Side
from localkis.store.base import OrderQuery, Store, Transaction

T = TypeVar("T")
Work = Callable[[Transaction], T]


@dataclass(frozen=True, slots=True)
class AccountSnapshot:
    """An account at one commit: its funds per currency, its holdings and its cash ledger's totals."""

    number: str
    funds: dict[str, Funds]
    holdings: list[tuple[Exchange, str, Holding]]
    ledger: dict[tuple[str, str], Decimal]

    def available(self, currency: str) -> Decimal:
        funds = self.funds.get(currency)
        return funds.available if funds is not None else Decimal(0)


# A new order's decision given the account's row (funds for a buy, the holding for a sell) and its number.
OrderDecision = Callable[[Funds | Holding, str], Order]
# A revise/cancel's decision given the original (None: unknown), the funds a buy revision needs, the number.
RevisionDecision = Callable[[Order | None, Funds | None, str], Revision]


@dataclass(frozen=True, slots=True)
class DeskSettings:
    branch: str
    enforce_hours: bool
    fees: FeeSchedule = DEFAULT_FEES  # commissions, for the realised P/L
    # None: an order crossing the last print on arrival fills at its price (up to its size left); a
    # BookParams: it walks the displayed synthetic book instead (`[market] arrival_fills = "book"`).
    book: BookParams | None = None


def _write_outbox(tx: Transaction, events: list[Event]) -> None:
    tx.append_events(encode_events(events))


class Desk:
    def __init__(self, store: Store, hours: MarketHours, instruments: list[Instrument],
                 settings: DeskSettings, bus: EventBus | None = None, *, outbox: bool = False) -> None:
        self.store = store
        self.bus = bus if bus is not None else EventBus()
        # Outbox (PostgreSQL, several processes): events are written in the work's transaction and every
        # process, this one included, publishes them from the outbox it follows; else published here.
        self.outbox = outbox
        self._sink = _write_outbox if outbox else None
        self.hours = hours
        self.settings = settings
        self.instruments: dict[tuple[Exchange, str], Instrument] = {(i.exchange, i.symbol): i for i in instruments}
        self.engine = FillEngine(hours, settings.fees)

    # --- look-ups ----------------------------------------------------------------------------------
    def instrument(self, exchange: Exchange, symbol: str) -> Instrument:
        found = self.instruments.get((exchange, symbol))
        if found is None:
            raise BusinessError(Reason.UNKNOWN_SYMBOL, f"{exchange.value} {symbol}")
        return found

    def instrument_in_market(self, exchange: Exchange, symbol: str) -> Instrument | None:
        """The instrument on `exchange`, or on another venue of its market (a US order may be revised
        or cancelled with any US venue code, as KIS treats NASD/NYSE/AMEX as one family)."""
        found = self.instruments.get((exchange, symbol))
        if found is not None:
            return found
        market = EXCHANGES[exchange].market
        for (other, other_symbol), instrument in self.instruments.items():
            if other_symbol == symbol and EXCHANGES[other].market is market:
                return instrument
        return None

    def _session(self, exchange: Exchange, now: datetime) -> SessionState | None:
        return self.hours.session(exchange, now) if self.settings.enforce_hours else None

    async def commit(self, work: Work[T], *, locks: str | None = None) -> T:
        """Run a work through the store; once committed, publish the events it recorded (commit order:
        see `engine.events`)."""
        result = await self.store.run(work, locks=locks)
        if isinstance(work, Recorded) and work.events and not self.outbox:
            self.bus.publish(work.events)
        return result

    # --- commands ----------------------------------------------------------------------------------
    def place(self, command: NewOrder, now: datetime) -> Work[Order]:
        """해외주식 주문: the new order, filled at once if it crosses the last print."""
        instrument = self.instruments.get((command.exchange, command.symbol))
        session = self._session(command.exchange, now)
        on = local_date(command.exchange, now)
        return self.new_order(command, now, lambda account, order_no: place_order.decide(
            command, instrument, session, on, account, order_no=order_no, now=now, branch=self.settings.branch))

    def recorded(self, body: Callable[[Transaction, list[Event]], T]) -> Recorded[T]:
        """A work of another desk (reservations) that records events, published by `commit` like ours."""
        return Recorded(body, self._sink)

    def new_order(self, command: NewOrder, now: datetime, decide: OrderDecision) -> Work[Order]:
        """The store work of a new order that `decide` admits (the order API's rules, or the daytime
        API's): written, filled at once if it crosses, its events recorded."""
        instrument = self.instruments.get((command.exchange, command.symbol))
        on = local_date(command.exchange, now)
        currency = EXCHANGES[command.exchange].currency

        def work(tx: Transaction, events: list[Event]) -> Order:
            # Lock order of every writer: orders, then the account, then its cash and position rows.
            tx.lock_account(command.account)
            account: Funds | Holding = (tx.funds(command.account, currency) if command.side is Side.BUY
                                        else tx.holding(command.account, command.exchange, command.symbol))
            order = decide(account, tx.next_order_no())
            tx.insert_order(order, compact_date(on))
            placed = self._arrive(tx, order, instrument, now)
            events += order_events(None, placed, OrderEventKind.ACCEPTED, now)
            events.append(BookEvent(placed.exchange, placed.symbol, now))
            return placed

        return Recorded(work, self._sink)

    def revise_cancel(self, request: RevisionRequest, now: datetime) -> Work[Order]:
        """해외주식 정정취소주문: the new record (the revision, or the cancel confirmation)."""
        instrument = self.instrument_in_market(request.exchange, request.symbol)
        session = self._session(request.exchange, now)
        on = local_date(request.exchange, now)
        return self.revision(request, now, lambda original, funds, order_no: revise_cancel.decide(
            request, instrument, session, on, original, funds, order_no=order_no, now=now,
            branch=self.settings.branch))

    def revision(self, request: RevisionRequest, now: datetime, decide: RevisionDecision) -> Work[Order]:
        """The store work of a revise or cancel that `decide` admits (the order API's rules, or the daytime
        API's): both records written, a revision filled at once if it crosses, its events recorded."""
        instrument = self.instrument_in_market(request.exchange, request.symbol)
        on = local_date(request.exchange, now)
        currency = EXCHANGES[request.exchange].currency
        revise = request.kind is RevisionKind.REVISE

        def work(tx: Transaction, events: list[Event]) -> Order:
            original = tx.load_order_for_update(request.original_key)
            tx.lock_account(request.account)
            # Only a buy revised upwards needs buying power; the row is read (and locked) only for buys.
            buy = original is not None and original.side is Side.BUY
            funds = tx.funds(request.account, currency) if revise and buy else None
            decision = decide(original, funds, tx.next_order_no())
            tx.save_orders(((original, decision.original), (None, decision.record)), compact_date(on))
            record = self._arrive(tx, decision.record, instrument, now) if revise else decision.record
            kind = OrderEventKind.REVISED if revise else OrderEventKind.CANCELLED
            events += order_events(None, record, kind, now)
            events.append(BookEvent(record.exchange, record.symbol, now))
            return record

        return Recorded(work, self._sink)

    def _arrive(self, tx: Transaction, order: Order, instrument: Instrument | None, now: datetime) -> Order:
        """The fills of an order on arrival: against the last print, or walking the synthetic book."""
        params = self.settings.book
        if params is None or instrument is None or not order.is_live:
            return self.engine.on_arrival(tx, order, now)
        last = tx.last_trade(order.exchange, order.symbol)
        book = synthetic_book(order.exchange, last.price if last is not None else instrument.price, params=params,
                              lot=instrument.board_lot, topix500=instrument.topix500,
                              on=local_date(order.exchange, now))
        return self.engine.on_arrival_book(tx, order, book.asks if order.side is Side.BUY else book.bids, now)

    def fill(self, order_no: str, quantity: int, price: Decimal, now: datetime) -> Work[Order]:
        """A test fill (admin API), through the same path as the fill engine's."""

        def work(tx: Transaction, events: list[Event]) -> Order:
            order = tx.load_order_for_update(order_no.zfill(10))
            if order is None:
                raise LookupError(order_no)
            filled = self.engine.apply_fill(tx, order, quantity, price, now)
            record_print(tx, order.exchange, order.symbol, price, quantity, now)  # a test fill is a trade too
            events += [fill_event(filled, quantity, price, now), BookEvent(filled.exchange, filled.symbol, now)]
            return filled

        return Recorded(work, self._sink)

    def trade(self, exchange: Exchange, symbol: str, price: Decimal, size: int | None,
              now: datetime) -> Work[list[Fill]]:
        """A trade of an instrument (a price source's tick): fills the resting orders it crosses."""
        instrument = self.instrument(exchange, symbol)
        exchange, symbol = instrument.exchange, instrument.symbol

        def work(tx: Transaction, events: list[Event]) -> list[Fill]:
            fills = self.engine.on_trade(tx, exchange, symbol, price, size, now)
            events += [fill_event(f.order, f.quantity, f.price, now) for f in fills if f.order is not None]
            events += [PrintEvent(exchange, symbol, price, size, now), BookEvent(exchange, symbol, now)]
            return fills

        return Recorded(work, self._sink)

    def open_account(self, number: str, cash: dict[str, Decimal], positions: list[tuple[Exchange, str, Position]],
                     now: datetime) -> Work[bool]:
        """Create an account with its opening cash and positions unless it already exists."""
        return lambda tx: tx.ensure_account(number, cash, positions, now)

    def deposit(self, number: str, currency: str, amount: Decimal, now: datetime) -> Work[Decimal]:
        def work(tx: Transaction) -> Decimal:
            tx.lock_account(number)
            return tx.add_cash(number, currency, amount, "deposit", "", now)

        return work

    def set_position(self, number: str, exchange: Exchange, symbol: str, position: Position) -> Work[None]:
        def work(tx: Transaction) -> None:
            tx.lock_account(number)
            tx.set_position(number, exchange, symbol, position)

        return work

    # --- reads -------------------------------------------------------------------------------------
    def snapshot(self, number: str) -> AccountSnapshot:
        """The account's running totals at one commit (no scan of its orders)."""
        with self.store.read() as tx:
            return AccountSnapshot(number, tx.account_funds(number), tx.holdings(number), tx.ledger_totals(number))

    def last_price(self, exchange: Exchange, symbol: str) -> Decimal | None:
        """The last traded price, or the instrument's configured price before any trade."""
        instrument = self.instruments.get((exchange, symbol))
        if instrument is None:
            return None
        with self.store.read() as tx:
            trade = tx.last_trade(exchange, symbol)
        return trade.price if trade is not None else instrument.price

    def book(self, instrument: Instrument, params: BookParams, now: datetime) -> BookSnapshot:
        """The instrument's order book at one commit (`engine.marketdata.book_snapshot`)."""
        with self.store.read() as tx:
            return book_snapshot(tx, instrument, params, now)

    def timeline(self, order_no: str) -> tuple[list[Order], list[FillRecord]]:
        """An order's chain (the original, its revisions and cancels, theirs in turn) and their fills."""
        with self.store.read() as tx:
            chain = tx.order_chain(order_no)
            return chain, tx.fills_of([o.order_no for o in chain])

    def fills_of(self, order_nos: list[str]) -> list[FillRecord]:
        with self.store.read() as tx:
            return tx.fills_of(order_nos)

    def list_orders(self, query: OrderQuery) -> list[tuple[Order, str]]:
        """Orders with their exchange-local order dates (YYYYMMDD)."""
        with self.store.read() as tx:
            return tx.list_orders(query)
