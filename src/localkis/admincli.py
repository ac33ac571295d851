"""The admin commands of the `localkis` CLI: they drive a running server through its admin HTTP API.

    localkis price set NASD AAPL 190.12 [--size N]
    localkis replay FILE [--speed 1|60|max]
    localkis accounts list | accounts show NUMBER
    localkis deposit NUMBER USD 1000
    localkis position set NUMBER NASD AAPL 10 [--avg-price P]
    localkis clock show | clock set ISO [--frozen] | clock advance SECONDS

Every command takes `--url` (default http://127.0.0.1:8080) and `--admin-token` (default: the
environment variable LOCALKIS_ADMIN_TOKEN, then `admin_token` in ./localkis.toml). Failures print one
line on stderr and exit with status 1 (the server said no, or cannot be reached) or 2 (bad usage).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import tomllib
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

import httpx

DEFAULT_URL = "http://127.0.0.1:8080"
TOKEN_ENV = "LOCALKIS_ADMIN_TOKEN"
DEFAULT_CONFIG = Path("localkis.toml")
SAMPLE = "sample"  # `localkis replay sample`: the tick file shipped with localkis


class CliError(Exception):
    """A failure to report in one line; `status` is the exit status."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


# --- arguments ---------------------------------------------------------------------------------------


def _speed(text: str) -> float | None:
    if text.lower() == "max":
        return None
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number or 'max'") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError("speed must be a positive number, or 'max'")
    return value


def _decimal(text: str) -> str:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"{text!r} is not a decimal number") from None
    if not value.is_finite() or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be positive")
    return text


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be positive")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must not be negative")
    return value


def _connection(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", default=DEFAULT_URL, help=f"the server's base URL (default: {DEFAULT_URL})")
    parser.add_argument("--admin-token", help=f"the server's admin token (default: ${TOKEN_ENV}, then "
                                              "admin_token in ./localkis.toml)")
    parser.add_argument("--json", action="store_true", help="print the server's JSON answer instead of a summary")


def add_commands(sub: Any) -> None:
    """Add the admin commands to the `localkis` sub-command parsers."""
    price = sub.add_parser("price", help="record trades (prices) on a running server",
                           description="Record a trade print: resting orders it crosses fill (size permitting) "
                                       "and the quote endpoint serves the price.")
    price_sub = price.add_subparsers(dest="action", required=True)
    price_set = price_sub.add_parser("set", help="trade EXCHANGE SYMBOL at PRICE",
                                     description="Trade EXCHANGE SYMBOL at PRICE, e.g. `localkis price set NASD AAPL "
                                                 "190.12 --size 100`.")
    price_set.add_argument("exchange", help="order-side exchange code: NASD NYSE AMEX SEHK SHAA SZAA TKSE HASE VNSE")
    price_set.add_argument("symbol", help="the product code (PDNO), e.g. AAPL")
    price_set.add_argument("price", type=_decimal, help="the trade price, e.g. 190.12")
    price_set.add_argument("--size", type=_positive_int,
                           help="shares that trade at that price, which bounds the fills (default: unlimited)")
    _connection(price_set)

    replay = sub.add_parser("replay", help="replay a tick file (CSV or Parquet) against a running server",
                            description="Send every tick of FILE (columns timestamp, exchange, symbol, price, size) "
                                        "to the server as a trade, spaced as the timestamps say divided by --speed. "
                                        f"FILE `{SAMPLE}` is the sample file shipped with localkis.")
    replay.add_argument("file", help=f"a .csv, .parquet or .pq tick file, or `{SAMPLE}`")
    replay.add_argument("--speed", type=_speed, default=1.0,
                        help="1 = real time (default), 60 = a minute per second, max = as fast as possible")
    _connection(replay)

    accounts = sub.add_parser("accounts", help="list or inspect accounts on a running server")
    accounts_sub = accounts.add_subparsers(dest="action", required=True)
    _connection(accounts_sub.add_parser("list", help="every account: cash, available cash, holdings"))
    show = accounts_sub.add_parser("show", help="one account in detail")
    show.add_argument("number", help="account number, e.g. 12345678-01")
    _connection(show)

    deposit = sub.add_parser("deposit", help="add cash to an account on a running server",
                             description="Add AMOUNT of CURRENCY to account NUMBER, e.g. "
                                         "`localkis deposit 12345678-01 USD 1000`.")
    deposit.add_argument("number", help="account number, e.g. 12345678-01")
    deposit.add_argument("currency", choices=["USD", "HKD", "JPY", "CNY", "VND"])
    deposit.add_argument("amount", type=_decimal)
    _connection(deposit)

    position = sub.add_parser("position", help="set a holding of an account on a running server")
    position_sub = position.add_subparsers(dest="action", required=True)
    position_set = position_sub.add_parser("set", help="hold QUANTITY shares of EXCHANGE SYMBOL",
                                           description="Set account NUMBER's holding of EXCHANGE SYMBOL to QUANTITY "
                                                       "shares, e.g. `localkis position set 12345678-01 NASD AAPL 10 "
                                                       "--avg-price 150`.")
    position_set.add_argument("number", help="account number, e.g. 12345678-01")
    position_set.add_argument("exchange")
    position_set.add_argument("symbol")
    position_set.add_argument("quantity", type=_non_negative_int)
    position_set.add_argument("--avg-price", type=_decimal, help="average purchase price (default: 0)")
    _connection(position_set)

    clock = sub.add_parser("clock", help="read, set or advance a running server's clock")
    clock_sub = clock.add_subparsers(dest="action", required=True)
    _connection(clock_sub.add_parser("show", help="print the server's time"))
    clock_set = clock_sub.add_parser("set", help="jump to a time", description="Jump the server clock to ISO, e.g. "
                                     "2026-11-25T23:45:00+09:00; it runs on from there unless --frozen.")
    clock_set.add_argument("time", metavar="ISO", help="an ISO 8601 time with its UTC offset")
    clock_set.add_argument("--frozen", action="store_true", help="stop the clock at that time")
    _connection(clock_set)
    advance = clock_sub.add_parser("advance", help="move the clock forward")
    advance.add_argument("seconds", type=float, help="seconds to move forward (may be fractional)")
    _connection(advance)

    faults = sub.add_parser("faults", help="add, list or clear fault rules on a running server",
                            description="Fault rules make chosen KIS calls fail as production does (docs/testing.md).")
    faults_sub = faults.add_subparsers(dest="action", required=True)
    add = faults_sub.add_parser("add", help="add a fault rule",
                                description="e.g. `localkis faults add order-rvsecncl --kind drop_after_commit` or "
                                            "`localkis faults add '*' --kind error --msg-cd EGW00201 --nth 3`")
    add.add_argument("api", help='an API\'s last path segment (order-rvsecncl), a TR ID (TTTT1004U), or "*"')
    add.add_argument("--kind", required=True,
                     choices=["error", "latency", "drop_after_commit", "drop_before_commit"])
    add.add_argument("--app", help="only this app (its name or appkey)")
    add.add_argument("--msg-cd", help="kind error: the KIS code to answer with, e.g. EGW00201")
    add.add_argument("--nth", type=_positive_int, help="fire from the Nth matching call on (1-based)")
    add.add_argument("--probability", type=float, help="fire on each matching call with this probability")
    add.add_argument("--times", type=_non_negative_int, help="how many times it fires (default 1; 0 = unlimited)")
    add.add_argument("--latency-ms", type=_non_negative_int, help="kind latency: the delay in milliseconds")
    _connection(add)
    _connection(faults_sub.add_parser("list", help="the rules, with the calls each has seen and fired on"))
    _connection(faults_sub.add_parser("clear", help="remove every rule"))

    reset = sub.add_parser("reset", help="reset a running server to its configured state",
                           description="Configured cash, positions, prices and clock; forget orders, fills, "
                                       "tokens and run-time fault rules.")
    _connection(reset)


# --- the admin API -----------------------------------------------------------------------------------


def admin_token(given: str | None, config: Path = DEFAULT_CONFIG) -> str:
    """--admin-token, else $LOCALKIS_ADMIN_TOKEN, else [server] admin_token of ./localkis.toml."""
    if given:
        return given
    if os.environ.get(TOKEN_ENV):
        return os.environ[TOKEN_ENV]
    try:
        data = tomllib.loads(config.read_text(encoding="utf-8"))
        token = data.get("server", {}).get("admin_token")
        if isinstance(token, str) and token:
            return token
    except (OSError, tomllib.TOMLDecodeError, AttributeError):
        pass
    raise CliError(f"no admin token: pass --admin-token or set {TOKEN_ENV} (`localkis serve` prints the token "
                   "at start-up)", status=2)


class Admin:
    """The admin API of one server."""

    def __init__(self, url: str, token: str, *, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.http = httpx.Client(base_url=self.url, timeout=timeout,
                                 headers={"Authorization": f"Bearer {token}"})

    def close(self) -> None:
        self.http.close()

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            resp = self.http.request(method, path, json=body)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise CliError(f"cannot reach the server at {self.url} ({exc}); is `localkis serve` running there?") \
                from None
        except httpx.HTTPError as exc:
            raise CliError(f"{method} {self.url}{path} failed: {exc}") from None
        try:
            answer = resp.json()
        except ValueError:
            answer = None
        if resp.status_code == 401:
            raise CliError(f"the server at {self.url} refused the admin token (HTTP 401); use the token "
                           "`localkis serve` printed at start-up")
        if resp.status_code != 200 or not isinstance(answer, dict):
            detail = (answer.get("error") or answer.get("msg1")) if isinstance(answer, dict) else resp.text[:200]
            raise CliError(f"the server at {self.url} answered HTTP {resp.status_code} to {method} {path}: "
                           f"{detail or '(no message)'}")
        return answer


def _print_json(answer: dict[str, Any]) -> None:
    print(json.dumps(answer, ensure_ascii=False, indent=2))


# --- commands ----------------------------------------------------------------------------------------


def _fills_text(fills: list[dict[str, Any]]) -> list[str]:
    return [f"  fill  ODNO {f['odno']}  {f['quantity']} @ {f['price']}" for f in fills]


def cmd_price_set(args: argparse.Namespace, admin: Admin) -> int:
    body: dict[str, Any] = {"exchange": args.exchange.upper(), "symbol": args.symbol, "price": args.price}
    if args.size is not None:
        body["size"] = args.size
    answer = admin.call("POST", "/localkis/admin/prices", body)
    if args.json:
        _print_json(answer)
        return 0
    fills = answer.get("fills", [])
    size = "unlimited" if answer.get("size") is None else answer["size"]
    print(f"{answer['exchange']} {answer['symbol']} traded at {answer['price']} (size {size}): "
          f"{len(fills)} fill{'s' if len(fills) != 1 else ''}")
    for line in _fills_text(fills):
        print(line)
    return 0


def _tick_file(name: str) -> Path:
    path = Path(name)
    if name == SAMPLE and not path.exists():
        return Path(str(resources.files("localkis.data").joinpath("sample_ticks.csv")))
    return path


def cmd_replay(args: argparse.Namespace, admin: Admin) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from localkis.engine.sources import Pacer, TickFileError, read_ticks

    path = _tick_file(args.file)
    try:
        ticks = read_ticks(path)
    except TickFileError as exc:
        raise CliError(str(exc), status=2) from None
    pacer = Pacer(args.speed)
    console = Console(stderr=True)
    fills = 0
    started = time.monotonic()
    with Progress(TextColumn("replay"), BarColumn(), MofNCompleteColumn(), TextColumn("fills {task.fields[fills]}"),
                  TimeElapsedColumn(), console=console, disable=not console.is_terminal, transient=False) as bar:
        task = bar.add_task("replay", total=len(ticks), fills=0)
        for n, tick in enumerate(pacer.paced(ticks), start=1):
            body: dict[str, Any] = {"exchange": tick.exchange.value, "symbol": tick.symbol, "price": str(tick.price)}
            if tick.size is not None:
                body["size"] = tick.size
            try:
                answer = admin.call("POST", "/localkis/admin/prices", body)
            except CliError as exc:
                raise CliError(f"tick {n} of {len(ticks)} ({tick.exchange.value} {tick.symbol} {tick.price}): "
                               f"{exc.message}") from None
            done = answer.get("fills", [])
            fills += len(done)
            if args.json:
                for f in done:
                    print(json.dumps({"tick": n, **f}, ensure_ascii=False))
            bar.update(task, advance=1, fills=fills)
    elapsed = time.monotonic() - started
    speed = "max" if args.speed is None else f"{args.speed:g}x"
    print(f"replayed {len(ticks)} ticks from {path} in {elapsed:.1f}s (speed {speed}): {fills} fills",
          file=sys.stderr if args.json else sys.stdout)
    return 0


def _account_lines(row: dict[str, Any]) -> list[str]:
    lines = [f"account {row['number']}"]
    currencies = sorted(set(row.get("cash", {})) | set(row.get("reserved", {})))
    if currencies:
        lines.append(f"  {'currency':<8} {'cash':>20} {'reserved':>18} {'available':>20}")
        for c in currencies:
            lines.append(f"  {c:<8} {row['cash'].get(c, '0'):>20} {row['reserved'].get(c, '0'):>18} "
                         f"{row['available'].get(c, '0'):>20}")
    else:
        lines.append("  no cash")
    positions = row.get("positions", [])
    if positions:
        lines.append(f"  {'exchange':<8} {'symbol':<10} {'quantity':>10} {'sellable':>10} {'avg price':>14}")
        for p in positions:
            lines.append(f"  {p['exchange']:<8} {p['symbol']:<10} {p['quantity']:>10} {p['sellable']:>10} "
                         f"{p['avg_price']:>14}")
    else:
        lines.append("  no holdings")
    return lines


def cmd_accounts(args: argparse.Namespace, admin: Admin) -> int:
    if args.action == "show":
        answer = admin.call("GET", f"/localkis/admin/accounts/{args.number}")
        if args.json:
            _print_json(answer)
            return 0
        lines = _account_lines(answer)
        ledger = answer.get("ledger", [])
        if ledger:
            lines.append(f"  {'ledger':<8} {'kind':<10} {'total':>20}")
            for entry in ledger:
                lines.append(f"  {entry['currency']:<8} {entry['kind']:<10} {entry['amount']:>20}")
        print("\n".join(lines))
        return 0
    answer = admin.call("GET", "/localkis/admin/accounts")
    if args.json:
        _print_json(answer)
        return 0
    rows = answer.get("accounts", [])
    if not rows:
        print("no accounts")
    print("\n\n".join("\n".join(_account_lines(row)) for row in rows))
    return 0


def cmd_deposit(args: argparse.Namespace, admin: Admin) -> int:
    answer = admin.call("POST", f"/localkis/admin/accounts/{args.number}/deposits",
                        {"currency": args.currency, "amount": args.amount})
    if args.json:
        _print_json(answer)
    else:
        print(f"{answer['number']}: deposited {args.amount} {answer['currency']}; cash now {answer['cash']}")
    return 0


def cmd_position(args: argparse.Namespace, admin: Admin) -> int:
    body: dict[str, Any] = {"exchange": args.exchange.upper(), "symbol": args.symbol, "quantity": args.quantity}
    if args.avg_price is not None:
        body["avg_price"] = args.avg_price
    answer = admin.call("POST", f"/localkis/admin/accounts/{args.number}/positions", body)
    if args.json:
        _print_json(answer)
    else:
        print(f"{answer['number']}: holds {answer['quantity']} {answer['exchange']} {answer['symbol']} "
              f"@ {answer['avg_price']}")
    return 0


def cmd_clock(args: argparse.Namespace, admin: Admin) -> int:
    if args.action == "set":
        answer = admin.call("POST", "/localkis/admin/clock", {"time": args.time, "frozen": args.frozen})
    elif args.action == "advance":
        answer = admin.call("POST", "/localkis/admin/clock", {"advance_seconds": args.seconds})
    else:
        answer = admin.call("GET", "/localkis/admin/clock")
    if args.json:
        _print_json(answer)
    else:
        print(f"server clock: {answer['now']}" + (" (frozen)" if args.action == "set" and args.frozen else ""))
    return 0


def _fault_line(rule: dict[str, Any]) -> str:
    keys = ("app", "msg_cd", "nth", "probability", "latency_ms", "times", "seen", "fired")
    return f"#{rule['id']}  {rule['api']}  {rule['kind']}  " + "  ".join(f"{k}={rule[k]}" for k in keys if k in rule)


def cmd_faults(args: argparse.Namespace, admin: Admin) -> int:
    if args.action == "add":
        rule: dict[str, Any] = {"api": args.api, "kind": args.kind}
        for key in ("app", "msg_cd", "nth", "probability", "times", "latency_ms"):
            if getattr(args, key) is not None:
                rule[key] = getattr(args, key)
        answer = admin.call("POST", "/localkis/admin/faults", rule)
        lines = [f"added {_fault_line(r)}" for r in answer["added"]]
    elif args.action == "clear":
        answer = admin.call("DELETE", "/localkis/admin/faults")
        lines = [f"removed {answer['removed']} fault rule(s)"]
    else:
        answer = admin.call("GET", "/localkis/admin/faults")
        lines = [_fault_line(r) for r in answer["faults"]] or ["no fault rules"]
    if args.json:
        _print_json(answer)
    else:
        print("\n".join(lines))
    return 0


def cmd_reset(args: argparse.Namespace, admin: Admin) -> int:
    answer = admin.call("POST", "/localkis/admin/reset")
    if args.json:
        _print_json(answer)
    else:
        print(f"reset in {answer['seconds']}s")
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace, Admin], int]] = {
    "price": cmd_price_set,
    "replay": cmd_replay,
    "accounts": cmd_accounts,
    "deposit": cmd_deposit,
    "position": cmd_position,
    "clock": cmd_clock,
    "faults": cmd_faults,
    "reset": cmd_reset,
}


def run(args: argparse.Namespace) -> int | None:
    """Run an admin command; None if `args.command` is not one of them."""
    command = COMMANDS.get(args.command)
    if command is None:
        return None
    try:
        admin = Admin(args.url, admin_token(args.admin_token))
        try:
            return command(args, admin)
        finally:
            admin.close()
    except CliError as exc:
        print(f"localkis: {exc.message}", file=sys.stderr)
        return exc.status
    except KeyboardInterrupt:
        print("localkis: interrupted", file=sys.stderr)
        return 130
