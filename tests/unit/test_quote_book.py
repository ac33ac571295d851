"""The displayed order book (domain/book.py): the synthetic rule, band edges, resting orders, never crossed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from localkis.domain import markets
from localkis.domain.book import (
    BookParams,
    BookSnapshot,
    Level,
    Resting,
    lowest_price,
    price_down,
    price_up,
    snap,
    synthetic_book,
    touch,
)
from localkis.protocol.exchanges import Exchange
from localkis.protocol.orders import Side

D = Decimal
E = Exchange
OLD_HK = date(2025, 1, 2)  # before the HKEX spread-table change of 2025-08-04


def prices(side: tuple[Level, ...]) -> list[str]:
    return [str(level.price) for level in side]


@pytest.mark.parametrize(("exchange", "price", "up", "down", "on"), [
    (E.NASD, D("270.35"), "270.36", "270.34", None),
    (E.NASD, D("1.00"), "1.01", "0.9999", None),  # Rule 612: sub-dollar prices go in 0.0001
    (E.NASD, D("0.9999"), "1.00", "0.9998", None),
    (E.SEHK, D("10.00"), "10.02", "9.99", OLD_HK),  # "up to 10" is 0.01, above it 0.02
    (E.SEHK, D("10.00"), "10.01", "9.99", None),  # Phase 1: 0.01 up to 20
    (E.TKSE, D("3000"), "3005", "2999", None),
    (E.VNSE, D("10000"), "10050", "9990", None),  # HOSE: 10 below 10,000, 50 from it
    (E.HASE, D("100"), "200", None, None),  # one tick is the lowest price
])
def test_steps(exchange: Exchange, price: Decimal, up: str, down: str | None, on: date | None) -> None:
    assert str(price_up(exchange, price, on=on)) == up
    lower = price_down(exchange, price, on=on)
    assert (str(lower) if lower is not None else None) == down


def test_snap() -> None:
    assert snap(E.NASD, D("270.355"), up=True) == D("270.36")
    assert snap(E.NASD, D("270.355"), up=False) == D("270.35")
    assert snap(E.NASD, D("270.35"), up=True) == D("270.35")


def test_default_book_around_the_last_print() -> None:
    book = synthetic_book(E.NASD, D("270.35"))
    assert prices(book.bids) == [f"270.{n}" for n in range(34, 24, -1)]
    assert prices(book.asks) == [f"270.{n}" for n in range(36, 46)]
    assert all(level.size == 100 for level in book.bids + book.asks)
    assert book.bid_size == book.ask_size == 1000
    assert book.best_bid == Level(D("270.34"), 100) and book.best_ask == Level(D("270.36"), 100)


@pytest.mark.parametrize(("spread", "bid", "ask"), [(1, "270.35", "270.36"), (2, "270.34", "270.36"),
                                                     (3, "270.34", "270.37"), (4, "270.33", "270.37")])
def test_spread(spread: int, bid: str, ask: str) -> None:
    book = synthetic_book(E.NASD, D("270.35"), params=BookParams(levels=2, spread_ticks=spread))
    assert (str(book.bids[0].price), str(book.asks[0].price)) == (bid, ask)


def test_sizes_are_whole_lots() -> None:
    book = synthetic_book(E.TKSE, D("3000"), params=BookParams(levels=1, size=150), lot=100)
    assert book.bids[0].size == book.asks[0].size == 200


def test_no_bid_below_the_lowest_price() -> None:
    book = synthetic_book(E.HASE, D("200"), params=BookParams(levels=5))
    assert prices(book.bids) == ["100"]
    assert prices(book.asks) == ["300", "400", "500", "600", "700"]


def test_resting_orders_merge_at_their_prices() -> None:
    resting = [Resting(Side.BUY, D("270.34"), 7), Resting(Side.BUY, D("270.34"), 3),
               Resting(Side.SELL, D("270.50"), 9), Resting(Side.BUY, D("269.00"), 0)]
    book = synthetic_book(E.NASD, D("270.35"), resting, params=BookParams(levels=3))
    assert book.bids == (Level(D("270.34"), 110), Level(D("270.33"), 100), Level(D("270.32"), 100))
    # 270.50 is beyond the third level: cut.
    assert prices(book.asks) == ["270.36", "270.37", "270.38"]
    deep = synthetic_book(E.NASD, D("270.35"), resting, params=BookParams(levels=20))
    assert Level(D("270.50"), 109) in deep.asks


def test_synthetic_levels_do_not_cross_a_resting_buy_above_the_last_print() -> None:
    """A buy that outran the print's size rests above the last price: asks start above it."""
    book = synthetic_book(E.NASD, D("270.35"), [Resting(Side.BUY, D("270.40"), 5)], params=BookParams(levels=3))
    assert book.bids[0] == Level(D("270.40"), 5)
    assert prices(book.asks) == ["270.41", "270.42", "270.43"]
    book = synthetic_book(E.NASD, D("270.35"), [Resting(Side.SELL, D("270.30"), 5)], params=BookParams(levels=3))
    assert book.asks[0] == Level(D("270.30"), 5)
    assert prices(book.bids) == ["270.29", "270.28", "270.27"]


def test_off_grid_last_print() -> None:
    book = synthetic_book(E.NASD, D("270.355"), params=BookParams(levels=1))
    assert (book.bids[0].price, book.asks[0].price) == (D("270.35"), D("270.36"))


def test_bad_input() -> None:
    with pytest.raises(ValueError):
        synthetic_book(E.NASD, D(0))
    with pytest.raises(ValueError):
        BookParams(levels=0)


EXCHANGE_PRICES = st.sampled_from([
    (E.NASD, False), (E.SEHK, False), (E.TKSE, False), (E.TKSE, True), (E.SHAA, False), (E.VNSE, False),
    (E.HASE, False),
])


def _on_grid(exchange: Exchange, price: Decimal, topix500: bool) -> bool:
    return price % markets.tick_size(exchange, price, topix500=topix500) == 0


@settings(max_examples=300, deadline=None)
@given(market=EXCHANGE_PRICES, raw=st.integers(min_value=1, max_value=10**7), scale=st.integers(-4, 2),
       levels=st.integers(1, 12), spread=st.integers(1, 5),
       orders=st.lists(st.tuples(st.booleans(), st.integers(-30, 30), st.integers(0, 1000)), max_size=8))
def test_book_invariants(market: tuple[Exchange, bool], raw: int, scale: int, levels: int, spread: int,
                         orders: list[tuple[bool, int, int]]) -> None:
    exchange, topix = market
    last = max(snap(exchange, D(raw).scaleb(scale), up=False, topix500=topix), lowest_price(exchange))
    # Resting orders a few ticks either side of the last print, buys below sells (as fills leave them).
    resting: list[Resting] = []
    for is_buy, ticks, qty in orders:
        price = last
        for _ in range(abs(ticks)):
            moved = (price_up(exchange, price, topix500=topix) if ticks > 0
                     else price_down(exchange, price, topix500=topix))
            price = moved if moved is not None else price
        resting.append(Resting(Side.BUY if is_buy else Side.SELL, price, qty))
    buys = [r.price for r in resting if r.side is Side.BUY and r.open_quantity > 0]
    sells = [r.price for r in resting if r.side is Side.SELL and r.open_quantity > 0]
    if buys and sells and max(buys) >= min(sells):
        return  # resting orders that cross each other are shown as they are (module docstring)
    book: BookSnapshot = synthetic_book(exchange, last, resting, params=BookParams(levels, spread), topix500=topix)
    bid_prices = [level.price for level in book.bids]
    ask_prices = [level.price for level in book.asks]
    assert bid_prices == sorted(set(bid_prices), reverse=True)
    assert ask_prices == sorted(set(ask_prices))
    assert len(book.asks) == levels and len(book.bids) <= levels
    if book.bids and book.asks:
        assert book.bids[0].price < book.asks[0].price  # never crossed
    floor = lowest_price(exchange, topix500=topix)
    for level in book.bids + book.asks:
        assert level.price >= floor and level.size > 0
        assert _on_grid(exchange, level.price, topix) or level.price in buys + sells
    # Every resting order within the displayed range is shown with at least its quantity.
    for r in resting:
        shown = bid_prices and r.side is Side.BUY and r.price >= bid_prices[-1]
        if r.open_quantity and shown:
            assert any(level.price == r.price and level.size >= r.open_quantity for level in book.bids)


@settings(max_examples=200, deadline=None)
@given(market=EXCHANGE_PRICES, raw=st.integers(min_value=1, max_value=10**7), scale=st.integers(-4, 2),
       spread=st.integers(1, 5))
def test_touch_is_the_books_first_level(market: tuple[Exchange, bool], raw: int, scale: int, spread: int) -> None:
    exchange, topix = market
    last = max(D(raw).scaleb(scale), lowest_price(exchange))
    book = synthetic_book(exchange, last, params=BookParams(1, spread), topix500=topix)
    bid, ask = touch(exchange, last, spread, topix500=topix)
    assert bid == (book.bids[0].price if book.bids else None) and ask == book.asks[0].price
    assert bid is None or bid < ask
