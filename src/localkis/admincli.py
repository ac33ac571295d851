"""The admin commands of the `localkis` CLI: they drive a running server through its admin HTTP API.

    localkis price set AAPL 190.12 [-x NASD] [--size N]
    localkis replay FILE [--speed 1|60|max]
    localkis accounts list | accounts show NUMBER
    localkis deposit NUMBER USD 1000
    localkis position set NUMBER AAPL 10 [-x NASD] [--avg-price P]
    localkis clock | clock show | clock set ISO|now [--frozen] | clock advance SECONDS
    localkis log [--follow]
    localkis apps list | apps add --name N --env real --account NUMBER [--cash USD=100000] | apps disable
        APPKEY | apps import teams.csv;  localkis accounts add NUMBER [--cash USD=100000]

The exchange is `-x/--exchange` (default NASD) as in the client commands; the older positional forms
(`price set NASD AAPL 190.12`, `position set NUMBER NASD AAPL 10`) are still accepted. Every command
takes `--url` (default http://127.0.0.1:8080) and `--admin-token` (default: the environment variable
LOCALKIS_ADMIN_TOKEN, then `admin_token` in $LOCALKIS_CONFIG or the nearest localkis.toml in the working
directory or a parent). Failures print one line on stderr and exit with status 1 (the server said no,
or cannot be reached) or 2 (bad usage).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
import tomllib
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

import httpx

from localkis.client.config import find_localkis_toml

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


EXCHANGE_CODES = ("NASD", "NYSE", "AMEX", "SEHK", "SHAA", "SZAA", "TKSE", "HASE", "VNSE")


def _exchange(text: str) -> str:
    code = text.upper()
    if code not in EXCHANGE_CODES:
        raise argparse.ArgumentTypeError(f"unknown exchange {text!r} (one of {', '.join(EXCHANGE_CODES)})")
    return code


def _clock_time(text: str) -> str:
    """An ISO 8601 time with its UTC offset, or `now` (real time)."""
    if text.lower() == "now":
        return datetime.now(UTC).isoformat()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 time, e.g. 2026-11-25T23:45:00+09:00, "
                                         "or 'now'") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} needs its UTC offset, e.g. {text}+09:00")
    return moment.isoformat()


def _add_exchange(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--exchange", "-x", type=_exchange, default="NASD",
                        help="order-side exchange code: " + " ".join(EXCHANGE_CODES) + " (default: NASD)")


def _account_number(text: str) -> str:
    if len(text) != 11 or text[8] != "-" or not (text[:8] + text[9:]).isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not an account number like 12345678-01")
    return text


def _cash(text: str) -> tuple[str, str]:
    currency, sep, amount = text.partition("=")
    if not sep or currency.upper() not in ("USD", "HKD", "JPY", "CNY", "VND"):
        raise argparse.ArgumentTypeError(f"{text!r} is not CURRENCY=AMOUNT, e.g. USD=100000")
    return currency.upper(), _decimal(amount)


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
    price_set = price_sub.add_parser("set", help="trade SYMBOL at PRICE",
                                     description="Trade SYMBOL at PRICE, e.g. `localkis price set AAPL 190.12 "
                                                 "--size 100` or `localkis price set 00700 480.00 -x SEHK`. (The "
                                                 "older form `price set NASD AAPL 190.12` is still accepted.)")
    price_set.add_argument("symbol", help="the product code (PDNO), e.g. AAPL")
    price_set.add_argument("price", type=_decimal, help="the trade price, e.g. 190.12")
    price_set.add_argument("--size", type=_positive_int,
                           help="shares that trade at that price, which bounds the fills (default: unlimited)")
    _add_exchange(price_set)
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
    opened = accounts_sub.add_parser("add", help="open an account at run time (kept in the server's database)",
                                     description="Open account NUMBER, e.g. `localkis accounts add 12345678-03 "
                                                 "--cash USD=100000`.")
    opened.add_argument("number", type=_account_number, help="account number, e.g. 12345678-03")
    opened.add_argument("--cash", action="append", default=[], type=_cash, metavar="CUR=AMOUNT",
                        help="opening cash, e.g. USD=100000 (repeatable)")
    _connection(opened)

    deposit = sub.add_parser("deposit", help="add cash to an account on a running server",
                             description="Add AMOUNT of CURRENCY to account NUMBER, e.g. "
                                         "`localkis deposit 12345678-01 USD 1000`.")
    deposit.add_argument("number", help="account number, e.g. 12345678-01")
    deposit.add_argument("currency", choices=["USD", "HKD", "JPY", "CNY", "VND"])
    deposit.add_argument("amount", type=_decimal)
    _connection(deposit)

    position = sub.add_parser("position", help="set a holding of an account on a running server")
    position_sub = position.add_subparsers(dest="action", required=True)
    position_set = position_sub.add_parser("set", help="hold QUANTITY shares of SYMBOL",
                                           description="Set account NUMBER's holding of SYMBOL to QUANTITY "
                                                       "shares, e.g. `localkis position set 12345678-01 AAPL 10 "
                                                       "--avg-price 150` (-x/--exchange for another exchange than "
                                                       "NASD; the older form with the exchange before SYMBOL is "
                                                       "still accepted).")
    position_set.add_argument("number", help="account number, e.g. 12345678-01")
    position_set.add_argument("symbol")
    position_set.add_argument("quantity", type=_non_negative_int)
    position_set.add_argument("--avg-price", type=_decimal, help="average purchase price (default: 0)")
    _add_exchange(position_set)
    _connection(position_set)

    clock = sub.add_parser("clock", help="read, set or advance a running server's clock (bare: show it)")
    clock_sub = clock.add_subparsers(dest="action")
    clock.set_defaults(action="show")
    _connection(clock)
    _connection(clock_sub.add_parser("show", help="print the server's time"))
    clock_set = clock_sub.add_parser("set", help="jump to a time", description="Jump the server clock to ISO, e.g. "
                                     "2026-11-25T23:45:00+09:00; it runs on from there unless --frozen.")
    clock_set.add_argument("time", metavar="ISO", type=_clock_time,
                           help="an ISO 8601 time with its UTC offset, or `now` (back to real time)")
    clock_set.add_argument("--frozen", action="store_true", help="stop the clock at that time")
    _connection(clock_set)
    advance = clock_sub.add_parser("advance", help="move the clock forward")
    advance.add_argument("seconds", type=float, help="seconds to move forward (may be fractional)")
    _connection(advance)

    apps = sub.add_parser("apps", help="add, list or disable apps on a running server (contests, teams)")
    apps_sub = apps.add_subparsers(dest="action", required=True)
    _connection(apps_sub.add_parser("list", help="every app: appkey, name, environment, accounts"))
    add = apps_sub.add_parser("add", help="add an app at run time (kept in the server's database)",
                              description="Add an app, e.g. `localkis apps add --name team-3 --env real --account "
                                          "12345678-03 --cash USD=100000`; prints its appkey and appsecret.")
    add.add_argument("--name", required=True)
    add.add_argument("--env", choices=["real", "mock"], default="real")
    add.add_argument("--account", action="append", default=[], type=_account_number,
                     help="an account of the app (repeatable); opened if new")
    add.add_argument("--cash", action="append", default=[], type=_cash, metavar="CUR=AMOUNT",
                     help="opening cash of new accounts, e.g. USD=100000 (repeatable)")
    _connection(add)
    disable = apps_sub.add_parser("disable", help="disable an app: its requests fail from now on")
    disable.add_argument("appkey")
    _connection(disable)
    bulk = apps_sub.add_parser("import", help="add one app per row of a CSV file (a contest's teams)",
                               description="Add one app per row of CSV (columns name, env, account, and optional "
                                           "cash_usd) and print a CSV of name, env, account, appkey, appsecret.")
    bulk.add_argument("file", type=Path)
    _connection(bulk)

    instruments = sub.add_parser("instruments", help="list or add the instruments a running server trades")
    instruments_sub = instruments.add_subparsers(dest="action", required=True)
    _connection(instruments_sub.add_parser("list", help="every instrument: exchange, symbol, name, price"))
    inst_add = instruments_sub.add_parser("add", help="trade a new instrument (kept in the server's database)",
                                          description="Add SYMBOL at reference PRICE, e.g. `localkis instruments "
                                                      "add PLTR 25.00 --name 팔란티어`.")
    inst_add.add_argument("symbol")
    inst_add.add_argument("price", type=_decimal, help="reference price (the quote's previous close)")
    inst_add.add_argument("--name", required=True, help="the name KIS shows (prdt_name)")
    inst_add.add_argument("--lot-size", type=_positive_int, help="board lot (default: the market's)")
    _add_exchange(inst_add)
    _connection(inst_add)

    board = sub.add_parser("leaderboard", help="accounts ranked by return since the contest's start",
                           description="Every account's return since the start (P/L, realised, unrealised, in KRW "
                                       "at fixed rates). --start records the start now.")
    board.add_argument("--start", action="store_true", help="start the contest now (returns count from here)")
    _connection(board)

    requests = sub.add_parser("log", help="the requests a running server received (its request log)",
                              description="Print the server's request log: method, path, TR ID, app, account, "
                                          "status, msg_cd and duration of each KIS request (never secrets).")
    requests.add_argument("--follow", "-f", action="store_true", help="keep printing new requests (Ctrl-C stops)")
    requests.add_argument("--interval", type=float, default=1.0, help="seconds between polls with --follow")
    _connection(requests)

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


def legacy_argv(argv: list[str]) -> list[str]:
    """The older forms `price set EXCHANGE SYMBOL PRICE` and `position set NUMBER EXCHANGE SYMBOL QTY`,
    rewritten to today's single style (the exchange as -x/--exchange, as in every client command)."""
    def leading(words: list[str]) -> int:
        return next((n for n, w in enumerate(words) if w.startswith("-")), len(words))

    head, rest = argv[:2], argv[2:]
    if head == ["price", "set"] and leading(rest) >= 3:
        return [*head, rest[1], rest[2], "--exchange", rest[0], *rest[3:]]
    if head == ["position", "set"] and leading(rest) >= 4:
        return [*head, rest[0], rest[2], rest[3], "--exchange", rest[1], *rest[4:]]
    return argv


# --- the admin API -----------------------------------------------------------------------------------


def admin_token(given: str | None, config: Path | None = None) -> str:
    """--admin-token, else $LOCALKIS_ADMIN_TOKEN, else [server] admin_token of the config:
    $LOCALKIS_CONFIG, else the nearest localkis.toml in the working directory or a parent of it."""
    if given:
        return given
    if os.environ.get(TOKEN_ENV):
        return os.environ[TOKEN_ENV]
    config = config or find_localkis_toml()
    try:
        if config is None:
            raise OSError("no localkis.toml")
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
    body: dict[str, Any] = {"exchange": args.exchange, "symbol": args.symbol, "price": args.price}
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


def _check_ticks(ticks: list[Any], admin: Admin) -> None:
    """Refuse the whole file, before anything is sent, if any tick names an instrument the server does
    not trade or a price off its tick grid: a replay applies all of a file or none of it."""
    from localkis.domain.errors import BusinessError
    from localkis.domain.markets import check_price

    listed = admin.call("GET", "/localkis/admin/instruments").get("instruments", [])
    known = {(str(i["exchange"]), str(i["symbol"])): bool(i.get("topix500")) for i in listed}
    for n, tick in enumerate(ticks, start=1):
        where = f"tick {n} of {len(ticks)} ({tick.exchange.value} {tick.symbol} {tick.price})"
        key = (tick.exchange.value, tick.symbol)
        if key not in known:
            raise CliError(f"{where}: the server trades no such instrument; nothing was replayed", status=2)
        try:
            check_price(tick.exchange, tick.price, topix500=known[key])
        except BusinessError as exc:
            raise CliError(f"{where}: off the tick grid ({exc.detail}); nothing was replayed", status=2) from None


def cmd_replay(args: argparse.Namespace, admin: Admin) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from localkis.engine.sources import Pacer, TickFileError, read_ticks

    path = _tick_file(args.file)
    try:
        ticks = read_ticks(path)
    except TickFileError as exc:
        raise CliError(str(exc), status=2) from None
    _check_ticks(ticks, admin)
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
                         f"{_shown_price(p['avg_price']):>14}")
    else:
        lines.append("  no holdings")
    return lines


def _shown_price(text: str) -> str:
    """An average price to four decimals (it is a quotient: the server keeps every digit)."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        return text
    shown = value.quantize(Decimal("0.0001")) if value.as_tuple().exponent < -4 else value  # type: ignore[operator]
    return f"{shown:f}"


def cmd_accounts(args: argparse.Namespace, admin: Admin) -> int:
    if args.action == "add":
        answer = _open_account(admin, args.number, args.cash)
        cash = ", ".join(f"{a} {c}" for c, a in answer["cash"].items()) or "no cash"
        print(json.dumps(answer, ensure_ascii=False) if args.json else f"opened {answer['number']} with {cash}")
        return 0
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
    body: dict[str, Any] = {"exchange": args.exchange, "symbol": args.symbol, "quantity": args.quantity}
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


def _open_account(admin: Admin, number: str, cash: list[tuple[str, str]]) -> dict[str, Any]:
    return admin.call("POST", "/localkis/admin/accounts", {"number": number, "cash": dict(cash)})


def cmd_apps(args: argparse.Namespace, admin: Admin) -> int:
    if args.action == "list":
        answer = admin.call("GET", "/localkis/admin/apps")
        if args.json:
            _print_json(answer)
            return 0
        for a in answer.get("apps", []):
            state = "  (disabled)" if a.get("disabled") else ""
            print(f"{a['appkey']}  {a['env']:<4}  {a['name'] or '-':<16} {' '.join(a['accounts']) or '-'}{state}")
        return 0
    if args.action == "disable":
        answer = admin.call("POST", f"/localkis/admin/apps/{args.appkey}/disable")
        print(json.dumps(answer, ensure_ascii=False) if args.json
              else f"disabled {answer['appkey']} ({answer['name']})")
        return 0
    rows = _app_rows(args) if args.action == "add" else _csv_rows(args.file)
    out = csv.writer(sys.stdout)
    if args.action == "import":
        out.writerow(["name", "env", "account", "appkey", "appsecret"])
    for name, env, accounts, cash in rows:
        for number in accounts:
            if cash:
                try:
                    _open_account(admin, number, cash)
                except CliError as exc:
                    if "exists" not in exc.message:
                        raise
        answer = admin.call("POST", "/localkis/admin/apps", {"name": name, "env": env, "accounts": accounts})
        if args.json:
            _print_json(answer)
        elif args.action == "import":
            out.writerow([name, env, " ".join(accounts), answer["appkey"], answer["appsecret"]])
        else:
            print(f"[{answer['env']}] {answer['name']}\n  appkey    = {answer['appkey']}\n"
                  f"  appsecret = {answer['appsecret']}\n  accounts  = {', '.join(answer['accounts']) or '(none)'}")
    return 0


def _app_rows(args: argparse.Namespace) -> list[tuple[str, str, list[str], list[tuple[str, str]]]]:
    return [(args.name, args.env, args.account, args.cash)]


def _csv_rows(path: Path) -> list[tuple[str, str, list[str], list[tuple[str, str]]]]:
    """Every row checked before the first app is added: a bad file adds nothing."""
    try:
        with path.open(encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc}", status=2) from None
    out = []
    for n, row in enumerate(rows, start=2):
        try:
            name, env, account = row["name"].strip(), (row.get("env") or "real").strip(), row["account"].strip()
            if env not in ("real", "mock"):
                raise ValueError(f"env {env!r} is not real or mock")
            _account_number(account)
            cash = [("USD", _decimal(row["cash_usd"].strip()))] if (row.get("cash_usd") or "").strip() else []
        except (KeyError, AttributeError):
            raise CliError(f"{path} row {n}: needs the columns name, env, account (cash_usd optional)",
                           status=2) from None
        except (ValueError, argparse.ArgumentTypeError) as exc:
            raise CliError(f"{path} row {n}: {exc}", status=2) from None
        out.append((name, env, [account], cash))
    return out


def cmd_instruments(args: argparse.Namespace, admin: Admin) -> int:
    if args.action == "add":
        body: dict[str, Any] = {"exchange": args.exchange, "symbol": args.symbol, "name": args.name,
                                "price": args.price}
        if args.lot_size:
            body["lot_size"] = args.lot_size
        answer = admin.call("POST", "/localkis/admin/instruments", body)
        print(json.dumps(answer, ensure_ascii=False) if args.json
              else f"{answer['exchange']} {answer['symbol']} ({answer['name']}) added at {answer['price']}")
        return 0
    answer = admin.call("GET", "/localkis/admin/instruments")
    if args.json:
        _print_json(answer)
        return 0
    for i in answer.get("instruments", []):
        print(f"{i['exchange']:<5} {i['symbol']:<8} {i['price']:>12}  lot {i['lot_size']:<4} {i['name']}")
    return 0


def cmd_leaderboard(args: argparse.Namespace, admin: Admin) -> int:
    if args.start:
        answer = admin.call("POST", "/localkis/admin/leaderboard/start")
        print(json.dumps(answer, ensure_ascii=False) if args.json
              else f"leaderboard starts at {answer['start']} ({len(answer['accounts'])} accounts)")
        return 0
    answer = admin.call("GET", "/localkis/admin/leaderboard")
    if args.json:
        _print_json(answer)
        return 0
    print(f"since {answer['start']} (KRW at fixed rates)")
    print(f"{'#':>3} {'account':<12} {'return %':>9} {'P/L':>14} {'realised':>14} {'unrealised':>14}  apps")
    for r in answer.get("leaderboard", []):
        print(f"{r['rank']:>3} {r['account']:<12} {r['return_pct']:>9} {r['pnl_krw']:>14} {r['realised_krw']:>14} "
              f"{r['unrealised_krw']:>14}  {', '.join(r['apps']) or '-'}")
    return 0


def _request_line(e: dict[str, Any]) -> str:
    return (f"{e['at']}  {e['method']:<4} {e['path']}  tr_id={e['tr_id'] or '-'} app={e['app'] or '-'} "
            f"account={e['account'] or '-'}  {e['status']} {e['msg_cd'] or '-'}  {e['ms']}ms")


def cmd_log(args: argparse.Namespace, admin: Admin) -> int:
    after = 0
    while True:
        answer = admin.call("GET", f"/localkis/admin/requests?after={after}")
        if not answer.get("enabled", True):
            raise CliError("the server's request log is off ([server] request_log = false)")
        for entry in answer.get("requests", []):
            after = max(after, int(entry["seq"]))
            print(json.dumps(entry, ensure_ascii=False) if args.json else _request_line(entry), flush=True)
        if not args.follow:
            return 0
        time.sleep(args.interval)


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
    "log": cmd_log,
    "apps": cmd_apps,
    "instruments": cmd_instruments,
    "leaderboard": cmd_leaderboard,
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
