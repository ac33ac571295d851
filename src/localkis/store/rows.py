"""How an order is stored as a row, and the predicates the partial indexes and their queries share."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import UTC, datetime
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from localkis.domain.orders import Order, OrderState
from localkis.protocol.env import Env
from localkis.protocol.exchanges import Exchange
from localkis.protocol.orders import AUCTION_TYPES, OrderKind, OrderType, Side

# A live order, written once: SQLite uses a partial index only for a query whose WHERE repeats the
# index's condition term for term. Ranges rather than IN lists: SQLite evaluates every partial index's
# condition on each insert and update of an order, and an IN list of three or more constants costs it an
# ephemeral table each time (measured: an order insert 15 -> 7 us). The ranges hold exactly the live
# states and the auction order types (checked below).
LIVE_ORDER = "state BETWEEN 'open' AND 'partially_filled' AND kind <> '02'"
# How migrations 5 and 6 wrote it (their indexes are gone since migration 7; their SQL stays as released).
LIVE_ORDER_V5 = "state IN ('open', 'partially_filled') AND kind <> '02'"
# Auction orders (MOO/LOO/MOC/LOC) trade only at session changes, never on an ordinary print: the
# crossing index leaves them out, a small index of their own finds them.
CROSSING_ORDER = f"{LIVE_ORDER} AND order_type NOT BETWEEN '31' AND '34'"
AUCTION_ORDER = f"{LIVE_ORDER} AND order_type BETWEEN '31' AND '34'"

ORDER_COLUMNS = ("order_no", "original_no", "kind", "account", "env", "exchange", "symbol", "side",
                 "order_type", "quantity", "price", "created_at", "tr_id", "branch", "manager_order_no",
                 "state", "filled", "filled_amount", "cancelled", "revised_away")
SELECT_ORDERS = "SELECT " + ", ".join(ORDER_COLUMNS) + " FROM orders"
INSERT_ORDER = ("INSERT INTO orders (" + ", ".join(ORDER_COLUMNS) + ", local_date, price_units) VALUES ("
                + ", ".join("?" * (len(ORDER_COLUMNS) + 2)) + ")")
# order_from_row builds an Order positionally from a row in this column order.
assert Order._fields == ORDER_COLUMNS


def utc_text(moment: datetime) -> str:
    """Instants are stored as UTC ISO text, so text order is time order."""
    # The server clock already gives UTC: skip the conversion then (it is on every order's insert).
    return (moment if moment.tzinfo is UTC else moment.astimezone(UTC)).isoformat()


_UNIT = Decimal(10000)


def price_units(price: Decimal) -> int:
    """A price as an integer in ten-thousandths, floored: the crossing index's key. Every tick is a
    multiple of 0.0001, so order limits convert exactly; a print between units still finds every
    order it crosses (the exact comparison follows in Python)."""
    return int((price * _UNIT).to_integral_value(ROUND_FLOOR))


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
    return Order(order_no, original_no, _KINDS[kind], account, _ENVS[env], EXCHANGE_CODES[exchange], symbol,
                 _SIDES[side], order_type, int(quantity), Decimal(price), datetime.fromisoformat(created_at),
                 tr_id, branch, manager_order_no, _STATES[state], int(filled), Decimal(filled_amount),
                 int(cancelled), int(revised_away))


# Stored codes back to their enums by dict look-up (an Enum call is several times dearer per row).
_KINDS = {k.value: k for k in OrderKind}
_ENVS = {e.value: e for e in Env}
assert {s for s in OrderState if "open" <= s.value <= "partially_filled"} == {OrderState.OPEN,
                                                                              OrderState.PARTIALLY_FILLED}
assert {t for t in OrderType if "31" <= t.value <= "34"} == AUCTION_TYPES
EXCHANGE_CODES = {e.value: e for e in Exchange}
_SIDES = {s.value: s for s in Side}
_STATES = {s.value: s for s in OrderState}


class Statements(ABC):
    """A group of SQL statements of a transaction, run through the transaction's `_x` (`SqlTransaction`)."""

    @abstractmethod
    def _x(self, sql: str, args: tuple[Any, ...] | list[Any] = ()) -> Any:
        """Run `sql` (written with `?` placeholders) and return its cursor."""
