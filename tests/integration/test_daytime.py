"""US daytime trading (주간거래, REST-NEXT §5–§6) over HTTP, `market_hours = "enforce"`, clock pinned.

Tue 2026-11-24 (US standard time) and Tue 2026-07-14 (summer time): the daytime session is 10:00-18:00
KST in both. AAPL is a daytime instrument in the test config; PENY is not.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from localkis.protocol import codes
from localkis.protocol.codes import BUSINESS
from localkis.protocol.env import Env
from localkis.protocol.orders import Side
from localkis.protocol.reasons import Reason
from tests.integration.conftest import (
    INSTRUMENTS,
    Kis,
    Reply,
    World,
    check_alive,
    expect_business,
    expect_order_ok,
    start_world,
)

ORDER_PATH = "/uapi/overseas-stock/v1/trading/daytime-order"
RVSECNCL_PATH = "/uapi/overseas-stock/v1/trading/daytime-order-rvsecncl"
DAYTIME = "2026-11-24T11:00:00+09:00"
US_REGULAR = "2026-11-24T23:45:00+09:00"
AAPL = INSTRUMENTS["AAPL"]
OK = codes.ORDER_BUY_OK.real


@pytest.fixture(scope="module")
def day_world(tmp_path_factory: pytest.TempPathFactory, backend: str) -> Iterator[World]:
    yield from start_world(tmp_path_factory, "daytime", count=40, prefix="7", backend=backend,
                           server={"market_hours": "enforce", "clock": DAYTIME})


@pytest.fixture
def dw(day_world: World) -> World:
    return check_alive(day_world)


def at(world: World, moment: str, env: Env = Env.REAL) -> Kis:
    """Pin the clock, then a fresh client logged in at that time."""
    world.admin.set_clock(moment)
    return world.fresh(env)


def order(kis: Kis, symbol: str = "AAPL", qty: int = 1, price: str = "190.00", *, side: Side = Side.BUY,
          tr: str | None = None, **extra: str) -> Reply:
    tr_id = tr or ("TTTS6036U" if side is Side.BUY else "TTTS6037U")
    body = {"CANO": kis.cano, "ACNT_PRDT_CD": kis.prdt, "OVRS_EXCG_CD": "NASD", "PDNO": symbol,
            "ORD_QTY": str(qty), "OVRS_ORD_UNPR": price, "ORD_SVR_DVSN_CD": "0", "ORD_DVSN": "00", **extra}
    return kis.post(ORDER_PATH, tr_id, body)


def rvsecncl(kis: Kis, orgn: str, dvsn: str, qty: int, price: str, tr: str = "TTTS6038U") -> Reply:
    body = {"CANO": kis.cano, "ACNT_PRDT_CD": kis.prdt, "OVRS_EXCG_CD": "NASD", "PDNO": "AAPL", "ORGN_ODNO": orgn,
            "RVSE_CNCL_DVSN_CD": dvsn, "ORD_QTY": str(qty), "OVRS_ORD_UNPR": price, "CTAC_TLNO": "",
            "MGCO_APTM_ODNO": "", "ORD_SVR_DVSN_CD": "0"}
    return kis.post(RVSECNCL_PATH, tr, body)


@pytest.mark.parametrize(("moment", "ok"), [
    ("2026-11-24T09:59:59+09:00", False),
    ("2026-11-24T10:00:00+09:00", True),
    ("2026-11-24T17:59:59+09:00", True),
    ("2026-11-24T18:00:00+09:00", False),
    ("2026-07-14T09:59:59+09:00", False),  # US summer time: the same KST hours
    ("2026-07-14T10:00:00+09:00", True),
    ("2026-07-14T17:59:59+09:00", True),
    ("2026-07-14T18:00:00+09:00", False),
    ("2026-11-28T11:00:00+09:00", False),  # Saturday
    ("2026-11-26T11:00:00+09:00", False),  # Thanksgiving: no US session that day
])
def test_window_edges(dw: World, moment: str, ok: bool) -> None:
    kis = at(dw, moment)
    reply = order(kis)
    if ok:
        expect_order_ok(reply, OK)
    else:
        expect_business(reply, Reason.DAYTIME_CLOSED, Env.REAL)


def test_regular_order_in_the_daytime_window_is_refused(dw: World) -> None:
    kis = at(dw, DAYTIME)
    expect_business(kis.buy(AAPL), Reason.MARKET_CLOSED, Env.REAL)


def test_refusals(dw: World) -> None:
    kis = at(dw, DAYTIME)
    expect_business(order(kis, "PENY", price="0.5000"), Reason.UNKNOWN_SYMBOL, Env.REAL)  # not a daytime symbol
    expect_business(order(kis, ORD_DVSN="32"), Reason.BAD_ORDER_TYPE, Env.REAL)
    expect_business(order(kis, price="190.005"), Reason.OFF_TICK, Env.REAL)
    expect_business(order(kis, qty=100000), Reason.INSUFFICIENT_CASH, Env.REAL)


def test_mock(dw: World, switched: World) -> None:
    kis = at(dw, DAYTIME, Env.MOCK)
    reply = order(kis, tr="TTTS6036U")  # the real TR from a mock app
    assert reply.status == 500 and reply.body["msg_cd"] == "EGW02006", reply
    # The V-name the official client derives: served while strict_mock is off …
    expect_order_ok(order(kis, tr="VTTS6036U"), codes.ORDER_BUY_OK.mock)
    # … and KIS's answer for a service the mock lacks when it is on.
    strict = switched.mock()
    reply = order(strict, tr="VTTS6036U")
    assert reply.body == {"rt_cd": "1", "msg_cd": codes.NOT_IN_MOCK.code, "msg1": codes.NOT_IN_MOCK.text}, reply


def test_daytime_orders_revise_only_through_the_daytime_endpoint(dw: World) -> None:
    kis = at(dw, DAYTIME)
    odno = expect_order_ok(order(kis, qty=10, price="250.00", side=Side.SELL), codes.ORDER_SELL_OK.real)
    assert odno in {r["odno"] for r in kis.nccs_rows()}
    # The regular endpoint in the regular session: APBK0918, python-kis's cue to use the daytime endpoint.
    dw.admin.set_clock(US_REGULAR)
    kis.login()
    expect_business(kis.revise(AAPL, odno, 10, "251.00"), Reason.DAYTIME_ONLY, Env.REAL)
    expect_business(kis.cancel(AAPL, odno), Reason.DAYTIME_ONLY, Env.REAL)
    # The daytime endpoint outside its hours: APBK1664.
    expect_business(rvsecncl(kis, odno, "01", 10, "251.00"), Reason.DAYTIME_CLOSED, Env.REAL)
    dw.admin.set_clock(DAYTIME)
    kis.login()
    revised = expect_order_ok(rvsecncl(kis, odno, "01", 10, "249.00"), codes.REVISE_OK.real)
    assert revised != odno
    # A regular order is not found at the daytime endpoint.
    dw.admin.set_clock(US_REGULAR)
    kis.login()
    regular_odno = expect_order_ok(kis.buy(AAPL, 1, "170.00"), OK)
    dw.admin.set_clock(DAYTIME)
    kis.login()
    expect_business(rvsecncl(kis, regular_odno, "02", 1, "0"), Reason.NOT_DAYTIME_ORDER, Env.REAL)
    # The revision fills on a print like any order, then the rest is cancelled through the daytime endpoint.
    resp = dw.admin.http.post("/localkis/admin/prices", json={"exchange": "NASD", "symbol": "AAPL", "price": "249.00",
                                                               "size": 4})
    assert resp.status_code == 200, resp.text
    assert dw.admin.order(revised)["filled"] == 4
    expect_order_ok(rvsecncl(kis, revised, "02", 10, "0"), codes.CANCEL_OK.real)
    assert dw.admin.order(revised)["cancelled"] == 6
    assert BUSINESS[Reason.DAYTIME_ONLY].real.code == "APBK0918"
