"""Revise/cancel semantics (PROTOCOL §5, A3, A4): new order numbers, partial and full, fills, ownership."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from localkis.protocol import codes
from localkis.protocol.codes import Ops
from localkis.protocol.env import Env
from localkis.protocol.reasons import Reason
from tests.integration.conftest import (
    INSTRUMENTS,
    Kis,
    Reply,
    World,
    expect_business,
    expect_message,
    expect_ops,
    expect_order_ok,
    row_for,
)

AAPL = INSTRUMENTS["AAPL"]
TOYOTA = INSTRUMENTS["7203"]
TENCENT = INSTRUMENTS["00700"]
ENVS = [pytest.param(Env.REAL, id="real"), pytest.param(Env.MOCK, id="mock")]

NCCS_KEYS = {
    "ord_dt", "ord_gno_brno", "odno", "orgn_odno", "pdno", "prdt_name", "sll_buy_dvsn_cd", "sll_buy_dvsn_cd_name",
    "rvse_cncl_dvsn_cd", "rvse_cncl_dvsn_cd_name", "rjct_rson", "rjct_rson_name", "ord_tmd", "tr_mket_name",
    "tr_crcy_cd", "natn_cd", "natn_kor_name", "ft_ord_qty", "ft_ccld_qty", "nccs_qty", "ft_ord_unpr3",
    "ft_ccld_unpr3", "ft_ccld_amt3", "ovrs_excg_cd", "prcs_stat_name", "loan_type_cd", "loan_dt",
    "usa_amk_exts_rqst_yn", "splt_buy_attr_name",
}
CCNL_KEYS = {
    "ord_dt", "ord_gno_brno", "odno", "orgn_odno", "sll_buy_dvsn_cd", "sll_buy_dvsn_cd_name", "rvse_cncl_dvsn",
    "rvse_cncl_dvsn_name", "pdno", "prdt_name", "ft_ord_qty", "ft_ord_unpr3", "ft_ccld_qty", "ft_ccld_unpr3",
    "ft_ccld_amt3", "nccs_qty", "prcs_stat_name", "rjct_rson", "rjct_rson_name", "ord_tmd", "tr_mket_name",
    "tr_natn", "tr_natn_name", "ovrs_excg_cd", "tr_crcy_cd", "dmst_ord_dt", "thco_ord_tmd", "loan_type_cd",
    "loan_dt", "mdia_dvsn_name", "usa_amk_exts_rqst_yn", "splt_buy_attr_name",
}


def quantities(world: World, odno: str) -> tuple[int, int, int, int, int]:
    o = world.admin.order(odno)
    return o["quantity"], o["filled"], o["cancelled"], o["revised_away"], o["open"]


def nothing_left(reply: object, env: Env) -> None:
    expect_business(reply, Reason.NOTHING_LEFT, env)  # type: ignore[arg-type]
    body = reply.body  # type: ignore[attr-defined]
    if env is Env.MOCK:
        assert body == {"rt_cd": "1", "msg_cd": "40330000", "msg1": "모의투자 정정/취소할 수량이 없습니다."}
    else:
        assert body["msg1"] == "정정/취소할 수량이 없습니다."


@pytest.mark.parametrize("env", ENVS)
def test_revise_and_cancel_create_linked_orders(world: World, env: Env) -> None:
    kis = world.fresh(env)
    orig = kis.placed(AAPL, 10, "190.00")
    rev = expect_order_ok(kis.revise(AAPL, orig, 4, "189.50"), codes.REVISE_OK.for_env(env))
    cxl = expect_order_ok(kis.cancel(AAPL, orig, 2, "0"), codes.CANCEL_OK.for_env(env))
    assert len({orig, rev, cxl}) == 3 and int(orig) < int(rev) < int(cxl)

    nccs = kis.nccs_rows("NASD", sort="DS")
    assert [r["odno"] for r in nccs] == [orig, rev]  # the cancel record is never open
    for r in nccs:
        assert set(r) == NCCS_KEYS
        for key in ("ft_ord_qty", "ft_ccld_qty", "nccs_qty", "ft_ord_unpr3", "ft_ccld_unpr3", "ft_ccld_amt3"):
            assert r[key] and r[key].replace(".", "", 1).isdigit(), (key, r[key])  # B6: never empty
    o, r = row_for(nccs, orig), row_for(nccs, rev)
    assert (o["orgn_odno"], o["rvse_cncl_dvsn_cd"], o["ft_ord_qty"], o["nccs_qty"], o["ft_ord_unpr3"]) == (
        "", "00", "10", "4", "190.00000000")
    assert (r["orgn_odno"], r["rvse_cncl_dvsn_cd"], r["rvse_cncl_dvsn_cd_name"], r["ft_ord_qty"], r["nccs_qty"],
            r["ft_ord_unpr3"]) == (orig, "01", "정정", "4", "4", "189.50000000")
    assert (r["pdno"], r["sll_buy_dvsn_cd"], r["sll_buy_dvsn_cd_name"], r["ovrs_excg_cd"]) == (
        "AAPL", "02", "매수", "NASD")

    ccnl = kis.ccnl_rows()
    assert [x["odno"] for x in ccnl] == [orig, rev, cxl]
    for x in ccnl:
        assert set(x) == CCNL_KEYS
    c = row_for(ccnl, cxl)
    assert (c["orgn_odno"], c["rvse_cncl_dvsn"], c["rvse_cncl_dvsn_name"], c["ft_ord_qty"], c["nccs_qty"]) == (
        orig, "02", "취소", "2", "0")
    assert row_for(ccnl, rev)["orgn_odno"] == orig
    assert quantities(world, orig) == (10, 0, 2, 4, 4)


@pytest.mark.parametrize("env", ENVS)
def test_partial_cancel(world: World, env: Env) -> None:
    kis = world.fresh(env)
    orig = kis.placed(AAPL, 10)
    cxl = expect_order_ok(kis.cancel(AAPL, orig, 3), codes.CANCEL_OK.for_env(env))
    assert quantities(world, orig) == (10, 0, 3, 0, 7)
    assert world.admin.order(orig)["state"] == "open"
    record = world.admin.order(cxl)
    assert (record["kind"], record["quantity"], record["orgn_odno"], record["open"]) == ("02", 3, orig, 0)
    # the rest can still be cancelled, then nothing is left
    expect_order_ok(kis.cancel(AAPL, orig, 0), codes.CANCEL_OK.for_env(env))
    assert quantities(world, orig) == (10, 0, 10, 0, 0)
    nothing_left(kis.cancel(AAPL, orig, 0), env)


@pytest.mark.parametrize("env", ENVS)
def test_partial_revise_keeps_rest_at_old_price(world: World, env: Env) -> None:
    kis = world.fresh(env)
    orig = kis.placed(AAPL, 10, "190.00")
    rev = expect_order_ok(kis.revise(AAPL, orig, 4, "189.50"), codes.REVISE_OK.for_env(env))
    o, r = world.admin.order(orig), world.admin.order(rev)
    assert (o["price"], o["open"], o["revised_away"], o["state"]) == ("190.00", 6, 4, "open")
    assert (r["price"], r["quantity"], r["open"], r["kind"], r["orgn_odno"]) == ("189.50", 4, 4, "01", orig)
    # the rest of the original is still revisable and cancellable
    rev2 = expect_order_ok(kis.revise(AAPL, orig, 0, "191.00"), codes.REVISE_OK.for_env(env))
    assert world.admin.order(rev2)["quantity"] == 6
    assert world.admin.order(orig)["state"] == "replaced"


@pytest.mark.parametrize("env", ENVS)
@pytest.mark.parametrize("qty", ["0", "10", "25"])
def test_full_revise_leaves_nothing_on_original(world: World, env: Env, qty: str) -> None:
    kis = world.fresh(env)
    orig = kis.placed(AAPL, 10, "190.00")
    rev = expect_order_ok(kis.revise(AAPL, orig, qty, "189.00"), codes.REVISE_OK.for_env(env))
    assert quantities(world, orig) == (10, 0, 0, 10, 0)
    assert world.admin.order(orig)["state"] == "replaced"
    assert (world.admin.order(rev)["quantity"], world.admin.order(rev)["price"]) == (10, "189.00")
    before = world.admin.orders()
    nothing_left(kis.cancel(AAPL, orig, 0), env)
    nothing_left(kis.cancel(AAPL, orig, 10, "190.00"), env)
    nothing_left(kis.revise(AAPL, orig, 0, "188.00"), env)
    assert world.admin.orders() == before
    # the replacement is what is live now
    assert [r["odno"] for r in kis.nccs_rows()] == [rev]
    expect_order_ok(kis.cancel(AAPL, rev), codes.CANCEL_OK.for_env(env))
    assert kis.nccs_rows() == []


@pytest.mark.parametrize("env", ENVS)
@pytest.mark.parametrize(("qty", "price"), [("0", "0"), ("10", "190.00"), ("11", "0"), ("10", "195.00"),
                                           ("0", "190.005"), ("9999999999", "0.001")])
def test_cancel_all_remaining(world: World, env: Env, qty: str, price: str) -> None:
    """ORD_QTY "0", or at/above the remaining quantity, cancels all; OVRS_ORD_UNPR is ignored on a cancel."""
    kis = world.fresh(env)
    orig = kis.placed(AAPL, 10, "190.00")
    cxl = expect_order_ok(kis.cancel(AAPL, orig, qty, price), codes.CANCEL_OK.for_env(env))
    assert quantities(world, orig) == (10, 0, 10, 0, 0)
    assert world.admin.order(orig)["state"] == "cancelled"
    assert world.admin.order(cxl)["quantity"] == 10
    nothing_left(kis.cancel(AAPL, orig, qty, price), env)


@pytest.mark.parametrize("env", ENVS)
@pytest.mark.parametrize("price", ["190.00", "190", "190.0000"])
def test_same_price_revise(world: World, env: Env, price: str) -> None:
    kis = world.fresh(env)
    orig = kis.placed(AAPL, 10, "190.00")
    before = world.admin.orders()
    reply = kis.revise(AAPL, orig, 5, price)
    expect_business(reply, Reason.SAME_PRICE, env)
    assert reply.body["msg1"] == ("모의투자 " if env is Env.MOCK else "") + "정정가격이 원주문가격과 같습니다"
    assert world.admin.orders() == before


@pytest.mark.parametrize("env", ENVS)
def test_cancel_or_revise_of_filled_order(world: World, env: Env) -> None:
    kis = world.fresh(env)
    orig = kis.placed(AAPL, 5, "190.00")
    filled = world.admin.fill(orig, 5, "190.00")
    assert (filled["filled"], filled["open"], filled["state"]) == (5, 0, "filled")
    before = world.admin.orders()
    nothing_left(kis.cancel(AAPL, orig, 0), env)
    nothing_left(kis.cancel(AAPL, orig, 5, "190.00"), env)
    nothing_left(kis.revise(AAPL, orig, 0, "189.00"), env)
    assert world.admin.orders() == before
    assert quantities(world, orig) == (5, 5, 0, 0, 0)


@pytest.mark.parametrize("env", ENVS)
def test_cancel_of_partly_filled_order_cancels_only_open_part(world: World, env: Env) -> None:
    kis = world.fresh(env)
    orig = kis.placed(AAPL, 10, "190.00")
    world.admin.fill(orig, 4, "190.00")
    cxl = expect_order_ok(kis.cancel(AAPL, orig, 10, "190.00"), codes.CANCEL_OK.for_env(env))
    assert quantities(world, orig) == (10, 4, 6, 0, 0)
    assert world.admin.order(orig)["state"] == "cancelled"
    assert world.admin.order(cxl)["quantity"] == 6
    row = row_for(kis.ccnl_rows(), orig)
    assert (row["ft_ord_qty"], row["ft_ccld_qty"], row["nccs_qty"], row["ft_ccld_unpr3"], row["ft_ccld_amt3"]) == (
        "10", "4", "0", "190.00000000", "760.00000")


@pytest.mark.parametrize("env", ENVS)
def test_revise_of_partly_filled_order_moves_only_open_part(world: World, env: Env) -> None:
    kis = world.fresh(env)
    orig = kis.placed(AAPL, 10, "190.00")
    world.admin.fill(orig, 3, "190.00")
    rev = expect_order_ok(kis.revise(AAPL, orig, 10, "189.00"), codes.REVISE_OK.for_env(env))
    assert quantities(world, orig) == (10, 3, 0, 7, 0)
    assert world.admin.order(orig)["state"] == "replaced"
    r = world.admin.order(rev)
    assert (r["quantity"], r["open"], r["price"], r["filled"]) == (7, 7, "189.00", 0)
    # a partial revise of a partly filled order: the moved part only
    orig2 = kis.placed(AAPL, 10, "190.00")
    world.admin.fill(orig2, 3, "190.00")
    rev2 = expect_order_ok(kis.revise(AAPL, orig2, 2, "189.00"), codes.REVISE_OK.for_env(env))
    assert quantities(world, orig2) == (10, 3, 0, 2, 5)
    assert world.admin.order(orig2)["state"] == "partially_filled"
    assert world.admin.order(rev2)["quantity"] == 2
    # a fill can no longer take more than is open
    over = world.admin.http.post("/localkis/admin/fills", json={"odno": orig2, "quantity": 6, "price": "190.00"})
    assert over.status_code == 409
    assert quantities(world, orig2) == (10, 3, 0, 2, 5)


def test_revise_chain(world: World) -> None:
    kis = world.real()
    orig = kis.placed(AAPL, 10, "190.00")
    rev1 = expect_order_ok(kis.revise(AAPL, orig, 0, "189.00"), codes.REVISE_OK.real)
    rev2 = expect_order_ok(kis.revise(AAPL, rev1, 0, "188.00"), codes.REVISE_OK.real)
    assert world.admin.order(rev2)["orgn_odno"] == rev1
    assert world.admin.order(rev1)["orgn_odno"] == orig
    assert [(r["odno"], r["orgn_odno"], r["ft_ord_unpr3"]) for r in kis.nccs_rows()] == [
        (rev2, rev1, "188.00000000")]


@pytest.mark.parametrize("env", ENVS)
def test_account_of_another_app(world: World, env: Env) -> None:
    kis, other = world.fresh(env), world.fresh(env)
    theirs = other.placed(AAPL, 5)
    intruder = kis.with_account(other.account)
    before = world.admin.orders()
    for reply in (intruder.cancel(AAPL, theirs), intruder.revise(AAPL, theirs, 0, "189.00"),
                  intruder.buy(AAPL), intruder.nccs(), intruder.ccnl()):
        expect_ops(reply, Ops.BAD_ACCOUNT)
        assert reply.body == {"rt_cd": "1", "msg1": "ERROR : INPUT INVALID_CHECK_ACNO", "msg_cd": "OPSQ2000"}
    assert world.admin.orders() == before


@pytest.mark.parametrize("env", ENVS)
def test_original_not_found(world: World, env: Env) -> None:
    kis, other = world.fresh(env), world.fresh(env)
    mine = kis.placed(AAPL, 5)
    theirs = other.placed(AAPL, 5)
    tsla = kis.placed(INSTRUMENTS["TSLA"], 5, "300.00")
    cxl = expect_order_ok(kis.cancel(AAPL, mine, 1), codes.CANCEL_OK.for_env(env))
    opposite = world.fresh(Env.MOCK if env is Env.REAL else Env.REAL)
    their_env = opposite.placed(AAPL, 5)
    before = world.admin.orders()
    cases = [
        kis.cancel(AAPL, theirs),  # another account's order number
        kis.revise(AAPL, theirs, 0, "189.00"),
        kis.cancel(AAPL, tsla),  # PDNO differs from the order's
        kis.revise(AAPL, tsla, 0, "189.00"),
        kis.cancel(INSTRUMENTS["TSLA"], mine),
        kis.cancel(AAPL, "9999999999"),  # no such order
        kis.cancel(AAPL, cxl),  # a cancel record is not an order
        kis.cancel(AAPL, their_env),  # an order of the other environment
        kis.cancel(TENCENT, mine),  # other market
    ]
    for reply in cases:
        expect_business(reply, Reason.ORIGINAL_NOT_FOUND, env)
    assert world.admin.orders() == before


def test_other_account_of_same_app(world: World) -> None:
    two = world.extra["two"]
    first = Kis(world.server, two, "19000001-01").login()
    second = first.with_account("19000002-01")
    odno = first.placed(AAPL, 5)
    before = world.admin.orders()
    expect_business(second.cancel(AAPL, odno), Reason.ORIGINAL_NOT_FOUND, Env.REAL)
    expect_business(second.revise(AAPL, odno, 0, "189.00"), Reason.ORIGINAL_NOT_FOUND, Env.REAL)
    assert world.admin.orders() == before
    assert second.nccs_rows() == []
    assert [r["odno"] for r in first.nccs_rows()] == [odno]
    expect_order_ok(first.cancel(AAPL, odno), codes.CANCEL_OK.real)


@pytest.mark.parametrize("env", ENVS)
def test_off_tick_and_too_low_revise_price(world: World, env: Env) -> None:
    kis = world.fresh(env)
    orig = kis.placed(AAPL, 10, "190.00")
    jp = kis.placed(TOYOTA, 200, "2500")
    hk = kis.placed(TENCENT, 100, "480.00")
    before = world.admin.orders()
    expect_business(kis.revise(AAPL, orig, 0, AAPL.off_tick), Reason.OFF_TICK, env)
    expect_business(kis.revise(AAPL, orig, 0, "189.999"), Reason.OFF_TICK, env)
    expect_business(kis.revise(TOYOTA, jp, 0, TOYOTA.off_tick), Reason.OFF_TICK, env)
    expect_business(kis.revise(TENCENT, hk, 0, TENCENT.off_tick), Reason.OFF_TICK, env)
    expect_business(kis.revise(AAPL, orig, 0, "0.009"), Reason.PRICE_BELOW_MINIMUM, env)
    expect_business(kis.revise(AAPL, orig, 0, "0"), Reason.PRICE_BELOW_MINIMUM, env)
    assert world.admin.orders() == before


@pytest.mark.parametrize("env", ENVS)
def test_partial_revise_and_cancel_respect_lots(world: World, env: Env) -> None:
    kis = world.fresh(env)
    jp = kis.placed(TOYOTA, 300, "2500")
    before = world.admin.orders()
    expect_business(kis.revise(TOYOTA, jp, 150, "2499"), Reason.BAD_LOT, env)
    expect_business(kis.cancel(TOYOTA, jp, 50), Reason.BAD_LOT, env)
    assert world.admin.orders() == before
    expect_order_ok(kis.revise(TOYOTA, jp, 100, "2499"), codes.REVISE_OK.for_env(env))
    expect_order_ok(kis.cancel(TOYOTA, jp, 100), codes.CANCEL_OK.for_env(env))
    assert quantities(world, jp) == (300, 0, 100, 100, 100)
    hk = kis.placed(TENCENT, 300, "480.00")
    expect_business(kis.cancel(TENCENT, hk, 150), Reason.BAD_LOT, env)
    expect_order_ok(kis.revise(TENCENT, hk, 200, "479.80"), codes.REVISE_OK.for_env(env))
    assert quantities(world, hk) == (300, 0, 0, 200, 100)


@pytest.mark.parametrize("env", ENVS)
def test_bad_revise_cancel_code(world: World, env: Env) -> None:
    kis = world.fresh(env)
    orig = kis.placed(AAPL, 5)
    before = world.admin.orders()
    reply = kis.rvsecncl("NASD", "AAPL", orig, "03", 0, "0")
    expect_business(reply, Reason.BAD_REVISE_CANCEL_CODE, env)
    assert world.admin.orders() == before


def test_twap_order_cannot_be_revised_but_can_be_cancelled(world: World) -> None:
    kis = world.real()
    odno = expect_order_ok(kis.buy(AAPL, 10, "190.00", ord_dvsn="35"), codes.ORDER_BUY_OK.real)
    before = world.admin.orders()
    expect_business(kis.revise(AAPL, odno, 0, "189.00"), Reason.ORDER_NOT_REVISABLE, Env.REAL)
    assert world.admin.orders() == before
    expect_order_ok(kis.cancel(AAPL, odno), codes.CANCEL_OK.real)


def test_orgn_odno_without_zero_padding(world: World) -> None:
    """`int(odno)` clients may send the number unpadded; it names the same order."""
    kis = world.real()
    odno = kis.placed(AAPL, 5)
    expect_order_ok(kis.cancel(AAPL, str(int(odno))), codes.CANCEL_OK.real)
    assert world.admin.order(odno)["state"] == "cancelled"


def test_business_error_has_no_output(world: World) -> None:
    kis = world.mock()
    orig = kis.placed(AAPL, 5)
    reply = kis.revise(AAPL, orig, 0, "190.00")
    expect_message(reply, codes.BUSINESS[Reason.SAME_PRICE].mock)
    assert "output" not in reply.body


@pytest.mark.parametrize("env", ENVS)
def test_concurrent_cancels_have_one_winner(world: World, env: Env) -> None:
    """A4: revise/cancel and fills on one order are serialised; nothing is cancelled or filled twice."""
    kis = world.fresh(env)
    orig = kis.placed(AAPL, 20, "190.00")
    clients = [kis.with_account(kis.account) for _ in range(8)]

    def cancel_all(client: Kis) -> Reply:
        return client.cancel(AAPL, orig, 0)

    def fill_one(_: int) -> int:
        resp = world.admin.http.post("/localkis/admin/fills", json={"odno": orig, "quantity": 1, "price": "190.00"})
        assert resp.status_code in (200, 409), resp.text
        return resp.status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        fills = pool.map(fill_one, range(4))
        cancels = list(pool.map(cancel_all, clients))
        fill_statuses = list(fills)
    winners = [r for r in cancels if r.body["rt_cd"] == "0"]
    assert len(winners) == 1, cancels
    for reply in cancels:
        if reply.body["rt_cd"] != "0":
            nothing_left(reply, env)
    total, filled, cancelled, revised, open_ = quantities(world, orig)
    assert (total, revised, open_) == (20, 0, 0)
    assert filled == fill_statuses.count(200) and filled + cancelled == 20
    assert world.admin.order(winners[0].odno)["quantity"] == cancelled
