"""PostgreSQL store: several server processes or hosts on one database (row locks, a sequence)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from anyio import to_thread
from psycopg import Connection
from psycopg_pool import ConnectionPool

from localkis.domain.orders import Order
from localkis.store.rows import SELECT_ORDERS, order_from_row, utc_text
from localkis.store.schema import MIGRATIONS
from localkis.store.sql import SqlTransaction

T = TypeVar("T")
log = logging.getLogger("localkis")

# Any constant shared by every localkis process: the key of the migration lock.
_MIGRATION_LOCK = 0x6C6B6973  # "lkis"
EVENTS_CHANNEL = "localkis_events"  # LISTEN/NOTIFY channel of the event outbox
OUTBOX_BATCH = 1000  # outbox rows read per query
OUTBOX_RETENTION = timedelta(hours=1)  # rows older than this are deleted (every process is far past them)


def _rows(cursor: Any) -> list[tuple[Any, ...]]:
    return list(cursor.fetchall()) if cursor.description is not None else []


class PostgresTransaction(SqlTransaction):
    placeholder = "%s"
    lock_suffix = " FOR UPDATE"
    skip_locked_suffix = " FOR UPDATE SKIP LOCKED"

    def next_order_no(self) -> str:
        row = self._x("SELECT nextval('order_no_seq')").fetchone()
        return f"{int(row[0]):010d}"

    def lock_app(self, appkey: str) -> None:
        self._x("SELECT pg_advisory_xact_lock(hashtext(?))", (appkey,))

    def _notify_events(self) -> None:
        self._x(f"SELECT pg_notify('{EVENTS_CHANNEL}', '')")  # delivered at commit, never for a rollback


class PostgresStore:
    concurrent = True

    def __init__(self, url: str, *, min_size: int = 2, max_size: int = 8) -> None:
        self.url = url
        self._pool: ConnectionPool[Connection[Any]] = ConnectionPool(
            url, min_size=min_size, max_size=max_size, open=True, kwargs={"autocommit": False})
        self._pool.wait(timeout=30)
        self._lock = threading.Lock()
        self._migrate()

    def _migrate(self) -> None:
        with self._pool.connection() as conn, conn.transaction():
            # Several processes may start at once: one migrates, the others wait and find it done.
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
            current = int(row[0]) if row and row[0] is not None else 0
            for migration in MIGRATIONS:
                if migration.version <= current:
                    continue
                for statement in migration.for_backend("postgresql"):
                    conn.execute(statement.encode())  # trusted DDL from schema.py
                if migration.backfill is not None:
                    migration.backfill(lambda sql, args: _rows(conn.execute(sql.replace("?", "%s").encode(), args)))
                conn.execute("INSERT INTO schema_version (version) VALUES (%s)", (migration.version,))

    @property
    def schema_version(self) -> int:
        with self._pool.connection() as conn:
            row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
        return int(row[0]) if row else 0

    @contextmanager
    def transaction(self) -> Iterator[PostgresTransaction]:
        with self._pool.connection() as conn, conn.transaction():
            tx = PostgresTransaction(conn)
            yield tx
            tx.flush()

    async def run(self, work: Callable[[PostgresTransaction], T], *, locks: str | None = None) -> T:
        """Run `work` in its own transaction on a worker thread (many commit at once across the pool);
        `locks` is not needed: the work's own `SELECT … FOR UPDATE` is its only read of the order."""

        def call() -> T:
            with self.transaction() as tx:
                return work(tx)

        return await to_thread.run_sync(call)

    @contextmanager
    def read(self) -> Iterator[PostgresTransaction]:
        with self._pool.connection() as conn, conn.transaction():
            yield PostgresTransaction(conn)

    def all_orders(self) -> Iterator[Order]:
        with self._pool.connection() as conn:
            rows = conn.execute(SELECT_ORDERS + " ORDER BY order_no").fetchall()
        return iter([order_from_row(r) for r in rows])

    def follow_events(self, deliver: Callable[[list[str]], None]) -> Callable[[], None]:
        """Follow the event outbox from its current end on a thread of its own: `deliver` gets the payloads
        of every transaction committed from now on, by any process, in commit order, each exactly once.
        Woken by LISTEN/NOTIFY (the 1 s timeout is only a safety net). Returns the function that stops it."""
        stop = threading.Event()
        conn = Connection.connect(self.url, autocommit=True)
        conn.execute(f"LISTEN {EVENTS_CHANNEL}")
        row = conn.execute("SELECT COALESCE(MAX(id), 0) FROM event_outbox").fetchone()
        position = int(row[0]) if row else 0

        def follow() -> None:
            nonlocal position
            pruned = time.monotonic()
            try:
                while not stop.is_set():
                    rows = conn.execute("SELECT id, payload FROM event_outbox WHERE id > %s ORDER BY id LIMIT %s",
                                        (position, OUTBOX_BATCH)).fetchall()
                    if rows:
                        position = int(rows[-1][0])
                        deliver([str(r[1]) for r in rows])
                        continue
                    if time.monotonic() - pruned > 60:
                        pruned = time.monotonic()
                        conn.execute("DELETE FROM event_outbox WHERE created_at < %s",
                                     (utc_text(datetime.now(UTC) - OUTBOX_RETENTION),))
                    for _ in conn.notifies(timeout=1.0, stop_after=1):
                        pass
            except Exception:
                if not stop.is_set():
                    log.exception("event outbox follower stopped")
            finally:
                conn.close()

        thread = threading.Thread(target=follow, name="localkis-outbox", daemon=True)
        thread.start()

        def stop_following() -> None:
            stop.set()
            thread.join(timeout=5)

        return stop_following

    def close(self) -> None:
        self._pool.close()
