"""Issue 17 defect 6: the server shows what it receives (request log, `localkis log`) and `GET /` is a
landing page, not KIS's 404 JSON."""

from __future__ import annotations

import secrets
from pathlib import Path

from tests.integration.simulator import cli
from tests.serverproc import make_appkey, make_appsecret, running_server, simple_config

ACCOUNT = "31000001-01"


def test_request_log_and_landing_page(tmp_path: Path) -> None:
    admin_token = secrets.token_hex(24)
    appkey, appsecret = make_appkey(), make_appsecret()
    config = simple_config(admin_token, [(appkey, appsecret, "real", ACCOUNT)], cash_usd="10000.00")
    config = config.replace("[[apps]]\n", '[[apps]]\nname = "team-1"\n', 1)
    with running_server(config, tmp_path, admin_token=admin_token) as server, server.client() as http:
        token = http.post("/oauth2/tokenP", json={"grant_type": "client_credentials", "appkey": appkey,
                                                  "appsecret": appsecret}).json()["access_token"]
        headers = {"authorization": f"Bearer {token}", "appkey": appkey, "appsecret": appsecret,
                   "tr_id": "TTTT1002U", "custtype": "P"}
        cano, prdt = ACCOUNT.split("-")
        order = http.post("/uapi/overseas-stock/v1/trading/order", headers=headers, json={
            "CANO": cano, "ACNT_PRDT_CD": prdt, "OVRS_EXCG_CD": "NASD", "PDNO": "AAPL", "ORD_QTY": "1",
            "OVRS_ORD_UNPR": "150.00", "ORD_SVR_DVSN_CD": "0", "ORD_DVSN": "00"})
        assert order.json()["rt_cd"] == "0", order.text

        result = cli("log", "--url", server.base_url, "--admin-token", admin_token)
        assert result.code == 0, result.err
        line = next(x for x in result.out.splitlines() if "/trading/order" in x)
        assert "tr_id=TTTT1002U" in line and "app=team-1" in line and f"account={ACCOUNT}" in line
        assert " 200 APBK0013 " in line, line
        assert any("/oauth2/tokenP" in x for x in result.out.splitlines())
        assert "POST /uapi/overseas-stock/v1/trading/order tr_id=TTTT1002U app=team-1" in server.log()
        for secret in (appsecret, token):
            assert secret not in result.out and secret not in server.log()

        landing = http.get("/")
        assert landing.status_code == 200 and "text/html" in landing.headers["content-type"]
        assert 'href="/docs"' in landing.text and 'href="/localkis/health"' in landing.text

        docs = http.get("/docs")
        assert docs.status_code == 200 and "https://" not in docs.text  # no CDN: works offline
        for asset in ("/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css"):
            got = http.get(asset)
            assert got.status_code == 200 and len(got.content) > 1000, asset
            assert asset in docs.text
        assert http.get("/docs/assets/../../localkis.toml").status_code == 404
