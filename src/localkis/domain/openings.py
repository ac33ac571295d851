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
    next_close: datetime | None = None  # KST end of the regular session on now, or else of the next one


def market_status(hours: MarketHours, exchange: Exchange, now: datetime) -> MarketStatus:
    """`exchange`'s session at `now`, when its next regular session starts unless it is in one, and when
    the current (or next) regular session ends."""
    state = hours.session(exchange, now)
    info = EXCHANGES[exchange]
    in_session = state is SessionState.REGULAR
    opens: datetime | None = None
    closes: datetime | None = None
    day = now.astimezone(KST).date() - timedelta(days=1)  # a US session's local date is behind KST
    for offset in range(LOOK_AHEAD_DAYS + 2):
        for window in hours.windows(exchange, day + timedelta(days=offset)):
            if window.kind is not SessionState.REGULAR:
                continue
            if closes is None and window.end > now:
                closes = window.end
            if opens is None and not in_session and window.start > now:
                opens = window.start
        if closes is not None and (in_session or opens is not None):
            break
    return MarketStatus(info.market, exchange, state, opens, closes)


def all_markets(hours: MarketHours, now: datetime) -> list[MarketStatus]:
    return [market_status(hours, exchange, now) for exchange in MARKET_EXCHANGE.values()]
