"""Reservation rows (예약주문): the table's statements, shared by the SQL backends as a mixin of their
transaction. Waiting reservations are claimed for forwarding through a partial index on their time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from localkis.domain.orders import Order
from localkis.domain.reservations import Reservation, ReservationStatus
from localkis.protocol.env import Env
from localkis.protocol.exchanges import Exchange
from localkis.protocol.orders import Side
from localkis.store.rows import EXCHANGE_CODES, SELECT_ORDERS, Statements, order_from_row, utc_text

COLUMNS = ("number", "account", "env", "exchange", "symbol", "side", "order_type", "quantity", "price",
           "product_type", "received_at", "receipt_date", "forward_at", "status", "order_no", "order_date",
           "forwarded_at", "reason", "expires_at")
assert Reservation._fields == COLUMNS  # _from_row and _values are positional
_SELECT = "SELECT " + ", ".join(COLUMNS) + " FROM reservations"
_INSERT = ("INSERT INTO reservations (" + ", ".join(COLUMNS) + ") VALUES (" + ", ".join("?" * len(COLUMNS)) + ")")
WAITING = f"status = '{ReservationStatus.WAITING.value}'"
# Sent reservations whose order is cancelled at the close if still open.
EXPIRING = f"status = '{ReservationStatus.FORWARDED.value}' AND expires_at <> ''"

# The table (a schema migration creates it).
TABLE = """CREATE TABLE reservations (
            number TEXT PRIMARY KEY,
            account TEXT NOT NULL,
            env TEXT NOT NULL,
            exchange TEXT NOT NULL,
            symbol TEXT NOT NULL,
            side TEXT NOT NULL,
            order_type TEXT NOT NULL,
            quantity BIGINT NOT NULL,
            price TEXT NOT NULL,
            product_type TEXT NOT NULL,
            received_at TEXT NOT NULL,
            receipt_date TEXT NOT NULL,
            forward_at TEXT NOT NULL,
            status TEXT NOT NULL,
            order_no TEXT NOT NULL,
            order_date TEXT NOT NULL,
            forwarded_at TEXT NOT NULL,
            reason TEXT NOT NULL,
            expires_at TEXT NOT NULL
        )"""
INDEXES = [
    "CREATE INDEX reservations_account ON reservations (account, number)",
    # The forwarder's claim: only waiting reservations, in the order they are due.
    f"CREATE INDEX reservations_due ON reservations (forward_at, number) WHERE {WAITING}",
    f"CREATE INDEX reservations_expiring ON reservations (expires_at, number) WHERE {EXPIRING}",
]


def _values(r: Reservation) -> tuple[Any, ...]:
    return (r.number, r.account, r.env.value, r.exchange.value, r.symbol, r.side.value, r.order_type, r.quantity,
            str(r.price), r.product_type, utc_text(r.received_at), r.receipt_date, utc_text(r.forward_at),
            r.status.value, r.order_no, r.order_date, "" if r.forwarded_at is None else utc_text(r.forwarded_at),
            r.reason, "" if r.expires_at is None else utc_text(r.expires_at))


def _from_row(row: Sequence[Any]) -> Reservation:
    (number, account, env, exchange, symbol, side, order_type, quantity, price, product_type, received_at,
     receipt_date, forward_at, status, order_no, order_date, forwarded_at, reason, expires_at) = row
    return Reservation(str(number), account, Env(env), EXCHANGE_CODES[exchange], symbol, Side(side), order_type,
                       int(quantity), Decimal(price), product_type, datetime.fromisoformat(received_at),
                       receipt_date, datetime.fromisoformat(forward_at), ReservationStatus(status), order_no,
                       order_date, datetime.fromisoformat(forwarded_at) if forwarded_at else None, reason,
                       datetime.fromisoformat(expires_at) if expires_at else None)


class ReservationRows(Statements):
    """The reservation statements of a SQL transaction (`SqlTransaction` supplies `_x`)."""

    # A claim of due reservations skips rows another process holds (PostgreSQL); SQLite writes serially.
    skip_locked_suffix = ""
    lock_suffix = ""

    def insert_reservation(self, reservation: Reservation) -> None:
        self._x(_INSERT, _values(reservation))

    def update_reservation(self, reservation: Reservation) -> None:
        self._x("UPDATE reservations SET status = ?, order_no = ?, order_date = ?, forwarded_at = ?, reason = ?,"
                " expires_at = ? WHERE number = ?", (*_values(reservation)[13:], reservation.number))

    def load_reservation_for_update(self, number: str) -> Reservation | None:
        row = self._x(_SELECT + " WHERE number = ?" + self.lock_suffix, (number,)).fetchone()
        return _from_row(row) if row else None

    def claim_due_reservations(self, now: datetime, limit: int) -> list[Reservation]:
        """Waiting reservations due at `now`, oldest first, locked; rows another transaction holds are
        skipped, so several processes forwarding at once each take different ones."""
        rows = self._x(_SELECT + f" WHERE {WAITING} AND forward_at <= ? ORDER BY forward_at, number"
                       f" LIMIT {int(limit)}" + self.skip_locked_suffix, (utc_text(now),)).fetchall()
        return [_from_row(r) for r in rows]

    def next_reservation_due(self) -> datetime | None:
        """When the forwarder next has work: the earliest waiting reservation's time or sent one's close
        (None: nothing pending); one step of each partial index."""
        times = [row[0] for row in (
            self._x(f"SELECT MIN(forward_at) FROM reservations WHERE {WAITING}").fetchone(),
            self._x(f"SELECT MIN(expires_at) FROM reservations WHERE {EXPIRING}").fetchone()) if row and row[0]]
        return datetime.fromisoformat(min(times)) if times else None

    def claim_expiring_reservations(self, now: datetime, limit: int) -> list[Reservation]:
        """Sent reservations whose session closed by `now`, locked (others' skipped, as for the claim)."""
        rows = self._x(_SELECT + f" WHERE {EXPIRING} AND expires_at <= ? ORDER BY expires_at, number"
                       f" LIMIT {int(limit)}" + self.skip_locked_suffix, (utc_text(now),)).fetchall()
        return [_from_row(r) for r in rows]

    def list_reservations(self, account: str, exchanges: frozenset[Exchange] | None, date_from: str,
                          date_to: str, after: str | None, limit: int) -> list[Reservation]:
        """The account's reservations received between the dates (KST, inclusive), by number."""
        where = ["account = ?", "receipt_date >= ?", "receipt_date <= ?"]
        args: list[Any] = [account, date_from, date_to]
        if exchanges is not None:
            where.append("exchange IN (" + ", ".join("?" * len(exchanges)) + ")" if exchanges else "1 = 0")
            args.extend(sorted(e.value for e in exchanges))
        if after:
            where.append("number > ?")
            args.append(after)
        rows = self._x(_SELECT + " WHERE " + " AND ".join(where) + f" ORDER BY number LIMIT {int(limit)}",
                       args).fetchall()
        return [_from_row(r) for r in rows]

    def orders_by_number(self, numbers: Sequence[str]) -> dict[str, Order]:
        """Orders by number, unlocked (a listing's)."""
        if not numbers:
            return {}
        rows = self._x(SELECT_ORDERS + " WHERE order_no IN (" + ", ".join("?" * len(numbers)) + ")",
                       list(numbers)).fetchall()
        found = [order_from_row(r) for r in rows]
        return {o.order_no: o for o in found}
