"""SQL shared by the SQLite and PostgreSQL stores: row mapping, listing queries, the transaction."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from localkis.domain.accounts import Position
from localkis.domain.orders import Order, OrderKind, OrderState
from localkis.protocol.env import Env
from localkis.protocol.exchanges import Exchange
from localkis.protocol.trids import Side
from localkis.store.base import LastTrade, OrderQuery, TokenRecord
from localkis.store.schema import LIVE_ORDER

ORDER_COLUMNS = ("order_no", "original_no", "kind", "account", "env", "exchange", "symbol", "side",
                 "order_type", "quantity", "price", "created_at", "tr_id", "branch", "manager_order_no",
                 "state", "filled", "filled_amount", "cancelled", "revised_away")
SELECT_ORDERS = "SELECT " + ", ".join(ORDER_COLUMNS) + " FROM orders"
INSERT_ORDER = ("INSERT INTO orders (" + ", ".join(ORDER_COLUMNS) + ", local_date) VALUES ("
                + ", ".join("?" * (len(ORDER_COLUMNS) + 1)) + ")")
# Order numbers per statement when orders are read ahead (well under SQLite's bound-parameter limit).
PREFETCH_CHUNK = 500
# order_from_row builds an Order positionally from a row in this column order.
assert Order._fields == ORDER_COLUMNS


def utc_text(moment: datetime) -> str:
    """Instants are stored as UTC ISO text, so text order is time order."""
    # The server clock already gives UTC: skip the conversion then (it is on every order's insert).
    return (moment if moment.tzinfo is UTC else moment.astimezone(UTC)).isoformat()


def order_values(order: Order) -> tuple[Any, ...]:
    # `_value_` is the member's stored value: `.value` is a property, several times dearer, and every
    # order write converts five enums.
    return (order.order_no, order.original_no, order.kind._value_, order.account, order.env._value_,
            order.exchange._value_, order.symbol, order.side._value_, order.order_type, order.quantity,
            str(order.price), utc_text(order.created_at), order.tr_id, order.branch,
            order.manager_order_no, order.state._value_, order.filled, str(order.filled_amount),
            order.cancelled, order.revised_away)


def order_from_row(row: tuple[Any, ...]) -> Order:
    (order_no, original_no, kind, account, env, exchange, symbol, side, order_type, quantity, price,
     created_at, tr_id, branch, manager_order_no, state, filled, filled_amount, cancelled,
     revised_away) = row
    if type(order_no) is int:  # SQLite keeps order numbers as its integer row key (schema migration 6)
        order_no = f"{order_no:010d}"
    return Order(order_no, original_no, _KINDS[kind], account, _ENVS[env], _EXCHANGES[exchange], symbol,
                 _SIDES[side], order_type, int(quantity), Decimal(price), datetime.fromisoformat(created_at),
                 tr_id, branch, manager_order_no, _STATES[state], int(filled), Decimal(filled_amount),
                 int(cancelled), int(revised_away))


# Stored codes back to their enums by dict look-up (an Enum call is several times dearer per row).
_KINDS = {k.value: k for k in OrderKind}
_ENVS = {e.value: e for e in Env}
_EXCHANGES = {e.value: e for e in Exchange}
_SIDES = {s.value: s for s in Side}
_STATES = {s.value: s for s in OrderState}


def order_query_sql(query: OrderQuery, param: str = "?") -> tuple[str, list[Any]]:
    """The WHERE/ORDER/LIMIT part of a listing; shared by the SQL backends."""
    where = ["account = " + param]
    args: list[Any] = [query.account]
    if query.exchanges is not None and not query.exchanges:
        where.append("1 = 0")
    elif query.exchanges is not None:
        where.append("exchange IN (" + ", ".join([param] * len(query.exchanges)) + ")")
        args.extend(sorted(e.value for e in query.exchanges))
    if query.live_only or query.filled is False:  # "unfilled" in ccnl is what is still open
        where.append(LIVE_ORDER)
    if query.symbol:
        where.append("symbol = " + param)
        args.append(query.symbol)
    if query.side is not None:
        where.append("side = " + param)
        args.append(query.side.value)
    if query.filled is True:
        where.append("filled > 0")
    if query.local_date_from:
        where.append("local_date >= " + param)
        args.append(query.local_date_from)
    if query.local_date_to:
        where.append("local_date <= " + param)
        args.append(query.local_date_to)
    if query.after:
        where.append("order_no " + ("<" if query.descending else ">") + " " + param)
        args.append(query.after)
    sql = (" WHERE " + " AND ".join(where) + " ORDER BY order_no " + ("DESC" if query.descending else "ASC")
           + " LIMIT " + param)
    args.append(query.limit)
    return sql, args


class SqlTransaction(ABC):
    """Portable SQL (written with `?` placeholders); backends adapt the few statements that differ."""

    placeholder = "?"
    lock_suffix = ""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        # Last trades read or written in this transaction: a batch of revisions asks for the same
        # instrument's again and again. Only `set_last_trade` writes them, and keeps this current.
        self._last_trades: dict[tuple[Exchange, str], LastTrade | None] = {}
        # Orders read ahead by `prefetch_orders`, kept current by `update_order`.
        self._orders: dict[str, Order] = {}

    def forget_reads(self) -> None:
        """Drop what this transaction remembers; call after rolling part of it back."""
        self._last_trades.clear()
        self._orders.clear()

    def prefetch_orders(self, order_nos: Sequence[str]) -> None:
        """Read these orders in one statement, for `load_order_for_update` to answer from memory. Only
        for a transaction that already holds the write lock (SQLite's batch): nothing else can change
        them before it ends."""
        for start in range(0, len(order_nos), PREFETCH_CHUNK):
            chunk = list(order_nos[start:start + PREFETCH_CHUNK])
            sql = SELECT_ORDERS + " WHERE order_no IN (" + ", ".join("?" * len(chunk)) + ")"
            for row in self._x(sql, chunk):
                order = order_from_row(row)
                self._orders[order.order_no] = order

    def _x(self, sql: str, args: tuple[Any, ...] | list[Any] = ()) -> Any:
        if self.placeholder != "?":
            sql = sql.replace("?", self.placeholder)
        return self._conn.execute(sql, args)

    @abstractmethod
    def lock_app(self, appkey: str) -> None:
        """Serialise token issuance for one app until the transaction ends."""

    @abstractmethod
    def next_order_no(self) -> str:
        """A new 10-digit order number: a counter row in SQLite, a sequence in PostgreSQL."""

    def insert_order(self, order: Order, local_date: str) -> None:
        self._x(INSERT_ORDER, (*order_values(order), local_date))

    def update_order(self, order: Order) -> None:
        if order.order_no in self._orders:
            self._orders[order.order_no] = order
        self._x(
            "UPDATE orders SET state = ?, filled = ?, filled_amount = ?, cancelled = ?, revised_away = ?"
            " WHERE order_no = ?",
            (order.state._value_, order.filled, str(order.filled_amount), order.cancelled,
             order.revised_away, order.order_no))

    def load_order_for_update(self, order_no: str) -> Order | None:
        known = self._orders.get(order_no)
        if known is not None:
            return known
        row = self._x(SELECT_ORDERS + " WHERE order_no = ?" + self.lock_suffix, (order_no,)).fetchone()
        return order_from_row(row) if row else None

    def list_orders(self, query: OrderQuery) -> list[tuple[Order, str]]:
        sql, args = order_query_sql(query)
        select = "SELECT " + ", ".join(ORDER_COLUMNS) + ", local_date FROM orders"
        return [(order_from_row(r[:-1]), str(r[-1])) for r in self._x(select + sql, args)]

    def insert_fill(self, order_no: str, quantity: int, price: str, at: datetime) -> None:
        self._x("INSERT INTO fills (order_no, quantity, price, filled_at) VALUES (?, ?, ?, ?)",
                           (order_no, quantity, price, utc_text(at)))

    def insert_token(self, record: TokenRecord) -> None:
        self._x(
            "INSERT INTO tokens (token, appkey, issued_at, expires_at, revoked) VALUES (?, ?, ?, ?, ?)",
            (record.token, record.appkey, utc_text(record.issued_at), utc_text(record.expires_at),
             int(record.revoked)))

    @staticmethod
    def _token(row: tuple[Any, ...] | None) -> TokenRecord | None:
        if row is None:
            return None
        return TokenRecord(row[0], row[1], datetime.fromisoformat(row[2]), datetime.fromisoformat(row[3]),
                           bool(row[4]))

    def find_token(self, token: str) -> TokenRecord | None:
        return self._token(self._x(
            "SELECT token, appkey, issued_at, expires_at, revoked FROM tokens WHERE token = ?",
            (token,)).fetchone())

    def latest_token(self, appkey: str) -> TokenRecord | None:
        return self._token(self._x(
            "SELECT token, appkey, issued_at, expires_at, revoked FROM tokens WHERE appkey = ?"
            " ORDER BY issued_at DESC LIMIT 1", (appkey,)).fetchone())

    def revoke_token(self, token: str) -> bool:
        # RETURNING rather than the cursor's row count, which apsw's cursors do not keep.
        row = self._x("UPDATE tokens SET revoked = 1 WHERE token = ? AND revoked = 0 RETURNING token",
                      (token,)).fetchone()
        return row is not None

    def last_token_request(self, appkey: str) -> datetime | None:
        row = self._x("SELECT last_at FROM token_requests WHERE appkey = ?", (appkey,)).fetchone()
        return datetime.fromisoformat(row[0]) if row else None

    def set_last_token_request(self, appkey: str, at: datetime) -> None:
        self._x(
            "INSERT INTO token_requests (appkey, last_at) VALUES (?, ?)"
            " ON CONFLICT (appkey) DO UPDATE SET last_at = excluded.last_at", (appkey, utc_text(at)))

    # --- accounts ----------------------------------------------------------------------------------
    def ensure_account(self, number: str, cash: dict[str, Decimal],
                       positions: list[tuple[Exchange, str, Position]], at: datetime) -> bool:
        """Create the account with its opening cash and positions unless it exists; True if created."""
        if self._x("SELECT 1 FROM accounts WHERE number = ?", (number,)).fetchone():
            return False
        self._x("INSERT INTO accounts (number, created_at) VALUES (?, ?)", (number, utc_text(at)))
        for currency, amount in sorted(cash.items()):
            self._x("INSERT INTO cash (account, currency, amount) VALUES (?, ?, ?)", (number, currency, str(amount)))
            self._ledger(number, currency, "opening", amount, "", at)
        for exchange, symbol, position in positions:
            self.set_position(number, exchange, symbol, position)
        return True

    def lock_account(self, number: str) -> None:
        self._x("SELECT number FROM accounts WHERE number = ?" + self.lock_suffix, (number,))

    def _ledger(self, number: str, currency: str, kind: str, amount: Decimal, order_no: str,
                at: datetime) -> None:
        self._x("INSERT INTO cash_ledger (account, currency, kind, amount, order_no, at) VALUES (?, ?, ?, ?, ?, ?)",
                (number, currency, kind, str(amount), order_no, utc_text(at)))

    def cash_balances(self, number: str) -> dict[str, Decimal]:
        rows = self._x("SELECT currency, amount FROM cash WHERE account = ?", (number,)).fetchall()
        return {str(c): Decimal(a) for c, a in rows}

    def add_cash(self, number: str, currency: str, delta: Decimal, kind: str, order_no: str,
                 at: datetime) -> Decimal:
        """Move cash (positive in, negative out); returns the new balance."""
        balance = self.cash_balances(number).get(currency)
        if balance is None:
            balance = Decimal(0)
            self._x("INSERT INTO cash (account, currency, amount) VALUES (?, ?, ?)", (number, currency, "0"))
        new = balance + delta
        self._x("UPDATE cash SET amount = ? WHERE account = ? AND currency = ?", (str(new), number, currency))
        self._ledger(number, currency, kind, delta, order_no, at)
        return new

    def ledger_totals(self, number: str) -> dict[tuple[str, str], Decimal]:
        """(currency, kind) -> sum of movements."""
        totals: dict[tuple[str, str], Decimal] = {}
        for currency, kind, amount in self._x(
                "SELECT currency, kind, amount FROM cash_ledger WHERE account = ?", (number,)).fetchall():
            key = (str(currency), str(kind))
            totals[key] = totals.get(key, Decimal(0)) + Decimal(amount)
        return totals

    def position(self, number: str, exchange: Exchange, symbol: str) -> Position:
        row = self._x("SELECT quantity, avg_price FROM positions WHERE account = ? AND exchange = ? AND symbol = ?",
                      (number, exchange.value, symbol)).fetchone()
        return Position(int(row[0]), Decimal(row[1])) if row else Position(0, Decimal(0))

    def set_position(self, number: str, exchange: Exchange, symbol: str, position: Position) -> None:
        self._x("INSERT INTO positions (account, exchange, symbol, quantity, avg_price) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (account, exchange, symbol) DO UPDATE SET quantity = excluded.quantity,"
                " avg_price = excluded.avg_price",
                (number, exchange.value, symbol, position.quantity, str(position.average_price)))

    def positions(self, number: str) -> list[tuple[Exchange, str, Position]]:
        rows = self._x("SELECT exchange, symbol, quantity, avg_price FROM positions WHERE account = ?"
                       " AND quantity > 0 ORDER BY exchange, symbol", (number,)).fetchall()
        return [(Exchange(e), str(s), Position(int(q), Decimal(a))) for e, s, q, a in rows]

    def live_orders_of(self, number: str) -> list[Order]:
        # `side IN (…)` matches every order; it lets the planner see the live-orders index fits better than
        # the account's whole history.
        rows = self._x(SELECT_ORDERS + " WHERE account = ? AND side IN ('01', '02') AND " + LIVE_ORDER,
                       (number,)).fetchall()
        return [order_from_row(r) for r in rows]

    def reserved_cash(self, number: str, exchanges: frozenset[Exchange]) -> Decimal:
        """What the account's live buys on these exchanges hold back: Σ limit × open quantity."""
        marks = ", ".join("?" * len(exchanges))
        rows = self._x("SELECT price, quantity - filled - cancelled - revised_away FROM orders WHERE account = ?"
                       " AND side = '02' AND " + LIVE_ORDER + f" AND exchange IN ({marks})",
                       (number, *sorted(e.value for e in exchanges))).fetchall()
        return sum((Decimal(price) * int(qty) for price, qty in rows), Decimal(0))

    def pending_sell_quantity(self, number: str, exchange: Exchange, symbol: str) -> int:
        row = self._x("SELECT COALESCE(SUM(quantity - filled - cancelled - revised_away), 0) FROM orders"
                      " WHERE account = ? AND side = '01' AND " + LIVE_ORDER
                      + " AND exchange = ? AND symbol = ?", (number, exchange.value, symbol)).fetchone()
        return int(row[0])

    def live_orders_on(self, exchanges: frozenset[Exchange], symbol: str) -> list[Order]:
        """Every live order on an instrument, locked (the fill engine's candidates)."""
        marks = ", ".join("?" * len(exchanges))
        rows = self._x(SELECT_ORDERS + f" WHERE symbol = ? AND exchange IN ({marks}) AND "
                       + LIVE_ORDER + " ORDER BY order_no"
                       + self.lock_suffix, (symbol, *sorted(e.value for e in exchanges))).fetchall()
        return [order_from_row(r) for r in rows]

    # --- prices ------------------------------------------------------------------------------------
    def last_trade(self, exchange: Exchange, symbol: str) -> LastTrade | None:
        key = (exchange, symbol)
        if key in self._last_trades:
            return self._last_trades[key]
        row = self._x("SELECT price, size_left, at, session_date, regular_price, regular_date FROM last_trades"
                      " WHERE exchange = ? AND symbol = ?", (exchange.value, symbol)).fetchone()
        trade = None if row is None else LastTrade(
            exchange, symbol, Decimal(row[0]), None if row[1] is None else int(row[1]),
            datetime.fromisoformat(row[2]), str(row[3]), Decimal(row[4]) if row[4] else None, str(row[5]))
        self._last_trades[key] = trade
        return trade

    def set_last_trade(self, trade: LastTrade) -> None:
        self._x("INSERT INTO last_trades (exchange, symbol, price, size_left, at, session_date, regular_price,"
                " regular_date) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (exchange, symbol) DO UPDATE SET"
                " price = excluded.price, size_left = excluded.size_left, at = excluded.at,"
                " session_date = excluded.session_date, regular_price = excluded.regular_price,"
                " regular_date = excluded.regular_date",
                (trade.exchange.value, trade.symbol, str(trade.price), trade.size_left, utc_text(trade.at),
                 trade.session_date, "" if trade.regular_price is None else str(trade.regular_price),
                 trade.regular_date))
        self._last_trades[(trade.exchange, trade.symbol)] = trade

    def last_trades(self) -> list[LastTrade]:
        rows = self._x("SELECT exchange, symbol FROM last_trades").fetchall()
        found = [self.last_trade(Exchange(e), str(s)) for e, s in rows]
        return [t for t in found if t is not None]
