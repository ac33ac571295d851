"""SQLite store on a temporary file: migrations, order numbers, round trips, listing, rollback, tokens."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import apsw
import pytest

from localkis.domain.orders import NewOrder, Order, OrderState, RevisionRequest, fill
from localkis.protocol.env import Env
from localkis.protocol.exchanges import US_EXCHANGES, Exchange
from localkis.protocol.orders import RevisionKind, Side
from localkis.store.base import OrderQuery, TokenRecord
from localkis.store.rows import ORDER_COLUMNS, SELECT_ORDERS, order_values
from localkis.store.schema import MIGRATIONS
from localkis.store.sqlite import SqliteStore
from tests.records import cancel, place, revise
from tests.sqlitefile import sqlite_file

D = Decimal
ZERO = D("0")
DEFAULT_PRICE = D("100.5000")
KST = ZoneInfo("Asia/Seoul")
T0 = datetime(2026, 3, 2, 15, 0, 0, 123456, tzinfo=KST)
ACCOUNT = "12345678-01"
OTHER = "87654321-01"


def new_order(order_no: str, *, exchange: Exchange = Exchange.NASD, account: str = ACCOUNT, quantity: int = 10,
              price: D = DEFAULT_PRICE, side: Side = Side.BUY, symbol: str = "AAPL",
              created_at: datetime = T0) -> Order:
    command = NewOrder(account=account, env=Env.REAL, exchange=exchange, symbol=symbol, side=side,
                       order_type="00", quantity=quantity, price=price, tr_id="TTTT1002U", manager_order_no="M1")
    return place(command, order_no, created_at, "01790")


def _request(order: Order, kind: RevisionKind, quantity: int = 0, price: D = ZERO) -> RevisionRequest:
    return RevisionRequest(kind=kind, account=order.account, env=order.env, exchange=order.exchange,
                           symbol=order.symbol, original_no=order.order_no, quantity=quantity, price=price,
                           tr_id="TTTT1004U")


# ------------------------------------------------------------------------------------------------
# Migrations
# ------------------------------------------------------------------------------------------------

LATEST = max(m.version for m in MIGRATIONS)
# How orders were inserted before schema 7 added their integer limit (`price_units`).
INSERT_ORDER_V1 = ("INSERT INTO orders (" + ", ".join(ORDER_COLUMNS) + ", local_date) VALUES ("
                   + ", ".join("?" * (len(ORDER_COLUMNS) + 1)) + ")")


def test_fresh_database_is_at_the_latest_version(store: SqliteStore, db_path: Path) -> None:
    assert store.schema_version == LATEST >= 2
    with sqlite_file(db_path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"orders", "fills", "tokens", "token_requests", "counters", "schema_version"} <= tables
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_migrations_are_idempotent_on_reopen(db_path: Path) -> None:
    for _ in range(3):
        s = SqliteStore(db_path)
        assert s.schema_version == LATEST
        s.close()
    with sqlite_file(db_path) as conn:
        versions = conn.execute("SELECT version FROM schema_version ORDER BY version").fetchall()
        assert versions == [(m.version,) for m in MIGRATIONS]
        assert conn.execute("SELECT COUNT(*) FROM counters").fetchone() == (1,)


def test_a_database_made_by_an_older_version_upgrades_in_place(db_path: Path) -> None:
    """A file migrated only to version 1 (the first release) gains the later tables and keeps its rows."""
    with sqlite_file(db_path) as conn:
        conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        for statement in MIGRATIONS[0].for_backend("sqlite"):
            conn.execute(statement)
        conn.execute("INSERT INTO schema_version (version) VALUES (1)")
        conn.execute("UPDATE counters SET value = 41 WHERE name = 'order_no'")
    upgraded = SqliteStore(db_path)
    try:
        assert upgraded.schema_version == LATEST
        with upgraded.transaction() as tx:
            assert tx.next_order_no() == "0000000042"
            assert tx.ensure_account("12345678-01", {"USD": Decimal("10")}, [], datetime.now(UTC))
    finally:
        upgraded.close()


def test_orders_keep_their_rows_when_order_numbers_become_the_row_key(db_path: Path) -> None:
    """Migration 6 rebuilds a version-5 orders table (TEXT order numbers) keyed by the integer row id:
    every row survives, numbers read back as the same 10-digit text, look-ups and listings still work."""
    kept = [new_order(f"{n:010d}") for n in (1, 2, 41)]
    with sqlite_file(db_path) as conn:
        conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        for migration in MIGRATIONS[:5]:
            for statement in migration.for_backend("sqlite"):
                conn.execute(statement)
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (migration.version,))
        for order in kept:
            conn.execute(INSERT_ORDER_V1, (*order_values(order), "20260302"))
        conn.execute("UPDATE counters SET value = 41 WHERE name = 'order_no'")
    upgraded = SqliteStore(db_path)
    try:
        assert upgraded.schema_version == LATEST >= 6
        with upgraded.transaction() as tx:
            assert [tx.load_order_for_update(o.order_no) for o in kept] == kept
            assert tx.load_order_for_update("42") is None
            assert [o for o, _ in tx.list_orders(OrderQuery(ACCOUNT, after="0000000001"))] == kept[1:]
            plan = tx._conn.execute("EXPLAIN QUERY PLAN " + SELECT_ORDERS + " WHERE order_no = ?",
                                    ("0000000041",)).fetchall()
            assert "INTEGER PRIMARY KEY" in plan[0][3], plan
            assert tx.next_order_no() == "0000000042"
    finally:
        upgraded.close()
    with sqlite_file(db_path) as conn:
        assert conn.execute("SELECT typeof(order_no) FROM orders").fetchall() == [("integer",)] * 3


def test_running_totals_and_limits_of_an_older_database_are_backfilled(db_path: Path) -> None:
    """Migration 7 adds the running totals and the integer limits of the crossing index to a version-6
    file: reserved cash and pending sells are summed from its live orders, finished ones count nothing."""
    buys = [new_order("0000000001", quantity=10, price=D("100.25")),
            fill(new_order("0000000002", quantity=4, price=D("0.5005")), 1, D("0.5"))]
    sells = [new_order("0000000003", side=Side.SELL, quantity=3, price=D("120.00"))]
    done = [fill(new_order("0000000004", quantity=2, price=D("99.00")), 2, D("99.00")),
            new_order("0000000005", exchange=Exchange.SEHK, symbol="00700", quantity=100, price=D("300.2"))]
    with sqlite_file(db_path) as conn:
        conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        for migration in MIGRATIONS[:6]:
            for statement in migration.for_backend("sqlite"):
                conn.execute(statement)
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (migration.version,))
        for order in [*buys, *sells, *done]:
            conn.execute(INSERT_ORDER_V1, (*order_values(order), "20260302"))
        conn.execute("INSERT INTO accounts (number, created_at) VALUES (?, '')", (ACCOUNT,))
        conn.execute("INSERT INTO cash (account, currency, amount) VALUES (?, 'USD', '5000')", (ACCOUNT,))
        conn.execute("INSERT INTO positions (account, exchange, symbol, quantity, avg_price)"
                     " VALUES (?, 'NASD', 'AAPL', 7, '90')", (ACCOUNT,))
    upgraded = SqliteStore(db_path)
    try:
        with upgraded.transaction() as tx:
            funds = tx.account_funds(ACCOUNT)
            assert funds["USD"].cash == D(5000)
            assert funds["USD"].reserved == D("100.25") * 10 + D("0.5005") * 3
            # The Hong Kong buy had no cash row: its reservation gets one.
            assert funds["HKD"].reserved == D("300.2") * 100 and funds["HKD"].cash == 0
            holding = tx.holding(ACCOUNT, Exchange.NASD, "AAPL")
            assert holding.position.quantity == 7 and holding.pending_sells == 3 and holding.sellable == 4
            crossing = tx.crossing_orders(Exchange.NASD, "AAPL", Side.BUY, D("0.5005"), None)
            assert [o.order_no for o in crossing] == ["0000000001", "0000000002"]
            assert [o.order_no for o in tx.crossing_orders(Exchange.NASD, "AAPL", Side.SELL, D("120"), None)] == [
                "0000000003"]
            assert tx.crossing_orders(Exchange.NASD, "AAPL", Side.SELL, D("119.99"), None) == []
    finally:
        upgraded.close()


class PlanRecorder:
    """Wraps the store's connection and records the query plan of every SELECT it runs."""

    def __init__(self, conn: apsw.Connection) -> None:
        self.conn = conn
        self.plans: list[tuple[str, str]] = []

    def execute(self, sql: str, args: Any = ()) -> Any:
        if sql.lstrip().upper().startswith("SELECT"):
            detail = " / ".join(r[3] for r in self.conn.execute("EXPLAIN QUERY PLAN " + sql, args))
            self.plans.append((sql, detail))
        return self.conn.execute(sql, args)


def test_live_order_queries_use_the_partial_live_indexes(store: SqliteStore) -> None:
    """The live-order look-ups must repeat the partial indexes' condition term for term, or SQLite
    quietly falls back to scanning the whole book: a print's candidates of each side, its auction
    orders, and an account's unfilled orders."""
    with store.transaction() as tx:
        recorder = PlanRecorder(tx._conn)
        tx._conn = recorder
        tx.crossing_orders(Exchange.NASD, "AAPL", Side.BUY, D("190.00"), None)
        tx.crossing_orders(Exchange.NASD, "AAPL", Side.SELL, D("190.00"), 5)
        tx.auction_orders(Exchange.NASD, "AAPL")
        tx.list_orders(OrderQuery(ACCOUNT, exchanges=US_EXCHANGES, live_only=True, descending=True))
    used = [detail for _, detail in recorder.plans]
    assert len(used) == 4
    assert all("orders_crossing" in d and "price_units" in d for d in used[:2]), used
    assert "orders_auction" in used[2], used
    assert "orders_account_live" in used[3], used


def test_data_survives_reopen(db_path: Path) -> None:
    s = SqliteStore(db_path)
    with s.transaction() as tx:
        number = tx.next_order_no()
        tx.insert_order(new_order(number), "20260302")
    s.close()
    s = SqliteStore(db_path)
    with s.transaction() as tx:
        loaded = tx.load_order_for_update(number)
        assert loaded == new_order(number)
        assert int(tx.next_order_no()) == int(number) + 1  # the counter is persistent too
    s.close()


# ------------------------------------------------------------------------------------------------
# Order numbers
# ------------------------------------------------------------------------------------------------

def test_order_numbers_are_10_digits_unique_and_increasing(store: SqliteStore) -> None:
    numbers: list[str] = []
    for _ in range(5):
        with store.transaction() as tx:
            numbers.extend(tx.next_order_no() for _ in range(7))
    assert all(len(n) == 10 and n.isdigit() for n in numbers)
    assert len(set(numbers)) == len(numbers)
    assert numbers == sorted(numbers) and [int(n) for n in numbers] == list(range(1, 36))


# ------------------------------------------------------------------------------------------------
# Round trips
# ------------------------------------------------------------------------------------------------

def _assert_same(loaded: Order | None, order: Order) -> None:
    assert loaded == order
    assert loaded is not None
    # Decimal equality ignores the exponent; the store must keep it ("100.5000" stays "100.5000").
    assert str(loaded.price) == str(order.price)
    assert str(loaded.filled_amount) == str(order.filled_amount)
    assert loaded.created_at.utcoffset() == timedelta(0)  # stored as UTC: text order is time order
    assert loaded.created_at.tzinfo is not None


@pytest.mark.parametrize("created_at", [T0, T0.astimezone(UTC), datetime(2026, 7, 1, 9, 30, tzinfo=timezone(
    timedelta(hours=-4)))], ids=["kst", "utc", "edt"])
@pytest.mark.parametrize("price", ["100.5000", "0.0001", "60000", "1E-7", "12345678.12345678"])
def test_insert_load_round_trip(store: SqliteStore, created_at: datetime, price: str) -> None:
    order = new_order("0000000001", price=D(price), created_at=created_at)
    with store.transaction() as tx:
        tx.insert_order(order, "20260302")
    with store.read() as tx:
        _assert_same(tx.load_order_for_update("0000000001"), order)
        assert tx.load_order_for_update("0000000099") is None


def test_update_round_trip_through_a_life_cycle(store: SqliteStore) -> None:
    order = new_order("0000000001", quantity=10, price=D("100.00"))
    with store.transaction() as tx:
        tx.insert_order(order, "20260302")
    filled = fill(order, 3, D("99.995"))
    with store.transaction() as tx:
        tx.update_order(order, filled)
    order = filled
    updated, replacement = revise(order, _request(order, RevisionKind.REVISE, 4, D("101.00")), "0000000002",
                                  T0, "01790")
    with store.transaction() as tx:
        tx.update_order(order, updated)
        tx.insert_order(replacement, "20260302")
    updated2, record = cancel(updated, _request(updated, RevisionKind.CANCEL), "0000000003", T0, "01790")
    with store.transaction() as tx:
        tx.update_order(updated, updated2)
        tx.insert_order(record, "20260302")
    with store.read() as tx:
        _assert_same(tx.load_order_for_update("0000000001"), updated2)
        _assert_same(tx.load_order_for_update("0000000002"), replacement)
        _assert_same(tx.load_order_for_update("0000000003"), record)
    loaded = store.all_orders()
    assert [o.order_no for o in loaded] == ["0000000001", "0000000002", "0000000003"]
    assert updated2.state is OrderState.CANCELLED and updated2.filled_amount == D("299.985")


def test_update_does_not_touch_identity_fields(store: SqliteStore) -> None:
    order = new_order("0000000001", price=D("100.00"))
    with store.transaction() as tx:
        tx.insert_order(order, "20260302")
        tx.update_order(order, fill(order, 1, D("100"))._replace(price=D("1"), symbol="MSFT"))
    with store.read() as tx:
        loaded = tx.load_order_for_update("0000000001")
    assert loaded is not None and loaded.price == D("100.00") and loaded.symbol == "AAPL" and loaded.filled == 1


def test_duplicate_order_number_is_refused(store: SqliteStore) -> None:
    with store.transaction() as tx:
        tx.insert_order(new_order("0000000001"), "20260302")
    with pytest.raises(apsw.ConstraintError), store.transaction() as tx:
        tx.insert_order(new_order("0000000001", quantity=99), "20260302")
    with store.read() as tx:
        loaded = tx.load_order_for_update("0000000001")
    assert loaded is not None and loaded.quantity == 10


# ------------------------------------------------------------------------------------------------
# Rollback
# ------------------------------------------------------------------------------------------------

class Boom(Exception):
    pass


def test_rollback_on_exception_leaves_nothing(store: SqliteStore) -> None:
    with store.transaction() as tx:
        tx.insert_order(new_order("0000000001"), "20260302")
        first = tx.next_order_no()
    with pytest.raises(Boom), store.transaction() as tx:
        number = tx.next_order_no()
        tx.insert_order(new_order(number), "20260302")
        tx.update_order(new_order("0000000001"), fill(new_order("0000000001"), 10, D("100")))
        tx.insert_fill("0000000001", 10, "100", T0)
        tx.insert_token(TokenRecord("tok", "app", T0, T0 + timedelta(days=1)))
        tx.set_last_token_request("app", T0)
        raise Boom
    with store.read() as tx:
        assert tx.load_order_for_update(number) is None
        assert tx.load_order_for_update("0000000001") == new_order("0000000001")
        assert tx.find_token("tok") is None and tx.last_token_request("app") is None
    with store.transaction() as tx:
        assert tx.next_order_no() == number == f"{int(first) + 1:010d}"  # the counter rolled back too
    assert [o.order_no for o in store.all_orders()] == ["0000000001"]


def test_store_still_usable_after_a_rollback(store: SqliteStore) -> None:
    with pytest.raises(Boom), store.transaction():
        raise Boom
    with store.transaction() as tx:
        tx.insert_order(new_order("0000000005"), "20260302")
    assert [o.order_no for o in store.all_orders()] == ["0000000005"]


def test_read_snapshot_refuses_writes(store: SqliteStore) -> None:
    with pytest.raises(apsw.ReadOnlyError, match="readonly"), store.read() as tx:
        tx.insert_order(new_order("0000000001"), "20260302")
    assert list(store.all_orders()) == []


def test_read_sees_the_last_commit_while_a_writer_holds_the_lock(store: SqliteStore) -> None:
    with store.transaction() as tx:
        tx.insert_order(new_order("0000000001"), "20260302")
    with store.transaction() as tx:  # an open write transaction does not block nor leak into reads
        tx.insert_order(new_order("0000000002"), "20260302")
        assert [o.order_no for o in store.all_orders()] == ["0000000001"]
    assert [o.order_no for o in store.all_orders()] == ["0000000001", "0000000002"]


# ------------------------------------------------------------------------------------------------
# Listing with keyset paging
# ------------------------------------------------------------------------------------------------

EXCHANGE_CYCLE = [Exchange.NASD, Exchange.NYSE, Exchange.SEHK, Exchange.AMEX, Exchange.TKSE]


@pytest.fixture
def book(store: SqliteStore) -> dict[str, Order]:
    """13 orders of ACCOUNT over five exchanges (some closed), 2 of another account, a cancel record."""
    orders: dict[str, Order] = {}
    with store.transaction() as tx:
        for i in range(13):
            number = tx.next_order_no()
            order = new_order(number, exchange=EXCHANGE_CYCLE[i % 5], side=Side.BUY if i % 2 else Side.SELL,
                              symbol="AAPL" if i % 3 else "MSFT")
            if i % 4 == 0:
                order = fill(order, order.quantity, D("100"))
            elif i % 4 == 1:
                order = fill(order, 2, D("100"))
            tx.insert_order(order, f"2026030{1 + i % 3}")
            orders[number] = order
        for _ in range(2):
            number = tx.next_order_no()
            tx.insert_order(new_order(number, account=OTHER), "20260301")
            orders[number] = new_order(number, account=OTHER)
        target = orders["0000000003"]
        updated, record = cancel(target, _request(target, RevisionKind.CANCEL), tx.next_order_no(), T0, "01790")
        tx.update_order(target, updated)
        tx.insert_order(record, "20260303")
        orders[updated.order_no] = updated
        orders[record.order_no] = record
    return orders


def _pages(store: SqliteStore, query: OrderQuery) -> list[list[str]]:
    pages: list[list[str]] = []
    after: str | None = None
    while True:
        with store.read() as tx:
            rows = tx.list_orders(replace(query, after=after))
        if not rows:
            return pages
        pages.append([o.order_no for o, _ in rows])
        after = rows[-1][0].order_no
        assert len(pages) < 50


def _mine(book: dict[str, Order]) -> list[str]:
    return sorted(n for n, o in book.items() if o.account == ACCOUNT)


@pytest.mark.parametrize("limit", [1, 4, 5, 40])
def test_paging_ascending(store: SqliteStore, book: dict[str, Order], limit: int) -> None:
    pages = _pages(store, OrderQuery(account=ACCOUNT, limit=limit))
    flat = [n for page in pages for n in page]
    assert flat == _mine(book)
    assert all(len(page) == limit for page in pages[:-1]) and 0 < len(pages[-1]) <= limit


@pytest.mark.parametrize("limit", [1, 4, 40])
def test_paging_descending(store: SqliteStore, book: dict[str, Order], limit: int) -> None:
    pages = _pages(store, OrderQuery(account=ACCOUNT, limit=limit, descending=True))
    assert [n for page in pages for n in page] == _mine(book)[::-1]


def test_listing_returns_local_dates_and_full_orders(store: SqliteStore, book: dict[str, Order]) -> None:
    with store.read() as tx:
        rows = tx.list_orders(OrderQuery(account=ACCOUNT, limit=100))
    for order, local_date in rows:
        assert order == book[order.order_no]
        assert local_date in ("20260301", "20260302", "20260303")


def test_cursor_is_stable_while_orders_are_added(store: SqliteStore, book: dict[str, Order]) -> None:
    with store.read() as tx:
        first = tx.list_orders(OrderQuery(account=ACCOUNT, limit=5))
    with store.transaction() as tx:
        tx.insert_order(new_order(tx.next_order_no()), "20260303")
    after = first[-1][0].order_no
    with store.read() as tx:
        rest = [o.order_no for o, _ in tx.list_orders(OrderQuery(account=ACCOUNT, limit=100, after=after))]
    assert [o.order_no for o, _ in first] + rest[:-1] == _mine(book)
    assert rest[-1] not in book


@pytest.mark.parametrize("exchanges", [US_EXCHANGES, frozenset({Exchange.SEHK}),
                                       frozenset({Exchange.TKSE, Exchange.NYSE}), frozenset()],
                         ids=["us", "hk", "jp+nyse", "none"])
@pytest.mark.parametrize("descending", [False, True])
def test_exchange_filter(store: SqliteStore, book: dict[str, Order], exchanges: frozenset[Exchange],
                         descending: bool) -> None:
    pages = _pages(store, OrderQuery(account=ACCOUNT, exchanges=exchanges, limit=2, descending=descending))
    expected = [n for n in _mine(book) if book[n].exchange in exchanges]
    assert [n for page in pages for n in page] == (expected[::-1] if descending else expected)


def test_live_only(store: SqliteStore, book: dict[str, Order]) -> None:
    pages = _pages(store, OrderQuery(account=ACCOUNT, live_only=True, limit=3))
    expected = [n for n in _mine(book) if book[n].is_live]
    assert [n for page in pages for n in page] == expected
    assert expected and all(book[n].open_quantity > 0 for n in expected)
    assert len(expected) < len(_mine(book))  # fills, a cancel and a cancel record are left out


def test_live_only_with_exchanges_desc(store: SqliteStore, book: dict[str, Order]) -> None:
    pages = _pages(store, OrderQuery(account=ACCOUNT, live_only=True, exchanges=US_EXCHANGES, limit=2,
                                     descending=True))
    expected = [n for n in _mine(book) if book[n].is_live and book[n].exchange in US_EXCHANGES][::-1]
    assert [n for page in pages for n in page] == expected and expected


def test_other_filters(store: SqliteStore, book: dict[str, Order]) -> None:
    def listed(**kw: object) -> list[str]:
        with store.read() as tx:
            return [o.order_no for o, _ in tx.list_orders(OrderQuery(account=ACCOUNT, limit=100, **kw))]  # type: ignore[arg-type]

    mine = _mine(book)
    assert listed(symbol="MSFT") == [n for n in mine if book[n].symbol == "MSFT"]
    assert listed(side=Side.SELL) == [n for n in mine if book[n].side is Side.SELL]
    assert listed(filled=True) == [n for n in mine if book[n].filled > 0]
    assert listed(filled=False) == [n for n in mine if book[n].is_live]
    with store.read() as tx:
        dated = {o.order_no: d for o, d in tx.list_orders(OrderQuery(account=ACCOUNT, limit=100))}
    assert listed(local_date_from="20260302") == [n for n in mine if dated[n] >= "20260302"]
    assert listed(local_date_to="20260301") == [n for n in mine if dated[n] <= "20260301"]
    assert listed(local_date_from="20260302", local_date_to="20260302") == [n for n in mine if dated[n] == "20260302"]
    with store.read() as tx:
        assert [o.account for o, _ in tx.list_orders(OrderQuery(account=OTHER))] == [OTHER, OTHER]
        assert tx.list_orders(OrderQuery(account="00000000-01")) == []


# ------------------------------------------------------------------------------------------------
# Tokens
# ------------------------------------------------------------------------------------------------

def test_tokens(store: SqliteStore) -> None:
    t = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    first = TokenRecord("tok-1", "app", t, t + timedelta(days=1))
    second = TokenRecord("tok-2", "app", t + timedelta(hours=7), t + timedelta(days=1, hours=7))
    other = TokenRecord("tok-3", "other", t + timedelta(hours=9), t + timedelta(days=1, hours=9))
    with store.transaction() as tx:
        assert tx.latest_token("app") is None and tx.find_token("tok-1") is None
        for record in (first, second, other):
            tx.insert_token(record)
    with store.read() as tx:
        assert tx.find_token("tok-1") == first and tx.find_token("tok-3") == other
        assert tx.latest_token("app") == second and tx.latest_token("other") == other
        assert tx.find_token("nope") is None
    with store.transaction() as tx:
        assert tx.revoke_token("tok-2") is True
        assert tx.revoke_token("tok-2") is False  # already revoked
        assert tx.revoke_token("nope") is False
    with store.read() as tx:
        revoked = tx.find_token("tok-2")
        assert revoked is not None and revoked.revoked and revoked.expires_at == second.expires_at
        assert tx.latest_token("app") == replace(second, revoked=True)
        assert tx.find_token("tok-1") == first


def test_token_sub_second_issue_times_order_correctly(store: SqliteStore) -> None:
    t = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    with store.transaction() as tx:
        tx.insert_token(TokenRecord("a", "app", t, t + timedelta(days=1)))
        tx.insert_token(TokenRecord("b", "app", t + timedelta(microseconds=500), t + timedelta(days=1)))
    with store.read() as tx:
        latest = tx.latest_token("app")
    assert latest is not None and latest.token == "b"


def test_latest_token_with_mixed_utc_offsets(store: SqliteStore) -> None:
    t = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    with store.transaction() as tx:
        tx.insert_token(TokenRecord("early", "app", t.astimezone(KST), t + timedelta(days=1)))  # "...T10:00+09:00"
        tx.insert_token(TokenRecord("late", "app", t + timedelta(hours=1), t + timedelta(days=1)))  # "...T02:00+00:00"
    with store.read() as tx:
        latest = tx.latest_token("app")
    assert latest is not None and latest.token == "late"


def test_last_token_request_upserts(store: SqliteStore) -> None:
    t = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    with store.transaction() as tx:
        assert tx.last_token_request("app") is None
        tx.set_last_token_request("app", t)
        tx.set_last_token_request("other", t + timedelta(hours=1))
        assert tx.last_token_request("app") == t
        tx.set_last_token_request("app", t + timedelta(minutes=1))
    with store.read() as tx:
        assert tx.last_token_request("app") == t + timedelta(minutes=1)
        assert tx.last_token_request("other") == t + timedelta(hours=1)


def test_fills_are_recorded(store: SqliteStore, db_path: Path) -> None:
    with store.transaction() as tx:
        tx.insert_fill("0000000001", 3, "100.50", T0)
        tx.insert_fill("0000000001", 2, "100.25", T0 + timedelta(seconds=1))
    with sqlite_file(db_path) as conn:
        rows = conn.execute("SELECT order_no, quantity, price FROM fills ORDER BY filled_at").fetchall()
    assert rows == [("0000000001", 3, "100.50"), ("0000000001", 2, "100.25")]
