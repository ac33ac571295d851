"""The python-kis snippet that `localkis serve --show-credentials` prints works as printed, socket on."""

from __future__ import annotations

import secrets
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.serverproc import make_appkey, make_appsecret, running_server, simple_config


def _snippet(log: str) -> str:
    lines = log.splitlines()
    start = lines.index("python-kis (pip install python-kis==2.1.6):") + 1
    end = lines.index("", start)
    return textwrap.dedent("\n".join(lines[start:end]))


@pytest.mark.e2e
def test_the_printed_python_kis_snippet_places_and_lists_an_order(tmp_path: Path) -> None:
    admin_token = secrets.token_urlsafe(16)
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
