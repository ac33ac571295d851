"""Reservations (예약주문, REST-NEXT §2–§4) over HTTP against a real server with `market_hours = "enforce"`
and the clock pinned through the admin API.

Dates (KST): Tue 2026-11-24 is a US trading day in standard time (regular open 23:30 KST); Tue
2026-07-14 is in US summer time (open 22:30 KST); Sat 2026-11-28 is a weekend. Every test that moves the
clock pins it first, so the order of tests does not matter; each uses its own account.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from localkis.domain.reservations import ReservationStatus
from localkis.protocol import codes
from localkis.protocol.codes import BUSINESS
from localkis.protocol.env import Env
from localkis.protocol.reasons import Reason
from tests.integration.conftest import INSTRUMENTS, Kis, Reply, World, check_alive, expect_business, start_world

RESV_PATH = "/uapi/overseas-stock/v1/trading/order-resv"
CCNL_PATH = "/uapi/overseas-stock/v1/trading/order-resv-ccnl"
LIST_PATH = "/uapi/overseas-stock/v1/trading/order-resv-list"

RESERVE_AT = "2026-11-24T10:00:00+09:00"  # Tuesday 10:00 KST: the US window has just opened
AFTER_OPEN = "2026-11-24T23:30:01+09:00"  # one second after the regular open (EST)
DAY = "20261124"
AAPL = INSTRUMENTS["AAPL"]
TOYOTA = INSTRUMENTS["7203"]


@pytest.fixture(scope="module")
def resv_world(tmp_path_factory: pytest.TempPathFactory, backend: str) -> Iterator[World]:
    yield from start_world(tmp_path_factory, "resv", count=40, prefix="6", backend=backend,
                           server={"market_hours": "enforce", "clock": RESERVE_AT})


@pytest.fixture
def rw(resv_world: World) -> World:
    return check_alive(resv_world)


def _tr(kis: Kis, real: str) -> str:
    return real if kis.env is Env.REAL else "V" + real[1:]


def reserve(kis: Kis, symbol: str = "AAPL", qty: int = 10, price: str = "190.00", *, sell: bool = False,
            exchange: str = "NASD", **extra: str) -> Reply:
    tr = _tr(kis, "TTTT3016U" if sell else "TTTT3014U")
    body = {"CANO": kis.cano, "ACNT_PRDT_CD": kis.prdt, "PDNO": symbol, "OVRS_EXCG_CD": exchange,
            "FT_ORD_QTY": str(qty), "FT_ORD_UNPR3": price, **extra}
    return kis.post(RESV_PATH, tr, body)


def reserve_asia(kis: Kis, exchange: str, symbol: str, qty: int, price: str, **extra: str) -> Reply:
    body = {"CANO": kis.cano, "ACNT_PRDT_CD": kis.prdt, "PDNO": symbol, "OVRS_EXCG_CD": exchange,
            "FT_ORD_QTY": str(qty), "FT_ORD_UNPR3": price, "RVSE_CNCL_DVSN_CD": "00", "PRDT_TYPE_CD": "515",
            **extra}
    return kis.post(RESV_PATH, _tr(kis, "TTTS3013U"), body)


def cancel(kis: Kis, number: str, day: str = DAY) -> Reply:
    return kis.post(CCNL_PATH, _tr(kis, "TTTT3017U"),
                    {"CANO": kis.cano, "ACNT_PRDT_CD": kis.prdt, "RSVN_ORD_RCIT_DT": day, "OVRS_RSVN_ODNO": number})


def listing(kis: Kis, tr: str = "TTTT3039R", *, nk: str = "", tr_cont: str = "", **extra: str) -> Reply:
    params = {"CANO": kis.cano, "ACNT_PRDT_CD": kis.prdt, "INQR_STRT_DT": DAY, "INQR_END_DT": DAY,
              "INQR_DVSN_CD": "00", "PRDT_TYPE_CD": "", "OVRS_EXCG_CD": "", "CTX_AREA_FK200": "",
              "CTX_AREA_NK200": nk, **extra}
    return kis.get(LIST_PATH, tr if kis.env is Env.REAL else "V" + tr[1:], params, tr_cont=tr_cont)


def rows(kis: Kis, tr: str = "TTTT3039R") -> dict[str, dict[str, str]]:
    reply = listing(kis, tr)
    assert reply.status == 200 and reply.body["rt_cd"] == "0", reply
    return {r["ovrs_rsvn_odno"]: r for r in reply.body["output"]}


def accepted(reply: Reply) -> str:
    assert reply.status == 200, reply
    body = reply.body
    assert body["rt_cd"] == "0" and body["msg_cd"] == "APBK0013", reply
    assert list(body["output"]) == ["ODNO"], reply
    number = str(body["output"]["ODNO"])
    assert len(number) == 10 and number.isdigit()
    return number


def wait_for(kis: Kis, number: str, status: ReservationStatus, tr: str = "TTTT3039R") -> dict[str, str]:
    deadline = time.monotonic() + 10
    while True:
        row = rows(kis, tr)[number]
        if row["ovrs_rsvn_ord_stat_cd"] == status.value or time.monotonic() > deadline:
            assert row["ovrs_rsvn_ord_stat_cd"] == status.value, row
            return row
        time.sleep(0.1)


def test_reserved_at_ten_becomes_an_order_at_the_open_and_fills(rw: World) -> None:
    rw.admin.set_clock(RESERVE_AT)
    kis = rw.real()  # logged in after the clock is pinned: its token is valid then
    number = accepted(reserve(kis))
    row = rows(kis)[number]
    assert row["ovrs_rsvn_ord_stat_cd"] == "01" and row["odno"] == "" and row["cncl_yn"] == "N"
    assert (row["rsvn_ord_rcit_dt"], row["ord_rcit_tmd"], row["ft_ord_qty"]) == (DAY, "100000", "10")
    assert row["ft_ord_unpr3"] == "190.00000000" and row["sll_buy_dvsn_cd"] == "02"
    # Nothing is sent before the open, nothing reserved against cash yet.
    rw.admin.set_clock("2026-11-24T23:29:59+09:00")
    time.sleep(0.6)
    assert rows(kis)[number]["ovrs_rsvn_ord_stat_cd"] == "01"
    rw.admin.set_clock(AFTER_OPEN)
    row = wait_for(kis, number, ReservationStatus.FORWARDED)
    odno = row["odno"]
    assert len(odno) == 10 and odno != number and row["ord_fwdg_tmd"] == "233001" and row["ord_dt"] == DAY
    # The order is an ordinary one: in the unfilled list, filled by a print.
    assert odno in {r["odno"] for r in kis.nccs_rows()}
    resp = rw.admin.http.post("/localkis/admin/prices", json={"exchange": "NASD", "symbol": "AAPL", "price": "189.50"})
    assert resp.status_code == 200, resp.text
    assert rw.admin.order(odno)["filled"] == 10
    row = rows(kis)[number]
    assert (row["ft_ccld_qty"], row["ft_ccld_unpr3"]) == ("10", "190.00000000")  # a resting limit fills at its price


def test_still_open_at_the_us_close_is_cancelled(rw: World) -> None:
    rw.admin.set_clock(RESERVE_AT)
    kis = rw.real()
    number = accepted(reserve(kis, qty=5, price="150.00"))  # far below the market: stays open
    rw.admin.set_clock(AFTER_OPEN)
    odno = wait_for(kis, number, ReservationStatus.FORWARDED)["odno"]
    rw.admin.set_clock("2026-11-25T05:59:59+09:00")  # 15:59:59 EST
    time.sleep(0.6)
    assert rw.admin.order(odno)["cancelled"] == 0
    rw.admin.set_clock("2026-11-25T06:00:01+09:00")  # after the close
    deadline = time.monotonic() + 10
    while rw.admin.order(odno)["cancelled"] != 5:
        assert time.monotonic() < deadline, rw.admin.order(odno)
        time.sleep(0.1)
    assert rw.admin.order(odno)["open"] == 0


def test_refused_at_the_open_for_cash_shows_why(rw: World) -> None:
    rw.admin.set_clock(RESERVE_AT)
    kis = rw.real()  # logged in after the clock is pinned: its token is valid then
    # 1,000,000 USD in the account: a 6,000-share buy at 190 is accepted (no check at reception) …
    number = accepted(reserve(kis, qty=6000))
    rw.admin.set_clock(AFTER_OPEN)
    row = wait_for(kis, number, ReservationStatus.REFUSED)
    # … and refused when sent, with the order API's text.
    assert row["odno"] == "" and row["nprc_rson_text"] == BUSINESS[Reason.INSUFFICIENT_CASH].real.text
    assert row["ovrs_rsvn_ord_stat_cd_name"] == "거부"


def test_cancel_before_the_open(rw: World) -> None:
    rw.admin.set_clock(RESERVE_AT)
    kis = rw.real()  # logged in after the clock is pinned: its token is valid then
    number = accepted(reserve(kis, sell=True, qty=5, price="200.00"))
    reply = cancel(kis, number)
    assert reply.status == 200 and reply.body == {
        "rt_cd": "0", "msg_cd": "APBK1711", "msg1": "취소주문이 접수되었습니다.",
        "output": {"OVRS_RSVN_ODNO": number}}, reply
    row = rows(kis)[number]
    assert (row["cncl_yn"], row["ovrs_rsvn_ord_stat_cd"]) == ("Y", "04")
    expect_business(cancel(kis, number), Reason.RESERVATION_NOT_WAITING, Env.REAL)
    expect_business(cancel(kis, number, "20261123"), Reason.RESERVATION_NOT_FOUND, Env.REAL)
    expect_business(cancel(kis, "0999999999"), Reason.RESERVATION_NOT_FOUND, Env.REAL)
    rw.admin.set_clock(AFTER_OPEN)
    time.sleep(0.6)
    assert rows(kis)[number]["ovrs_rsvn_ord_stat_cd"] == "04"  # never sent


@pytest.mark.parametrize(("moment", "ok"), [
    ("2026-11-24T09:59:59+09:00", False),
    ("2026-11-24T10:00:00+09:00", True),
    ("2026-11-24T16:29:59+09:00", True),
    ("2026-11-24T16:30:00+09:00", False),  # KIS's settlement pause
    ("2026-11-24T16:45:00+09:00", True),
    ("2026-11-24T23:19:59+09:00", True),
    ("2026-11-24T23:20:00+09:00", False),
    ("2026-07-14T22:19:59+09:00", True),  # summer time: until 22:20
    ("2026-07-14T22:20:00+09:00", False),
    ("2026-11-28T12:00:00+09:00", False),  # Saturday
])
def test_us_window(rw: World, moment: str, ok: bool) -> None:
    rw.admin.set_clock(moment)
    kis = rw.real()
    reply = reserve(kis, qty=1)
    if ok:
        accepted(reply)
    else:
        expect_business(reply, Reason.RESERVATION_CLOSED, Env.REAL)


def test_asia_reserve_list_and_cancel_through_order_resv(rw: World) -> None:
    rw.admin.set_clock("2026-11-24T12:25:00+09:00")
    kis = rw.real()  # after JP's 12:20 cut
    expect_business(reserve_asia(kis, "TKSE", "7203", 100, TOYOTA.price), Reason.RESERVATION_CLOSED, Env.REAL)
    rw.admin.set_clock("2026-11-24T09:30:00+09:00")
    reply = reserve_asia(kis, "TKSE", "7203", 100, TOYOTA.price, SLL_BUY_DVSN_CD="02")
    assert reply.status == 200 and reply.body["rt_cd"] == "0", reply
    output = reply.body["output"]
    assert list(output) == ["RSVN_ORD_RCIT_DT", "OVRS_RSVN_ODNO"] and output["RSVN_ORD_RCIT_DT"] == DAY
    first = output["OVRS_RSVN_ODNO"]
    second = reserve_asia(kis, "TKSE", "7203", 200, TOYOTA.price, SLL_BUY_DVSN_CD="01").body["output"]["OVRS_RSVN_ODNO"]
    found = rows(kis, "TTTS3014R")
    assert set(found) == {first, second}
    assert found[second]["sll_buy_dvsn_cd"] == "01" and found[first]["prdt_type_cd"] == "515"
    assert rows(kis, "TTTT3039R") == {}  # the US list shows no Asian reservations
    reply = reserve_asia(kis, "TKSE", "7203", 0, "0", RVSE_CNCL_DVSN_CD="02", OVRS_RSVN_ODNO=second,
                         RSVN_ORD_RCIT_DT=DAY)
    assert reply.body == {"rt_cd": "0", "msg_cd": "APBK1711", "msg1": "취소주문이 접수되었습니다.",
                          "output": {"OVRS_RSVN_ODNO": second}}, reply
    rw.admin.set_clock("2026-11-24T12:30:01+09:00")
    row = wait_for(kis, first, ReservationStatus.FORWARDED, "TTTS3014R")
    assert rw.admin.order(row["odno"])["quantity"] == 100
    assert rows(kis, "TTTS3014R")[second]["ovrs_rsvn_ord_stat_cd"] == "04"


def test_refusals_at_reception(rw: World) -> None:
    rw.admin.set_clock(RESERVE_AT)
    kis = rw.real()
    expect_business(reserve(kis, "NOPE"), Reason.UNKNOWN_SYMBOL, Env.REAL)
    expect_business(reserve(kis, price="190.005"), Reason.OFF_TICK, Env.REAL)
    expect_business(reserve(kis, ORD_DVSN="31"), Reason.BAD_ORDER_TYPE, Env.REAL)  # MOO: sells only
    accepted(reserve(kis, sell=True, price="0", ORD_DVSN="31"))
    # A US TR with an Asian exchange, the Asia TR with a US one: OPSQ2001.
    for reply in (reserve(kis, "7203", exchange="TKSE"), reserve_asia(kis, "NASD", "AAPL", 1, "190.00")):
        assert reply.status == 500 and reply.body["msg_cd"] == "OPSQ2001", reply


def test_list_pages(rw: World) -> None:
    rw.admin.set_clock(RESERVE_AT)
    kis = rw.real()  # logged in after the clock is pinned: its token is valid then
    numbers = [accepted(reserve(kis, qty=1)) for _ in range(23)]
    first = listing(kis)
    assert first.headers["tr_cont"] == "F" and len(first.body["output"]) == 20
    assert first.body["msg_cd"] == "KIOK0510"
    nk = first.body["ctx_area_nk200"]
    assert len(nk) == 200 and len(first.body["ctx_area_fk200"]) == 200
    second = listing(kis, nk=nk, tr_cont="N")
    assert second.headers["tr_cont"] == "E" and len(second.body["output"]) == 3
    assert [r["ovrs_rsvn_odno"] for r in first.body["output"] + second.body["output"]] == numbers


def test_mock(rw: World) -> None:
    rw.admin.set_clock(RESERVE_AT)
    kis = rw.mock()
    reply = reserve(kis, qty=1)
    message = codes.RESERVE_BUY_OK.mock
    assert reply.body["msg_cd"] == message.code and reply.body["msg1"] == message.text, reply
    number = reply.body["output"]["ODNO"]
    assert number in rows(kis)  # VTTT3039R, served while strict_mock is off
    assert cancel(kis, number).body["msg_cd"] == "APBK1711"


def test_list_not_in_strict_mock(switched: World) -> None:
    kis = switched.mock()
    reply = listing(kis)
    assert reply.body == {"rt_cd": "1", "msg_cd": codes.NOT_IN_MOCK.code, "msg1": codes.NOT_IN_MOCK.text}, reply
