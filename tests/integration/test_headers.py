"""Request and response headers (PROTOCOL §3, A7, B1, B7)."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx
import pytest

from localkis.protocol import codes
from localkis.protocol.codes import Gateway
from localkis.protocol.env import Env
from localkis.protocol.orders import Side
from tests.integration.conftest import (
    INSTRUMENTS,
    NCCS_PATH,
    ORDER_PATH,
    Kis,
    Reply,
    World,
    expect_gateway,
    expect_ops,
    expect_order_ok,
    expect_token_error,
)

AAPL = INSTRUMENTS["AAPL"]
CORPORATE = {"custtype": "B", "personalseckey": "K" * 180, "seq_no": "001", "phone_number": "01011112222",
             "ip_addr": "203.0.113.10"}


def order_with(kis: Kis, headers: dict[str, str]) -> Reply:
    return kis.post(ORDER_PATH, None, kis.order_body("NASD", "AAPL", 1, "190.00"), headers=headers)


def without(headers: dict[str, str], *names: str) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k not in names}


@pytest.fixture
def kis(world: World) -> Kis:
    return world.real()


def _h(kis: Kis) -> dict[str, str]:
    return kis.headers("TTTT1002U")


GATEWAY_CASES: list[tuple[str, Callable[[Kis], dict[str, str]], Gateway]] = [
    ("no appkey", lambda k: without(_h(k), "appkey"), Gateway.APPKEY_REQUIRED),
    ("blank appkey", lambda k: {**_h(k), "appkey": ""}, Gateway.APPKEY_REQUIRED),
    ("unknown appkey", lambda k: {**_h(k), "appkey": "PS" + "0" * 34}, Gateway.BAD_APPKEY),
    ("short appkey", lambda k: {**_h(k), "appkey": k.app.appkey[:-1]}, Gateway.BAD_APPKEY),
    ("no appsecret", lambda k: without(_h(k), "appsecret"), Gateway.APPSECRET_REQUIRED),
    ("wrong appsecret", lambda k: {**_h(k), "appsecret": "S" * 180}, Gateway.BAD_APPSECRET),
    ("short appsecret", lambda k: {**_h(k), "appsecret": k.app.appsecret[:-1]}, Gateway.BAD_APPSECRET),
    ("no authorization", lambda k: without(_h(k), "authorization"), Gateway.TOKEN_NOT_FOUND),
    ("blank authorization", lambda k: {**_h(k), "authorization": ""}, Gateway.TOKEN_NOT_FOUND),
    ("basic scheme", lambda k: {**_h(k), "authorization": f"Basic {k.token}"}, Gateway.BAD_CREDENTIALS_TYPE),
    ("bare token", lambda k: {**_h(k), "authorization": k.token}, Gateway.BAD_CREDENTIALS_TYPE),
    ("bearer without token", lambda k: {**_h(k), "authorization": "Bearer"}, Gateway.BAD_CREDENTIALS_TYPE),
    ("unknown token", lambda k: {**_h(k), "authorization": "Bearer abc.def.ghi"}, Gateway.BAD_TOKEN),
    ("truncated token", lambda k: {**_h(k), "authorization": f"Bearer {k.token[:-2]}"}, Gateway.BAD_TOKEN),
    ("bad custtype", lambda k: {**_h(k), "custtype": "X"}, Gateway.BAD_CUSTTYPE),
]


@pytest.mark.parametrize(("headers", "code"), [pytest.param(h, c, id=n) for n, h, c in GATEWAY_CASES])
def test_gateway_header_errors(world: World, kis: Kis, headers: Callable[[Kis], dict[str, str]],
                               code: Gateway) -> None:
    before = world.admin.orders()
    reply = order_with(kis, headers(kis))
    expect_gateway(reply, code)
    assert reply.headers["Content-Type"] == "application/json; charset=utf-8"
    assert world.admin.orders() == before


def test_literal_gateway_texts(world: World, kis: Kis) -> None:
    h = kis.headers("TTTT1002U")
    assert order_with(kis, without(h, "appkey")).body == {
        "rt_cd": "1", "msg1": "AppKey는 필수입니다.", "msg_cd": "EGW00102"}
    assert order_with(kis, without(h, "appsecret")).body == {
        "rt_cd": "1", "msg1": "AppSecret은 필수입니다.", "msg_cd": "EGW00104"}
    assert order_with(kis, {**h, "appkey": "PS" + "0" * 34}).body == {
        "rt_cd": "1", "msg1": "유효하지 않은 AppKey입니다.", "msg_cd": "EGW00103"}
    assert order_with(kis, {**h, "appsecret": "S" * 180}).body == {
        "rt_cd": "1", "msg1": "유효하지 않은 AppSecret입니다.", "msg_cd": "EGW00105"}
    assert order_with(kis, {**h, "authorization": "Bearer x"}).body == {
        "rt_cd": "1", "msg1": "유효하지 않은 token 입니다.", "msg_cd": "EGW00121"}
    assert order_with(kis, without(h, "authorization")).body["msg_cd"] == "EGW00122"
    assert order_with(kis, {**h, "authorization": "Basic x"}).body["msg_cd"] == "EGW00205"


def test_gt_uid_length(world: World, kis: Kis) -> None:
    before = world.admin.orders()
    reply = order_with(kis, kis.headers("TTTT1002U", gt_uid="G" * 33))
    expect_ops(reply, "OPSQ2002", "ERROR INVALID INPUT_FILED_SIZE [gt_uid] [32]")
    assert reply.headers["gt_uid"] == "G" * 33 and reply.headers["tr_id"] == "TTTT1002U"
    assert world.admin.orders() == before
    ok = order_with(kis, kis.headers("TTTT1002U", gt_uid="G" * 32))
    expect_order_ok(ok, codes.ORDER_BUY_OK.real)
    assert ok.headers["gt_uid"] == "G" * 32


@pytest.mark.parametrize(("missing", "code"), [
    ("personalseckey", Gateway.BAD_PERSONALSECKEY),
    ("seq_no", Gateway.BAD_SEQ_NO),
    ("phone_number", Gateway.PHONE_REQUIRED),
    ("ip_addr", Gateway.BAD_IP),
])
def test_corporate_headers_required(world: World, kis: Kis, missing: str, code: Gateway) -> None:
    before = world.admin.orders()
    headers = without(kis.headers("TTTT1002U", **CORPORATE), missing)
    expect_gateway(order_with(kis, headers), code)
    assert world.admin.orders() == before


def test_corporate_real_ok_and_mock_refused(world: World, kis: Kis) -> None:
    expect_order_ok(order_with(kis, kis.headers("TTTT1002U", **CORPORATE)), codes.ORDER_BUY_OK.real)
    mock = world.mock()
    before = world.admin.orders()
    reply = order_with(mock, mock.headers("VTTT1002U", **CORPORATE))
    expect_gateway(reply, Gateway.CORPORATE_NO_MOCK)
    assert reply.body == {"rt_cd": "1", "msg1": "법인고객의 경우 모의투자를 이용할 수 없습니다.", "msg_cd": "EGW00210"}
    assert world.admin.orders() == before


@pytest.mark.parametrize("env", [Env.REAL, Env.MOCK])
def test_tr_id_and_gt_uid_echoed(world: World, env: Env) -> None:
    kis = world.fresh(env)
    tr = kis.order_tr("NASD", Side.BUY)
    uid = "0123456789abcdef0123456789abcdef"
    ok = order_with(kis, kis.headers(tr, gt_uid=uid))
    expect_order_ok(ok, codes.ORDER_BUY_OK.for_env(env))
    assert (ok.headers["tr_id"], ok.headers["gt_uid"]) == (tr, uid)
    assert "tr_cont" not in ok.headers  # the order API has no continuation
    # echoed on errors too
    bad = order_with(kis, kis.headers(tr, gt_uid=uid, authorization="Bearer nope"))
    expect_gateway(bad, Gateway.BAD_TOKEN)
    assert (bad.headers["tr_id"], bad.headers["gt_uid"]) == (tr, uid)
    # inquiries echo it and add tr_cont
    nccs = kis.get(NCCS_PATH, "TTTS3018R" if env is Env.REAL else "VTTS3018R",
                   {"CANO": kis.cano, "ACNT_PRDT_CD": kis.prdt, "OVRS_EXCG_CD": "NASD"},
                   headers=kis.headers("TTTS3018R" if env is Env.REAL else "VTTS3018R", gt_uid=uid))
    assert nccs.status == 200 and nccs.headers["gt_uid"] == uid and nccs.headers["tr_cont"] == "D"


def test_no_gt_uid_header_when_not_sent(world: World, kis: Kis) -> None:
    ok = kis.buy(AAPL)
    expect_order_ok(ok, codes.ORDER_BUY_OK.real)
    assert "gt_uid" not in ok.headers


@pytest.mark.parametrize("tr_cont", ["N", "M", "F", ""])
def test_tr_cont_on_order_api_is_ignored(world: World, kis: Kis, tr_cont: str) -> None:
    reply = order_with(kis, kis.headers("TTTT1002U", tr_cont=tr_cont))
    odno = expect_order_ok(reply, codes.ORDER_BUY_OK.real)
    assert world.admin.order(odno)["quantity"] == 1
    assert "tr_cont" not in reply.headers


def test_header_names_case_insensitive(world: World, kis: Kis) -> None:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {kis.token}",
               "appKey": kis.app.appkey, "appSecret": kis.app.appsecret, "TR_ID": "TTTT1002U",
               "CustType": "P", "GT_UID": "abc", "Accept": "text/plain"}
    reply = order_with(kis, headers)
    odno = expect_order_ok(reply, codes.ORDER_BUY_OK.real)
    assert reply.headers["tr_id"] == "TTTT1002U" and reply.headers["gt_uid"] == "abc"
    assert world.admin.order(odno)["account"] == kis.account


def test_custtype_optional_and_empty_tr_cont(world: World, kis: Kis) -> None:
    headers = without(kis.headers("TTTT1002U"), "custtype")
    expect_order_ok(order_with(kis, headers), codes.ORDER_BUY_OK.real)
    # GET with a JSON content type and no body, and an empty tr_cont header (B1)
    nccs = kis.get(NCCS_PATH, "TTTS3018R", {"CANO": kis.cano, "ACNT_PRDT_CD": kis.prdt, "OVRS_EXCG_CD": "NASD"},
                   headers={**kis.headers("TTTS3018R"), "tr_cont": "", "Accept": "text/plain"})
    assert nccs.status == 200 and nccs.body["rt_cd"] == "0", nccs
    assert nccs.headers["Content-Type"] == "application/json; charset=utf-8"


def test_non_json_content_type_on_post(world: World, kis: Kis) -> None:
    before = world.admin.orders()
    reply = order_with(kis, kis.headers("TTTT1002U", **{"content-type": "text/plain"}))
    expect_gateway(reply, Gateway.BAD_CONTENT_TYPE)
    assert world.admin.orders() == before
    # no content type at all is tolerated
    expect_order_ok(order_with(kis, without(kis.headers("TTTT1002U"), "content-type")), codes.ORDER_BUY_OK.real)


# --------------------------------------------------------------------------------------------------
# header names as they go over the wire


def raw_exchange(base_url: str, method: str, target: str, headers: list[tuple[str, str]],
                 body: bytes = b"") -> tuple[str, list[tuple[str, str]], bytes]:
    """One HTTP/1.1 request over a plain socket; the status line, the raw header lines and the body."""
    url = urlsplit(base_url)
    lines = [f"{method} {target} HTTP/1.1", f"Host: {url.hostname}:{url.port}", "Connection: close",
             f"Content-Length: {len(body)}"] + [f"{k}: {v}" for k, v in headers]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while True:
            data = sock.recv(65536)
            if not data:
                break
            chunks.append(data)
    raw = b"".join(chunks)
    head, _, payload = raw.partition(b"\r\n\r\n")
    status, *header_lines = head.decode("latin-1").split("\r\n")
    parsed = [(line.split(":", 1)[0], line.split(":", 1)[1].strip()) for line in header_lines]
    return status, parsed, payload


def assert_wire_header_names(names: list[str]) -> None:
    assert "Content-Type" in names and "Content-Length" in names, names
    assert "content-type" not in names and "content-length" not in names, names
    # B7: every all-lowercase header name must be a valid Python identifier (the official sample's namedtuple)
    for name in names:
        if name.islower():
            assert name.isidentifier(), f"lowercase non-identifier header {name!r}"


def test_raw_header_names_on_order(world: World, kis: Kis) -> None:
    body = json.dumps(kis.order_body("NASD", "AAPL", 1, "190.00")).encode()
    headers = [(k, v) for k, v in kis.headers("TTTT1002U", gt_uid="uid-1").items()]
    status, resp_headers, payload = raw_exchange(world.server.base_url, "POST", ORDER_PATH, headers, body)
    assert status == "HTTP/1.1 200 OK", (status, payload)
    names = [k for k, _ in resp_headers]
    assert_wire_header_names(names)
    values = dict(resp_headers)
    assert values["Content-Type"] == "application/json; charset=utf-8"
    assert int(values["Content-Length"]) == len(payload)
    assert values["tr_id"] == "TTTT1002U" and values["gt_uid"] == "uid-1"
    assert json.loads(payload)["msg_cd"] == "APBK0013"


def test_raw_header_names_on_inquiry_and_error(world: World, kis: Kis) -> None:
    target = (f"{NCCS_PATH}?CANO={kis.cano}&ACNT_PRDT_CD={kis.prdt}&OVRS_EXCG_CD=NASD&SORT_SQN="
              "&CTX_AREA_FK200=&CTX_AREA_NK200=")
    headers = [(k, v) for k, v in kis.headers("TTTS3018R", gt_uid="uid-2").items()]
    status, resp_headers, payload = raw_exchange(world.server.base_url, "GET", target, headers)
    assert status == "HTTP/1.1 200 OK", (status, payload)
    names = [k for k, _ in resp_headers]
    assert_wire_header_names(names)
    assert {"tr_id", "tr_cont", "gt_uid"} <= set(names)
    assert dict(resp_headers)["tr_cont"] == "D"
    # a gateway error goes out the same way
    bad = [(k, "Bearer nope" if k == "authorization" else v) for k, v in headers]
    status, resp_headers, payload = raw_exchange(world.server.base_url, "GET", target, bad)
    assert status.startswith("HTTP/1.1 500"), status
    assert_wire_header_names([k for k, _ in resp_headers])
    assert json.loads(payload)["msg_cd"] == "EGW00121"
    # the OAuth endpoint too
    token_body = json.dumps({"grant_type": "client_credentials", "appkey": kis.app.appkey,
                             "appsecret": kis.app.appsecret}).encode()
    status, resp_headers, _ = raw_exchange(world.server.base_url, "POST", "/oauth2/tokenP",
                                           [("content-type", "application/json")], token_body)
    assert status == "HTTP/1.1 200 OK"
    assert_wire_header_names([k for k, _ in resp_headers])


def test_non_ascii_credentials(world: World, kis: Kis) -> None:
    """Latin-1 bytes in appkey/appsecret match no app: the gateway answer, not a server error."""
    body = json.dumps(kis.order_body("NASD", "AAPL", 1, "190.00")).encode()
    base = [(k, v) for k, v in kis.headers("TTTT1002U").items() if k not in ("appkey", "appsecret")]
    before = world.admin.orders()
    for key, secret, code in (
        (kis.app.appkey, "é" * 180, Gateway.BAD_APPSECRET),
        (kis.app.appkey[:-1] + "é", kis.app.appsecret, Gateway.BAD_APPKEY),
    ):
        status, _, payload = raw_exchange(world.server.base_url, "POST", ORDER_PATH,
                                          [*base, ("appkey", key), ("appsecret", secret)], body)
        assert status.startswith("HTTP/1.1 500"), (status, payload)
        assert json.loads(payload) == {"rt_cd": "1", "msg1": codes.GATEWAY_TEXT[code], "msg_cd": code.value}
    # hashkey takes the same headers
    status, _, payload = raw_exchange(world.server.base_url, "POST", "/uapi/hashkey",
                                      [("appkey", kis.app.appkey), ("appsecret", "é" * 180)], body)
    assert status.startswith("HTTP/1.1 500") and json.loads(payload)["msg_cd"] == "EGW00105", payload
    # the OAuth endpoints read them from the JSON body
    expect_token_error(kis.token_p(appsecret="é" * 180), codes.TOKEN_BAD_APPSECRET)
    expect_token_error(kis.token_p(appkey="PSé" + "0" * 33, appsecret="é" * 180), codes.TOKEN_BAD_APPKEY)
    approval = Reply(kis.http.post("/oauth2/Approval", json={
        "grant_type": "client_credentials", "appkey": kis.app.appkey, "secretkey": "한" * 180}))
    expect_token_error(approval, codes.TOKEN_BAD_APPSECRET)
    assert world.admin.orders() == before
    world.assert_log_clean()


def test_a_response_without_body_arrives_on_a_kept_alive_connection(world: World) -> None:
    """A HEAD answer has no body write to carry its head: it must still leave when the response ends."""
    # Well under uvicorn's 5 s keep-alive timeout, whose close would let a held head out late.
    with httpx.Client(base_url=world.server.base_url, timeout=2) as http:
        for _ in range(2):  # the same connection, twice
            reply = http.head("/localkis/health")
            assert reply.status_code == 200 and reply.content == b""
            assert b"Content-Type" in [name for name, _ in reply.headers.raw]


def test_expect_100_continue_is_answered_before_the_body(world: World, kis: Kis) -> None:
    """The interim answer goes out at once: the client sends its body only after it."""
    url = urlsplit(world.server.base_url)
    body = json.dumps(kis.order_body("NASD", "AAPL", 1, "190.00")).encode()
    lines = [f"POST {ORDER_PATH} HTTP/1.1", f"Host: {url.hostname}:{url.port}", "Connection: close",
             f"Content-Length: {len(body)}", "Expect: 100-continue",
             *[f"{k}: {v}" for k, v in kis.headers("TTTT1002U").items()]]
    with socket.create_connection((url.hostname, url.port), timeout=5) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        assert sock.recv(65536).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        sock.sendall(body)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n") and b'"msg_cd":"APBK0013"' in answer, answer
