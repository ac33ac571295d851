"""SQL shared by the SQLite and PostgreSQL stores: listing queries and the transaction."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from localkis.domain.accounts import NO_FUNDS, NO_HOLDING, Funds, Holding, Position, holds
from localkis.domain.bars import Bar, Interval
from localkis.domain.orders import Order
from localkis.domain.profit import FillRecord
from localkis.protocol.exchanges import EXCHANGES, Exchange
from localkis.protocol.orders import Side
from localkis.store.base import LastTrade, OrderQuery, StoredApp, TokenRecord
from localkis.store.profit import RealisedRows, fill_record
from localkis.store.reservations import ReservationRows
from localkis.store.rows import (
    AUCTION_ORDER,
    CROSSING_ORDER,
    EXCHANGE_CODES,
    INSERT_ORDER,
    LIVE_ORDER,
    ORDER_COLUMNS,
    SELECT_ORDERS,
    order_from_row,
    order_values,
    price_units,
    utc_text,
)

_ZERO = Decimal(0)
# Order numbers per statement when orders are read ahead (well under SQLite's bound-parameter limit).
PREFETCH_CHUNK = 500

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


class SqlTransaction(ReservationRows, RealisedRows, ABC):
    """Portable SQL (written with `?` placeholders); backends adapt the few statements that differ."""

    placeholder = "?"
    lock_suffix = ""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        # Last trades read or written in this transaction: a batch of revisions asks for the same
        # instrument's again and again. Only `set_last_trade` writes them, and keeps this current.
        self._last_trades: dict[tuple[Exchange, str], LastTrade | None] = {}
        # Orders read ahead by `prefetch_orders`, kept current by `save_orders`.
        self._orders: dict[str, Order] = {}
        # Running totals (and the cash and positions they sit beside) read in this transaction, locked
        # where the backend locks rows, and changed in memory: the rows are written once, by `flush`,
        # before the commit. A batch of a hundred requests of one account reads and writes its row once.
        self._funds: dict[tuple[str, str], Funds] = {}
        self._holdings: dict[tuple[str, Exchange, str], Holding] = {}
        self._dirty_funds: set[tuple[str, str]] = set()
        self._dirty_holdings: set[tuple[str, Exchange, str]] = set()
        self.mutations = 0  # changes held in memory since the transaction began (see SqliteStore._run_batch)

    def forget_reads(self) -> None:
        """Drop what this transaction remembers, unwritten changes included; call after rolling part of
        it back (to a point where everything remembered before was flushed)."""
        self._last_trades.clear()
        self._orders.clear()
        self._funds.clear()
        self._holdings.clear()
        self._dirty_funds.clear()
        self._dirty_holdings.clear()

    def flush(self) -> None:
        """Write the changed cash and position rows; call before the commit (and before a savepoint)."""
        for number, currency in self._dirty_funds:
            funds = self._funds[(number, currency)]
            self._x("INSERT INTO cash (account, currency, amount, reserved) VALUES (?, ?, ?, ?) ON CONFLICT"
                    " (account, currency) DO UPDATE SET amount = excluded.amount, reserved = excluded.reserved",
                    (number, currency, str(funds.cash), str(funds.reserved)))
        for number, exchange, symbol in self._dirty_holdings:
            holding = self._holdings[(number, exchange, symbol)]
            position = holding.position
            self._x("INSERT INTO positions (account, exchange, symbol, quantity, avg_price, pending_sell)"
                    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (account, exchange, symbol) DO UPDATE SET"
                    " quantity = excluded.quantity, avg_price = excluded.avg_price,"
                    " pending_sell = excluded.pending_sell",
                    (number, exchange.value, symbol, position.quantity, str(position.average_price),
                     holding.pending_sells))
        self._dirty_funds.clear()
        self._dirty_holdings.clear()

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

    def save_orders(self, changes: Iterable[tuple[Order | None, Order]], local_date: str = "") -> None:
        """Write order records — (None, new) inserts, (before, after) updates — and move the running
        totals by what they hold back (`domain.accounts.holds`)."""
        for before, after in changes:
            if before is None:
                self._x(INSERT_ORDER, (*order_values(after), local_date, price_units(after.price)))
                was_cash, was_shares = _ZERO, 0
            else:
                if after.order_no in self._orders:
                    self._orders[after.order_no] = after
                self._x("UPDATE orders SET state = ?, filled = ?, filled_amount = ?, cancelled = ?,"
                        " revised_away = ? WHERE order_no = ?",
                        (after.state._value_, after.filled, str(after.filled_amount), after.cancelled,
                         after.revised_away, after.order_no))
                was_cash, was_shares = holds(before)
            cash, shares = holds(after)
            if cash != was_cash:
                key = (after.account, EXCHANGES[after.exchange].currency)
                funds = self.funds(*key)
                self._set_funds(key, Funds(funds.cash, funds.reserved + cash - was_cash))
            if shares != was_shares:
                skey = (after.account, after.exchange, after.symbol)
                holding = self.holding(*skey)
                self._set_holding(skey, Holding(holding.position, holding.pending_sells + shares - was_shares))

    def insert_order(self, order: Order, local_date: str) -> None:
        self.save_orders(((None, order),), local_date)

    def update_order(self, before: Order, after: Order) -> None:
        self.save_orders(((before, after),))

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

    def crossing_orders(self, exchange: Exchange, symbol: str, side: Side, price: Decimal,
                        limit: int | None) -> list[Order]:
        """Live limit orders of one side that a print at `price` may fill, best first, locked: buys at or
        above it, sells at or below (an index range, whatever the size of the book)."""
        if side is Side.BUY:
            bound, order = "price_units >= ?", "price_units DESC, order_no"
        else:
            bound, order = "price_units <= ?", "price_units, order_no"
        sql = (SELECT_ORDERS + " WHERE symbol = ? AND exchange = ? AND side = ? AND " + bound + " AND "
               + CROSSING_ORDER + " ORDER BY " + order + ("" if limit is None else f" LIMIT {int(limit)}")
               + self.lock_suffix)
        rows = self._x(sql, (symbol, exchange.value, side.value, price_units(price))).fetchall()
        return [order_from_row(r) for r in rows]

    def book_levels(self, exchange: Exchange, symbol: str, side: Side, levels: int) -> list[tuple[Decimal, int]]:
        """The `levels` best prices of an instrument's live limit orders on one side, with their open
        quantities summed: one walk of the crossing index that stops after the last level."""
        order = "DESC" if side is Side.BUY else "ASC"
        rows = self._x("SELECT MIN(price), SUM(quantity - filled - cancelled - revised_away) FROM orders"
                       " WHERE symbol = ? AND exchange = ? AND side = ? AND " + CROSSING_ORDER
                       + f" GROUP BY price_units ORDER BY price_units {order} LIMIT {int(levels)}",
                       (symbol, exchange.value, side.value)).fetchall()
        return [(Decimal(price), int(quantity)) for price, quantity in rows]

    def auction_orders(self, exchange: Exchange, symbol: str) -> list[Order]:
        """Live auction orders (MOO/LOO/MOC/LOC) of an instrument, locked."""
        rows = self._x(SELECT_ORDERS + " WHERE symbol = ? AND exchange = ? AND " + AUCTION_ORDER
                       + " ORDER BY order_no" + self.lock_suffix, (symbol, exchange.value)).fetchall()
        return [order_from_row(r) for r in rows]

    def insert_fill(self, order_no: str, quantity: int, price: str, at: datetime) -> None:
        self._x("INSERT INTO fills (order_no, quantity, price, filled_at) VALUES (?, ?, ?, ?)",
                           (order_no, quantity, price, utc_text(at)))

    def order_chain(self, order_no: str) -> list[Order]:
        # Up the ORGN_ODNO links to the original order, then down every record that names one of the chain.
        sql = ("WITH RECURSIVE up (no, orig) AS (SELECT order_no, original_no FROM orders WHERE order_no = ?"
               " UNION SELECT o.order_no, o.original_no FROM orders o JOIN up ON o.order_no = up.orig),"
               " down (no) AS (SELECT no FROM up WHERE orig = ''"
               " UNION SELECT o.order_no FROM orders o JOIN down ON o.original_no = down.no) "
               + SELECT_ORDERS + " WHERE order_no IN (SELECT no FROM down) ORDER BY order_no")
        return [order_from_row(r) for r in self._x(sql, (order_no,)).fetchall()]

    def fills_of(self, order_nos: Sequence[str]) -> list[FillRecord]:
        if not order_nos:
            return []
        rows = self._x("SELECT f.order_no, o.exchange, o.symbol, o.side, f.quantity, f.price, f.filled_at FROM fills f"
                       " JOIN orders o ON o.order_no = f.order_no WHERE f.order_no IN ("
                       + ", ".join("?" * len(order_nos)) + ") ORDER BY f.filled_at, f.order_no", list(order_nos))
        return [fill_record(row) for row in rows.fetchall()]

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

    def setting(self, name: str) -> str | None:
        row = self._x("SELECT value FROM settings WHERE name = ?", (name,)).fetchone()
        return str(row[0]) if row else None

    def set_setting(self, name: str, value: str) -> None:
        self._x("INSERT INTO settings (name, value) VALUES (?, ?)"
                " ON CONFLICT (name) DO UPDATE SET value = excluded.value", (name, value))

    def save_app(self, app: StoredApp) -> None:
        self._x("INSERT INTO apps (appkey, appsecret, env, name, accounts, disabled) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (appkey) DO UPDATE SET appsecret = excluded.appsecret, env = excluded.env,"
                " name = excluded.name, accounts = excluded.accounts, disabled = excluded.disabled",
                (app.appkey, app.appsecret, app.env, app.name, " ".join(app.accounts), int(app.disabled)))

    def stored_apps(self) -> list[StoredApp]:
        rows = self._x("SELECT appkey, appsecret, env, name, accounts, disabled FROM apps ORDER BY appkey").fetchall()
        return [StoredApp(r[0], r[1], r[2], r[3], tuple(str(r[4]).split()), bool(r[5])) for r in rows]

    def account_numbers(self) -> list[str]:
        return [str(r[0]) for r in self._x("SELECT number FROM accounts ORDER BY number").fetchall()]

    # --- accounts ----------------------------------------------------------------------------------
    def ensure_account(self, number: str, cash: dict[str, Decimal],
                       positions: list[tuple[Exchange, str, Position]], at: datetime) -> bool:
        """Create the account with its opening cash and positions unless it exists; True if created."""
        # Several processes may start at once: the one whose insert takes writes the opening balances.
        if self._x("INSERT INTO accounts (number, created_at) VALUES (?, ?) ON CONFLICT (number) DO NOTHING"
                   " RETURNING number", (number, utc_text(at))).fetchone() is None:
            return False
        for currency, amount in sorted(cash.items()):
            self.add_cash(number, currency, amount, "opening", "", at)
        for exchange, symbol, position in positions:
            self.set_position(number, exchange, symbol, position)
        return True

    def lock_account(self, number: str) -> None:
        self._x("SELECT number FROM accounts WHERE number = ?" + self.lock_suffix, (number,))

    def funds(self, number: str, currency: str) -> Funds:
        """Cash and reserved of one currency, locked until the transaction ends."""
        key = (number, currency)
        known = self._funds.get(key)
        if known is None:
            row = self._x("SELECT amount, reserved FROM cash WHERE account = ? AND currency = ?" + self.lock_suffix,
                          key).fetchone()
            known = self._funds[key] = Funds(Decimal(row[0]), Decimal(row[1])) if row else NO_FUNDS
        return known

    def _set_funds(self, key: tuple[str, str], funds: Funds) -> None:
        self._funds[key] = funds
        self._dirty_funds.add(key)
        self.mutations += 1

    def account_funds(self, number: str) -> dict[str, Funds]:
        self.flush()
        rows = self._x("SELECT currency, amount, reserved FROM cash WHERE account = ? ORDER BY currency",
                       (number,)).fetchall()
        return {str(c): Funds(Decimal(a), Decimal(r)) for c, a, r in rows}

    def _ledger(self, number: str, currency: str, kind: str, amount: Decimal, order_no: str,
                at: datetime) -> None:
        self._x("INSERT INTO cash_ledger (account, currency, kind, amount, order_no, at) VALUES (?, ?, ?, ?, ?, ?)",
                (number, currency, kind, str(amount), order_no, utc_text(at)))

    def add_cash(self, number: str, currency: str, delta: Decimal, kind: str, order_no: str,
                 at: datetime) -> Decimal:
        """Move cash (positive in, negative out), with a ledger row; returns the new balance."""
        funds = self.funds(number, currency)
        new = funds.cash + delta
        self._set_funds((number, currency), Funds(new, funds.reserved))
        self._ledger(number, currency, kind, delta, order_no, at)
        return new

    def ledger_totals(self, number: str) -> dict[tuple[str, str], Decimal]:
        """(currency, kind) -> sum of movements."""
        totals: dict[tuple[str, str], Decimal] = {}
        for currency, kind, amount in self._x(
                "SELECT currency, kind, amount FROM cash_ledger WHERE account = ?", (number,)).fetchall():
            key = (str(currency), str(kind))
            totals[key] = totals.get(key, _ZERO) + Decimal(amount)
        return totals

    def holding(self, number: str, exchange: Exchange, symbol: str) -> Holding:
        """The position in one instrument and its pending sells, locked until the transaction ends."""
        key = (number, exchange, symbol)
        known = self._holdings.get(key)
        if known is None:
            row = self._x("SELECT quantity, avg_price, pending_sell FROM positions WHERE account = ? AND exchange = ?"
                          " AND symbol = ?" + self.lock_suffix, (number, exchange.value, symbol)).fetchone()
            known = self._holdings[key] = (Holding(Position(int(row[0]), Decimal(row[1])), int(row[2])) if row
                                           else NO_HOLDING)
        return known

    def _set_holding(self, key: tuple[str, Exchange, str], holding: Holding) -> None:
        self._holdings[key] = holding
        self._dirty_holdings.add(key)
        self.mutations += 1

    def set_position(self, number: str, exchange: Exchange, symbol: str, position: Position) -> None:
        key = (number, exchange, symbol)
        self._set_holding(key, self.holding(*key)._replace(position=position))

    def holdings(self, number: str) -> list[tuple[Exchange, str, Holding]]:
        """The account's positions with shares, by exchange code and symbol."""
        self.flush()
        rows = self._x("SELECT exchange, symbol, quantity, avg_price, pending_sell FROM positions WHERE account = ?"
                       " AND quantity > 0 ORDER BY exchange, symbol", (number,)).fetchall()
        return [(EXCHANGE_CODES[e], str(s), Holding(Position(int(q), Decimal(a)), int(p))) for e, s, q, a, p in rows]

    def live_orders(self) -> list[Order]:
        """Every live order (checks of the running totals; never on a request's path)."""
        return [order_from_row(r) for r in self._x(SELECT_ORDERS + " WHERE " + LIVE_ORDER).fetchall()]

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

    # --- bars --------------------------------------------------------------------------------------
    def bar(self, exchange: Exchange, symbol: str, interval: Interval, start: datetime) -> Bar | None:
        row = self._x("SELECT start, day, open, high, low, close, volume, amount FROM bars WHERE exchange = ?"
                      " AND symbol = ? AND bar_interval = ? AND start = ?",
                      (exchange.value, symbol, interval.value, utc_text(start))).fetchone()
        return None if row is None else _bar_from_row(row)

    def put_bar(self, exchange: Exchange, symbol: str, interval: Interval, bar: Bar) -> None:
        self._x("INSERT INTO bars (exchange, symbol, bar_interval, start, day, open, high, low, close, volume,"
                " amount) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (exchange, symbol, bar_interval,"
                " start) DO UPDATE SET day = excluded.day, open = excluded.open, high = excluded.high,"
                " low = excluded.low, close = excluded.close, volume = excluded.volume, amount = excluded.amount",
                (exchange.value, symbol, interval.value, utc_text(bar.start), bar.day.isoformat(), str(bar.open),
                 str(bar.high), str(bar.low), str(bar.close), bar.volume, str(bar.amount)))

    def bars(self, exchange: Exchange, symbol: str, interval: Interval, *, until: datetime | None = None,
             limit: int | None = None) -> list[Bar]:
        sql = ("SELECT start, day, open, high, low, close, volume, amount FROM bars WHERE exchange = ?"
               " AND symbol = ? AND bar_interval = ?")
        args: list[Any] = [exchange.value, symbol, interval.value]
        if until is not None:
            sql += " AND start <= ?"
            args.append(utc_text(until))
        sql += " ORDER BY start DESC"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        return [_bar_from_row(r) for r in self._x(sql, args).fetchall()][::-1]

    # --- real-time (WebSocket) approval keys --------------------------------------------------------
    def insert_approval_key(self, key: str, appkey: str, expires_at: datetime) -> None:
        self._x("DELETE FROM approval_keys WHERE expires_at < ?", (utc_text(expires_at - timedelta(hours=48)),))
        self._x("INSERT INTO approval_keys (approval_key, appkey, expires_at) VALUES (?, ?, ?)",
                (key, appkey, utc_text(expires_at)))

    def approval_key_app(self, key: str, now: datetime) -> str | None:
        row = self._x("SELECT appkey FROM approval_keys WHERE approval_key = ? AND expires_at > ?",
                      (key, utc_text(now))).fetchone()
        return None if row is None else str(row[0])

    # --- the event outbox (followed by every server process on PostgreSQL) ------------------------------
    def append_events(self, payload: str) -> None:
        row = self._x("UPDATE event_outbox_head SET last_id = last_id + 1 WHERE one = 1 RETURNING last_id").fetchone()
        self._x("INSERT INTO event_outbox (id, payload, created_at) VALUES (?, ?, ?)",
                (int(row[0]), payload, utc_text(datetime.now(UTC))))
        self._notify_events()

    def _notify_events(self) -> None:
        """Wake the processes following the outbox (at commit); nothing to do where one process runs."""
        return None

    def clear_tables(self, tables: tuple[str, ...]) -> None:
        self.forget_reads()
        self.mutations += 1  # what this piece of a batch held in memory is gone: undo by rollback only
        for table in tables:
            if not table.isidentifier():
                raise ValueError(f"not a table name: {table!r}")
            self._x(f"DELETE FROM {table}")


def _bar_from_row(row: Sequence[Any]) -> Bar:
    return Bar(datetime.fromisoformat(row[0]), date.fromisoformat(row[1]), Decimal(row[2]), Decimal(row[3]),
               Decimal(row[4]), Decimal(row[5]), int(row[6]), Decimal(row[7]))
