"""The admin CLI against a real server: `localkis price set …` and friends, run as separate processes.

Checks the public shape `localkis price set NASD AAPL 190.12 [--size N] [--url URL] [--admin-token T]`
(token also from LOCALKIS_ADMIN_TOKEN), its effect (fills, the quoted price), and that every failure
is one clear line on stderr with a non-zero exit status — never a traceback.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from localkis.admincli import _account_lines
from localkis.protocol import codes
from localkis.protocol.orders import Side
from tests.integration.conftest import AppCreds, Kis, expect_order_ok
from tests.integration.simulator import ACCOUNT, CliResult, app, cli, config_text
from tests.serverproc import RunningServer, free_port, running_server


@dataclass
class Setup:
    server: RunningServer
    creds: AppCreds
    token: str
    kis: Kis

    def admin(self, *args: str) -> CliResult:
        return cli(*args, "--url", self.server.base_url, f"--admin-token={self.token}")

    def orders(self) -> dict[str, dict[str, object]]:
        resp = httpx.get(self.server.base_url + "/localkis/admin/orders", timeout=10,
                         headers={"Authorization": f"Bearer {self.token}"})
        assert resp.status_code == 200
        return {o["odno"]: o for o in resp.json()["orders"]}


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    creds = app()
    token = secrets.token_hex(16)
    workdir = tmp_path_factory.mktemp("admincli")
    with running_server(config_text(creds, token), workdir, admin_token=token) as server:
        kis = Kis(server, creds).login()
        try:
            yield Setup(server, creds, token, kis)
        finally:
            kis.http.close()
        assert "Traceback" not in server.log()


def clean_failure(result: CliResult, status: int, text: str) -> None:
    assert result.code == status, (result.code, result.out, result.err)
    assert text in result.err, result.err
    assert "Traceback" not in result.err + result.out
    assert result.err.startswith("localkis: ") and result.err.count("\n") == 1, result.err


def test_price_set_fills_a_resting_order_and_moves_the_quote(setup: Setup) -> None:
    odno = expect_order_ok(setup.kis.order("NASD", "AAPL", 5, "190.00", side=Side.BUY),
                           codes.ORDER_BUY_OK.for_env(setup.kis.env))
    result = setup.admin("price", "set", "NASD", "AAPL", "189.99", "--size", "3")
    assert result.code == 0, result.err
    assert result.out.splitlines() == ["NASD AAPL traded at 189.99 (size 3): 1 fill",
                                       f"  fill  ODNO {odno}  3 @ 190.00"]
    order = setup.orders()[odno]
    assert (order["filled"], order["open"], order["state"]) == (3, 2, "partially_filled")
    quote = setup.kis.quote("NAS", "AAPL")
    assert Decimal(quote.body["output"]["last"]) == Decimal("189.99")

    # --json: the server's answer; no --size: unlimited, the rest fills
    result = setup.admin("price", "set", "NASD", "AAPL", "189.50", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out) == {"exchange": "NASD", "symbol": "AAPL", "price": "189.50", "size": None,
                                      "fills": [{"odno": odno, "quantity": 2, "price": "190.00"}]}
    assert setup.orders()[odno]["state"] == "filled"


def test_token_from_the_environment(setup: Setup) -> None:
    result = cli("price", "set", "nasd", "TSLA", "430.90", "--url", setup.server.base_url,
                 env={"LOCALKIS_ADMIN_TOKEN": setup.token})
    assert result.code == 0, result.err
    assert result.out.startswith("NASD TSLA traded at 430.90 (size unlimited): 0 fills")


def test_token_from_localkis_toml_in_the_working_directory(setup: Setup, tmp_path: Path) -> None:
    (tmp_path / "localkis.toml").write_text(f'[server]\nadmin_token = "{setup.token}"\n', encoding="utf-8")
    result = cli("clock", "show", "--url", setup.server.base_url, cwd=tmp_path)
    assert result.code == 0, result.err
    assert result.out.startswith("server clock: ")


def test_bad_token_is_a_clear_error(setup: Setup) -> None:
    result = cli("price", "set", "NASD", "AAPL", "190.12", "--url", setup.server.base_url, "--admin-token", "wrong")
    clean_failure(result, 1, "refused the admin token (HTTP 401)")


def test_no_token_is_a_clear_error(tmp_path: Path) -> None:
    result = cli("price", "set", "NASD", "AAPL", "190.12", cwd=tmp_path)
    clean_failure(result, 2, "no admin token: pass --admin-token or set LOCALKIS_ADMIN_TOKEN")


def test_unreachable_server_is_a_clear_error() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = cli("price", "set", "NASD", "AAPL", "190.12", "--url", url, "--admin-token", "x")
    clean_failure(result, 1, f"cannot reach the server at {url}")


@pytest.mark.parametrize(("args", "status", "text"), [
    (("price", "set", "NASD", "NOPE", "1.00"), 1,
     "HTTP 404 to POST /localkis/admin/prices: unknown instrument NASD NOPE"),
    (("accounts", "show", "99999999-01"), 1, "no account 99999999-01"),
    (("price", "set", "AAPL", "190.123"), 1, "price 190.123 is off NASD's tick grid"),  # issue 17
])
def test_server_refusals_are_clear_errors(setup: Setup, args: tuple[str, ...], status: int, text: str) -> None:
    clean_failure(setup.admin(*args), status, text)


@pytest.mark.parametrize("args", [
    ("price", "set", "NASD", "AAPL", "abc"),
    ("price", "set", "NASD", "AAPL", "-1"),
    ("price", "set", "NASD", "AAPL", "1", "--size", "0"),
    ("replay", "x.csv", "--speed", "0"),
    ("deposit", "12345678-01", "EUR", "5"),
    ("clock", "set", "tomorrow"),  # issue 17: bad arguments exit 2, not 1
    ("price", "set", "NASQ", "AAPL", "1.00"),
    ("price", "set", "AAPL", "1.00", "-x", "NASQ"),
])
def test_bad_arguments_exit_2(args: tuple[str, ...]) -> None:
    result = cli(*args, "--admin-token", "x")
    assert result.code == 2 and "Traceback" not in result.err, result.err
    assert "usage: localkis" in result.err


def test_accounts_deposit_position(setup: Setup) -> None:
    result = setup.admin("deposit", ACCOUNT, "USD", "1000.50")
    assert result.code == 0, result.err
    assert result.out.startswith(f"{ACCOUNT}: deposited 1000.50 USD; cash now ")

    result = setup.admin("position", "set", ACCOUNT, "NASD", "MSFT", "10", "--avg-price", "500.25")
    assert result.code == 0, result.err
    assert result.out.strip() == f"{ACCOUNT}: holds 10 NASD MSFT @ 500.25"

    result = setup.admin("accounts", "show", ACCOUNT)
    assert result.code == 0, result.err
    assert result.out.startswith(f"account {ACCOUNT}")
    assert any(line.split()[:4] == ["NASD", "MSFT", "10", "10"] for line in result.out.splitlines()), result.out

    result = setup.admin("accounts", "show", ACCOUNT, "--json")
    shown = json.loads(result.out)
    assert {"exchange": "NASD", "symbol": "MSFT", "quantity": 10, "avg_price": "500.25",
            "sellable": 10} in shown["positions"]
    assert ({"currency": "USD", "kind": "deposit", "amount": "1000.50"} in shown["ledger"]), shown["ledger"]

    result = setup.admin("accounts", "list")
    assert result.code == 0, result.err
    assert f"account {ACCOUNT}" in result.out


def test_clock_set_and_advance(setup: Setup) -> None:
    result = setup.admin("clock", "set", "2026-11-25T23:45:00+09:00", "--frozen")
    assert result.code == 0, result.err
    assert result.out.strip() == "server clock: 2026-11-25T23:45:00+09:00 (frozen)"
    result = setup.admin("clock", "advance", "90")
    assert result.out.strip() == "server clock: 2026-11-25T23:46:30+09:00"
    result = setup.admin("clock", "show")
    assert result.out.strip() == "server clock: 2026-11-25T23:46:30+09:00"


def test_replay_paces_a_file_and_reports_errors(setup: Setup, tmp_path: Path) -> None:
    ticks = tmp_path / "ticks.csv"
    ticks.write_text("timestamp,exchange,symbol,price,size\n"
                     "2026-11-25T14:30:00Z,NASD,AAPL,190.10,10\n"
                     "2026-11-25T14:31:00Z,NASD,AAPL,190.20,\n"
                     "2026-11-25T14:32:00Z,NASD,AAPL,190.30,10\n", encoding="utf-8")
    started = time.monotonic()
    result = setup.admin("replay", str(ticks), "--speed", "60")  # two minutes of ticks at 60x: ~2 s
    elapsed = time.monotonic() - started
    assert result.code == 0, result.err
    assert result.out.startswith(f"replayed 3 ticks from {ticks} in ")
    assert 1.9 <= elapsed < 30
    assert Decimal(setup.kis.quote("NAS", "AAPL").body["output"]["last"]) == Decimal("190.30")

    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,exchange,symbol,price,size\n2026-11-25T14:30:00Z,NASD,AAPL,oops,1\n", encoding="utf-8")
    clean_failure(setup.admin("replay", str(bad)), 2, "row 2: price 'oops' is not a number")

    unknown = tmp_path / "unknown.csv"
    unknown.write_text("timestamp,exchange,symbol,price,size\n2026-11-25T14:30:00Z,NASD,AAPL,190.00,1\n"
                       "2026-11-25T14:30:01Z,NASD,NOPE,1.00,1\n", encoding="utf-8")
    clean_failure(setup.admin("replay", str(unknown), "--speed", "max"), 2,
                  "tick 2 of 2 (NASD NOPE 1.00): the server trades no such instrument; nothing was replayed")


def test_serve_help_lists_the_admin_commands() -> None:
    result = cli("--help")
    assert result.code == 0
    for command in ("serve", "price", "replay", "accounts", "deposit", "position", "clock"):
        assert command in result.out
    assert cli("serve", "--help").code == 0


# --- issue 17: the first hour of a new user ----------------------------------------------------------


def test_unknown_exchange_is_named_as_unknown() -> None:
    result = cli("price", "set", "NASQ", "AAPL", "1.00", "--admin-token", "x")
    assert result.code == 2 and "unknown exchange 'NASQ'" in result.err, result.err


def test_one_argument_style_exchange_as_an_option(setup: Setup) -> None:
    result = setup.admin("price", "set", "TSLA", "431.00")  # NASD by default, like `quote` and `order`
    assert result.code == 0 and result.out.startswith("NASD TSLA traded at 431.00"), result.err
    result = setup.admin("price", "set", "00700", "480.00", "-x", "SEHK")
    assert result.code == 0 and result.out.startswith("SEHK 00700 traded at 480.00"), result.err
    result = setup.admin("position", "set", ACCOUNT, "IBM", "4", "--exchange", "NYSE")
    assert result.code == 0 and result.out.strip() == f"{ACCOUNT}: holds 4 NYSE IBM @ 0", result.err


def test_bare_clock_shows_the_time(setup: Setup) -> None:
    result = setup.admin("clock")
    assert result.code == 0 and result.out.startswith("server clock: "), result.err


def test_clock_set_now_goes_back_to_real_time(setup: Setup) -> None:
    assert setup.admin("clock", "set", "2026-11-25T23:45:00+09:00", "--frozen").code == 0
    result = setup.admin("clock", "set", "now")
    assert result.code == 0, result.err
    shown = datetime.fromisoformat(result.out.strip().removeprefix("server clock: "))
    assert abs(shown - datetime.now(UTC)) < timedelta(minutes=1)


def test_accounts_show_rounds_the_average_price() -> None:
    row = {"number": ACCOUNT, "cash": {}, "reserved": {}, "available": {},
           "positions": [{"exchange": "NASD", "symbol": "AAPL", "quantity": 3, "sellable": 3,
                          "avg_price": "190.3333333333333333333333333"}]}
    (line,) = [x for x in _account_lines(row) if "AAPL" in x]
    assert line.split()[-1] == "190.3333", line


def test_admin_token_from_localkis_toml_in_a_parent_directory(setup: Setup, tmp_path: Path) -> None:
    (tmp_path / "localkis.toml").write_text(f'[server]\nadmin_token = "{setup.token}"\n', encoding="utf-8")
    below = tmp_path / "bots" / "mine"
    below.mkdir(parents=True)
    result = cli("clock", "show", "--url", setup.server.base_url, cwd=below)
    assert result.code == 0, result.err


def test_replay_applies_nothing_from_a_file_that_fails_validation(setup: Setup, tmp_path: Path) -> None:
    """Issue 17 defect 5: an unknown symbol at tick 2 of 3 used to abort after tick 1 was applied."""
    before = setup.kis.quote("NAS", "AMZN").body["output"]["last"]
    for name, bad_row in (("unknown", "NASD,NOPE,1.00"), ("offtick", "NASD,AMZN,200.005")):
        ticks = tmp_path / f"{name}.csv"
        ticks.write_text("timestamp,exchange,symbol,price,size\n"
                         "2026-11-25T14:30:00Z,NASD,AMZN,201.00,1\n"
                         f"2026-11-25T14:30:01Z,{bad_row},1\n"
                         "2026-11-25T14:30:02Z,NASD,AMZN,202.00,1\n", encoding="utf-8")
        result = setup.admin("replay", str(ticks), "--speed", "max")
        assert result.code == 2 and "tick 2 of 3" in result.err and "nothing was replayed" in result.err, result
        assert setup.kis.quote("NAS", "AMZN").body["output"]["last"] == before
