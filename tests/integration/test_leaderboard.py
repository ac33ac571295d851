"""Issue 17, contests: the leaderboard ranks accounts by return since the start, with realised and
unrealised P/L, and does not count a deposit as a gain."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from tests.integration.simulator import cli
from tests.serverproc import make_appkey, make_appsecret, running_server, simple_config

A, B = "34000001-01", "34000002-01"


def test_leaderboard_since_the_start(tmp_path: Path) -> None:
    admin_token = secrets.token_hex(24)
    config = simple_config(admin_token, [(make_appkey(), make_appsecret(), "real", A),
                                         (make_appkey(), make_appsecret(), "real", B)], cash_usd="10000.00")
    with running_server(config, tmp_path, admin_token=admin_token) as server:
        def admin(*args: str) -> str:
            result = cli(*args, "--url", server.base_url, "--admin-token", admin_token)
            assert result.code == 0, (args, result.err)
            return result.out

        assert admin("position", "set", A, "AAPL", "10", "--avg-price", "190.00")
        assert "2 accounts" in admin("leaderboard", "--start")
        admin("price", "set", "AAPL", "200.00")  # A: +10 × 10 USD unrealised
        admin("deposit", B, "USD", "5000")  # B: funding, not a gain
        board = json.loads(admin("leaderboard", "--json"))
        rows = {r["account"]: r for r in board["leaderboard"]}
        assert [r["account"] for r in board["leaderboard"]] == [A, B]
        assert rows[A]["unrealised_krw"] == str(100 * 1350) and rows[A]["realised_krw"] == "0"
        assert rows[A]["rank"] == 1 and float(rows[A]["return_pct"]) > 0
        assert rows[B]["pnl_krw"] == "0" and rows[B]["return_pct"] == "0.00"
        text = admin("leaderboard")
        assert text.splitlines()[2].split()[:2] == ["1", A], text
