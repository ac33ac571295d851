"""Issue 17, contests: apps and accounts added, listed and disabled at run time through the admin API
and CLI, kept in the store across a restart."""

from __future__ import annotations

import csv
import io
import secrets
from pathlib import Path

import httpx

from tests.integration.simulator import cli
from tests.serverproc import RunningServer, make_appkey, make_appsecret, running_server, simple_config


def order(server: RunningServer, appkey: str, appsecret: str, account: str,
          access_token: str | None = None) -> httpx.Response:
    """An order with a fresh token (or `access_token`); the tokenP answer if no token is issued."""
    with server.client() as http:
        if access_token is None:
            token = http.post("/oauth2/tokenP", json={"grant_type": "client_credentials", "appkey": appkey,
                                                      "appsecret": appsecret})
            if token.status_code != 200:
                return token
            access_token = token.json()["access_token"]
        cano, prdt = account.split("-")
        return http.post("/uapi/overseas-stock/v1/trading/order", json={
            "CANO": cano, "ACNT_PRDT_CD": prdt, "OVRS_EXCG_CD": "NASD", "PDNO": "AAPL", "ORD_QTY": "1",
            "OVRS_ORD_UNPR": "150.00", "ORD_SVR_DVSN_CD": "0", "ORD_DVSN": "00"}, headers={
            "authorization": f"Bearer {access_token}", "appkey": appkey, "appsecret": appsecret,
            "tr_id": "TTTT1002U", "custtype": "P"})


def test_teams_added_at_run_time_trade_and_survive_a_restart(tmp_path: Path) -> None:
    admin_token = secrets.token_hex(24)
    config = simple_config(admin_token, [(make_appkey(), make_appsecret(), "real", "33000000-01")], cash_usd="1")
    teams = tmp_path / "teams.csv"
    teams.write_text("name,env,account,cash_usd\nteam-a,real,33000001-01,50000\nteam-b,real,33000002-01,50000\n",
                     encoding="utf-8")
    with running_server(config, tmp_path / "s", admin_token=admin_token) as server:
        def admin(*args: str) -> str:
            result = cli(*args, "--url", server.base_url, "--admin-token", admin_token)
            assert result.code == 0, (args, result.err)
            return result.out

        assert admin("accounts", "add", "33000009-01", "--cash", "USD=1000").startswith("opened 33000009-01")
        added = admin("apps", "add", "--name", "team-c", "--env", "real", "--account", "33000003-01",
                      "--cash", "USD=20000")
        appkey = added.split("appkey    = ")[1].split()[0]
        appsecret = added.split("appsecret = ")[1].split()[0]
        with server.client() as http:
            issued = http.post("/oauth2/tokenP", json={"grant_type": "client_credentials", "appkey": appkey,
                                                       "appsecret": appsecret}).json()["access_token"]
        for _ in range(2):  # the second request takes the gateway's cached header path
            assert order(server, appkey, appsecret, "33000003-01", issued).json()["rt_cd"] == "0"

        rows = list(csv.DictReader(io.StringIO(admin("apps", "import", str(teams)))))
        assert [r["name"] for r in rows] == ["team-a", "team-b"]
        a = rows[0]
        assert order(server, a["appkey"], a["appsecret"], "33000001-01").json()["rt_cd"] == "0"

        assert admin("instruments", "add", "RKLB", "25.00", "--name", "로켓랩").startswith("NASD RKLB")
        assert "RKLB" in admin("instruments", "list")
        assert "NASD RKLB traded at 24.50" in admin("price", "set", "RKLB", "24.50")
        off = cli("instruments", "add", "XYZ", "1.001", "--name", "x", "--url", server.base_url,
                  "--admin-token", admin_token)
        assert off.code == 1 and "tick grid" in off.err, off.err

        listed = admin("apps", "list")
        assert "team-a" in listed and "team-c" in listed
        assert admin("apps", "disable", appkey).startswith(f"disabled {appkey}")
        refused = order(server, appkey, appsecret, "33000003-01")
        assert refused.status_code == 403 and refused.json()["error_code"] == "EGW00103", refused.text
        cached = order(server, appkey, appsecret, "33000003-01", issued)  # same headers as before: refused too
        assert cached.status_code == 500 and cached.json()["msg_cd"] == "EGW00103", cached.text
        accounts = admin("accounts", "list")
        assert "account 33000009-01" in accounts and "account 33000001-01" in accounts

        bad = tmp_path / "bad.csv"
        bad.write_text("name,env,account\nteam-x,real,33000005-01\nteam-y,paper,33000006-01\n", encoding="utf-8")
        failed = cli("apps", "import", str(bad), "--url", server.base_url, "--admin-token", admin_token)
        assert failed.code == 2 and "row 3" in failed.err, failed.err
        assert "team-x" not in admin("apps", "list")  # nothing added from a bad file
        db_url = server.db_url

    with running_server(config, tmp_path / "s", admin_token=admin_token, db_url=db_url) as again:
        b = rows[1]
        assert order(again, b["appkey"], b["appsecret"], "33000002-01").json()["rt_cd"] == "0"
        assert order(again, appkey, appsecret, "33000003-01").status_code == 403  # still disabled
        assert "RKLB" in cli("instruments", "list", "--url", again.base_url, "--admin-token", admin_token).out
