"""Issue 17 defect 3: the banner says which markets are open and when the next opens, and how round it."""

from __future__ import annotations

from datetime import datetime, timedelta

from localkis.cli import market_lines
from localkis.domain.hours import KST, MarketHours, SessionState
from localkis.domain.openings import all_markets, market_status
from localkis.protocol.exchanges import Exchange, Market

WEDNESDAY_2PM = datetime(2026, 12, 2, 14, 0, tzinfo=KST)
SATURDAY = datetime(2026, 12, 5, 14, 0, tzinfo=KST)
HOURS = MarketHours(WEDNESDAY_2PM.date() - timedelta(days=3), WEDNESDAY_2PM.date() + timedelta(days=20))


def test_us_is_closed_at_2pm_kst_and_opens_at_2330() -> None:
    st = market_status(HOURS, Exchange.NASD, WEDNESDAY_2PM)
    assert st.state is SessionState.BEFORE_OPEN
    assert st.next_open == datetime(2026, 12, 2, 23, 30, tzinfo=KST)


def test_an_open_market_has_no_next_open() -> None:
    st = market_status(HOURS, Exchange.SEHK, WEDNESDAY_2PM)
    assert st.state is SessionState.REGULAR and st.next_open is None


def test_every_market_is_listed_once_and_the_weekend_points_to_monday() -> None:
    statuses = all_markets(HOURS, SATURDAY)
    assert {s.market for s in statuses} == set(Market)
    assert all(s.next_open is not None and s.next_open.date() == datetime(2026, 12, 7).date() for s in statuses)


def test_banner_lines_name_the_open_markets_and_both_ways_round_closed_hours() -> None:
    text = "\n".join(market_lines(HOURS, WEDNESDAY_2PM, enforced=True))
    assert "US  NASD  closed (before open, next opens 2026-12-02 23:30 KST)" in text
    assert "HK  SEHK  open" in text
    assert 'market_hours = "ignore"' in text
    assert "localkis clock set 2026-12-02T23:45:00+09:00" in text


def test_banner_lines_when_hours_are_ignored() -> None:
    assert "orders are accepted at any hour" in "\n".join(market_lines(HOURS, WEDNESDAY_2PM, enforced=False))


def test_with_the_us_open_the_clock_hint_points_at_the_market_that_opens_next() -> None:
    us_open = datetime(2026, 12, 3, 3, 25, 59, tzinfo=KST)
    text = "\n".join(market_lines(HOURS, us_open, enforced=True))
    assert "US  NASD  open" in text
    assert "localkis clock set 2026-12-03T09:15:00+09:00" in text and "next JP session" in text
