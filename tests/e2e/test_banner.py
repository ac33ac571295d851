"""The python-kis snippet that `localkis serve --show-credentials` prints works as printed, socket on."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.serverproc import make_appkey, make_appsecret, running_server, simple_config


def _snippet(log: str) -> str:
    lines = log.splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith("python-kis (pip install ")) + 1
    end = lines.index("", start)
    return textwrap.dedent("\n".join(lines[start:end]))


@pytest.mark.e2e
def test_the_printed_python_kis_snippet_places_and_lists_an_order(tmp_path: Path) -> None:
    admin_token = secrets.token_hex(16)
    config = simple_config(admin_token, [(make_appkey(), make_appsecret(), "real", "12345678-01"),
                                         (make_appkey(), make_appsecret(), "mock", "50012345-01")],
                           cash_usd="100000.00")
    config = config.replace('env = "real"', 'env = "real"\nnotice_fields = 21', 1)  # what python-kis 2.1.x parses
    with running_server(config, tmp_path, admin_token=admin_token, extra_args=["--show-credentials"]) as server:
        snippet = _snippet(server.log())
        assert server.base_url in snippet
        program = snippet + textwrap.dedent(f"""
            import threading, time, httpx
            account = kis.account()
            filled = threading.Event()
            ticket = account.on("execution", lambda _, e: e.response.executed_quantity and filled.set())
            time.sleep(2)  # python-kis subscribes on its socket thread
            order = account.buy(market="NASDAQ", symbol="AAPL", price=150, qty=2)
            pending = account.pending_orders(country="US")
            print("ORDERS", [(o.symbol, int(o.qty)) for o in pending.orders])
            httpx.post("{server.base_url}/localkis/admin/prices", json={{"exchange": "NASD", "symbol": "AAPL",
                       "price": "149.00"}}, headers={{"authorization": "Bearer {admin_token}"}})
            print("FILL NOTICE", filled.wait(20))
            ticket.unsubscribe()
            kis.websocket.disconnect()
        """)
        run = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120,
                             cwd=tmp_path)
        assert run.returncode == 0, run.stderr[-3000:]
        assert "ORDERS [('AAPL', 2)]" in run.stdout, run.stdout + run.stderr[-2000:]
        assert "FILL NOTICE True" in run.stdout, run.stdout + run.stderr[-2000:]


def _run_snippet(snippet: str, home: Path) -> subprocess.CompletedProcess[str]:
    program = snippet + textwrap.dedent("""
        account = kis.account()
        account.buy(market="NASDAQ", symbol="AAPL", price=150, qty=1)
        print("BOUGHT")
    """)
    env = {**os.environ, "HOME": str(home)}  # python-kis keeps its token cache under ~/.pykis
    return subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120,
                          cwd=home, env=env)


@pytest.mark.e2e
def test_the_printed_snippet_runs_twice_within_a_minute_under_the_token_limit(tmp_path: Path) -> None:
    """Issue 17 defect 2: with python-kis's own token cache a re-run reuses the token (no EGW00133)."""
    admin_token = secrets.token_hex(16)
    config = simple_config(admin_token, [(make_appkey(), make_appsecret(), "real", "12345678-01"),
                                         (make_appkey(), make_appsecret(), "mock", "50012345-01")],
                           cash_usd="100000.00").replace("token_issue_limit = false", "token_issue_limit = true")
    with running_server(config, tmp_path, admin_token=admin_token, extra_args=["--show-credentials"]) as server:
        snippet = _snippet(server.log())
        assert "market hours: ignored" in server.log()  # the banner's market lines (defect 3)
        for attempt in (1, 2):
            run = _run_snippet(snippet, tmp_path)
            assert run.returncode == 0 and "BOUGHT" in run.stdout, f"run {attempt}: {run.stderr[-3000:]}"


def _banner_section(log: str, heading: str) -> str:
    lines = [*log.splitlines(), ""]
    start = lines.index(heading) + 1
    return "\n".join(lines[start:lines.index("", start)])


def test_the_banner_names_typing_extensions_and_every_key_kis_auth_reads(tmp_path: Path) -> None:
    """Issue 17 defect 2: the install line and a complete kis_devlp.yaml (kis_auth.py reads my_agent at
    import, my_htsid when it authenticates, ops/vops for WebSockets)."""
    import yaml

    from localkis.cli import banner
    from localkis.server.config import load_config

    path = tmp_path / "localkis.toml"
    path.write_text(simple_config("t" * 16, [(make_appkey(), make_appsecret(), "real", "12345678-01"),
                                             (make_appkey(), make_appsecret(), "mock", "50012345-01")],
                                  cash_usd="1.00"), encoding="utf-8")
    text = banner(load_config(path), path, "http://127.0.0.1:8080", "t" * 16, show_secrets=True, created=False)
    assert "pip install python-kis==2.1.6 typing_extensions" in text
    devlp = yaml.safe_load(_banner_section(text, "official samples (~/KIS/config/kis_devlp.yaml):"))
    for key in ("my_app", "my_sec", "paper_app", "paper_sec", "my_htsid", "my_acct_stock", "my_paper_stock",
                "my_prod", "my_agent", "prod", "ops", "vps", "vops"):
        assert devlp.get(key), key
    assert devlp["ops"] == devlp["vops"] == "ws://127.0.0.1:8080"


@pytest.mark.e2e
def test_a_newcomer_at_a_closed_hour_follows_the_banner_to_a_filled_order(tmp_path: Path) -> None:
    """Issue 17 "done when": at 14:00 KST (US closed, hours enforced) the banner's own `localkis clock set`
    line opens the US market, the printed python-kis snippet buys, and `localkis price set` fills it."""
    from tests.integration.simulator import cli

    admin_token = secrets.token_hex(16)
    config = simple_config(admin_token, [(make_appkey(), make_appsecret(), "real", "12345678-01"),
                                         (make_appkey(), make_appsecret(), "mock", "50012345-01")],
                           cash_usd="100000.00")
    config = config.replace('market_hours = "ignore"', 'market_hours = "enforce"\nclock = "2026-12-02T14:00:00+09:00"')
    with running_server(config, tmp_path, admin_token=admin_token, extra_args=["--show-credentials"]) as server:
        log = server.log()
        assert "US  NASD  closed (before open, next opens 2026-12-02 23:30 KST)" in log, log
        (hint,) = [line.split()[1:4] for line in log.splitlines() if line.strip().startswith("localkis clock set")]
        moved = cli(*hint, "--url", server.base_url, "--admin-token", admin_token)
        assert moved.code == 0 and "2026-12-02T23:45:00" in moved.out, moved.err
        run = _run_snippet(_snippet(log), tmp_path)
        assert run.returncode == 0 and "BOUGHT" in run.stdout, run.stderr[-3000:]
        # The printed kis_devlp.yaml, as the official samples read it (here through localkis's client).
        devlp = tmp_path / "kis_devlp.yaml"
        devlp.write_text(_banner_section(log, "official samples (~/KIS/config/kis_devlp.yaml):"), encoding="utf-8")
        bought = cli("order", "buy", "AAPL", "1", "150.00", "--kis-config", str(devlp), "--json",
                     env={"HOME": str(tmp_path)})
        assert bought.code == 0, bought.err
        filled = cli("price", "set", "AAPL", "150.00", "--url", server.base_url, "--admin-token", admin_token)
        assert filled.code == 0 and "2 fills" in filled.out, filled.out + filled.err
