"""The typed client's market data: price_detail, daily_bars, minute_bars, order_book, product_info,
holidays — paging hidden (a year of daily bars is three dailyprice calls, 300 minutes three chart calls)."""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from localkis.client.cli import SPARKS
from localkis.client.core import utc_now
from localkis.protocol.env import Env
from localkis.protocol.exchanges import Exchange
from tests.client.conftest import Wire, World
from tests.client.test_cli import env_for, run

__all__ = ["env_for"]  # the fixture, shared with test_cli


def test_price_detail_book_and_product(main: World) -> None:
    kis = main.client()
    detail = kis.price_detail(Exchange.NYSE, "IBM")
    assert detail.last is not None and detail.base > 0 and detail.tick == Decimal("0.01") and detail.lot == 1
    assert detail.high_52w >= detail.low_52w > 0
    assert kis.price_detail("NASD", "NOPE").last is None
    book = kis.order_book("NASD", "AAPL")
    assert len(book.bids) == 10 and len(book.asks) == 10 and book.bids[0][0] < book.asks[0][0]
    product = kis.product_info("NASD", "AAPL")
    assert product is not None and product.name == "애플" and product.currency == "USD"
    assert kis.product_info("NYSE", "AAPL") is None


def test_daily_and_minute_bars_hide_the_paging(main: World) -> None:
    wire: list[Wire] = []
    kis = main.client(wire=wire)
    today = utc_now().date()
    year = kis.daily_bars("NASD", "TSLA", today - timedelta(days=365))
    days = [b.time for b in year]
    assert 240 <= len(year) <= 260 and days == sorted(days) and days[0] >= today - timedelta(days=365)
    assert sum(1 for w in wire if w.tr_id == "HHDFS76240000") <= 4  # 100 rows a call (the last may be empty)
    weeks = kis.daily_bars("NASD", "TSLA", today - timedelta(days=365), period="week")
    assert 50 <= len(weeks) <= 54
    minutes = kis.minute_bars("NASD", "TSLA", 300)
    assert len(minutes) == 300 and [b.time for b in minutes] == sorted(b.time for b in minutes)
    assert sum(1 for w in wire if w.tr_id == "HHDFS76950200") == 3
    five = kis.minute_bars("NASD", "TSLA", 10, minutes=5)
    assert len(five) == 10 and all(b.time.minute % 5 == 0 for b in five)  # type: ignore[union-attr]


def test_holidays(main: World) -> None:
    async def run() -> None:
        async with main.aclient() as kis:
            rows = await kis.holidays(date(2026, 12, 1))
            us = {r.product_type: r for r in rows}["512"]
            assert (us.local_date, us.korean_date) == (date(2026, 12, 2), date(2026, 12, 3))
            assert await kis.holidays(date(2026, 11, 29)) == []

    asyncio.run(run())


def test_bars_command(main: World, env_for: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """`localkis bars NASD AAPL --interval 1m`: a table of the latest bars and a sparkline of the closes."""
    env_for(main.app(Env.REAL))
    assert run(["bars", "NASD", "AAPL", "--interval", "1m", "--count", "30"]) == 0
    out = capsys.readouterr().out
    assert "NASD AAPL 1m (30 bars)" in out and any(ch in out for ch in SPARKS)
    assert run(["bars", "NASD", "AAPL", "--json", "--count", "5"]) == 0
    view = json.loads(capsys.readouterr().out)
    assert view["interval"] == "1d" and len(view["bars"]) == 5
