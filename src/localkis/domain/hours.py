"""When KIS accepts an overseas order: per-market KST windows, holidays and early closes.

The window tables below are KIS's order windows (spec seed, PROTOCOL §4 and Part C). Trading days
and early closes come from exchange_calendars (XNYS, XHKG, XTKS, XSHG for Shanghai and Shenzhen);
Vietnam has a hand-written holiday table. `MarketHours` turns all of it into sorted interval lists
once, at construction; a lookup is a `bisect` over plain ints.
"""

from __future__ import annotations

import warnings
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from localkis.domain.errors import BusinessError, Reason
from localkis.protocol.env import ENV_RULES, Env
from localkis.protocol.exchanges import EXCHANGES, Exchange, Market

KST = ZoneInfo("Asia/Seoul")
NEW_YORK = ZoneInfo("America/New_York")


class SessionState(StrEnum):
    PRE_MARKET = "pre_market"
    REGULAR = "regular"
    AFTER_MARKET = "after_market"
    BEFORE_OPEN = "before_open"  # trading day, before the first window or in a lunch break
    AFTER_CLOSE = "after_close"  # trading day, after the last window
    NON_TRADING_DAY = "non_trading_day"  # weekend or holiday in the exchange's local date


@dataclass(frozen=True, slots=True)
class WindowRule:
    """One order window; times are wall-clock in `tz`. An end at or before the start is the next day."""

    kind: SessionState
    start: time
    start_tz: ZoneInfo
    end: time
    end_tz: ZoneInfo


class Window(NamedTuple):
    start: datetime  # KST
    end: datetime  # KST, exclusive
    kind: SessionState


def _w(
    kind: SessionState, start: time, end: time, tz: ZoneInfo = KST, end_tz: ZoneInfo | None = None
) -> WindowRule:
    return WindowRule(kind, start, tz, end, end_tz or tz)


PRE, REG, AFTER = SessionState.PRE_MARKET, SessionState.REGULAR, SessionState.AFTER_MARKET


def hours_table(
    japan_close: time = time(15, 0), us_after_market_end: time = time(7, 0)
) -> dict[Market, tuple[tuple[date, tuple[WindowRule, ...]], ...]]:
    """Per market, rows of (in force since, windows). The two settings are the open questions of Part C."""
    t = time
    return {
        # US in New York time so that zoneinfo supplies DST; the after-market ends at a KST time.
        Market.US: ((date.min, (
            _w(PRE, t(4, 0), t(9, 30), NEW_YORK),
            _w(REG, t(9, 30), t(16, 0), NEW_YORK),
            _w(AFTER, t(16, 0), us_after_market_end, NEW_YORK, KST),
        )),),
        Market.JP: ((date.min, (_w(REG, t(9, 0), t(11, 30)), _w(REG, t(12, 30), japan_close))),),
        # The seed gives one window without lunch break for China (exchange lunch is 12:30-14:00 KST).
        Market.SH: ((date.min, (_w(REG, t(10, 30), t(16, 0)),)),),
        Market.SZ: ((date.min, (_w(REG, t(10, 30), t(16, 0)),)),),
        Market.HK: ((date.min, (_w(REG, t(10, 30), t(13, 0)), _w(REG, t(14, 0), t(17, 0)))),),
        # Not in the seed: HOSE/HNX 09:00-11:30 and 13:00-14:45 local (ATO/ATC included), KST +2h.
        Market.VN: ((date.min, (_w(REG, t(11, 0), t(13, 30)), _w(REG, t(15, 0), t(16, 45)))),),
    }


# Best effort (dates the exchanges announced, or the Labour Code's rule where not yet announced).
VN_HOLIDAYS: frozenset[date] = frozenset({
    # 2025: New Year, Tết, Hùng Kings, 30/4-1/5 (+2/5 swap), National Day 1-2/9
    date(2025, 1, 1), *(date(2025, 1, d) for d in range(27, 32)), date(2025, 4, 7),
    date(2025, 4, 30), date(2025, 5, 1), date(2025, 5, 2), date(2025, 9, 1), date(2025, 9, 2),
    # 2026: Tết 16-20/2, Hùng Kings (Sun 26/4 -> Mon 27/4), National Day 1-2/9
    date(2026, 1, 1), *(date(2026, 2, d) for d in range(16, 21)), date(2026, 4, 27),
    date(2026, 4, 30), date(2026, 5, 1), date(2026, 9, 1), date(2026, 9, 2),
    # 2027 (not yet announced): Tết around 6/2, 1/5 is a Saturday -> Mon 3/5, National Day 2-3/9
    date(2027, 1, 1), date(2027, 2, 4), date(2027, 2, 5), *(date(2027, 2, d) for d in range(8, 11)),
    date(2027, 4, 16), date(2027, 4, 30), date(2027, 5, 3), date(2027, 9, 2), date(2027, 9, 3),
})

CALENDARS: dict[Market, str | None] = {
    Market.US: "XNYS", Market.HK: "XHKG", Market.JP: "XTKS", Market.SH: "XSHG", Market.SZ: "XSHG",
    Market.VN: None,
}


def _market(exchange: Exchange) -> Market:
    return EXCHANGES[exchange].market


_TZ: dict[Market, ZoneInfo] = {info.market: ZoneInfo(info.timezone) for info in EXCHANGES.values()}


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("MarketHours needs an aware datetime")
    return now


# Per market, the local day last asked for, as [start, end) in UTC: most instants asked about fall in
# it, and two comparisons cost far less than a time-zone conversion (which runs on every order).
_LOCAL_DAYS: dict[Market, tuple[datetime, datetime, date]] = {}


def local_date(exchange: Exchange, now: datetime) -> date:
    """The exchange-local calendar date of an instant (for US: the New York date)."""
    market = _market(exchange)
    known = _LOCAL_DAYS.get(market)
    if known is not None and now.tzinfo is UTC and known[0] <= now < known[1]:
        return known[2]
    zone = _TZ[market]
    day = _aware(now).astimezone(zone).date()
    start = datetime.combine(day, time(0), zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(UTC)
    if start <= now < end:
        _LOCAL_DAYS[market] = (start, end, day)
    return day


_COMPACT_DATES: dict[date, str] = {}


def compact_date(day: date) -> str:
    """YYYYMMDD, as KIS writes dates (the same as strftime("%Y%m%d"), without its cost on the hot path)."""
    text = _COMPACT_DATES.get(day)
    if text is None:
        if len(_COMPACT_DATES) > 4096:  # dates of a long replay: keep the memo small
            _COMPACT_DATES.clear()
        text = _COMPACT_DATES[day] = f"{day.year:04d}{day.month:02d}{day.day:02d}"
    return text


def _weekday_rule(market: Market, day: date) -> bool:
    """Trading day when no calendar knows the date: Monday to Friday (Vietnam: minus its table)."""
    return day.weekday() < 5 and not (market is Market.VN and day in VN_HOLIDAYS)


def _day_windows(
    rows: tuple[tuple[date, tuple[WindowRule, ...]], ...],
    day: date,
    cal_open: datetime | None,
    cal_close: datetime | None,
) -> list[tuple[datetime, datetime, SessionState]]:
    """The windows of one session (local date `day`), clipped to the calendar's open/close if given."""
    rules = next((r for since, r in reversed(rows) if since <= day), rows[0][1])
    out: list[tuple[datetime, datetime, SessionState]] = []
    for rule in rules:
        start = datetime.combine(day, rule.start, rule.start_tz)
        end = datetime.combine(start.astimezone(rule.end_tz).date(), rule.end, rule.end_tz)
        if end <= start:
            end += timedelta(days=1)
        # Early closes: regular windows end at the calendar close and the after-market starts there.
        if rule.kind is REG and cal_open is not None and cal_close is not None:
            start, end = max(start, cal_open), min(end, cal_close)
        elif rule.kind is AFTER and cal_close is not None:
            start = min(start, cal_close)
        if start < end:
            out.append((start.astimezone(KST), end.astimezone(KST), rule.kind))
    return out


class _Timeline:
    """One market's precomputed sessions: parallel lists sorted by start (epoch seconds)."""

    __slots__ = ("days", "ends", "kinds", "starts", "trading_days")

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.kinds: list[SessionState] = []
        self.days: list[date] = []
        self.trading_days: set[date] = set()


class MarketHours:
    """Order windows for every market over the local dates [start, end], precomputed.

    Outside [start, end] lookups still answer, from the weekday rule (Mon-Fri, standard windows,
    no exchange holidays except Vietnam's table) instead of raising; the server builds a wide range.
    """

    def __init__(
        self,
        start: date,
        end: date,
        *,
        japan_close: time = time(15, 0),
        us_after_market_end: time = time(7, 0),
    ) -> None:
        if start > end:
            raise ValueError(f"start {start} after end {end}")
        if not time(12, 30) < japan_close <= time(15, 30):
            raise ValueError(f"japan_close {japan_close} outside 12:30-15:30")
        # Must stay after the earliest US close in KST (05:00 EDT) and before New York midnight (13:00 KST),
        # so that every window of a US session lies on that session's New York date.
        if not time(5, 0) < us_after_market_end <= time(13, 0):
            raise ValueError(f"us_after_market_end {us_after_market_end} outside 05:00-13:00 KST")
        self.start, self.end = start, end
        self._rows = hours_table(japan_close, us_after_market_end)
        self._lines: dict[Market, _Timeline] = {}
        schedules: dict[str, dict[date, tuple[datetime, datetime]]] = {}
        for market, cal_name in CALENDARS.items():
            known: dict[date, tuple[datetime, datetime]] = {}
            covered = (start, start - timedelta(days=1))  # empty
            if cal_name is not None:
                if cal_name not in schedules:
                    schedules[cal_name] = _load_schedule(cal_name, start, end)
                known = schedules[cal_name]
                covered = _calendar_cover(cal_name, start, end)
            line = _Timeline()
            day = start
            while day <= end:
                if covered[0] <= day <= covered[1]:
                    session = known.get(day)
                    trading = session is not None
                    cal_open, cal_close = session if session is not None else (None, None)
                else:  # a date the calendar library has no holidays for (e.g. XSHG after 2026)
                    trading, cal_open, cal_close = _weekday_rule(market, day), None, None
                if trading:
                    line.trading_days.add(day)
                    for w_start, w_end, kind in _day_windows(self._rows[market], day, cal_open, cal_close):
                        line.starts.append(int(w_start.timestamp()))
                        line.ends.append(int(w_end.timestamp()))
                        line.kinds.append(kind)
                        line.days.append(day)
                day += timedelta(days=1)
            if any(a < b for a, b in zip(line.starts[1:], line.ends, strict=False)):
                raise AssertionError(f"overlapping windows for {market}")  # pragma: no cover
            self._lines[market] = line

    def session(self, exchange: Exchange, now: datetime) -> SessionState:
        """The state of `exchange`'s market at the instant `now`."""
        market = _market(exchange)
        # The trading day is the exchange-local date of the instant. For the US that is the New York
        # date, which is the session the KST time belongs to: pre-market (04:00 ET), regular and
        # after-market (until 07:00 KST = 17:00/18:00 ET) all fall on the same New York date.
        day = local_date(exchange, now)
        if not self.start <= day <= self.end:
            return self._fallback(market, day, now)
        line = self._lines[market]
        if day not in line.trading_days:
            return SessionState.NON_TRADING_DAY
        ts = now.timestamp()
        i = bisect_right(line.starts, ts) - 1
        if i >= 0 and ts < line.ends[i]:
            return line.kinds[i]
        # In a gap: a later window today means before the open (or lunch), otherwise closed.
        nxt = i + 1
        if nxt < len(line.starts) and line.days[nxt] == day:
            return SessionState.BEFORE_OPEN
        return SessionState.AFTER_CLOSE

    def _fallback(self, market: Market, day: date, now: datetime) -> SessionState:
        if not _weekday_rule(market, day):
            return SessionState.NON_TRADING_DAY
        windows = _day_windows(self._rows[market], day, None, None)
        for w_start, w_end, kind in windows:
            if w_start <= now < w_end:
                return kind
        if any(now < w_start for w_start, _, _ in windows):
            return SessionState.BEFORE_OPEN
        return SessionState.AFTER_CLOSE

    def windows(self, exchange: Exchange, day: date) -> tuple[Window, ...]:
        """The order windows (KST) of `exchange` on its local date `day`; empty on a non-trading day."""
        market = _market(exchange)
        if not self.start <= day <= self.end:
            if not _weekday_rule(market, day):
                return ()
            return tuple(Window(*w) for w in _day_windows(self._rows[market], day, None, None))
        line = self._lines[market]
        lo = bisect_left(line.starts, datetime.combine(day, time(0), _TZ[market]).timestamp())
        out: list[Window] = []
        for i in range(lo, len(line.starts)):
            if line.days[i] > day:
                break
            if line.days[i] == day:
                out.append(Window(datetime.fromtimestamp(line.starts[i], KST),
                                  datetime.fromtimestamp(line.ends[i], KST), line.kinds[i]))
        return tuple(out)

    def check_order_allowed(self, exchange: Exchange, now: datetime, env: Env) -> None:
        """Raise `BusinessError` unless an order for `exchange` may be accepted at `now` in `env`."""
        check_open(exchange, self.session(exchange, now), env, now)


def check_open(exchange: Exchange, state: SessionState, env: Env, now: datetime) -> None:
    """Raise `BusinessError` unless an order may be accepted in session `state` (the decision functions
    take the state as input; `now` only words the detail)."""
    if state is SessionState.REGULAR:
        return
    rules = ENV_RULES[env]
    if rules.extended_us_hours and _market(exchange) is Market.US and state in (PRE, AFTER):
        return
    detail = f"{exchange.value} {state.value} at {now.astimezone(KST):%Y-%m-%d %H:%M:%S} KST"
    raise BusinessError(_CLOSED_REASON[state] if rules.detailed_closed_reasons else Reason.MARKET_CLOSED, detail)


# Why an order is refused in each closed state, where the environment tells them apart (the mock).
_CLOSED_REASON: dict[SessionState, Reason] = {
    SessionState.PRE_MARKET: Reason.BEFORE_OPEN,  # observed: 40570000 for a US pre-market mock order
    SessionState.BEFORE_OPEN: Reason.BEFORE_OPEN,
    SessionState.AFTER_MARKET: Reason.AFTER_CLOSE,
    SessionState.AFTER_CLOSE: Reason.AFTER_CLOSE,
    SessionState.NON_TRADING_DAY: Reason.NON_TRADING_DAY,
}


def _calendar_class(name: str) -> Any:
    # Imported here: exchange_calendars pulls in pandas, which only the constructor may use.
    from exchange_calendars.exchange_calendar_xhkg import XHKGExchangeCalendar
    from exchange_calendars.exchange_calendar_xnys import XNYSExchangeCalendar
    from exchange_calendars.exchange_calendar_xshg import XSHGExchangeCalendar
    from exchange_calendars.exchange_calendar_xtks import XTKSExchangeCalendar

    classes: dict[str, Any] = {"XNYS": XNYSExchangeCalendar, "XHKG": XHKGExchangeCalendar,
                               "XTKS": XTKSExchangeCalendar, "XSHG": XSHGExchangeCalendar}
    return classes[name]


def _calendar_cover(name: str, start: date, end: date) -> tuple[date, date]:
    """The part of [start, end] for which the library records holidays (may be empty: lo > hi)."""
    cls = _calendar_class(name)
    lo, hi = cls.bound_min(), cls.bound_max()
    first: date = start if lo is None else max(start, lo.date())
    last: date = end if hi is None else min(end, hi.date())
    return first, last


def _load_schedule(name: str, start: date, end: date) -> dict[date, tuple[datetime, datetime]]:
    """Session date -> (open, close) as aware UTC datetimes, for the covered part of [start, end]."""
    lo, hi = _calendar_cover(name, start, end)
    if lo > hi:
        return {}
    from exchange_calendars.errors import NoSessionsError

    with warnings.catch_warnings():
        # exchange_calendars trips pandas deprecation warnings that are not ours to fix.
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            sched = _calendar_class(name)(start=lo.isoformat(), end=hi.isoformat()).schedule
        except NoSessionsError:  # a short range made only of holidays and weekends
            return {}
    days: list[date] = [ts.date() for ts in sched.index]
    opens: list[datetime] = [ts.to_pydatetime() for ts in sched["open"]]
    closes: list[datetime] = [ts.to_pydatetime() for ts in sched["close"]]
    return {d: (o, c) for d, o, c in zip(days, opens, closes, strict=True)}
