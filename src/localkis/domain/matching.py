"""Which resting orders a trade fills, in what order, how much and at what price (pure rules).

- A limit buy crosses a trade at or below its limit, a limit sell one at or above it. A resting order
  fills at its own limit; an order that crosses the last trade when it arrives fills at that trade's
  (better or equal) price.
- Priority: better limit first, then earlier order number (price-time among our orders).
- A trade's size bounds the total filled by it (None: unlimited), so a small print fills partially.
- US auction orders (real apps only): MOO/LOO (31/32) trade in the opening auction at the session's
  first price, MOC/LOC (33/34) in the closing auction at its last regular price; a LOO/LOC fills only
  if that price crosses its limit. They never trade on ordinary prints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from localkis.domain.book import Level
from localkis.domain.orders import Order
from localkis.protocol.orders import AUCTION_TYPES, CLOSE_AUCTION_TYPES, MARKET_PRICE_TYPES, OPEN_AUCTION_TYPES, Side


@dataclass(frozen=True, slots=True)
class Allocation:
    order: Order
    quantity: int
    price: Decimal


def crosses(order: Order, price: Decimal) -> bool:
    if order.order_type in MARKET_PRICE_TYPES:
        return True
    return price <= order.price if order.side is Side.BUY else price >= order.price


def priority(order: Order) -> tuple[Decimal, str]:
    """Sort key: best limit first (highest buy, lowest sell), then the older order."""
    return (-order.price if order.side is Side.BUY else order.price, order.order_no)


def is_auction(order: Order) -> bool:
    return order.order_type in AUCTION_TYPES


def _allocate(candidates: list[Order], price: Decimal, size: int | None, *, at_limit: bool) -> list[Allocation]:
    out: list[Allocation] = []
    left = size
    for order in sorted(candidates, key=priority):
        if left is not None and left <= 0:
            break
        if order.open_quantity <= 0 or not crosses(order, price):
            continue
        qty = order.open_quantity if left is None else min(order.open_quantity, left)
        fill_price = order.price if at_limit and order.order_type not in MARKET_PRICE_TYPES else price
        out.append(Allocation(order, qty, fill_price))
        if left is not None:
            left -= qty
    return out


def on_print(resting: list[Order], price: Decimal, size: int | None) -> list[Allocation]:
    """Fills of resting (non-auction) orders by a trade at `price` of `size`."""
    return _allocate([o for o in resting if not is_auction(o)], price, size, at_limit=True)


def on_arrival(order: Order, last_price: Decimal, size_left: int | None) -> Allocation | None:
    """The fill of an order that crosses the last trade on arrival, at the trade's price."""
    if is_auction(order):
        return None
    fills = _allocate([order], last_price, size_left, at_limit=False)
    return fills[0] if fills else None


def walk_book(order: Order, levels: Sequence[Level]) -> list[Allocation]:
    """The fills of an order arriving against the displayed opposite side (`levels`, best first): level
    by level at each level's price, up to its size, while the level crosses the order's limit."""
    if is_auction(order):
        return []
    out: list[Allocation] = []
    left = order.open_quantity
    for level in levels:
        if left <= 0 or not crosses(order, level.price):
            break
        qty = min(left, level.size)
        if qty > 0:
            out.append(Allocation(order, qty, level.price))
            left -= qty
    return out


def opening_auction(resting: list[Order], price: Decimal) -> list[Allocation]:
    """MOO/LOO orders at the session's first price (an auction clears all it can at one price)."""
    return _allocate([o for o in resting if o.order_type in OPEN_AUCTION_TYPES], price, None, at_limit=False)


def closing_auction(resting: list[Order], price: Decimal) -> list[Allocation]:
    """MOC/LOC orders at the session's last regular price."""
    return _allocate([o for o in resting if o.order_type in CLOSE_AUCTION_TYPES], price, None, at_limit=False)
