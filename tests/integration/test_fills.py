"""The market simulator over HTTP: prints fill resting orders, cash and positions settle, and the
account rejections (issue: fills, cash and positions).

This module runs its own server: its price moves must not fill other modules' orders.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from localkis.protocol import codes
from localkis.protocol.env import Env
from localkis.protocol.orders import Side
from localkis.protocol.reasons import Reason
from tests.integration.conftest import (
    INSTRUMENTS,
    Inst,
    Kis,
    World,
    check_alive,
    expect_business,
    expect_message,
    expect_order_ok,
    row_for,
    start_world,
)

D = Decimal
AAPL, TSLA, IBM, TENCENT = INSTRUMENTS["AAPL"], INSTRUMENTS["TSLA"], INSTRUMENTS["IBM"], INSTRUMENTS["00700"]


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory, backend: str) -> Iterator[World]:
    yield from start_world(tmp_path_factory, "fills", count=160, prefix="6", backend=backend)


@pytest.fixture
def sim(market: World) -> Iterator[World]:
    check_alive(market)
    yield market
    market.admin.check_invariant()


def trade(world: World, inst: Inst, price: str, size: int | None = None) -> list[dict[str, Any]]:
    body: dict[str, Any] = {"exchange": inst.exchange, "symbol": inst.symbol, "price": price}
    if size is not None:
        body["size"] = size
    resp = world.admin.http.post("/localkis/admin/prices", json=body)
    assert resp.status_code == 200, resp.text
    fills: list[dict[str, Any]] = resp.json()["fills"]
    return fills


def account(world: World, kis: Kis) -> dict[str, Any]:
    resp = world.admin.http.get(f"/localkis/admin/accounts/{kis.account}")
    assert resp.status_code == 200, resp.text
    data: dict[str, Any] = resp.json()
    return data


def holding(snapshot: dict[str, Any], inst: Inst) -> dict[str, Any]:
    return next(p for p in snapshot["positions"] if p["symbol"] == inst.symbol and p["exchange"] == inst.exchange)


def test_a_print_through_a_resting_buy_fills_it_at_its_limit_and_settles_cash_and_shares(sim: World) -> None:
    kis = sim.real()
    before = account(sim, kis)
    odno = kis.placed(TSLA, 5, "280.00")
    reserved = account(sim, kis)
    assert D(reserved["reserved"]["USD"]) == D("1400.00")
    assert D(reserved["available"]["USD"]) == D(before["available"]["USD"]) - D("1400.00")
    assert trade(sim, TSLA, "281.00") == []  # above the buy limit: nothing
    fills = trade(sim, TSLA, "279.50")
    assert {"odno": odno, "quantity": 5, "price": "280.00"} in fills
    after = account(sim, kis)
    assert D(after["cash"]["USD"]) == D(before["cash"]["USD"]) - D("1400.00")
    assert D(after["reserved"]["USD"]) == 0
    assert holding(after, TSLA)["quantity"] == holding(before, TSLA)["quantity"] + 5
    row = row_for(kis.ccnl_rows(), odno)
    assert (row["ft_ccld_qty"], row["nccs_qty"], row["ft_ccld_unpr3"], row["ft_ccld_amt3"]) == (
        "5", "0", "280.00000000", "1400.00000")
    assert odno not in [r["odno"] for r in kis.nccs_rows()]


def test_a_trade_size_bounds_fills_with_price_time_priority(sim: World) -> None:
    first, second, better = sim.real(), sim.real(), sim.real()
    a = first.placed(IBM, 10, "240.00")
    b = second.placed(IBM, 10, "240.00")
    c = better.placed(IBM, 10, "241.00")
    fills = trade(sim, IBM, "239.00", size=15)
    assert [(f["odno"], f["quantity"]) for f in fills] == [(c, 10), (a, 5)]
    assert sim.admin.order(b)["filled"] == 0
    assert sim.admin.order(a)["open"] == 5
    partly = row_for(first.nccs_rows(), a)
    assert (partly["ft_ccld_qty"], partly["nccs_qty"]) == ("5", "5")


def test_an_order_crossing_the_last_trade_fills_on_arrival_at_the_trade_price(sim: World) -> None:
    kis = sim.real()
    trade(sim, AAPL, "185.00", size=3)
    odno = kis.placed(AAPL, 5, "186.00")  # marketable: takes the 3 left at 185.00
    order = sim.admin.order(odno)
    assert (order["filled"], order["open"], D(order["filled_amount"])) == (3, 2, D("555.00"))
    second = kis.placed(AAPL, 1, "186.00")  # the print's size is used up
    assert sim.admin.order(second)["filled"] == 0
    trade(sim, AAPL, "200.00")  # move away, so later tests rest unfilled


def test_a_cancel_releases_the_reservation_and_a_revise_adjusts_it(sim: World) -> None:
    kis = sim.real()
    start = D(account(sim, kis)["available"]["USD"])
    odno = kis.placed(IBM, 10, "200.00")
    assert D(account(sim, kis)["available"]["USD"]) == start - D("2000.00")
    new = expect_order_ok(kis.revise(IBM, odno, 0, "210.00"), codes.REVISE_OK.real)
    assert D(account(sim, kis)["reserved"]["USD"]) == D("2100.00")
    expect_order_ok(kis.cancel(IBM, new, 4), codes.CANCEL_OK.real)
    assert D(account(sim, kis)["reserved"]["USD"]) == D("1260.00")
    expect_order_ok(kis.cancel(IBM, new), codes.CANCEL_OK.real)
    assert D(account(sim, kis)["available"]["USD"]) == start


@pytest.mark.parametrize("env", [Env.REAL, Env.MOCK])
def test_a_buy_beyond_buying_power_is_rejected_with_kis_codes(sim: World, env: Env) -> None:
    kis = sim.fresh(env)
    available = D(account(sim, kis)["available"]["USD"])
    qty = int(available / D("190.00")) + 1
    before = sim.admin.orders()
    reply = kis.buy(AAPL, qty, "190.00")
    if env is Env.REAL:
        expect_message(reply, codes.Message("APBK0952", "주문가능금액을 초과 했습니다"), rt_cd="7")
    else:
        expect_message(reply, codes.Message("40250000", "모의투자 주문가능금액이 부족합니다."))
    assert sim.admin.orders() == before
    # Exactly the buying power is fine.
    kis.placed(AAPL, int(available / D("190.00")), "190.00")


def test_a_revise_that_needs_more_cash_than_is_available_is_rejected(sim: World) -> None:
    kis = sim.real()
    available = D(account(sim, kis)["available"]["USD"])
    qty = int(available / D("100.00"))
    odno = kis.placed(IBM, qty, "100.00")
    expect_business(kis.revise(IBM, odno, 0, "101.00"), Reason.INSUFFICIENT_CASH, Env.REAL)
    assert sim.admin.order(odno)["open"] == qty


@pytest.mark.parametrize("env", [Env.REAL, Env.MOCK])
def test_a_sell_beyond_the_sellable_quantity_is_rejected(sim: World, env: Env) -> None:
    kis = sim.fresh(env)
    held = holding(account(sim, kis), TENCENT)["quantity"]
    kis.placed(TENCENT, held - 100, "500.00", side=Side.SELL)  # leaves one lot sellable
    assert holding(account(sim, kis), TENCENT)["sellable"] == 100
    expect_business(kis.sell(TENCENT, 200, "500.00"), Reason.INSUFFICIENT_HOLDINGS, env)
    kis.placed(TENCENT, 100, "500.00", side=Side.SELL)


def test_a_sell_fill_pays_cash_and_reduces_the_position(sim: World) -> None:
    kis = sim.real()
    before = account(sim, kis)
    odno = kis.placed(TENCENT, 200, "520.00", side=Side.SELL)
    fills = trade(sim, TENCENT, "521.00")
    assert {"odno": odno, "quantity": 200, "price": "520.00"} in fills
    after = account(sim, kis)
    assert D(after["cash"]["HKD"]) == D(before["cash"]["HKD"]) + D("104000.00")
    assert holding(after, TENCENT)["quantity"] == holding(before, TENCENT)["quantity"] - 200
    trade(sim, TENCENT, "480.00")


def test_the_admin_test_fill_goes_through_the_same_settlement(sim: World) -> None:
    kis = sim.real()
    before = account(sim, kis)
    odno = kis.placed(IBM, 4, "150.00")
    sim.admin.fill(odno, 3, "149.00")
    after = account(sim, kis)
    assert D(after["cash"]["USD"]) == D(before["cash"]["USD"]) - D("447.00")
    assert D(after["reserved"]["USD"]) == D("150.00")
    assert holding(after, IBM)["quantity"] == holding(before, IBM)["quantity"] + 3


def test_a_fill_racing_a_cancel_200_times_never_both_wins(sim: World) -> None:
    """A price move that fills an order and a cancel of it, sent together: one wins, totals conserved."""
    kis = sim.real()
    start = account(sim, kis)
    barrier = threading.Barrier(2)
    outcomes = {"filled": 0, "cancelled": 0}
    with ThreadPoolExecutor(2) as pool:
        for _ in range(200):
            trade(sim, TSLA, "320.00")  # away from the limit
            odno = kis.placed(TSLA, 1, "300.00")

            def cancel(odno: str = odno) -> Any:
                barrier.wait(timeout=10)
                return kis.cancel(TSLA, odno)

            def move() -> Any:
                barrier.wait(timeout=10)
                return trade(sim, TSLA, "299.00")

            cancelled, fills = pool.submit(cancel).result, pool.submit(move).result
            cancel_reply, fill_list = cancelled(timeout=30), fills(timeout=30)
            filled_here = [f for f in fill_list if f["odno"] == odno]
            order = sim.admin.order(odno)
            if cancel_reply.body["rt_cd"] == "0":
                assert filled_here == [] and (order["cancelled"], order["filled"]) == (1, 0), order
                outcomes["cancelled"] += 1
            else:
                assert cancel_reply.body["msg1"] == codes.BUSINESS[Reason.NOTHING_LEFT].real.text
                assert filled_here == [{"odno": odno, "quantity": 1, "price": "300.00"}]
                assert (order["cancelled"], order["filled"]) == (0, 1), order
                outcomes["filled"] += 1
    end = account(sim, kis)
    assert D(end["cash"]["USD"]) == D(start["cash"]["USD"]) - D("300.00") * outcomes["filled"]
    assert holding(end, TSLA)["quantity"] == holding(start, TSLA)["quantity"] + outcomes["filled"]
    assert D(end["reserved"].get("USD", "0")) == 0
    assert sum(outcomes.values()) == 200


# --- property: random concurrent place/revise/cancel/price moves keep every total ----------------------

PRICES = ["95.00", "97.50", "100.00", "102.50", "105.00"]
Op = tuple[str, int, int, int]  # (kind, price index, quantity, target index)
OPS = st.tuples(st.sampled_from(["buy", "sell", "revise", "cancel", "print"]), st.integers(0, 4),
                st.integers(0, 12), st.integers(0, 30))


def conservation(world: World, kis: Kis, opening_usd: D, opening_shares: int) -> None:
    """Cash: opening = available + reserved + spent − received; shares: opening + bought − sold; none negative."""
    snap = account(world, kis)
    mine = [o for o in world.admin.orders() if o["account"] == kis.account and o["symbol"] == "TSLA"]
    spent = sum((D(o["filled_amount"]) for o in mine if o["side"] == Side.BUY.value and o["kind"] != "02"), D(0))
    received = sum((D(o["filled_amount"]) for o in mine if o["side"] == Side.SELL.value and o["kind"] != "02"),
                   D(0))
    reserved = sum((D(o["price"]) * o["open"] for o in mine if o["side"] == Side.BUY.value and o["kind"] != "02"),
                   D(0))
    available, held_reserved = D(snap["available"]["USD"]), D(snap["reserved"].get("USD", "0"))
    assert held_reserved == reserved
    assert opening_usd == available + reserved + spent - received
    assert available >= 0
    bought = sum(o["filled"] for o in mine if o["side"] == Side.BUY.value and o["kind"] != "02")
    sold = sum(o["filled"] for o in mine if o["side"] == Side.SELL.value and o["kind"] != "02")
    shares = holding(snap, TSLA)["quantity"]
    assert shares == opening_shares + bought - sold and shares >= 0
    pending = sum(o["open"] for o in mine if o["side"] == Side.SELL.value and o["kind"] != "02")
    assert holding(snap, TSLA)["sellable"] == shares - pending >= 0
    for o in mine:
        if o["kind"] == "02":
            continue
        parts = (o["filled"], o["cancelled"], o["revised_away"], o["open"])
        assert min(parts) >= 0 and sum(parts) == o["quantity"], o
        if o["state"] == "cancelled":  # no fill after the cancel: what was cancelled never traded
            assert o["open"] == 0


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(OPS, min_size=4, max_size=24), seed=st.integers(0, 2**16))
def test_random_concurrent_trading_conserves_quantities_cash_and_shares(market: World, ops: list[Op],
                                                                        seed: int) -> None:
    kis = market.real()
    snap = account(market, kis)
    opening_usd = D(snap["available"]["USD"]) + D(snap["reserved"].get("USD", "0"))
    opening_shares = holding(snap, TSLA)["quantity"]
    placed: list[str] = []
    lock = threading.Lock()

    def run(op: Op) -> None:
        kind, p, qty, target = op
        if kind in ("buy", "sell"):
            reply = kis.order(TSLA.exchange, TSLA.symbol, max(qty, 1), PRICES[p],
                              side=Side.BUY if kind == "buy" else Side.SELL)
            if reply.body["rt_cd"] == "0":
                with lock:
                    placed.append(reply.odno)
        elif kind == "print":
            trade(market, TSLA, PRICES[p], size=qty or None)
        else:
            with lock:
                if not placed:
                    return
                odno = placed[target % len(placed)]
            reply = kis.revise(TSLA, odno, qty, PRICES[p]) if kind == "revise" else kis.cancel(TSLA, odno, qty)
            if reply.body["rt_cd"] == "0" and kind == "revise":
                with lock:
                    placed.append(reply.odno)

    rng = random.Random(seed)
    batches = [ops[i:i + 3] for i in range(0, len(ops), 3)]
    with ThreadPoolExecutor(3) as pool:
        for batch in batches:  # each batch runs concurrently; the totals are checked between batches
            rng.shuffle(batch)
            list(pool.map(run, batch))
            conservation(market, kis, opening_usd, opening_shares)
    trade(market, TSLA, "320.00")  # leave the market away from the next example's prices
    for odno in placed:
        kis.cancel(TSLA, odno)
    conservation(market, kis, opening_usd, opening_shares)


def test_the_admin_test_fill_refuses_a_price_that_is_not_a_decimal(sim: World) -> None:
    kis = sim.real()
    odno = kis.placed(IBM, 1, "150.00")
    for price in ("abc", "1e3", "-1", 0):
        resp = sim.admin.http.post("/localkis/admin/fills", json={"odno": odno, "quantity": 1, "price": price})
        assert (resp.status_code, resp.json()) == (400, {"error": "price must be a positive decimal string"})
    assert sim.admin.order(odno)["filled"] == 0
