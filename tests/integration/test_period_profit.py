"""해외주식 기간손익 (inquire-period-profit, REST-NEXT §14) over HTTP: realised P/L on the average-cost basis,
net of the sell's commission, against a hand computation."""

from __future__ import annotations

from typing import Any

from localkis.protocol import codes
from localkis.protocol.env import Env
from tests.integration.conftest import INSTRUMENTS, Kis, Reply, World, expect_order_ok
from tests.integration.test_account_inquiries import balance, present

PATH = "/uapi/overseas-stock/v1/trading/inquire-period-profit"
AAPL = INSTRUMENTS["AAPL"]


def profit(kis: Kis, wcrc: str = "01", *, exchange: str = "NASD", nk: str = "", tr_cont: str = "") -> Reply:
    params = {"CANO": kis.cano, "ACNT_PRDT_CD": kis.prdt, "OVRS_EXCG_CD": exchange, "NATN_CD": "", "CRCY_CD": "",
              "PDNO": "", "INQR_STRT_DT": "20200101", "INQR_END_DT": "20991231", "WCRC_FRCR_DVSN_CD": wcrc,
              "ctx_area_fk200": "", "ctx_area_nk200": nk}
    return kis.get(PATH, "TTTS3039R" if kis.env is Env.REAL else "VTTS3039R", params, tr_cont=tr_cont)


def filled(world: World, kis: Kis, qty: int, price: str, *, sell: bool = False) -> None:
    reply = kis.sell(AAPL, qty, price) if sell else kis.buy(AAPL, qty, price)
    odno = expect_order_ok(reply, (codes.ORDER_SELL_OK if sell else codes.ORDER_BUY_OK).real)
    world.admin.fill(odno, qty, price)


def flat(world: World, kis: Kis) -> None:
    """No AAPL held (the test accounts start with a position), so the basis is only this test's buys."""
    resp = world.admin.http.post(f"/localkis/admin/accounts/{kis.account}/positions",
                                 json={"exchange": "NASD", "symbol": "AAPL", "quantity": 0, "avg_price": "1"})
    assert resp.status_code == 200, resp.text


def test_average_cost_profit_net_of_fees(world: World) -> None:
    kis = world.real()
    flat(world, kis)
    assert profit(kis).body["msg_cd"] == "KIOK0560"  # nothing sold yet
    filled(world, kis, 10, "100.00")
    filled(world, kis, 10, "110.00")
    filled(world, kis, 15, "120.00", sell=True)
    reply = profit(kis)
    assert reply.status == 200 and reply.headers["tr_cont"] == "D", reply
    body: dict[str, Any] = reply.body
    assert list(body) == ["rt_cd", "msg_cd", "msg1", "ctx_area_fk200", "ctx_area_nk200", "output1", "output2"]
    assert len(body["ctx_area_fk200"]) == 200 and body["ctx_area_nk200"].strip() == ""
    (row,) = body["output1"]
    # Average cost 105 = (10 × 100 + 10 × 110) / 20; 15 sold at 120: 1800 − 1575 − fee 4.50 (0.25 % of 1800).
    assert {k: row[k] for k in ("ovrs_pdno", "ovrs_excg_cd", "slcl_qty", "pchs_avg_pric", "frcr_pchs_amt1",
                                "avg_sll_unpr", "frcr_sll_amt_smtl1", "stck_sll_tlex", "ovrs_rlzt_pfls_amt",
                                "pftrt")} == {
        "ovrs_pdno": "AAPL", "ovrs_excg_cd": "NASD", "slcl_qty": "15", "pchs_avg_pric": "105.0000",
        "frcr_pchs_amt1": "1575.00", "avg_sll_unpr": "120.0000", "frcr_sll_amt_smtl1": "1800.00",
        "stck_sll_tlex": "4.50", "ovrs_rlzt_pfls_amt": "220.50", "pftrt": "14.0000"}
    assert row["ovrs_item_name"] == AAPL.name and len(row["trad_day"]) == 8
    assert body["output2"]["ovrs_rlzt_pfls_tot_amt"] == "220.50" and body["output2"]["smtl_fee1"] == "4.50"
    # In won (python-kis reads the fees this way): 4.50 USD at the fixed 1,350 KRW.
    krw = profit(kis, "02").body
    assert krw["output2"]["smtl_fee1"] == "6075" and krw["output1"][0]["ovrs_rlzt_pfls_amt"] == "297675"
    # Another country: nothing.
    assert profit(kis, exchange="TKSE").body["output1"] == []
    # The balance answers read the same records: today's realised P/L, today's fills.
    totals = balance(kis).body["output2"]
    assert (totals["ovrs_rlzt_pfls_amt"], totals["rlzt_erng_rt"]) == ("220.50", "14.00")
    (aapl,) = [r for r in present(kis, natn="840").body["output1"] if r["pdno"] == "AAPL"]
    assert (aapl["thdt_buy_ccld_qty1"], aapl["thdt_sll_ccld_qty1"], aapl["thdt_buy_ccld_frcr_amt"],
            aapl["thdt_sll_ccld_frcr_amt"]) == ("20", "15", "2100.00", "1800.00")


def test_not_in_strict_mock(switched: World) -> None:
    reply = profit(switched.mock())
    assert reply.body == {"rt_cd": "1", "msg_cd": codes.NOT_IN_MOCK.code, "msg1": codes.NOT_IN_MOCK.text}, reply


def test_served_in_mock_when_not_strict(world: World) -> None:
    reply = profit(world.mock())
    assert reply.status == 200 and reply.body["rt_cd"] == "0", reply
