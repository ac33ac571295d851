"""Issue 17, defect 1, end to end: `localkis clock set` survives a restart."""

from __future__ import annotations

import secrets
from pathlib import Path

from tests.serverproc import make_appkey, make_appsecret, running_server, simple_config


def test_clock_set_survives_a_restart(tmp_path: Path) -> None:
    admin_token = secrets.token_urlsafe(24)
    appkey, appsecret = make_appkey(), make_appsecret()
    config = simple_config(admin_token, [(appkey, appsecret, "real", "30000001-01")], cash_usd="1000")
    config = config.replace("token_issue_limit = false", "token_issue_limit = true")
    admin = {"Authorization": f"Bearer {admin_token}"}
    body = {"grant_type": "client_credentials", "appkey": appkey, "appsecret": appsecret}
    with running_server(config, tmp_path, admin_token=admin_token) as first, first.client() as http:
        assert http.post("/oauth2/tokenP", json=body).status_code == 200
        moved = http.post("/localkis/admin/clock", headers=admin,
                          json={"time": "2027-01-04T10:00:00+09:00", "frozen": True})
        assert moved.status_code == 200, moved.text
    with running_server(config, tmp_path, admin_token=admin_token) as second, second.client() as http:
        now = http.get("/localkis/admin/clock", headers=admin).json()["now"]
        assert now == "2027-01-04T10:00:00+09:00"
        back = http.post("/localkis/admin/clock", headers=admin, json={"time": "2026-01-05T10:00:00+09:00"})
        assert back.status_code == 200
