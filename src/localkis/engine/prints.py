"""Trade prints into stored OHLCV bars: every print updates its instrument's 1-minute and daily bar, O(1),
in the transaction that records the print (`domain.bars` holds the rule)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from localkis.domain.bars import Bar, Interval, add, key, merge
from localkis.protocol.exchanges import Exchange
from localkis.store.base import Transaction

INTERVALS = (Interval.MINUTE, Interval.DAY)


def record_print(tx: Transaction, exchange: Exchange, symbol: str, price: Decimal, size: int, at: datetime) -> None:
    """Merge one print (`size` shares, 0 for a price-only print) into the bars it belongs to."""
    for interval in INTERVALS:
        start, day = key(interval, exchange, at)
        tx.put_bar(exchange, symbol, interval, add(tx.bar(exchange, symbol, interval, start), start, day, price, size))


class PendingBars:
    """Prints held in memory (the replay's fast path) as partial bars, written by `write` in one go."""

    __slots__ = ("_bars",)

    def __init__(self) -> None:
        self._bars: dict[tuple[Interval, datetime], Bar] = {}

    def __bool__(self) -> bool:
        return bool(self._bars)

    def add(self, exchange: Exchange, price: Decimal, size: int, at: datetime) -> None:
        """Fold one print in; prints come in time order."""
        for interval in INTERVALS:
            start, day = key(interval, exchange, at)
            slot = (interval, start)
            self._bars[slot] = add(self._bars.get(slot), start, day, price, size)

    def write(self, tx: Transaction, exchange: Exchange, symbol: str) -> None:
        """Merge the partial bars into the stored ones (one read and one write per bar), then forget them."""
        for (interval, start), partial in self._bars.items():
            stored = tx.bar(exchange, symbol, interval, start)
            tx.put_bar(exchange, symbol, interval,
                       partial if stored is None else merge((stored, partial), stored.start, stored.day))
        self._bars.clear()

