"""REST-NEXT §1.1's availability matrix for this batch: what a mock app gets for each real-only API.

With `strict_mock = true` (KIS's mock), the V-names the official client derives are refused with
`90000000`; with it off (the default) they are served. A mock app sending a real TR: `EGW02006`-family
refusals come from the gateway's TR-family check, as for every real TR.
"""

from __future__ import annotations

import time

import pytest

from localkis.protocol import codes
from localkis.protocol.env import Env
from localkis.protocol.reasons import Reason
from tests.integration.conftest import Kis, Reply, World, expect_business

T = "/uapi/overseas-stock/v1/trading/"
PACE = 0.6  # the strict world enforces KIS's mock rate limit (2 requests a second)
GET_PARAMS: dict[str, dict[str, str]] = {
    "order-resv-list": {"INQR_STRT_DT": "20261124", "INQR_END_DT": "20261124", "INQR_DVSN_CD": "00",
                        "PRDT_TYPE_CD": "", "OVRS_EXCG_CD": "", "CTX_AREA_FK200": "", "CTX_AREA_NK200": ""},
    "inquire-period-profit": {"OVRS_EXCG_CD": "", "NATN_CD": "", "CRCY_CD": "", "PDNO": "",
                              "INQR_STRT_DT": "20261101", "INQR_END_DT": "20261130", "WCRC_FRCR_DVSN_CD": "01",
                              "CTX_AREA_FK200": "", "CTX_AREA_NK200": ""},
    "inquire-period-trans": {"ERLM_STRT_DT": "20261101", "ERLM_END_DT": "20261130", "OVRS_EXCG_CD": "", "PDNO": "",
                             "SLL_BUY_DVSN_CD": "00", "LOAN_DVSN_CD": "", "CTX_AREA_FK100": "", "CTX_AREA_NK100": ""},
    "inquire-paymt-stdr-balance": {"BASS_DT": "20261124", "WCRC_FRCR_DVSN_CD": "02", "INQR_DVSN_CD": "00"},
    "foreign-margin": {},
}
DAYTIME_BODY = {"OVRS_EXCG_CD": "NASD", "PDNO": "AAPL", "ORD_QTY": "1", "OVRS_ORD_UNPR": "150.00",
                "ORD_SVR_DVSN_CD": "0", "ORD_DVSN": "00"}
# (path, the mock V-name the official client derives, its real TR)
REAL_ONLY = [
    ("order-resv-list", "VTTT3039R", "TTTT3039R"),
    ("order-resv-list", "VTTS3014R", "TTTS3014R"),
    ("daytime-order", "VTTS6036U", "TTTS6036U"),
    ("daytime-order", "VTTS6037U", "TTTS6037U"),
    ("inquire-period-profit", "VTTS3039R", "TTTS3039R"),
    ("inquire-period-trans", "VTOS4001R", "CTOS4001R"),
    ("inquire-paymt-stdr-balance", "VTRP6010R", "CTRP6010R"),
    ("foreign-margin", "VTTC2101R", "TTTC2101R"),
]


def send(kis: Kis, path: str, tr_id: str) -> Reply:
    account = {"CANO": kis.cano, "ACNT_PRDT_CD": kis.prdt}
    if path in GET_PARAMS:
        return kis.get(T + path, tr_id, {**account, **GET_PARAMS[path]})
    return kis.post(T + path, tr_id, {**account, **DAYTIME_BODY})


@pytest.mark.parametrize(("path", "mock_tr", "real_tr"), REAL_ONLY, ids=[r[1] for r in REAL_ONLY])
def test_refused_by_a_strict_mock(switched: World, path: str, mock_tr: str, real_tr: str) -> None:
    kis = switched.shared(Env.MOCK)
    time.sleep(PACE)
    reply = send(kis, path, mock_tr)
    assert reply.body == {"rt_cd": "1", "msg_cd": codes.NOT_IN_MOCK.code, "msg1": codes.NOT_IN_MOCK.text}, reply
    time.sleep(PACE)
    real = send(kis, path, real_tr)  # a real TR from a mock app: the gateway's family check
    assert real.status == 500 and real.body["rt_cd"] == "1", real


@pytest.mark.parametrize(("path", "mock_tr", "real_tr"), REAL_ONLY, ids=[r[1] for r in REAL_ONLY])
def test_served_when_not_strict(world: World, path: str, mock_tr: str, real_tr: str) -> None:
    kis = world.shared(Env.MOCK)
    reply = send(kis, path, mock_tr)
    assert reply.status == 200 and reply.body["rt_cd"] == "0", reply


@pytest.mark.parametrize(("path", "tr_id"), [("order-resv", "VTTT3014U"), ("order-resv", "VTTS3013U"),
                                             ("order-resv-ccnl", "VTTT3017U")])
def test_in_kis_mock_too(switched: World, path: str, tr_id: str) -> None:
    """Reservations and their US cancel exist in KIS's mock: served even when strict."""
    kis = switched.shared(Env.MOCK)
    account = {"CANO": kis.cano, "ACNT_PRDT_CD": kis.prdt}
    if path == "order-resv-ccnl":
        body = {**account, "RSVN_ORD_RCIT_DT": "20261124", "OVRS_RSVN_ODNO": "0000000001"}
        time.sleep(PACE)
        expect_business(kis.post(T + path, tr_id, body), Reason.RESERVATION_NOT_FOUND, Env.MOCK)
        return
    exchange, symbol, price = ("NASD", "AAPL", "150.00") if tr_id == "VTTT3014U" else ("TKSE", "7203", "2500")
    time.sleep(PACE)
    reply = kis.post(T + path, tr_id, {**account, "PDNO": symbol, "OVRS_EXCG_CD": exchange, "FT_ORD_QTY": "100",
                                       "FT_ORD_UNPR3": price, "RVSE_CNCL_DVSN_CD": "00"})
    assert reply.status == 200 and reply.body["rt_cd"] == "0", reply
