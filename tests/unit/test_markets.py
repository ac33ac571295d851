"""Tick and lot rules per exchange (PROTOCOL Part C)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from localkis.domain.errors import BusinessError, Reason
from localkis.domain.markets import (
    TICK_TABLES,
    check_price,
    check_quantity,
    default_lot_size,
    tick_size,
)
from localkis.protocol.exchanges import Exchange

D = Decimal
HK_PHASE1 = date(2025, 8, 4)
HK_OLD = date(2025, 8, 3)


def reason_of(fn: Callable[..., object], *args: Any, **kwargs: Any) -> Reason | None:
    try:
        fn(*args, **kwargs)
    except BusinessError as exc:
        return exc.reason
    return None


# (price, expected tick) on both sides of every band boundary.
TICK_CASES: list[tuple[Exchange, dict[str, Any], str, str]] = [
    # US: lower bound inclusive at $1
    (Exchange.NASD, {}, "0.01", "0.0001"), (Exchange.NASD, {}, "0.9999", "0.0001"),
    (Exchange.NYSE, {}, "1", "0.01"), (Exchange.AMEX, {}, "1.01", "0.01"),
    (Exchange.NASD, {}, "5000", "0.01"),
    # HK Phase 1 (since 2025-08-04): upper bounds inclusive
    (Exchange.SEHK, {}, "0.25", "0.001"), (Exchange.SEHK, {}, "0.255", "0.005"),
    (Exchange.SEHK, {}, "0.50", "0.005"), (Exchange.SEHK, {}, "0.51", "0.01"),
    (Exchange.SEHK, {}, "10", "0.01"), (Exchange.SEHK, {}, "10.01", "0.01"),
    (Exchange.SEHK, {}, "20", "0.01"), (Exchange.SEHK, {}, "20.02", "0.02"),
    (Exchange.SEHK, {}, "50", "0.02"), (Exchange.SEHK, {}, "50.05", "0.05"),
    (Exchange.SEHK, {}, "100", "0.05"), (Exchange.SEHK, {}, "100.1", "0.1"),
    (Exchange.SEHK, {}, "200", "0.1"), (Exchange.SEHK, {}, "200.2", "0.2"),
    (Exchange.SEHK, {}, "500", "0.2"), (Exchange.SEHK, {}, "500.5", "0.5"),
    (Exchange.SEHK, {}, "1000", "0.5"), (Exchange.SEHK, {}, "1001", "1"),
    (Exchange.SEHK, {}, "2000", "1"), (Exchange.SEHK, {}, "2002", "2"),
    (Exchange.SEHK, {}, "5000", "2"), (Exchange.SEHK, {}, "5005", "5"),
    (Exchange.SEHK, {"on": HK_PHASE1}, "15", "0.01"), (Exchange.SEHK, {"on": HK_PHASE1}, "30", "0.02"),
    # HK before 2025-08-04
    (Exchange.SEHK, {"on": HK_OLD}, "10", "0.01"), (Exchange.SEHK, {"on": HK_OLD}, "10.02", "0.02"),
    (Exchange.SEHK, {"on": HK_OLD}, "20", "0.02"), (Exchange.SEHK, {"on": HK_OLD}, "20.05", "0.05"),
    (Exchange.SEHK, {"on": HK_OLD}, "50", "0.05"), (Exchange.SEHK, {"on": HK_OLD}, "50.05", "0.05"),
    (Exchange.SEHK, {"on": HK_OLD}, "100", "0.05"), (Exchange.SEHK, {"on": HK_OLD}, "100.1", "0.1"),
    # JP standard
    (Exchange.TKSE, {}, "1000", "1"), (Exchange.TKSE, {}, "3000", "1"), (Exchange.TKSE, {}, "3005", "5"),
    (Exchange.TKSE, {}, "5000", "5"), (Exchange.TKSE, {}, "5010", "10"),
    (Exchange.TKSE, {}, "30000", "10"), (Exchange.TKSE, {}, "30050", "50"),
    (Exchange.TKSE, {}, "50000", "50"), (Exchange.TKSE, {}, "50100", "100"),
    (Exchange.TKSE, {}, "300000", "100"), (Exchange.TKSE, {}, "300500", "500"),
    (Exchange.TKSE, {}, "500000", "500"), (Exchange.TKSE, {}, "501000", "1000"),
    (Exchange.TKSE, {}, "3000000", "1000"), (Exchange.TKSE, {}, "3005000", "5000"),
    (Exchange.TKSE, {}, "5000000", "5000"), (Exchange.TKSE, {}, "5010000", "10000"),
    (Exchange.TKSE, {}, "30000000", "10000"), (Exchange.TKSE, {}, "30050000", "50000"),
    (Exchange.TKSE, {}, "50000000", "50000"), (Exchange.TKSE, {}, "50100000", "100000"),
    # JP TOPIX500
    (Exchange.TKSE, {"topix500": True}, "1000", "0.1"), (Exchange.TKSE, {"topix500": True}, "1000.5", "0.5"),
    (Exchange.TKSE, {"topix500": True}, "3000", "0.5"), (Exchange.TKSE, {"topix500": True}, "3001", "1"),
    (Exchange.TKSE, {"topix500": True}, "10000", "1"), (Exchange.TKSE, {"topix500": True}, "10005", "5"),
    (Exchange.TKSE, {"topix500": True}, "30000", "5"), (Exchange.TKSE, {"topix500": True}, "30010", "10"),
    (Exchange.TKSE, {"topix500": True}, "100000", "10"), (Exchange.TKSE, {"topix500": True}, "100050", "50"),
    (Exchange.TKSE, {"topix500": True}, "300000", "50"), (Exchange.TKSE, {"topix500": True}, "300100", "100"),
    (Exchange.TKSE, {"topix500": True}, "1000000", "100"),
    (Exchange.TKSE, {"topix500": True}, "1000500", "500"),
    (Exchange.TKSE, {"topix500": True}, "3000000", "500"),
    (Exchange.TKSE, {"topix500": True}, "3001000", "1000"),
    (Exchange.TKSE, {"topix500": True}, "10000000", "1000"),
    (Exchange.TKSE, {"topix500": True}, "10005000", "5000"),
    (Exchange.TKSE, {"topix500": True}, "30000000", "5000"),
    (Exchange.TKSE, {"topix500": True}, "30010000", "10000"),
    # CN, HOSE (lower bound inclusive), HNX
    (Exchange.SHAA, {}, "0.01", "0.01"), (Exchange.SZAA, {}, "2500", "0.01"),
    (Exchange.VNSE, {}, "9990", "10"), (Exchange.VNSE, {}, "10000", "50"),
    (Exchange.VNSE, {}, "49950", "50"), (Exchange.VNSE, {}, "50000", "100"),
    (Exchange.HASE, {}, "100", "100"), (Exchange.HASE, {}, "123400", "100"),
]


@pytest.mark.parametrize(("exchange", "kw", "price", "tick"), TICK_CASES)
def test_tick_size_at_band_edges(exchange: Exchange, kw: dict[str, Any], price: str, tick: str) -> None:
    assert tick_size(exchange, D(price), **kw) == D(tick)
    # Every edge value above is itself on tick.
    check_price(exchange, D(price), **kw)


OFF_TICK: list[tuple[Exchange, dict[str, Any], str]] = [
    (Exchange.NASD, {}, "0.99995"), (Exchange.NASD, {}, "1.005"), (Exchange.NYSE, {}, "1.0001"),
    (Exchange.SEHK, {}, "0.2505"), (Exchange.SEHK, {}, "0.252"), (Exchange.SEHK, {}, "0.505"),
    (Exchange.SEHK, {}, "10.005"), (Exchange.SEHK, {}, "20.01"), (Exchange.SEHK, {}, "49.99"),
    (Exchange.SEHK, {}, "50.02"), (Exchange.SEHK, {}, "100.05"), (Exchange.SEHK, {}, "200.1"),
    (Exchange.SEHK, {}, "500.2"), (Exchange.SEHK, {}, "1000.5"), (Exchange.SEHK, {}, "2001"),
    (Exchange.SEHK, {}, "5002"),
    (Exchange.SEHK, {"on": HK_OLD}, "10.01"), (Exchange.SEHK, {"on": HK_OLD}, "20.02"),
    (Exchange.SEHK, {"on": HK_OLD}, "49.98"),
    (Exchange.TKSE, {}, "999.5"), (Exchange.TKSE, {}, "3001"), (Exchange.TKSE, {}, "5005"),
    (Exchange.TKSE, {}, "30010"), (Exchange.TKSE, {}, "50050"), (Exchange.TKSE, {}, "300100"),
    (Exchange.TKSE, {}, "500500"), (Exchange.TKSE, {}, "3001000"), (Exchange.TKSE, {}, "5005000"),
    (Exchange.TKSE, {}, "30010000"), (Exchange.TKSE, {}, "50050000"),
    (Exchange.TKSE, {"topix500": True}, "999.95"), (Exchange.TKSE, {"topix500": True}, "1000.1"),
    (Exchange.TKSE, {"topix500": True}, "3000.5"), (Exchange.TKSE, {"topix500": True}, "10001"),
    (Exchange.TKSE, {"topix500": True}, "30005"), (Exchange.TKSE, {"topix500": True}, "100010"),
    (Exchange.TKSE, {"topix500": True}, "300050"), (Exchange.TKSE, {"topix500": True}, "1000100"),
    (Exchange.TKSE, {"topix500": True}, "3000500"), (Exchange.TKSE, {"topix500": True}, "10001000"),
    (Exchange.TKSE, {"topix500": True}, "30005000"),
    (Exchange.SHAA, {}, "10.005"), (Exchange.SZAA, {}, "0.015"),
    (Exchange.VNSE, {}, "9995"), (Exchange.VNSE, {}, "10010"), (Exchange.VNSE, {}, "49990"),
    (Exchange.VNSE, {}, "50050"),
    (Exchange.HASE, {}, "50"), (Exchange.HASE, {}, "10150"),
]


@pytest.mark.parametrize(("exchange", "kw", "price"), OFF_TICK)
def test_off_tick_prices_are_rejected(exchange: Exchange, kw: dict[str, Any], price: str) -> None:
    assert reason_of(check_price, exchange, D(price), **kw) is Reason.OFF_TICK


def test_hk_old_and_new_tables_differ_only_where_phase1_changed() -> None:
    assert reason_of(check_price, Exchange.SEHK, D("10.01"), on=HK_OLD) is Reason.OFF_TICK
    assert reason_of(check_price, Exchange.SEHK, D("10.01"), on=HK_PHASE1) is None
    assert reason_of(check_price, Exchange.SEHK, D("10.01")) is None  # newest row by default
    assert reason_of(check_price, Exchange.SEHK, D("22.02"), on=HK_PHASE1) is None
    assert reason_of(check_price, Exchange.SEHK, D("22.02"), on=HK_OLD) is Reason.OFF_TICK
    assert tick_size(Exchange.SEHK, D("75"), on=HK_OLD) == tick_size(Exchange.SEHK, D("75")) == D("0.05")


def test_topix500_flag_only_matters_for_tokyo() -> None:
    assert reason_of(check_price, Exchange.TKSE, D("1500.5"), topix500=True) is None
    assert reason_of(check_price, Exchange.TKSE, D("1500.5")) is Reason.OFF_TICK
    assert tick_size(Exchange.NASD, D("1.5"), topix500=True) == D("0.01")


@pytest.mark.parametrize("price", ["100.0000", "100.00", "1E+2", "0.50000000"])
def test_trailing_zeros_are_on_tick(price: str) -> None:
    check_price(Exchange.NASD, D(price))
    check_price(Exchange.SEHK, D(price))


@pytest.mark.parametrize(
    ("exchange", "price"),
    [(Exchange.NASD, "0.0099"), (Exchange.NYSE, "0.0001"), (Exchange.AMEX, "0"), (Exchange.NASD, "-1"),
     (Exchange.SEHK, "0"), (Exchange.TKSE, "-100"), (Exchange.SHAA, "0.00"), (Exchange.VNSE, "0")],
)
def test_price_below_minimum(exchange: Exchange, price: str) -> None:
    assert reason_of(check_price, exchange, D(price)) is Reason.PRICE_BELOW_MINIMUM


def test_us_minimum_is_one_cent_inclusive() -> None:
    check_price(Exchange.NASD, D("0.01"))
    check_price(Exchange.NASD, D("0.0101"))


@pytest.mark.parametrize("price", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_prices_are_rejected(price: str) -> None:
    assert reason_of(check_price, Exchange.NASD, D(price)) is not None


# --- hypothesis: check_price accepts exactly the multiples of tick_size -------------------------

exchanges = st.sampled_from(list(Exchange))
prices = st.builds(lambda n, s: D(n).scaleb(-s), st.integers(1, 10**9), st.integers(0, 5))


@given(exchanges, prices, st.booleans(), st.sampled_from([None, HK_OLD, HK_PHASE1]))
def test_check_price_accepts_exactly_multiples_of_tick(
    exchange: Exchange, price: Decimal, topix500: bool, on: date | None
) -> None:
    tick = tick_size(exchange, price, topix500=topix500, on=on)
    quotient = price / tick
    on_grid = quotient == quotient.to_integral_value()
    got = reason_of(check_price, exchange, price, topix500=topix500, on=on)
    if exchange in (Exchange.NASD, Exchange.NYSE, Exchange.AMEX) and price < D("0.01"):
        assert got is Reason.PRICE_BELOW_MINIMUM
    else:
        assert got is (None if on_grid else Reason.OFF_TICK)


@given(exchanges, st.integers(1, 10**7), st.booleans())
def test_integer_multiples_of_the_band_tick_are_accepted(exchange: Exchange, k: int, topix500: bool) -> None:
    # Take a tick from the band of some price, then land on its grid inside that band.
    base = D(k).scaleb(-2)
    tick = tick_size(exchange, base, topix500=topix500)
    on_grid = (base / tick).to_integral_value() * tick
    if on_grid > 0 and tick_size(exchange, on_grid, topix500=topix500) == tick and not (
        exchange in (Exchange.NASD, Exchange.NYSE, Exchange.AMEX) and on_grid < D("0.01")
    ):
        check_price(exchange, on_grid, topix500=topix500)
        assert reason_of(check_price, exchange, on_grid + tick / 2, topix500=topix500) is Reason.OFF_TICK


@given(exchanges, prices, prices, st.booleans())
def test_tick_never_shrinks_as_price_grows(
    exchange: Exchange, a: Decimal, b: Decimal, topix500: bool
) -> None:
    lo, hi = sorted((a, b))
    assert tick_size(exchange, lo, topix500=topix500) <= tick_size(exchange, hi, topix500=topix500)


def test_tables_are_dated_and_end_with_an_open_band() -> None:
    for rows in TICK_TABLES.values():
        assert [r.since for r in rows] == sorted(r.since for r in rows)
        for row in rows:
            bounds = [b for b, _ in row.bands]
            assert bounds[-1] is None
            assert all(b is not None for b in bounds[:-1])


# --- lots ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exchange", "lot"),
    [(Exchange.NASD, 1), (Exchange.NYSE, 1), (Exchange.AMEX, 1), (Exchange.TKSE, 100), (Exchange.SHAA, 100),
     (Exchange.SZAA, 100), (Exchange.SEHK, 100), (Exchange.HASE, 100), (Exchange.VNSE, 100)],
)
def test_default_lot_size(exchange: Exchange, lot: int) -> None:
    assert default_lot_size(exchange) == lot


def qty(exchange: Exchange, buy: bool, quantity: int, lot: int, held: int | None = None) -> Reason | None:
    return reason_of(check_quantity, exchange, buy, quantity, lot, held=held)


@pytest.mark.parametrize("bad", [0, -1, -100, True, 1.5, "100"])
def test_quantity_must_be_a_positive_int(bad: object) -> None:
    assert reason_of(check_quantity, Exchange.NASD, True, bad, 1) is Reason.BAD_QUANTITY


def test_us_any_whole_share() -> None:
    assert qty(Exchange.NASD, True, 1, 1) is None
    assert qty(Exchange.NYSE, False, 7, 1) is None


@pytest.mark.parametrize("buy", [True, False])
def test_japan_lot_of_100(buy: bool) -> None:
    assert qty(Exchange.TKSE, buy, 100, 100) is None
    assert qty(Exchange.TKSE, buy, 300, 100) is None
    assert qty(Exchange.TKSE, buy, 150, 100) is Reason.BAD_LOT
    assert qty(Exchange.TKSE, buy, 50, 100) is Reason.BAD_LOT


def test_hong_kong_uses_the_instruments_lot() -> None:
    assert qty(Exchange.SEHK, True, 500, 500) is None  # 02318
    assert qty(Exchange.SEHK, True, 1000, 500) is None
    assert qty(Exchange.SEHK, True, 100, 500) is Reason.BAD_LOT
    assert qty(Exchange.SEHK, False, 300, 200) is Reason.BAD_LOT  # 01810


@pytest.mark.parametrize("exchange", [Exchange.SHAA, Exchange.SZAA])
def test_china_odd_lot_only_on_sell_of_the_held_remainder(exchange: Exchange) -> None:
    assert qty(exchange, True, 200, 100) is None
    assert qty(exchange, True, 150, 100) is Reason.BAD_LOT
    assert qty(exchange, True, 50, 100) is Reason.BAD_LOT
    # without knowing the holding: a whole-lot multiple or a lone remainder
    assert qty(exchange, False, 50, 100) is None
    assert qty(exchange, False, 200, 100) is None
    assert qty(exchange, False, 150, 100) is Reason.BAD_LOT
    # holding 250: the odd 50 goes in one order, alone or with whole lots
    assert qty(exchange, False, 50, 100, held=250) is None
    assert qty(exchange, False, 250, 100, held=250) is None
    assert qty(exchange, False, 150, 100, held=250) is None
    assert qty(exchange, False, 100, 100, held=250) is None
    assert qty(exchange, False, 30, 100, held=250) is Reason.BAD_LOT
    assert qty(exchange, False, 230, 100, held=250) is Reason.BAD_LOT
    # holding whole lots only: no odd sell
    assert qty(exchange, False, 50, 100, held=200) is Reason.BAD_LOT


@pytest.mark.parametrize("exchange", [Exchange.HASE, Exchange.VNSE])
@pytest.mark.parametrize("buy", [True, False])
def test_vietnam_odd_lots_1_to_99(exchange: Exchange, buy: bool) -> None:
    assert qty(exchange, buy, 1, 100) is None
    assert qty(exchange, buy, 99, 100) is None
    assert qty(exchange, buy, 100, 100) is None
    assert qty(exchange, buy, 1200, 100) is None
    assert qty(exchange, buy, 150, 100) is Reason.BAD_LOT  # odd and round lots are separate orders


def test_hose_order_maximum() -> None:
    assert qty(Exchange.VNSE, True, 500_000, 100) is None
    assert qty(Exchange.VNSE, True, 500_100, 100) is Reason.BAD_QUANTITY
    assert qty(Exchange.VNSE, False, 1_000_000, 100) is Reason.BAD_QUANTITY
    assert qty(Exchange.HASE, True, 1_000_000, 100) is None  # the cap is HOSE's, not HNX's


def test_lot_size_must_be_positive() -> None:
    with pytest.raises(ValueError):
        check_quantity(Exchange.NASD, True, 1, 0)
