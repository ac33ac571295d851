"""Market data for the quote APIs: quotes, daily and minute bars, from the stored bars of prints with a
deterministic backfill before them (`domain.backfill`), so a fresh server has charts from the first call.

The backfill is computed on first use per instrument (a few hundred ms), kept in memory, never stored:
it is a pure function of the instrument, its configured price and the first session with stored bars,
so every process and every restart shows the same history. It covers the sessions strictly before the
first stored daily bar (before today when the instrument has none), as many as `backfill_days` less the
stored daily bars: a loaded year of history needs none, a server that has printed for three days shows
three days of prints after the backfill.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from localkis.domain.backfill import History, backfill, sessions_before
from localkis.domain.bars import Bar, Interval
from localkis.domain.hours import MarketHours, local_date
from localkis.domain.instruments import Instrument
from localkis.domain.markets import tick_size
from localkis.store.base import Store

# Cached backfills; a long-running server adds one per instrument and first-stored-day.
_CACHE_LIMIT = 4096


@dataclass(frozen=True, slots=True)
class BackfillSettings:
    days: int = 250
    minute_days: int = 5
    seed: int = 0


@dataclass(frozen=True, slots=True)
class QuoteData:
    """What a quote shows: the last price, the latest session's daily bar and the one before it."""

    last: Decimal
    base: Decimal
    session: Bar | None
    previous: Bar | None
    tick: Decimal


class Charts:
    def __init__(self, store: Store, hours: MarketHours, settings: BackfillSettings) -> None:
        self.store = store
        self.hours = hours
        self.settings = settings
        self._backfills: dict[tuple[Instrument, date, int], History] = {}

    def _history(self, instrument: Instrument, before: date, stored: int) -> History:
        s = self.settings
        count = max(0, s.days - stored)
        key = (instrument, before, count)
        found = self._backfills.get(key)
        if found is None:
            sessions = sessions_before(self.hours, instrument.exchange, before, count) if count > 0 else []
            found = backfill(instrument.exchange, instrument.symbol, instrument.price, sessions,
                             minute_days=s.minute_days, seed=s.seed, topix500=instrument.topix500,
                             lot=instrument.board_lot)
            if len(self._backfills) >= _CACHE_LIMIT:
                self._backfills.clear()
            self._backfills[key] = found
        return found

    def daily(self, instrument: Instrument, now: datetime) -> list[Bar]:
        """Every daily bar, oldest first: the backfill, then the stored bars."""
        with self.store.read() as tx:
            stored = tx.bars(instrument.exchange, instrument.symbol, Interval.DAY)
        today = local_date(instrument.exchange, now)
        before = min(stored[0].day, today) if stored else today
        return [*self._history(instrument, before, len(stored)).days, *stored]

    def minutes(self, instrument: Instrument, now: datetime, until: datetime | None = None,
                limit: int | None = None) -> list[Bar]:
        """1-minute bars starting at or before `until` (None: all), the newest `limit`, oldest first."""
        with self.store.read() as tx:
            stored = tx.bars(instrument.exchange, instrument.symbol, Interval.MINUTE, until=until, limit=limit)
            days = tx.bars(instrument.exchange, instrument.symbol, Interval.DAY)
        today = local_date(instrument.exchange, now)
        before = min(days[0].day, today) if days else today
        filled = self._history(instrument, before, len(days)).minutes
        if limit is not None and len(stored) >= limit:
            return stored
        older = [b for b in filled if until is None or b.start <= until]
        if stored:
            older = [b for b in older if b.start < stored[0].start]
        combined = [*older, *stored]
        return combined[-limit:] if limit is not None else combined

    def quote(self, instrument: Instrument, now: datetime, days: list[Bar] | None = None) -> QuoteData:
        """The last price and the latest two sessions' bars (`days`: the daily bars, if already read).

        Without `days` it reads two stored bars and the last trade, O(1): the quote is the hot path."""
        with self.store.read() as tx:
            trade = tx.last_trade(instrument.exchange, instrument.symbol)
            recent = days[-2:] if days is not None else tx.bars(instrument.exchange, instrument.symbol,
                                                                 Interval.DAY, limit=2)
        if days is None and len(recent) < 2:  # fewer than two stored: these are all, the backfill before them
            today = local_date(instrument.exchange, now)
            before = min(recent[0].day, today) if recent else today
            recent = [*self._history(instrument, before, len(recent)).days[-2:], *recent][-2:]
        session = recent[-1] if recent else None
        previous = recent[-2] if len(recent) > 1 else None
        last = trade.price if trade is not None else (session.close if session else instrument.price)
        base = previous.close if previous is not None else instrument.price
        on = local_date(instrument.exchange, now)
        return QuoteData(last, base, session, previous,
                         tick_size(instrument.exchange, last, topix500=instrument.topix500, on=on))

    def version(self, instrument: Instrument) -> tuple[object, ...]:
        """What changes whenever the instrument's bars may have: its last trade and its newest stored daily
        bar (every print updates both, a history load the latter); a cache key for rendered charts."""
        with self.store.read() as tx:
            trade = tx.last_trade(instrument.exchange, instrument.symbol)
            newest = tx.bars(instrument.exchange, instrument.symbol, Interval.DAY, limit=1)
        return (trade, *newest)
