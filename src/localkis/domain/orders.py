"""Orders and their life cycle as a transition table; a fill as an event on it (PROTOCOL A3, A4).

The decisions that create and change orders live in their commands' slices (`place_order`,
`revise_cancel`, `fills`).

Every accepted revise or cancel creates a new order record with its own order number whose
`original_no` is the order it acts on; the original is never re-priced. For every live order:

    quantity == filled + cancelled + revised_away + open
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

from localkis.domain.errors import BusinessError, IllegalTransition, Reason
from localkis.protocol.env import Env
from localkis.protocol.exchanges import Exchange
from localkis.protocol.orders import OrderKind, RevisionKind, Side

# Python 3.11 resolves `OrderKind.CANCEL` through a descriptor (~0.2 µs); `open_quantity` and the
# invariant check run several times per request, so they compare against this alias.
_CANCEL_RECORD = OrderKind.CANCEL


class OrderState(StrEnum):
    OPEN = "open"  # accepted, nothing filled
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"  # nothing open; the last quantity went by a fill
    CANCELLED = "cancelled"  # nothing open; the last quantity went by a cancel
    REPLACED = "replaced"  # nothing open; the last quantity moved to a revision
    CONFIRMED = "confirmed"  # a cancel record


class Event(StrEnum):
    FILL = "fill"  # part of the open quantity filled
    FILL_REST = "fill_rest"  # the whole open quantity filled
    CANCEL = "cancel"
    CANCEL_REST = "cancel_rest"
    REVISE = "revise"
    REVISE_REST = "revise_rest"


_O, _P = OrderState.OPEN, OrderState.PARTIALLY_FILLED
# (state, event) -> next state. Anything not listed is illegal; terminal states accept nothing.
TRANSITIONS: dict[tuple[OrderState, Event], OrderState] = {
    (_O, Event.FILL): _P,
    (_O, Event.FILL_REST): OrderState.FILLED,
    (_O, Event.CANCEL): _O,
    (_O, Event.CANCEL_REST): OrderState.CANCELLED,
    (_O, Event.REVISE): _O,
    (_O, Event.REVISE_REST): OrderState.REPLACED,
    (_P, Event.FILL): _P,
    (_P, Event.FILL_REST): OrderState.FILLED,
    (_P, Event.CANCEL): _P,
    (_P, Event.CANCEL_REST): OrderState.CANCELLED,
    (_P, Event.REVISE): _P,
    (_P, Event.REVISE_REST): OrderState.REPLACED,
}

TERMINAL_STATES = frozenset(OrderState) - {_O, _P}


def transition(state: OrderState, event: Event) -> OrderState:
    """The state after `event`; raises IllegalTransition if the table has no such row."""
    try:
        return TRANSITIONS[(state, event)]
    except KeyError:
        raise IllegalTransition(f"{event.value} is not allowed from {state.value}") from None


class Order(NamedTuple):
    """One order record. Immutable: every change is a new record (`apply`). A NamedTuple rather than a
    frozen dataclass because three are built per revise/cancel and a frozen dataclass pays one
    `object.__setattr__` call per field on every construction."""

    order_no: str  # ODNO, 10 digits
    original_no: str  # ORGN_ODNO; "" for a new order
    kind: OrderKind
    account: str  # "CANO-ACNT_PRDT_CD"
    env: Env
    exchange: Exchange
    symbol: str
    side: Side
    order_type: str  # ORD_DVSN
    quantity: int
    price: Decimal
    created_at: datetime
    tr_id: str
    branch: str
    manager_order_no: str = ""  # MGCO_APTM_ODNO
    state: OrderState = OrderState.OPEN
    filled: int = 0
    filled_amount: Decimal = Decimal(0)
    cancelled: int = 0
    revised_away: int = 0

    @property
    def open_quantity(self) -> int:
        if self.kind is _CANCEL_RECORD:
            return 0
        return self.quantity - self.filled - self.cancelled - self.revised_away

    @property
    def is_live(self) -> bool:
        return self.kind is not _CANCEL_RECORD and self.state not in TERMINAL_STATES

    @property
    def average_fill_price(self) -> Decimal:
        return self.filled_amount / self.filled if self.filled else Decimal(0)

    def apply(self, event: Event, *, filled: int | None = None, filled_amount: Decimal | None = None,
              cancelled: int | None = None, revised_away: int | None = None) -> Order:
        """A copy after `event`, with the given quantity fields changed; checks the invariant."""
        # The state and the quantities are the last five fields: copy the rest as one slice (a
        # NamedTuple's `_replace` walks every field by name, and this runs on every revise and cancel).
        changed = Order._make((
            *self[:_STATE_FIELD], transition(self.state, event),
            self.filled if filled is None else filled,
            self.filled_amount if filled_amount is None else filled_amount,
            self.cancelled if cancelled is None else cancelled,
            self.revised_away if revised_away is None else revised_away))
        check_invariant(changed)
        return changed


_STATE_FIELD = Order._fields.index("state")
assert Order._fields[_STATE_FIELD:] == ("state", "filled", "filled_amount", "cancelled", "revised_away")


def check_invariant(order: Order) -> None:
    """ordered = filled + cancelled + revised-away + open, with nothing negative."""
    if order.kind is _CANCEL_RECORD:
        if order.filled or order.revised_away or order.cancelled:
            raise AssertionError(f"cancel record {order.order_no} carries quantities")
        return
    open_quantity = order.open_quantity
    parts = (order.filled, order.cancelled, order.revised_away, open_quantity)
    if min(parts) < 0 or sum(parts) != order.quantity:
        raise AssertionError(f"quantity invariant broken on {order.order_no}: {order.quantity} != {parts}")
    if (open_quantity == 0) != (order.state in TERMINAL_STATES):
        raise AssertionError(f"order {order.order_no} is {order.state.value} with {open_quantity} open")


class NewOrder(NamedTuple):
    """A validated order-entry command."""

    account: str
    env: Env
    exchange: Exchange
    symbol: str
    side: Side
    order_type: str
    quantity: int
    price: Decimal
    tr_id: str
    manager_order_no: str = ""


class RevisionRequest(NamedTuple):
    """A revise or cancel of `original_no`; quantity 0 means all that is open."""

    kind: RevisionKind
    account: str
    env: Env
    exchange: Exchange
    symbol: str
    original_no: str
    quantity: int
    price: Decimal
    tr_id: str
    manager_order_no: str = ""

    @property
    def original_key(self) -> str:
        """The original's number as orders are numbered (10 digits; a client may drop leading zeros)."""
        return self.original_no.zfill(10)


class FillError(ValueError):
    """A fill the order or the account cannot take (more than is open, more shares than held)."""


def fill(order: Order, quantity: int, price: Decimal) -> Order:
    """The order after `quantity` more of it traded at `price`."""
    if order.open_quantity == 0 or not order.is_live:
        raise BusinessError(Reason.NOTHING_LEFT, order.order_no)
    if quantity <= 0 or quantity > order.open_quantity:
        raise FillError(f"cannot fill {quantity} of order {order.order_no}: {order.open_quantity} open")
    if price <= 0:
        raise FillError("fill price must be positive")
    event = Event.FILL_REST if quantity == order.open_quantity else Event.FILL
    return order.apply(event, filled=order.filled + quantity,
                       filled_amount=order.filled_amount + price * quantity)
