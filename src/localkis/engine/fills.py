"""The fill simulator: turns trades into fills on resting orders, inside the caller's store transaction.

Every fill goes through `FillEngine.apply_fill`, which also settles cash and the position, so a fill
is serialised with revise/cancel of the same order by the store's row lock (PROTOCOL A4). A print
reads only the orders it can fill: the crossing limit orders of each side (an index range), and the
auction orders at a session change.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from localkis.domain import matching, orders
from localkis.domain.accounts import currency_of, settle
from localkis.domain.hours import MarketHours, SessionState, compact_date, local_date
from localkis.domain.orders import FillError, Order
from localkis.protocol.exchanges import Exchange
from localkis.protocol.orders import Side
from localkis.store.base import LastTrade, Transaction


@dataclass(frozen=True, slots=True)
class Fill:
    order_no: str
    quantity: int
    price: Decimal
    order: Order | None = None  # the order with this fill counted (for its execution notice)


class FillEngine:
    def __init__(self, hours: MarketHours) -> None:
        self.hours = hours

    def apply_fill(self, tx: Transaction, order: Order, quantity: int, price: Decimal, at: datetime) -> Order:
        """Fill `quantity` of a locked `order` at `price`; settle cash and the position."""
        updated = orders.fill(order, quantity, price)
        # Lock order: the order (already), the account, its cash, its position — as every writer does.
        tx.lock_account(order.account)
        currency = currency_of(order)
        tx.funds(order.account, currency)
        settlement = settle(order, quantity, price, tx.holding(order.account, order.exchange, order.symbol).position)
        tx.update_order(order, updated)
        tx.insert_fill(order.order_no, quantity, str(price), at)
        tx.add_cash(order.account, currency, settlement.cash_change, "buy" if order.side is Side.BUY else "sell",
                    order.order_no, at)
        tx.set_position(order.account, order.exchange, order.symbol, settlement.position)
        return updated

    def on_arrival(self, tx: Transaction, order: Order, at: datetime) -> Order:
        """Fill a just-accepted order at the last trade's price if it crosses it (size permitting)."""
        last = tx.last_trade(order.exchange, order.symbol)
        if last is None or last.size_left == 0:
            return order
        allocation = matching.on_arrival(order, last.price, last.size_left)
        if allocation is None:
            return order
        updated = self.apply_fill(tx, order, allocation.quantity, allocation.price, at)
        if last.size_left is not None:
            tx.set_last_trade(replace(last, size_left=last.size_left - allocation.quantity))
        return updated

    def on_trade(self, tx: Transaction, exchange: Exchange, symbol: str, price: Decimal, size: int | None,
                 at: datetime) -> list[Fill]:
        """A trade of `size` (None: unlimited) at `price`: auctions first, then resting limit orders."""
        state = self.hours.session(exchange, at)
        today = compact_date(local_date(exchange, at))
        last = tx.last_trade(exchange, symbol)
        regular = state is SessionState.REGULAR
        closing = last is not None and last.regular_price is not None and not (regular and last.regular_date == today)
        opening = regular and (last is None or last.regular_date != today)
        # Every order the print may fill is locked first, then their accounts in one order: a print never
        # waits for an order while it holds an account, so it cannot deadlock with a revise or another print.
        auctions = tx.auction_orders(exchange, symbol) if closing or opening else []
        crossing = self._crossing(tx, exchange, symbol, price, size)
        for account in sorted({o.account for o in (*auctions, *crossing)}):
            tx.lock_account(account)
        fills: list[Fill] = []
        if auctions and closing:
            assert last is not None and last.regular_price is not None
            auctions = self._settle(tx, auctions, matching.closing_auction(auctions, last.regular_price), at, fills)[0]
        if auctions and opening:
            self._settle(tx, auctions, matching.opening_auction(auctions, price), at, fills)
        printed = self._settle(tx, crossing, matching.on_print(crossing, price, size), at, fills)[1]
        tx.set_last_trade(LastTrade(
            exchange, symbol, price, None if size is None else max(0, size - printed), at, today,
            price if regular else (last.regular_price if last else None),
            today if regular else (last.regular_date if last else "")))
        return fills

    @staticmethod
    def _crossing(tx: Transaction, exchange: Exchange, symbol: str, price: Decimal, size: int | None) -> list[Order]:
        """The live limit orders of both sides a print may fill, best first. Each allocation takes at least
        one share of the print's size, so `size` orders a side hold every one it can allocate to."""
        return [o for side in (Side.BUY, Side.SELL) for o in tx.crossing_orders(exchange, symbol, side, price, size)]

    def _settle(self, tx: Transaction, candidates: list[Order], allocations: list[matching.Allocation],
                at: datetime, fills: list[Fill]) -> tuple[list[Order], int]:
        """Apply allocations; the candidates still live after them, and the shares filled."""
        current = {o.order_no: o for o in candidates}
        done = 0
        for a in allocations:
            try:
                current[a.order.order_no] = self.apply_fill(tx, current[a.order.order_no], a.quantity, a.price, at)
            except FillError:
                continue  # a sell whose shares were taken away by an admin: it stays open
            fills.append(Fill(a.order.order_no, a.quantity, a.price, current[a.order.order_no]))
            done += a.quantity
        return [o for o in current.values() if o.is_live], done
