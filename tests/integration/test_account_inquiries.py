"""The account inquiries: inquire-balance, inquire-psamount, inquire-present-balance (PROTOCOL §8).

This module runs its own server: it moves prices (AAPL) that other modules' quotes assert on.
Instruments each test moves or trades: AAPL (balance after a buy), 7203 (after a sell), TSLA (pending
sell), IBM (pending buy; present-balance values it at its configured 250.00, never traded here).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from localkis.protocol import codes
from localkis.protocol.apis import Api
from localkis.protocol.codes import REAL_APP_MOCK_TR_TEXT, Gateway, Ops
from localkis.protocol.env import Env
from localkis.protocol.orders import Side
from localkis.protocol.reasons import Reason
from localkis.protocol.trids import TR_TABLE, tr_for
from tests.integration.conftest import (
    INSTRUMENTS,
    NCCS_PATH,
    Inst,
    Kis,
    Reply,
    World,
    check_alive,
    expect_business,
    expect_gateway,
    expect_ops,
    expect_order_ok,
    start_world,
)

BALANCE_PATH = "/uapi/overseas-stock/v1/trading/inquire-balance"
PSAMOUNT_PATH = "/uapi/overseas-stock/v1/trading/inquire-psamount"
PRESENT_PATH = "/uapi/overseas-stock/v1/trading/inquire-present-balance"

D = Decimal
AAPL, TSLA, PENY, IBM, SPY = (INSTRUMENTS[s] for s in ("AAPL", "TSLA", "PENY", "IBM", "SPY"))
TOYOTA, SOFTBANK, HSBC, VNM = INSTRUMENTS["7203"], INSTRUMENTS["9984"], INSTRUMENTS["00005"], INSTRUMENTS["VNM"]
OPENING = 100000  # shares of every instrument each test account starts with (conftest)
CASH = {"USD": D("1000000.00"), "HKD": D("5000000"), "CNY": D("1000000"), "JPY": D("100000000"),
        "VND": D("10000000000")}
KRW = {"USD": D("1350"), "HKD": D("173"), "CNY": D("187"), "JPY": D("9"), "VND": D("0.055")}
ENVS = [pytest.param(Env.REAL, id="real"), pytest.param(Env.MOCK, id="mock")]

BALANCE_ROW_KEYS = ["cano", "acnt_prdt_cd", "prdt_type_cd", "ovrs_pdno", "ovrs_item_name", "frcr_evlu_pfls_amt",
                    "evlu_pfls_rt", "pchs_avg_pric", "ovrs_cblc_qty", "ord_psbl_qty", "frcr_pchs_amt1",
                    "ovrs_stck_evlu_amt", "now_pric2", "tr_crcy_cd", "ovrs_excg_cd", "loan_type_cd", "loan_dt",
                    "expd_dt"]
BALANCE_TOTAL_KEYS = ["frcr_pchs_amt1", "ovrs_rlzt_pfls_amt", "ovrs_tot_pfls", "rlzt_erng_rt", "tot_evlu_pfls_amt",
                      "tot_pftrt", "frcr_buy_amt_smtl1", "ovrs_rlzt_pfls_amt2", "frcr_buy_amt_smtl2"]
PSAMOUNT_KEYS = ["tr_crcy_cd", "ord_psbl_frcr_amt", "sll_ruse_psbl_amt", "ovrs_ord_psbl_amt", "max_ord_psbl_qty",
                 "echm_af_ord_psbl_amt", "echm_af_ord_psbl_qty", "ord_psbl_qty", "exrt", "frcr_ord_psbl_amt1",
                 "ovrs_max_ord_psbl_qty"]
PRESENT_ROW_KEYS = ["cblc_qty13", "thdt_buy_ccld_qty1", "thdt_sll_ccld_qty1", "ccld_qty_smtl1", "ord_psbl_qty1",
                    "frcr_pchs_amt", "frcr_evlu_amt2", "evlu_pfls_amt2", "evlu_pfls_rt1", "pdno", "prdt_name",
                    "bass_exrt", "buy_crcy_cd", "ovrs_now_pric1", "avg_unpr3", "tr_mket_name", "natn_kor_name",
                    "pchs_rmnd_wcrc_amt", "thdt_buy_ccld_frcr_amt", "thdt_sll_ccld_frcr_amt", "unit_amt",
                    "std_pdno", "prdt_type_cd", "loan_rmnd", "loan_dt", "loan_expd_dt", "ovrs_excg_cd",
                    "item_lnkg_excg_cd"]
PRESENT_CURRENCY_KEYS = ["crcy_cd", "frcr_buy_amt_smtl", "frcr_sll_amt_smtl", "frcr_dncl_amt_2", "frst_bltn_exrt",
                         "frcr_buy_mgn_amt", "frcr_etc_mgna", "frcr_drwg_psbl_amt_1", "frcr_evlu_amt2",
                         "acpl_cstd_crcy_yn", "nxdy_frcr_drwg_psbl_amt"]
PRESENT_TOTAL_KEYS = ["pchs_amt_smtl", "evlu_amt_smtl", "evlu_pfls_amt_smtl", "dncl_amt", "cma_evlu_amt",
                      "tot_dncl_amt", "etc_mgna", "wdrw_psbl_tot_amt", "frcr_evlu_tota", "evlu_erng_rt1",
                      "pchs_amt_smtl_amt", "evlu_amt_smtl_amt", "tot_evlu_pfls_amt", "tot_asst_amt", "buy_mgn_amt",
                      "mgna_tota", "frcr_use_psbl_amt", "ustl_sll_amt_smtl", "ustl_buy_amt_smtl",
                      "tot_frcr_cblc_smtl", "tot_loan_amt"]


@pytest.fixture(scope="module")
def accounts(tmp_path_factory: pytest.TempPathFactory, backend: str) -> Iterator[World]:
    yield from start_world(tmp_path_factory, "accounts", count=40, prefix="7", backend=backend)


@pytest.fixture
def world(accounts: World) -> Iterator[World]:
    """This module's server; after each test the quantity invariant must hold for every order."""
    check_alive(accounts)
    yield accounts
    accounts.admin.check_invariant()


# --------------------------------------------------------------------------------------------------
# calls


def balance(kis: Kis, exchange: str = "NASD", currency: str = "USD", *, fk: str = "", nk: str = "",
            tr_cont: str = "", tr_id: str | None = None) -> Reply:
    params = {"CANO": kis.cano, "ACNT_PRDT_CD": kis.prdt, "OVRS_EXCG_CD": exchange, "TR_CRCY_CD": currency,
              "CTX_AREA_FK200": fk, "CTX_AREA_NK200": nk}
    return kis.get(BALANCE_PATH, tr_id or tr_for(Api.INQUIRE_BALANCE, kis.env), params, tr_cont=tr_cont)


def psamount(kis: Kis, exchange: str, item: str, price: str = "0", *, tr_id: str | None = None) -> Reply:
    params = {"CANO": kis.cano, "ACNT_PRDT_CD": kis.prdt, "OVRS_EXCG_CD": exchange, "OVRS_ORD_UNPR": price,
              "ITEM_CD": item}
    return kis.get(PSAMOUNT_PATH, tr_id or tr_for(Api.INQUIRE_PSAMOUNT, kis.env), params)


def present(kis: Kis, *, wcrc: str = "02", natn: str = "000", market: str = "00", inqr: str = "00",
            tr_id: str | None = None) -> Reply:
    params = {"CANO": kis.cano, "ACNT_PRDT_CD": kis.prdt, "WCRC_FRCR_DVSN_CD": wcrc, "NATN_CD": natn,
              "TR_MKET_CD": market, "INQR_DVSN_CD": inqr}
    return kis.get(PRESENT_PATH, tr_id or tr_for(Api.INQUIRE_PRESENT_BALANCE, kis.env), params)


def ok(reply: Reply, *, empty: bool = False) -> dict[str, Any]:
    assert reply.status == 200, reply
    body: dict[str, Any] = reply.body
    message = codes.INQUIRY_EMPTY if empty else codes.INQUIRY_OK
    assert (body["rt_cd"], body["msg_cd"], body["msg1"]) == ("0", message.code, message.text), reply
    assert reply.headers["tr_id"] == reply.resp.request.headers["tr_id"]
    return body


def balance_page(reply: Reply, *, rows: int, tr_cont: str) -> dict[str, Any]:
    body = ok(reply, empty=rows == 0)
    assert list(body) == ["rt_cd", "msg_cd", "msg1", "ctx_area_fk200", "ctx_area_nk200", "output1", "output2"]
    assert len(body["ctx_area_fk200"]) == 200 and len(body["ctx_area_nk200"]) == 200
    assert isinstance(body["output1"], list) and len(body["output1"]) == rows, (len(body["output1"]), reply)
    for row in body["output1"]:
        assert list(row) == BALANCE_ROW_KEYS and all(isinstance(v, str) for v in row.values()), row
    assert list(body["output2"]) == BALANCE_TOTAL_KEYS
    assert reply.headers["tr_cont"] == tr_cont, reply.headers
    return body


def trade(world: World, inst: Inst, price: str, size: int | None = None) -> list[dict[str, Any]]:
    body: dict[str, Any] = {"exchange": inst.exchange, "symbol": inst.symbol, "price": price}
    if size is not None:
        body["size"] = size
    resp = world.admin.http.post("/localkis/admin/prices", json=body)
    assert resp.status_code == 200, resp.text
    fills: list[dict[str, Any]] = resp.json()["fills"]
    return fills


def set_position(world: World, kis: Kis, exchange: str, symbol: str, quantity: int, avg: str) -> None:
    resp = world.admin.http.post(f"/localkis/admin/accounts/{kis.account}/positions",
                                 json={"exchange": exchange, "symbol": symbol, "quantity": quantity, "avg_price": avg})
    assert resp.status_code == 200, resp.text


def rows_by_symbol(body: dict[str, Any], key: str = "ovrs_pdno") -> dict[str, dict[str, str]]:
    return {r[key]: r for r in body["output1"]}


def money(value: Decimal, places: int = 2) -> str:
    return f"{value.quantize(Decimal(1).scaleb(-places)):f}"


# --------------------------------------------------------------------------------------------------
# inquire-balance


@pytest.mark.parametrize("env", ENVS)
def test_balance_lists_holdings_of_the_scope(world: World, env: Env) -> None:
    """Real: NASD = every US venue; mock: NASD = Nasdaq only (PROTOCOL §8). Rows by exchange, then symbol."""
    kis = world.fresh(env)
    body = balance_page(balance(kis), rows=5 if env is Env.REAL else 3, tr_cont="D")
    listed = [(r["ovrs_excg_cd"], r["ovrs_pdno"]) for r in body["output1"]]
    if env is Env.REAL:
        assert listed == [("AMEX", "SPY"), ("NASD", "AAPL"), ("NASD", "PENY"), ("NASD", "TSLA"), ("NYSE", "IBM")]
    else:
        assert listed == [("NASD", "AAPL"), ("NASD", "PENY"), ("NASD", "TSLA")]
    tsla = rows_by_symbol(body)["TSLA"]
    assert tsla == {
        "cano": kis.cano, "acnt_prdt_cd": kis.prdt, "prdt_type_cd": "512", "ovrs_pdno": "TSLA",
        "ovrs_item_name": "테슬라", "frcr_evlu_pfls_amt": "0.00", "evlu_pfls_rt": "0.00",
        "pchs_avg_pric": "300.0000", "ovrs_cblc_qty": "100000", "ord_psbl_qty": "100000",
        "frcr_pchs_amt1": "30000000.00", "ovrs_stck_evlu_amt": "30000000.00", "now_pric2": "300.0000",
        "tr_crcy_cd": "USD", "ovrs_excg_cd": "NASD", "loan_type_cd": "10", "loan_dt": "", "expd_dt": ""}
    assert body["ctx_area_fk200"].rstrip() == f"{kis.cano}^{kis.prdt}^NASD^USD^"
    assert body["ctx_area_nk200"] == " " * 200
    for code, expected in (("NYSE", [("NYSE", "IBM")]), ("AMEX", [("AMEX", "SPY")]),
                           ("TKSE", [("TKSE", "7203"), ("TKSE", "9984")])):
        got = balance_page(balance(kis, code, "JPY" if code == "TKSE" else "USD"), rows=len(expected), tr_cont="D")
        assert [(r["ovrs_excg_cd"], r["ovrs_pdno"]) for r in got["output1"]] == expected
    if env is Env.REAL:  # NAS: Nasdaq alone (real only)
        nas = balance_page(balance(kis, "NAS"), rows=3, tr_cont="D")
        assert {r["ovrs_excg_cd"] for r in nas["output1"]} == {"NASD"}
    else:
        expect_ops(balance(kis, "NAS"), Ops.BAD_MARKET)


@pytest.mark.parametrize("env", ENVS)
def test_balance_rows_and_totals_after_a_buy_fills(world: World, env: Env) -> None:
    kis = world.fresh(env)
    trade(world, AAPL, "200.00", size=1)  # AAPL's last trade above the limit: the buy rests
    odno = kis.placed(AAPL, 10, "190.00")
    assert world.admin.fill(odno, 10, "190.00")["open"] == 0
    trade(world, AAPL, "195.00", size=1)  # now_pric2 is the last trade
    body = balance_page(balance(kis), rows=5 if env is Env.REAL else 3, tr_cont="D")
    row = rows_by_symbol(body)["AAPL"]
    held = OPENING + 10
    cost, value = D(190) * held, D(195) * held
    assert (row["ovrs_cblc_qty"], row["ord_psbl_qty"], row["pchs_avg_pric"], row["now_pric2"]) == (
        str(held), str(held), "190.0000", "195.0000")
    assert (row["frcr_pchs_amt1"], row["ovrs_stck_evlu_amt"], row["frcr_evlu_pfls_amt"], row["evlu_pfls_rt"]) == (
        money(cost), money(value), money(value - cost), "2.63")
    rows = body["output1"]
    total_cost = sum(D(r["frcr_pchs_amt1"]) for r in rows)
    total_pl = sum(D(r["frcr_evlu_pfls_amt"]) for r in rows)
    totals = body["output2"]
    assert totals == {
        "frcr_pchs_amt1": money(total_cost), "ovrs_rlzt_pfls_amt": "0.00", "ovrs_tot_pfls": money(total_pl),
        "rlzt_erng_rt": "0.00", "tot_evlu_pfls_amt": money(total_pl),
        "tot_pftrt": money(total_pl / total_cost * 100), "frcr_buy_amt_smtl1": "1900.00",
        "ovrs_rlzt_pfls_amt2": "0.00", "frcr_buy_amt_smtl2": "1900.00"}
    # cash moved: 1900.00 out of USD, shown by present-balance's currency row (real) and output3 (both)
    usd = CASH["USD"] - D("1900.00")
    if env is Env.REAL:
        dollars = ok(present(kis, natn="840"))["output2"]
        assert [(c["crcy_cd"], c["frcr_dncl_amt_2"], c["frcr_buy_amt_smtl"]) for c in dollars] == [
            ("USD", money(usd), "1900.00")]
    assert ok(present(kis, natn="840"))["output3"]["tot_dncl_amt"] == money(usd)


def test_balance_after_a_sell_fills(world: World) -> None:
    kis = world.real()
    odno = kis.placed(TOYOTA, 100, "2500", side=Side.SELL)
    assert world.admin.fill(odno, 100, "2500")["open"] == 0
    body = balance_page(balance(kis, "TKSE", "JPY"), rows=2, tr_cont="D")
    row = rows_by_symbol(body)["7203"]
    assert (row["ovrs_cblc_qty"], row["ord_psbl_qty"], row["frcr_pchs_amt1"], row["tr_crcy_cd"]) == (
        str(OPENING - 100), str(OPENING - 100), money(D(2500) * (OPENING - 100)), "JPY")
    assert body["output2"]["frcr_buy_amt_smtl1"] == "0.00"
    yen = ok(present(kis, natn="392"))["output2"]
    assert [(c["crcy_cd"], c["frcr_dncl_amt_2"], c["frcr_sll_amt_smtl"]) for c in yen] == [
        ("JPY", money(CASH["JPY"] + 250000), "250000.00")]


@pytest.mark.parametrize("env", ENVS)
def test_ord_psbl_qty_is_reduced_by_a_pending_sell(world: World, env: Env) -> None:
    kis = world.fresh(env)
    odno = kis.placed(TSLA, 30, "400.00", side=Side.SELL)  # TSLA never trades here: the sell rests
    row = rows_by_symbol(balance_page(balance(kis), rows=5 if env is Env.REAL else 3, tr_cont="D"))["TSLA"]
    assert (row["ovrs_cblc_qty"], row["ord_psbl_qty"]) == (str(OPENING), str(OPENING - 30))
    if env is Env.REAL:
        tsla = rows_by_symbol(ok(present(kis, natn="840")), "pdno")["TSLA"]
        assert (tsla["cblc_qty13"], tsla["ord_psbl_qty1"]) == (str(OPENING), str(OPENING - 30))
    expect_order_ok(kis.cancel(TSLA, odno), codes.CANCEL_OK.for_env(env))
    row = rows_by_symbol(balance_page(balance(kis), rows=5 if env is Env.REAL else 3, tr_cont="D"))["TSLA"]
    assert (row["ovrs_cblc_qty"], row["ord_psbl_qty"]) == (str(OPENING), str(OPENING))


@pytest.mark.parametrize("env", ENVS)
def test_balance_pages_of_100(world: World, env: Env) -> None:
    """More than 100 holdings: F then E, 200-character cursors, totals over the whole scope on every page.
    Symbols with no instrument are listed at their average price."""
    kis = world.fresh(env)
    extra = [f"Z{i:03d}" for i in range(1, 111)]
    for symbol in extra:
        set_position(world, kis, "NASD", symbol, 10, "5.00")
    first = balance(kis)
    page1 = balance_page(first, rows=100, tr_cont="F")
    assert page1["ctx_area_fk200"].rstrip() == f"{kis.cano}^{kis.prdt}^NASD^USD^"
    nk = page1["ctx_area_nk200"]
    assert nk.rstrip() == f"{kis.cano}^{kis.prdt}^NASD^{page1['output1'][-1]['ovrs_excg_cd']}^" \
                          f"{page1['output1'][-1]['ovrs_pdno']}^"
    second = balance(kis, fk=page1["ctx_area_fk200"], nk=nk, tr_cont="N")
    total = (5 if env is Env.REAL else 3) + len(extra)
    page2 = balance_page(second, rows=total - 100, tr_cont="E")
    assert page2["ctx_area_nk200"] == " " * 200
    listed = [(r["ovrs_excg_cd"], r["ovrs_pdno"]) for r in page1["output1"] + page2["output1"]]
    assert listed == sorted(listed) and len(set(listed)) == total
    assert {s for _, s in listed} >= set(extra)
    assert page1["output2"] == page2["output2"]
    z = rows_by_symbol(page2)["Z110"]
    assert (z["now_pric2"], z["ovrs_item_name"], z["frcr_evlu_pfls_amt"], z["prdt_type_cd"]) == (
        "5.0000", "Z110", "0.00", "512")
    # lowercase query keys (python-kis) page the same way
    params = {"cano": kis.cano, "acnt_prdt_cd": kis.prdt, "ovrs_excg_cd": "NASD", "tr_crcy_cd": "USD",
              "ctx_area_fk200": page1["ctx_area_fk200"], "ctx_area_nk200": nk}
    again = kis.get(BALANCE_PATH, tr_for(Api.INQUIRE_BALANCE, env), params, tr_cont="N")
    assert balance_page(again, rows=total - 100, tr_cont="E")["output1"] == page2["output1"]


def test_balance_cursor_is_stable_while_holdings_are_added(world: World) -> None:
    kis = world.real()
    for i in range(1, 106):
        set_position(world, kis, "NASD", f"Y{i:03d}", 1, "1.00")
    page1 = balance_page(balance(kis), rows=100, tr_cont="F")
    set_position(world, kis, "NASD", "A000", 1, "1.00")  # sorts before the cursor: not seen on page 2
    page2 = balance(kis, fk=page1["ctx_area_fk200"], nk=page1["ctx_area_nk200"], tr_cont="N")
    rest = balance_page(page2, rows=5 + 105 - 100, tr_cont="E")["output1"]
    seen = [r["ovrs_pdno"] for r in page1["output1"] + rest]
    assert len(seen) == len(set(seen)) == 110 and "A000" not in seen


def test_balance_python_kis_mock_call_lists_every_exchange(world: World) -> None:
    """python-kis (mock) sends OVRS_EXCG_CD "" and TR_CRCY_CD "": every holding."""
    kis = world.mock()
    body = balance_page(balance(kis, "", ""), rows=len(INSTRUMENTS), tr_cont="D")
    assert {r["ovrs_pdno"] for r in body["output1"]} == set(INSTRUMENTS)


def test_balance_empty_and_currency_filter(world: World) -> None:
    kis = world.real()
    set_position(world, kis, "HASE", "SHB", 0, "10000")
    body = balance_page(balance(kis, "HASE", "VND"), rows=0, tr_cont="D")
    assert body["output1"] == [] and body["ctx_area_nk200"] == " " * 200
    assert body["output2"]["frcr_pchs_amt1"] == "0.00" and body["output2"]["tot_pftrt"] == "0.00"
    # TR_CRCY_CD names the currency asked about: USD holdings only
    balance_page(balance(kis, "SEHK", "USD"), rows=0, tr_cont="D")
    assert len(balance_page(balance(kis, "SEHK", "HKD"), rows=2, tr_cont="D")["output1"]) == 2


def test_balance_query_errors(world: World) -> None:
    kis = world.real()
    expect_ops(balance(kis, "XXXX"), Ops.BAD_MARKET)
    bad_currency = balance(kis, "NASD", "KRW")
    expect_ops(bad_currency, Ops.BAD_FIELD, "ERROR INVALID INPUT [TR_CRCY_CD]")
    expect_ops(balance(kis, nk=f"{kis.cano}^01^NASD^garbage"), Ops.BAD_FIELD, "ERROR INVALID INPUT [CTX_AREA_NK200]")
    expect_ops(balance(kis, nk=f"{kis.cano}^01^NASD^XXXX^AAPL^"), Ops.BAD_FIELD,
               "ERROR INVALID INPUT [CTX_AREA_NK200]")
    expect_ops(kis.get(BALANCE_PATH, "TTTS3012R", {"ACNT_PRDT_CD": kis.prdt, "OVRS_EXCG_CD": "NASD"}),
               Ops.BAD_FIELD, "ERROR INVALID INPUT_FILED_SIZE [CANO] [0]")


@pytest.mark.parametrize(("env", "alias"), [(Env.REAL, "JTTT3012R"), (Env.MOCK, "VTTT3012R")])
def test_balance_legacy_tr_aliases(world: World, env: Env, alias: str) -> None:
    kis = world.fresh(env)
    reply = balance(kis, tr_id=alias)
    balance_page(reply, rows=5 if env is Env.REAL else 3, tr_cont="D")
    assert reply.headers["tr_id"] == alias
    assert TR_TABLE[alias].alias_of == tr_for(Api.INQUIRE_BALANCE, env)


# --------------------------------------------------------------------------------------------------
# inquire-psamount


def psamount_output(reply: Reply) -> dict[str, str]:
    body = ok(reply)
    assert list(body) == ["rt_cd", "msg_cd", "msg1", "output"]
    assert list(body["output"]) == PSAMOUNT_KEYS and all(isinstance(v, str) for v in body["output"].values())
    assert reply.headers["tr_cont"] == "D"
    output: dict[str, str] = body["output"]
    return output


@pytest.mark.parametrize("env", ENVS)
def test_psamount_is_reduced_by_a_pending_buy_and_restored_on_cancel(world: World, env: Env) -> None:
    kis = world.fresh(env)
    before = psamount_output(psamount(kis, "NYSE", "IBM", "250.00"))
    assert before == {
        "tr_crcy_cd": "USD", "ord_psbl_frcr_amt": "1000000.00", "sll_ruse_psbl_amt": "0.00",
        "ovrs_ord_psbl_amt": "1000000.00", "max_ord_psbl_qty": "4000", "echm_af_ord_psbl_amt": "0.00",
        "echm_af_ord_psbl_qty": "0", "ord_psbl_qty": "4000", "exrt": "1350.0000", "frcr_ord_psbl_amt1": "1000000.00",
        "ovrs_max_ord_psbl_qty": "4000"}
    odno = kis.placed(IBM, 100, "249.00")  # IBM never trades here: the buy rests and reserves 24900.00
    during = psamount_output(psamount(kis, "NYSE", "IBM", "250.00"))
    assert (during["ord_psbl_frcr_amt"], during["ovrs_ord_psbl_amt"], during["frcr_ord_psbl_amt1"]) == (
        "975100.00", "975100.00", "975100.00")
    assert during["max_ord_psbl_qty"] == during["ord_psbl_qty"] == during["ovrs_max_ord_psbl_qty"] == "3900"
    # every US venue code answers for the same dollars
    assert psamount_output(psamount(kis, "NASD", "AAPL", "100.00"))["ord_psbl_frcr_amt"] == "975100.00"
    expect_order_ok(kis.cancel(IBM, odno), codes.CANCEL_OK.for_env(env))
    assert psamount_output(psamount(kis, "NYSE", "IBM", "250.00")) == before


@pytest.mark.parametrize(("inst", "price", "currency", "expected", "exrt"), [
    (HSBC, "80.00", "HKD", "62400", "173.0000"),  # 62500 shares, lots of 400
    (TOYOTA, "2499", "JPY", "40000", "9.0000"),  # 40016 shares, lots of 100
    (VNM, "60000", "VND", "166600", "0.0550"),  # 166666 shares, lots of 100
    (SOFTBANK, "0", "JPY", "16600", "9.0000"),  # at the last price 6000: 16666 shares
    (SOFTBANK, "", "JPY", "16600", "9.0000"),
    (PENY, "0.0003", "USD", "3333333333", "1350.0000"),
])
def test_psamount_max_quantity_in_whole_lots(world: World, inst: Inst, price: str, currency: str, expected: str,
                                             exrt: str) -> None:
    kis = world.shared(Env.REAL)
    out = psamount_output(psamount(kis, inst.exchange, inst.symbol, price))
    assert (out["tr_crcy_cd"], out["max_ord_psbl_qty"], out["ord_psbl_qty"], out["exrt"]) == (
        currency, expected, expected, exrt)
    assert out["ord_psbl_frcr_amt"] == money(CASH[currency])


@pytest.mark.parametrize("env", ENVS)
def test_psamount_errors(world: World, env: Env) -> None:
    kis = world.fresh(env)
    expect_business(psamount(kis, "NASD", "ZZZZ", "10.00"), Reason.UNKNOWN_SYMBOL, env)
    expect_ops(psamount(kis, "NASX", "AAPL", "10.00"), Ops.BAD_MARKET)
    expect_ops(psamount(kis, "NASD", "AAPL", "abc"), Ops.BAD_FIELD, "ERROR INVALID INPUT [OVRS_ORD_UNPR]")
    expect_ops(psamount(kis, "NASD", "", "10.00"), Ops.BAD_FIELD, "ERROR INVALID INPUT_FILED_SIZE [ITEM_CD] [0]")


def test_psamount_legacy_real_tr(world: World) -> None:
    kis = world.shared(Env.REAL)
    assert psamount_output(psamount(kis, "NASD", "TSLA", "300.00", tr_id="JTTT3007R"))["max_ord_psbl_qty"]


# --------------------------------------------------------------------------------------------------
# inquire-present-balance


def test_present_balance_real_has_three_outputs(world: World) -> None:
    kis = world.real()
    reply = present(kis)
    body = ok(reply)
    assert list(body) == ["rt_cd", "msg_cd", "msg1", "output1", "output2", "output3"]
    assert reply.headers["tr_cont"] == "D"
    assert len(body["output1"]) == len(INSTRUMENTS)
    for row in body["output1"]:
        assert list(row) == PRESENT_ROW_KEYS and all(isinstance(v, str) for v in row.values()), row
    assert [c["crcy_cd"] for c in body["output2"]] == ["USD", "HKD", "CNY", "JPY", "VND"]
    for c in body["output2"]:
        assert list(c) == PRESENT_CURRENCY_KEYS
        assert (c["frcr_dncl_amt_2"], c["frcr_drwg_psbl_amt_1"], c["frcr_buy_mgn_amt"]) == (
            money(CASH[c["crcy_cd"]]), money(CASH[c["crcy_cd"]]), "0.00")
        assert c["frcr_evlu_amt2"] == money(CASH[c["crcy_cd"]] * KRW[c["crcy_cd"]], 0)
    totals = body["output3"]
    assert list(totals) == PRESENT_TOTAL_KEYS
    deposits_krw = sum(CASH[c] * KRW[c] for c in CASH)
    assert deposits_krw == D("3852000000")
    cost_krw = sum(D(i.price) * OPENING * KRW[{"NASD": "USD", "NYSE": "USD", "AMEX": "USD", "SEHK": "HKD",
                                                "SHAA": "CNY", "SZAA": "CNY", "TKSE": "JPY", "HASE": "VND",
                                                "VNSE": "VND"}[i.exchange]] for i in INSTRUMENTS.values())
    assert (totals["tot_dncl_amt"], totals["wdrw_psbl_tot_amt"], totals["frcr_use_psbl_amt"]) == (
        money(deposits_krw, 0), money(deposits_krw, 0), money(deposits_krw, 0))
    assert totals["pchs_amt_smtl"] == totals["pchs_amt_smtl_amt"] == money(cost_krw, 0)
    assert D(totals["tot_asst_amt"]) == deposits_krw + D(totals["evlu_amt_smtl"])


def test_present_balance_values_one_market(world: World) -> None:
    """NATN_CD 840 + TR_MKET_CD 02 = NYSE: IBM alone, at its price 250.00; a pending buy's reservation."""
    kis = world.real()
    odno = kis.placed(IBM, 10, "240.00")
    body = ok(present(kis, natn="840", market="02"))
    (ibm,) = body["output1"]
    assert ibm == {
        "cblc_qty13": "100000", "thdt_buy_ccld_qty1": "0", "thdt_sll_ccld_qty1": "0", "ccld_qty_smtl1": "100000",
        "ord_psbl_qty1": "100000", "frcr_pchs_amt": "25000000.00", "frcr_evlu_amt2": "25000000.00",
        "evlu_pfls_amt2": "0.00", "evlu_pfls_rt1": "0.00", "pdno": "IBM", "prdt_name": "IBM",
        "bass_exrt": "1350.0000", "buy_crcy_cd": "USD", "ovrs_now_pric1": "250.0000", "avg_unpr3": "250.0000",
        "tr_mket_name": "뉴욕거래소", "natn_kor_name": "미국", "pchs_rmnd_wcrc_amt": "33750000000",
        "thdt_buy_ccld_frcr_amt": "0.00", "thdt_sll_ccld_frcr_amt": "0.00", "unit_amt": "0", "std_pdno": "IBM",
        "prdt_type_cd": "513", "loan_rmnd": "0", "loan_dt": "", "loan_expd_dt": "", "ovrs_excg_cd": "NYSE",
        "item_lnkg_excg_cd": "NYSE"}
    (usd,) = body["output2"]
    assert (usd["crcy_cd"], usd["frcr_dncl_amt_2"], usd["frcr_buy_mgn_amt"], usd["frcr_drwg_psbl_amt_1"]) == (
        "USD", "1000000.00", "2400.00", "997600.00")
    totals = body["output3"]  # one country, foreign currency: dollars
    assert (totals["pchs_amt_smtl"], totals["evlu_amt_smtl"], totals["tot_dncl_amt"], totals["buy_mgn_amt"],
            totals["frcr_use_psbl_amt"], totals["tot_asst_amt"]) == (
        "25000000.00", "25000000.00", "1000000.00", "2400.00", "997600.00", "26000000.00")
    in_won = ok(present(kis, wcrc="01", natn="840", market="02"))
    (ibm_won,) = in_won["output1"]
    assert (ibm_won["frcr_pchs_amt"], ibm_won["frcr_evlu_amt2"], ibm_won["avg_unpr3"]) == (
        "33750000000", "33750000000", "250.0000")
    assert (in_won["output3"]["pchs_amt_smtl"], in_won["output3"]["tot_dncl_amt"]) == ("33750000000", "1350000000")
    expect_order_ok(kis.cancel(IBM, odno), codes.CANCEL_OK.real)
    assert ok(present(kis, natn="840", market="02"))["output2"][0]["frcr_buy_mgn_amt"] == "0.00"


def test_present_balance_filters(world: World) -> None:
    kis = world.real()
    assert [r["pdno"] for r in ok(present(kis, natn="392"))["output1"]] == ["7203", "9984"]
    assert [r["pdno"] for r in ok(present(kis, natn="704", market="02"))["output1"]] == ["VNM"]
    assert [r["pdno"] for r in ok(present(kis, natn="156", market="03"))["output1"]] == ["600519"]
    assert ok(present(kis, natn="840", market="03"))["output1"] == []  # PINK SHEETS: nothing held there
    mini = ok(present(kis, inqr="02"))  # mini-stocks: none
    assert mini["output1"] == [] and len(mini["output2"]) == 5
    expect_ops(present(kis, natn="000", market="01"), Ops.BAD_MARKET)
    expect_ops(present(kis, natn="840", market="09"), Ops.BAD_MARKET)
    expect_ops(present(kis, natn="999"), Ops.BAD_FIELD, "ERROR INVALID INPUT [NATN_CD]")
    expect_ops(present(kis, wcrc="03"), Ops.BAD_FIELD, "ERROR INVALID INPUT [WCRC_FRCR_DVSN_CD]")


def test_present_balance_mock_fills_output3_only(world: World) -> None:
    kis = world.mock()
    reply = present(kis)
    body = ok(reply)
    assert list(body) == ["rt_cd", "msg_cd", "msg1", "output1", "output2", "output3"]
    assert body["output1"] == [] and body["output2"] == []
    assert list(body["output3"]) == PRESENT_TOTAL_KEYS
    assert body["output3"]["tot_dncl_amt"] == "3852000000"
    assert reply.headers["tr_cont"] == "D" and reply.headers["tr_id"] == "VTRP6504R"
    dollars = ok(present(kis, natn="840", market="02"))["output3"]
    assert (dollars["pchs_amt_smtl"], dollars["tot_dncl_amt"]) == ("25000000.00", "1000000.00")


# --------------------------------------------------------------------------------------------------
# gateway: TR families, accounts


@pytest.mark.parametrize(("call", "real_tr", "mock_tr"), [
    (lambda kis, tr: balance(kis, tr_id=tr), "TTTS3012R", "VTTS3012R"),
    (lambda kis, tr: psamount(kis, "NASD", "AAPL", "190.00", tr_id=tr), "TTTS3007R", "VTTS3007R"),
    (lambda kis, tr: present(kis, tr_id=tr), "CTRP6504R", "VTRP6504R"),
], ids=["balance", "psamount", "present-balance"])
def test_wrong_tr_family(world: World, call: Any, real_tr: str, mock_tr: str) -> None:
    real, mock = world.shared(Env.REAL), world.shared(Env.MOCK)
    assert tr_for(TR_TABLE[real_tr].api, Env.REAL) == real_tr and tr_for(TR_TABLE[mock_tr].api, Env.MOCK) == mock_tr
    expect_gateway(call(mock, real_tr), Gateway.NOT_MOCK_TR)
    expect_gateway(call(real, mock_tr), Gateway.MOCK_KEY_ON_REAL, REAL_APP_MOCK_TR_TEXT)
    expect_ops(call(real, "TTTS3018R"), Ops.SERVICE_NOT_FOUND)  # another API's TR on this path
    ok(call(real, real_tr))
    ok(call(mock, mock_tr))


def test_inquiry_trs_on_other_paths(world: World) -> None:
    kis = world.shared(Env.REAL)
    for tr in ("TTTS3012R", "TTTS3007R", "CTRP6504R"):
        expect_ops(kis.get(NCCS_PATH, tr, {"CANO": kis.cano, "ACNT_PRDT_CD": kis.prdt, "OVRS_EXCG_CD": "NASD"}),
                   Ops.SERVICE_NOT_FOUND)


@pytest.mark.parametrize("env", ENVS)
def test_account_ownership(world: World, env: Env) -> None:
    mine, other = world.fresh(env), world.fresh(env)
    stranger = mine.with_account(other.account)
    for reply in (balance(stranger), psamount(stranger, "NASD", "AAPL", "190.00"), present(stranger)):
        expect_ops(reply, Ops.BAD_ACCOUNT)
        assert reply.body["msg1"] == "ERROR : INPUT INVALID_CHECK_ACNO"
