"""mojito2 0.1.6 against a real localkis server, with only the KIS host redirected.

mojito2 hard-codes its hosts in `KoreaInvestment.set_base_url()` (called from `__init__`); that one
method is patched to return the server's base URL. mojito2 caches its token in `./token.dat`, so each
test runs in its own temporary directory.

What mojito2 itself does here: tokenP (+ token cache), `create_limit_buy_order()` (POST /uapi/hashkey,
then the order with legacy TR `JTTT1002U` real / `VTTT1002U` mock), `fetch_price()`, and
`issue_hashkey()` for our own POSTs. It has no overseas unfilled-orders or revise/cancel call (its
`fetch_open_order`/`modify_order`/`cancel_order` are domestic-only), so those steps are made over plain
HTTP with mojito2's own token and hashkey, as a bot built on mojito2 would (see kis_http.py).
"""

from __future__ import annotations

import pickle
from decimal import Decimal
from pathlib import Path
from typing import Any

import mojito
import pytest

from . import kis_http
from .conftest import BRANCH_CODE, LAST_PRICE, SYMBOL, HttpLog, KisWorld

pytestmark = pytest.mark.e2e

HASHKEY_PATH = "/uapi/hashkey"
ORDER_PATH = "/uapi/overseas-stock/v1/trading/order"
TOKEN_PATH = "/oauth2/tokenP"

# success codes/texts (PROTOCOL §4, §5, Part A1): real = APBK0013, mock = 4xxxxxxx "모의투자 …"
REAL_OK = ("APBK0013", "주문 전송 완료 되었습니다.")
MOCK_BUY_OK = ("40600000", "모의투자 매수주문이 완료 되었습니다.")
MOCK_REVISE_OK = ("40620000", "모의투자 정정주문이 완료 되었습니다.")
MOCK_CANCEL_OK = ("40630000", "모의투자 취소주문이 완료 되었습니다.")


@pytest.fixture
def mojito_env(world: KisWorld, http_log: HttpLog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # token.dat goes here

    def set_base_url(self: mojito.KoreaInvestment, mock: bool = True) -> None:
        self.base_url = world.base_url

    monkeypatch.setattr(mojito.KoreaInvestment, "set_base_url", set_base_url)
    return tmp_path


def _check_ok(resp: dict[str, Any], expected: tuple[str, str]) -> None:
    assert resp.get("rt_cd") == "0", resp
    assert (resp.get("msg_cd"), resp.get("msg1", "").strip()) == expected, resp


def _check_order_output(resp: dict[str, Any]) -> str:
    out = resp["output"]
    odno = out["ODNO"]
    assert odno.isdigit() and len(odno) == 10 and int(odno) > 0, out
    assert out["KRX_FWDG_ORD_ORGNO"] == BRANCH_CODE, out
    tmd = out["ORD_TMD"]
    assert len(tmd) == 6 and tmd.isdigit() and int(tmd[:2]) < 24 and int(tmd[2:4]) < 60, out
    return str(odno)


def _scenario(world: KisWorld, http_log: HttpLog, workdir: Path, *, mock: bool) -> None:
    app = world.mock if mock else world.real
    account = world.mock_account if mock else world.real_account
    cano, prdt = account.split("-")
    nccs_tr = "VTTS3018R" if mock else "TTTS3018R"
    rvse_tr = "VTTT1004U" if mock else "TTTT1004U"

    # -- 1. token: issued on construction, cached in ./token.dat
    broker = mojito.KoreaInvestment(api_key=app.appkey, api_secret=app.appsecret, acc_no=account,
                                    exchange="나스닥", mock=mock)
    assert broker.base_url == world.base_url
    assert broker.access_token.startswith("Bearer ") and len(broker.access_token) > len("Bearer ")
    assert len(http_log.to(TOKEN_PATH)) == 1
    with (workdir / "token.dat").open("rb") as fh:
        cached = pickle.load(fh)
    assert cached["api_key"] == app.appkey
    assert isinstance(cached["expires_in"], int) and cached["expires_in"] > 3600, cached
    assert cached["token_type"] == "Bearer"

    # a second client in the same directory reuses the cached token (no second tokenP)
    broker = mojito.KoreaInvestment(api_key=app.appkey, api_secret=app.appsecret, acc_no=account,
                                    exchange="나스닥", mock=mock)
    assert len(http_log.to(TOKEN_PATH)) == 1
    token = broker.access_token

    # quote through mojito2 (HHDFS00000300, EXCD=NAS)
    price = broker.fetch_price(SYMBOL)
    assert price["rt_cd"] == "0", price
    assert Decimal(price["output"]["last"]) == Decimal(LAST_PRICE), price

    # -- 2. US limit buy: 3 x AAPL @ 150.5, well below the last price (mojito sends "150.5", no SLL_TYPE)
    resp = broker.create_limit_buy_order(SYMBOL, 150.5, 3)
    _check_ok(resp, MOCK_BUY_OK if mock else REAL_OK)
    odno = _check_order_output(resp)
    order_call = http_log.to(ORDER_PATH)[-1]
    assert order_call.tr_id == ("VTTT1002U" if mock else "JTTT1002U")
    assert order_call.body["OVRS_ORD_UNPR"] == "150.5"
    assert order_call.headers.get("hashkey"), "mojito sends the hashkey it got from /uapi/hashkey"
    hk = http_log.to(HASHKEY_PATH)
    assert hk and hk[-1].status == 200 and hk[-1].body == order_call.body

    creds = {"token": token, "appkey": app.appkey, "appsecret": app.appsecret}

    # -- 3. unfilled list (plain HTTP): exactly our order, 3 @ 150.5
    rows = kis_http.inquire_nccs(world.base_url, account=account, tr_id=nccs_tr,
                                 sort="DS" if mock else "", **creds)
    assert [r["odno"] for r in rows] == [odno], rows
    row = rows[0]
    assert row["pdno"] == SYMBOL
    assert row["sll_buy_dvsn_cd"] == "02"  # 매수
    assert row["ovrs_excg_cd"] == "NASD"
    assert row["ord_gno_brno"] == BRANCH_CODE
    assert Decimal(row["ft_ord_qty"]) == 3
    assert Decimal(row["nccs_qty"]) == 3
    assert Decimal(row["ft_ccld_qty"]) == 0
    assert Decimal(row["ft_ord_unpr3"]) == Decimal("150.5")
    assert row["tr_crcy_cd"] == "USD"

    base_body = {"CANO": cano, "ACNT_PRDT_CD": prdt, "OVRS_EXCG_CD": "NASD", "PDNO": SYMBOL}

    # -- 4. revise to 151.00 (official-sample body shape), hashkey from mojito2
    revise_body = {**base_body, "ORGN_ODNO": odno, "RVSE_CNCL_DVSN_CD": "01", "ORD_QTY": "3",
                   "OVRS_ORD_UNPR": "151.00", "MGCO_APTM_ODNO": "", "ORD_SVR_DVSN_CD": "0", "CTAC_TLNO": ""}
    http_resp, data = kis_http.order_rvsecncl(world.base_url, tr_id=rvse_tr, body=revise_body,
                                              hashkey=broker.issue_hashkey, **creds)
    assert http_resp.status_code == 200, http_resp.text
    _check_ok(data, MOCK_REVISE_OK if mock else REAL_OK)
    new_odno = _check_order_output(data)
    assert new_odno != odno

    rows = kis_http.inquire_nccs(world.base_url, account=account, tr_id=nccs_tr, **creds)
    assert [r["odno"] for r in rows] == [new_odno], rows
    assert rows[0]["orgn_odno"] == odno
    assert Decimal(rows[0]["ft_ord_unpr3"]) == Decimal("151")
    assert Decimal(rows[0]["nccs_qty"]) == 3

    # -- 5. cancel, sending the order quantity (as many bots/Postman do) and price "0"
    cancel_body = {**base_body, "ORGN_ODNO": new_odno, "RVSE_CNCL_DVSN_CD": "02", "ORD_QTY": "3",
                   "OVRS_ORD_UNPR": "0", "MGCO_APTM_ODNO": "", "ORD_SVR_DVSN_CD": "0", "CTAC_TLNO": ""}
    http_resp, data = kis_http.order_rvsecncl(world.base_url, tr_id=rvse_tr, body=cancel_body,
                                              hashkey=broker.issue_hashkey, **creds)
    assert http_resp.status_code == 200, http_resp.text
    _check_ok(data, MOCK_CANCEL_OK if mock else REAL_OK)
    cancel_odno = _check_order_output(data)
    assert cancel_odno not in (odno, new_odno)

    # -- 6. nothing unfilled any more
    rows = kis_http.inquire_nccs(world.base_url, account=account, tr_id=nccs_tr, **creds)
    assert rows == [], rows

    # -- 7. cancelling again (the cancelled order, or the replaced original) is a business rejection
    for orgn in (new_odno, odno):
        http_resp, data = kis_http.order_rvsecncl(world.base_url, tr_id=rvse_tr,
                                                  body={**cancel_body, "ORGN_ODNO": orgn},
                                                  hashkey=broker.issue_hashkey, **creds)
        assert http_resp.status_code == 200, http_resp.text
        assert data["rt_cd"] != "0", data
        assert "정정/취소할 수량이 없습니다" in data["msg1"], data
        if mock:
            assert data["msg_cd"] == "40330000", data

    # every requests-level exchange (tokenP, hashkey, order, price) got HTTP 200
    assert all(c.status == 200 for c in http_log), [(c.path, c.status) for c in http_log]


def test_mojito2_real_order_lifecycle(world: KisWorld, mojito_env: Path, http_log: HttpLog) -> None:
    _scenario(world, http_log, mojito_env, mock=False)


def test_mojito2_mock_order_lifecycle(world: KisWorld, mojito_env: Path, http_log: HttpLog) -> None:
    _scenario(world, http_log, mojito_env, mock=True)
