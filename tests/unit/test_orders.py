"""The order record and its life cycle: the transition table, the invariant, `apply` and `fill` (PROTOCOL A3, A4).

The rules that accept or refuse a new order are tested in test_place_order.py, those of a revise or
cancel in test_revise_cancel.py.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from localkis.domain.errors import BusinessError, IllegalTransition, Reason
from localkis.domain.orders import (
    TERMINAL_STATES,
    TRANSITIONS,
    Event,
    FillError,
    Order,
    OrderState,
    RevisionRequest,
    check_invariant,
    fill,
    transition,
)
from localkis.protocol.env import Env
from localkis.protocol.exchanges import Exchange
from localkis.protocol.orders import OrderKind, RevisionKind
from tests.unit.builders import ORIGINAL_NO, ZERO, D, cancel_record, order, request

S, E = OrderState, Event

# ------------------------------------------------------------------------------------------------
# The transition table: every (state, event) pair
# ------------------------------------------------------------------------------------------------

# Written out independently of the source table: what each event does from each live state.
EXPECTED_TRANSITIONS: dict[tuple[OrderState, Event], OrderState] = {
    (S.OPEN, E.FILL): S.PARTIALLY_FILLED,
    (S.OPEN, E.FILL_REST): S.FILLED,
    (S.OPEN, E.CANCEL): S.OPEN,
    (S.OPEN, E.CANCEL_REST): S.CANCELLED,
    (S.OPEN, E.REVISE): S.OPEN,
    (S.OPEN, E.REVISE_REST): S.REPLACED,
    (S.PARTIALLY_FILLED, E.FILL): S.PARTIALLY_FILLED,
    (S.PARTIALLY_FILLED, E.FILL_REST): S.FILLED,
    (S.PARTIALLY_FILLED, E.CANCEL): S.PARTIALLY_FILLED,
    (S.PARTIALLY_FILLED, E.CANCEL_REST): S.CANCELLED,
    (S.PARTIALLY_FILLED, E.REVISE): S.PARTIALLY_FILLED,
    (S.PARTIALLY_FILLED, E.REVISE_REST): S.REPLACED,
}
TERMINAL = (S.FILLED, S.CANCELLED, S.REPLACED, S.CONFIRMED)
ALL_PAIRS = list(itertools.product(list(OrderState), list(Event)))


def test_product_covers_every_pair() -> None:
    assert len(ALL_PAIRS) == len(OrderState) * len(Event) == 36


@pytest.mark.parametrize(("state", "event"), ALL_PAIRS, ids=[f"{s.value}-{e.value}" for s, e in ALL_PAIRS])
def test_transition(state: OrderState, event: Event) -> None:
    if (state, event) in EXPECTED_TRANSITIONS:
        assert transition(state, event) is EXPECTED_TRANSITIONS[(state, event)]
    else:
        with pytest.raises(IllegalTransition, match=f"{event.value} is not allowed from {state.value}"):
            transition(state, event)


def test_table_is_exactly_the_expected_one() -> None:
    assert TRANSITIONS == EXPECTED_TRANSITIONS
    assert frozenset(TERMINAL) == TERMINAL_STATES


@pytest.mark.parametrize("state", TERMINAL, ids=[s.value for s in TERMINAL])
def test_terminal_states_accept_no_event(state: OrderState) -> None:
    for event in Event:
        with pytest.raises(IllegalTransition):
            transition(state, event)


# ------------------------------------------------------------------------------------------------
# The record: open quantity, liveness, average price; the invariant checker itself
# ------------------------------------------------------------------------------------------------

def test_a_new_record_is_open_and_live() -> None:
    new = order(quantity=10)
    assert new.kind is OrderKind.NEW and new.state is S.OPEN and new.is_live
    assert new.open_quantity == 10 and (new.filled, new.cancelled, new.revised_away) == (0, 0, 0)
    check_invariant(new)


def test_a_cancel_record_is_never_open_nor_live() -> None:
    record = cancel_record(order(quantity=10), 4)
    assert record.kind is OrderKind.CANCEL and record.state is S.CONFIRMED
    assert record.quantity == 4 and record.open_quantity == 0 and not record.is_live
    check_invariant(record)


def test_check_invariant_catches_broken_records() -> None:
    new = order(quantity=10)
    with pytest.raises(AssertionError):
        check_invariant(new._replace(filled=11))  # open would be negative
    with pytest.raises(AssertionError):
        check_invariant(new._replace(cancelled=-1))
    with pytest.raises(AssertionError):
        check_invariant(new._replace(state=S.FILLED))  # terminal with 10 open
    with pytest.raises(AssertionError):
        check_invariant(new._replace(filled=10, state=S.PARTIALLY_FILLED))  # live with nothing open
    record = cancel_record(new, 3)
    for carrying in (record._replace(cancelled=1), record._replace(filled=1), record._replace(revised_away=1)):
        with pytest.raises(AssertionError):
            check_invariant(carrying)  # a cancel record carries no quantities


# ------------------------------------------------------------------------------------------------
# apply: one event, a new record, the invariant checked
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("event", "changes", "state", "open_after"), [
    (E.CANCEL, {"cancelled": 3}, S.OPEN, 7),
    (E.CANCEL_REST, {"cancelled": 10}, S.CANCELLED, 0),
    (E.REVISE, {"revised_away": 4}, S.OPEN, 6),
    (E.REVISE_REST, {"revised_away": 10}, S.REPLACED, 0),
    (E.FILL, {"filled": 2, "filled_amount": D("200")}, S.PARTIALLY_FILLED, 8),
    (E.FILL_REST, {"filled": 10, "filled_amount": D("1000")}, S.FILLED, 0),
])
def test_apply_moves_the_state_and_the_quantities(event: Event, changes: dict[str, Any], state: OrderState,
                                                  open_after: int) -> None:
    before = order(quantity=10)
    after = before.apply(event, **changes)
    assert after.state is state and after.open_quantity == open_after
    for field, value in changes.items():
        assert getattr(after, field) == value
    # Everything but the state and the quantities is copied; the record passed in is untouched.
    assert after[:after._fields.index("state")] == before[:before._fields.index("state")]
    assert before.state is S.OPEN and before.open_quantity == 10


def test_apply_refuses_events_from_terminal_states() -> None:
    filled = fill(order(quantity=5), 5, D("100"))
    assert filled.state is S.FILLED
    with pytest.raises(IllegalTransition):
        filled.apply(E.CANCEL_REST, cancelled=0)


@pytest.mark.parametrize(("event", "changes"), [
    (E.CANCEL, {"cancelled": 10}),  # all of it gone, yet the event says some is left
    (E.CANCEL_REST, {"cancelled": 3}),  # some left, yet the event says all of it went
    (E.REVISE, {"revised_away": 11}),  # more than ordered
    (E.FILL, {"filled": -1}),
])
def test_apply_checks_the_invariant(event: Event, changes: dict[str, Any]) -> None:
    with pytest.raises(AssertionError):
        order(quantity=10).apply(event, **changes)


# ------------------------------------------------------------------------------------------------
# fill
# ------------------------------------------------------------------------------------------------

def test_fill_partial_then_rest_tracks_amount_and_average() -> None:
    new = order(quantity=10, price=D("100.00"))
    partly = fill(new, 4, D("99.50"))
    assert partly.state is S.PARTIALLY_FILLED and partly.filled == 4 and partly.open_quantity == 6
    assert partly.filled_amount == D("398.00")
    done = fill(partly, 6, D("100.00"))
    assert done.state is S.FILLED and done.open_quantity == 0 and not done.is_live
    assert done.filled_amount == D("998.00") and done.average_fill_price == D("99.8")
    assert done.price == D("100.00")  # the limit is never changed by a fill


def test_average_fill_price_of_unfilled_order_is_zero() -> None:
    assert order().average_fill_price == 0


@pytest.mark.parametrize("quantity", [0, -1, 11])
def test_fill_outside_open_quantity_is_a_fill_error(quantity: int) -> None:
    with pytest.raises(FillError):
        fill(order(quantity=10), quantity, D("100"))


def test_fill_of_more_than_is_left_after_a_partial_fill_is_a_fill_error() -> None:
    partly = fill(order(quantity=10), 7, D("100"))
    with pytest.raises(FillError):
        fill(partly, 4, D("100"))


@pytest.mark.parametrize("price", [D("0"), D("-1")])
def test_fill_needs_positive_price(price: D) -> None:
    with pytest.raises(FillError):
        fill(order(), 1, price)


def _closed_records() -> dict[str, Order]:
    new = order(quantity=3)
    return {
        "filled": fill(new, 3, D("100")),
        "cancelled": new.apply(E.CANCEL_REST, cancelled=3),
        "replaced": new.apply(E.REVISE_REST, revised_away=3),
        "filled-then-cancelled": fill(new, 1, D("100")).apply(E.CANCEL_REST, cancelled=2),
        "cancel record": cancel_record(new, 3),
    }


@pytest.mark.parametrize("name", list(_closed_records()))
def test_fill_of_a_closed_order_or_cancel_record_has_nothing_left(name: str) -> None:
    closed = _closed_records()[name]
    with pytest.raises(BusinessError) as exc:
        fill(closed, 1, D("100"))
    assert exc.value.reason is Reason.NOTHING_LEFT and exc.value.detail == closed.order_no


# ------------------------------------------------------------------------------------------------
# The revise/cancel command record
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("sent", "key"), [("1", ORIGINAL_NO), ("0000000001", ORIGINAL_NO), ("123", "0000000123")])
def test_revision_request_keys_the_original_by_its_ten_digit_number(sent: str, key: str) -> None:
    sent_request: RevisionRequest = request(order(Exchange.SEHK, Env.MOCK), RevisionKind.CANCEL, 0, ZERO,
                                            original_no=sent)
    assert sent_request.original_key == key
