"""SQLite store: WAL, one writer at a time (BEGIN IMMEDIATE), every acknowledged request committed."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from localkis.domain.orders import Order
from localkis.store.schema import MIGRATIONS
from localkis.store.sql import (  # noqa: F401  (re-exported for callers of the SQLite backend)
    ORDER_COLUMNS,
    SELECT_ORDERS,
    SqlTransaction,
    order_from_row,
    order_query_sql,
    order_values,
)


class SqliteTransaction(SqlTransaction):
    def lock_app(self, appkey: str) -> None:
        """Nothing to do: BEGIN IMMEDIATE already serialises every writer."""

    def next_order_no(self) -> str:
        row = self._x("UPDATE counters SET value = value + 1 WHERE name = 'order_no' RETURNING value").fetchone()
        return f"{int(row[0]):010d}"

    def load_order_for_update(self, order_no: str) -> Order | None:
        # BEGIN IMMEDIATE already holds the database write lock: the row cannot change under us.
        return super().load_order_for_update(order_no)


T = TypeVar("T")


class SqliteStore:
    concurrent = False

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        self._conn.execute("PRAGMA journal_mode=WAL")
        # FULL: an acknowledged order survives a power cut, not only a process crash.
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute("PRAGMA busy_timeout=30000")
        self._pending: list[tuple[Callable[[SqliteTransaction], Any], asyncio.Future[Any]]] = []
        self._flush_scheduled = False
        self._migrate()

    def _migrate(self) -> None:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
                row = self._conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
                current = int(row[0]) if row and row[0] is not None else 0
                for migration in MIGRATIONS:
                    if migration.version <= current:
                        continue
                    for statement in migration.for_backend("sqlite"):
                        self._conn.execute(statement)
                    self._conn.execute("INSERT INTO schema_version (version) VALUES (?)", (migration.version,))
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    @property
    def schema_version(self) -> int:
        row = self._conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
        return int(row[0])

    @contextmanager
    def transaction(self) -> Iterator[SqliteTransaction]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield SqliteTransaction(self._conn)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    async def run(self, work: Callable[[SqliteTransaction], T]) -> T:
        """Run `work` in a transaction and return once it is committed, batching with other requests.

        Group commit: work submitted while the event loop is busy is run, each in its own savepoint, in
        one transaction and made durable by one commit (one fsync); every caller is answered only after
        that commit. A failing piece of work rolls back to its savepoint and raises to its caller alone.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._pending.append((work, future))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            loop.call_soon(self._flush)
        return await future

    def _flush(self) -> None:
        self._flush_scheduled = False
        batch, self._pending = self._pending, []
        outcomes: list[tuple[asyncio.Future[Any], bool, Any]] = []
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                tx = SqliteTransaction(self._conn)
                for work, future in batch:
                    self._conn.execute("SAVEPOINT work")
                    try:
                        result = work(tx)
                    except Exception as exc:  # the caller gets it; the batch goes on
                        self._conn.execute("ROLLBACK TO work")
                        self._conn.execute("RELEASE work")
                        outcomes.append((future, False, exc))
                    else:
                        self._conn.execute("RELEASE work")
                        outcomes.append((future, True, result))
                self._conn.execute("COMMIT")
            except BaseException as exc:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc if isinstance(exc, Exception) else RuntimeError(str(exc)))
                return
        for future, ok, value in outcomes:
            if future.done():  # the caller went away (cancelled)
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)

    @contextmanager
    def read(self) -> Iterator[SqliteTransaction]:
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                yield SqliteTransaction(self._conn)
            finally:
                self._conn.execute("ROLLBACK")

    def all_orders(self) -> Iterator[Order]:
        with self._lock:
            rows = self._conn.execute(SELECT_ORDERS + " ORDER BY order_no").fetchall()
        return iter([order_from_row(r) for r in rows])

    def close(self) -> None:
        with self._lock:
            self._conn.close()
