"""해외주식 정정취소주문 (order-rvsecncl): every rule of a revise or cancel, as one pure decision.

Checked in this order (the first failure is the answer): the instrument; for a revise, a market that
allows revisions and a price on the tick grid; the session; the original order (same account,
environment, market family and symbol, not a cancel record) and something open on it; a partial
quantity in whole lots; for a revise, an order type that can be revised, a new price, and buying power
for a buy moved to a higher price.

Quantities (PROTOCOL A3): 0, or at least what is open, acts on all that is open; 1…open−1 on that
many. A cancel moves the quantity to `cancelled` and writes a cancel record; a revise moves it to a
new order at the new price (its `original_no` is the order acted on). The original is never re-priced.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple

from localkis.domain import markets
from localkis.domain.accounts import Funds, check_buying_power
from localkis.domain.errors import BusinessError, Reason
from localkis.domain.hours import SessionState, check_open
from localkis.domain.instruments import Instrument
from localkis.domain.orders import Event, Order, OrderState, RevisionRequest
from localkis.protocol.exchanges import EXCHANGES
from localkis.protocol.orders import NON_REVISABLE_TYPES, OrderKind, RevisionKind, Side
from localkis.protocol.trids import DAYTIME_TR_IDS


class Revision(NamedTuple):
    """The decision: the original after the action, and the new record (the revision or the cancel)."""

    original: Order
    record: Order


def decide(request: RevisionRequest, instrument: Instrument | None, session: SessionState | None, on: date,
           original: Order | None, funds: Funds | None, *, order_no: str, now: datetime,
           branch: str) -> Revision:
    """`instrument` is the request's symbol in its market (None: unknown); `session` None: hours are not
    enforced; `on` the exchange-local date; `funds` the account's funds in the market's currency (needed
    by a revise of a buy to a higher price)."""
    revise = request.kind is RevisionKind.REVISE
    if instrument is None:
        raise BusinessError(Reason.UNKNOWN_SYMBOL, f"{request.exchange.value} {request.symbol}")
    if revise:
        if not EXCHANGES[request.exchange].revise_allowed:
            raise BusinessError(Reason.REVISE_NOT_ALLOWED, request.exchange.value)
        markets.check_price(instrument.exchange, request.price, topix500=instrument.topix500, on=on)
    if session is not None:
        check_open(request.exchange, session, request.env, now)
    target = find_target(original, request)
    if target.tr_id in DAYTIME_TR_IDS and request.tr_id not in DAYTIME_TR_IDS:
        # A daytime order is revised only through daytime-order-rvsecncl; python-kis falls back there on this.
        raise BusinessError(Reason.DAYTIME_ONLY, target.order_no)
    quantity, partial = moved(target, request)
    if partial:
        markets.check_quantity(instrument.exchange, target.side is Side.BUY, request.quantity, instrument.board_lot)
    if revise:
        if target.order_type in NON_REVISABLE_TYPES:
            raise BusinessError(Reason.ORDER_NOT_REVISABLE, target.order_type)
        if request.price == target.price:
            raise BusinessError(Reason.SAME_PRICE, str(request.price))
        if target.side is Side.BUY and request.price > target.price:
            assert funds is not None, "a buy revised to a higher price needs the account's funds"
            check_buying_power(funds.available, (request.price - target.price) * quantity)
    return act(target, request, order_no=order_no, now=now, branch=branch)


def act(target: Order, request: RevisionRequest, *, order_no: str, now: datetime, branch: str) -> Revision:
    """The quantities an accepted revise/cancel moves (A3): to `cancelled` and a cancel record, or to a new
    order at the new price."""
    quantity, partial = moved(target, request)
    if request.kind is RevisionKind.CANCEL:
        updated = target.apply(Event.CANCEL if partial else Event.CANCEL_REST, cancelled=target.cancelled + quantity)
        return Revision(updated, _record(target, request, OrderKind.CANCEL, quantity, target.price, order_no, now,
                                         branch))
    updated = target.apply(Event.REVISE if partial else Event.REVISE_REST, revised_away=target.revised_away + quantity)
    return Revision(updated, _record(target, request, OrderKind.REVISE, quantity, request.price, order_no, now,
                                     branch))


def moved(target: Order, request: RevisionRequest) -> tuple[int, bool]:
    """(quantity acted on, whether it is only part of what is open): 0 or ≥ open means all."""
    partial = 0 < request.quantity < target.open_quantity
    return (request.quantity if partial else target.open_quantity), partial


def find_target(original: Order | None, request: RevisionRequest) -> Order:
    """The order a revise/cancel acts on, or ORIGINAL_NOT_FOUND / NOTHING_LEFT."""
    if (original is None or original.kind is OrderKind.CANCEL or original.account != request.account
            or original.env is not request.env or original.symbol != request.symbol
            or EXCHANGES[original.exchange].market is not EXCHANGES[request.exchange].market):
        raise BusinessError(Reason.ORIGINAL_NOT_FOUND, request.original_no)
    if original.open_quantity == 0:
        raise BusinessError(Reason.NOTHING_LEFT, original.order_no)
    return original


def _record(target: Order, request: RevisionRequest, kind: OrderKind, quantity: int, price: Decimal,
            order_no: str, now: datetime, branch: str) -> Order:
    return Order(order_no=order_no, original_no=target.order_no, kind=kind, account=target.account, env=target.env,
                 exchange=target.exchange, symbol=target.symbol, side=target.side, order_type=target.order_type,
                 quantity=quantity, price=price, created_at=now, tr_id=request.tr_id, branch=branch,
                 manager_order_no=request.manager_order_no,
                 state=OrderState.CONFIRMED if kind is OrderKind.CANCEL else OrderState.OPEN)
