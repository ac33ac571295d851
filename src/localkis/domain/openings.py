"""Which markets take orders at an instant, and when each next opens (the start-up banner's hint)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from localkis.domain.hours import KST, MarketHours, SessionState
from localkis.protocol.exchanges import EXCHANGES, Exchange, Market

# One order-side exchange per market, for a one-line status each.
MARKET_EXCHANGE: dict[Market, Exchange] = {}
for _exchange, _info in EXCHANGES.items():
    MARKET_EXCHANGE.setdefault(_info.market, _exchange)

LOOK_AHEAD_DAYS = 14  # the longest closure (Lunar New Year, Golden Week) is shorter


@dataclass(frozen=True, slots=True)
class MarketStatus:
    market: Market
    exchange: Exchange
    state: SessionState
    next_open: datetime | None  # KST start of the next regular session, None while one is on


def market_status(hours: MarketHours, exchange: Exchange, now: datetime) -> MarketStatus:
    """`exchange`'s session at `now`, and when its next regular session starts unless it is in one."""
    state = hours.session(exchange, now)
    info = EXCHANGES[exchange]
    if state is SessionState.REGULAR:
        return MarketStatus(info.market, exchange, state, None)
    day = now.astimezone(KST).date() - timedelta(days=1)  # a US session's local date is behind KST
    for offset in range(LOOK_AHEAD_DAYS + 2):
        for window in hours.windows(exchange, day + timedelta(days=offset)):
            if window.kind is SessionState.REGULAR and window.start > now:
                return MarketStatus(info.market, exchange, state, window.start)
    return MarketStatus(info.market, exchange, state, None)


def all_markets(hours: MarketHours, now: datetime) -> list[MarketStatus]:
    return [market_status(hours, exchange, now) for exchange in MARKET_EXCHANGE.values()]
