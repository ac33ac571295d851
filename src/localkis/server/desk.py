"""The order desk: each KIS command as one store transaction around the pure domain rules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from localkis.domain import accounts, markets, orders
from localkis.domain.accounts import Position
from localkis.domain.errors import BusinessError, Reason
from localkis.domain.hours import MarketHours, compact_date, local_date
from localkis.domain.instruments import Instrument
from localkis.domain.markets import MARKET_PRICE_ORDER_TYPES, allowed_order_types
from localkis.domain.orders import NewOrder, Order, RevisionKind, RevisionRequest
from localkis.engine.fills import Fill, FillEngine
from localkis.protocol.env import Env
from localkis.protocol.exchanges import EXCHANGES, Exchange
from localkis.protocol.trids import Side
from localkis.store.base import OrderQuery, Store, Transaction

_EXCHANGES_BY_CURRENCY: dict[str, frozenset[Exchange]] = {
    currency: frozenset(e for e, info in EXCHANGES.items() if info.currency == currency)
    for currency in {info.currency for info in EXCHANGES.values()}
}


def available_cash(tx: Transaction, account: str, currency: str) -> Decimal:
    """Cash of a currency less what the account's live buys in that currency reserve."""
    exchanges = _EXCHANGES_BY_CURRENCY.get(currency, frozenset())
    return tx.cash_balances(account).get(currency, Decimal(0)) - tx.reserved_cash(account, exchanges)


@dataclass(frozen=True, slots=True)
class AccountSnapshot:
    """An account at one commit: cash, what live buys reserve, positions and what pending sells hold."""

    number: str
    cash: dict[str, Decimal]
    reserved: dict[str, Decimal]
    positions: list[tuple[Exchange, str, Position]]
    pending_sells: dict[tuple[Exchange, str], int]
    ledger: dict[tuple[str, str], Decimal]

    def available(self, currency: str) -> Decimal:
        return self.cash.get(currency, Decimal(0)) - self.reserved.get(currency, Decimal(0))

    def sellable(self, exchange: Exchange, symbol: str) -> int:
        held = next((p.quantity for e, s, p in self.positions if e is exchange and s == symbol), 0)
        return held - self.pending_sells.get((exchange, symbol), 0)


@dataclass(frozen=True, slots=True)
class DeskSettings:
    branch: str
    enforce_hours: bool


class Desk:
    def __init__(self, store: Store, hours: MarketHours, instruments: list[Instrument],
                 settings: DeskSettings) -> None:
        self.store = store
        self.hours = hours
        self.settings = settings
        self.instruments: dict[tuple[Exchange, str], Instrument] = {
            (i.exchange, i.symbol): i for i in instruments}
        self.engine = FillEngine(hours)

    def open_account(self, number: str, cash: dict[str, Decimal], positions: list[tuple[Exchange, str, Position]],
                     now: datetime) -> bool:
        """Create an account with its opening cash and positions unless it already exists."""
        with self.store.transaction() as tx:
            return tx.ensure_account(number, cash, positions, now)

    @staticmethod
    def _check_funds(tx: Transaction, command: NewOrder) -> None:
        """Buying power for a buy, sellable shares for a sell (the account is locked by the caller)."""
        if command.side is Side.BUY:
            currency = EXCHANGES[command.exchange].currency
            accounts.check_buying_power(available_cash(tx, command.account, currency),
                                        command.price * command.quantity)
        else:
            held = tx.position(command.account, command.exchange, command.symbol).quantity
            pending = tx.pending_sell_quantity(command.account, command.exchange, command.symbol)
            accounts.check_sellable(held, pending, command.quantity)

    def instrument(self, exchange: Exchange, symbol: str) -> Instrument:
        found = self.instruments.get((exchange, symbol))
        if found is None:
            raise BusinessError(Reason.UNKNOWN_SYMBOL, f"{exchange.value} {symbol}")
        return found

    def instrument_in_market(self, exchange: Exchange, symbol: str) -> Instrument:
        """The instrument on `exchange`, or on another venue of its market (a US order may be revised
        or cancelled with any US venue code, as KIS treats NASD/NYSE/AMEX as one family)."""
        found = self.instruments.get((exchange, symbol))
        if found is not None:
            return found
        market = EXCHANGES[exchange].market
        for (other, other_symbol), instrument in self.instruments.items():
            if other_symbol == symbol and EXCHANGES[other].market is market:
                return instrument
        raise BusinessError(Reason.UNKNOWN_SYMBOL, f"{exchange.value} {symbol}")

    def _check_hours(self, exchange: Exchange, now: datetime, env: Env) -> None:
        if self.settings.enforce_hours:
            self.hours.check_order_allowed(exchange, now, env)

    def place_work(self, command: NewOrder, now: datetime) -> Callable[[Transaction], Order]:
        """Check an order against the market rules now; the returned work books it in a transaction."""
        instrument = self.instrument(command.exchange, command.symbol)
        market = EXCHANGES[command.exchange].market
        if command.order_type not in allowed_order_types(market, command.side, command.env):
            raise BusinessError(Reason.BAD_ORDER_TYPE, command.order_type)
        today = local_date(command.exchange, now)
        if command.order_type not in MARKET_PRICE_ORDER_TYPES:
            markets.check_price(command.exchange, command.price, topix500=instrument.topix500, on=today)
        lot = instrument.lot_size or markets.default_lot_size(command.exchange)
        if command.order_type == "50":
            # HK odd-lot sell (단주지정가): only a remainder smaller than one board lot.
            if not 0 < command.quantity < lot:
                raise BusinessError(Reason.BAD_LOT, f"odd-lot sell of {command.quantity} with lot {lot}")
        else:
            markets.check_quantity(command.exchange, command.side is Side.BUY, command.quantity, lot)
        self._check_hours(command.exchange, now, command.env)
        order_date = compact_date(today)

        def work(tx: Transaction) -> Order:
            tx.lock_account(command.account)
            self._check_funds(tx, command)
            order = orders.place(command, tx.next_order_no(), now, self.settings.branch)
            tx.insert_order(order, order_date)
            self.engine.on_arrival(tx, order, now)
            return order

        return work

    def revise_or_cancel_work(self, request: RevisionRequest, now: datetime) -> Callable[[Transaction], Order]:
        """Check a revise/cancel now; the returned work applies it to the locked original and returns the
        new order record (the revision, or the cancel confirmation)."""
        instrument = self.instrument_in_market(request.exchange, request.symbol)
        today = local_date(request.exchange, now)
        if request.kind is RevisionKind.REVISE:
            if not EXCHANGES[request.exchange].revise_allowed:
                raise BusinessError(Reason.REVISE_NOT_ALLOWED, request.exchange.value)
            markets.check_price(instrument.exchange, request.price, topix500=instrument.topix500, on=today)
        self._check_hours(request.exchange, now, request.env)
        order_date = compact_date(today)

        def work(tx: Transaction) -> Order:
            original = tx.load_order_for_update(request.original_key)
            target = orders.check_target(original, request)
            if 0 < request.quantity < target.open_quantity:
                lot = instrument.lot_size or markets.default_lot_size(instrument.exchange)
                markets.check_quantity(instrument.exchange, target.side is Side.BUY, request.quantity, lot)
            if request.kind is RevisionKind.REVISE:
                updated, record = orders.revise(target, request, tx.next_order_no(), now, self.settings.branch)
                extra = accounts.extra_reservation_for_revise(target, record.quantity, record.price)
                if extra > 0:
                    tx.lock_account(target.account)
                    available = available_cash(tx, target.account, accounts.currency_of(target))
                    accounts.check_buying_power(available, extra)
            else:
                updated, record = orders.cancel(target, request, tx.next_order_no(), now, self.settings.branch)
            tx.update_order(updated)
            tx.insert_order(record, order_date)
            if request.kind is RevisionKind.REVISE:
                self.engine.on_arrival(tx, record, now)
            return record

        return work

    def fill(self, order_no: str, quantity: int, price: Decimal, now: datetime) -> Order:
        """A test fill (admin API), through the same path as the fill engine's."""
        with self.store.transaction() as tx:
            order = tx.load_order_for_update(order_no.zfill(10))
            if order is None:
                raise LookupError(order_no)
            return self.engine.apply_fill(tx, order, quantity, price, now)

    def trade(self, exchange: Exchange, symbol: str, price: Decimal, size: int | None, now: datetime) -> list[Fill]:
        """A trade of an instrument (a price source's tick): fills the resting orders it crosses."""
        instrument = self.instrument(exchange, symbol)
        with self.store.transaction() as tx:
            return self.engine.on_trade(tx, instrument.exchange, instrument.symbol, price, size, now)

    def snapshot(self, number: str) -> AccountSnapshot:
        with self.store.read() as tx:
            live = tx.live_orders_of(number)
            cash = tx.cash_balances(number)
            currencies = set(cash) | {accounts.currency_of(o) for o in live}
            pending: dict[tuple[Exchange, str], int] = {}
            for o in live:
                if o.side is Side.SELL:
                    pending[(o.exchange, o.symbol)] = pending.get((o.exchange, o.symbol), 0) + o.open_quantity
            return AccountSnapshot(number, cash, {c: accounts.reserved_total(live, c) for c in sorted(currencies)},
                                   tx.positions(number), pending, tx.ledger_totals(number))

    def last_price(self, exchange: Exchange, symbol: str) -> Decimal | None:
        """The last traded price, or the instrument's configured price before any trade."""
        instrument = self.instruments.get((exchange, symbol))
        if instrument is None:
            return None
        with self.store.read() as tx:
            trade = tx.last_trade(exchange, symbol)
        return trade.price if trade is not None else instrument.price

    def deposit(self, number: str, currency: str, amount: Decimal, now: datetime) -> Decimal:
        with self.store.transaction() as tx:
            tx.lock_account(number)
            return tx.add_cash(number, currency, amount, "deposit", "", now)

    def set_position(self, number: str, exchange: Exchange, symbol: str, position: Position) -> None:
        with self.store.transaction() as tx:
            tx.lock_account(number)
            tx.set_position(number, exchange, symbol, position)

    def list_orders(self, query: OrderQuery) -> list[tuple[Order, str]]:
        """Orders with their exchange-local order dates (YYYYMMDD)."""
        with self.store.read() as tx:
            return tx.list_orders(query)
