"""Trade prints into stored OHLCV bars: every print updates its instrument's 1-minute and daily bar, O(1),
in the transaction that records the print (`domain.bars` holds the rule)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from operator import mul

from localkis.domain.bars import ZERO, Bar, Interval, add, day_start, key, merge
from localkis.protocol.exchanges import Exchange
from localkis.store.base import Transaction

INTERVALS = (Interval.MINUTE, Interval.DAY)


def record_print(tx: Transaction, exchange: Exchange, symbol: str, price: Decimal, size: int, at: datetime) -> None:
    """Merge one print (`size` shares, 0 for a price-only print) into the bars it belongs to."""
    for interval in INTERVALS:
        start, day = key(interval, exchange, at)
        tx.put_bar(exchange, symbol, interval, add(tx.bar(exchange, symbol, interval, start), start, day, price, size))


class PendingBars:
    """Prints held in memory (the replay's fast path), folded into bars only when written.

    The fast path knows each tick's minute (seconds since the epoch // 60) and exchange-local date
    (YYYYMMDD) already; per print it appends the price and size to two lists and, when the minute
    changes, marks where the new minute starts — no arithmetic per print. `fold` turns each minute's run
    into a bar with C-level max/min/sum over the run, and the days into the fold of their minutes."""

    __slots__ = ("_bars", "key", "marks", "prices", "sizes")

    FOLD_AT = 65_536  # prints held before the finished minutes are folded (bounds the memory)

    def __init__(self) -> None:
        self._bars: dict[tuple[Interval, datetime], Bar] = {}
        self.prices: list[Decimal] = []
        self.sizes: list[int] = []
        self.marks: list[tuple[int, float, str]] = []  # (first print's index, minute, YYYYMMDD)
        self.key: float | None = None  # the minute of the last print

    def __bool__(self) -> bool:
        return bool(self._bars) or bool(self.prices)

    def mark(self, exchange: Exchange, minute: float, today: str) -> None:
        """A print of a new minute follows (the caller appends it)."""
        if len(self.prices) >= self.FOLD_AT:
            self._fold(exchange)
        self.marks.append((len(self.prices), minute, today))
        self.key = minute

    def add_keyed(self, exchange: Exchange, minute: float, today: str, price: Decimal, size: int) -> None:
        """One print, keyed by its minute and local date (the fast path inlines this); in time order."""
        if minute != self.key:
            self.mark(exchange, minute, today)
        self.prices.append(price)
        self.sizes.append(size)

    def add(self, exchange: Exchange, price: Decimal, size: int, at: datetime) -> None:
        """One print (keys computed from `at`)."""
        start, day = key(Interval.MINUTE, exchange, at)
        self.add_keyed(exchange, start.timestamp() // 60, f"{day:%Y%m%d}", price, size)

    def _merge(self, interval: Interval, bar: Bar) -> None:
        slot = (interval, bar.start)
        held = self._bars.get(slot)
        self._bars[slot] = bar if held is None else merge((held, bar), held.start, held.day)

    def _fold(self, exchange: Exchange) -> None:
        """Fold the held prints into minute and day bars."""
        prices, sizes, marks = self.prices, self.sizes, self.marks
        days: dict[str, list[Bar]] = {}
        for i, (first, minute, today) in enumerate(marks):
            end = marks[i + 1][0] if i + 1 < len(marks) else len(prices)
            if end <= first:
                continue
            run, volumes = prices[first:end], sizes[first:end]
            volume = sum(volumes)
            amount = sum(map(mul, run, volumes), ZERO) if volume else ZERO
            start = datetime.fromtimestamp(minute * 60, UTC)
            day = date(int(today[:4]), int(today[4:6]), int(today[6:8]))
            bar = Bar(start, day, run[0], max(run), min(run), run[-1], volume, amount)
            self._merge(Interval.MINUTE, bar)
            days.setdefault(today, []).append(bar)
        for bars in days.values():
            day = bars[0].day
            self._merge(Interval.DAY, merge(bars, day_start(exchange, day), day))
        self.prices, self.sizes, self.marks, self.key = [], [], [], None

    def write(self, tx: Transaction, exchange: Exchange, symbol: str) -> None:
        """Merge the partial bars into the stored ones (one read and one write per bar), then forget them."""
        self._fold(exchange)
        for (interval, start), partial in self._bars.items():
            stored = tx.bar(exchange, symbol, interval, start)
            tx.put_bar(exchange, symbol, interval,
                       partial if stored is None else merge((stored, partial), stored.start, stored.day))
        self._bars.clear()
