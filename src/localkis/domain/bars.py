"""OHLCV bars from trade prints: 1-minute and daily bars, folded into N-minute, weekly, monthly, yearly bars.

- A minute bar is keyed by the first instant of its minute (UTC) and stamped with it: a print at
  09:30:45 belongs to the 09:30:00 bar, as KIS's minute chart stamps bars (`xhms`) at their start.
- A daily bar is keyed by the exchange-local session date (`hours.local_date`): a US print at 19:00 ET
  belongs to that New York date, whatever the Korean date is.
- Bars exist only where there were prints: a minute or a day without a trade has no bar (KIS's minute
  chart has a FILL switch, "미체결채움구분", that clients send blank, i.e. no filling).
- Folding keeps the first open and the last close, the extreme high and low, and sums volume and amount.
  A folded daily bar (week, month, year) is labelled with its last session date, the date of its close,
  so the bar in progress carries today's date as the daily bar does.

Every update is O(1): `add` merges one print into the bar of its period. `aggregate` recomputes bars
from raw prints; tests check that the two agree.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from localkis.domain.hours import local_date
from localkis.protocol.exchanges import EXCHANGES, Exchange

ZERO = Decimal(0)


class Interval(StrEnum):
    """The two intervals bars are kept in (and history files are written in)."""

    MINUTE = "1m"
    DAY = "1d"


class Period(StrEnum):
    """Daily bars folded as KIS's period charts ask (FID_PERIOD_DIV_CODE D/W/M/Y)."""

    DAY = "D"
    WEEK = "W"
    MONTH = "M"
    YEAR = "Y"


@dataclass(frozen=True, slots=True)
class Bar:
    """OHLCV of one period. `start`: the first instant of the period (minute bars: of the minute; daily and
    longer: local midnight of the first session). `day`: the exchange-local session date (folded daily bars:
    the last session's date). `amount`: traded value, the sum of price × size."""

    start: datetime
    day: date
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: int
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Print:
    """A trade as bars see it: `size` shares (0 for a price-only print) at `price`, at instant `at`."""

    exchange: Exchange
    price: Decimal
    size: int
    at: datetime


def _zone(exchange: Exchange) -> ZoneInfo:
    return ZoneInfo(EXCHANGES[exchange].timezone)


def minute_start(at: datetime) -> datetime:
    """The first instant (UTC) of the minute `at` falls in."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("bars need aware datetimes")
    moment = at.astimezone(UTC)
    return moment.replace(second=0, microsecond=0)


def day_start(exchange: Exchange, day: date) -> datetime:
    """Local midnight of `day` on `exchange`, as an aware datetime in the exchange's zone."""
    return datetime.combine(day, time(0), _zone(exchange))


def key(interval: Interval, exchange: Exchange, at: datetime) -> tuple[datetime, date]:
    """(start, session date) of the bar a print at `at` belongs to."""
    day = local_date(exchange, at)
    if interval is Interval.MINUTE:
        return minute_start(at), day
    return day_start(exchange, day), day


def open_bar(start: datetime, day: date, price: Decimal, size: int) -> Bar:
    """The bar a first print opens."""
    if size < 0:
        raise ValueError(f"size {size} is negative")
    return Bar(start, day, price, price, price, price, size, price * size)


def add(bar: Bar | None, start: datetime, day: date, price: Decimal, size: int) -> Bar:
    """`bar` (None: no bar yet) with one print of its period merged in; O(1).

    A print of a later period opens a new bar; a print older than `bar` is refused, because a closed bar
    must be loaded by its own key to be updated (the caller knows where it keeps them)."""
    if bar is None or start > bar.start:
        return open_bar(start, day, price, size)
    if start < bar.start:
        raise ValueError(f"print at {start.isoformat()} is older than the bar of {bar.start.isoformat()}")
    if size < 0:
        raise ValueError(f"size {size} is negative")
    return Bar(bar.start, bar.day, bar.open, max(bar.high, price), min(bar.low, price), price,
               bar.volume + size, bar.amount + price * size)


def add_print(bar: Bar | None, interval: Interval, p: Print) -> Bar:
    """`add` with the key computed from the print."""
    start, day = key(interval, p.exchange, p.at)
    return add(bar, start, day, p.price, p.size)


class BarSeries:
    """The running bar of one instrument at one interval: `push` a print, get back the bar it closed.

    Prints must come in time order (a replay, the live feed); the closed bars come out oldest first."""

    __slots__ = ("current", "exchange", "interval")

    def __init__(self, exchange: Exchange, interval: Interval, current: Bar | None = None) -> None:
        self.exchange = exchange
        self.interval = interval
        self.current = current

    def push(self, price: Decimal, size: int, at: datetime) -> Bar | None:
        """Merge one print; the previous bar if this print closed it, else None."""
        start, day = key(self.interval, self.exchange, at)
        previous = self.current
        self.current = add(previous, start, day, price, size)
        if previous is not None and previous.start != self.current.start:
            return previous
        return None


def aggregate(prints: Iterable[Print], interval: Interval) -> list[Bar]:
    """Bars recomputed from raw prints (any order), oldest first: the reference for `add`."""
    groups: dict[datetime, list[Print]] = {}
    days: dict[datetime, date] = {}
    for p in prints:
        start, day = key(interval, p.exchange, p.at)
        groups.setdefault(start, []).append(p)
        days[start] = day
    out: list[Bar] = []
    for start in sorted(groups):
        # Stable sort by time: prints of the same instant keep their arrival order, as `add` sees them.
        group = sorted(groups[start], key=lambda p: p.at)
        prices = [p.price for p in group]
        out.append(Bar(start, days[start], prices[0], max(prices), min(prices), prices[-1],
                       sum(p.size for p in group), sum((p.price * p.size for p in group), ZERO)))
    return out


def merge(bars: Sequence[Bar], start: datetime, day: date) -> Bar:
    """One bar from consecutive bars (oldest first)."""
    if not bars:
        raise ValueError("nothing to merge")
    return Bar(start, day, bars[0].open, max(b.high for b in bars), min(b.low for b in bars), bars[-1].close,
               sum(b.volume for b in bars), sum((b.amount for b in bars), ZERO))


def _period_key(period: Period, day: date) -> tuple[int, int]:
    if period is Period.WEEK:
        iso = day.isocalendar()
        return iso.year, iso.week
    if period is Period.MONTH:
        return day.year, day.month
    if period is Period.YEAR:
        return day.year, 0
    return day.toordinal(), 0


def fold_days(days: Sequence[Bar], period: Period) -> list[Bar]:
    """Daily bars (oldest first) folded into weeks (ISO, Monday to Sunday), months or years, oldest first.

    A folded bar starts where its first session starts and is labelled with its last session's date."""
    out: list[Bar] = []
    for group in _runs(days, lambda b: _period_key(period, b.day)):
        out.append(merge(group, group[0].start, group[-1].day))
    return out


def fold_minutes(bars: Sequence[Bar], n: int, exchange: Exchange, origin: time = time(0)) -> list[Bar]:
    """1-minute bars (oldest first) folded into `n`-minute bars, oldest first.

    Buckets are aligned, per local day, to `origin` (local wall time): with origin 09:30 and n 7 the
    buckets start 09:30, 09:37, …; minutes before the origin fall in buckets counted backwards from it.
    A folded bar is stamped with the start of its bucket (clipped to local midnight), not of its first
    minute."""
    if n < 1:
        raise ValueError(f"bar size {n} must be at least 1 minute")
    if n == 1:
        return list(bars)
    zone = _zone(exchange)
    anchor = origin.hour * 60 + origin.minute

    def bucket(b: Bar) -> tuple[date, int]:
        local = b.start.astimezone(zone)
        minute = local.hour * 60 + local.minute
        return local.date(), (minute - anchor) // n

    out: list[Bar] = []
    for group in _runs(bars, bucket):
        local_day, index = bucket(group[0])
        midnight = datetime.combine(local_day, time(0), zone)
        # The day's first bucket, counted back from the origin, may begin before midnight: it starts at
        # midnight instead, so a bar never carries the previous day's time.
        start = max(midnight, midnight + timedelta(minutes=anchor + index * n))
        out.append(merge(group, start.astimezone(UTC), group[0].day))
    return out


def _runs(bars: Sequence[Bar], key_of: Callable[[Bar], Hashable]) -> Iterator[list[Bar]]:
    """Consecutive runs of bars with the same key."""
    group: list[Bar] = []
    current: Hashable = None
    for b in bars:
        k = key_of(b)
        if group and k != current:
            yield group
            group = []
        group.append(b)
        current = k
    if group:
        yield group
