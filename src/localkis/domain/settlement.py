"""Settlement dates of a trade date (countries-holiday): the local date T+n and the Korean date after it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from localkis.protocol.exchanges import EXCHANGES, Exchange, Market
from localkis.protocol.quotations import SETTLEMENT_MARKETS

# US equities moved from T+2 to T+1 on this trade date (SEC rule 15c6-1 amendment).
US_T_PLUS_1 = date(2024, 5, 28)


def cycle(exchange: Exchange, trade_date: date) -> int:
    """The settlement cycle (local trading days) of a trade on `trade_date`."""
    if EXCHANGES[exchange].market is Market.US and trade_date < US_T_PLUS_1:
        return 2
    return SETTLEMENT_MARKETS[exchange.value].cycle


def _forward(day: date, count: int, is_open: Callable[[date], bool]) -> date:
    """The `count`-th day after `day` on which `is_open` holds (`day` itself when count is 0 and open)."""
    if count == 0:
        while not is_open(day):
            day += timedelta(days=1)
        return day
    for _ in range(count):
        day += timedelta(days=1)
        while not is_open(day):
            day += timedelta(days=1)
    return day


def settlement(exchange: Exchange, trade_date: date, is_trading_day: Callable[[date], bool],
               is_korean_business_day: Callable[[date], bool]) -> tuple[date, date]:
    """(local, Korean) settlement dates of a trade on `trade_date` (a trading day of `exchange`).

    The predicates come from the exchange calendars (the caller's `MarketHours`) and a Korean calendar."""
    local = _forward(trade_date, cycle(exchange, trade_date), is_trading_day)
    korean = _forward(local, SETTLEMENT_MARKETS[exchange.value].korea_lag, is_korean_business_day)
    return local, korean
