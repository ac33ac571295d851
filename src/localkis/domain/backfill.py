"""A deterministic price history for an instrument that has none loaded: daily bars and recent minute bars.

- The daily closes are a random walk run backwards from the instrument's configured price, so the last
  close is that price. Opens gap a little from the previous close; highs and lows reach past both.
- The minute bars of the last sessions are Brownian bridges from the day's open to its close over the
  regular-session minutes the market hours give (lunch breaks and early closes included), and those days'
  daily bars are the fold of their minutes: daily and minute history agree.
- Every price is on the exchange's tick grid of its day and at least its lowest price; volumes are whole
  lots (about 20 billion KRW traded a day).
- The random numbers come from `random.Random` seeded with text naming the instrument, its price and the
  bar's distance from the end (SHA-512 of the text: the same in every process and on every run), and only
  uniform draws and IEEE arithmetic are used (no libm), so the history is the same everywhere. Counting
  from the end means a restart on a later day shows the same shape, ending on the newer session.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from localkis.domain import markets
from localkis.domain.bars import Bar, day_start, merge
from localkis.domain.book import lowest_price, snap
from localkis.domain.hours import MarketHours, SessionState, Window
from localkis.protocol.balances import KRW_RATES
from localkis.protocol.exchanges import EXCHANGES, Exchange

DEFAULT_DAYS = 250
DEFAULT_MINUTE_DAYS = 5
DEFAULT_VOLATILITY = 0.02  # standard deviation of a daily return
DAILY_TURNOVER_KRW = 20_000_000_000
_CENT = Decimal("0.01")
_SQRT3 = 1.7320508075688772


@dataclass(frozen=True, slots=True)
class Session:
    """One trading day of an exchange and its regular-session windows (KST, as `MarketHours` gives them)."""

    day: date
    windows: tuple[Window, ...]

    def minutes(self) -> list[datetime]:
        """The first instant (UTC) of every regular-session minute, in order."""
        out: list[datetime] = []
        for w in self.windows:
            at = w.start.astimezone(UTC)
            end = w.end.astimezone(UTC)
            while at < end:
                out.append(at)
                at += timedelta(minutes=1)
        return out


@dataclass(frozen=True, slots=True)
class History:
    days: tuple[Bar, ...]  # oldest first
    minutes: tuple[Bar, ...]  # oldest first


def sessions_before(hours: MarketHours, exchange: Exchange, before: date, count: int) -> list[Session]:
    """The last `count` sessions of `exchange` with a regular session strictly before `before`, oldest first."""
    found: list[Session] = []
    day = before - timedelta(days=1)
    # Weekends and the longest holidays (Tết, Golden Week) leave well over half of the days trading.
    for _ in range(count * 3 + 60):
        if len(found) >= count:
            break
        regular = tuple(w for w in hours.windows(exchange, day) if w.kind is SessionState.REGULAR)
        if regular:
            found.append(Session(day, regular))
        day -= timedelta(days=1)
    found.reverse()
    return found


class _Stream:
    """Deterministic draws: uniforms from a string-seeded Mersenne Twister, normals by Irwin-Hall (4 terms)."""

    def __init__(self, text: str) -> None:
        self._rng = random.Random(text)

    def uniform(self, lo: float, hi: float) -> float:
        return lo + (hi - lo) * self._rng.random()

    def normal(self) -> float:
        # Four uniforms minus 2 have mean 0 and variance 1/3: scaled by √3, a bell-shaped draw with variance
        # 1 from additions and one multiplication, which every platform computes alike.
        r = self._rng.random
        return (r() + r() + r() + r() - 2.0) * _SQRT3


class _Grid:
    """Tick arithmetic for one instrument on one day."""

    def __init__(self, exchange: Exchange, topix500: bool, day: date) -> None:
        self.exchange, self.topix500, self.day = exchange, topix500, day
        self.floor = lowest_price(exchange, topix500=topix500, on=day)

    def tick(self, price: Decimal) -> Decimal:
        return markets.tick_size(self.exchange, price, topix500=self.topix500, on=self.day)

    def down(self, price: Decimal) -> Decimal:
        return max(snap(self.exchange, max(price, self.floor), up=False, topix500=self.topix500, on=self.day),
                   self.floor)

    def up(self, price: Decimal) -> Decimal:
        return snap(self.exchange, max(price, self.floor), up=True, topix500=self.topix500, on=self.day)

    def ticks(self, price: Decimal, sigma: float, z: float) -> Decimal:
        """A move of z·sigma (a return) from `price`, in whole ticks of `price`."""
        tick = self.tick(price)
        return round(z * sigma * float(price) / float(tick)) * tick


def _seed(seed: int, exchange: Exchange, symbol: str, price: Decimal) -> str:
    return f"localkis-backfill:{seed}:{exchange.value}:{symbol}:{price.normalize():f}"


def _volume(stream: _Stream, price: Decimal, currency: str, lot: int, share: float) -> int:
    """Shares worth `share` of the daily turnover at `price`, in whole lots (at least one)."""
    shares = DAILY_TURNOVER_KRW * share * stream.uniform(0.5, 1.5) / (float(price) * float(KRW_RATES[currency]))
    return max(1, int(shares // lot)) * lot


def _amount(volume: int, high: Decimal, low: Decimal, close: Decimal) -> Decimal:
    return (volume * (high + low + close) / 3).quantize(_CENT)


def backfill(exchange: Exchange, symbol: str, price: Decimal, sessions: Sequence[Session], *,
             minute_days: int = DEFAULT_MINUTE_DAYS, seed: int = 0, volatility: float = DEFAULT_VOLATILITY,
             topix500: bool = False, lot: int = 1) -> History:
    """Daily bars for every session and minute bars for the last `minute_days`, ending at `price`."""
    if price <= 0:
        raise ValueError(f"price {price} must be positive")
    n = len(sessions)
    if n == 0:
        return History((), ())
    currency = EXCHANGES[exchange].currency
    base = _seed(seed, exchange, symbol, price)
    walk = _Stream(base + ":daily")
    grids = [_Grid(exchange, topix500, s.day) for s in sessions]
    lo, hi = price / 5, price * 5  # keep a long walk within a plausible range of today's price

    closes = [grids[-1].down(price)] * n  # the configured price, or the grid price below it if it is off the grid
    for i in range(n - 1, 0, -1):
        move = grids[i].ticks(closes[i], volatility, walk.normal())
        previous = closes[i] - move
        if not lo <= previous <= hi:
            previous = closes[i] + move
        closes[i - 1] = grids[i - 1].down(min(max(previous, lo), hi))

    days: list[Bar] = []
    minutes: list[Bar] = []
    first_minute_day = n - max(minute_days, 0)
    for i, session in enumerate(sessions):
        # One stream per bar, named by its distance from the end: a longer history adds older bars and
        # leaves the newer ones as they were.
        stream = _Stream(f"{base}:day:{n - 1 - i}")
        g = grids[i]
        close = closes[i]
        reference = closes[i - 1] if i > 0 else close
        open_ = g.down(reference + g.ticks(reference, volatility / 4, stream.normal()))
        if i >= first_minute_day:
            bars = _minute_bars(g, session, open_, close, volatility, stream, currency, lot)
            if bars:
                minutes.extend(bars)
                days.append(merge(bars, day_start(exchange, session.day), session.day))
                continue
        high = g.up(max(open_, close) + g.ticks(max(open_, close), volatility / 2, abs(stream.normal())))
        low = g.down(min(open_, close) - g.ticks(min(open_, close), volatility / 2, abs(stream.normal())))
        volume = _volume(stream, close, currency, lot, 1.0)
        days.append(Bar(day_start(exchange, session.day), session.day, open_, high, low, close, volume,
                        _amount(volume, high, low, close)))
    return History(tuple(days), tuple(minutes))


def _minute_bars(g: _Grid, session: Session, open_: Decimal, close: Decimal, volatility: float,
                 stream: _Stream, currency: str, lot: int) -> list[Bar]:
    """A Brownian bridge from `open_` to `close` over the session's minutes, as 1-minute bars."""
    starts = session.minutes()
    m = len(starts)
    if m == 0:
        return []
    sigma = volatility / math.sqrt(m)  # sqrt is correctly rounded by IEEE 754: the same everywhere
    walk = [0.0]
    for _ in range(m):
        walk.append(walk[-1] + stream.normal())
    tick = g.tick(open_)
    steps = sigma * float(open_) / float(tick)
    path: list[Decimal] = []
    for k in range(m + 1):
        bridge = (walk[k] - walk[m] * k / m) * steps
        drift = open_ + (close - open_) * k / m
        path.append(g.down(drift + round(bridge) * tick))
    path[0], path[m] = open_, close
    out: list[Bar] = []
    for k, start in enumerate(starts):
        o, c = path[k], path[k + 1]
        high = g.up(max(o, c) + g.ticks(max(o, c), sigma / 2, abs(stream.normal())))
        low = g.down(min(o, c) - g.ticks(min(o, c), sigma / 2, abs(stream.normal())))
        volume = _volume(stream, c, currency, lot, 1.0 / m)
        out.append(Bar(start, session.day, o, high, low, c, volume, _amount(volume, high, low, c)))
    return out
