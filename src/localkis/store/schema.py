"""Versioned schema migrations, shared by every SQL backend. Append; never edit a released step."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from localkis.domain.accounts import holds
from localkis.protocol.exchanges import EXCHANGES
from localkis.store import profit, reservations
from localkis.store.rows import (
    AUCTION_ORDER,
    CROSSING_ORDER,
    LIVE_ORDER,
    LIVE_ORDER_V5,
    SELECT_ORDERS,
    order_from_row,
)

# The orders table as migration 1 created it (migration 6 rebuilds it under SQLite with the same columns).
ORDERS_TABLE_V1 = """CREATE TABLE orders (
            order_no TEXT PRIMARY KEY,
            original_no TEXT NOT NULL,
            kind TEXT NOT NULL,
            account TEXT NOT NULL,
            env TEXT NOT NULL,
            exchange TEXT NOT NULL,
            symbol TEXT NOT NULL,
            side TEXT NOT NULL,
            order_type TEXT NOT NULL,
            quantity BIGINT NOT NULL,
            price TEXT NOT NULL,
            created_at TEXT NOT NULL,
            tr_id TEXT NOT NULL,
            branch TEXT NOT NULL,
            manager_order_no TEXT NOT NULL,
            state TEXT NOT NULL,
            filled BIGINT NOT NULL,
            filled_amount TEXT NOT NULL,
            cancelled BIGINT NOT NULL,
            revised_away BIGINT NOT NULL,
            local_date TEXT NOT NULL
        )"""
# Its columns after order_no, in table order (one per line of the statement above).
_LATER_COLUMNS = [line.split()[0] for line in ORDERS_TABLE_V1.splitlines()[2:-1]]
# The orders indexes, which migration 6 creates again on the rebuilt table.
ORDERS_ACCOUNT_INDEX = "CREATE INDEX orders_account ON orders (account, order_no)"
ORDERS_LIVE_INDEXES = [
    f"CREATE INDEX orders_book_live ON orders (symbol, exchange, order_no) WHERE {LIVE_ORDER_V5}",
    f"CREATE INDEX orders_account_live ON orders (account, side, exchange, symbol) WHERE {LIVE_ORDER_V5}",
]
# Index versions 7 and later.
ORDERS_INDEXES_V7 = [
    # A print fills only the live limit orders its price crosses: a range of this index per side.
    f"CREATE INDEX orders_crossing ON orders (symbol, exchange, side, price_units, order_no) WHERE {CROSSING_ORDER}",
    f"CREATE INDEX orders_auction ON orders (symbol, exchange, order_no) WHERE {AUCTION_ORDER}",
    # The account's unfilled orders in order-number order (inquire-nccs pages).
    f"CREATE INDEX orders_account_live ON orders (account, order_no) WHERE {LIVE_ORDER}",
]

Execute = Callable[[str, Sequence[Any]], list[tuple[Any, ...]]]


def backfill_running_totals(execute: Execute) -> None:
    """Migration 7: the running totals of an existing database, summed once from its live orders with
    the same rule the store applies on every write (`domain.accounts.holds`)."""
    reserved: dict[tuple[str, str], Decimal] = {}
    pending: dict[tuple[str, str, str], int] = {}
    for row in execute(SELECT_ORDERS + " WHERE " + LIVE_ORDER, ()):
        order = order_from_row(row)
        held = holds(order)
        if held.cash:
            key = (order.account, _CURRENCY[order.exchange.value])
            reserved[key] = reserved.get(key, Decimal(0)) + held.cash
        if held.shares:
            skey = (order.account, order.exchange.value, order.symbol)
            pending[skey] = pending.get(skey, 0) + held.shares
    for (account, currency), amount in reserved.items():
        execute("INSERT INTO cash (account, currency, amount, reserved) VALUES (?, ?, '0', ?) ON CONFLICT"
                " (account, currency) DO UPDATE SET reserved = excluded.reserved", (account, currency, str(amount)))
    for (account, exchange, symbol), shares in pending.items():
        execute("INSERT INTO positions (account, exchange, symbol, quantity, avg_price, pending_sell)"
                " VALUES (?, ?, ?, 0, '0', ?) ON CONFLICT (account, exchange, symbol) DO UPDATE SET"
                " pending_sell = excluded.pending_sell", (account, exchange, symbol, shares))


_CURRENCY = {e.value: info.currency for e, info in EXCHANGES.items()}


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    statements: list[str]  # portable SQL, run on every backend
    sqlite: list[str] = field(default_factory=list)
    postgresql: list[str] = field(default_factory=list)
    backfill: Callable[[Execute], None] | None = None  # data moved by Python after the statements

    def for_backend(self, backend: str) -> list[str]:
        extra: list[str] = getattr(self, backend)
        return [*self.statements, *extra]


MIGRATIONS: list[Migration] = [
    Migration(1, [
        ORDERS_TABLE_V1,
        ORDERS_ACCOUNT_INDEX,
        "CREATE INDEX orders_original ON orders (original_no)",
        """CREATE TABLE fills (
            order_no TEXT NOT NULL,
            quantity BIGINT NOT NULL,
            price TEXT NOT NULL,
            filled_at TEXT NOT NULL
        )""",
        "CREATE INDEX fills_order ON fills (order_no)",
        """CREATE TABLE tokens (
            token TEXT PRIMARY KEY,
            appkey TEXT NOT NULL,
            issued_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            revoked INTEGER NOT NULL
        )""",
        "CREATE INDEX tokens_app ON tokens (appkey, issued_at)",
        "CREATE TABLE token_requests (appkey TEXT PRIMARY KEY, last_at TEXT NOT NULL)",
    ], sqlite=[
        "CREATE TABLE counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL)",
        "INSERT INTO counters (name, value) VALUES ('order_no', 0)",
    ], postgresql=[
        # A sequence hands out order numbers across processes without a hot row lock.
        "CREATE SEQUENCE order_no_seq START 1 MAXVALUE 9999999999",
    ]),
    Migration(2, [
        # Accounts: the row exists to be locked while an order checks and reserves cash.
        "CREATE TABLE accounts (number TEXT PRIMARY KEY, created_at TEXT NOT NULL)",
        """CREATE TABLE cash (
            account TEXT NOT NULL,
            currency TEXT NOT NULL,
            amount TEXT NOT NULL,
            PRIMARY KEY (account, currency)
        )""",
        # Every cash movement, for audits and the conservation check.
        """CREATE TABLE cash_ledger (
            account TEXT NOT NULL,
            currency TEXT NOT NULL,
            kind TEXT NOT NULL,
            amount TEXT NOT NULL,
            order_no TEXT NOT NULL,
            at TEXT NOT NULL
        )""",
        "CREATE INDEX cash_ledger_account ON cash_ledger (account, currency)",
        """CREATE TABLE positions (
            account TEXT NOT NULL,
            exchange TEXT NOT NULL,
            symbol TEXT NOT NULL,
            quantity BIGINT NOT NULL,
            avg_price TEXT NOT NULL,
            PRIMARY KEY (account, exchange, symbol)
        )""",
        # The last trade per instrument, and what is left of its size for arriving orders.
        """CREATE TABLE last_trades (
            exchange TEXT NOT NULL,
            symbol TEXT NOT NULL,
            price TEXT NOT NULL,
            size_left BIGINT,
            at TEXT NOT NULL,
            session_date TEXT NOT NULL,
            regular_price TEXT NOT NULL,
            regular_date TEXT NOT NULL,
            PRIMARY KEY (exchange, symbol)
        )""",
        "CREATE INDEX orders_book ON orders (symbol, exchange, state)",
    ]),
    Migration(3, [
        # Buying power and sellable checks read only the account's live orders.
        "CREATE INDEX orders_live ON orders (account, state, side)",
    ]),
    Migration(4, [
        # Nothing looks orders up by their original; the index only made every insert dearer.
        "DROP INDEX IF EXISTS orders_original",
    ]),
    Migration(5, [
        # Live-order look-ups (the fill engine's candidates, buying power, sellable shares, unfilled
        # listings) only ever want open orders: partial indexes hold just those, so a cancel record never
        # enters them and a finished order leaves them, instead of every write touching every index.
        "DROP INDEX IF EXISTS orders_book",
        "DROP INDEX IF EXISTS orders_live",
        *ORDERS_LIVE_INDEXES,
    ]),
    Migration(6, [], sqlite=[
        # SQLite stores a table with a TEXT primary key as a rowid table plus a unique index on the key;
        # an INTEGER PRIMARY KEY is the rowid itself, one B-tree fewer on every insert and look-up. Order
        # numbers are digits: text parameters ("0000000042") compare with the column as numbers, and
        # rows are read back as 10-digit text (`sql.order_from_row`).
        ORDERS_TABLE_V1.replace("CREATE TABLE orders (", "CREATE TABLE orders_by_number (")
                       .replace("order_no TEXT PRIMARY KEY", "order_no INTEGER PRIMARY KEY"),
        "INSERT INTO orders_by_number SELECT CAST(order_no AS INTEGER), " + ", ".join(_LATER_COLUMNS)
        + " FROM orders",
        "DROP TABLE orders",
        "ALTER TABLE orders_by_number RENAME TO orders",
        ORDERS_ACCOUNT_INDEX,
        *ORDERS_LIVE_INDEXES,
    ]),
    Migration(7, [
        # Running totals, kept by the store in the same transaction as every order write, so that buying
        # power and sellable shares are one row each instead of a sum over the account's live orders.
        "ALTER TABLE cash ADD COLUMN reserved TEXT NOT NULL DEFAULT '0'",
        "ALTER TABLE positions ADD COLUMN pending_sell BIGINT NOT NULL DEFAULT 0",
        # A live order's limit as an integer (ten-thousandths, floored) for the crossing index: prices
        # are text, and text does not sort as numbers.
        "ALTER TABLE orders ADD COLUMN price_units BIGINT NOT NULL DEFAULT 0",
        "DROP INDEX IF EXISTS orders_book_live",
        "DROP INDEX IF EXISTS orders_account_live",
    ], sqlite=[
        # Every stored price has at most four decimals (they were checked against the tick tables).
        f"UPDATE orders SET price_units = CAST(ROUND(CAST(price AS REAL) * 10000) AS INTEGER) WHERE {LIVE_ORDER}",
        *ORDERS_INDEXES_V7,
    ], postgresql=[
        f"UPDATE orders SET price_units = FLOOR(price::numeric * 10000)::bigint WHERE {LIVE_ORDER}",
        *ORDERS_INDEXES_V7,
    ], backfill=backfill_running_totals),
    # Reservations (예약주문), waiting for their market's open.
    Migration(8, [reservations.TABLE, *reservations.INDEXES]),
    # Realised P/L, one row per sell fill, written when the fill settles.
    Migration(9, [profit.TABLE, *profit.INDEXES]),
    Migration(10, [
        # OHLCV bars of every instrument at 1 minute and 1 day, updated by each print in its transaction
        # (O(1): one row per interval). `start` is the bar's first instant as UTC ISO text (text order is
        # time order); `day` the exchange-local session date.
        """CREATE TABLE bars (
            exchange TEXT NOT NULL,
            symbol TEXT NOT NULL,
            bar_interval TEXT NOT NULL,
            start TEXT NOT NULL,
            day TEXT NOT NULL,
            open TEXT NOT NULL,
            high TEXT NOT NULL,
            low TEXT NOT NULL,
            close TEXT NOT NULL,
            volume BIGINT NOT NULL,
            amount TEXT NOT NULL,
            PRIMARY KEY (exchange, symbol, bar_interval, start)
        )""",
    ]),
    Migration(11, [
        # Server settings that outlive a restart: the clock as last set through the admin API.
        "CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    ]),
    Migration(12, [
        # Apps added or disabled at run time through the admin API (a contest's teams); the config's
        # apps are not stored unless disabled.
        """CREATE TABLE apps (
            appkey TEXT PRIMARY KEY,
            appsecret TEXT NOT NULL,
            env TEXT NOT NULL,
            name TEXT NOT NULL,
            accounts TEXT NOT NULL,
            disabled INTEGER NOT NULL DEFAULT 0
        )""",
    ]),
    Migration(13, [
        # WebSocket approval keys (/oauth2/Approval): any number per app, each valid 24 h, readable by
        # every server process (a key issued by one is used on a socket held by another).
        "CREATE TABLE approval_keys (approval_key TEXT PRIMARY KEY, appkey TEXT NOT NULL, expires_at TEXT NOT NULL)",
        "CREATE INDEX approval_keys_expiry ON approval_keys (expires_at)",
    ]),
    Migration(14, [
        # The event outbox: committed desk events, one row per transaction, for every server process to
        # follow (PostgreSQL). Ids come from the head row, locked until commit, so they commit in order.
        "CREATE TABLE event_outbox (id BIGINT PRIMARY KEY, payload TEXT NOT NULL, created_at TEXT NOT NULL)",
        "CREATE TABLE event_outbox_head (one INTEGER PRIMARY KEY, last_id BIGINT NOT NULL)",
        "INSERT INTO event_outbox_head (one, last_id) VALUES (1, 0)",
    ]),
]
