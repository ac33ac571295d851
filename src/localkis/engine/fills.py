"""The fill simulator: turns trades into fills on resting orders, inside the caller's store transaction.

Every fill goes through `FillEngine.apply_fill`, which also settles cash and the position, so a fill
is serialised with revise/cancel of the same order by the store's row lock (PROTOCOL A4).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from localkis.domain import matching, orders
from localkis.domain.accounts import cash_change, currency_of
from localkis.domain.hours import MarketHours, SessionState, compact_date, local_date
from localkis.domain.orders import Order
from localkis.protocol.exchanges import Exchange
from localkis.protocol.trids import Side
from localkis.store.base import LastTrade, Transaction


@dataclass(frozen=True, slots=True)
class Fill:
    order_no: str
    quantity: int
    price: Decimal


class FillEngine:
    def __init__(self, hours: MarketHours) -> None:
        self.hours = hours

    def apply_fill(self, tx: Transaction, order: Order, quantity: int, price: Decimal, at: datetime) -> Order:
        """Fill `quantity` of a locked `order` at `price`; settle cash and the position."""
        updated = orders.fill(order, quantity, price)
        # Lock the account before reading its position: another process may be filling for it too.
        tx.lock_account(order.account)
        position = tx.position(order.account, order.exchange, order.symbol)
        if order.side is Side.SELL and position.quantity < quantity:
            raise orders.FillError(f"order {order.order_no} would sell {quantity} of a position of "
                                   f"{position.quantity}")
        tx.update_order(updated)
        tx.insert_fill(order.order_no, quantity, str(price), at)
        kind = "buy" if order.side is Side.BUY else "sell"
        tx.add_cash(order.account, currency_of(order), cash_change(order.side, quantity, price), kind,
                    order.order_no, at)
        position = position.after_buy(quantity, price) if order.side is Side.BUY else position.after_sell(quantity)
        tx.set_position(order.account, order.exchange, order.symbol, position)
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
        resting = tx.live_orders_on(frozenset({exchange}), symbol)
        fills: list[Fill] = []

        def settle(allocations: list[matching.Allocation]) -> int:
            done = 0
            for a in allocations:
                current = next(o for o in resting if o.order_no == a.order.order_no)
                try:
                    updated = self.apply_fill(tx, current, a.quantity, a.price, at)
                except orders.FillError:
                    continue  # a sell whose shares were taken away by an admin: it stays open
                resting[resting.index(current)] = updated
                fills.append(Fill(a.order.order_no, a.quantity, a.price))
                done += a.quantity
            return done

        regular = state is SessionState.REGULAR
        if last is not None and last.regular_price is not None and not (regular and last.regular_date == today):
            settle(matching.closing_auction(resting, last.regular_price))
        if regular and (last is None or last.regular_date != today):
            settle(matching.opening_auction(resting, price))
        printed = settle(matching.on_print(resting, price, size))
        tx.set_last_trade(LastTrade(
            exchange, symbol, price, None if size is None else max(0, size - printed), at, today,
            price if regular else (last.regular_price if last else None),
            today if regular else (last.regular_date if last else "")))
        return fills
