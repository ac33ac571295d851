"""Orders, their life cycle as a transition table, and the revise/cancel/fill rules (PROTOCOL A3, A4).

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
from localkis.protocol.exchanges import EXCHANGES, Exchange
from localkis.protocol.trids import Side


class OrderKind(StrEnum):
    """What an order record is; the value is KIS's rvse_cncl_dvsn_cd."""

    NEW = "00"
    REVISE = "01"  # a replacement order carrying quantity moved off its original
    CANCEL = "02"  # the confirmation record of a cancel; never open


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


# ORD_DVSN values that cannot be revised (US TWAP/VWAP, PROTOCOL §4).
NON_REVISABLE_ORDER_TYPES = frozenset({"35", "36"})


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


class RevisionKind(StrEnum):
    REVISE = "01"
    CANCEL = "02"


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


def place(command: NewOrder, order_no: str, now: datetime, branch: str) -> Order:
    """The order record for an accepted new order (market rules are checked by the caller)."""
    if command.quantity <= 0:
        raise BusinessError(Reason.BAD_QUANTITY)
    return Order(order_no=order_no, original_no="", kind=OrderKind.NEW, account=command.account,
                 env=command.env, exchange=command.exchange, symbol=command.symbol, side=command.side,
                 order_type=command.order_type, quantity=command.quantity, price=command.price,
                 created_at=now, tr_id=command.tr_id, branch=branch,
                 manager_order_no=command.manager_order_no)


def check_target(original: Order | None, request: RevisionRequest) -> Order:
    """The order a revise/cancel acts on, or ORIGINAL_NOT_FOUND / NOTHING_LEFT."""
    if (original is None or original.kind is _CANCEL_RECORD or original.account != request.account
            or original.env is not request.env or original.symbol != request.symbol
            or EXCHANGES[original.exchange].market is not EXCHANGES[request.exchange].market):
        raise BusinessError(Reason.ORIGINAL_NOT_FOUND, request.original_no)
    if original.open_quantity == 0:
        raise BusinessError(Reason.NOTHING_LEFT, original.order_no)
    return original


def _affected_quantity(original: Order, requested: int) -> tuple[int, bool]:
    """(quantity acted on, whether that is all that is open): 0 or ≥ open means all (A3)."""
    open_qty = original.open_quantity
    if requested <= 0 or requested >= open_qty:
        return open_qty, True
    return requested, False


def cancel(original: Order, request: RevisionRequest, order_no: str, now: datetime,
           branch: str) -> tuple[Order, Order]:
    """(updated original, cancel record)."""
    target = check_target(original, request)
    qty, rest = _affected_quantity(target, request.quantity)
    updated = target.apply(Event.CANCEL_REST if rest else Event.CANCEL, cancelled=target.cancelled + qty)
    record = Order(order_no=order_no, original_no=target.order_no, kind=OrderKind.CANCEL,
                   account=target.account, env=target.env, exchange=target.exchange,
                   symbol=target.symbol, side=target.side, order_type=target.order_type, quantity=qty,
                   price=target.price, created_at=now, tr_id=request.tr_id, branch=branch,
                   manager_order_no=request.manager_order_no, state=OrderState.CONFIRMED)
    return updated, record


def revise(original: Order, request: RevisionRequest, order_no: str, now: datetime,
           branch: str) -> tuple[Order, Order]:
    """(updated original, replacement order carrying the moved quantity at the new price)."""
    target = check_target(original, request)
    if not EXCHANGES[target.exchange].revise_allowed:
        raise BusinessError(Reason.REVISE_NOT_ALLOWED, target.exchange.value)
    if target.order_type in NON_REVISABLE_ORDER_TYPES:
        raise BusinessError(Reason.ORDER_NOT_REVISABLE, target.order_type)
    if request.price == target.price:
        raise BusinessError(Reason.SAME_PRICE, str(request.price))
    qty, rest = _affected_quantity(target, request.quantity)
    updated = target.apply(Event.REVISE_REST if rest else Event.REVISE,
                           revised_away=target.revised_away + qty)
    replacement = Order(order_no=order_no, original_no=target.order_no, kind=OrderKind.REVISE,
                        account=target.account, env=target.env, exchange=target.exchange,
                        symbol=target.symbol, side=target.side, order_type=target.order_type,
                        quantity=qty, price=request.price, created_at=now, tr_id=request.tr_id,
                        branch=branch, manager_order_no=request.manager_order_no)
    return updated, replacement


class FillError(ValueError):
    """A fill the order cannot take (more than is open)."""


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
