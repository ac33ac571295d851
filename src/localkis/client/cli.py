"""`localkis order buy|sell|revise|cancel`, `localkis orders`, `history`, `balance`, `quote`: the client
on the command line, against a localkis server or the real KIS.

Configuration as `ClientConfig.load`: options, then `KIS_*` environment variables, then kis_devlp.yaml.
The main CLI adds these commands with `add_commands(subparsers)` and dispatches with `run(args)`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, is_dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

from localkis.client.config import ClientConfig
from localkis.client.errors import ConfigError, KisError, OutcomeUnknown
from localkis.client.market import Bar
from localkis.client.models import Balance, Order, OrderAck, OrderType, Quote
from localkis.client.sync import KisClient
from localkis.protocol.exchanges import Exchange

Handler = Callable[[KisClient, argparse.Namespace], Any]

_EXCHANGES = [e.value for e in Exchange]


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    g = common.add_argument_group("connection (default: KIS_* environment variables, then kis_devlp.yaml)")
    g.add_argument("--env", choices=["real", "mock"], help="the app's environment (KIS_ENV; default real)")
    g.add_argument("--base-url", help="server URL, e.g. http://127.0.0.1:8080 for localkis (KIS_BASE_URL; "
                                      "default: KIS's real or mock host)")
    g.add_argument("--kis-config", metavar="YAML", help="the official samples' kis_devlp.yaml (KIS_CONFIG; "
                                                         "default ~/KIS/config/kis_devlp.yaml)")
    g.add_argument("--account", help="CANO-ACNT_PRDT_CD, e.g. 12345678-01 (KIS_ACCOUNT)")
    common.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return common


def add_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `order`, `orders`, `history`, `balance`, `quote` and `bars` to the main parser's subcommands."""
    common = _common()

    order = subparsers.add_parser("order", help="place, revise or cancel an order (KIS client)",
                                  description="Place, revise or cancel an overseas order.")
    osub = order.add_subparsers(dest="order_command", required=True)
    for side in ("buy", "sell"):
        p = osub.add_parser(side, parents=[common], help=f"{side} shares (limit order by default)")
        p.add_argument("symbol", help="KIS product code, e.g. AAPL, 00700, 7203")
        p.add_argument("quantity", type=int)
        p.add_argument("price", help="limit price, e.g. 190.00 (0 for MOO/MOC)")
        p.add_argument("--exchange", "-x", default="NASD", choices=_EXCHANGES, type=str.upper)
        p.add_argument("--type", default="LIMIT", choices=[t.name for t in OrderType], type=str.upper,
                       help="order type (ORD_DVSN); KIS's mock takes LIMIT only")
        p.add_argument("--lot-size", type=int, help="board lot (Hong Kong lots are per stock)")
        p.set_defaults(_client_cmd=_place, side=side)
    p = osub.add_parser("revise", parents=[common], help="change an order's price (a new order number)")
    p.add_argument("order_no")
    p.add_argument("symbol")
    p.add_argument("price")
    p.add_argument("--quantity", "-q", type=int, default=0, help="shares to move to the new price (0 = all open)")
    p.add_argument("--exchange", "-x", default="NASD", choices=_EXCHANGES, type=str.upper)
    p.set_defaults(_client_cmd=_revise)
    p = osub.add_parser("cancel", parents=[common], help="cancel all or part of an order")
    p.add_argument("order_no")
    p.add_argument("symbol")
    p.add_argument("--quantity", "-q", type=int, default=0, help="shares to cancel (0 = all open)")
    p.add_argument("--exchange", "-x", default="NASD", choices=_EXCHANGES, type=str.upper)
    p.set_defaults(_client_cmd=_cancel)

    p = subparsers.add_parser("orders", parents=[common], help="unfilled orders (KIS client)")
    p.add_argument("--exchange", "-x", choices=_EXCHANGES, type=str.upper,
                   help="one exchange (NASD = all US); default every market")
    p.set_defaults(_client_cmd=_orders)

    p = subparsers.add_parser("history", parents=[common], help="orders, revisions, cancels and fills (KIS client)")
    p.add_argument("--from", dest="start", type=date.fromisoformat, help="YYYY-MM-DD (default: 7 days ago)")
    p.add_argument("--to", dest="end", type=date.fromisoformat, help="YYYY-MM-DD (default: today)")
    p.add_argument("--symbol")
    p.add_argument("--exchange", "-x", choices=_EXCHANGES, type=str.upper)
    p.add_argument("--side", choices=["buy", "sell"])
    p.add_argument("--filled", action="store_true", default=None, help="filled orders only")
    p.add_argument("--newest-first", action="store_true")
    p.set_defaults(_client_cmd=_history)

    p = subparsers.add_parser("balance", parents=[common], help="holdings and totals (KIS client)")
    p.add_argument("--exchange", "-x", choices=_EXCHANGES, type=str.upper,
                   help="one exchange (NASD = all US); default every market")
    p.add_argument("--currency", help="TR_CRCY_CD (default: the exchange's)")
    p.set_defaults(_client_cmd=_balance)

    p = subparsers.add_parser("quote", parents=[common], help="the current price (KIS client)")
    p.add_argument("symbol")
    p.add_argument("--exchange", "-x", default="NASD", choices=_EXCHANGES, type=str.upper)
    p.set_defaults(_client_cmd=_quote)

    from localkis.client import cli_extended  # reservations and P/L commands

    cli_extended.add_commands(subparsers, common)

    p = subparsers.add_parser("bars", parents=[common], help="a price chart in the terminal (KIS client)",
                              description="Bars of EXCHANGE SYMBOL, e.g. `localkis bars NASD AAPL --interval 1m`.")
    p.add_argument("exchange", choices=_EXCHANGES, type=str.upper)
    p.add_argument("symbol")
    p.add_argument("--interval", default="1d", choices=sorted(BAR_INTERVALS),
                   help="1d, 1w, 1mo (dailyprice) or 1m, 5m, 15m, 30m, 60m (minute chart); default 1d")
    p.add_argument("--count", type=int, default=60, help="bars to show (default 60)")
    p.set_defaults(_client_cmd=_bars)


def run(args: argparse.Namespace) -> int | None:
    """Run a command added by `add_commands`; None if `args` is for another command."""
    handler: Handler | None = getattr(args, "_client_cmd", None)
    if handler is None:
        return None
    out = _console()
    err = _console(stderr=True)
    try:
        config = ClientConfig.load(env=args.env, base_url=args.base_url, yaml_path=args.kis_config,
                                   account=args.account)
    except ConfigError as exc:
        err.print(f"[red]localkis: configuration: {exc}[/red]")
        return 2
    try:
        with KisClient(config) as kis:
            result = handler(kis, args)
    except OutcomeUnknown as exc:
        err.print(f"[bold red]outcome unknown[/bold red]: {exc}")
        for order in exc.candidates:
            err.print(f"  matching order {order.order_no} ({order.kind.name} {order.quantity} @ {order.price})")
        return 3
    except (KisError, UnknownSymbol) as exc:
        err.print(f"[red]error[/red] {exc}")
        return 1
    except (TypeError, ValueError) as exc:
        err.print(f"[red]invalid argument[/red]: {exc}")
        return 2
    if args.json:
        print(json.dumps(_plain(result), ensure_ascii=False, indent=2))
    else:
        _render(out, result, args)
    return 0


# --- handlers --------------------------------------------------------------------------------------
def _place(kis: KisClient, a: argparse.Namespace) -> OrderAck:
    return kis.place_order(a.exchange, a.symbol, a.side, a.quantity, a.price, order_type=OrderType[a.type],
                           lot_size=a.lot_size)


def _revise(kis: KisClient, a: argparse.Namespace) -> OrderAck:
    return kis.revise_order(a.order_no, a.exchange, a.symbol, a.price, quantity=a.quantity)


def _cancel(kis: KisClient, a: argparse.Namespace) -> OrderAck:
    return kis.cancel_order(a.order_no, a.exchange, a.symbol, quantity=a.quantity)


def _orders(kis: KisClient, a: argparse.Namespace) -> list[Order]:
    return kis.open_orders(a.exchange)


def _history(kis: KisClient, a: argparse.Namespace) -> list[Order]:
    return kis.order_history(a.start, a.end, symbol=a.symbol, exchange=a.exchange, side=a.side, filled=a.filled,
                             newest_first=a.newest_first)


def _balance(kis: KisClient, a: argparse.Namespace) -> list[Balance]:
    from localkis.client.calls import ALL_MARKETS

    exchanges: Sequence[Exchange | str] = [a.exchange] if a.exchange else ALL_MARKETS
    return [kis.balance(ex, a.currency) for ex in exchanges]


def _quote(kis: KisClient, a: argparse.Namespace) -> Quote:
    quote = kis.quote(a.exchange, a.symbol)
    if quote.last is None:  # KIS answers an unknown symbol with blank fields, not an error
        raise UnknownSymbol(f"no quote for {a.exchange} {a.symbol}: unknown symbol on that exchange")
    return quote


class UnknownSymbol(Exception):
    """`quote` of a symbol the server does not know (exit status 1)."""


# --- output ----------------------------------------------------------------------------------------
def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    return Console(file=stream, width=None if stream.isatty() else 160, highlight=False)


BAR_INTERVALS: dict[str, str | int] = {"1d": "day", "1w": "week", "1mo": "month",
                                       "1m": 1, "5m": 5, "15m": 15, "30m": 30, "60m": 60}


@dataclass(frozen=True, slots=True)
class BarsView:
    """What `localkis bars` shows: the bars of one instrument at one interval, oldest first."""

    exchange: str
    symbol: str
    interval: str
    bars: list[Bar]


def _bars(kis: KisClient, a: argparse.Namespace) -> BarsView:
    spec = BAR_INTERVALS[a.interval]
    count = max(1, a.count)
    if isinstance(spec, int):
        bars = kis.minute_bars(a.exchange, a.symbol, count, minutes=spec)
    else:
        days = {"day": 1.5, "week": 7, "month": 31}[spec]
        bars = kis.daily_bars(a.exchange, a.symbol, date.today() - timedelta(days=int(count * days) + 7),
                              period=spec)[-count:]
    return BarsView(a.exchange, a.symbol, a.interval, bars)


SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[Decimal]) -> str:
    """A one-line chart of `values` (the closes)."""
    if not values:
        return ""
    lo, hi = min(values), max(values)
    span = hi - lo
    return "".join(SPARKS[int((v - lo) / span * (len(SPARKS) - 1)) if span else 0] for v in values)


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {k: _plain(v) for k, v in asdict(value).items() if k != "raw"}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items() if k != "raw"}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Enum):
        return value.name if value.name not in ("BUY", "SELL") else value.name.lower()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _num(value: Decimal) -> str:
    text = f"{value.normalize():f}" if value == value.to_integral() else f"{value:f}".rstrip("0")
    return text


def _render(out: Any, result: Any, args: argparse.Namespace) -> None:
    from rich.table import Table

    if hasattr(result, "__rich__"):  # results that render themselves (cli_extended)
        out.print(result)
        return
    if isinstance(result, OrderAck):
        table = Table(title="order accepted" if not result.reconciled else "order found after a lost response")
        for col in ("order no", "time (KST)", "TR", "message"):
            table.add_column(col, no_wrap=True)
        # ORD_TMD is a time of day on the server's clock: no date is shown (one guessed from this
        # machine's date is wrong whenever the server clock has been set to another day).
        when = result.ordered_at.strftime("%H:%M:%S") if result.ordered_at else ""
        table.add_row(result.order_no, when, result.tr_id, result.msg1 or "(reconciled from the history)")
        out.print(table)
    elif isinstance(result, BarsView):
        table = Table(title=f"{result.exchange} {result.symbol} {result.interval} ({len(result.bars)} bars)",
                      caption=sparkline([b.close for b in result.bars]))
        for col in ("time", "open", "high", "low", "close", "volume"):
            table.add_column(col, no_wrap=True, justify="left" if col == "time" else "right")
        for b in result.bars[-20:]:
            when = b.time.strftime("%Y-%m-%d %H:%M") if isinstance(b.time, datetime) else b.time.isoformat()
            table.add_row(when, _num(b.open), _num(b.high), _num(b.low), _num(b.close), str(b.volume))
        out.print(table)
    elif isinstance(result, Quote):
        table = Table(title=f"{result.exchange.value} {result.symbol}")
        for col in ("last", "previous close", "change", "rate %", "volume"):
            table.add_column(col, justify="right")
        table.add_row(_num(result.last) if result.last is not None else "-",
                      _num(result.base) if result.base is not None else "-", _num(result.diff), _num(result.rate),
                      str(result.volume))
        out.print(table)
    elif args._client_cmd is _balance:
        for bal in result:
            if not bal.positions and args.exchange is None:
                continue
            table = Table(title=f"balance {bal.exchange.value} ({bal.currency})")
            for col in ("exchange", "symbol", "name", "qty", "sellable", "avg price", "price", "value", "P/L", "P/L %"):
                table.add_column(col, justify="right" if col not in ("exchange", "symbol", "name") else "left",
                                 no_wrap=col in ("exchange", "symbol"))
            for p in bal.positions:
                table.add_row(p.exchange.value if p.exchange else "", p.symbol, p.name, str(p.quantity),
                              str(p.orderable_quantity), _num(p.average_price), _num(p.price),
                              _num(p.evaluation_amount), _num(p.profit_loss), _num(p.profit_loss_rate))
            t = bal.totals
            table.caption = (f"purchase {_num(t.purchase_amount)} · evaluation P/L {_num(t.evaluation_profit_loss)}"
                             f" · realized P/L {_num(t.realized_profit_loss)} · return {_num(t.total_return_rate)}%")
            out.print(table)
        if not any(b.positions for b in result):
            out.print("no holdings")
    elif isinstance(result, list):
        title = "unfilled orders" if args._client_cmd is _orders else "order history"
        if not result:
            out.print("no unfilled orders" if args._client_cmd is _orders else "no orders in that period")
            return
        table = Table(title=f"{title} ({len(result)})")
        for col in ("order no", "orig no", "kind", "exchange", "symbol", "side", "qty", "filled", "open", "price",
                    "avg fill", "time (KST)"):
            table.add_column(col, no_wrap=True, justify="right" if col in ("qty", "filled", "open", "price",
                                                                             "avg fill") else "left")
        for o in result:
            table.add_row(o.order_no, o.original_order_no, o.kind.name.lower(), o.exchange.value if o.exchange else "",
                          o.symbol, o.side.name.lower(), str(o.quantity), str(o.filled_quantity), str(o.open_quantity),
                          _num(o.price), _num(o.average_fill_price) if o.filled_quantity else "",
                          o.ordered_at.strftime("%m-%d %H:%M:%S") if o.ordered_at else "")
        out.print(table)


def main(argv: Sequence[str] | None = None) -> int:
    """Standalone entry point (`python -m localkis.client.cli …`) with only the client commands."""
    parser = argparse.ArgumentParser(prog="localkis", description="KIS overseas-stock client commands.")
    add_commands(parser.add_subparsers(dest="command", required=True))
    result = run(parser.parse_args(argv))
    return 0 if result is None else result


if __name__ == "__main__":
    raise SystemExit(main())
