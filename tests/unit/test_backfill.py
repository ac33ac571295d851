"""Backfilled history: deterministic (also across processes), on the tick grid, on trading days and minutes."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from localkis.domain import markets
from localkis.domain.backfill import History, Session, backfill, sessions_before
from localkis.domain.bars import Bar, merge
from localkis.domain.book import lowest_price
from localkis.domain.hours import KST, MarketHours, SessionState, Window
from localkis.protocol.exchanges import Exchange

D = Decimal
E = Exchange
BEFORE = date(2026, 3, 10)

# One instrument per tick table (prices from the shipped list), with its lot.
INSTRUMENTS = [
    (E.NASD, "AAPL", D("270.35"), False, 1),
    (E.NYSE, "KO", D("0.8512"), False, 1),  # a sub-dollar price: 0.0001 ticks, and the $0.01 floor
    (E.SEHK, "00700", D("612.5"), False, 100),
    (E.TKSE, "7203", D("2890"), False, 100),
    (E.TKSE, "6758", D("2890.5"), True, 100),  # TOPIX500: 0.5 ticks up to 3,000
    (E.SHAA, "600519", D("1452.01"), False, 100),
    (E.VNSE, "VCB", D("61200"), False, 100),
    (E.HASE, "SHS", D("12300"), False, 100),
]


@pytest.fixture(scope="module")
def hours() -> MarketHours:
    return MarketHours(date(2025, 1, 1), date(2026, 12, 31))


def test_sessions_before(hours: MarketHours) -> None:
    sessions = sessions_before(hours, E.NASD, BEFORE, 250)
    assert len(sessions) == 250
    days = [s.day for s in sessions]
    assert days == sorted(days) and days[-1] == date(2026, 3, 9) and all(d < BEFORE for d in days)
    assert all(d.weekday() < 5 for d in days)
    for holiday in (date(2025, 12, 25), date(2026, 1, 1), date(2026, 1, 19), date(2026, 2, 16)):
        assert holiday not in days
    assert all(w.kind is SessionState.REGULAR for s in sessions for w in s.windows)
    # The day after Thanksgiving closes at 13:00 New York: 210 minutes.
    friday = next(s for s in sessions if s.day == date(2025, 11, 28))
    assert len(friday.minutes()) == 210
    tokyo = sessions_before(hours, E.TKSE, BEFORE, 3)
    assert all(len(s.windows) == 2 for s in tokyo)  # the lunch break splits the session


@pytest.mark.parametrize(("exchange", "symbol", "price", "topix", "lot"), INSTRUMENTS)
def test_backfill_is_valid(hours: MarketHours, exchange: Exchange, symbol: str, price: Decimal, topix: bool,
                           lot: int) -> None:
    sessions = sessions_before(hours, exchange, BEFORE, 250)
    hist = backfill(exchange, symbol, price, sessions, topix500=topix, lot=lot)
    assert [b.day for b in hist.days] == [s.day for s in sessions]
    assert hist.days[-1].close == price and hist.minutes[-1].close == price
    minute_sessions = sessions[-5:]
    assert len(hist.minutes) == sum(len(s.minutes()) for s in minute_sessions)
    allowed = {m for s in minute_sessions for m in s.minutes()}
    assert all(b.start in allowed for b in hist.minutes)
    assert [b.start for b in hist.minutes] == sorted({b.start for b in hist.minutes})
    for b in hist.days + hist.minutes:
        _check_bar(exchange, b, topix, lot)
    # Days with minute bars are the fold of their minutes: the two histories agree.
    for s in minute_sessions:
        mine = [b for b in hist.minutes if b.day == s.day]
        day_bar = next(b for b in hist.days if b.day == s.day)
        assert day_bar == merge(mine, day_bar.start, s.day)
    # Plausible: within the walk's clamp of a fifth to five times the price.
    assert min(b.low for b in hist.days) >= price / 5 - markets.tick_size(exchange, price / 5, topix500=topix)
    assert max(b.high for b in hist.days) <= price * 5 * D("1.2")


def _check_bar(exchange: Exchange, b: Bar, topix: bool, lot: int) -> None:
    floor = lowest_price(exchange, topix500=topix, on=b.day)
    for value in (b.open, b.high, b.low, b.close):
        assert value >= floor
        assert value % markets.tick_size(exchange, value, topix500=topix, on=b.day) == 0, (b, value)
    assert b.low <= min(b.open, b.close) and b.high >= max(b.open, b.close)
    assert b.volume > 0 and b.volume % lot == 0
    assert b.amount > 0


def test_backfill_is_deterministic_and_per_instrument(hours: MarketHours) -> None:
    sessions = sessions_before(hours, E.NASD, BEFORE, 60)
    one = backfill(E.NASD, "AAPL", D("270.35"), sessions)
    assert one == backfill(E.NASD, "AAPL", D("270.35"), sessions)
    other = backfill(E.NASD, "MSFT", D("270.35"), sessions)
    assert [b.close for b in one.days] != [b.close for b in other.days]
    seeded = backfill(E.NASD, "AAPL", D("270.35"), sessions, seed=1)
    assert [b.close for b in one.days] != [b.close for b in seeded.days]


def test_a_longer_history_keeps_the_newer_bars(hours: MarketHours) -> None:
    sessions = sessions_before(hours, E.SEHK, BEFORE, 300)
    long = backfill(E.SEHK, "00700", D("612.5"), sessions, lot=100)
    short = backfill(E.SEHK, "00700", D("612.5"), sessions[-250:], lot=100)
    # The short history's first day has no previous close to open from; every later bar is the same.
    assert long.days[-249:] == short.days[1:] and long.minutes == short.minutes
    assert long.days[-250].close == short.days[0].close


def test_no_sessions_and_no_minutes() -> None:
    assert backfill(E.NASD, "AAPL", D("1"), []) == History((), ())
    with pytest.raises(ValueError):
        backfill(E.NASD, "AAPL", D("0"), [])


def _sessions_by_hand() -> list[Session]:
    """Thirty weekdays of 09:30-16:00 New York, built without the calendars (for the subprocess)."""
    ny = ZoneInfo("America/New_York")
    out: list[Session] = []
    day = date(2026, 1, 5)
    while len(out) < 30:
        if day.weekday() < 5:
            start = datetime.combine(day, time(9, 30), ny).astimezone(KST)
            end = datetime.combine(day, time(16, 0), ny).astimezone(KST)
            out.append(Session(day, (Window(start, end, SessionState.REGULAR),)))
        day += timedelta(days=1)
    return out


def _digest(hist: History) -> str:
    text = "|".join(f"{b.start.astimezone(UTC).isoformat()},{b.day},{b.open},{b.high},{b.low},{b.close},"
                    f"{b.volume},{b.amount}" for b in hist.days + hist.minutes)
    return hashlib.sha256(text.encode()).hexdigest()


def test_backfill_is_the_same_in_another_process() -> None:
    here = _digest(backfill(E.NYSE, "KO", D("68.41"), _sessions_by_hand(), minute_days=2))
    code = ("from decimal import Decimal; from tests.unit.test_backfill import _digest, _sessions_by_hand; "
            "from localkis.domain.backfill import backfill; from localkis.protocol.exchanges import Exchange; "
            "print(_digest(backfill(Exchange.NYSE, 'KO', Decimal('68.41'), _sessions_by_hand(), minute_days=2)))")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=root,
                         check=True)
    assert out.stdout.strip() == here
