"""Realised profit and loss (해외주식 기간손익): what a sell fill realised against the position's average
cost, net of its commission — worked out once, when the fill settles, and kept as a record, so a
period's P/L is a sum of records rather than a replay of the account's fills.

KIS's rule (REST-NEXT §14): P/L = the sell against the fill-basis average buy price; costs are the sell's
own. localkis charges the commission of `FeeSchedule` on the sell (buys are not charged: see
docs/behaviour.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from localkis.domain.accounts import Position
from localkis.protocol.exchanges import EXCHANGES, Exchange, Market
from localkis.protocol.orders import Side

ZERO = Decimal(0)

# KIS's published online commission for overseas stocks (no promotion): US 0.25 %, the Asian markets 0.3 %.
DEFAULT_RATES: dict[Market, Decimal] = {
    Market.US: Decimal("0.0025"), Market.HK: Decimal("0.003"), Market.SH: Decimal("0.003"),
    Market.SZ: Decimal("0.003"), Market.JP: Decimal("0.003"), Market.VN: Decimal("0.003"),
}
# Decimals a fee is rounded to, per currency (yen and dong have none).
_FEE_PLACES = {"USD": 2, "HKD": 2, "CNY": 2, "JPY": 0, "VND": 0}


@dataclass(frozen=True, slots=True)
class FeeSchedule:
    rates: dict[Market, Decimal] = field(default_factory=lambda: dict(DEFAULT_RATES))

    def commission(self, exchange: Exchange, amount: Decimal) -> Decimal:
        info = EXCHANGES[exchange]
        exponent = Decimal(1).scaleb(-_FEE_PLACES.get(info.currency, 2))
        return (amount * self.rates.get(info.market, ZERO)).quantize(exponent, rounding=ROUND_HALF_UP)


DEFAULT_FEES = FeeSchedule()


class Realised(NamedTuple):
    """One sell fill's result."""

    account: str
    exchange: Exchange
    symbol: str
    trade_date: str  # exchange-local YYYYMMDD
    quantity: int
    buy_cost: Decimal  # average cost × quantity
    sell_amount: Decimal  # price × quantity
    fee: Decimal
    order_no: str
    at: datetime

    @property
    def profit(self) -> Decimal:
        return self.sell_amount - self.buy_cost - self.fee


def realise(account: str, exchange: Exchange, symbol: str, position: Position, quantity: int, price: Decimal,
            fees: FeeSchedule, *, trade_date: str, order_no: str, at: datetime) -> Realised:
    """What selling `quantity` at `price` out of `position` (before the sell) realises."""
    amount = price * quantity
    return Realised(account, exchange, symbol, trade_date, quantity, position.average_price * quantity, amount,
                    fees.commission(exchange, amount), order_no, at)


class FillRecord(NamedTuple):
    """One fill with what the account's history shows of its order (inquire-period-trans)."""

    order_no: str
    exchange: Exchange
    symbol: str
    side: Side
    quantity: int
    price: Decimal
    at: datetime


class DayFills(NamedTuple):
    """An instrument's fills of its market's day (the balance answers' thdt_* fields)."""

    bought: int = 0
    sold: int = 0
    bought_amount: Decimal = ZERO
    sold_amount: Decimal = ZERO


class ProfitLine(NamedTuple):
    """The sells of one instrument on one day, summed (a row of inquire-period-profit)."""

    trade_date: str
    exchange: Exchange
    symbol: str
    quantity: int
    buy_cost: Decimal
    sell_amount: Decimal
    fee: Decimal

    @property
    def profit(self) -> Decimal:
        return self.sell_amount - self.buy_cost - self.fee


def lines(records: list[Realised]) -> list[ProfitLine]:
    """Records summed per (day, exchange, symbol), newest day first, then by symbol."""
    sums: dict[tuple[str, Exchange, str], ProfitLine] = {}
    for r in records:
        key = (r.trade_date, r.exchange, r.symbol)
        line = sums.get(key)
        if line is None:
            sums[key] = ProfitLine(r.trade_date, r.exchange, r.symbol, r.quantity, r.buy_cost, r.sell_amount, r.fee)
        else:
            sums[key] = line._replace(quantity=line.quantity + r.quantity, buy_cost=line.buy_cost + r.buy_cost,
                                      sell_amount=line.sell_amount + r.sell_amount, fee=line.fee + r.fee)
    return sorted(sums.values(), key=lambda x: (-int(x.trade_date), x.exchange.value, x.symbol))
