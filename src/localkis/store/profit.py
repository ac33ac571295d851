"""Realised P/L rows: one per sell fill, written in the fill's transaction (a mixin of the SQL transaction)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from localkis.domain.profit import FillRecord, Realised
from localkis.protocol.exchanges import Exchange
from localkis.protocol.orders import Side
from localkis.store.rows import EXCHANGE_CODES, Statements, utc_text

TABLE = """CREATE TABLE realised (
            account TEXT NOT NULL,
            exchange TEXT NOT NULL,
            symbol TEXT NOT NULL,
            trade_date TEXT NOT NULL,
            quantity BIGINT NOT NULL,
            buy_cost TEXT NOT NULL,
            sell_amount TEXT NOT NULL,
            fee TEXT NOT NULL,
            order_no TEXT NOT NULL,
            at TEXT NOT NULL
        )"""
INDEXES = ["CREATE INDEX realised_account ON realised (account, trade_date)"]
_COLUMNS = "account, exchange, symbol, trade_date, quantity, buy_cost, sell_amount, fee, order_no, at"


class RealisedRows(Statements):
    def insert_realised(self, r: Realised) -> None:
        self._x(f"INSERT INTO realised ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (r.account, r.exchange.value, r.symbol, r.trade_date, r.quantity, str(r.buy_cost),
                 str(r.sell_amount), str(r.fee), r.order_no, utc_text(r.at)))

    def realised_between(self, account: str, date_from: str, date_to: str,
                         exchanges: frozenset[Exchange] | None = None, symbol: str = "") -> list[Realised]:
        """The account's sell results with exchange-local trade dates in [date_from, date_to]."""
        where = ["account = ?", "trade_date >= ?", "trade_date <= ?"]
        args: list[Any] = [account, date_from, date_to]
        if exchanges is not None:
            where.append("exchange IN (" + ", ".join("?" * len(exchanges)) + ")" if exchanges else "1 = 0")
            args.extend(sorted(e.value for e in exchanges))
        if symbol:
            where.append("symbol = ?")
            args.append(symbol)
        rows = self._x(f"SELECT {_COLUMNS} FROM realised WHERE " + " AND ".join(where) + " ORDER BY at", args)
        return [Realised(a, EXCHANGE_CODES[e], s, d, int(q), Decimal(b), Decimal(sa), Decimal(f), o,
                         datetime.fromisoformat(t)) for a, e, s, d, q, b, sa, f, o, t in rows.fetchall()]

    def account_fills(self, account: str, since: datetime, until: datetime) -> list[FillRecord]:
        """The account's fills with `since` <= time < `until`, oldest first."""
        rows = self._x("SELECT f.order_no, o.exchange, o.symbol, o.side, f.quantity, f.price, f.filled_at FROM fills f"
                       " JOIN orders o ON o.order_no = f.order_no WHERE o.account = ? AND f.filled_at >= ?"
                       " AND f.filled_at < ? ORDER BY f.filled_at, f.order_no",
                       (account, utc_text(since), utc_text(until))).fetchall()
        return [fill_record(row) for row in rows]


def fill_record(row: Sequence[Any]) -> FillRecord:
    """A fill row joined to its order: (order_no, exchange, symbol, side, quantity, price, filled_at)."""
    n, e, s, sd, q, p, t = row
    return FillRecord(f"{int(n):010d}", EXCHANGE_CODES[e], s, Side(sd), int(q), Decimal(p), datetime.fromisoformat(t))
