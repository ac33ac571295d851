"""Issue 17 defect 4, client commands: what a newcomer saw go wrong in `localkis orders/quote/order`."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from localkis.client.config import ClientConfig
from localkis.client.models import Quote
from localkis.protocol.env import Env
from localkis.protocol.exchanges import Exchange
from tests.client.conftest import World
from tests.client.test_cli import env_for, run

__all__ = ["env_for"]  # the fixture, re-used


def test_orders_with_nothing_open_says_so(main: World, env_for: Any, capsys: pytest.CaptureFixture[str]) -> None:
    env_for(main.app(Env.REAL))
    assert run(["orders"]) == 0
    out = capsys.readouterr().out
    assert "no unfilled orders" in out and "holdings" not in out


def test_quote_of_an_unknown_symbol_fails(main: World, env_for: Any, capsys: pytest.CaptureFixture[str]) -> None:
    env_for(main.app(Env.REAL))
    assert run(["quote", "NOSUCH"]) == 1
    assert "unknown symbol" in capsys.readouterr().err


def test_order_accepted_shows_no_guessed_date(main: World, env_for: Any, capsys: pytest.CaptureFixture[str]) -> None:
    env_for(main.app(Env.REAL))
    assert run(["order", "buy", "AAPL", "1", "150.00"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if "TTTT1002U" in line)
    assert not any(part.count("-") == 2 and part[:4].isdigit() for part in row.split()), row


def test_quote_keeps_the_sign_of_the_change() -> None:
    down = Quote.from_output(Exchange.NASD, "AAPL", {"last": "189.00", "base": "190.00", "sign": "5",
                                                     "diff": "1.00", "rate": "-0.53", "tvol": "3"})
    assert down.diff == Decimal("-1.00") and down.volume == 3
    up = Quote.from_output(Exchange.NASD, "AAPL", {"last": "191.00", "base": "190.00", "sign": "2",
                                                   "diff": "1.00", "rate": "0.53"})
    assert up.diff == Decimal("1.00")


def test_client_commands_read_localkis_toml_here_or_above(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "localkis.toml").write_text(
        '[[apps]]\nappkey = "PSreal"\nappsecret = "sreal"\nenv = "real"\naccounts = ["12345678-01"]\n\n'
        '[[apps]]\nappkey = "PSmock"\nappsecret = "smock"\nenv = "mock"\naccounts = ["50012345-01"]\n',
        encoding="utf-8")
    below = tmp_path / "bot"
    below.mkdir()
    monkeypatch.chdir(below)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/KIS/config/kis_devlp.yaml
    real = ClientConfig.load(environ={})
    assert (real.appkey, real.account, real.base_url) == ("PSreal", "12345678-01", "http://127.0.0.1:8080")
    mock = ClientConfig.load(environ={"KIS_ENV": "mock"})
    assert (mock.appkey, mock.account, mock.env) == ("PSmock", "50012345-01", Env.MOCK)
    assert ClientConfig.load(environ={"KIS_APPKEY": "PSother", "KIS_APPSECRET": "x"}).appkey == "PSother"
