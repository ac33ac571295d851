"""Market hours with `market_hours = "enforce"` and a pinned clock (PROTOCOL §4, §11.4, Part C, A8).

The server starts with `clock` set in its config and each test pins the time via the admin clock API.
Dates (KST): Tue 2026-11-24 is a normal US/JP/HK trading day (EST: regular 23:30-06:00 KST, pre-market
from 18:00, after-market to 07:00); Thu 2026-11-26 is Thanksgiving; Fri 2026-11-27 closes early at
13:00 ET (03:00 KST Saturday); Sat 2026-11-28 is a weekend; Mon 2026-11-23 is a Japanese holiday.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from localkis.protocol import codes
from localkis.protocol.reasons import Reason
from tests.integration.conftest import (
    INSTRUMENTS,
    Kis,
    World,
    check_alive,
    expect_message,
    expect_order_ok,
    start_world,
)

AAPL = INSTRUMENTS["AAPL"]
TOYOTA = INSTRUMENTS["7203"]
TENCENT = INSTRUMENTS["00700"]
MOUTAI = INSTRUMENTS["600519"]

APBK0918 = {"rt_cd": "1", "msg_cd": "APBK0918",
            "msg1": "장운영시간이 아닙니다.(단,주간거래시간이면 전용화면 주문가능, 주문시간 외 불가)"}
BEFORE_OPEN = {"rt_cd": "1", "msg_cd": "40570000", "msg1": "모의투자 장시작전 입니다."}
NOT_TRADING_DAY = {"rt_cd": "1", "msg_cd": "40100000", "msg1": "모의투자 영업일이 아닙니다."}
AFTER_CLOSE = {"rt_cd": "1", "msg_cd": "40580000", "msg1": "모의투자 장종료 입니다."}
OK = None  # accepted

US_REGULAR = "2026-11-24T23:45:00+09:00"  # 09:45 EST
US_PRE = "2026-11-24T20:00:00+09:00"  # 06:00 EST
US_BEFORE_PRE = "2026-11-24T15:00:00+09:00"  # 01:00 EST
US_AFTER_MARKET = "2026-11-25T06:30:00+09:00"  # 16:30 EST
US_CLOSED = "2026-11-25T08:00:00+09:00"  # 18:00 EST
US_WEEKEND = "2026-11-28T23:45:00+09:00"  # Saturday
US_HOLIDAY = "2026-11-26T23:45:00+09:00"  # Thanksgiving
US_EARLY_CLOSE_AFTER = "2026-11-28T03:30:00+09:00"  # Fri 13:30 EST, after the 13:00 early close
US_EARLY_CLOSE_BEFORE = "2026-11-28T02:30:00+09:00"  # Fri 12:30 EST
US_SUMMER_REGULAR = "2026-07-14T22:45:00+09:00"  # 09:45 EDT
US_SUMMER_PRE = "2026-07-14T22:15:00+09:00"  # 09:15 EDT


CLOCK_AT_START: list[str] = []


@pytest.fixture(scope="module")
def hours_world(tmp_path_factory: pytest.TempPathFactory, backend: str) -> Iterator[World]:
    for world in start_world(tmp_path_factory, "hours", count=40, prefix="3", backend=backend,
                              server={"market_hours": "enforce", "clock": US_REGULAR}):
        CLOCK_AT_START.append(world.admin.http.get("/localkis/admin/clock").json()["now"])
        yield world


@pytest.fixture
def hw(hours_world: World) -> Iterator[World]:
    check_alive(hours_world)
    yield hours_world
    hours_world.admin.check_invariant()


def at(world: World, iso: str, *clients: Kis) -> None:
    """Pin the server clock; clients re-login (a jump past 24 h expires their tokens)."""
    now = world.admin.set_clock(iso)
    assert now.startswith(iso[:16]), now
    for kis in clients:
        kis.login()


def test_config_clock_is_used(hours_world: World) -> None:
    """`clock` in the config sets the server time at start (it then runs on)."""
    assert CLOCK_AT_START[0].startswith("2026-11-24T23:45:"), CLOCK_AT_START


@pytest.mark.parametrize(("when", "real", "mock"), [
    pytest.param(US_REGULAR, OK, OK, id="regular"),
    pytest.param(US_PRE, OK, BEFORE_OPEN, id="pre-market"),
    pytest.param(US_BEFORE_PRE, APBK0918, BEFORE_OPEN, id="before-pre-market"),
    pytest.param(US_AFTER_MARKET, OK, AFTER_CLOSE, id="after-market"),
    pytest.param(US_CLOSED, APBK0918, AFTER_CLOSE, id="after-close"),
    pytest.param(US_WEEKEND, APBK0918, NOT_TRADING_DAY, id="weekend"),
    pytest.param(US_HOLIDAY, APBK0918, NOT_TRADING_DAY, id="thanksgiving"),
    pytest.param(US_EARLY_CLOSE_BEFORE, OK, OK, id="early-close-day-before-close"),
    pytest.param(US_EARLY_CLOSE_AFTER, OK, AFTER_CLOSE, id="early-close-day-after-close"),
    pytest.param(US_SUMMER_REGULAR, OK, OK, id="dst-regular"),
    pytest.param(US_SUMMER_PRE, OK, BEFORE_OPEN, id="dst-pre-market"),
])
def test_us_order_hours(hw: World, when: str, real: dict[str, str] | None, mock: dict[str, str] | None) -> None:
    r, m = hw.real(), hw.mock()
    at(hw, when, r, m)
    for kis, expected in ((r, real), (m, mock)):
        before = hw.admin.orders()
        reply = kis.buy(AAPL, 1)
        if expected is None:
            expect_order_ok(reply, codes.ORDER_BUY_OK.for_env(kis.env))
        else:
            assert reply.status == 200, reply
            assert reply.body == expected, reply
            assert hw.admin.orders() == before
        # a sell is held to the same hours
        sell = kis.sell(AAPL, 1)
        if expected is None:
            expect_order_ok(sell, codes.ORDER_SELL_OK.for_env(kis.env))
        else:
            assert sell.body == expected, sell


def test_mock_texts_come_from_the_code_table() -> None:
    assert codes.BUSINESS[Reason.BEFORE_OPEN].mock.code == BEFORE_OPEN["msg_cd"]
    assert codes.BUSINESS[Reason.NON_TRADING_DAY].mock.code == NOT_TRADING_DAY["msg_cd"]
    assert codes.BUSINESS[Reason.AFTER_CLOSE].mock.text == AFTER_CLOSE["msg1"]
    assert codes.BUSINESS[Reason.MARKET_CLOSED].real.text == APBK0918["msg1"]


@pytest.mark.parametrize(("inst", "when", "real", "mock"), [
    pytest.param(TOYOTA, "2026-11-24T10:00:00+09:00", OK, OK, id="jp-morning"),
    pytest.param(TOYOTA, "2026-11-24T12:00:00+09:00", APBK0918, BEFORE_OPEN, id="jp-lunch"),
    pytest.param(TOYOTA, "2026-11-24T14:59:00+09:00", OK, OK, id="jp-afternoon"),
    pytest.param(TOYOTA, "2026-11-24T15:10:00+09:00", APBK0918, AFTER_CLOSE, id="jp-after-close"),
    pytest.param(TOYOTA, "2026-11-24T08:30:00+09:00", APBK0918, BEFORE_OPEN, id="jp-before-open"),
    pytest.param(TOYOTA, "2026-11-23T10:00:00+09:00", APBK0918, NOT_TRADING_DAY, id="jp-holiday"),
    pytest.param(TENCENT, "2026-11-24T11:00:00+09:00", OK, OK, id="hk-morning"),
    pytest.param(TENCENT, "2026-11-24T13:30:00+09:00", APBK0918, BEFORE_OPEN, id="hk-lunch"),
    pytest.param(TENCENT, "2026-11-24T17:30:00+09:00", APBK0918, AFTER_CLOSE, id="hk-after-close"),
    pytest.param(MOUTAI, "2026-11-24T11:00:00+09:00", OK, OK, id="sh-open"),
    pytest.param(MOUTAI, "2026-11-24T16:30:00+09:00", APBK0918, AFTER_CLOSE, id="sh-after-close"),
])
def test_asian_order_hours(hw: World, inst: object, when: str, real: dict[str, str] | None,
                           mock: dict[str, str] | None) -> None:
    r, m = hw.real(), hw.mock()
    at(hw, when, r, m)
    for kis, expected in ((r, real), (m, mock)):
        reply = kis.buy(inst)  # type: ignore[arg-type]
        if expected is None:
            expect_order_ok(reply, codes.ORDER_BUY_OK.for_env(kis.env))
        else:
            assert (reply.status, reply.body) == (200, expected), reply


@pytest.mark.parametrize(("when", "real", "mock"), [
    pytest.param(US_WEEKEND, APBK0918, NOT_TRADING_DAY, id="weekend"),
    pytest.param(US_CLOSED, APBK0918, AFTER_CLOSE, id="after-close"),
    pytest.param(US_PRE, OK, BEFORE_OPEN, id="pre-market"),
])
def test_revise_cancel_outside_hours(hw: World, when: str, real: dict[str, str] | None,
                                     mock: dict[str, str] | None) -> None:
    r, m = hw.real(), hw.mock()
    at(hw, US_REGULAR, r, m)
    orders = {kis.app.appkey: kis.placed(AAPL, 10, "190.00") for kis in (r, m)}
    at(hw, when, r, m)
    for kis, expected in ((r, real), (m, mock)):
        odno = orders[kis.app.appkey]
        before = hw.admin.orders()
        revise = kis.revise(AAPL, odno, 5, "189.00")
        cancel = kis.cancel(AAPL, odno, 0)
        if expected is None:
            expect_order_ok(revise, codes.REVISE_OK.for_env(kis.env))
            expect_order_ok(cancel, codes.CANCEL_OK.for_env(kis.env))
            assert hw.admin.order(odno)["open"] == 0
        else:
            assert (revise.status, revise.body) == (200, expected), revise
            assert (cancel.status, cancel.body) == (200, expected), cancel
            assert hw.admin.orders() == before
    # back in regular hours both can cancel whatever is left
    at(hw, US_REGULAR, r, m)
    for kis in (r, m):
        odno = orders[kis.app.appkey]
        if hw.admin.order(odno)["open"]:
            expect_order_ok(kis.cancel(AAPL, odno), codes.CANCEL_OK.for_env(kis.env))


def test_hours_checked_after_input_errors(hw: World) -> None:
    """Outside hours, a malformed request still gets its input error, and a bad price its price error."""
    r = hw.real()
    at(hw, US_WEEKEND, r)
    reply = r.buy(AAPL, 1, "abc")
    assert reply.status == 500 and reply.body["msg_cd"] == "OPSQ2002", reply
    expect_message(r.buy(AAPL, 1, "0.001"), codes.BUSINESS[Reason.PRICE_BELOW_MINIMUM].real)


def test_inquiries_work_outside_hours(hw: World) -> None:
    r, m = hw.real(), hw.mock()
    at(hw, US_REGULAR, r, m)
    odno = r.placed(AAPL, 3)
    mock_odno = m.placed(AAPL, 3)
    at(hw, US_WEEKEND, r, m)
    assert [row["odno"] for row in r.nccs_rows()] == [odno]
    assert [row["odno"] for row in m.ccnl_rows()] == [mock_odno]
    quote = r.quote("NAS", "AAPL")
    assert quote.status == 200 and quote.body["output"]["last"] == "190.0000"


def test_ord_tmd_and_dates_follow_pinned_clock(hw: World) -> None:
    r = hw.real()
    at(hw, US_REGULAR, r)
    reply = r.buy(AAPL, 1)
    expect_order_ok(reply, codes.ORDER_BUY_OK.real)
    assert reply.body["output"]["ORD_TMD"] == "234500"  # KST
    row = r.ccnl_rows()[0]
    # ord_dt is the exchange-local (New York) date; dmst_ord_dt the Korean date
    assert (row["ord_dt"], row["dmst_ord_dt"], row["ord_tmd"], row["thco_ord_tmd"]) == (
        "20261124", "20261124", "234500", "234500")
    at(hw, US_AFTER_MARKET, r)
    r.buy(AAPL, 1)
    late = r.ccnl_rows()[-1]
    assert (late["ord_dt"], late["dmst_ord_dt"], late["ord_tmd"]) == ("20261124", "20261125", "063000")


def test_token_lifetime_follows_server_clock(hw: World) -> None:
    """24 h tokens, the same token re-issued within 6 h, a new one after; expiry → EGW00123."""
    kis = hw.real(login=False)
    at(hw, US_REGULAR)
    first = kis.token_p()
    assert first.status == 200, first
    assert first.body["access_token_token_expired"] == "2026-11-25 23:45:00"
    assert first.body["expires_in"] == 86400
    token = first.body["access_token"]
    at(hw, "2026-11-25T02:45:00+09:00")  # +3 h: same token, 3 h less to live
    again = kis.token_p()
    assert (again.body["access_token"], again.body["expires_in"]) == (token, 86400 - 3 * 3600)
    assert again.body["access_token_token_expired"] == "2026-11-25 23:45:00"
    at(hw, "2026-11-25T06:46:00+09:00")  # +7 h: a new token; the old one still works until it expires
    fresh = kis.token_p()
    assert fresh.body["access_token"] != token and fresh.body["expires_in"] == 86400
    kis.token = token
    expect_order_ok(kis.buy(AAPL, 1), codes.ORDER_BUY_OK.real)
    at(hw, "2026-11-25T23:45:00+09:00")  # the first token's expiry instant
    expired = kis.buy(AAPL, 1)
    assert (expired.status, expired.body) == (500, {"rt_cd": "1", "msg1": "기간이 만료된 token 입니다.",
                                                    "msg_cd": "EGW00123"}), expired
    kis.token = fresh.body["access_token"]
    expect_order_ok(kis.buy(AAPL, 1), codes.ORDER_BUY_OK.real)
