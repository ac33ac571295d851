"""Market data over HTTP (REST-NEXT §7–§13, §18): fields, paging, codes, the mock refusal, bars from prints.

A server of its own (prints move its prices), clock frozen on a New York trading morning."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from localkis.protocol import codes
from localkis.protocol.apis import Api, path_of
from localkis.protocol.codes import Ops
from localkis.protocol.env import Env
from localkis.wire import quotations as wq
from tests.integration.conftest import Kis, Reply, World, check_alive, expect_message, expect_ops, start_world

NOW = "2026-12-01T15:00:00+00:00"  # Tuesday 10:00 in New York
TODAY = "20261201"


@pytest.fixture(scope="module")
def md_world(tmp_path_factory: pytest.TempPathFactory, backend: str) -> Iterator[World]:
    for world in start_world(tmp_path_factory, "market", count=6, prefix="3", backend=backend):
        world.admin.set_clock(NOW)
        yield world


@pytest.fixture
def md(md_world: World) -> World:
    return check_alive(md_world)


def _get(kis: Kis, api: Api, tr_id: str, params: dict[str, str]) -> Reply:
    reply = kis.get(path_of(api), tr_id, params)
    assert reply.status == 200, reply
    assert reply.headers["tr_id"] == tr_id and reply.headers["tr_cont"] == "D", reply.headers
    return reply


def _ok(reply: Reply) -> dict[str, Any]:
    body: dict[str, Any] = reply.body
    assert body["rt_cd"] == "0", body
    return body


def _print(world: World, symbol: str, price: str, size: int, exchange: str = "NASD") -> None:
    resp = world.admin.http.post("/localkis/admin/prices",
                                 json={"exchange": exchange, "symbol": symbol, "price": price, "size": size})
    assert resp.status_code == 200, resp.text


def _daily(kis: Kis, symb: str, bymd: str = "", gubn: str = "0") -> dict[str, Any]:
    return _ok(_get(kis, Api.DAILY_PRICE, "HHDFS76240000", {"AUTH": "", "EXCD": "NAS", "SYMB": symb, "GUBN": gubn,
                                                          "BYMD": bymd, "MODP": "0", "KEYB": ""}))


def _minutes(kis: Kis, symb: str, *, nmin: int = 1, nrec: int = 120, keyb: str = "") -> dict[str, Any]:
    return _ok(_get(kis, Api.MINUTE_CHART, "HHDFS76950200", {
        "AUTH": "", "EXCD": "NAS", "SYMB": symb, "NMIN": str(nmin), "PINC": "1", "NEXT": "1" if keyb else "",
        "NREC": str(nrec), "FILL": "", "KEYB": keyb}))


@pytest.mark.parametrize("env", [Env.REAL, Env.MOCK])
def test_price_detail(md: World, env: Env) -> None:
    body = _ok(_get(md.shared(env), Api.PRICE_DETAIL, "HHDFS76200200", {"AUTH": "", "EXCD": "NYS", "SYMB": "IBM"}))
    out = body["output"]
    assert tuple(out) == wq.PRICE_DETAIL_KEYS
    assert out["rsym"] == "DNYSIBM" and out["last"] == "250.0000" and out["curr"] == "USD"
    # A fresh server has a year of backfilled bars: the previous close and 52-week range come from them.
    assert out["base"] != "" and out["h52p"] >= out["last"] >= out["l52p"] and len(out["h52d"]) == 8
    assert (body["msg_cd"], body["msg1"]) == ("MCA00000", "정상처리 되었습니다.")
    unknown = _ok(_get(md.shared(env), Api.PRICE_DETAIL, "HHDFS76200200", {"EXCD": "NAS", "SYMB": "NOPE"}))
    assert unknown["output"] == dict.fromkeys(wq.PRICE_DETAIL_KEYS, "")


def test_dailyprice_pages_back_through_a_year(md: World) -> None:
    kis = md.shared(Env.REAL)
    seen: list[str] = []
    bymd = ""
    for _ in range(5):
        body = _daily(kis, "TSLA", bymd)
        rows = body["output2"]
        assert body["output1"]["rsym"] == "DNASTSLA" and body["output1"]["nrec"] == str(len(rows))
        if not rows:
            break
        assert all(tuple(r) == wq.DAILY_PRICE_ROW_KEYS for r in rows)
        seen += [r["xymd"] for r in rows]
        oldest = datetime.strptime(rows[-1]["xymd"], "%Y%m%d").date()
        bymd = (oldest - timedelta(days=1)).strftime("%Y%m%d")
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen))
    assert len(seen) >= 250  # the backfill, plus today once printed
    assert seen[0] < TODAY or seen[0] == TODAY
    weekly = _daily(kis, "TSLA", gubn="1")["output2"]
    assert 45 <= len(weekly) <= 100 and weekly[0]["xymd"] <= TODAY


def test_prints_show_in_the_bars(md: World) -> None:
    kis = md.shared(Env.REAL)
    before = _daily(kis, "AAPL")["output2"][0]  # rendered answers are cached until the next print
    assert before["xymd"] < TODAY
    _minutes(kis, "AAPL", nrec=5)
    _print(md, "AAPL", "191.25", 10)
    _print(md, "AAPL", "190.50", 5)
    today = _daily(kis, "AAPL")["output2"][0]
    assert (today["xymd"], today["clos"], today["high"], today["low"], today["tvol"]) == (
        TODAY, "190.5000", "191.2500", "190.5000", "15")
    minute = _minutes(kis, "AAPL", nrec=5)["output2"][0]
    assert (minute["xymd"], minute["xhms"], minute["last"], minute["evol"]) == (TODAY, "100000", "190.5000", "15")
    detail = _ok(_get(kis, Api.PRICE_DETAIL, "HHDFS76200200", {"EXCD": "NAS", "SYMB": "AAPL"}))["output"]
    assert (detail["last"], detail["open"], detail["high"], detail["tvol"]) == ("190.5000", "191.2500", "191.2500",
                                                                               "15")


def test_minute_chart_pages_across_days(md: World) -> None:
    kis = md.shared(Env.REAL)
    first = _minutes(kis, "PENY")
    assert tuple(first["output1"]) == wq.MINUTE_SUMMARY_KEYS
    assert first["output1"]["next"] == "1" and first["output1"]["nrec"] == "120"
    assert (first["output1"]["stim"], first["output1"]["etim"]) == ("093000", "160000")
    stamps: list[str] = []
    body = first
    for _ in range(12):
        rows = body["output2"]
        stamps += [r["xymd"] + r["xhms"] for r in rows]
        if body["output1"]["next"] != "1":
            break
        oldest = datetime.strptime(stamps[-1], "%Y%m%d%H%M%S") - timedelta(minutes=1)
        body = _minutes(kis, "PENY", keyb=oldest.strftime("%Y%m%d%H%M%S"))
    assert stamps == sorted(stamps, reverse=True) and len(stamps) == len(set(stamps))
    assert len({s[:8] for s in stamps}) >= 3  # several sessions
    five = _minutes(kis, "PENY", nmin=5, nrec=10)["output2"]
    assert len(five) == 10 and all(int(r["xhms"][2:4]) % 5 == 0 for r in five)


def test_asking_price(md: World) -> None:
    kis = md.shared(Env.REAL)
    us = _ok(_get(kis, Api.ASKING_PRICE, "HHDFS76200100", {"AUTH": "", "EXCD": "AMS", "SYMB": "SPY"}))
    book = us["output2"]
    bids = [float(book[f"pbid{i}"]) for i in range(1, 11)]
    asks = [float(book[f"pask{i}"]) for i in range(1, 11)]
    assert bids == sorted(bids, reverse=True) and asks == sorted(asks) and bids[0] < asks[0]
    assert all(int(book[f"vbid{i}"]) > 0 for i in range(1, 11))
    assert us["output1"]["rsym"] == "DAMSSPY" and us["output1"]["last"] == "600.0000"
    hk = _ok(_get(kis, Api.ASKING_PRICE, "HHDFS76200100", {"EXCD": "HKS", "SYMB": "00700"}))["output2"]
    assert hk["pbid1"] != "0.000" and hk["pbid2"] == "0.000" and hk["vask2"] == "0"  # one level outside the US


def test_daily_chartprice(md: World) -> None:
    body = _ok(_get(md.shared(Env.MOCK), Api.DAILY_CHART_PRICE, "FHKST03030100", {
        "FID_COND_MRKT_DIV_CODE": "N", "FID_INPUT_ISCD": "IBM", "FID_INPUT_DATE_1": "20261101",
        "FID_INPUT_DATE_2": TODAY, "FID_PERIOD_DIV_CODE": "D"}))
    assert tuple(body["output1"]) == wq.DAILY_CHART_SUMMARY_KEYS and body["output1"]["stck_shrn_iscd"] == "IBM"
    dates = [r["stck_bsop_date"] for r in body["output2"]]
    assert 15 <= len(dates) <= 23 and dates == sorted(dates, reverse=True) and dates[-1] >= "20261101"


def test_product_info(md: World) -> None:
    kis = md.shared(Env.REAL)
    body = _ok(_get(kis, Api.PRODUCT_INFO, "CTPF1702R", {"PRDT_TYPE_CD": "512", "PDNO": "AAPL"}))
    assert tuple(body["output"]) == wq.PRODUCT_INFO_KEYS
    assert body["output"]["ovrs_excg_cd"] == "NASD" and body["output"]["ovrs_item_name"] == "애플"
    missing = _get(kis, Api.PRODUCT_INFO, "CTPF1702R", {"PRDT_TYPE_CD": "513", "PDNO": "AAPL"}).body
    assert missing["rt_cd"] == "7"


def test_countries_holiday(md: World) -> None:
    kis = md.shared(Env.REAL)
    body = _ok(_get(kis, Api.COUNTRIES_HOLIDAY, "CTOS5011R", {"TRAD_DT": TODAY, "CTX_AREA_NK": "",
                                                              "CTX_AREA_FK": ""}))
    rows = {r["prdt_type_cd"]: r for r in body["output"]}
    assert rows["512"]["acpl_sttl_dt"] == "20261202" and rows["512"]["dmst_sttl_dt"] == "20261203"
    assert body["ctx_area_fk"].strip() == TODAY
    sunday = _ok(_get(kis, Api.COUNTRIES_HOLIDAY, "CTOS5011R", {"TRAD_DT": "20261129"}))
    assert sunday["output"] == [] and sunday["msg1"].startswith("조회할 자료가 없습니다")


def test_domestic_calls_of_python_kis(md: World) -> None:
    real, mock = md.shared(Env.REAL), md.shared(Env.MOCK)
    price = _ok(_get(real, Api.DOMESTIC_PRICE, "FHKST01010100", {"FID_COND_MRKT_DIV_CODE": "J",
                                                                 "FID_INPUT_ISCD": "AAPL"}))
    assert price["output"]["stck_prpr"] == "0"
    for kis, tr in ((real, "TTTC8434R"), (mock, "VTTC8434R")):
        body = _ok(_get(kis, Api.DOMESTIC_BALANCE, tr, {"CANO": kis.cano, "ACNT_PRDT_CD": kis.prdt,
                                                        "CTX_AREA_FK100": "", "CTX_AREA_NK100": ""}))
        assert body["output1"] == [] and body["output2"][0]["dnca_tot_amt"] == "0"
        assert "ctx_area_fk100" in body and "ctx_area_nk100" in body
    revisable = _ok(_get(real, Api.DOMESTIC_REVISABLE, "TTTC8036R", {
        "CANO": real.cano, "ACNT_PRDT_CD": real.prdt, "INQR_DVSN_1": "1", "INQR_DVSN_2": "0"}))
    assert revisable["output"] == []


def test_mock_refusal_under_strict_mock(switched: World) -> None:
    """KIS's mock lacks price-detail, minute bars, the book, product info and settlement dates; with
    strict_mock they are refused to mock apps, while dailyprice and daily-chartprice stay."""
    kis = switched.mock()
    for api, tr, params in ((Api.PRICE_DETAIL, "HHDFS76200200", {"EXCD": "NAS", "SYMB": "AAPL"}),
                            (Api.ASKING_PRICE, "HHDFS76200100", {"EXCD": "NAS", "SYMB": "AAPL"}),
                            (Api.COUNTRIES_HOLIDAY, "CTOS5011R", {"TRAD_DT": TODAY})):
        expect_message(kis.get(path_of(api), tr, params), codes.NOT_IN_MOCK)
    ok = kis.get(path_of(Api.DAILY_PRICE), "HHDFS76240000", {"EXCD": "NAS", "SYMB": "AAPL", "GUBN": "0",
                                                             "MODP": "0"})
    assert ok.status == 200 and ok.body["rt_cd"] == "0", ok
    real = switched.real().get(path_of(Api.PRICE_DETAIL), "HHDFS76200200", {"EXCD": "NAS", "SYMB": "AAPL"})
    assert real.status == 200 and real.body["rt_cd"] == "0", real




def test_v_prefixed_quote_trs_are_unknown(md: World) -> None:
    """The official client's mock mode sends VTOS5011R / VTPF1702R (REST-NEXT §1.2): unknown TRs."""
    kis = md.shared(Env.MOCK)
    expect_ops(kis.get(path_of(Api.COUNTRIES_HOLIDAY), "VTOS5011R", {"TRAD_DT": TODAY}), Ops.SERVICE_NOT_FOUND)
    expect_ops(kis.get(path_of(Api.PRODUCT_INFO), "VTPF1702R", {"PRDT_TYPE_CD": "512", "PDNO": "AAPL"}),
               Ops.SERVICE_NOT_FOUND)
