"""The one narrow storage interface; SQLite is the embedded default (PostgreSQL plugs in here)."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from anyio import to_thread

from localkis.domain.accounts import Funds, Holding, Position
from localkis.domain.bars import Bar, Interval
from localkis.domain.orders import Order
from localkis.domain.profit import FillRecord, Realised
from localkis.domain.reservations import Reservation
from localkis.protocol.exchanges import Exchange
from localkis.protocol.orders import Side


@dataclass(frozen=True, slots=True)
class OrderQuery:
    """Which orders a listing wants; keyset paging on the order number."""

    account: str
    exchanges: frozenset[Exchange] | None = None  # None: every exchange
    live_only: bool = False  # only orders with something open
    symbol: str | None = None
    side: Side | None = None
    filled: bool | None = None  # True: with fills; False: with something open (ccnl filter)
    local_date_from: str | None = None  # YYYYMMDD, inclusive
    local_date_to: str | None = None
    after: str | None = None  # order number cursor (exclusive)
    descending: bool = False
    limit: int = 40


@dataclass(frozen=True, slots=True)
class TokenRecord:
    token: str
    appkey: str
    issued_at: datetime
    expires_at: datetime
    revoked: bool = False


@dataclass(frozen=True, slots=True)
class StoredApp:
    """An app added or disabled through the admin API."""

    appkey: str
    appsecret: str
    env: str
    name: str
    accounts: tuple[str, ...]
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class LastTrade:
    """The last price an instrument traded at, and the regular-session price for closing auctions."""

    exchange: Exchange
    symbol: str
    price: Decimal
    size_left: int | None  # what arriving orders may still take at this price; None: unlimited
    at: datetime
    session_date: str  # exchange-local YYYYMMDD of `at`
    regular_price: Decimal | None  # last price traded in a regular session
    regular_date: str  # its exchange-local date


class Transaction(Protocol):
    def next_order_no(self) -> str:
        """A new 10-digit order number, unique for the database."""

    def save_orders(self, changes: Iterable[tuple[Order | None, Order]], local_date: str = "") -> None:
        """Write order records — (None, new) inserts with its exchange-local date, (before, after)
        updates — and move the account's running totals (reserved cash, pending sells) by what they hold
        back, in this transaction."""

    def insert_order(self, order: Order, local_date: str) -> None: ...

    def update_order(self, before: Order, after: Order) -> None: ...

    def load_order_for_update(self, order_no: str) -> Order | None:
        """The order, locked until the transaction ends."""

    def list_orders(self, query: OrderQuery) -> list[tuple[Order, str]]:
        """Matching orders with their exchange-local order dates (YYYYMMDD)."""

    def crossing_orders(self, exchange: Exchange, symbol: str, side: Side, price: Decimal,
                        limit: int | None) -> list[Order]:
        """Live limit orders of `side` a print at `price` may fill, best first, at most `limit`, locked."""

    def auction_orders(self, exchange: Exchange, symbol: str) -> list[Order]:
        """Live MOO/LOO/MOC/LOC orders of an instrument, locked."""

    def book_levels(self, exchange: Exchange, symbol: str, side: Side, levels: int) -> list[tuple[Decimal, int]]:
        """The best `levels` limit prices of one side of an instrument with their open quantities."""

    def insert_fill(self, order_no: str, quantity: int, price: str, at: datetime) -> None: ...

    def order_chain(self, order_no: str) -> list[Order]:
        """Every record linked to `order_no` through ORGN_ODNO: its original order, the revisions and
        cancels of it, theirs in turn; in order-number order; empty for an unknown number."""

    def fills_of(self, order_nos: Sequence[str]) -> list[FillRecord]:
        """The fills of these orders, oldest first."""

    def lock_app(self, appkey: str) -> None:
        """Serialise token issuance for one app until the transaction ends."""

    def insert_token(self, record: TokenRecord) -> None: ...

    def find_token(self, token: str) -> TokenRecord | None: ...

    def latest_token(self, appkey: str) -> TokenRecord | None: ...

    def revoke_token(self, token: str) -> bool: ...

    def last_token_request(self, appkey: str) -> datetime | None: ...

    def set_last_token_request(self, appkey: str, at: datetime) -> None: ...

    def setting(self, name: str) -> str | None:
        """A server setting kept across restarts (e.g. the admin-set clock), or None."""

    def set_setting(self, name: str, value: str) -> None: ...

    def save_app(self, app: StoredApp) -> None:
        """Insert or replace an app added (or disabled) at run time."""

    def stored_apps(self) -> list[StoredApp]: ...

    def account_numbers(self) -> list[str]:
        """Every account the store holds, in number order."""

    def ensure_account(self, number: str, cash: dict[str, Decimal],
                       positions: list[tuple[Exchange, str, Position]], at: datetime) -> bool: ...

    def lock_account(self, number: str) -> None:
        """Hold the account until the transaction ends (fills and admin writes)."""

    def funds(self, number: str, currency: str) -> Funds:
        """Cash and reserved cash of one currency (running totals), locked until the transaction ends."""

    def account_funds(self, number: str) -> dict[str, Funds]: ...

    def add_cash(self, number: str, currency: str, delta: Decimal, kind: str, order_no: str,
                 at: datetime) -> Decimal: ...

    def ledger_totals(self, number: str) -> dict[tuple[str, str], Decimal]: ...

    def holding(self, number: str, exchange: Exchange, symbol: str) -> Holding:
        """The position in an instrument and its pending sells (running total), locked."""

    def set_position(self, number: str, exchange: Exchange, symbol: str, position: Position) -> None: ...

    def holdings(self, number: str) -> list[tuple[Exchange, str, Holding]]: ...

    def live_orders(self) -> list[Order]:
        """Every live order (for checks of the running totals, never on a request's path)."""

    def last_trade(self, exchange: Exchange, symbol: str) -> LastTrade | None: ...

    def set_last_trade(self, trade: LastTrade) -> None: ...

    def last_trades(self) -> list[LastTrade]: ...

    # --- reservations (예약주문) -----------------------------------------------------------------------
    def insert_reservation(self, reservation: Reservation) -> None: ...

    def update_reservation(self, reservation: Reservation) -> None: ...

    def load_reservation_for_update(self, number: str) -> Reservation | None: ...

    def claim_due_reservations(self, now: datetime, limit: int) -> list[Reservation]:
        """Waiting reservations due at `now`, locked; rows another transaction holds are skipped."""

    def next_reservation_due(self) -> datetime | None:
        """When the forwarder next has work (a reservation due, or a sent one's close); None: nothing."""

    def claim_expiring_reservations(self, now: datetime, limit: int) -> list[Reservation]:
        """Sent reservations whose session closed by `now`, locked; rows others hold are skipped."""

    def list_reservations(self, account: str, exchanges: frozenset[Exchange] | None, date_from: str,
                          date_to: str, after: str | None, limit: int) -> list[Reservation]: ...

    def orders_by_number(self, numbers: Sequence[str]) -> dict[str, Order]: ...

    # --- realised P/L --------------------------------------------------------------------------------
    def insert_realised(self, realised: Realised) -> None: ...

    def realised_between(self, account: str, date_from: str, date_to: str,
                         exchanges: frozenset[Exchange] | None = None, symbol: str = "") -> list[Realised]: ...

    def account_fills(self, account: str, since: datetime, until: datetime) -> list[FillRecord]:
        """The account's fills in [since, until), oldest first."""

    def bar(self, exchange: Exchange, symbol: str, interval: Interval, start: datetime) -> Bar | None:
        """The stored bar of an instrument starting at `start`."""

    def put_bar(self, exchange: Exchange, symbol: str, interval: Interval, bar: Bar) -> None:
        """Insert or replace the bar keyed by (instrument, interval, bar.start)."""

    def bars(self, exchange: Exchange, symbol: str, interval: Interval, *, until: datetime | None = None,
             limit: int | None = None) -> list[Bar]:
        """Stored bars oldest first: those starting at or before `until`, the newest `limit` of them."""

    def insert_approval_key(self, key: str, appkey: str, expires_at: datetime) -> None:
        """Store a WebSocket approval key (and forget the keys that expired before `expires_at` − 48 h)."""

    def approval_key_app(self, key: str, now: datetime) -> str | None:
        """The appkey an approval key was issued to, if it is still valid at `now`."""

    def append_events(self, payload: str) -> None:
        """Append a committed-event record to the outbox; ids follow commit order (the head row stays
        locked until the transaction ends), and other processes are woken at commit (PostgreSQL NOTIFY)."""

    def clear_tables(self, tables: tuple[str, ...]) -> None:
        """Delete every row of these tables, and forget what this transaction read (a reset)."""


T = TypeVar("T")


class Store(Protocol):
    # True where transactions of one process can run at once (PostgreSQL): the server then runs store
    # calls in worker threads; False where they are serial anyway (SQLite): they run inline.
    concurrent: bool

    def transaction(self) -> AbstractContextManager[Transaction]:
        """A serialised read-write transaction: commits on normal exit, rolls back on error."""

    def run(self, work: Callable[[Transaction], T], *, locks: str | None = None) -> Awaitable[T]:
        """Run `work(tx)` in a read-write transaction from async code; await it: it resolves once the
        transaction is committed.

        `work` must act only through `tx` (a store may run it again from the start, on a fresh
        transaction, when other work batched with it has to be undone). `locks`, where known, is the
        number of the order `work` loads with `load_order_for_update`: a store that batches work may
        read it ahead, with the rest of the batch's, in one statement."""

    def read(self) -> AbstractContextManager[Transaction]:
        """A read-only snapshot."""

    def all_orders(self) -> Iterator[Order]:
        """Every order record (admin and checks)."""

    def close(self) -> None: ...


async def read(store: Store, fn: Callable[..., T], *args: Any) -> T:
    """Run a store read from async code: inline where reads never wait (SQLite reads on a connection of
    their own, which in WAL never waits for the writer), in a worker thread where they may (PostgreSQL)."""
    if store.concurrent:
        return await to_thread.run_sync(functools.partial(fn, *args))
    return fn(*args)
