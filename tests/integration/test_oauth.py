"""OAuth and utility endpoints: tokenP, revokeP, Approval, hashkey (PROTOCOL §2, B4)."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from localkis.protocol import codes
from localkis.protocol.codes import Gateway
from tests.integration.conftest import INSTRUMENTS, Reply, World, expect_gateway, expect_order_ok, expect_token_error

KST = ZoneInfo("Asia/Seoul")
AAPL = INSTRUMENTS["AAPL"]


def test_token_shape(world: World) -> None:
    kis = world.real(login=False)
    before = datetime.now(KST).replace(microsecond=0)
    reply = kis.token_p()
    after = datetime.now(KST)
    assert reply.status == 200, reply
    assert reply.headers["Content-Type"] == "application/json; charset=utf-8"
    body = reply.body
    # Official example key order; no rt_cd/msg_cd on tokenP.
    assert list(body) == ["access_token", "access_token_token_expired", "token_type", "expires_in"]
    assert body["token_type"] == "Bearer"
    assert type(body["expires_in"]) is int and body["expires_in"] == 86400
    assert re.fullmatch(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", body["access_token"])  # JWT-shaped
    expired = body["access_token_token_expired"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", expired)
    at = datetime.strptime(expired, "%Y-%m-%d %H:%M:%S").replace(tzinfo=KST)  # KST wall time
    assert before + timedelta(hours=24) - timedelta(seconds=1) <= at <= after + timedelta(hours=24)


def test_token_reissue_returns_same_token_without_issue_limit(world: World) -> None:
    kis = world.real(login=False)
    first = kis.token_p()
    second = kis.token_p()
    assert first.status == second.status == 200
    assert second.body["access_token"] == first.body["access_token"]
    assert second.body["access_token_token_expired"] == first.body["access_token_token_expired"]
    assert isinstance(second.body["expires_in"], int) and 0 < second.body["expires_in"] <= 86400
    # the token works
    kis.token = second.body["access_token"]
    expect_order_ok(kis.buy(AAPL), codes.ORDER_BUY_OK.real)


def test_token_issue_limit_one_per_minute(switched: World) -> None:
    kis = switched.real(login=False)
    first = kis.token_p()
    assert first.status == 200, first
    second = kis.token_p()
    expect_token_error(second, codes.TOKEN_RATE_LIMIT)
    assert second.body == {"error_code": "EGW00133",
                           "error_description": "접근토큰 발급 잠시 후 다시 시도하세요(1분당 1회)"}
    # another app is not affected
    other = switched.mock(login=False)
    assert other.token_p().status == 200


def test_token_bad_credentials(world: World) -> None:
    kis = world.real(login=False)
    bad_key = kis.token_p(appkey="PS" + "0" * 34)
    expect_token_error(bad_key, codes.TOKEN_BAD_APPKEY)
    assert bad_key.body == {"error_code": "EGW00103", "error_description": "유효하지 않은 AppKey입니다."}
    bad_secret = kis.token_p(appsecret=kis.app.appsecret[:-1] + ("A" if kis.app.appsecret[-1] != "A" else "B"))
    expect_token_error(bad_secret, codes.TOKEN_BAD_APPSECRET)
    assert bad_secret.body == {"error_code": "EGW00105", "error_description": "유효하지 않은 AppSecret입니다."}
    # another app's secret does not open this app
    other = world.mock(login=False)
    expect_token_error(kis.token_p(appsecret=other.app.appsecret), codes.TOKEN_BAD_APPSECRET)


def test_token_missing_fields_and_bad_grant(world: World) -> None:
    kis = world.real(login=False)
    expect_token_error(kis.token_p(grant_type="password"), codes.TOKEN_BAD_GRANT)
    expect_token_error(kis.token_p(appkey=""), codes.TOKEN_APPKEY_REQUIRED)
    expect_token_error(kis.token_p(appsecret=""), codes.TOKEN_APPSECRET_REQUIRED)
    garbage = Reply(kis.http.post("/oauth2/tokenP", content=b"{not json",
                                  headers={"content-type": "application/json"}))
    expect_token_error(garbage, codes.TOKEN_BAD_REQUEST)


def test_revoke_then_token_is_invalid(world: World) -> None:
    kis = world.real()
    expect_order_ok(kis.buy(AAPL), codes.ORDER_BUY_OK.real)
    revoked = kis.token
    reply = Reply(kis.http.post("/oauth2/revokeP", json={
        "appkey": kis.app.appkey, "appsecret": kis.app.appsecret, "token": revoked}))
    assert reply.status == 200, reply
    assert reply.body == {"code": 200, "message": "접근토큰 폐기에 성공하였습니다"}
    before = world.admin.orders()
    after_revoke = kis.buy(AAPL)
    expect_gateway(after_revoke, Gateway.BAD_TOKEN)
    assert after_revoke.body == {"rt_cd": "1", "msg1": "유효하지 않은 token 입니다.", "msg_cd": "EGW00121"}
    assert world.admin.orders() == before
    # revoking again: the token is gone
    again = Reply(kis.http.post("/oauth2/revokeP", json={
        "appkey": kis.app.appkey, "appsecret": kis.app.appsecret, "token": revoked}))
    expect_token_error(again, codes.TOKEN_NOT_FOUND)
    # a new token is issued (not the revoked one) and works
    kis.login()
    assert kis.token != revoked
    expect_order_ok(kis.buy(AAPL), codes.ORDER_BUY_OK.real)


def test_revoke_another_apps_token_is_refused(world: World) -> None:
    owner, other = world.real(), world.real()
    reply = Reply(other.http.post("/oauth2/revokeP", json={
        "appkey": other.app.appkey, "appsecret": other.app.appsecret, "token": owner.token}))
    expect_token_error(reply, codes.TOKEN_NOT_FOUND)
    expect_order_ok(owner.buy(AAPL), codes.ORDER_BUY_OK.real)


def test_token_of_another_app_is_invalid(world: World) -> None:
    a, b = world.real(), world.real()
    b.token = a.token
    expect_gateway(b.buy(AAPL), Gateway.BAD_TOKEN)


def test_approval_uses_secretkey(world: World) -> None:
    kis = world.mock(login=False)
    reply = Reply(kis.http.post("/oauth2/Approval", json={
        "grant_type": "client_credentials", "appkey": kis.app.appkey, "secretkey": kis.app.appsecret}))
    assert reply.status == 200, reply
    assert list(reply.body) == ["approval_key"]
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", reply.body["approval_key"])
    # `appsecret` is not the field name of this endpoint
    wrong = Reply(kis.http.post("/oauth2/Approval", json={
        "grant_type": "client_credentials", "appkey": kis.app.appkey, "appsecret": kis.app.appsecret}))
    expect_token_error(wrong, codes.TOKEN_APPSECRET_REQUIRED)
    bad = Reply(kis.http.post("/oauth2/Approval", json={
        "grant_type": "client_credentials", "appkey": kis.app.appkey, "secretkey": "x" * 180}))
    expect_token_error(bad, codes.TOKEN_BAD_APPSECRET)


def test_hashkey(world: World) -> None:
    kis = world.real(login=False)
    body = kis.order_body(AAPL.exchange, AAPL.symbol, 1, AAPL.price)
    raw = json.dumps(body).encode()
    # mojito2 style: appKey/appSecret, no token
    reply = Reply(kis.http.post("/uapi/hashkey", content=raw, headers={
        "content-type": "application/json", "appKey": kis.app.appkey, "appSecret": kis.app.appsecret}))
    assert reply.status == 200, reply
    assert reply.body["HASH"] == hashlib.sha256(raw).hexdigest()
    assert reply.body["BODY"] == body
    bad = Reply(kis.http.post("/uapi/hashkey", content=raw, headers={
        "content-type": "application/json", "appkey": "PS" + "1" * 34, "appsecret": kis.app.appsecret}))
    expect_gateway(bad, Gateway.BAD_APPKEY)
    missing = Reply(kis.http.post("/uapi/hashkey", content=raw, headers={"content-type": "application/json"}))
    expect_gateway(missing, Gateway.APPKEY_REQUIRED)
