"""KIS order windows: sessions, holidays, DST, early closes, mock vs real."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from localkis.domain.errors import BusinessError, Reason
from localkis.domain.hours import KST, MarketHours, SessionState, Window, local_date
from localkis.protocol.env import Env
from localkis.protocol.exchanges import EXCHANGES, Exchange

S = SessionState
RANGE = (date(2025, 10, 1), date(2027, 12, 31))


@pytest.fixture(scope="module")
def mh() -> MarketHours:
    return MarketHours(*RANGE)


@pytest.fixture(scope="module")
def elsewhere() -> MarketHours:
    """A range that excludes every instant the tests ask about: every answer takes the fallback."""
    return MarketHours(date(2024, 1, 1), date(2024, 1, 2))


def kst(y: int, m: int, d: int, hh: int, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=KST)


def reason(mh: MarketHours, exchange: Exchange, now: datetime, env: Env) -> Reason | None:
    try:
        mh.check_order_allowed(exchange, now, env)
    except BusinessError as exc:
        return exc.reason
    return None


# --- United States --------------------------------------------------------------------------------


def test_us_windows_follow_the_seed_in_winter_and_summer(mh: MarketHours) -> None:
    winter = mh.windows(Exchange.NASD, date(2026, 1, 5))
    assert winter == (
        Window(kst(2026, 1, 5, 18), kst(2026, 1, 5, 23, 30), S.PRE_MARKET),
        Window(kst(2026, 1, 5, 23, 30), kst(2026, 1, 6, 6), S.REGULAR),
        Window(kst(2026, 1, 6, 6), kst(2026, 1, 6, 7), S.AFTER_MARKET),
    )
    summer = mh.windows(Exchange.NYSE, date(2026, 7, 6))
    assert summer == (
        Window(kst(2026, 7, 6, 17), kst(2026, 7, 6, 22, 30), S.PRE_MARKET),
        Window(kst(2026, 7, 6, 22, 30), kst(2026, 7, 7, 5), S.REGULAR),
        Window(kst(2026, 7, 7, 5), kst(2026, 7, 7, 7), S.AFTER_MARKET),
    )


@pytest.mark.parametrize(
    ("now", "state"),
    [
        # DST starts Sunday 2026-03-08
        (kst(2026, 3, 6, 22, 45), S.PRE_MARKET),  # Fri, EST
        (kst(2026, 3, 9, 22, 45), S.REGULAR),  # Mon, EDT
        (kst(2026, 3, 7, 6, 30), S.AFTER_MARKET),  # Fri's after-market (16:30 EST)
        (kst(2026, 3, 9, 5, 30), S.NON_TRADING_DAY),  # Sunday 16:30 EDT in New York
        # DST ends Sunday 2026-11-01
        (kst(2026, 10, 30, 22, 45), S.REGULAR),  # Fri, EDT
        (kst(2026, 11, 2, 22, 45), S.PRE_MARKET),  # Mon, EST
        # winter boundaries (2026-11-02 session)
        (kst(2026, 11, 2, 17, 59, 59), S.BEFORE_OPEN),
        (kst(2026, 11, 2, 18), S.PRE_MARKET),
        (kst(2026, 11, 2, 23, 29, 59), S.PRE_MARKET),
        (kst(2026, 11, 2, 23, 30), S.REGULAR),
        (kst(2026, 11, 3, 5, 59, 59), S.REGULAR),
        (kst(2026, 11, 3, 6), S.AFTER_MARKET),
        (kst(2026, 11, 3, 6, 59, 59), S.AFTER_MARKET),
        (kst(2026, 11, 3, 7), S.AFTER_CLOSE),
        # summer boundaries (2026-07-06 session)
        (kst(2026, 7, 6, 16, 59), S.BEFORE_OPEN),
        (kst(2026, 7, 6, 17), S.PRE_MARKET),
        (kst(2026, 7, 6, 22, 29, 59), S.PRE_MARKET),
        (kst(2026, 7, 6, 22, 30), S.REGULAR),
        (kst(2026, 7, 7, 4, 59, 59), S.REGULAR),
        (kst(2026, 7, 7, 5), S.AFTER_MARKET),
        (kst(2026, 7, 7, 7), S.AFTER_CLOSE),
    ],
)
def test_us_sessions_around_dst(mh: MarketHours, now: datetime, state: SessionState) -> None:
    for exchange in (Exchange.NASD, Exchange.NYSE, Exchange.AMEX):
        assert mh.session(exchange, now) is state


def test_thanksgiving_is_not_a_trading_day_for_every_kst_instant_of_that_ny_date(mh: MarketHours) -> None:
    # 2026-11-26 00:00 EST = 14:00 KST; the NY date lasts until 13:59:59 KST on the 27th.
    now = kst(2026, 11, 26, 14)
    while now < kst(2026, 11, 27, 14):
        assert mh.session(Exchange.NASD, now) is S.NON_TRADING_DAY, now
        now += timedelta(minutes=15)
    assert mh.session(Exchange.NASD, kst(2026, 11, 27, 13, 59, 59)) is S.NON_TRADING_DAY
    assert mh.session(Exchange.NASD, kst(2026, 11, 26, 13, 59, 59)) is S.AFTER_CLOSE  # Wed 23:59:59 EST
    assert mh.session(Exchange.NASD, kst(2026, 11, 26, 6, 30)) is S.AFTER_MARKET  # Wednesday's session
    assert mh.session(Exchange.NASD, kst(2026, 11, 27, 14)) is S.BEFORE_OPEN  # Friday 00:00 EST
    assert mh.windows(Exchange.NASD, date(2026, 11, 26)) == ()


def test_early_close_day_after_thanksgiving(mh: MarketHours) -> None:
    # 13:00 EST close = 03:00 KST; the after-market runs from there to 07:00 KST.
    assert mh.session(Exchange.NASD, kst(2026, 11, 27, 23, 30)) is S.REGULAR
    assert mh.session(Exchange.NASD, kst(2026, 11, 28, 2, 59, 59)) is S.REGULAR
    assert mh.session(Exchange.NASD, kst(2026, 11, 28, 3)) is S.AFTER_MARKET
    assert mh.session(Exchange.NASD, kst(2026, 11, 28, 6, 59)) is S.AFTER_MARKET
    assert mh.session(Exchange.NASD, kst(2026, 11, 28, 7)) is S.AFTER_CLOSE
    # an ordinary day is still regular at 03:00 KST
    assert mh.session(Exchange.NASD, kst(2026, 12, 1, 3)) is S.REGULAR
    windows = mh.windows(Exchange.NASD, date(2026, 11, 27))
    assert [(w.start.time(), w.end.time(), w.kind) for w in windows] == [
        (time(18), time(23, 30), S.PRE_MARKET),
        (time(23, 30), time(3), S.REGULAR),
        (time(3), time(7), S.AFTER_MARKET),
    ]


def test_us_weekend(mh: MarketHours) -> None:
    assert mh.session(Exchange.NASD, kst(2026, 11, 28, 10)) is S.AFTER_CLOSE  # still Friday 20:00 in NY
    assert mh.session(Exchange.NASD, kst(2026, 11, 28, 20)) is S.NON_TRADING_DAY  # Saturday 06:00 EST
    assert mh.session(Exchange.NASD, kst(2026, 11, 29, 23, 45)) is S.NON_TRADING_DAY  # Sunday
    assert mh.session(Exchange.NASD, kst(2026, 11, 30, 10)) is S.NON_TRADING_DAY  # Sunday 20:00 EST
    assert mh.session(Exchange.NASD, kst(2026, 11, 30, 15)) is S.BEFORE_OPEN  # Monday 01:00 EST


def test_us_after_market_extension_setting() -> None:
    mh9 = MarketHours(date(2026, 11, 2), date(2026, 11, 6), us_after_market_end=time(9, 0))
    assert mh9.session(Exchange.NASD, kst(2026, 11, 4, 8, 30)) is S.AFTER_MARKET
    assert mh9.session(Exchange.NASD, kst(2026, 11, 4, 9)) is S.AFTER_CLOSE
    with pytest.raises(ValueError):
        MarketHours(date(2026, 11, 2), date(2026, 11, 6), us_after_market_end=time(14, 0))


# --- Asia -----------------------------------------------------------------------------------------


def states(mh: MarketHours, exchange: Exchange, day: date, times: list[time]) -> list[SessionState]:
    return [mh.session(exchange, datetime.combine(day, t, KST)) for t in times]


FRI = date(2026, 11, 27)


def test_hong_kong_lunch_break_and_close(mh: MarketHours) -> None:
    times = [time(10, 29), time(10, 30), time(12, 59), time(13), time(13, 59), time(14), time(16, 59),
             time(17)]
    assert states(mh, Exchange.SEHK, FRI, times) == [
        S.BEFORE_OPEN, S.REGULAR, S.REGULAR, S.BEFORE_OPEN, S.BEFORE_OPEN, S.REGULAR, S.REGULAR,
        S.AFTER_CLOSE,
    ]


def test_hong_kong_half_day_and_holiday(mh: MarketHours) -> None:
    # Christmas Eve: morning session only (close 12:00 HKT = 13:00 KST)
    assert states(mh, Exchange.SEHK, date(2026, 12, 24), [time(11), time(13), time(14, 30)]) == [
        S.REGULAR, S.AFTER_CLOSE, S.AFTER_CLOSE,
    ]
    assert mh.session(Exchange.SEHK, kst(2026, 12, 25, 11)) is S.NON_TRADING_DAY


def test_japan_lunch_break_and_default_close(mh: MarketHours) -> None:
    times = [time(8, 59), time(9), time(11, 29), time(11, 30), time(12, 29), time(12, 30), time(14, 59),
             time(15), time(15, 15)]
    assert states(mh, Exchange.TKSE, FRI, times) == [
        S.BEFORE_OPEN, S.REGULAR, S.REGULAR, S.BEFORE_OPEN, S.BEFORE_OPEN, S.REGULAR, S.REGULAR,
        S.AFTER_CLOSE, S.AFTER_CLOSE,
    ]
    assert mh.session(Exchange.TKSE, kst(2026, 11, 23, 10)) is S.NON_TRADING_DAY  # Labour Thanksgiving


def test_japan_close_is_a_setting() -> None:
    late = MarketHours(date(2026, 11, 23), date(2026, 11, 30), japan_close=time(15, 30))
    assert states(late, Exchange.TKSE, FRI, [time(15), time(15, 29), time(15, 30)]) == [
        S.REGULAR, S.REGULAR, S.AFTER_CLOSE,
    ]
    with pytest.raises(ValueError):
        MarketHours(date(2026, 11, 23), date(2026, 11, 30), japan_close=time(16, 0))


@pytest.mark.parametrize("exchange", [Exchange.SHAA, Exchange.SZAA])
def test_china_single_window_without_lunch(mh: MarketHours, exchange: Exchange) -> None:
    times = [time(10, 29), time(10, 30), time(12, 45), time(15, 59), time(16)]
    assert states(mh, exchange, FRI, times) == [
        S.BEFORE_OPEN, S.REGULAR, S.REGULAR, S.REGULAR, S.AFTER_CLOSE,
    ]
    assert mh.session(exchange, kst(2026, 10, 1, 11)) is S.NON_TRADING_DAY  # National Day
    assert mh.session(exchange, kst(2026, 10, 7, 11)) is S.NON_TRADING_DAY  # Golden Week
    assert mh.session(exchange, kst(2026, 10, 8, 11)) is S.REGULAR


def test_china_after_the_library_holiday_horizon_falls_back_to_weekdays(mh: MarketHours) -> None:
    # exchange_calendars records XSHG holidays only to 2026-12-31.
    assert mh.session(Exchange.SHAA, kst(2027, 10, 1, 11)) is S.REGULAR  # a Friday
    assert mh.session(Exchange.SHAA, kst(2027, 10, 2, 11)) is S.NON_TRADING_DAY  # Saturday


@pytest.mark.parametrize("exchange", [Exchange.HASE, Exchange.VNSE])
def test_vietnam_windows_and_holidays(mh: MarketHours, exchange: Exchange) -> None:
    times = [time(10, 59), time(11), time(13, 29), time(13, 30), time(14, 59), time(15), time(16, 44),
             time(16, 45)]
    assert states(mh, exchange, FRI, times) == [
        S.BEFORE_OPEN, S.REGULAR, S.REGULAR, S.BEFORE_OPEN, S.BEFORE_OPEN, S.REGULAR, S.REGULAR,
        S.AFTER_CLOSE,
    ]
    assert mh.session(exchange, kst(2026, 4, 30, 12)) is S.NON_TRADING_DAY  # Reunification Day
    assert mh.session(exchange, kst(2026, 2, 17, 12)) is S.NON_TRADING_DAY  # Tết
    assert mh.session(exchange, kst(2026, 9, 2, 12)) is S.NON_TRADING_DAY  # National Day


@pytest.mark.parametrize("exchange", [Exchange.SEHK, Exchange.TKSE, Exchange.SHAA, Exchange.SZAA,
                                      Exchange.HASE, Exchange.VNSE])
def test_asian_weekends(mh: MarketHours, exchange: Exchange) -> None:
    assert mh.session(exchange, kst(2026, 11, 28, 12)) is S.NON_TRADING_DAY
    assert mh.session(exchange, kst(2026, 11, 29, 12)) is S.NON_TRADING_DAY


# --- allowed or not, per environment ------------------------------------------------------------

US_PRE, US_REG, US_AFTER = kst(2026, 11, 2, 20), kst(2026, 11, 3, 1), kst(2026, 11, 3, 6, 30)
US_CLOSED, US_EARLY, THANKSGIVING = kst(2026, 11, 3, 8), kst(2026, 11, 2, 15), kst(2026, 11, 26, 23, 45)


@pytest.mark.parametrize(
    ("exchange", "now", "real", "mock"),
    [
        (Exchange.NASD, US_REG, None, None),
        (Exchange.NASD, US_PRE, None, Reason.BEFORE_OPEN),
        (Exchange.NYSE, US_AFTER, None, Reason.AFTER_CLOSE),
        (Exchange.AMEX, US_CLOSED, Reason.MARKET_CLOSED, Reason.AFTER_CLOSE),
        (Exchange.NASD, US_EARLY, Reason.MARKET_CLOSED, Reason.BEFORE_OPEN),
        (Exchange.NASD, THANKSGIVING, Reason.MARKET_CLOSED, Reason.NON_TRADING_DAY),
        (Exchange.SEHK, kst(2026, 11, 27, 11), None, None),
        (Exchange.SEHK, kst(2026, 11, 27, 13, 30), Reason.MARKET_CLOSED, Reason.BEFORE_OPEN),
        (Exchange.TKSE, kst(2026, 11, 27, 8), Reason.MARKET_CLOSED, Reason.BEFORE_OPEN),
        (Exchange.TKSE, kst(2026, 11, 27, 15, 10), Reason.MARKET_CLOSED, Reason.AFTER_CLOSE),
        (Exchange.SHAA, kst(2026, 11, 28, 11), Reason.MARKET_CLOSED, Reason.NON_TRADING_DAY),
        (Exchange.VNSE, kst(2026, 11, 27, 15, 30), None, None),
    ],
)
def test_check_order_allowed(
    mh: MarketHours, exchange: Exchange, now: datetime, real: Reason | None, mock: Reason | None
) -> None:
    assert reason(mh, exchange, now, Env.REAL) is real
    assert reason(mh, exchange, now, Env.MOCK) is mock


# --- range, fallback, helpers -------------------------------------------------------------------


def test_outside_the_range_weekday_rules_apply() -> None:
    small = MarketHours(date(2026, 11, 23), date(2026, 11, 27))
    assert small.session(Exchange.TKSE, kst(2027, 1, 1, 10)) is S.REGULAR  # holiday unknown outside range
    assert MarketHours(date(2026, 12, 28), date(2027, 1, 8)).session(
        Exchange.TKSE, kst(2027, 1, 1, 10)) is S.NON_TRADING_DAY
    assert small.session(Exchange.TKSE, kst(2027, 1, 2, 10)) is S.NON_TRADING_DAY  # Saturday
    assert small.session(Exchange.TKSE, kst(2027, 1, 4, 12)) is S.BEFORE_OPEN  # lunch
    assert small.session(Exchange.TKSE, kst(2027, 1, 4, 16)) is S.AFTER_CLOSE
    assert small.session(Exchange.NASD, kst(2027, 7, 6, 22, 45)) is S.REGULAR  # DST still applies
    assert small.session(Exchange.NASD, kst(2027, 1, 5, 22, 45)) is S.PRE_MARKET
    assert small.session(Exchange.VNSE, kst(2027, 4, 30, 12)) is S.NON_TRADING_DAY  # VN table still used
    assert len(small.windows(Exchange.SEHK, date(2027, 3, 1))) == 2
    assert small.windows(Exchange.SEHK, date(2027, 3, 6)) == ()


def test_constructor_validates() -> None:
    with pytest.raises(ValueError):
        MarketHours(date(2026, 2, 1), date(2026, 1, 1))


def test_a_range_without_any_session_is_fine() -> None:
    # 2024-01-01/02 has no XTKS session (New Year) and 2026-12-26/27 is a weekend everywhere.
    assert MarketHours(date(2024, 1, 1), date(2024, 1, 2)).session(
        Exchange.TKSE, kst(2024, 1, 2, 10)) is S.NON_TRADING_DAY
    weekend = MarketHours(date(2026, 12, 26), date(2026, 12, 27))
    assert weekend.windows(Exchange.NASD, date(2026, 12, 26)) == ()


def test_naive_datetimes_are_refused(mh: MarketHours) -> None:
    with pytest.raises(ValueError):
        mh.session(Exchange.NASD, datetime(2026, 11, 27, 23, 30))
    with pytest.raises(ValueError):
        local_date(Exchange.NASD, datetime(2026, 11, 27, 23, 30))


@settings(max_examples=400)
@given(st.lists(st.tuples(st.sampled_from(list(Exchange)),
                          st.datetimes(datetime(2025, 1, 1), datetime(2028, 1, 1)),
                          st.sampled_from([UTC, KST])), min_size=1, max_size=30))
def test_local_date_remembered_day_agrees_with_conversion(asks: list[tuple[Exchange, datetime, tzinfo]]) -> None:
    """local_date remembers each market's last day; whatever the order of questions (near midnights,
    across DST changes, in UTC or not) it answers as a plain time-zone conversion does."""
    for exchange, naive, zone in asks:
        for moment in (naive.replace(tzinfo=zone), naive.replace(hour=0, minute=0, tzinfo=zone),
                       naive.replace(hour=0, minute=0, tzinfo=zone) - timedelta(microseconds=1)):
            expected = moment.astimezone(ZoneInfo(EXCHANGES[exchange].timezone)).date()
            assert local_date(exchange, moment) == expected, (exchange, moment)


def test_local_date() -> None:
    assert local_date(Exchange.NASD, kst(2026, 11, 27, 10)) == date(2026, 11, 26)
    assert local_date(Exchange.NASD, kst(2026, 11, 27, 14)) == date(2026, 11, 27)
    assert local_date(Exchange.TKSE, kst(2026, 11, 27, 0, 30)) == date(2026, 11, 27)
    assert local_date(Exchange.SEHK, kst(2026, 11, 27, 0, 30)) == date(2026, 11, 26)
    assert local_date(Exchange.VNSE, kst(2026, 11, 27, 1, 59)) == date(2026, 11, 26)
    assert local_date(Exchange.VNSE, kst(2026, 11, 27, 2)) == date(2026, 11, 27)


# --- properties ------------------------------------------------------------------------------------

instants = st.integers(0, int((datetime(2027, 12, 31, tzinfo=KST) - datetime(2025, 10, 2, tzinfo=KST))
                              .total_seconds())).map(lambda s: kst(2025, 10, 2, 0) + timedelta(seconds=s))
OPEN = {S.PRE_MARKET, S.REGULAR, S.AFTER_MARKET}


@settings(max_examples=300)
@given(st.sampled_from(list(Exchange)), instants)
def test_session_agrees_with_windows(mh: MarketHours, exchange: Exchange, now: datetime) -> None:
    state = mh.session(exchange, now)
    windows = mh.windows(exchange, local_date(exchange, now))
    inside = [w.kind for w in windows if w.start <= now < w.end]
    if state in OPEN:
        assert inside == [state]
    else:
        assert inside == []
        if state is S.NON_TRADING_DAY:
            assert windows == ()
        elif state is S.BEFORE_OPEN:
            assert any(now < w.start for w in windows)
        else:
            assert windows and all(w.end <= now for w in windows)


@settings(max_examples=300)
@given(st.sampled_from([Exchange.VNSE, Exchange.HASE]), instants)
def test_precomputed_and_fallback_paths_agree_for_vietnam(
    mh: MarketHours, elsewhere: MarketHours, exchange: Exchange, now: datetime
) -> None:
    # Vietnam uses no calendar library, so the out-of-range path must give the same answer.
    assert mh.session(exchange, now) is elsewhere.session(exchange, now)
