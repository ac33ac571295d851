"""SQL shared by the SQLite and PostgreSQL stores: row mapping, listing queries, the transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from localkis.domain.orders import Order, OrderKind, OrderState
from localkis.protocol.env import Env
from localkis.protocol.exchanges import Exchange
from localkis.protocol.trids import Side
from localkis.store.base import OrderQuery, TokenRecord

ORDER_COLUMNS = ("order_no", "original_no", "kind", "account", "env", "exchange", "symbol", "side",
                 "order_type", "quantity", "price", "created_at", "tr_id", "branch", "manager_order_no",
                 "state", "filled", "filled_amount", "cancelled", "revised_away")
SELECT_ORDERS = "SELECT " + ", ".join(ORDER_COLUMNS) + " FROM orders"


def utc_text(moment: datetime) -> str:
    """Instants are stored as UTC ISO text, so text order is time order."""
    return moment.astimezone(UTC).isoformat()


def order_values(order: Order) -> tuple[Any, ...]:
    return (order.order_no, order.original_no, order.kind.value, order.account, order.env.value,
            order.exchange.value, order.symbol, order.side.value, order.order_type, order.quantity,
            str(order.price), utc_text(order.created_at), order.tr_id, order.branch,
            order.manager_order_no, order.state.value, order.filled, str(order.filled_amount),
            order.cancelled, order.revised_away)


def order_from_row(row: tuple[Any, ...]) -> Order:
    (order_no, original_no, kind, account, env, exchange, symbol, side, order_type, quantity, price,
     created_at, tr_id, branch, manager_order_no, state, filled, filled_amount, cancelled,
     revised_away) = row
    return Order(order_no=order_no, original_no=original_no, kind=OrderKind(kind), account=account,
                 env=Env(env), exchange=Exchange(exchange), symbol=symbol, side=Side(side),
                 order_type=order_type, quantity=int(quantity), price=Decimal(price),
                 created_at=datetime.fromisoformat(created_at), tr_id=tr_id, branch=branch,
                 manager_order_no=manager_order_no, state=OrderState(state), filled=int(filled),
                 filled_amount=Decimal(filled_amount), cancelled=int(cancelled),
                 revised_away=int(revised_away))


def order_query_sql(query: OrderQuery, param: str = "?") -> tuple[str, list[Any]]:
    """The WHERE/ORDER/LIMIT part of a listing; shared by the SQL backends."""
    where = ["account = " + param]
    args: list[Any] = [query.account]
    if query.exchanges is not None and not query.exchanges:
        where.append("1 = 0")
    elif query.exchanges is not None:
        where.append("exchange IN (" + ", ".join([param] * len(query.exchanges)) + ")")
        args.extend(sorted(e.value for e in query.exchanges))
    if query.live_only:
        where.append("state IN ('open', 'partially_filled') AND kind <> '02'")
    if query.symbol:
        where.append("symbol = " + param)
        args.append(query.symbol)
    if query.side is not None:
        where.append("side = " + param)
        args.append(query.side.value)
    if query.filled is True:
        where.append("filled > 0")
    elif query.filled is False:
        where.append("state IN ('open', 'partially_filled') AND kind <> '02'")
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


class SqlTransaction:
    """Portable SQL (written with `?` placeholders); backends adapt the few statements that differ."""

    placeholder = "?"
    lock_suffix = ""

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def _x(self, sql: str, args: tuple[Any, ...] | list[Any] = ()) -> Any:
        if self.placeholder != "?":
            sql = sql.replace("?", self.placeholder)
        return self._conn.execute(sql, args)

    def lock_app(self, appkey: str) -> None:
        """Serialise token issuance for one app (a no-op where transactions are already serial)."""

    def next_order_no(self) -> str:
        raise NotImplementedError

    def insert_order(self, order: Order, local_date: str) -> None:
        self._x(
            "INSERT INTO orders (" + ", ".join(ORDER_COLUMNS) + ", local_date) VALUES ("
            + ", ".join("?" * (len(ORDER_COLUMNS) + 1)) + ")", (*order_values(order), local_date))

    def update_order(self, order: Order) -> None:
        self._x(
            "UPDATE orders SET state = ?, filled = ?, filled_amount = ?, cancelled = ?, revised_away = ?"
            " WHERE order_no = ?",
            (order.state.value, order.filled, str(order.filled_amount), order.cancelled,
             order.revised_away, order.order_no))

    def load_order_for_update(self, order_no: str) -> Order | None:
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
        cur = self._x("UPDATE tokens SET revoked = 1 WHERE token = ? AND revoked = 0", (token,))
        return bool(cur.rowcount > 0)

    def last_token_request(self, appkey: str) -> datetime | None:
        row = self._x("SELECT last_at FROM token_requests WHERE appkey = ?", (appkey,)).fetchone()
        return datetime.fromisoformat(row[0]) if row else None

    def set_last_token_request(self, appkey: str, at: datetime) -> None:
        self._x(
            "INSERT INTO token_requests (appkey, last_at) VALUES (?, ?)"
            " ON CONFLICT (appkey) DO UPDATE SET last_at = excluded.last_at", (appkey, utc_text(at)))
