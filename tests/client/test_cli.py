"""The client's CLI commands against a real server, configured from the environment or kis_devlp.yaml."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from localkis.client import cli
from localkis.protocol.env import Env
from tests.client.conftest import AppCreds, World
from tests.serverproc import REPO


@pytest.fixture
def env_for(main: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    def use(app: AppCreds) -> AppCreds:
        monkeypatch.setenv("KIS_APPKEY", app.appkey)
        monkeypatch.setenv("KIS_APPSECRET", app.appsecret)
        monkeypatch.setenv("KIS_ACCOUNT", app.account)
        monkeypatch.setenv("KIS_ENV", app.env.value)
        monkeypatch.setenv("KIS_BASE_URL", main.base_url)
        monkeypatch.setenv("KIS_TOKEN_CACHE_DIR", str(tmp_path / "tokens"))
        monkeypatch.setenv("KIS_RATE_PER_SECOND", "0")
        monkeypatch.delenv("KIS_CONFIG", raising=False)
        return app
    return use


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="localkis")
    cli.add_commands(parser.add_subparsers(dest="command", required=True))
    result = cli.run(parser.parse_args(argv))
    assert result is not None
    return result


def test_run_ignores_other_commands() -> None:
    assert cli.run(argparse.Namespace(command="serve")) is None


def test_order_life_cycle_json(main: World, env_for: Any, capsys: pytest.CaptureFixture[str]) -> None:
    env_for(main.app(Env.MOCK))
    assert run(["order", "buy", "AAPL", "3", "150.00", "--json"]) == 0
    ack = json.loads(capsys.readouterr().out)
    assert ack["tr_id"] == "VTTT1002U" and len(ack["order_no"]) == 10 and ack["reconciled"] is False

    assert run(["order", "sell", "TSLA", "1", "350.00", "-x", "NASD", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["tr_id"] == "VTTT1001U"

    assert run(["order", "revise", ack["order_no"], "AAPL", "151.00", "--json"]) == 0
    revised = json.loads(capsys.readouterr().out)
    assert run(["order", "cancel", revised["order_no"], "AAPL", "--quantity", "1", "--json"]) == 0
    capsys.readouterr()

    assert run(["orders", "--json"]) == 0
    opened = json.loads(capsys.readouterr().out)
    assert [(o["symbol"], o["open_quantity"]) for o in opened] == [("TSLA", 1), ("AAPL", 2)]
    assert opened[1]["order_no"] == revised["order_no"]

    assert run(["history", "--json", "--symbol", "AAPL"]) == 0
    kinds = [o["kind"] for o in json.loads(capsys.readouterr().out)]
    assert kinds == ["NEW", "REVISE", "CANCEL"]

    assert run(["balance", "-x", "NASD", "--json"]) == 0
    (bal,) = json.loads(capsys.readouterr().out)
    assert bal["currency"] == "USD" and any(p["symbol"] == "AAPL" for p in bal["positions"])


def test_tables(main: World, env_for: Any, capsys: pytest.CaptureFixture[str]) -> None:
    env_for(main.app(Env.REAL))
    assert run(["order", "buy", "AAPL", "2", "150.00"]) == 0
    out = capsys.readouterr().out
    assert "order accepted" in out and "TTTT1002U" in out and "주문 전송 완료 되었습니다." in out
    order_no = next(word for word in out.split() if word.isdigit() and len(word) == 10)
    assert run(["orders"]) == 0
    out = capsys.readouterr().out
    assert "unfilled orders (1)" in out and order_no in out and "AAPL" in out
    assert run(["history"]) == 0
    assert order_no in capsys.readouterr().out
    assert run(["balance"]) == 0
    out = capsys.readouterr().out
    assert "balance NASD (USD)" in out and "00700" in out
    assert run(["quote", "AAPL"]) == 0
    assert "190" in capsys.readouterr().out


def test_errors_and_exit_codes(main: World, env_for: Any, capsys: pytest.CaptureFixture[str]) -> None:
    env_for(main.app(Env.REAL))
    assert run(["order", "buy", "AAPL", "1", "150.005"]) == 1
    err = capsys.readouterr().err
    assert "APBK0506" in err and "not sent" in err
    assert run(["order", "cancel", "0009999999", "AAPL"]) == 1
    assert "HTTP 200" in capsys.readouterr().err
    assert run(["order", "buy", "AAPL", "1", "abc"]) == 2


def test_configured_from_kis_devlp_yaml_in_a_subprocess(main: World, tmp_path: Path) -> None:
    app = main.app(Env.REAL)
    yaml = tmp_path / "kis_devlp.yaml"
    yaml.write_text(f'my_app: "{app.appkey}"\nmy_sec: "{app.appsecret}"\nmy_acct_stock: "{app.account[:8]}"\n'
                    f'my_prod: "01"\nprod: "{main.base_url}"\nvps: "{main.base_url}"\n', encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "KIS_CONFIG": str(yaml)}
    proc = subprocess.run([sys.executable, "-m", "localkis.client.cli", "order", "buy", "AAPL", "1", "150.00",
                           "--json"], capture_output=True, text=True, cwd=REPO, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["tr_id"] == "TTTT1002U"
    assert main.admin.orders_of(app.account)[0]["quantity"] == 1
    assert (tmp_path / ".cache" / "localkis" / "tokens").is_dir()
