"""Two server processes on one PostgreSQL database forward each reservation exactly once.

Both processes run the forwarder; their clocks are pinned to the same instants through the admin API.
At the open both look for due reservations at the same moment: each must become exactly one order.
"""

from __future__ import annotations

import secrets
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

from tests.pg import fresh_database
from tests.serverproc import make_appkey, make_appsecret, simple_config, spawn

ACCOUNT = "22345678-01"
RESERVATIONS = 60


def _admin(base_url: str, token: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, timeout=30, headers={"Authorization": f"Bearer {token}"})


def test_two_processes_forward_each_reservation_once(tmp_path: Path) -> None:
    admin_token = secrets.token_urlsafe(24)
    appkey, appsecret = make_appkey(), make_appsecret()
    config = simple_config(admin_token, [(appkey, appsecret, "real", ACCOUNT)], cash_usd="100000000.00")
    config = config.replace('market_hours = "ignore"', 'market_hours = "enforce"')
    config_path = tmp_path / "localkis.toml"
    config_path.write_text(config, encoding="utf-8")
    with fresh_database() as url, ExitStack() as stack:
        servers = []
        for i in range(2):
            workdir = tmp_path / f"s{i}"
            workdir.mkdir()
            server = spawn(config_path, url, workdir, admin_token=admin_token)
            stack.callback(server.stop)
            servers.append(server)
        admins = [stack.enter_context(_admin(s.base_url, admin_token)) for s in servers]

        def pin(moment: str) -> None:
            for admin in admins:
                assert admin.post("/localkis/admin/clock", json={"time": moment, "frozen": True}).status_code == 200

        pin("2026-11-24T10:00:00+09:00")
        http = stack.enter_context(httpx.Client(base_url=servers[0].base_url, timeout=30))
        token = http.post("/oauth2/tokenP", json={"grant_type": "client_credentials", "appkey": appkey,
                                                  "appsecret": appsecret}).json()["access_token"]
        headers = {"authorization": f"Bearer {token}", "appkey": appkey, "appsecret": appsecret,
                   "tr_id": "TTTT3014U"}
        numbers = []
        for i in range(RESERVATIONS):
            client = http if i % 2 == 0 else stack.enter_context(httpx.Client(base_url=servers[1].base_url))
            body = {"CANO": ACCOUNT[:8], "ACNT_PRDT_CD": "01", "PDNO": "AAPL", "OVRS_EXCG_CD": "NASD",
                    "FT_ORD_QTY": "1", "FT_ORD_UNPR3": "190.00"}
            reply: dict[str, Any] = client.post("/uapi/overseas-stock/v1/trading/order-resv", json=body,
                                                headers=headers).json()
            assert reply["rt_cd"] == "0", reply
            numbers.append(reply["output"]["ODNO"])
        assert len(set(numbers)) == RESERVATIONS

        pin("2026-11-24T23:30:01+09:00")  # both forwarders find all of them due
        deadline = time.monotonic() + 30
        while True:
            orders = admins[0].get("/localkis/admin/orders").json()["orders"]
            if len(orders) >= RESERVATIONS or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        time.sleep(1.0)  # a second forwarding, if there were one, would show by now
        orders = admins[0].get("/localkis/admin/orders").json()["orders"]
        assert len(orders) == RESERVATIONS, [o["odno"] for o in orders]
        logs = servers[0].log() + servers[1].log()
        forwarded = [line for line in logs.splitlines() if "became order" in line]
        assert len(forwarded) == RESERVATIONS
        assert {line.split("reservation ")[1].split()[0] for line in forwarded} == set(numbers)
