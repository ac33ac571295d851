"""Orders and tokens survive a restart on the same database: after SIGTERM and after SIGKILL."""

from __future__ import annotations

import secrets
import signal
from pathlib import Path

from localkis.protocol import codes
from localkis.protocol.codes import Gateway
from localkis.protocol.env import Env
from tests.integration.conftest import (
    INSTRUMENTS,
    AppCreds,
    Kis,
    Reply,
    build_config,
    database,
    expect_gateway,
    expect_order_ok,
)
from tests.serverproc import RunningServer, make_appkey, make_appsecret, running_server, spawn

AAPL, TOYOTA = INSTRUMENTS["AAPL"], INSTRUMENTS["7203"]


def orders(server: RunningServer) -> list[dict[str, object]]:
    with server.client(headers={"Authorization": f"Bearer {server.admin_token}"}) as http:
        resp = http.get("/localkis/admin/orders")
        assert resp.status_code == 200
        rows: list[dict[str, object]] = resp.json()["orders"]
        return rows


def assert_clean(server: RunningServer, apps: list[AppCreds]) -> None:
    text = server.log()
    assert "Traceback" not in text, text[-3000:]
    for app in apps:
        assert app.appsecret not in text


def test_orders_and_tokens_survive_sigterm_and_sigkill(tmp_path: Path, backend: str) -> None:
    with database(backend, tmp_path) as db_url:
        survive_restarts(tmp_path, db_url)


def survive_restarts(tmp_path: Path, db_url: str) -> None:
    real = AppCreds(make_appkey(), make_appsecret(), Env.REAL, ("40000001-01",), "real")
    mock = AppCreds(make_appkey(), make_appsecret(), Env.MOCK, ("40000002-01",), "mock")
    revoked_app = AppCreds(make_appkey(), make_appsecret(), Env.REAL, ("40000003-01",), "revoked")
    apps = [real, mock, revoked_app]
    admin_token = secrets.token_urlsafe(24)
    config = build_config(admin_token=admin_token, apps=apps)

    # --- first process: orders, a revise, a partial fill, a cancel, tokens (one revoked) ---------------
    with running_server(config, tmp_path, admin_token=admin_token, db_url=db_url) as first:
        kis, mk, rv = Kis(first, real).login(), Kis(first, mock).login(), Kis(first, revoked_app).login()
        a = kis.placed(AAPL, 10, "190.00")
        b = kis.placed(TOYOTA, 300, "2500")
        rev = expect_order_ok(kis.revise(AAPL, a, 4, "189.50"), codes.REVISE_OK.real)
        with first.client(headers={"Authorization": f"Bearer {admin_token}"}) as admin:
            filled = admin.post("/localkis/admin/fills", json={"odno": b, "quantity": 100, "price": "2500"})
            assert filled.status_code == 200, filled.text
        cxl = expect_order_ok(kis.cancel(TOYOTA, b, 100), codes.CANCEL_OK.real)
        m = mk.placed(AAPL, 2, "190.00")
        revoke = Reply(kis.http.post("/oauth2/revokeP", json={
            "appkey": revoked_app.appkey, "appsecret": revoked_app.appsecret, "token": rv.token}))
        assert revoke.status == 200, revoke
        snapshot = orders(first)
        nccs_before = kis.nccs_rows("NASD", sort="DS")
        first.stop(signal.SIGTERM)
        # a graceful shutdown (uvicorn re-raises SIGTERM after it, so the status is 0 or -SIGTERM)
        assert first.proc.returncode in (0, -signal.SIGTERM), first.log()[-3000:]
        assert "Finished server process" in first.log()
        assert_clean(first, apps)
    config_path = tmp_path / "localkis.toml"

    # --- second process after a clean shutdown ----------------------------------------------------------
    second = spawn(config_path, db_url, tmp_path, admin_token=admin_token)
    try:
        assert orders(second) == snapshot
        kis2 = Kis(second, real)
        kis2.token = kis.token  # the token issued by the first process still works
        assert kis2.nccs_rows("NASD", sort="DS") == nccs_before
        assert kis2.token_p().body["access_token"] == kis.token  # and is re-issued, not replaced
        mk2 = Kis(second, mock)
        mk2.token = mk.token
        assert [r["odno"] for r in mk2.ccnl_rows()] == [m]
        rv2 = Kis(second, revoked_app)
        rv2.token = rv.token
        expect_gateway(rv2.buy(AAPL), Gateway.BAD_TOKEN)  # a revoked token stays revoked
        # the order book carries on: revise/cancel orders from before the restart, new order numbers
        expect_order_ok(kis2.cancel(AAPL, a), codes.CANCEL_OK.real)
        c = kis2.placed(AAPL, 5, "190.00")
        assert int(c) > max(int(str(o["odno"])) for o in snapshot)
        after_second = orders(second)
        second.stop(signal.SIGKILL)
        assert second.proc.returncode == -signal.SIGKILL
        assert_clean(second, apps)
    finally:
        second.stop()

    # --- third process after a kill -9 ------------------------------------------------------------------
    third = spawn(config_path, db_url, tmp_path, admin_token=admin_token)
    try:
        assert orders(third) == after_second
        kis3 = Kis(third, real)
        kis3.token = kis.token
        live = kis3.nccs_rows("NASD", sort="DS")
        assert [(r["odno"], r["nccs_qty"]) for r in live] == [(rev, "4"), (c, "5")]
        jp = kis3.ccnl_rows(exchange="TKSE")
        assert [(r["odno"], r["ft_ccld_qty"], r["nccs_qty"]) for r in jp] == [(b, "100", "100"), (cxl, "0", "0")]
        d = kis3.placed(AAPL, 1, "190.00")
        assert int(d) > int(c)
        assert len({str(o["odno"]) for o in orders(third)}) == len(orders(third))
        assert_clean(third, apps)
    finally:
        third.stop()
