"""해외주식 일별거래내역 (inquire-period-trans) and 해외증거금 통화별조회 (foreign-margin) over HTTP."""

from __future__ import annotations

from localkis.protocol import codes
from localkis.protocol.env import Env
from tests.integration.conftest import INSTRUMENTS, Kis, Reply, World, expect_order_ok

TRANS_PATH = "/uapi/overseas-stock/v1/trading/inquire-period-trans"
MARGIN_PATH = "/uapi/overseas-stock/v1/trading/foreign-margin"
AAPL = INSTRUMENTS["AAPL"]


def trans(kis: Kis, *, side: str = "00", exchange: str = "", nk: str = "", tr_cont: str = "") -> Reply:
    params = {"CANO": kis.cano, "ACNT_PRDT_CD": kis.prdt, "ERLM_STRT_DT": "20200101", "ERLM_END_DT": "20991231",
              "OVRS_EXCG_CD": exchange, "PDNO": "", "SLL_BUY_DVSN_CD": side, "LOAN_DVSN_CD": "",
              "CTX_AREA_FK100": "", "CTX_AREA_NK100": nk}
    return kis.get(TRANS_PATH, "CTOS4001R" if kis.env is Env.REAL else "VTOS4001R", params, tr_cont=tr_cont)


def margin(kis: Kis) -> Reply:
    return kis.get(MARGIN_PATH, "TTTC2101R" if kis.env is Env.REAL else "VTTC2101R",
                   {"CANO": kis.cano, "ACNT_PRDT_CD": kis.prdt})


def test_daily_transactions(world: World) -> None:
    kis = world.real()
    assert trans(kis).body["msg_cd"] == "KIOK0560"
    buy = expect_order_ok(kis.buy(AAPL, 10, "100.00"), codes.ORDER_BUY_OK.real)
    world.admin.fill(buy, 10, "100.00")
    sell = expect_order_ok(kis.sell(AAPL, 4, "120.00"), codes.ORDER_SELL_OK.real)
    world.admin.fill(sell, 4, "120.00")
    reply = trans(kis)
    assert reply.status == 200 and reply.headers["tr_cont"] == "D", reply
    body = reply.body
    assert (body["msg_cd"], body["msg1"].strip()) == ("KIOK0460", "조회 되었습니다. (마지막 자료)")
    assert len(body["ctx_area_fk100"]) == 100 and "!^" in body["ctx_area_fk100"]
    bought, sold = body["output1"]
    assert (bought["sll_buy_dvsn_cd"], bought["ccld_qty"], bought["tr_frcr_amt2"], bought["frcr_fee1"]) == (
        "02", "10", "1000.00", "0.00")
    assert (sold["sll_buy_dvsn_cd"], sold["ft_ccld_unpr2"], sold["tr_frcr_amt2"], sold["frcr_fee1"],
            sold["frcr_excc_amt_1"]) == ("01", "120.00000000", "480.00", "1.20", "478.80")
    # US T+1: the settlement date is the next US trading day after the trade date.
    assert sold["sttl_dt"] > sold["trad_dt"] and sold["crcy_cd"] == "USD" and sold["loan_dvsn_name"] == "현금"
    assert body["output2"] == {"frcr_buy_amt_smtl": "1000.00", "frcr_sll_amt_smtl": "480.00",
                               "dmst_fee_smtl": "0.00", "ovrs_fee_smtl": "1.20"}
    assert [r["sll_buy_dvsn_cd"] for r in trans(kis, side="01").body["output1"]] == ["01"]
    assert trans(kis, exchange="NAS").body["output1"] == body["output1"]  # the official sample's quote code
    assert trans(kis, exchange="TKSE").body["output1"] == []


def test_foreign_margin(world: World) -> None:
    kis = world.real()
    order = expect_order_ok(kis.buy(AAPL, 10, "100.00"), codes.ORDER_BUY_OK.real)
    reply = margin(kis)
    assert reply.status == 200 and reply.headers["tr_cont"] == "D" and reply.body["msg_cd"] == "KIOK0510", reply
    rows = {r["crcy_cd"]: r for r in reply.body["output"]}
    assert list(rows) == ["USD", "HKD", "CNY", "JPY", "VND"]
    usd = rows["USD"]
    assert (usd["natn_name"], usd["frcr_dncl_amt1"], usd["frcr_mgn_amt"], usd["frcr_gnrl_ord_psbl_amt"]) == (
        "미국", "1000000.00", "1000.00", "999000.00")
    assert usd["frcr_ord_psbl_amt1"] == "1348650000" and usd["bass_exrt"] == "1350.0000"
    kis.cancel(AAPL, order)


def test_not_in_strict_mock(switched: World) -> None:
    kis = switched.mock()
    for reply in (trans(kis), margin(kis), paymt(kis, "20261124")):
        assert reply.body == {"rt_cd": "1", "msg_cd": codes.NOT_IN_MOCK.code, "msg1": codes.NOT_IN_MOCK.text}, reply


PAYMT_PATH = "/uapi/overseas-stock/v1/trading/inquire-paymt-stdr-balance"


def paymt(kis: Kis, base: str, wcrc: str = "02") -> Reply:
    return kis.get(PAYMT_PATH, "CTRP6010R" if kis.env is Env.REAL else "VTRP6010R",
                   {"CANO": kis.cano, "ACNT_PRDT_CD": kis.prdt, "BASS_DT": base, "WCRC_FRCR_DVSN_CD": wcrc,
                    "INQR_DVSN_CD": "00"})


def test_settlement_basis_balance(world: World) -> None:
    kis = world.real()
    buy = expect_order_ok(kis.buy(AAPL, 10, "100.00"), codes.ORDER_BUY_OK.real)
    world.admin.fill(buy, 10, "100.00")
    # Long after: today's buy has settled (T+1) — 100,000 opening shares + 10, 1,000 USD paid.
    later = paymt(kis, "20991231")
    assert later.status == 200 and later.body["msg_cd"] == "KIOK0530", later
    rows = {r["pdno"]: r for r in later.body["output1"]}
    aapl = rows["AAPL"]
    assert (aapl["cblc_qty13"], aapl["thdt_buy_ccld_qty1"], aapl["buy_crcy_cd"], aapl["scts_dvsn_name"]) == (
        "100010", "10", "USD", "현금")
    assert len(aapl["oprt_dtl_dtime"]) == 17
    usd = {r["crcy_cd"]: r for r in later.body["output2"]}["USD"]
    assert usd["frcr_dncl_amt_2"] == "999000.00" and usd["crcy_cd_name"] == "미국 달러"
    assert set(later.body["output3"]) >= {"pchs_amt_smtl_amt", "tot_asst_amt2", "tot_dncl_amt"}
    # Before the trade settled: neither the shares nor the payment count yet.
    before = paymt(kis, "20200101")
    assert {r["pdno"]: r for r in before.body["output1"]}["AAPL"]["cblc_qty13"] == "100000"
    assert {r["crcy_cd"]: r for r in before.body["output2"]}["USD"]["frcr_dncl_amt_2"] == "1000000.00"
    # 원화기준 (01): amounts in won.
    won = {r["pdno"]: r for r in paymt(kis, "20991231", "01").body["output1"]}["AAPL"]
    assert won["avg_unpr3"] != aapl["avg_unpr3"] and "." not in won["frcr_pchs_amt"]
