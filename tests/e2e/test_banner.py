"""The python-kis snippet that `localkis serve --show-credentials` prints works as printed."""

from __future__ import annotations

import secrets
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.serverproc import make_appkey, make_appsecret, running_server


def _snippet(log: str) -> str:
    lines = log.splitlines()
    start = lines.index("python-kis (pip install python-kis==2.1.6):") + 1
    end = lines.index("", start)
    return textwrap.dedent("\n".join(lines[start:end]))


@pytest.mark.e2e
def test_the_printed_python_kis_snippet_places_and_lists_an_order(tmp_path: Path) -> None:
    admin_token = secrets.token_urlsafe(16)
    config = f"""
[server]
market_hours = "ignore"
rate_limits = false
token_issue_limit = false
admin_token = "{admin_token}"

[[apps]]
name = "bot"
appkey = "{make_appkey()}"
appsecret = "{make_appsecret()}"
env = "real"
accounts = ["12345678-01"]

[[apps]]
name = "bot-mock"
appkey = "{make_appkey()}"
appsecret = "{make_appsecret()}"
env = "mock"
accounts = ["50012345-01"]

[[accounts]]
number = "12345678-01"
cash = {{ USD = "100000.00" }}

[[accounts]]
number = "50012345-01"
cash = {{ USD = "100000.00" }}

[[instruments]]
exchange = "NASD"
symbol = "AAPL"
name = "애플"
price = "190.00"
"""
    with running_server(config, tmp_path, admin_token=admin_token, extra_args=["--show-credentials"]) as server:
        snippet = _snippet(server.log())
        assert server.base_url in snippet
        program = snippet + textwrap.dedent("""
            account = kis.account()
            order = account.buy(market="NASDAQ", symbol="AAPL", price=150, qty=2)
            pending = account.pending_orders(country="US")
            print("ORDERS", [(o.symbol, int(o.qty)) for o in pending.orders])
        """)
        run = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120,
                             cwd=tmp_path)
        assert run.returncode == 0, run.stderr[-3000:]
        assert "ORDERS [('AAPL', 2)]" in run.stdout, run.stdout + run.stderr[-2000:]
