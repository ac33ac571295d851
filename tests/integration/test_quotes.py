"""Quotation HHDFS00000300 and search-info CTPF1604R, as python-kis needs them (PROTOCOL §10, B8)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from localkis.protocol import codes
from localkis.protocol.codes import Ops
from localkis.protocol.env import Env
from tests.integration.conftest import PRICE_PATH, World, expect_ops, start_world

QUOTE_KEYS = ["rsym", "zdiv", "base", "pvol", "last", "sign", "diff", "rate", "tvol", "tamt", "ordy"]
ENVS = [pytest.param(Env.REAL, id="real"), pytest.param(Env.MOCK, id="mock")]


@pytest.fixture(scope="module")
def untraded_world(tmp_path_factory: pytest.TempPathFactory, backend: str) -> Iterator[World]:
    """A server on which nothing has traded: every quote shows its configured price. (On the shared server
    other modules' prints and test fills move prices, and since test fills are trades of the bars, even a
    fill of a resting order moves an instrument's `last`.)"""
    yield from start_world(tmp_path_factory, "quotes", count=2, prefix="7", backend=backend)


@pytest.mark.parametrize("env", ENVS)
@pytest.mark.parametrize(("excd", "symb", "last"), [
    ("NAS", "AAPL", "190.0000"), ("NAS", "PENY", "0.5000"), ("NYS", "IBM", "250.0000"), ("AMS", "SPY", "600.0000"),
    ("HKS", "00700", "480.000"), ("TSE", "7203", "2500.0"), ("SHS", "600519", "1500.00"),
    ("SZS", "000001", "11.50"), ("HSX", "VNM", "60000"), ("HNX", "SHB", "10000"),
])
def test_quote(untraded_world: World, env: Env, excd: str, symb: str, last: str) -> None:
    kis = untraded_world.shared(env)
    reply = kis.quote(excd, symb)
    assert reply.status == 200, reply
    assert reply.headers["tr_id"] == "HHDFS00000300"
    body = reply.body
    assert (body["rt_cd"], body["msg_cd"], body["msg1"]) == ("0", codes.QUOTE_OK.code, codes.QUOTE_OK.text)
    assert list(body["output"]) == QUOTE_KEYS
    out = body["output"]
    # base: the previous session's close, from the bars (a fresh server's backfill ends at the configured price)
    assert out["last"] == last and out["base"] != "" and ("." in out["base"]) == ("." in last)
    assert int(out["tvol"]) > 0 and int(out["pvol"]) > 0
    assert out["rsym"] == f"D{excd}{symb}"
    assert out["ordy"] != ""


@pytest.mark.parametrize(("excd", "symb"), [("NAS", "ZZZZ"), ("NASD", "AAPL"), ("NYS", "AAPL"), ("XXX", "AAPL")])
def test_quote_unknown_is_blank(world: World, excd: str, symb: str) -> None:
    """An unknown symbol, or the order-side code NASD instead of NAS, answers with blank output."""
    reply = world.shared(Env.REAL).quote(excd, symb)
    assert reply.status == 200, reply
    assert reply.body["rt_cd"] == "0"
    assert reply.body["output"] == dict.fromkeys(QUOTE_KEYS, "")


def test_quote_query_errors(untraded_world: World) -> None:
    kis = untraded_world.shared(Env.REAL)
    expect_ops(kis.get(PRICE_PATH, "HHDFS00000300", {"AUTH": "", "EXCD": "NAS"}), Ops.BAD_FIELD,
               "ERROR INVALID INPUT_FILED_SIZE [SYMB] [0]")
    ok = kis.get(PRICE_PATH, "HHDFS00000300", {"excd": "NAS", "symb": "AAPL"})  # no AUTH, lowercase keys
    assert ok.status == 200 and ok.body["output"]["last"] == "190.0000", ok


@pytest.mark.parametrize("env", ENVS)
@pytest.mark.parametrize(("pdno", "type_cd", "name"), [
    ("AAPL", "512", "애플"), ("IBM", "513", "IBM"), ("SPY", "529", "SPDR S&P500"), ("7203", "515", "도요타"),
])
def test_search_info(world: World, env: Env, pdno: str, type_cd: str, name: str) -> None:
    reply = world.shared(env).search_info(pdno, type_cd)
    assert reply.status == 200, reply
    body = reply.body
    assert (body["rt_cd"], body["msg_cd"], body["msg1"]) == ("0", codes.SEARCH_INFO_OK.code, codes.SEARCH_INFO_OK.text)
    out = body["output"]
    for key in ("shtn_pdno", "std_pdno", "prdt_abrv_name", "prdt_name120", "prdt_eng_abrv_name",
                "prdt_eng_name120", "prdt_type_cd"):
        assert out[key], (key, out)
    assert (out["shtn_pdno"], out["std_pdno"], out["prdt_type_cd"], out["prdt_name120"], out["prdt_abrv_name"]) == (
        pdno, pdno, type_cd, name, name)
    assert reply.headers["tr_id"] == "CTPF1604R"


@pytest.mark.parametrize(("pdno", "type_cd"), [("ZZZZ", "512"), ("AAPL", "513"), ("AAPL", "999")])
def test_search_info_unknown(world: World, pdno: str, type_cd: str) -> None:
    reply = world.shared(Env.REAL).search_info(pdno, type_cd)
    assert reply.status == 200, reply
    assert reply.body == {"rt_cd": "1", "msg_cd": "KIOK0560", "msg1": codes.INQUIRY_EMPTY.text}


def test_single_page_inquiries_answer_tr_cont_d(world: World) -> None:
    """The official samples read tr_cont from every inquiry answer (price() unconditionally)."""
    kis = world.shared(Env.REAL)
    assert kis.quote("NAS", "AAPL").headers["tr_cont"] == "D"
    assert kis.search_info("AAPL", "512").headers["tr_cont"] == "D"
