"""Bars from prints, stored: every print (Desk.trade, an admin fill, the replay's fast path) updates the
1-minute and daily bars of its instrument in its transaction; they equal a recomputation from the raw
prints and survive a restart, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from localkis.domain.bars import Interval, Print, aggregate
from localkis.domain.hours import MarketHours
from localkis.domain.instruments import Instrument
from localkis.engine.book import BookTrader
from localkis.engine.desk import Desk, DeskSettings
from localkis.protocol.exchanges import Exchange
from localkis.store import open_store
from localkis.store.base import Store
from tests.pg import fresh_database

E = Exchange.NASD
AAPL = Instrument(E, "AAPL", "애플", Decimal("200"), None, "APPLE INC", False)
T0 = datetime(2026, 12, 1, 14, 30, tzinfo=UTC)  # 09:30 in New York
HOURS = MarketHours(date(2026, 11, 25), date(2026, 12, 10))




@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'bars.db'}"
    else:
        with fresh_database() as url:
            yield url


def _desk(store: Store) -> Desk:
    return Desk(store, HOURS, [AAPL], DeskSettings(branch="01790", enforce_hours=False))


def _trade(store: Store, desk: Desk, price: str, size: int | None, at: datetime) -> None:
    with store.transaction() as tx:
        desk.trade(E, "AAPL", Decimal(price), size, at)(tx)


def test_prints_make_bars_that_survive_a_restart(db_url: str) -> None:
    store = open_store(db_url)
    try:
        desk = _desk(store)
        prints = [("200.10", 10, 0), ("200.50", 5, 20), ("199.90", 7, 61), ("201", 3, 24 * 3600)]
        for price, size, seconds in prints:
            _trade(store, desk, price, size, T0 + timedelta(seconds=seconds))
    finally:
        store.close()
    store = open_store(db_url)  # a restart: a new process would open the same database
    try:
        with store.read() as tx:
            minutes = tx.bars(E, "AAPL", Interval.MINUTE)
            days = tx.bars(E, "AAPL", Interval.DAY)
    finally:
        store.close()
    raw = [Print(E, Decimal(p), s, T0 + timedelta(seconds=t)) for p, s, t in prints]
    assert minutes == aggregate(raw, Interval.MINUTE)
    assert days == aggregate(raw, Interval.DAY)
    first = days[0]
    assert (first.day, first.open, first.high, first.low, first.close, first.volume) == (
        date(2026, 12, 1), Decimal("200.10"), Decimal("200.50"), Decimal("199.90"), Decimal("199.90"), 22)


def test_unlimited_prints_count_no_volume_of_their_own(db_url: str) -> None:
    store = open_store(db_url)
    try:
        _trade(store, _desk(store), "200", None, T0)
        with store.read() as tx:
            (bar,) = tx.bars(E, "AAPL", Interval.DAY)
        assert (bar.close, bar.volume) == (Decimal("200"), 0)
    finally:
        store.close()


_prints = st.lists(st.tuples(st.integers(19000, 21000), st.integers(0, 50), st.integers(0, 3 * 86400)),
                   min_size=1, max_size=30)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(_prints, st.booleans())
def test_bars_equal_a_recomputation_from_the_raw_prints(tmp_path_factory: pytest.TempPathFactory,
                                                        raw: list[tuple[int, int, int]], fast: bool) -> None:
    """Through `Desk.trade` (the server) or `BookTrader`'s in-memory fast path (the replay), alike."""
    path = tmp_path_factory.mktemp("bars") / "bars.db"
    store = open_store(f"sqlite:///{path}")
    try:
        ordered = sorted(raw, key=lambda r: r[2])
        prints = [Print(E, Decimal(cents) / 100, size, T0 + timedelta(seconds=t)) for cents, size, t in ordered]
        desk = _desk(store)
        if fast:
            with BookTrader.open(store, desk.engine, [(E, "AAPL")], batch=7) as trader:
                for p in prints:
                    trader.trade(E, "AAPL", p.price, p.size, p.at)
        else:
            for p in prints:
                with store.transaction() as tx:
                    desk.trade(E, "AAPL", p.price, p.size, p.at)(tx)
        with store.read() as tx:
            assert tx.bars(E, "AAPL", Interval.MINUTE) == aggregate(prints, Interval.MINUTE)
            assert tx.bars(E, "AAPL", Interval.DAY) == aggregate(prints, Interval.DAY)
    finally:
        store.close()
