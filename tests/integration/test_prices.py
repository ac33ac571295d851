"""Prices, ticks, lots, quantities and order types (PROTOCOL §4, Part C, A9, B2, B8)."""

from __future__ import annotations

import pytest

from localkis.protocol import codes
from localkis.protocol.env import Env
from localkis.protocol.orders import Side
from localkis.protocol.reasons import Reason
from tests.integration.conftest import (
    INSTRUMENTS,
    ORDER_PATH,
    Inst,
    World,
    expect_business,
    expect_order_ok,
    row_for,
)

ENVS = [pytest.param(Env.REAL, id="real"), pytest.param(Env.MOCK, id="mock")]
I = INSTRUMENTS  # noqa: E741


def accepted(world: World, env: Env, inst: Inst, qty: int, price: str, side: Side = Side.BUY,
             ord_dvsn: str = "00") -> str:
    kis = world.shared(env)
    reply = kis.order(inst.exchange, inst.symbol, qty, price, side=side, ord_dvsn=ord_dvsn)
    ok = codes.ORDER_BUY_OK if side is Side.BUY else codes.ORDER_SELL_OK
    return expect_order_ok(reply, ok.for_env(env))


def rejected(world: World, env: Env, inst: Inst, qty: int | str, price: str, reason: Reason,
             side: Side = Side.BUY, ord_dvsn: str = "00") -> dict[str, str]:
    kis = world.shared(env)
    before = world.admin.orders()
    reply = kis.order(inst.exchange, inst.symbol, qty, price, side=side, ord_dvsn=ord_dvsn)
    expect_business(reply, reason, env)
    assert world.admin.orders() == before
    body: dict[str, str] = reply.body
    return body


@pytest.mark.parametrize("env", ENVS)
@pytest.mark.parametrize("price", ["0.009", "0.0099", "0", "0.00", "0.0001"])
def test_us_price_below_one_cent(world: World, env: Env, price: str) -> None:
    body = rejected(world, env, I["AAPL"], 1, price, Reason.PRICE_BELOW_MINIMUM)
    if env is Env.REAL:
        assert body == {"rt_cd": "1", "msg_cd": "APBK1507", "msg1": "가격 $0.01 미만시 온라인 주문불가"}


@pytest.mark.parametrize("env", ENVS)
@pytest.mark.parametrize(("symbol", "price"), [
    ("PENY", "0.01"), ("PENY", "0.5001"), ("PENY", "0.9999"), ("AAPL", "1.00"), ("AAPL", "190.0000"),
    ("AAPL", "190"), ("AAPL", "189.99"), ("IBM", "250.5"), ("SPY", "600.00"),
    ("00005", "80.05"), ("00700", "480.20"), ("00700", "500.0"), ("00700", "500.5"),
    ("7203", "2500"), ("7203", "3000"), ("7203", "3005"), ("9984", "6010"),
    ("600519", "1500.01"), ("000001", "11.49"),
    ("VNM", "9990"), ("VNM", "10050"), ("VNM", "60100"), ("SHB", "10100"),
])
def test_on_tick_prices_accepted(world: World, env: Env, symbol: str, price: str) -> None:
    inst = I[symbol]
    odno = accepted(world, env, inst, inst.lot, price)
    row = world.admin.order(odno)
    assert row["symbol"] == symbol and row["quantity"] == inst.lot


@pytest.mark.parametrize("env", ENVS)
@pytest.mark.parametrize(("symbol", "price"), [
    ("AAPL", "190.005"), ("AAPL", "1.0001"), ("PENY", "0.50005"), ("IBM", "250.0001"), ("SPY", "600.009"),
    ("00005", "80.01"), ("00700", "480.10"), ("00700", "500.2"),
    ("7203", "2500.5"), ("7203", "3001"), ("9984", "6005"),
    ("600519", "1500.005"), ("000001", "11.505"),
    ("VNM", "60050"), ("VNM", "9995"), ("VNM", "10010"), ("SHB", "10050"),
])
def test_off_tick_prices_rejected(world: World, env: Env, symbol: str, price: str) -> None:
    rejected(world, env, I[symbol], I[symbol].lot, price, Reason.OFF_TICK)


@pytest.mark.parametrize("env", ENVS)
@pytest.mark.parametrize(("symbol", "qty", "side"), [
    ("7203", 150, Side.BUY), ("7203", 50, Side.SELL), ("9984", 1, Side.BUY),
    ("600519", 150, Side.BUY), ("600519", 50, Side.BUY), ("600519", 150, Side.SELL), ("000001", 120, Side.BUY),
    ("00005", 100, Side.BUY), ("00005", 500, Side.SELL), ("00700", 50, Side.BUY), ("00700", 150, Side.SELL),
    ("VNM", 150, Side.BUY), ("SHB", 101, Side.SELL),
])
def test_bad_lot(world: World, env: Env, symbol: str, qty: int, side: Side) -> None:
    rejected(world, env, I[symbol], qty, I[symbol].price, Reason.BAD_LOT, side=side)


@pytest.mark.parametrize("env", ENVS)
@pytest.mark.parametrize(("symbol", "qty", "side"), [
    ("7203", 100, Side.BUY), ("7203", 1200, Side.SELL), ("600519", 300, Side.BUY),
    ("600519", 50, Side.SELL),  # odd remainder: sell only
    ("00005", 800, Side.BUY), ("00700", 100, Side.SELL),
    ("VNM", 50, Side.BUY), ("SHB", 99, Side.SELL),  # Vietnamese odd lots 1-99
    ("AAPL", 7, Side.BUY),
])
def test_good_lots(world: World, env: Env, symbol: str, qty: int, side: Side) -> None:
    odno = accepted(world, env, I[symbol], qty, I[symbol].price, side=side)
    assert world.admin.order(odno)["quantity"] == qty


@pytest.mark.parametrize("env", ENVS)
@pytest.mark.parametrize(("symbol", "qty"), [("AAPL", "0"), ("7203", "0"), ("00700", "0000"), ("VNM", 600000)])
def test_bad_quantity(world: World, env: Env, symbol: str, qty: str | int) -> None:
    rejected(world, env, I[symbol], qty, I[symbol].price, Reason.BAD_QUANTITY)


@pytest.mark.parametrize("env", ENVS)
def test_market_order_dvsn_01_rejected(world: World, env: Env) -> None:
    body = rejected(world, env, I["AAPL"], 1, "190.00", Reason.BAD_ORDER_TYPE, ord_dvsn="01")
    assert body["msg1"] == ("모의투자 " if env is Env.MOCK else "") + "주문구분 입력오류입니다."


@pytest.mark.parametrize(("symbol", "side", "dvsn", "price"), [
    ("AAPL", Side.BUY, "32", "190.00"),  # LOO
    ("AAPL", Side.BUY, "34", "190.00"),  # LOC
    ("AAPL", Side.SELL, "31", "0"),  # MOO: no limit price
    ("AAPL", Side.SELL, "33", "0"),  # MOC
    ("AAPL", Side.SELL, "36", "190.00"),  # VWAP
    ("00700", Side.SELL, "50", "480.00"),  # HK odd-lot sell
])
def test_real_order_types(world: World, symbol: str, side: Side, dvsn: str, price: str) -> None:
    """Real accepts the documented ORD_DVSN values; mock accepts only "00" (limit)."""
    qty = 50 if dvsn == "50" else 1
    accepted(world, Env.REAL, I[symbol], qty, price, side=side, ord_dvsn=dvsn)
    rejected(world, Env.MOCK, I[symbol], qty, price, Reason.BAD_ORDER_TYPE, side=side, ord_dvsn=dvsn)


@pytest.mark.parametrize(("symbol", "side", "dvsn"), [
    ("AAPL", Side.BUY, "31"),  # MOO is sell-only
    ("AAPL", Side.BUY, "33"),
    ("00700", Side.BUY, "50"),  # odd-lot is sell-only
    ("7203", Side.BUY, "32"),  # other markets: limit only
    ("600519", Side.SELL, "34"),
    ("AAPL", Side.BUY, "99"),
])
def test_real_order_types_not_offered(world: World, symbol: str, side: Side, dvsn: str) -> None:
    rejected(world, Env.REAL, I[symbol], I[symbol].lot, I[symbol].price, Reason.BAD_ORDER_TYPE, side=side,
             ord_dvsn=dvsn)


@pytest.mark.parametrize("env", ENVS)
def test_optional_body_fields_may_be_omitted(world: World, env: Env) -> None:
    """python-kis omits CTAC_TLNO/MGCO_APTM_ODNO; mojito2 omits SLL_TYPE (B2)."""
    kis = world.fresh(env)
    body = {"CANO": kis.cano, "ACNT_PRDT_CD": kis.prdt, "OVRS_EXCG_CD": "NASD", "PDNO": "AAPL", "ORD_QTY": "2",
            "OVRS_ORD_UNPR": "190.0000", "ORD_SVR_DVSN_CD": "0", "ORD_DVSN": "00"}
    odno = expect_order_ok(kis.post(ORDER_PATH, kis.order_tr("NASD", Side.BUY), body), codes.ORDER_BUY_OK.for_env(env))
    minimal = {k: body[k] for k in ("CANO", "ACNT_PRDT_CD", "OVRS_EXCG_CD", "PDNO", "ORD_QTY", "OVRS_ORD_UNPR")}
    odno2 = expect_order_ok(kis.post(ORDER_PATH, kis.order_tr("NASD", Side.SELL), minimal),
                            codes.ORDER_SELL_OK.for_env(env))
    assert world.admin.order(odno)["price"] == "190.0000"
    assert (world.admin.order(odno2)["side"], world.admin.order(odno2)["quantity"]) == (Side.SELL.value, 2)
    # revise/cancel without MGCO_APTM_ODNO / ORD_SVR_DVSN_CD / CTAC_TLNO (python-kis)
    cancel = {"CANO": kis.cano, "ACNT_PRDT_CD": kis.prdt, "OVRS_EXCG_CD": "NASD", "PDNO": "AAPL",
              "ORGN_ODNO": odno, "RVSE_CNCL_DVSN_CD": "02", "ORD_QTY": "0", "OVRS_ORD_UNPR": "0"}
    expect_order_ok(kis.post("/uapi/overseas-stock/v1/trading/order-rvsecncl", kis.rvsecncl_tr("NASD"), cancel),
                    codes.CANCEL_OK.for_env(env))


def test_prices_are_formatted_as_fixed_decimals(world: World) -> None:
    kis = world.real()
    odno = kis.placed(I["PENY"], 10, "0.5001")
    world.admin.fill(odno, 4, "0.5")
    row = row_for(kis.nccs_rows(), odno)
    assert (row["ft_ord_unpr3"], row["ft_ccld_unpr3"], row["ft_ccld_amt3"], row["ft_ccld_qty"], row["nccs_qty"]) == (
        "0.50010000", "0.50000000", "2.00000", "4", "6")
    jp = kis.placed(I["7203"], 100, "2500")
    row = row_for(kis.nccs_rows("TKSE"), jp)
    assert (row["ft_ord_unpr3"], row["tr_crcy_cd"], row["natn_cd"], row["ovrs_excg_cd"]) == (
        "2500.00000000", "JPY", "392", "TKSE")
