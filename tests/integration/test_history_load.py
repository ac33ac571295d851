"""`localkis history load FILE`: bars into the database (one transaction), errors naming the bad row, and
the charts then showing the loaded bars instead of the backfill."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from localkis.cli import main
from localkis.domain.bars import Interval
from localkis.domain.hours import MarketHours
from localkis.domain.instruments import Instrument
from localkis.engine.charts import BackfillSettings, Charts
from localkis.protocol.exchanges import Exchange
from localkis.store import open_store

E = Exchange.NASD
AAPL = Instrument(E, "AAPL", "애플", Decimal("200"), None, "APPLE INC", False)
NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
HEADER = "timestamp,exchange,symbol,open,high,low,close,volume\n"


def _daily_file(path: Path, days: int) -> Path:
    lines = [HEADER]
    day = date(2026, 11, 30) - timedelta(days=days)
    for i in range(days):
        day += timedelta(days=1)
        price = 150 + i % 7
        lines.append(f"{day.isoformat()},NAS,AAPL,{price},{price + 2},{price - 1},{price + 1},{1000 + i}\n")
    path.write_text("".join(lines), encoding="utf-8")
    return path


def test_history_load_then_charts_use_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'h.db'}"
    path = _daily_file(tmp_path / "aapl.csv", 300)
    assert main(["history", "load", str(path), "--db", db]) == 0
    assert "NASD AAPL 1d: 300 bars" in capsys.readouterr().out
    assert main(["history", "load", str(path), "--db", db]) == 0  # again: replaced, not doubled
    store = open_store(db)
    try:
        with store.read() as tx:
            stored = tx.bars(E, "AAPL", Interval.DAY)
        assert len(stored) == 300 and stored[-1].day == date(2026, 11, 30)
        assert (stored[-1].close, stored[-1].volume) == (Decimal(150 + 299 % 7 + 1), 1299)
        charts = Charts(store, MarketHours(date(2026, 11, 1), date(2026, 12, 10)), BackfillSettings(250, 5))
        assert charts.daily(AAPL, NOW) == stored  # a year loaded: no backfill before it
    finally:
        store.close()


def test_a_short_history_is_completed_by_the_backfill(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'h.db'}"
    assert main(["history", "load", str(_daily_file(tmp_path / "aapl.csv", 20)), "--db", db]) == 0
    store = open_store(db)
    try:
        hours = MarketHours(date(2025, 9, 1), date(2026, 12, 10))
        days = Charts(store, hours, BackfillSettings(100, 0)).daily(AAPL, NOW)
        assert len(days) == 100 and days[79].day < date(2026, 11, 11) == days[80].day
    finally:
        store.close()


def test_a_bad_row_names_itself_and_loads_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'h.db'}"
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "2026-11-27,NAS,AAPL,150,152,149,151,10\n2026-11-30,NAS,AAPL,150,149,149,151,10\n",
                    encoding="utf-8")
    assert main(["history", "load", str(path), "--db", db]) == 2
    err = capsys.readouterr().err
    assert "bad.csv, line 3" in err and "high" in err
    store = open_store(db)
    try:
        with store.read() as tx:
            assert tx.bars(E, "AAPL", Interval.DAY) == []
    finally:
        store.close()
    assert main(["history", "load", str(tmp_path / "missing.csv"), "--db", db]) == 2
    assert "missing.csv" in capsys.readouterr().err


def test_market_history_is_loaded_at_start(tmp_path: Path) -> None:
    from localkis.server.app import create_app
    from localkis.server.config import parse_config

    path = _daily_file(tmp_path / "aapl.csv", 30)
    config = parse_config(f'[market]\nhistory = [{str(path)!r}]\n'.replace("'", '"'))
    store = open_store(f"sqlite:///{tmp_path / 'start.db'}")
    try:
        app = create_app(config, store, admin_token="t" * 24)

        async def start_and_stop() -> None:
            async with app.app.router.lifespan_context(app.app):
                pass

        asyncio.run(start_and_stop())
        with store.read() as tx:
            assert len(tx.bars(E, "AAPL", Interval.DAY)) == 30
    finally:
        store.close()
