"""SQLite store: WAL, one writer at a time (BEGIN IMMEDIATE), every acknowledged request committed.

It talks to SQLite through apsw rather than the standard library's `sqlite3`: apsw is a thin binding
(with its own, current SQLite), and a revise/cancel's statements cost about half as much through it
(`docs/performance.md`). Errors are apsw's (`apsw.ConstraintError`, `apsw.BusyError`, …).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import apsw

from localkis.domain.orders import Order
from localkis.store.rows import SELECT_ORDERS, order_from_row
from localkis.store.schema import MIGRATIONS
from localkis.store.sql import SqlTransaction


class SqliteTransaction(SqlTransaction):
    def lock_app(self, appkey: str) -> None:
        """Nothing to do: BEGIN IMMEDIATE already serialises every writer."""

    def lock_account(self, number: str) -> None:
        """Nothing to do: BEGIN IMMEDIATE already serialises every writer."""

    def __init__(self, conn: apsw.Connection) -> None:
        super().__init__(conn)
        self._last_order_no: int | None = None
        self._stored_order_no = 0

    def next_order_no(self) -> str:
        # The counter row is read once per transaction and written back once before the commit
        # (`flush`): the write lock is held throughout, so no other writer can interleave. A
        # number handed to work that then failed is simply skipped.
        if self._last_order_no is None:
            row = self._x("SELECT value FROM counters WHERE name = 'order_no'").fetchone()
            self._last_order_no = self._stored_order_no = int(row[0])
        self._last_order_no += 1
        return f"{self._last_order_no:010d}"

    def flush(self) -> None:
        """Store the running totals and the last order number handed out; call before COMMIT."""
        super().flush()
        if self._last_order_no is not None and self._last_order_no != self._stored_order_no:
            self._x("UPDATE counters SET value = ? WHERE name = 'order_no'", (self._last_order_no,))
            self._stored_order_no = self._last_order_no


T = TypeVar("T")

# How long a writer waits for another process's write lock before giving up (apsw.BusyError).
BUSY_TIMEOUT_MS = 30_000


def _connect(path: str) -> apsw.Connection:
    """A connection with no implicit transactions (apsw has none: BEGIN and COMMIT are ours)."""
    # NOMUTEX: SQLite's own lock around every call on the connection (each bind, each column read) is
    # pure cost here. A connection is only ever used by one thread at a time (see `SqliteStore`), and
    # apsw refuses overlapping calls on one connection itself. Measured: 1.035x on the revise/cancel load.
    conn = apsw.Connection(path, flags=apsw.SQLITE_OPEN_READWRITE | apsw.SQLITE_OPEN_CREATE
                           | apsw.SQLITE_OPEN_NOMUTEX)
    conn.set_busy_timeout(BUSY_TIMEOUT_MS)
    return conn
# A piece of work waiting for the next batch: the work, its caller's future, the order it locks (if known).
_Pending = tuple[Callable[[SqliteTransaction], Any], "asyncio.Future[Any]", str | None]


class SqliteStore:
    concurrent = False

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        # Each connection is used by one thread at a time: the writer under `_lock` (the event loop runs
        # a batch's work, then the committer thread its COMMIT), the reader under `_read_lock`. apsw
        # raises ThreadingViolationError if that were ever broken, rather than blocking.
        self._lock = threading.Lock()
        self._conn = _connect(self.path)
        self._conn.execute("PRAGMA journal_mode=WAL")
        # FULL: an acknowledged order survives a power cut, not only a process crash.
        self._conn.execute("PRAGMA synchronous=FULL")
        self._pending: list[_Pending] = []
        self._flush_scheduled = False
        # The loop waiting for the batch being committed; None when no commit is in flight.
        self._committing_loop: asyncio.AbstractEventLoop | None = None
        self._committer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-commit")
        self._migrate()
        # Reads get a connection of their own: in WAL they see the last commit without waiting for a
        # writer (a batch being committed holds `_lock` for the whole fsync). An in-memory database
        # exists only on its one connection, so there reads share it.
        if self.path == ":memory:":
            self._reader, self._read_lock = self._conn, self._lock
        else:
            self._reader = _connect(self.path)
            self._reader.execute("PRAGMA query_only=ON")
            self._read_lock = threading.Lock()

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
                    if migration.backfill is not None:
                        migration.backfill(lambda sql, args: self._conn.execute(sql, args).fetchall())
                    self._conn.execute("INSERT INTO schema_version (version) VALUES (?)", (migration.version,))
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    @property
    def schema_version(self) -> int:
        with self._lock:
            row = self._conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
        assert row is not None
        return int(row[0])

    @contextmanager
    def transaction(self) -> Iterator[SqliteTransaction]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                tx = SqliteTransaction(self._conn)
                yield tx
                tx.flush()
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def run(self, work: Callable[[SqliteTransaction], T], *, locks: str | None = None) -> asyncio.Future[T]:
        """Run `work` in a transaction; the future resolves once it is committed. Batched with other
        requests. (A plain function returning the future: no coroutine to create and resume per request.)

        Group commit: work submitted while the event loop is busy, or while the previous batch is being
        committed, is run in one transaction made durable by one commit (one fsync); every caller is
        answered only after that commit. A failing piece of work raises to its caller alone and leaves
        nothing behind. Work must act only through the transaction it is given: it may be run twice (see
        `_run_batch`). The commit runs on a committer thread, so the event loop keeps reading requests
        while the disk syncs (apsw releases the GIL meanwhile).
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._pending.append((work, future, locks))
        if self._committing_loop is not None and self._committing_loop.is_closed():
            # The loop that was waiting for the last commit is gone (its callback will never run);
            # that commit has finished or will, releasing the lock: carry on from this loop.
            self._committing_loop = None
        if not self._flush_scheduled and self._committing_loop is None:
            self._flush_scheduled = True
            loop.call_soon(self._flush)
        return future

    def _flush(self) -> None:
        self._flush_scheduled = False
        batch, self._pending = self._pending, []
        if not batch:
            return
        self._lock.acquire()  # released by the committer thread once the batch is durable
        try:
            outcomes = self._run_batch(batch, savepoints=False)
            if outcomes is None:
                outcomes = self._run_batch(batch, savepoints=True)
                assert outcomes is not None
        except BaseException as exc:  # e.g. BEGIN timed out: every caller of the batch gets the error
            self._abort_batch(batch, exc)
            if not isinstance(exc, Exception):
                raise
            return
        loop = asyncio.get_running_loop()
        self._committing_loop = loop
        committed = loop.run_in_executor(self._committer, self._commit)
        committed.add_done_callback(lambda done: self._answer(outcomes, done))

    def _run_batch(self, batch: list[_Pending], *,
                   savepoints: bool) -> list[tuple[asyncio.Future[Any], bool, Any]] | None:
        """Run the batch in a new transaction (left open for the commit).

        Work checks before it writes, so a failure almost never leaves changes behind: the batch first
        runs without a savepoint per piece (two statements fewer per request). If a failing piece did
        write (`total_changes` moved, or it changed running totals held in memory), the whole transaction
        is rolled back and None returned; the caller
        then runs the batch again with a savepoint around each piece, which undoes exactly that piece.
        """
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        tx = SqliteTransaction(conn)
        # The orders the batch will lock, in one statement instead of one each.
        locks = list(dict.fromkeys(order_no for _, _, order_no in batch if order_no is not None))
        if len(locks) > 1:
            tx.prefetch_orders(locks)
        outcomes: list[tuple[asyncio.Future[Any], bool, Any]] = []
        for work, future, _ in batch:
            if savepoints:
                tx.flush()  # what earlier pieces hold in memory must survive a rollback to this savepoint
                conn.execute("SAVEPOINT work")
            changes, mutations = conn.total_changes(), tx.mutations
            try:
                result = work(tx)
            except Exception as exc:  # the caller gets it; the batch goes on
                if savepoints:
                    conn.execute("ROLLBACK TO work")
                    conn.execute("RELEASE work")
                    tx.forget_reads()  # it may remember what the rolled-back piece wrote
                elif conn.total_changes() != changes or tx.mutations != mutations:
                    conn.execute("ROLLBACK")
                    return None
                outcomes.append((future, False, exc))
            else:
                if savepoints:
                    conn.execute("RELEASE work")
                outcomes.append((future, True, result))
        tx.flush()
        return outcomes

    def _commit(self) -> None:
        """On the committer thread: make the batch durable, then let the next writer in."""
        try:
            self._conn.execute("COMMIT")
        except BaseException:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise
        finally:
            self._lock.release()

    def _abort_batch(self, batch: list[_Pending],
                     exc: BaseException) -> None:
        try:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
        finally:
            self._lock.release()
        for _, future, _ in batch:
            if not future.done():
                future.set_exception(exc if isinstance(exc, Exception) else RuntimeError(str(exc)))

    def _answer(self, outcomes: list[tuple[asyncio.Future[Any], bool, Any]], committed: asyncio.Future[None]) -> None:
        self._committing_loop = None
        failure = committed.exception()
        for future, ok, value in outcomes:
            if future.done():  # the caller went away (cancelled)
                continue
            if failure is not None:
                future.set_exception(failure)
            elif ok:
                future.set_result(value)
            else:
                future.set_exception(value)
        if self._pending and not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    @contextmanager
    def read(self) -> Iterator[SqliteTransaction]:
        with self._read_lock:
            self._reader.execute("BEGIN")
            try:
                yield SqliteTransaction(self._reader)
            finally:
                self._reader.execute("ROLLBACK")

    def all_orders(self) -> Iterator[Order]:
        with self._read_lock:
            rows = self._reader.execute(SELECT_ORDERS + " ORDER BY order_no").fetchall()
        return iter([order_from_row(r) for r in rows])

    def close(self) -> None:
        self._committer.shutdown(wait=True)
        with self._lock:
            if self._reader is not self._conn:
                with self._read_lock:
                    self._reader.close()
            self._conn.close()
