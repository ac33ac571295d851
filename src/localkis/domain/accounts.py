"""The account rules, defined once: what an order holds back, what is available, what is sellable.

Cash is kept per account and currency, shares per account and instrument. A live buy holds back
(reserves) its limit × open quantity of its currency; a live sell holds back its open quantity of
shares. The store keeps both as running totals, changed by `holds` of every order it writes, so a
check reads two numbers instead of the book. Per currency, at every commit:

    opening + deposits == available + reserved + spent − received
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from localkis.domain.errors import BusinessError, Reason
from localkis.domain.orders import FillError, Order
from localkis.protocol.exchanges import EXCHANGES
from localkis.protocol.orders import Side

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Position:
    quantity: int
    average_price: Decimal

    def after_buy(self, quantity: int, price: Decimal) -> Position:
        total = self.quantity + quantity
        cost = self.average_price * self.quantity + price * quantity
        return Position(total, cost / total)

    def after_sell(self, quantity: int) -> Position:
        if quantity > self.quantity:
            raise AssertionError(f"selling {quantity} of a position of {self.quantity}")
        left = self.quantity - quantity
        return Position(left, self.average_price if left else ZERO)


EMPTY_POSITION = Position(0, ZERO)


class Holds(NamedTuple):
    """What one order holds back: cash of its currency (a buy) or shares of its instrument (a sell)."""

    cash: Decimal
    shares: int


NOTHING_HELD = Holds(ZERO, 0)


def currency_of(order: Order) -> str:
    return EXCHANGES[order.exchange].currency


def holds(order: Order) -> Holds:
    """A live buy holds limit × open quantity; a live sell its open quantity; anything else nothing."""
    # Written for speed (it runs for every order written): an order is live exactly when something is
    # open on it (`orders.check_invariant`), so the open quantity alone decides.
    open_quantity = order.open_quantity
    if not open_quantity:
        return NOTHING_HELD
    if order.side is _BUY:
        return Holds(order.price * open_quantity, 0)
    return Holds(ZERO, open_quantity)


_BUY = Side.BUY


class Funds(NamedTuple):
    """An account's cash in one currency and what its live buys reserve of it."""

    cash: Decimal
    reserved: Decimal

    @property
    def available(self) -> Decimal:
        return self.cash - self.reserved


NO_FUNDS = Funds(ZERO, ZERO)


class Holding(NamedTuple):
    """An account's position in one instrument and the open quantity of its live sells of it."""

    position: Position
    pending_sells: int

    @property
    def sellable(self) -> int:
        return self.position.quantity - self.pending_sells


NO_HOLDING = Holding(EMPTY_POSITION, 0)


def check_buying_power(available: Decimal, needed: Decimal) -> None:
    if needed > available:
        raise BusinessError(Reason.INSUFFICIENT_CASH, f"needs {needed}, {available} available")


def check_sellable(holding: Holding, quantity: int) -> None:
    if quantity > holding.sellable:
        raise BusinessError(Reason.INSUFFICIENT_HOLDINGS,
                            f"selling {quantity}: {holding.position.quantity} held, "
                            f"{holding.pending_sells} already on sale")


class Settlement(NamedTuple):
    """What a fill moves: the cash of the order's currency and the position after it."""

    cash_change: Decimal  # a buy spends (negative), a sell receives
    position: Position


def settle(order: Order, quantity: int, price: Decimal, position: Position) -> Settlement:
    """Cash and position after `quantity` of `order` traded at `price`."""
    amount = price * quantity
    if order.side is Side.BUY:
        return Settlement(-amount, position.after_buy(quantity, price))
    if position.quantity < quantity:
        raise FillError(f"order {order.order_no} would sell {quantity} of a position of {position.quantity}")
    return Settlement(amount, position.after_sell(quantity))
