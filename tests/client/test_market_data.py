"""The typed client's market data: price_detail, daily_bars, minute_bars, order_book, product_info,
holidays — paging hidden (a year of daily bars is three dailyprice calls, 300 minutes three chart calls)."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from decimal import Decimal

from localkis.client.core import utc_now
from localkis.protocol.exchanges import Exchange
from tests.client.conftest import Wire, World


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
