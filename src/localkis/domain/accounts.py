"""Cash and positions: what an order reserves, what a fill moves (pure rules).

Cash is kept per account and currency. A buy reserves price × open quantity of its currency until it
fills, is cancelled or revised; a sell needs sellable shares: held − the open quantity of pending sells.
So, per currency, at every commit:

    initial + deposits == available + reserved + spent − received
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from localkis.domain.errors import BusinessError, Reason
from localkis.domain.orders import Order
from localkis.protocol.exchanges import EXCHANGES
from localkis.protocol.trids import Side


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
        return Position(left, self.average_price if left else Decimal(0))


EMPTY_POSITION = Position(0, Decimal(0))


def currency_of(order: Order) -> str:
    return EXCHANGES[order.exchange].currency


def reservation(order: Order) -> Decimal:
    """Cash a live buy holds back: its limit price × what is still open (sells reserve no cash)."""
    if order.side is not Side.BUY or not order.is_live:
        return Decimal(0)
    return order.price * order.open_quantity


def reserved_total(orders: Iterable[Order], currency: str) -> Decimal:
    return sum((reservation(o) for o in orders if currency_of(o) == currency), Decimal(0))


def pending_sell_quantity(orders: Iterable[Order]) -> int:
    return sum(o.open_quantity for o in orders if o.side is Side.SELL and o.is_live)


def check_buying_power(available: Decimal, needed: Decimal) -> None:
    if needed > available:
        raise BusinessError(Reason.INSUFFICIENT_CASH, f"needs {needed}, {available} available")


def check_sellable(held: int, pending_sells: int, quantity: int) -> None:
    if quantity > held - pending_sells:
        raise BusinessError(Reason.INSUFFICIENT_HOLDINGS,
                            f"selling {quantity}: {held} held, {pending_sells} already on sale")


def extra_reservation_for_revise(original: Order, moved: int, new_price: Decimal) -> Decimal:
    """More cash a buy revise needs: the moved quantity at the new price minus what it held at the old."""
    if original.side is not Side.BUY:
        return Decimal(0)
    return max(Decimal(0), (new_price - original.price) * moved)


def cash_change(side: Side, quantity: int, price: Decimal) -> Decimal:
    """Cash movement of a fill: a buy spends, a sell receives."""
    amount = price * quantity
    return -amount if side is Side.BUY else amount
