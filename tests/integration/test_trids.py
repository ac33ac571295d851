"""Every TR ID of the TR table, in both environments (PROTOCOL §1, §4–§7, A1, A2, B9)."""

from __future__ import annotations

import pytest

from localkis.protocol import codes
from localkis.protocol.codes import REAL_APP_MOCK_TR_TEXT, Gateway, Ops
from localkis.protocol.env import Env
from localkis.protocol.orders import Side
from localkis.protocol.reasons import Reason
from localkis.protocol.trids import TR_TABLE
from tests.integration.conftest import (
    BY_MARKET,
    INSTRUMENTS,
    NCCS_PATH,
    ORDER_PATH,
    RVSECNCL_PATH,
    World,
    expect_business,
    expect_gateway,
    expect_message,
    expect_ops,
    expect_order_ok,
)

# PROTOCOL §4, literally: market, exchanges, buy real, sell real, buy mock, sell mock.
ORDER_TRS = [
    ("US", ("NASD", "NYSE", "AMEX"), "TTTT1002U", "TTTT1006U", "VTTT1002U", "VTTT1001U"),
    ("JP", ("TKSE",), "TTTS0308U", "TTTS0307U", "VTTS0308U", "VTTS0307U"),
    ("SH", ("SHAA",), "TTTS0202U", "TTTS1005U", "VTTS0202U", "VTTS1005U"),
    ("HK", ("SEHK",), "TTTS1002U", "TTTS1001U", "VTTS1002U", "VTTS1001U"),
    ("SZ", ("SZAA",), "TTTS0305U", "TTTS0304U", "VTTS0305U", "VTTS0304U"),
    ("VN", ("HASE", "VNSE"), "TTTS0311U", "TTTS0310U", "VTTS0311U", "VTTS0310U"),
]
# PROTOCOL §5: market, real TR, mock TR, revise allowed.
RVSECNCL_TRS = [
    ("US", "TTTT1004U", "VTTT1004U", True),
    ("HK", "TTTS1003U", "VTTS1003U", True),
    ("JP", "TTTS0309U", "VTTS0309U", True),
    ("SH", "TTTS0302U", "VTTS0302U", False),
    ("SZ", "TTTS0306U", "VTTS0306U", False),
    ("VN", "TTTS0312U", "VTTS0312U", False),
]
OTHER_TRS = {"JTTT1002U", "JTTT1006U", "VTTT1006U", "TTTS3018R", "VTTS3018R", "TTTS3035R", "VTTS3035R",
             "HHDFS00000300", "CTPF1604R",
             # account inquiries (PROTOCOL §8) and the legacy names clients still send
             "TTTS3012R", "VTTS3012R", "JTTT3012R", "VTTT3012R", "TTTS3007R", "VTTS3007R", "JTTT3007R",
             "CTRP6504R", "VTRP6504R",
             # reservations and US daytime trading (REST-NEXT §2–§6)
             "TTTT3014U", "TTTT3016U", "TTTS3013U", "VTTT3014U", "VTTT3016U", "VTTS3013U", "TTTT3017U",
             "VTTT3017U", "TTTT3039R", "TTTS3014R", "VTTT3039R", "VTTS3014R",
             "TTTS6036U", "TTTS6037U", "TTTS6038U", "VTTS6036U", "VTTS6037U", "VTTS6038U",
             # account history and P/L (REST-NEXT §14–§17)
             "TTTS3039R", "VTTS3039R", "TTTC2101R", "VTTC2101R", "CTOS4001R", "VTOS4001R", "CTRP6010R",
             "VTRP6010R",
             # market data (REST-NEXT §7–§13) and python-kis's domestic calls (§18)
             "HHDFS76200200", "HHDFS76240000", "FHKST03030100", "HHDFS76950200", "HHDFS76200100", "CTPF1702R",
             "CTOS5011R", "FHKST01010100", "TTTC8434R", "VTTC8434R", "TTTC8036R"}
# One TR in both environments.
SHARED_TRS = {"HHDFS00000300", "CTPF1604R", "HHDFS76200200", "HHDFS76240000", "FHKST03030100", "HHDFS76950200",
              "HHDFS76200100", "CTPF1702R", "CTOS5011R", "FHKST01010100"}

BY_EXCHANGE = {"NASD": INSTRUMENTS["AAPL"], "NYSE": INSTRUMENTS["IBM"], "AMEX": INSTRUMENTS["SPY"],
               "TKSE": INSTRUMENTS["7203"], "SHAA": INSTRUMENTS["600519"], "SEHK": INSTRUMENTS["00700"],
               "SZAA": INSTRUMENTS["000001"], "HASE": INSTRUMENTS["SHB"], "VNSE": INSTRUMENTS["VNM"]}

ORDER_CASES = [
    pytest.param(env, tr, exchange, side, id=f"{tr}-{exchange}")
    for _market, exchanges, buy_r, sell_r, buy_m, sell_m in ORDER_TRS
    for exchange in exchanges
    for env, side, tr in ((Env.REAL, Side.BUY, buy_r), (Env.REAL, Side.SELL, sell_r),
                          (Env.MOCK, Side.BUY, buy_m), (Env.MOCK, Side.SELL, sell_m))
]
RVSECNCL_CASES = [
    pytest.param(env, market, tr, revisable, id=tr)
    for market, real, mock, revisable in RVSECNCL_TRS
    for env, tr in ((Env.REAL, real), (Env.MOCK, mock))
]


def test_tr_table_is_exactly_the_documented_trs() -> None:
    documented = {tr for row in ORDER_TRS for tr in row[2:]} | {tr for row in RVSECNCL_TRS for tr in row[1:3]}
    assert set(TR_TABLE) == documented | OTHER_TRS
    for tr in documented | OTHER_TRS:
        spec = TR_TABLE[tr]
        assert spec.env is (None if tr in SHARED_TRS else Env.MOCK if tr[0] == "V" else Env.REAL)


def test_literal_success_codes() -> None:
    def pair(m: codes.Message) -> tuple[str, str]:
        return m.code, m.text

    assert pair(codes.ORDER_BUY_OK.real) == ("APBK0013", "주문 전송 완료 되었습니다.")
    assert pair(codes.ORDER_BUY_OK.mock) == ("40600000", "모의투자 매수주문이 완료 되었습니다.")
    assert pair(codes.REVISE_OK.mock) == ("40620000", "모의투자 정정주문이 완료 되었습니다.")
    assert pair(codes.CANCEL_OK.mock) == ("40630000", "모의투자 취소주문이 완료 되었습니다.")
    assert codes.REVISE_OK.real == codes.CANCEL_OK.real == codes.ORDER_SELL_OK.real == codes.ORDER_BUY_OK.real


@pytest.mark.parametrize(("env", "tr_id", "exchange", "side"), ORDER_CASES)
def test_order_with_every_order_tr(world: World, env: Env, tr_id: str, exchange: str, side: Side) -> None:
    kis = world.fresh(env)
    inst = BY_EXCHANGE[exchange]
    order = kis.buy if side is Side.BUY else kis.sell
    reply = order(inst, tr_id=tr_id)
    ok = codes.ORDER_BUY_OK if side is Side.BUY else codes.ORDER_SELL_OK
    odno = expect_order_ok(reply, ok.for_env(env))
    if env is Env.MOCK and side is Side.BUY:
        assert (reply.body["msg_cd"], reply.body["msg1"]) == ("40600000", "모의투자 매수주문이 완료 되었습니다.")
    if env is Env.REAL:
        assert (reply.body["msg_cd"], reply.body["msg1"]) == ("APBK0013", "주문 전송 완료 되었습니다.")
    row = world.admin.order(odno)
    assert (row["exchange"], row["symbol"], row["side"], row["quantity"], row["kind"], row["open"]) == (
        exchange, inst.symbol, side.value, inst.lot, "00", inst.lot)
    assert row["account"] == kis.account


@pytest.mark.parametrize(("env", "market", "tr_id", "revisable"), RVSECNCL_CASES)
def test_revise_cancel_with_every_tr(world: World, env: Env, market: str, tr_id: str, revisable: bool) -> None:
    kis = world.fresh(env)
    inst = BY_MARKET[market]
    odno = kis.placed(inst, inst.lot * 2)
    if revisable:
        revised = expect_order_ok(kis.revise(inst, odno, 0, inst.other, tr_id=tr_id), codes.REVISE_OK.for_env(env))
        cancelled = expect_order_ok(kis.cancel(inst, revised, tr_id=tr_id), codes.CANCEL_OK.for_env(env))
        assert world.admin.order(odno)["state"] == "replaced"
        assert world.admin.order(revised)["state"] == "cancelled"
        assert world.admin.order(cancelled)["orgn_odno"] == revised
    else:
        before = world.admin.orders()
        expect_business(kis.revise(inst, odno, 0, inst.other, tr_id=tr_id), Reason.REVISE_NOT_ALLOWED, env)
        assert world.admin.orders() == before
        cancelled = expect_order_ok(kis.cancel(inst, odno, tr_id=tr_id), codes.CANCEL_OK.for_env(env))
        assert world.admin.order(odno)["state"] == "cancelled"
        assert world.admin.order(cancelled)["orgn_odno"] == odno
    if env is Env.MOCK:
        assert world.admin.order(cancelled)["kind"] == "02"


@pytest.mark.parametrize(("alias", "side"), [("JTTT1002U", Side.BUY), ("JTTT1006U", Side.SELL)])
def test_legacy_real_us_aliases(world: World, alias: str, side: Side) -> None:
    kis = world.real()
    reply = kis.order("NASD", "AAPL", 3, "190.00", side=side, tr_id=alias)
    ok = codes.ORDER_BUY_OK if side is Side.BUY else codes.ORDER_SELL_OK
    odno = expect_order_ok(reply, ok.real)
    assert world.admin.order(odno)["side"] == side.value
    assert reply.headers["tr_id"] == alias
    # a mock app may not use them: they are real TRs
    mock = world.mock()
    expect_gateway(mock.order("NASD", "AAPL", 3, "190.00", side=side, tr_id=alias), Gateway.NOT_MOCK_TR)


def test_vttt1006u_is_not_offered_by_default(world: World) -> None:
    kis = world.mock()
    before = world.admin.orders()
    reply = kis.order("NASD", "AAPL", 1, "190.00", side=Side.SELL, tr_id="VTTT1006U")
    expect_message(reply, codes.NOT_IN_MOCK)
    assert reply.body == {"rt_cd": "1", "msg_cd": "90000000", "msg1": "모의투자에서는 해당업무가 제공되지 않습니다."}
    assert world.admin.orders() == before
    odno = expect_order_ok(kis.order("NASD", "AAPL", 1, "190.00", side=Side.SELL, tr_id="VTTT1001U"),
                           codes.ORDER_SELL_OK.mock)
    assert world.admin.order(odno)["side"] == Side.SELL.value


def test_vttt1006u_accepted_with_switch(switched: World) -> None:
    kis = switched.mock()
    odno = expect_order_ok(kis.order("NASD", "AAPL", 1, "190.00", side=Side.SELL, tr_id="VTTT1006U"),
                           codes.ORDER_SELL_OK.mock)
    row = switched.admin.order(odno)
    assert (row["side"], row["symbol"], row["quantity"]) == (Side.SELL.value, "AAPL", 1)
    # still a mock TR: a real app cannot use it
    real = switched.real()
    expect_gateway(real.order("NASD", "AAPL", 1, "190.00", side=Side.SELL, tr_id="VTTT1006U"),
                   Gateway.MOCK_KEY_ON_REAL, REAL_APP_MOCK_TR_TEXT)


def test_vtts3018r_served_by_default(world: World) -> None:
    kis = world.mock()
    odno = kis.placed(INSTRUMENTS["AAPL"])
    reply = kis.nccs("NASD", sort="DS", tr_id="VTTS3018R")
    assert reply.status == 200 and reply.body["rt_cd"] == "0", reply
    assert reply.body["msg_cd"] == "KIOK0510"
    assert [r["odno"] for r in reply.body["output"]] == [odno]


def test_vtts3018r_not_offered_in_strict_mock(switched: World) -> None:
    kis = switched.mock()
    reply = kis.nccs("NASD", sort="DS", tr_id="VTTS3018R")
    expect_message(reply, codes.NOT_IN_MOCK)
    assert reply.body["msg_cd"] == "90000000"
    # inquire-ccnl remains the mock way to see unfilled orders
    ccnl = kis.ccnl()
    assert ccnl.status == 200 and ccnl.body["rt_cd"] == "0", ccnl


def test_real_tr_from_mock_app(world: World) -> None:
    kis = world.mock()
    before = world.admin.orders()
    reply = kis.order("NASD", "AAPL", 1, "190.00", tr_id="TTTT1002U")
    expect_gateway(reply, Gateway.NOT_MOCK_TR)
    assert reply.body == {"rt_cd": "1", "msg1": "모의투자 TR 이 아닙니다.", "msg_cd": "EGW02006"}
    expect_gateway(kis.nccs(tr_id="TTTS3018R"), Gateway.NOT_MOCK_TR)
    expect_gateway(kis.cancel(INSTRUMENTS["AAPL"], "0000000001", tr_id="TTTT1004U"), Gateway.NOT_MOCK_TR)
    assert world.admin.orders() == before


def test_mock_tr_from_real_app(world: World) -> None:
    kis = world.real()
    before = world.admin.orders()
    reply = kis.order("NASD", "AAPL", 1, "190.00", tr_id="VTTT1002U")
    expect_gateway(reply, Gateway.MOCK_KEY_ON_REAL, REAL_APP_MOCK_TR_TEXT)
    assert reply.body["msg_cd"] == "EGW02004"
    expect_gateway(kis.nccs(tr_id="VTTS3018R"), Gateway.MOCK_KEY_ON_REAL, REAL_APP_MOCK_TR_TEXT)
    assert world.admin.orders() == before


def test_shared_trs_serve_both_envs(world: World) -> None:
    for kis in (world.real(), world.mock()):
        quote = kis.quote("NAS", "AAPL")
        assert quote.status == 200 and quote.body["rt_cd"] == "0", quote
        info = kis.search_info("AAPL", "512")
        assert info.status == 200 and info.body["rt_cd"] == "0", info


@pytest.mark.parametrize(("path", "method", "tr_id"), [
    (ORDER_PATH, "POST", "TTTS3018R"),
    (ORDER_PATH, "POST", "TTTT1004U"),
    (RVSECNCL_PATH, "POST", "TTTT1002U"),
    (NCCS_PATH, "GET", "TTTS3035R"),
    (NCCS_PATH, "GET", "TTTT1002U"),
    (ORDER_PATH, "POST", "HHDFS00000300"),
])
def test_tr_of_another_api(world: World, path: str, method: str, tr_id: str) -> None:
    kis = world.real()
    before = world.admin.orders()
    if method == "POST":
        reply = kis.post(path, tr_id, kis.order_body("NASD", "AAPL", 1, "190.00"))
    else:
        reply = kis.get(path, tr_id, {"CANO": kis.cano, "ACNT_PRDT_CD": kis.prdt, "OVRS_EXCG_CD": "NASD"})
    expect_ops(reply, Ops.SERVICE_NOT_FOUND)
    assert reply.body == {"rt_cd": "1", "msg1": "없는 서비스 코드 입니다.", "msg_cd": "OPSQ0002"}
    assert world.admin.orders() == before


@pytest.mark.parametrize(("env", "tr_id", "exchange"), [
    (Env.REAL, "TTTT1002U", "SEHK"),
    (Env.REAL, "TTTS1002U", "NASD"),
    (Env.REAL, "TTTS0311U", "SHAA"),
    (Env.MOCK, "VTTS0308U", "NYSE"),
    (Env.MOCK, "VTTT1001U", "TKSE"),
])
def test_order_tr_market_differs_from_exchange(world: World, env: Env, tr_id: str, exchange: str) -> None:
    kis = world.fresh(env)
    inst = BY_EXCHANGE[exchange]
    before = world.admin.orders()
    reply = kis.order(exchange, inst.symbol, inst.lot, inst.price, tr_id=tr_id)
    expect_ops(reply, Ops.BAD_MARKET)
    assert reply.body["msg1"] == "ERROR : INPUT INVALID_CHECK_MRKT_DIV_CODE"
    assert world.admin.orders() == before


def test_rvsecncl_tr_market_differs_from_exchange(world: World) -> None:
    kis = world.real()
    aapl = INSTRUMENTS["AAPL"]
    odno = kis.placed(aapl)
    before = world.admin.orders()
    expect_ops(kis.cancel(aapl, odno, tr_id="TTTS1003U"), Ops.BAD_MARKET)
    expect_ops(kis.revise(aapl, odno, 0, aapl.other, tr_id="TTTS0309U"), Ops.BAD_MARKET)
    assert world.admin.orders() == before


@pytest.mark.parametrize("env", [Env.REAL, Env.MOCK])
def test_unknown_exchange(world: World, env: Env) -> None:
    kis = world.fresh(env)
    before = world.admin.orders()
    reply = kis.order("NASX", "AAPL", 1, "190.00", tr_id=kis.order_tr("NASD", Side.BUY))
    expect_business(reply, Reason.UNKNOWN_SYMBOL, env)
    if env is Env.REAL:
        assert reply.body == {"rt_cd": "1", "msg_cd": "APBK0656", "msg1": "해당종목정보가 없습니다."}
    # unknown symbol on a known exchange: the same answer
    expect_business(kis.order("NASD", "ZZZZ", 1, "190.00"), Reason.UNKNOWN_SYMBOL, env)
    # and on revise/cancel
    expect_business(kis.rvsecncl("NASX", "AAPL", "0000000001", "02", 0, "0", tr_id=kis.rvsecncl_tr("NASD")),
                    Reason.UNKNOWN_SYMBOL, env)
    assert world.admin.orders() == before
