"""Tick sizes and lot sizes per exchange (PROTOCOL Part C).

Tick tables (one per rule book, each row dated by the day it took effect):

- ``US``      NASD/NYSE/AMEX, SEC Rule 612: 0.0001 below $1, 0.01 from $1 up (lower bound inclusive).
- ``HK``      SEHK spread table. Row 2025-08-04 is Phase 1 (10-20: .01, 20-50: .02); the older row
              (10-20: .02, 20-50: .05) applies before it. Bands are "over X up to Y" (upper inclusive).
- ``JP``      TKSE, standard table; ``JP_TOPIX500`` the finer table for TOPIX500 constituents.
              Band upper bounds are inclusive as JPX writes them ("1,000 yen or less").
- ``CN``      SHAA/SZAA: 0.01 CNY.
- ``HOSE``    VNSE: 10 VND below 10,000, 50 up to 49,950, 100 from 50,000 (lower bound inclusive).
- ``HNX``     HASE: 100 VND.

Lots: US 1, JP 100, CN 100 (odd remainder only on a sell), HK per instrument (100 when unknown),
VN 100 with odd lots 1-99 as their own orders; HOSE caps an order at 500,000 shares.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from localkis.domain.errors import BusinessError, Reason
from localkis.protocol.exchanges import Exchange

D = Decimal


@dataclass(frozen=True, slots=True)
class TickTable:
    """Bands of (bound, tick); the last bound is None (no upper limit)."""

    since: date
    upper_inclusive: bool  # True: price <= bound is in the band (HK, JP); False: price < bound (US, VN)
    bands: tuple[tuple[Decimal | None, Decimal], ...]


# `date.min`: in force before any day localkis serves; the exact origin does not matter here.
TICK_TABLES: dict[str, tuple[TickTable, ...]] = {
    "US": (TickTable(date.min, False, ((D("1"), D("0.0001")), (None, D("0.01")))),),
    "HK": (
        TickTable(date.min, True, (
            (D("0.25"), D("0.001")), (D("0.50"), D("0.005")), (D("10"), D("0.01")), (D("20"), D("0.02")),
            (D("100"), D("0.05")), (D("200"), D("0.1")), (D("500"), D("0.2")), (D("1000"), D("0.5")),
            (D("2000"), D("1")), (D("5000"), D("2")), (None, D("5")),
        )),
        TickTable(date(2025, 8, 4), True, (  # HKEX spread-table reduction, Phase 1
            (D("0.25"), D("0.001")), (D("0.50"), D("0.005")), (D("10"), D("0.01")), (D("20"), D("0.01")),
            (D("50"), D("0.02")), (D("100"), D("0.05")), (D("200"), D("0.1")), (D("500"), D("0.2")),
            (D("1000"), D("0.5")), (D("2000"), D("1")), (D("5000"), D("2")), (None, D("5")),
        )),
    ),
    "JP": (TickTable(date.min, True, (
        (D("3000"), D("1")), (D("5000"), D("5")), (D("30000"), D("10")), (D("50000"), D("50")),
        (D("300000"), D("100")), (D("500000"), D("500")), (D("3000000"), D("1000")),
        (D("5000000"), D("5000")), (D("30000000"), D("10000")), (D("50000000"), D("50000")),
        (None, D("100000")),
    )),),
    "JP_TOPIX500": (TickTable(date.min, True, (
        (D("1000"), D("0.1")), (D("3000"), D("0.5")), (D("10000"), D("1")), (D("30000"), D("5")),
        (D("100000"), D("10")), (D("300000"), D("50")), (D("1000000"), D("100")),
        (D("3000000"), D("500")), (D("10000000"), D("1000")), (D("30000000"), D("5000")),
        (None, D("10000")),
    )),),
    "CN": (TickTable(date.min, False, ((None, D("0.01")),)),),
    "HOSE": (TickTable(date.min, False, ((D("10000"), D("10")), (D("50000"), D("50")), (None, D("100")))),),
    "HNX": (TickTable(date.min, False, ((None, D("100")),)),),
}

_TICK_RULEBOOK: dict[Exchange, str] = {
    Exchange.NASD: "US", Exchange.NYSE: "US", Exchange.AMEX: "US",
    Exchange.SEHK: "HK", Exchange.TKSE: "JP", Exchange.SHAA: "CN", Exchange.SZAA: "CN",
    Exchange.VNSE: "HOSE", Exchange.HASE: "HNX",
}

DEFAULT_LOT: dict[Exchange, int] = {
    Exchange.NASD: 1, Exchange.NYSE: 1, Exchange.AMEX: 1,
    Exchange.SEHK: 100,  # HK lots are per stock; 100 only when the instrument does not say
    Exchange.TKSE: 100, Exchange.SHAA: 100, Exchange.SZAA: 100,
    Exchange.HASE: 100, Exchange.VNSE: 100,
}

US_MIN_PRICE = D("0.01")  # KIS: APBK1507 "가격 $0.01 미만시 온라인 주문불가"
HOSE_MAX_ORDER_QTY = 500_000
_ODD_LOT_EXCHANGES = frozenset({Exchange.HASE, Exchange.VNSE})  # odd lots 1-99 are separate orders
_CN_EXCHANGES = frozenset({Exchange.SHAA, Exchange.SZAA})


def tick_table(exchange: Exchange, *, topix500: bool = False, on: date | None = None) -> TickTable:
    """The table in force on `on` (None: the newest row)."""
    book = _TICK_RULEBOOK[exchange]
    if book == "JP" and topix500:
        book = "JP_TOPIX500"
    rows = TICK_TABLES[book]
    if on is None:
        return rows[-1]
    for row in reversed(rows):  # newest first: the current table is found at once
        if row.since <= on:
            return row
    return rows[0]


def tick_size(
    exchange: Exchange, price: Decimal, *, topix500: bool = False, on: date | None = None
) -> Decimal:
    """The price increment for `price` on `exchange` (`topix500` only matters for TKSE)."""
    table = tick_table(exchange, topix500=topix500, on=on)
    for bound, tick in table.bands:
        if bound is None or price < bound or (table.upper_inclusive and price == bound):
            return tick
    raise AssertionError("tick table without an open last band")  # pragma: no cover


def check_price(
    exchange: Exchange, price: Decimal, *, topix500: bool = False, on: date | None = None
) -> None:
    """Raise `BusinessError` unless `price` is a positive price on the exchange's tick grid."""
    if not price.is_finite():
        raise BusinessError(Reason.OFF_TICK, f"price {price} is not a number")
    if price <= 0 or (_TICK_RULEBOOK[exchange] == "US" and price < US_MIN_PRICE):
        raise BusinessError(Reason.PRICE_BELOW_MINIMUM, f"price {price}")
    tick = tick_size(exchange, price, topix500=topix500, on=on)
    # Decimal remainder is exact, so "100.0000" % "0.01" == 0 (trailing zeros are on tick).
    if price % tick != 0:
        raise BusinessError(Reason.OFF_TICK, f"price {price} is not a multiple of {tick}")


def default_lot_size(exchange: Exchange) -> int:
    """The board lot when the instrument carries none."""
    return DEFAULT_LOT[exchange]


def check_quantity(
    exchange: Exchange, side_is_buy: bool, quantity: int, lot_size: int, *, held: int | None = None
) -> None:
    """Raise `BusinessError` unless `quantity` is a valid order size (`held`: shares owned, for CN sells)."""
    if lot_size <= 0:
        raise ValueError(f"lot size must be positive, got {lot_size}")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise BusinessError(Reason.BAD_QUANTITY, f"quantity {quantity!r}")
    if exchange is Exchange.VNSE and quantity > HOSE_MAX_ORDER_QTY:
        raise BusinessError(Reason.BAD_QUANTITY, f"quantity {quantity} over HOSE max {HOSE_MAX_ORDER_QTY}")
    remainder = quantity % lot_size
    if remainder == 0:
        return
    if exchange in _ODD_LOT_EXCHANGES and quantity < lot_size:
        return
    if exchange in _CN_EXCHANGES and not side_is_buy:
        # SSE/SZSE: an odd remainder (< 1 lot) can only be sold, and all of it in one order.
        if held is None and quantity < lot_size:
            return
        if held is not None and remainder == held % lot_size:
            return
    raise BusinessError(Reason.BAD_LOT, f"quantity {quantity} is not a multiple of lot {lot_size}")
