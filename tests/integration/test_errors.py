"""Malformed input (PROTOCOL A5, §11): the exact OPSQ/EGW answer, never a stack trace, never a state change."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import httpx
import pytest

from localkis.protocol import codes
from localkis.protocol.codes import Gateway, Ops
from tests.integration.conftest import (
    CCNL_PATH,
    INSTRUMENTS,
    NCCS_PATH,
    ORDER_PATH,
    RVSECNCL_PATH,
    Kis,
    Reply,
    World,
    expect_gateway,
    expect_ops,
    expect_order_ok,
)

AAPL = INSTRUMENTS["AAPL"]


@pytest.fixture(scope="module")
def kis(main_world: World) -> Kis:
    """One real app for the whole module: none of these requests may change anything."""
    return main_world.real()


@pytest.fixture(scope="module")
def mock(main_world: World) -> Kis:
    return main_world.mock()


@pytest.fixture(scope="module")
def live_order(kis: Kis) -> str:
    return kis.placed(AAPL, 10)


@pytest.fixture
def unchanged(world: World) -> Iterator[None]:
    """The admin order list is byte-for-byte the same after the test, and the log stays clean."""
    before = world.admin.orders()
    yield
    assert world.admin.orders() == before
    world.assert_log_clean()


def order_body(kis: Kis, **changes: object) -> dict[str, object]:
    body: dict[str, object] = dict(kis.order_body("NASD", "AAPL", 1, "190.00"))
    for key, value in changes.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return body


def post_order(kis: Kis, body: object = None, *, content: bytes | None = None, tr_id: str = "TTTT1002U") -> Reply:
    return kis.post(ORDER_PATH, tr_id, body, content=content)


def rvsecncl_body(kis: Kis, orgn: str, **changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "CANO": kis.cano, "ACNT_PRDT_CD": kis.prdt, "OVRS_EXCG_CD": "NASD", "PDNO": "AAPL", "ORGN_ODNO": orgn,
        "RVSE_CNCL_DVSN_CD": "02", "ORD_QTY": "0", "OVRS_ORD_UNPR": "0"}
    for key, value in changes.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return body


SIZE = codes.OPS_TEXT[Ops.BAD_FIELD]

# (id, request, expected code, expected msg1 or None for the table text)
Case = tuple[str, Callable[[Kis, str], Reply], Ops | Gateway, str | None]
ORDER_CASES: list[Case] = [
    ("malformed json", lambda k, o: post_order(k, content=b'{"CANO": "1234'), Ops.INVALID_JSON,
     "JSON PARSING ERROR : invalid json format"),
    ("json array", lambda k, o: post_order(k, [order_body(k)]), Ops.INVALID_JSON, None),
    ("json string", lambda k, o: post_order(k, "CANO"), Ops.INVALID_JSON, None),
    ("not utf-8", lambda k, o: post_order(k, content=b'{"CANO": "\xff\xfe"}'), Ops.INVALID_JSON, None),
    ("empty body", lambda k, o: post_order(k, content=b""), Ops.BODY_NOT_FOUND,
     "JSON PARSING ERROR : body not found"),
    ("blank body", lambda k, o: post_order(k, content=b"  \r\n "), Ops.BODY_NOT_FOUND, None),
    ("lowercase keys", lambda k, o: post_order(k, {key.lower(): v for key, v in order_body(k).items()}),
     Ops.BAD_FIELD, f"{SIZE} [CANO] [0]"),
    ("missing ORD_QTY", lambda k, o: post_order(k, order_body(k, ORD_QTY=None)), Ops.BAD_FIELD,
     "ERROR INVALID INPUT_FILED_SIZE [ORD_QTY] [0]"),
    ("blank OVRS_ORD_UNPR", lambda k, o: post_order(k, order_body(k, OVRS_ORD_UNPR="")), Ops.BAD_FIELD,
     f"{SIZE} [OVRS_ORD_UNPR] [0]"),
    ("missing PDNO", lambda k, o: post_order(k, order_body(k, PDNO=None)), Ops.BAD_FIELD, f"{SIZE} [PDNO] [0]"),
    ("long PDNO", lambda k, o: post_order(k, order_body(k, PDNO="A" * 13)), Ops.BAD_FIELD, f"{SIZE} [PDNO] [12]"),
    ("long CANO", lambda k, o: post_order(k, order_body(k, CANO=k.cano + "0")), Ops.BAD_FIELD,
     f"{SIZE} [CANO] [8]"),
    ("short CANO", lambda k, o: post_order(k, order_body(k, CANO=k.cano[:7])), Ops.BAD_FIELD, f"{SIZE} [CANO] [8]"),
    ("long ORD_QTY", lambda k, o: post_order(k, order_body(k, ORD_QTY="1" * 11)), Ops.BAD_FIELD,
     f"{SIZE} [ORD_QTY] [10]"),
    ("long OVRS_EXCG_CD", lambda k, o: post_order(k, order_body(k, OVRS_EXCG_CD="NASDQ")), Ops.BAD_FIELD,
     f"{SIZE} [OVRS_EXCG_CD] [4]"),
    ("non-numeric ORD_QTY", lambda k, o: post_order(k, order_body(k, ORD_QTY="ten")), Ops.BAD_FIELD,
     "ERROR INVALID INPUT [ORD_QTY]"),
    ("fractional ORD_QTY", lambda k, o: post_order(k, order_body(k, ORD_QTY="1.5")), Ops.BAD_FIELD,
     "ERROR INVALID INPUT [ORD_QTY]"),
    ("negative ORD_QTY", lambda k, o: post_order(k, order_body(k, ORD_QTY="-1")), Ops.BAD_FIELD,
     "ERROR INVALID INPUT [ORD_QTY]"),
    ("boolean ORD_QTY", lambda k, o: post_order(k, order_body(k, ORD_QTY=True)), Ops.BAD_FIELD,
     "ERROR INVALID INPUT [ORD_QTY]"),
    ("object ORD_QTY", lambda k, o: post_order(k, order_body(k, ORD_QTY={"n": 1})), Ops.BAD_FIELD,
     "ERROR INVALID INPUT [ORD_QTY]"),
    ("non-numeric price", lambda k, o: post_order(k, order_body(k, OVRS_ORD_UNPR="abc")), Ops.BAD_FIELD,
     "ERROR INVALID INPUT [OVRS_ORD_UNPR]"),
    ("negative price", lambda k, o: post_order(k, order_body(k, OVRS_ORD_UNPR="-190.00")), Ops.BAD_FIELD,
     "ERROR INVALID INPUT [OVRS_ORD_UNPR]"),
    ("NaN price", lambda k, o: post_order(k, order_body(k, OVRS_ORD_UNPR="NaN")), Ops.BAD_FIELD,
     "ERROR INVALID INPUT [OVRS_ORD_UNPR]"),
    ("exponent price", lambda k, o: post_order(k, order_body(k, OVRS_ORD_UNPR="1.9E+2")), Ops.BAD_FIELD,
     "ERROR INVALID INPUT [OVRS_ORD_UNPR]"),
    ("huge exponent price", lambda k, o: post_order(k, order_body(k, OVRS_ORD_UNPR="1E+30")), Ops.BAD_FIELD,
     "ERROR INVALID INPUT [OVRS_ORD_UNPR]"),
    ("huge plain price", lambda k, o: post_order(k, order_body(k, OVRS_ORD_UNPR="9" * 29 + ".99")), Ops.BAD_FIELD,
     "ERROR INVALID INPUT [OVRS_ORD_UNPR]"),
    ("non-ascii digits price", lambda k, o: post_order(k, order_body(k, OVRS_ORD_UNPR="١٩٠")), Ops.BAD_FIELD,
     "ERROR INVALID INPUT [OVRS_ORD_UNPR]"),
    ("letters in CANO", lambda k, o: post_order(k, order_body(k, CANO="1234567A")), Ops.BAD_FIELD,
     "ERROR INVALID INPUT [CANO]"),
    ("bad ORD_SVR_DVSN_CD", lambda k, o: post_order(k, order_body(k, ORD_SVR_DVSN_CD="1")), Ops.BAD_FIELD,
     "ERROR INVALID INPUT [ORD_SVR_DVSN_CD]"),
    ("unknown tr_id", lambda k, o: post_order(k, order_body(k), tr_id="TTTT9999U"), Ops.SERVICE_NOT_FOUND,
     "없는 서비스 코드 입니다."),
    ("tr_id of no family", lambda k, o: post_order(k, order_body(k), tr_id="XYZ"), Ops.SERVICE_NOT_FOUND, None),
    ("missing tr_id", lambda k, o: k.post(ORDER_PATH, None, order_body(k)), Ops.TR_ID_NOT_FOUND,
     "JSON PARSING ERROR : tr_id not found"),
    ("blank tr_id", lambda k, o: post_order(k, order_body(k), tr_id=""), Ops.TR_ID_NOT_FOUND, None),
    ("long tr_id", lambda k, o: post_order(k, order_body(k), tr_id="TTTT1002UXXXXX"), Ops.BAD_FIELD,
     f"{SIZE} [tr_id] [13]"),
    ("oversized body", lambda k, o: post_order(k, order_body(k, CTAC_TLNO="1" * (64 * 1024))), Gateway.BAD_REQUEST,
     "유효하지 않은 요청입니다."),
]
RVSECNCL_CASES: list[Case] = [
    ("rvsecncl malformed json", lambda k, o: k.post(RVSECNCL_PATH, "TTTT1004U", None, content=b"{]"),
     Ops.INVALID_JSON, None),
    ("rvsecncl empty body", lambda k, o: k.post(RVSECNCL_PATH, "TTTT1004U", None, content=b""),
     Ops.BODY_NOT_FOUND, None),
    ("rvsecncl lowercase keys", lambda k, o: k.post(RVSECNCL_PATH, "TTTT1004U",
                                                     {x.lower(): v for x, v in rvsecncl_body(k, o).items()}),
     Ops.BAD_FIELD, f"{SIZE} [CANO] [0]"),
    ("rvsecncl missing ORGN_ODNO", lambda k, o: k.post(RVSECNCL_PATH, "TTTT1004U", rvsecncl_body(k, o, ORGN_ODNO=None)),
     Ops.BAD_FIELD, f"{SIZE} [ORGN_ODNO] [0]"),
    ("rvsecncl long ORGN_ODNO", lambda k, o: k.post(RVSECNCL_PATH, "TTTT1004U", rvsecncl_body(k, "0" + o)),
     Ops.BAD_FIELD, f"{SIZE} [ORGN_ODNO] [10]"),
    ("rvsecncl letters in ORGN_ODNO", lambda k, o: k.post(RVSECNCL_PATH, "TTTT1004U", rvsecncl_body(k, "ODNO1")),
     Ops.BAD_FIELD, "ERROR INVALID INPUT [ORGN_ODNO]"),
    ("rvsecncl missing ORD_QTY", lambda k, o: k.post(RVSECNCL_PATH, "TTTT1004U", rvsecncl_body(k, o, ORD_QTY=None)),
     Ops.BAD_FIELD, f"{SIZE} [ORD_QTY] [0]"),
    ("rvsecncl missing price", lambda k, o: k.post(RVSECNCL_PATH, "TTTT1004U",
                                                    rvsecncl_body(k, o, OVRS_ORD_UNPR=None)),
     Ops.BAD_FIELD, f"{SIZE} [OVRS_ORD_UNPR] [0]"),
    ("rvsecncl long RVSE_CNCL_DVSN_CD", lambda k, o: k.post(RVSECNCL_PATH, "TTTT1004U",
                                                             rvsecncl_body(k, o, RVSE_CNCL_DVSN_CD="002")),
     Ops.BAD_FIELD, f"{SIZE} [RVSE_CNCL_DVSN_CD] [2]"),
    ("rvsecncl huge price", lambda k, o: k.post(RVSECNCL_PATH, "TTTT1004U",
                                                 rvsecncl_body(k, o, RVSE_CNCL_DVSN_CD="01", OVRS_ORD_UNPR="1E+30")),
     Ops.BAD_FIELD, "ERROR INVALID INPUT [OVRS_ORD_UNPR]"),
    ("rvsecncl unknown tr_id", lambda k, o: k.post(RVSECNCL_PATH, "TTTT1009U", rvsecncl_body(k, o)),
     Ops.SERVICE_NOT_FOUND, None),
    ("rvsecncl missing tr_id", lambda k, o: k.post(RVSECNCL_PATH, None, rvsecncl_body(k, o)),
     Ops.TR_ID_NOT_FOUND, None),
    ("rvsecncl oversized body", lambda k, o: k.post(RVSECNCL_PATH, "TTTT1004U",
                                                     rvsecncl_body(k, o, CTAC_TLNO="9" * 70000)),
     Gateway.BAD_REQUEST, None),
]


def nccs_params(k: Kis, **changes: str | None) -> dict[str, str]:
    params = {"CANO": k.cano, "ACNT_PRDT_CD": k.prdt, "OVRS_EXCG_CD": "NASD", "SORT_SQN": "",
              "CTX_AREA_FK200": "", "CTX_AREA_NK200": ""}
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    return params


INQUIRY_CASES: list[Case] = [
    ("nccs unknown OVRS_EXCG_CD", lambda k, o: k.get(NCCS_PATH, "TTTS3018R", nccs_params(k, OVRS_EXCG_CD="XXXX")),
     Ops.BAD_MARKET, None),
    ("nccs missing CANO", lambda k, o: k.get(NCCS_PATH, "TTTS3018R", nccs_params(k, CANO=None)),
     Ops.BAD_FIELD, f"{SIZE} [CANO] [0]"),
    ("nccs bad cursor", lambda k, o: k.get(NCCS_PATH, "TTTS3018R", nccs_params(k, CTX_AREA_NK200="garbage^x^")),
     Ops.BAD_FIELD, "ERROR INVALID INPUT [CTX_AREA_NK200]"),
    ("nccs long cursor", lambda k, o: k.get(NCCS_PATH, "TTTS3018R", nccs_params(k, CTX_AREA_FK200="x" * 201)),
     Ops.BAD_FIELD, f"{SIZE} [CTX_AREA_FK200] [200]"),
    ("nccs missing tr_id", lambda k, o: k.get(NCCS_PATH, None, nccs_params(k)), Ops.TR_ID_NOT_FOUND, None),
    ("ccnl bad date", lambda k, o: k.ccnl(ORD_STRT_DT="2026-01-01"), Ops.BAD_FIELD,
     f"{SIZE} [ORD_STRT_DT] [8]"),
    ("ccnl non-numeric date", lambda k, o: k.ccnl(ORD_END_DT="2026JAN1"), Ops.BAD_FIELD,
     "ERROR INVALID INPUT [ORD_END_DT]"),
    ("ccnl bad side filter", lambda k, o: k.ccnl(side="03"), Ops.BAD_FIELD, "ERROR INVALID INPUT [SLL_BUY_DVSN]"),
    ("ccnl unknown exchange", lambda k, o: k.ccnl(exchange="NASX"), Ops.BAD_MARKET, None),
    ("ccnl on the nccs path TR", lambda k, o: k.get(CCNL_PATH, "TTTS3018R", nccs_params(k)),
     Ops.SERVICE_NOT_FOUND, None),
]
ALL_CASES = ORDER_CASES + RVSECNCL_CASES + INQUIRY_CASES


@pytest.mark.parametrize(("request_", "code", "text"), [pytest.param(r, c, t, id=n) for n, r, c, t in ALL_CASES])
def test_malformed_request(kis: Kis, live_order: str, unchanged: None,
                           request_: Callable[[Kis, str], Reply], code: Ops | Gateway, text: str | None) -> None:
    reply = request_(kis, live_order)
    if isinstance(code, Gateway):
        expect_gateway(reply, code, text)
    else:
        expect_ops(reply, code, text)
    assert reply.headers["Content-Type"] == "application/json; charset=utf-8"


def test_mock_unknown_tr(mock: Kis, unchanged: None) -> None:
    expect_ops(mock.post(ORDER_PATH, "VTTT9999U", mock.order_body("NASD", "AAPL", 1, "190.00")),
               Ops.SERVICE_NOT_FOUND)


def test_oversized_chunked_body(kis: Kis, unchanged: None) -> None:
    """No Content-Length (chunked upload): the size is checked on the body itself."""
    payload = json.dumps(order_body(kis, CTAC_TLNO="1" * (70 * 1024))).encode()

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(payload), 8192):
            yield payload[i:i + 8192]

    resp = kis.http.post(ORDER_PATH, headers=kis.headers("TTTT1002U"), content=chunks())
    assert "content-length" not in resp.request.headers
    expect_gateway(Reply(resp), Gateway.BAD_REQUEST)


def test_chunked_body_in_pieces_is_joined(kis: Kis, unchanged: None) -> None:
    """A chunked upload that arrives in several pieces is read whole before it is parsed."""
    payload = json.dumps(order_body(kis, CTAC_TLNO="1" * 30)).encode()

    def pieces() -> Iterator[bytes]:
        for i in range(0, len(payload), 7):
            yield payload[i:i + 7]

    resp = kis.http.post(ORDER_PATH, headers=kis.headers("TTTT1002U"), content=pieces())
    assert "content-length" not in resp.request.headers
    expect_ops(Reply(resp), Ops.BAD_FIELD, f"{SIZE} [CTAC_TLNO] [20]")


def test_body_just_under_limit_is_parsed(kis: Kis, unchanged: None) -> None:
    """A big body under 64 KiB is parsed (and then rejected for its field, not for its size)."""
    reply = post_order(kis, order_body(kis, CTAC_TLNO="1" * 60000))
    expect_ops(reply, Ops.BAD_FIELD, f"{SIZE} [CTAC_TLNO] [20]")


@pytest.mark.parametrize(("method", "path"), [
    ("POST", "/uapi/overseas-stock/v1/trading/order-nope"),
    ("GET", "/uapi/overseas-stock/v1/trading/inquire-balance-x"),
    ("POST", "/"),  # GET / is localkis's landing page (issue 17); KIS serves nothing there
    ("GET", ORDER_PATH),  # known path, wrong method
    ("POST", NCCS_PATH),
])
def test_unknown_path(kis: Kis, unchanged: None, method: str, path: str) -> None:
    resp = kis.http.request(method, path, headers=kis.headers("TTTT1002U"),
                            content=json.dumps(order_body(kis)).encode() if method == "POST" else None)
    assert resp.status_code == 404, resp.text
    assert resp.json() == {"rt_cd": "1", "msg_cd": "MCA00124", "msg1": "해당 서비스를 찾을수 없습니다."}


def test_error_then_success_on_same_connection(kis: Kis, world: World) -> None:
    """An error leaves the connection and the app usable."""
    expect_ops(post_order(kis, content=b"{"), Ops.INVALID_JSON)
    expect_order_ok(post_order(kis, order_body(kis)), codes.ORDER_BUY_OK.real)


def test_nothing_leaks_into_the_log(world: World) -> None:
    world.assert_log_clean()
    assert "Traceback" not in world.server.log()
    with httpx.Client(base_url=world.server.base_url) as http:
        assert http.get("/localkis/health").status_code == 200
