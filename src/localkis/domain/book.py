"""The order book a quote shows: synthetic depth around the last print, merged with resting limit orders.

The rule (deterministic, no randomness, no clock):

- The synthetic best bid is the last print moved down `spread_ticks // 2` ticks; the synthetic best ask
  is `spread_ticks` ticks above the best bid (default 2: one tick either side of the last print; 1: the
  bid at the last print, the ask one tick above). Further levels step one tick outwards, on the tick grid
  of the price they are at (a band edge changes the step), never below the exchange's lowest price.
- Every synthetic level shows `size` shares, rounded up to whole lots.
- Resting limit orders of localkis accounts are added at their limits (their open quantities summed per
  price), on top of any synthetic size at the same price.
- Synthetic levels never cross resting orders: synthetic asks are placed only above the best resting
  buy, synthetic bids only below the best resting sell. Resting orders are always shown as they are, so
  the book can only be crossed if resting buys and sells of localkis accounts cross each other.
- Each side is cut to the `levels` best prices.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from localkis.domain import markets
from localkis.protocol.exchanges import EXCHANGES, Exchange, Market
from localkis.protocol.orders import Side

# Far below the finest tick of any table (0.0001): a price this much above or below p lies in the band
# just above or below p, which is the band whose tick is the step from p.
_EPSILON = Decimal("1e-9")


@dataclass(frozen=True, slots=True)
class Level:
    price: Decimal
    size: int


@dataclass(frozen=True, slots=True)
class BookSnapshot:
    """Both sides of a book, best level first (highest bid, lowest ask)."""

    bids: tuple[Level, ...]
    asks: tuple[Level, ...]

    @property
    def bid_size(self) -> int:
        return sum(level.size for level in self.bids)

    @property
    def ask_size(self) -> int:
        return sum(level.size for level in self.asks)

    @property
    def best_bid(self) -> Level | None:
        return self.bids[0] if self.bids else None

    @property
    def best_ask(self) -> Level | None:
        return self.asks[0] if self.asks else None


@dataclass(frozen=True, slots=True)
class BookParams:
    """`[market] book_levels`, `book_spread_ticks`, `book_size`."""

    levels: int = 10
    spread_ticks: int = 2
    size: int = 100

    def __post_init__(self) -> None:
        if self.levels < 1 or self.spread_ticks < 1 or self.size < 1:
            raise ValueError(f"book levels, spread and size must be at least 1: {self}")


@dataclass(frozen=True, slots=True)
class Resting:
    """A resting limit order as the book sees it."""

    side: Side
    price: Decimal
    open_quantity: int


def lowest_price(exchange: Exchange, *, topix500: bool = False, on: date | None = None) -> Decimal:
    """The lowest price a level can carry: one tick (US: $0.01, KIS refuses less online)."""
    tick = markets.tick_size(exchange, Decimal(0), topix500=topix500, on=on)
    if EXCHANGES[exchange].market is Market.US:
        return max(tick, markets.US_MIN_PRICE)
    return tick


def snap(exchange: Exchange, price: Decimal, *, up: bool, topix500: bool = False, on: date | None = None) -> Decimal:
    """`price` moved onto the tick grid: up (`up`) or down; a price on the grid is returned as it is."""
    value = price
    for _ in range(4):  # crossing a band edge can change the tick; the grid is reached at once in practice
        tick = markets.tick_size(exchange, value, topix500=topix500, on=on)
        if value % tick == 0:  # Decimal remainder is exact: the common case costs one division
            return value.quantize(tick)
        steps = (value / tick).to_integral_value(rounding=ROUND_CEILING if up else ROUND_FLOOR)
        value = (steps * tick).quantize(tick)
    raise AssertionError(f"no price on the grid near {price} on {exchange.value}")  # pragma: no cover


def _up(exchange: Exchange, price: Decimal, topix500: bool, on: date | None) -> Decimal:
    """The next price above `price`, which is on the grid."""
    higher = price + markets.tick_size(exchange, price + _EPSILON, topix500=topix500, on=on)
    tick = markets.tick_size(exchange, higher, topix500=topix500, on=on)
    if higher % tick == 0:
        return higher.quantize(tick)
    return snap(exchange, higher, up=True, topix500=topix500, on=on)  # pragma: no cover - tables nest


def _down(exchange: Exchange, price: Decimal, topix500: bool, on: date | None) -> Decimal:
    """The next price below `price`, which is on the grid (may be below the lowest price)."""
    lower = price - markets.tick_size(exchange, price - _EPSILON, topix500=topix500, on=on)
    if lower <= 0:
        return lower
    tick = markets.tick_size(exchange, lower, topix500=topix500, on=on)
    if lower % tick == 0:
        return lower.quantize(tick)
    return snap(exchange, lower, up=False, topix500=topix500, on=on)  # pragma: no cover - tables nest


def price_up(exchange: Exchange, price: Decimal, *, topix500: bool = False, on: date | None = None) -> Decimal:
    """The next price on the grid strictly above `price`."""
    return _up(exchange, snap(exchange, price, up=False, topix500=topix500, on=on), topix500, on)


def price_down(exchange: Exchange, price: Decimal, *, topix500: bool = False,
               on: date | None = None) -> Decimal | None:
    """The next price on the grid strictly below `price`; None below the lowest price."""
    lower = _down(exchange, snap(exchange, price, up=True, topix500=topix500, on=on), topix500, on)
    if lower < lowest_price(exchange, topix500=topix500, on=on):
        return None
    return lower


def _lots(size: int, lot: int) -> int:
    return -(-size // lot) * lot


def touch(exchange: Exchange, last: Decimal, spread_ticks: int = 2, *, topix500: bool = False,
          on: date | None = None) -> tuple[Decimal | None, Decimal]:
    """The synthetic best bid (None below the lowest price) and best ask around the last print.

    `spread_ticks // 2` ticks below the last print, the rest above it. A last print off the grid (loaded
    history) counts as one tick of spread already: the bid is its floor, the ask its ceiling."""
    down = spread_ticks // 2
    up = spread_ticks - down
    floor = lowest_price(exchange, topix500=topix500, on=on)
    bid: Decimal | None = snap(exchange, last, up=False, topix500=topix500, on=on)
    ask = max(snap(exchange, last, up=True, topix500=topix500, on=on), floor)
    if bid is not None and bid < floor:
        bid = None
    if ask != bid:
        down, up = max(down - 1, 0), max(up - 1, 0)
    for _ in range(down):
        if bid is None:
            break
        lower = _down(exchange, bid, topix500, on)
        bid = lower if lower >= floor else None
    for _ in range(up):
        ask = _up(exchange, ask, topix500, on)
    return bid, ask


def synthetic_book(exchange: Exchange, last: Decimal, resting: Iterable[Resting] = (), *,
                   params: BookParams | None = None, lot: int = 1, topix500: bool = False,
                   on: date | None = None) -> BookSnapshot:
    """The book around the last print `last` with the resting orders merged in (module docstring)."""
    if last <= 0:
        raise ValueError(f"last price {last} must be positive")
    params = params or BookParams()

    def step_up(p: Decimal) -> Decimal:
        return price_up(exchange, p, topix500=topix500, on=on)

    def step_down(p: Decimal) -> Decimal | None:
        return price_down(exchange, p, topix500=topix500, on=on)

    own_bids: dict[Decimal, int] = {}
    own_asks: dict[Decimal, int] = {}
    for order in resting:
        if order.open_quantity <= 0:
            continue
        side = own_bids if order.side is Side.BUY else own_asks
        side[order.price] = side.get(order.price, 0) + order.open_quantity
    best_own_bid = max(own_bids) if own_bids else None
    best_own_ask = min(own_asks) if own_asks else None
    size = _lots(params.size, max(lot, 1))

    bid, ask = touch(exchange, last, params.spread_ticks, topix500=topix500, on=on)

    synthetic_asks: dict[Decimal, int] = {}
    price = ask
    while best_own_bid is not None and price <= best_own_bid:
        price = step_up(price)
    while len(synthetic_asks) < params.levels:
        synthetic_asks[price] = size
        price = step_up(price)

    synthetic_bids: dict[Decimal, int] = {}
    low: Decimal | None = bid
    while low is not None and best_own_ask is not None and low >= best_own_ask:
        low = step_down(low)
    while low is not None and len(synthetic_bids) < params.levels:
        synthetic_bids[low] = size
        low = step_down(low)

    return BookSnapshot(
        bids=_side(synthetic_bids, own_bids, params.levels, descending=True),
        asks=_side(synthetic_asks, own_asks, params.levels, descending=False),
    )


def _side(synthetic: dict[Decimal, int], own: dict[Decimal, int], levels: int, *,
          descending: bool) -> tuple[Level, ...]:
    merged = dict(synthetic)
    for price, qty in own.items():
        merged[price] = merged.get(price, 0) + qty
    prices = sorted(merged, reverse=descending)[:levels]
    return tuple(Level(p, merged[p]) for p in prices)
