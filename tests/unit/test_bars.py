"""Bars from prints: O(1) updates against recomputation, session dates, folding against direct aggregation."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from localkis.domain import bars
from localkis.domain.bars import Bar, BarSeries, Interval, Period, Print
from localkis.protocol.exchanges import EXCHANGES, Exchange

D = Decimal
E = Exchange
NY = ZoneInfo("America/New_York")
T0 = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)  # Monday 09:30 New York


def p(price: str, size: int, at: datetime, exchange: Exchange = E.NASD) -> Print:
    return Print(exchange, D(price), size, at)


# --- keys ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("exchange", "at", "minute", "day"), [
    # 09:30:45 New York is the 09:30 bar of 2 March.
    (E.NASD, datetime(2026, 3, 2, 14, 30, 45, tzinfo=UTC), datetime(2026, 3, 2, 14, 30, tzinfo=UTC), date(2026, 3, 2)),
    # After-market at 06:30 KST on 3 March is still the New York session of 2 March.
    (E.NASD, datetime(2026, 3, 3, 6, 30, 59, tzinfo=ZoneInfo("Asia/Seoul")), datetime(2026, 3, 2, 21, 30, tzinfo=UTC),
     date(2026, 3, 2)),
    # Tokyo 09:00 JST is 00:00 UTC: the Tokyo date, not the UTC one of a minute earlier.
    (E.TKSE, datetime(2026, 3, 2, 0, 0, 0, 1, tzinfo=UTC), datetime(2026, 3, 2, 0, 0, tzinfo=UTC), date(2026, 3, 2)),
    (E.TKSE, datetime(2026, 3, 1, 23, 59, 59, tzinfo=UTC), datetime(2026, 3, 1, 23, 59, tzinfo=UTC), date(2026, 3, 2)),
])
def test_keys(exchange: Exchange, at: datetime, minute: datetime, day: date) -> None:
    assert bars.key(Interval.MINUTE, exchange, at) == (minute, day)
    start, session = bars.key(Interval.DAY, exchange, at)
    assert session == day
    assert start == datetime.combine(day, time(0), ZoneInfo(EXCHANGES[exchange].timezone))


def test_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        bars.minute_start(datetime(2026, 3, 2, 14, 30))


# --- updates ------------------------------------------------------------------------------------------
def test_add_table() -> None:
    start, day = bars.key(Interval.MINUTE, E.NASD, T0)
    bar = bars.add(None, start, day, D("100"), 5)
    assert bar == Bar(start, day, D("100"), D("100"), D("100"), D("100"), 5, D("500"))
    bar = bars.add(bar, start, day, D("101.5"), 2)
    bar = bars.add(bar, start, day, D("99"), 0)  # a price-only print moves the bar, not its volume
    bar = bars.add(bar, start, day, D("100.25"), 1)
    assert (bar.open, bar.high, bar.low, bar.close, bar.volume) == (D("100"), D("101.5"), D("99"), D("100.25"), 8)
    assert bar.amount == D("500") + D("203.0") + D("100.25")
    later = bars.add(bar, start + timedelta(minutes=1), day, D("100.30"), 3)
    assert later.start == start + timedelta(minutes=1) and later.open == D("100.30") and later.volume == 3
    with pytest.raises(ValueError, match="older"):
        bars.add(later, start, day, D("100"), 1)
    with pytest.raises(ValueError, match="negative"):
        bars.add(bar, start, day, D("100"), -1)


def test_series_closes_bars_in_order() -> None:
    series = BarSeries(E.NASD, Interval.MINUTE)
    assert series.push(D("10"), 1, T0) is None
    assert series.push(D("11"), 1, T0 + timedelta(seconds=59)) is None
    closed = series.push(D("12"), 1, T0 + timedelta(seconds=60))
    assert closed is not None and (closed.open, closed.close, closed.volume) == (D("10"), D("11"), 2)
    assert series.current is not None and series.current.close == D("12")


# Prints of one instrument over about three New York days, on a coarse grid so that bars collide.
prices = st.integers(min_value=1, max_value=20_000).map(lambda n: D(n).scaleb(-2))
offsets = st.integers(min_value=0, max_value=3 * 24 * 3600)
prints_st = st.lists(st.tuples(prices, st.integers(min_value=0, max_value=500), offsets), min_size=1, max_size=80)


@settings(max_examples=150, deadline=None)
@given(raw=prints_st, exchange=st.sampled_from([E.NASD, E.TKSE, E.SEHK, E.VNSE]))
def test_streamed_bars_equal_recomputation(raw: list[tuple[Decimal, int, int]], exchange: Exchange) -> None:
    """The property of issue 14: bars kept by O(1) updates equal bars recomputed from the raw prints."""
    ordered = sorted(raw, key=lambda r: r[2])
    prints = [Print(exchange, price, size, T0 + timedelta(seconds=off)) for price, size, off in ordered]
    for interval in Interval:
        series = BarSeries(exchange, interval)
        streamed = [closed for pr in prints if (closed := series.push(pr.price, pr.size, pr.at)) is not None]
        assert series.current is not None
        streamed.append(series.current)
        assert streamed == bars.aggregate(prints, interval)
        # add_print is the same update, one bar at a time.
        current: Bar | None = None
        for pr in prints:
            start, _ = bars.key(interval, exchange, pr.at)
            current = bars.add_print(current if current is None or current.start == start else None, interval, pr)
        assert current == streamed[-1]


# --- folding ------------------------------------------------------------------------------------------
def _direct(prints: list[Print], key_of: object) -> list[tuple[Decimal, Decimal, Decimal, Decimal, int, Decimal]]:
    """OHLCV grouped straight from prints by a key function (in time order)."""
    assert callable(key_of)
    groups: dict[object, list[Print]] = {}
    for pr in sorted(prints, key=lambda x: x.at):
        groups.setdefault(key_of(pr), []).append(pr)
    out = []
    for k in sorted(groups):  # type: ignore[type-var]
        g = groups[k]
        out.append((g[0].price, max(x.price for x in g), min(x.price for x in g), g[-1].price,
                    sum(x.size for x in g), sum((x.price * x.size for x in g), D(0))))
    return out


def _ohlcv(items: list[Bar]) -> list[tuple[Decimal, Decimal, Decimal, Decimal, int, Decimal]]:
    return [(b.open, b.high, b.low, b.close, b.volume, b.amount) for b in items]


long_offsets = st.integers(min_value=0, max_value=800 * 24 * 3600)


@settings(max_examples=100, deadline=None)
@given(raw=st.lists(st.tuples(prices, st.integers(0, 500), long_offsets), min_size=1, max_size=120),
       period=st.sampled_from(list(Period)))
def test_folded_days_equal_direct_aggregation(raw: list[tuple[Decimal, int, int]], period: Period) -> None:
    prints = [Print(E.NASD, price, size, T0 + timedelta(seconds=off)) for price, size, off in raw]
    days = bars.aggregate(prints, Interval.DAY)
    folded = bars.fold_days(days, period)

    def period_of(pr: Print) -> object:
        d = pr.at.astimezone(NY).date()
        return {Period.DAY: (d.toordinal(),), Period.WEEK: tuple(d.isocalendar())[:2],
                Period.MONTH: (d.year, d.month), Period.YEAR: (d.year,)}[period]

    assert _ohlcv(folded) == _direct(prints, period_of)
    for bar, group_last in zip(folded, _last_days(days, period), strict=True):
        assert bar.day == group_last  # labelled with its last session
        assert bar.start.astimezone(NY).time() == time(0)


def _last_days(days: list[Bar], period: Period) -> list[date]:
    out: dict[object, date] = {}
    for b in days:
        k = {Period.DAY: b.day, Period.WEEK: tuple(b.day.isocalendar())[:2], Period.MONTH: (b.day.year, b.day.month),
             Period.YEAR: b.day.year}[period]
        out[k] = b.day
    return list(out.values())


@settings(max_examples=100, deadline=None)
@given(raw=prints_st, n=st.integers(min_value=1, max_value=60), origin=st.sampled_from([time(0), time(9, 30)]))
def test_folded_minutes_equal_direct_aggregation(raw: list[tuple[Decimal, int, int]], n: int, origin: time) -> None:
    prints = [Print(E.NASD, price, size, T0 + timedelta(seconds=off)) for price, size, off in raw]
    minutes = bars.aggregate(prints, Interval.MINUTE)
    folded = bars.fold_minutes(minutes, n, E.NASD, origin)
    anchor = origin.hour * 60 + origin.minute

    def bucket(pr: Print) -> object:
        local = pr.at.astimezone(NY)
        return local.date(), (local.hour * 60 + local.minute - anchor) // n

    assert _ohlcv(folded) == _direct(prints, bucket)
    for bar in folded:
        local = bar.start.astimezone(NY)
        minute = local.hour * 60 + local.minute
        # stamped at its bucket's start, or at midnight for a first bucket that began the day before
        assert (minute - anchor) % n == 0 or (minute == 0 and (minute - anchor) // n == (0 - anchor) // n)
        assert bar.start.tzinfo is UTC


def test_a_bucket_counted_back_past_midnight_starts_at_midnight() -> None:
    just_after = datetime(2026, 3, 5, 0, 0, tzinfo=NY).astimezone(UTC)  # 09:30 - 52 × 11 min is 23:58 the day before
    one = [Bar(just_after, date(2026, 3, 5), D(1), D(1), D(1), D(1), 1, D(1))]
    (folded,) = bars.fold_minutes(one, 11, E.NASD, time(9, 30))
    assert folded.start == just_after


def test_fold_minutes_table() -> None:
    start = datetime(2026, 3, 2, 9, 30, tzinfo=NY).astimezone(UTC)
    ones = [Bar(start + timedelta(minutes=i), date(2026, 3, 2), D(10 + i), D(11 + i), D(9 + i), D(10 + i), 1, D(10 + i))
            for i in range(12)]
    fives = bars.fold_minutes(ones, 5, E.NASD, time(9, 30))
    assert [b.start.astimezone(NY).strftime("%H%M") for b in fives] == ["0930", "0935", "0940"]
    assert [(b.open, b.high, b.low, b.close, b.volume) for b in fives] == [
        (D(10), D(15), D(9), D(14), 5), (D(15), D(20), D(14), D(19), 5), (D(20), D(22), D(19), D(21), 2)]
    # Aligned to midnight, 7-minute buckets start at 09:27 and 09:34.
    sevens = bars.fold_minutes(ones, 7, E.NASD)
    assert [b.start.astimezone(NY).strftime("%H%M") for b in sevens] == ["0927", "0934", "0941"]
    assert bars.fold_minutes(ones, 1, E.NASD) == ones
    with pytest.raises(ValueError):
        bars.fold_minutes(ones, 0, E.NASD)


def test_fold_days_table() -> None:
    def day_bar(d: date, o: int, c: int, v: int) -> Bar:
        return Bar(bars.day_start(E.NASD, d), d, D(o), D(max(o, c) + 1), D(min(o, c) - 1), D(c), v, D(v * c))

    # Thu 26 Feb, Fri 27 Feb, Mon 2 Mar, Tue 3 Mar 2026.
    days = [day_bar(date(2026, 2, 26), 10, 11, 1), day_bar(date(2026, 2, 27), 11, 12, 2),
            day_bar(date(2026, 3, 2), 12, 9, 3), day_bar(date(2026, 3, 3), 9, 10, 4)]
    weeks = bars.fold_days(days, Period.WEEK)
    assert [(w.day, w.open, w.high, w.low, w.close, w.volume) for w in weeks] == [
        (date(2026, 2, 27), D(10), D(13), D(9), D(12), 3), (date(2026, 3, 3), D(12), D(13), D(8), D(10), 7)]
    assert weeks[0].start == bars.day_start(E.NASD, date(2026, 2, 26))
    months = bars.fold_days(days, Period.MONTH)
    assert [m.day for m in months] == [date(2026, 2, 27), date(2026, 3, 3)]
    assert [y.volume for y in bars.fold_days(days, Period.YEAR)] == [10]
    assert bars.fold_days(days, Period.DAY) == days
    assert bars.fold_days([], Period.WEEK) == []
