"""`localkis reserve buy|sell|cancel`, `localkis reservations`, `localkis pnl`: reservations and the realised
P/L on the command line (added to the client commands by `localkis.client.cli`)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from localkis.client.extended import ProfitRow, Reservation, ReservationAck
from localkis.client.sync import KisClient
from localkis.protocol.exchanges import Exchange

_EXCHANGES = [e.value for e in Exchange]
STATUS = {"01": "waiting", "02": "sent", "03": "refused", "04": "cancelled"}


@dataclass(frozen=True)
class Listing:
    """A result printed as a table (rich calls `__rich__`); `items` is what --json prints."""

    title: str
    columns: list[str]
    rows: list[list[str]]
    items: list[Any] = field(default_factory=list)
    caption: str = ""

    def __rich__(self) -> Any:
        from rich.table import Table

        table = Table(title=self.title, caption=self.caption or None)
        for col in self.columns:
            table.add_column(col, no_wrap=True)
        for r in self.rows:
            table.add_row(*r)
        return table


def add_commands(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    reserve = subparsers.add_parser("reserve", help="reserve an order for the next open, or cancel one (KIS client)",
                                    description="Reservation orders (예약주문): sent at the market's next open.")
    rsub = reserve.add_subparsers(dest="reserve_command", required=True)
    for side in ("buy", "sell"):
        p = rsub.add_parser(side, parents=[common], help=f"reserve a {side} (limit)")
        p.add_argument("symbol")
        p.add_argument("quantity", type=int)
        p.add_argument("price")
        p.add_argument("--exchange", "-x", default="NASD", choices=_EXCHANGES, type=str.upper)
        p.set_defaults(_client_cmd=_reserve, side=side)
    p = rsub.add_parser("cancel", parents=[common], help="cancel a waiting reservation")
    p.add_argument("number", help="the reservation number (OVRS_RSVN_ODNO)")
    p.add_argument("--date", type=date.fromisoformat, help="its receipt date, YYYY-MM-DD (default today, KST)")
    p.add_argument("--exchange", "-x", default="NASD", choices=_EXCHANGES, type=str.upper)
    p.add_argument("--symbol", default="", help="the symbol (Asian reservations)")
    p.set_defaults(_client_cmd=_cancel)

    p = subparsers.add_parser("reservations", parents=[common], help="reservation orders and what became of them")
    p.add_argument("--from", dest="start", type=date.fromisoformat, help="YYYY-MM-DD (default today, KST)")
    p.add_argument("--to", dest="end", type=date.fromisoformat, help="YYYY-MM-DD (default today, KST)")
    p.add_argument("--asia", action="store_true", help="the Asian markets' reservations (default: US)")
    p.set_defaults(_client_cmd=_reservations)

    p = subparsers.add_parser("pnl", parents=[common], help="realised profit and loss per instrument and day")
    p.add_argument("pnl_account", nargs="?", metavar="ACCOUNT", help="CANO-ACNT_PRDT_CD (default: --account)")
    p.add_argument("--from", dest="start", type=date.fromisoformat, help="YYYY-MM-DD (default: 30 days ago)")
    p.add_argument("--to", dest="end", type=date.fromisoformat, help="YYYY-MM-DD (default: today)")
    p.add_argument("--exchange", "-x", choices=_EXCHANGES, type=str.upper, help="one country (default: all)")
    p.set_defaults(_client_cmd=_pnl)


def _reserve(kis: KisClient, a: argparse.Namespace) -> Listing:
    ack = kis.reserve(a.exchange, a.symbol, a.side, a.quantity, a.price)
    return _ack("reservation accepted", ack)


def _cancel(kis: KisClient, a: argparse.Namespace) -> Listing:
    ack = kis.cancel_reservation(a.number, a.date or _today(kis), a.exchange, a.symbol)
    return _ack("reservation cancelled", ack)


def _ack(title: str, ack: ReservationAck) -> Listing:
    return Listing(title, ["number", "TR", "message"], [[ack.number, ack.tr_id, ack.msg1]], [ack])


def _today(kis: KisClient) -> date:
    from localkis.client.models import KST

    return kis.now().astimezone(KST).date()


def _reservations(kis: KisClient, a: argparse.Namespace) -> Listing:
    found: list[Reservation] = kis.reservations(a.start, a.end, asia=a.asia)
    rows = [[r.number, r.receipt_date, STATUS.get(r.status, r.status), r.exchange, r.symbol, r.side.name.lower(),
             str(r.quantity), f"{r.price:f}", r.order_no, str(r.filled_quantity), r.reason] for r in found]
    return Listing(f"reservations ({len(found)})", ["number", "received", "status", "exchange", "symbol", "side",
                                                    "qty", "price", "order no", "filled", "why refused"], rows, found)


def _pnl(kis: KisClient, a: argparse.Namespace) -> Listing:
    end = a.end or _today(kis)
    start = a.start or end - timedelta(days=30)
    if a.pnl_account:  # another account of the same app
        with KisClient(kis.config.replace(account=a.pnl_account)) as other:
            found: list[ProfitRow] = other.profit(start, end, a.exchange)
    else:
        found = kis.profit(start, end, a.exchange)
    rows = [[p.trade_date, p.exchange, p.symbol, str(p.quantity), f"{p.average_buy_price:f}",
             f"{p.average_sell_price:f}", f"{p.fees:f}", f"{p.profit:f}", f"{p.return_rate:f}"] for p in found]
    total = sum((p.profit for p in found), Decimal(0))
    return Listing(f"realised P/L ({len(found)})", ["day", "exchange", "symbol", "sold", "avg buy", "avg sell",
                                                    "fees", "P/L", "P/L %"], rows, found, caption=f"total {total}")
