"""SQLite group commit (`SqliteStore.run`): batched work, each caller answered after the commit, and a
failing piece of work undone alone, whether it failed before writing or after."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import apsw
import pytest

from localkis.domain.orders import NewOrder, Order, RevisionRequest
from localkis.protocol.env import Env
from localkis.protocol.exchanges import Exchange
from localkis.protocol.orders import RevisionKind, Side
from localkis.store.base import LastTrade
from localkis.store.sqlite import SqliteStore, SqliteTransaction
from tests.records import cancel, place
from tests.sqlitefile import sqlite_file

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
COMMAND = NewOrder(account="12345678-01", env=Env.REAL, exchange=Exchange.NASD, symbol="AAPL", side=Side.BUY,
                   order_type="00", quantity=10, price=Decimal("190.00"), tr_id="TTTT1002U")


def book(tx: SqliteTransaction) -> Order:
    order = place(COMMAND, tx.next_order_no(), NOW, "01790")
    tx.insert_order(order, "20260302")
    return order


class Refused(Exception):
    pass


def refuse_before_writing(tx: SqliteTransaction) -> Order:
    tx.next_order_no()
    raise Refused("checked and refused")


def refuse_after_writing(tx: SqliteTransaction) -> Order:
    book(tx)
    raise Refused("wrote, then refused")


def run_together(store: SqliteStore, works: list[Callable[[SqliteTransaction], Any]]) -> list[Any]:
    """Submit every piece of work in one event-loop step, so they share a batch."""
    async def go() -> list[Any]:
        return await asyncio.gather(*(store.run(w) for w in works), return_exceptions=True)

    return asyncio.run(go())


def committed_orders(db_path: Path) -> list[str]:
    """What another connection sees: only committed rows."""
    with sqlite_file(db_path) as conn:
        return [f"{r[0]:010d}" for r in conn.execute("SELECT order_no FROM orders ORDER BY order_no")]


def test_a_batch_is_committed_before_anyone_is_answered(store: SqliteStore, db_path: Path) -> None:
    seen_at_answer: list[list[str]] = []

    async def go() -> None:
        async def one() -> None:
            await store.run(book)
            seen_at_answer.append(committed_orders(db_path))

        await asyncio.gather(*(one() for _ in range(5)))

    asyncio.run(go())
    assert all(len(seen) == 5 for seen in seen_at_answer)  # one batch, committed before any answer
    assert committed_orders(db_path) == [f"{n:010d}" for n in range(1, 6)]


@pytest.mark.parametrize("refusal", [refuse_before_writing, refuse_after_writing])
def test_a_failing_piece_is_undone_alone(store: SqliteStore, db_path: Path,
                                         refusal: Callable[[SqliteTransaction], Order]) -> None:
    results = run_together(store, [book, refusal, book, refusal, book])
    assert [type(r) for r in results] == [Order, Refused, Order, Refused, Order]
    kept = [r.order_no for r in results if isinstance(r, Order)]
    assert committed_orders(db_path) == kept
    assert len(set(kept)) == 3


def test_work_may_run_twice_but_only_one_run_counts(store: SqliteStore, db_path: Path) -> None:
    """When a piece fails after writing, the batch runs again with savepoints: the answers and the
    rows come from that second run alone (nothing of the first run survives)."""
    calls = {"book": 0}

    def counted(tx: SqliteTransaction) -> Order:
        calls["book"] += 1
        return book(tx)

    results = run_together(store, [counted, refuse_after_writing])
    assert calls["book"] == 2
    assert isinstance(results[0], Order) and isinstance(results[1], Refused)
    assert committed_orders(db_path) == [results[0].order_no]


def test_order_numbers_stay_increasing_across_batches(store: SqliteStore, db_path: Path) -> None:
    first = run_together(store, [book, refuse_before_writing, book])
    second = run_together(store, [book, book])
    numbers = [r.order_no for r in first + second if isinstance(r, Order)]
    assert numbers == sorted(numbers) and len(set(numbers)) == 4
    assert committed_orders(db_path) == numbers


def test_a_failed_commit_reaches_every_caller(store: SqliteStore, db_path: Path) -> None:
    # A second connection holding the write lock makes BEGIN IMMEDIATE fail once the busy timeout ends.
    store._conn.set_busy_timeout(50)
    blocker = apsw.Connection(str(db_path))
    blocker.execute("BEGIN IMMEDIATE")
    try:
        results = run_together(store, [book, book])
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert all(isinstance(r, apsw.BusyError) for r in results), results
    assert committed_orders(db_path) == []
    assert isinstance(run_together(store, [book])[0], Order)  # the store goes on afterwards


def test_a_loop_closed_during_a_commit_does_not_wedge_the_store(store: SqliteStore, db_path: Path) -> None:
    """A loop that closes while its batch commits (a shutdown, an abandoned test loop) never runs the
    commit's callback; the store must not wait for that callback forever."""
    hold = threading.Event()
    store._committer.submit(hold.wait, 10)  # the commit queues behind this until we let it go
    loop = asyncio.new_event_loop()

    async def first_caller() -> Order:
        return await store.run(book)

    abandoned = loop.create_task(first_caller())
    loop.run_until_complete(asyncio.sleep(0.01))  # the batch runs and waits for the committer thread
    assert not abandoned.done()
    abandoned.cancel()
    loop.close()
    hold.set()

    async def next_caller() -> Order:
        return await asyncio.wait_for(store.run(book), timeout=10)  # a wedged store fails, not hangs

    result = asyncio.run(next_caller())
    assert len(committed_orders(db_path)) == 2 and result.order_no in committed_orders(db_path)


def test_a_rolled_back_piece_leaves_nothing_in_what_the_batch_remembers(store: SqliteStore) -> None:
    """The transaction remembers last trades it read or wrote; a piece rolled back to its savepoint
    must not leave its trade there for the pieces after it."""
    old = LastTrade(Exchange.NASD, "AAPL", Decimal("190.00"), None, NOW, "20260302", None, "")
    with store.transaction() as tx:
        tx.set_last_trade(old)

    def trade_then_refuse(tx: SqliteTransaction) -> Order:
        tx.last_trade(Exchange.NASD, "AAPL")  # remembered...
        tx.set_last_trade(replace(old, price=Decimal("1.00")))  # ...then overwritten, and undone below
        raise Refused("wrote a trade, then refused")

    def read(tx: SqliteTransaction) -> LastTrade | None:
        return tx.last_trade(Exchange.NASD, "AAPL")

    results = run_together(store, [read, trade_then_refuse, read])
    assert results[0] == old and isinstance(results[1], Refused) and results[2] == old


def cancel_three(order_no: str) -> Callable[[SqliteTransaction], int]:
    """Work: cancel 3 of the order's open quantity; returns what was open before."""
    request = RevisionRequest(kind=RevisionKind.CANCEL, account=COMMAND.account, env=COMMAND.env,
                              exchange=COMMAND.exchange, symbol=COMMAND.symbol, original_no=order_no,
                              quantity=3, price=Decimal("0"), tr_id="TTTT1004U")

    def work(tx: SqliteTransaction) -> int:
        original = tx.load_order_for_update(request.original_key)
        assert original is not None
        updated, record = cancel(original, request, tx.next_order_no(), NOW, "01790")
        tx.update_order(original, updated)
        tx.insert_order(record, "20260302")
        return original.open_quantity

    return work


def run_locking(store: SqliteStore, works: list[tuple[Callable[[SqliteTransaction], Any], str]]) -> list[Any]:
    """Like `run_together`, each piece naming the order it locks (so the batch reads them ahead)."""
    async def go() -> list[Any]:
        return await asyncio.gather(*(store.run(w, locks=no) for w, no in works), return_exceptions=True)

    return asyncio.run(go())


def test_orders_read_ahead_for_a_batch_stay_current_within_it(store: SqliteStore) -> None:
    with store.transaction() as tx:
        first, second = book(tx), book(tx)
    results = run_locking(store, [(cancel_three(first.order_no), first.order_no),
                                  (cancel_three(second.order_no), second.order_no),
                                  (cancel_three(first.order_no), first.order_no)])
    assert results == [10, 10, 7]  # the third piece sees the first's cancel
    with store.read() as tx:
        assert (order := tx.load_order_for_update(first.order_no)) is not None and order.open_quantity == 4


def test_a_rolled_back_piece_leaves_no_read_ahead_order_behind(store: SqliteStore) -> None:
    with store.transaction() as tx:
        first, second = book(tx), book(tx)

    def cancel_then_refuse(tx: SqliteTransaction) -> int:
        cancel_three(first.order_no)(tx)  # updates the order read ahead...
        raise Refused("cancelled, then refused")  # ...and is undone to its savepoint

    results = run_locking(store, [(cancel_then_refuse, first.order_no),
                                  (cancel_three(second.order_no), second.order_no),
                                  (cancel_three(first.order_no), first.order_no)])
    assert isinstance(results[0], Refused) and results[1:] == [10, 10]
