"""Order life cycle (transition table) and the revise/cancel/fill rules (PROTOCOL A3, A4)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from localkis.domain.errors import BusinessError, IllegalTransition, Reason
from localkis.domain.orders import (
    TRANSITIONS,
    Event,
    FillError,
    NewOrder,
    Order,
    OrderKind,
    OrderState,
    RevisionKind,
    RevisionRequest,
    cancel,
    check_invariant,
    check_target,
    fill,
    place,
    revise,
    transition,
)
from localkis.protocol.env import Env
from localkis.protocol.exchanges import EXCHANGES, Exchange
from localkis.protocol.trids import Side, tr_for_order, tr_for_revise_cancel

D = Decimal
ZERO = D("0")
S, E = OrderState, Event
T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
T1 = T0 + timedelta(minutes=5)
ACCOUNT = "12345678-01"
BRANCH = "01790"
ORIGINAL_NO = "0000000001"
NEW_NO = "0000000002"

REVISABLE = frozenset({Exchange.NASD, Exchange.NYSE, Exchange.AMEX, Exchange.SEHK, Exchange.TKSE})
CANCEL_ONLY = frozenset({Exchange.SHAA, Exchange.SZAA, Exchange.HASE, Exchange.VNSE})

SYMBOL = {
    Exchange.NASD: "AAPL", Exchange.NYSE: "KO", Exchange.AMEX: "SPY", Exchange.SEHK: "00700",
    Exchange.SHAA: "600519", Exchange.SZAA: "000001", Exchange.TKSE: "7203", Exchange.HASE: "SHB",
    Exchange.VNSE: "VNM",
}
# (price of the order, a different price on that exchange's tick grid)
PRICES = {
    Exchange.NASD: (D("100.00"), D("101.25")), Exchange.NYSE: (D("60.10"), D("59.90")),
    Exchange.AMEX: (D("500.00"), D("499.99")), Exchange.SEHK: (D("300.0"), D("300.2")),
    Exchange.SHAA: (D("1700.00"), D("1699.99")), Exchange.SZAA: (D("11.50"), D("11.49")),
    Exchange.TKSE: (D("2500"), D("2505")), Exchange.HASE: (D("10000"), D("10100")),
    Exchange.VNSE: (D("60000"), D("60100")),
}

EXCHANGE_ENV = list(itertools.product(list(Exchange), list(Env)))
EXCHANGE_ENV_IDS = [f"{x.value}-{e.value}" for x, e in EXCHANGE_ENV]


def make_order(exchange: Exchange = Exchange.NASD, env: Env = Env.REAL, *, quantity: int = 10,
               price: D | None = None, order_type: str = "00", side: Side = Side.BUY,
               order_no: str = ORIGINAL_NO, account: str = ACCOUNT) -> Order:
    command = NewOrder(account=account, env=env, exchange=exchange, symbol=SYMBOL[exchange], side=side,
                       order_type=order_type, quantity=quantity,
                       price=PRICES[exchange][0] if price is None else price,
                       tr_id=tr_for_order(EXCHANGES[exchange].market, side, env))
    return place(command, order_no, T0, BRANCH)


def make_request(order: Order, kind: RevisionKind, quantity: int = 0, price: D = ZERO,
                 **override: object) -> RevisionRequest:
    fields: dict[str, object] = dict(
        kind=kind, account=order.account, env=order.env, exchange=order.exchange, symbol=order.symbol,
        original_no=order.order_no, quantity=quantity, price=price,
        tr_id=tr_for_revise_cancel(EXCHANGES[order.exchange].market, order.env))
    fields.update(override)
    return RevisionRequest(**fields)  # type: ignore[arg-type]


def reason_of(exc: pytest.ExceptionInfo[BusinessError]) -> Reason:
    return exc.value.reason


# ------------------------------------------------------------------------------------------------
# 1. The transition table: every (state, event) pair
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


@pytest.mark.parametrize("state", TERMINAL, ids=[s.value for s in TERMINAL])
def test_terminal_states_accept_no_event(state: OrderState) -> None:
    for event in Event:
        with pytest.raises(IllegalTransition):
            transition(state, event)


# ------------------------------------------------------------------------------------------------
# Order record basics, place, the invariant checker itself
# ------------------------------------------------------------------------------------------------

def test_place_builds_an_open_new_order() -> None:
    order = make_order(Exchange.SEHK, Env.MOCK, quantity=200, side=Side.SELL)
    assert order.kind is OrderKind.NEW and order.state is S.OPEN
    assert order.original_no == "" and order.order_no == ORIGINAL_NO
    assert order.open_quantity == 200 and order.is_live
    assert (order.filled, order.cancelled, order.revised_away) == (0, 0, 0)
    assert order.price == D("300.0") and order.created_at == T0 and order.branch == BRANCH
    assert order.tr_id == "VTTS1001U" and order.side is Side.SELL
    check_invariant(order)


@pytest.mark.parametrize("quantity", [0, -1, -100])
def test_place_rejects_non_positive_quantity(quantity: int) -> None:
    with pytest.raises(BusinessError) as exc:
        make_order(quantity=quantity)
    assert reason_of(exc) is Reason.BAD_QUANTITY


def test_check_invariant_catches_broken_records() -> None:
    order = make_order(quantity=10)
    with pytest.raises(AssertionError):
        check_invariant(order._replace(filled=11))  # open would be negative
    with pytest.raises(AssertionError):
        check_invariant(order._replace(cancelled=-1))
    with pytest.raises(AssertionError):
        check_invariant(order._replace(state=S.FILLED))  # terminal with 10 open
    with pytest.raises(AssertionError):
        check_invariant(order._replace(filled=10, state=S.PARTIALLY_FILLED))  # live with nothing open
    _, record = cancel(order, make_request(order, RevisionKind.CANCEL), NEW_NO, T1, BRANCH)
    check_invariant(record)
    with pytest.raises(AssertionError):
        check_invariant(record._replace(cancelled=1))  # a cancel record carries no quantities


def test_apply_refuses_events_from_terminal_states() -> None:
    order = fill(make_order(quantity=5), 5, D("100"))
    assert order.state is S.FILLED
    with pytest.raises(IllegalTransition):
        order.apply(E.CANCEL_REST, cancelled=0)


# ------------------------------------------------------------------------------------------------
# fill
# ------------------------------------------------------------------------------------------------

def test_fill_partial_then_rest_tracks_amount_and_average() -> None:
    order = make_order(quantity=10, price=D("100.00"))
    order = fill(order, 4, D("99.50"))
    assert order.state is S.PARTIALLY_FILLED and order.filled == 4 and order.open_quantity == 6
    assert order.filled_amount == D("398.00")
    order = fill(order, 6, D("100.00"))
    assert order.state is S.FILLED and order.open_quantity == 0 and not order.is_live
    assert order.filled_amount == D("998.00") and order.average_fill_price == D("99.8")
    assert order.price == D("100.00")


def test_average_fill_price_of_unfilled_order_is_zero() -> None:
    assert make_order().average_fill_price == 0


@pytest.mark.parametrize("quantity", [0, -1, 11])
def test_fill_outside_open_quantity_is_a_fill_error(quantity: int) -> None:
    order = make_order(quantity=10)
    with pytest.raises(FillError):
        fill(order, quantity, D("100"))


@pytest.mark.parametrize("price", [D("0"), D("-1")])
def test_fill_needs_positive_price(price: D) -> None:
    with pytest.raises(FillError):
        fill(make_order(), 1, price)


def test_fill_of_a_closed_order_or_cancel_record_has_nothing_left() -> None:
    order = make_order(quantity=3)
    updated, record = cancel(order, make_request(order, RevisionKind.CANCEL), NEW_NO, T1, BRANCH)
    for closed in (updated, record, fill(order, 3, D("100"))):
        with pytest.raises(BusinessError) as exc:
            fill(closed, 1, D("100"))
        assert reason_of(exc) is Reason.NOTHING_LEFT


# ------------------------------------------------------------------------------------------------
# 2. cancel, per exchange and environment
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("exchange", "env"), EXCHANGE_ENV, ids=EXCHANGE_ENV_IDS)
@pytest.mark.parametrize("requested", [0, 10, 11, 1000, -1])
def test_cancel_all(exchange: Exchange, env: Env, requested: int) -> None:
    order = make_order(exchange, env, quantity=10)
    # Clients send the original price or "0" on a cancel; either way it is ignored (A3).
    request = make_request(order, RevisionKind.CANCEL, requested, PRICES[exchange][1])
    updated, record = cancel(order, request, NEW_NO, T1, BRANCH)
    assert updated.order_no == ORIGINAL_NO and updated.state is S.CANCELLED
    assert (updated.cancelled, updated.open_quantity, updated.filled, updated.revised_away) == (10, 0, 0, 0)
    assert updated.price == order.price and not updated.is_live
    assert record.kind is OrderKind.CANCEL and record.state is S.CONFIRMED
    assert record.order_no == NEW_NO and record.original_no == ORIGINAL_NO
    assert record.quantity == 10 and record.open_quantity == 0 and not record.is_live
    assert record.price == order.price  # the cancel record never carries a new price
    assert (record.account, record.env, record.exchange, record.symbol, record.side) == (
        order.account, env, exchange, order.symbol, order.side)
    assert record.created_at == T1 and record.tr_id == request.tr_id and record.branch == BRANCH
    check_invariant(updated)
    check_invariant(record)
    # The original record passed in is untouched (frozen, pure function).
    assert order.state is S.OPEN and order.cancelled == 0


@pytest.mark.parametrize(("exchange", "env"), EXCHANGE_ENV, ids=EXCHANGE_ENV_IDS)
def test_cancel_partial(exchange: Exchange, env: Env) -> None:
    order = make_order(exchange, env, quantity=10)
    updated, record = cancel(order, make_request(order, RevisionKind.CANCEL, 3), NEW_NO, T1, BRANCH)
    assert updated.state is S.OPEN and updated.cancelled == 3 and updated.open_quantity == 7
    assert record.quantity == 3 and record.original_no == ORIGINAL_NO and record.order_no == NEW_NO
    # The remainder can be cancelled again; the largest partial is open - 1.
    updated2, record2 = cancel(updated, make_request(updated, RevisionKind.CANCEL, 6), "0000000003", T1, BRANCH)
    assert updated2.state is S.OPEN and updated2.cancelled == 9 and updated2.open_quantity == 1
    assert record2.quantity == 6
    updated3, record3 = cancel(updated2, make_request(updated2, RevisionKind.CANCEL, 0), "0000000004", T1, BRANCH)
    assert updated3.state is S.CANCELLED and updated3.cancelled == 10 and record3.quantity == 1


@pytest.mark.parametrize(("exchange", "env"), EXCHANGE_ENV, ids=EXCHANGE_ENV_IDS)
@pytest.mark.parametrize(("requested", "cancelled", "state"), [
    (2, 2, S.PARTIALLY_FILLED), (0, 6, S.CANCELLED), (6, 6, S.CANCELLED), (10, 6, S.CANCELLED)])
def test_cancel_after_partial_fill(exchange: Exchange, env: Env, requested: int, cancelled: int,
                                   state: OrderState) -> None:
    order = fill(make_order(exchange, env, quantity=10), 4, PRICES[exchange][0])
    updated, record = cancel(order, make_request(order, RevisionKind.CANCEL, requested), NEW_NO, T1, BRANCH)
    assert updated.state is state and updated.filled == 4 and updated.cancelled == cancelled
    assert updated.open_quantity == 6 - cancelled and record.quantity == cancelled


@pytest.mark.parametrize(("exchange", "env"), EXCHANGE_ENV, ids=EXCHANGE_ENV_IDS)
@pytest.mark.parametrize("order_type", ["35", "36"])
def test_twap_vwap_can_be_cancelled(exchange: Exchange, env: Env, order_type: str) -> None:
    order = make_order(exchange, env, order_type=order_type)
    updated, _ = cancel(order, make_request(order, RevisionKind.CANCEL), NEW_NO, T1, BRANCH)
    assert updated.state is S.CANCELLED


# ------------------------------------------------------------------------------------------------
# 2. revise, per exchange and environment
# ------------------------------------------------------------------------------------------------

REVISABLE_ENV = [(x, e) for x, e in EXCHANGE_ENV if x in REVISABLE]
REVISABLE_ENV_IDS = [f"{x.value}-{e.value}" for x, e in REVISABLE_ENV]
CANCEL_ONLY_ENV = [(x, e) for x, e in EXCHANGE_ENV if x in CANCEL_ONLY]
CANCEL_ONLY_ENV_IDS = [f"{x.value}-{e.value}" for x, e in CANCEL_ONLY_ENV]


def test_revisable_sets_match_exchange_table() -> None:
    assert {x for x, info in EXCHANGES.items() if info.revise_allowed} == REVISABLE
    assert set(Exchange) == REVISABLE | CANCEL_ONLY


def _check_replacement(order: Order, replacement: Order, moved: int, new_price: D, request: RevisionRequest) -> None:
    assert replacement.kind is OrderKind.REVISE and replacement.state is S.OPEN and replacement.is_live
    assert replacement.order_no == NEW_NO and replacement.original_no == order.order_no
    assert replacement.quantity == moved and replacement.open_quantity == moved and replacement.filled == 0
    assert replacement.price == new_price and replacement.created_at == T1
    assert (replacement.account, replacement.env, replacement.exchange, replacement.symbol, replacement.side,
            replacement.order_type) == (order.account, order.env, order.exchange, order.symbol, order.side,
                                        order.order_type)
    assert replacement.tr_id == request.tr_id and replacement.branch == BRANCH
    check_invariant(replacement)


@pytest.mark.parametrize(("exchange", "env"), REVISABLE_ENV, ids=REVISABLE_ENV_IDS)
@pytest.mark.parametrize("requested", [0, 10, 11, 1000, -1])
def test_revise_all(exchange: Exchange, env: Env, requested: int) -> None:
    order = make_order(exchange, env, quantity=10)
    new_price = PRICES[exchange][1]
    request = make_request(order, RevisionKind.REVISE, requested, new_price)
    updated, replacement = revise(order, request, NEW_NO, T1, BRANCH)
    assert updated.state is S.REPLACED and updated.revised_away == 10 and updated.open_quantity == 0
    assert not updated.is_live
    assert updated.price == order.price  # the original is never re-priced
    _check_replacement(order, replacement, 10, new_price, request)
    check_invariant(updated)
    # A3: the original then has nothing left to revise or cancel.
    for kind, price in ((RevisionKind.CANCEL, D("0")), (RevisionKind.REVISE, PRICES[exchange][0] + 1)):
        with pytest.raises(BusinessError) as exc:
            (cancel if kind is RevisionKind.CANCEL else revise)(
                updated, make_request(updated, kind, 0, price), "0000000003", T1, BRANCH)
        assert reason_of(exc) is Reason.NOTHING_LEFT


@pytest.mark.parametrize(("exchange", "env"), REVISABLE_ENV, ids=REVISABLE_ENV_IDS)
def test_revise_partial(exchange: Exchange, env: Env) -> None:
    order = make_order(exchange, env, quantity=10)
    new_price = PRICES[exchange][1]
    request = make_request(order, RevisionKind.REVISE, 4, new_price)
    updated, replacement = revise(order, request, NEW_NO, T1, BRANCH)
    assert updated.state is S.OPEN and updated.revised_away == 4 and updated.open_quantity == 6
    assert updated.price == order.price  # the rest stays at the old price on the original
    _check_replacement(order, replacement, 4, new_price, request)


@pytest.mark.parametrize(("exchange", "env"), REVISABLE_ENV, ids=REVISABLE_ENV_IDS)
@pytest.mark.parametrize(("requested", "moved", "state"), [
    (2, 2, S.PARTIALLY_FILLED), (0, 7, S.REPLACED), (7, 7, S.REPLACED), (10, 7, S.REPLACED)])
def test_revise_after_partial_fill(exchange: Exchange, env: Env, requested: int, moved: int,
                                   state: OrderState) -> None:
    order = fill(make_order(exchange, env, quantity=10), 3, PRICES[exchange][0])
    updated, replacement = revise(order, make_request(order, RevisionKind.REVISE, requested, PRICES[exchange][1]),
                                  NEW_NO, T1, BRANCH)
    assert updated.state is state and updated.filled == 3 and updated.revised_away == moved
    assert replacement.quantity == moved and replacement.filled == 0


@pytest.mark.parametrize(("exchange", "env"), REVISABLE_ENV, ids=REVISABLE_ENV_IDS)
def test_replacement_can_itself_be_revised_and_cancelled(exchange: Exchange, env: Env) -> None:
    order = make_order(exchange, env, quantity=10)
    old, new = PRICES[exchange]
    _, replacement = revise(order, make_request(order, RevisionKind.REVISE, 0, new), NEW_NO, T1, BRANCH)
    # Back to the first price is a different price from the replacement's: allowed.
    updated, second = revise(replacement, make_request(replacement, RevisionKind.REVISE, 5, old),
                             "0000000003", T1, BRANCH)
    assert second.original_no == NEW_NO and second.price == old and second.quantity == 5
    assert updated.price == new and updated.open_quantity == 5
    _, record = cancel(updated, make_request(updated, RevisionKind.CANCEL), "0000000004", T1, BRANCH)
    assert record.original_no == NEW_NO and record.quantity == 5


@pytest.mark.parametrize(("exchange", "env"), CANCEL_ONLY_ENV, ids=CANCEL_ONLY_ENV_IDS)
@pytest.mark.parametrize("requested", [0, 4, 10])
def test_revise_in_cancel_only_market(exchange: Exchange, env: Env, requested: int) -> None:
    order = make_order(exchange, env, quantity=10)
    with pytest.raises(BusinessError) as exc:
        revise(order, make_request(order, RevisionKind.REVISE, requested, PRICES[exchange][1]), NEW_NO, T1, BRANCH)
    assert reason_of(exc) is Reason.REVISE_NOT_ALLOWED
    assert exc.value.detail == exchange.value


@pytest.mark.parametrize(("exchange", "env"), REVISABLE_ENV, ids=REVISABLE_ENV_IDS)
@pytest.mark.parametrize("same", ["as-is", "trailing-zeros"])
def test_revise_to_the_same_price(exchange: Exchange, env: Env, same: str) -> None:
    order = make_order(exchange, env)
    price = order.price if same == "as-is" else D(f"{order.price:.4f}")  # "100.0000" == "100.00"
    with pytest.raises(BusinessError) as exc:
        revise(order, make_request(order, RevisionKind.REVISE, 0, price), NEW_NO, T1, BRANCH)
    assert reason_of(exc) is Reason.SAME_PRICE


@pytest.mark.parametrize(("exchange", "env"), REVISABLE_ENV, ids=REVISABLE_ENV_IDS)
@pytest.mark.parametrize("order_type", ["35", "36"])
def test_twap_vwap_cannot_be_revised(exchange: Exchange, env: Env, order_type: str) -> None:
    order = make_order(exchange, env, order_type=order_type)
    with pytest.raises(BusinessError) as exc:
        revise(order, make_request(order, RevisionKind.REVISE, 0, PRICES[exchange][1]), NEW_NO, T1, BRANCH)
    assert reason_of(exc) is Reason.ORDER_NOT_REVISABLE
    assert exc.value.detail == order_type


@pytest.mark.parametrize("order_type", ["00", "32", "34"])
def test_other_order_types_can_be_revised(order_type: str) -> None:
    order = make_order(order_type=order_type)
    updated, _ = revise(order, make_request(order, RevisionKind.REVISE, 0, D("101")), NEW_NO, T1, BRANCH)
    assert updated.state is S.REPLACED


# ------------------------------------------------------------------------------------------------
# 2. the target: wrong account/symbol/env/market family, a cancel record, None, nothing open
# ------------------------------------------------------------------------------------------------

OTHER_FAMILY = {
    Exchange.NASD: Exchange.SEHK, Exchange.NYSE: Exchange.TKSE, Exchange.AMEX: Exchange.SHAA,
    Exchange.SEHK: Exchange.NASD, Exchange.SHAA: Exchange.SZAA, Exchange.SZAA: Exchange.SHAA,
    Exchange.TKSE: Exchange.SEHK, Exchange.HASE: Exchange.TKSE, Exchange.VNSE: Exchange.NYSE,
}
SAME_FAMILY = {
    Exchange.NASD: Exchange.NYSE, Exchange.NYSE: Exchange.AMEX, Exchange.AMEX: Exchange.NASD,
    Exchange.HASE: Exchange.VNSE, Exchange.VNSE: Exchange.HASE,
}


def _act(kind: RevisionKind, order: Order | None, request: RevisionRequest) -> tuple[Order, Order]:
    fn = cancel if kind is RevisionKind.CANCEL else revise
    return fn(order, request, NEW_NO, T1, BRANCH)  # type: ignore[arg-type]


def _kind_price(kind: RevisionKind, exchange: Exchange) -> D:
    return D("0") if kind is RevisionKind.CANCEL else PRICES[exchange][1]


KINDS = [RevisionKind.CANCEL, RevisionKind.REVISE]


@pytest.mark.parametrize(("exchange", "env"), EXCHANGE_ENV, ids=EXCHANGE_ENV_IDS)
@pytest.mark.parametrize("kind", KINDS, ids=["cancel", "revise"])
@pytest.mark.parametrize("mismatch", ["account", "symbol", "env", "family"])
def test_mismatched_target_is_not_found(exchange: Exchange, env: Env, kind: RevisionKind, mismatch: str) -> None:
    order = make_order(exchange, env)
    override: dict[str, object] = {
        "account": {"account": "87654321-01"},
        "symbol": {"symbol": SYMBOL[exchange] + "X"},
        "env": {"env": Env.MOCK if env is Env.REAL else Env.REAL},
        "family": {"exchange": OTHER_FAMILY[exchange]},
    }[mismatch]
    request = make_request(order, kind, 0, _kind_price(kind, exchange), **override)
    with pytest.raises(BusinessError) as exc:
        _act(kind, order, request)
    assert reason_of(exc) is Reason.ORIGINAL_NOT_FOUND
    assert exc.value.detail == ORIGINAL_NO


@pytest.mark.parametrize(("exchange", "env"), EXCHANGE_ENV, ids=EXCHANGE_ENV_IDS)
@pytest.mark.parametrize("kind", KINDS, ids=["cancel", "revise"])
def test_missing_target_or_cancel_record_is_not_found(exchange: Exchange, env: Env, kind: RevisionKind) -> None:
    order = make_order(exchange, env)
    _, record = cancel(order, make_request(order, RevisionKind.CANCEL, 3), NEW_NO, T1, BRANCH)
    for target in (None, record):
        request = make_request(record, kind, 0, _kind_price(kind, exchange))
        with pytest.raises(BusinessError) as exc:
            _act(kind, target, request)
        assert reason_of(exc) is Reason.ORIGINAL_NOT_FOUND
        assert exc.value.detail == NEW_NO


@pytest.mark.parametrize("exchange", sorted(SAME_FAMILY), ids=[x.value for x in sorted(SAME_FAMILY)])
def test_other_exchange_of_the_same_family_finds_the_order(exchange: Exchange) -> None:
    order = make_order(exchange)
    request = make_request(order, RevisionKind.CANCEL, 0, D("0"), exchange=SAME_FAMILY[exchange])
    updated, record = cancel(order, request, NEW_NO, T1, BRANCH)
    assert updated.state is S.CANCELLED and record.exchange is exchange  # the order's own exchange


def _closed_orders(exchange: Exchange, env: Env) -> dict[str, Order]:
    base = make_order(exchange, env, quantity=10)
    old, new = PRICES[exchange]
    cancelled, _ = cancel(base, make_request(base, RevisionKind.CANCEL), NEW_NO, T1, BRANCH)
    closed = {
        "filled": fill(base, 10, old),
        "cancelled": cancelled,
        "filled-then-cancelled": cancel(fill(base, 4, old), make_request(base, RevisionKind.CANCEL), NEW_NO, T1,
                                        BRANCH)[0],
    }
    if exchange in REVISABLE:
        closed["replaced"] = revise(base, make_request(base, RevisionKind.REVISE, 0, new), NEW_NO, T1, BRANCH)[0]
    return closed


@pytest.mark.parametrize(("exchange", "env"), EXCHANGE_ENV, ids=EXCHANGE_ENV_IDS)
@pytest.mark.parametrize("kind", KINDS, ids=["cancel", "revise"])
def test_nothing_left(exchange: Exchange, env: Env, kind: RevisionKind) -> None:
    for name, closed in _closed_orders(exchange, env).items():
        assert closed.open_quantity == 0, name
        with pytest.raises(BusinessError) as exc:
            _act(kind, closed, make_request(closed, kind, 0, _kind_price(kind, exchange)))
        assert reason_of(exc) is Reason.NOTHING_LEFT, name
        assert exc.value.detail == ORIGINAL_NO


def test_check_target_returns_the_order() -> None:
    order = make_order()
    assert check_target(order, make_request(order, RevisionKind.CANCEL)) is order


def test_target_checks_come_before_market_checks() -> None:
    # A wrong account on a cancel-only market is "not found", not "revise not allowed".
    order = make_order(Exchange.SHAA)
    request = make_request(order, RevisionKind.REVISE, 0, D("1"), account="00000000-01")
    with pytest.raises(BusinessError) as exc:
        revise(order, request, NEW_NO, T1, BRANCH)
    assert reason_of(exc) is Reason.ORIGINAL_NOT_FOUND


# ------------------------------------------------------------------------------------------------
# 3. Random sequences of place/fill/revise/cancel on a small book (A3, A4 invariants)
# ------------------------------------------------------------------------------------------------

BOOK_EXCHANGES = [Exchange.NASD, Exchange.SEHK, Exchange.TKSE, Exchange.SHAA, Exchange.VNSE]
ACCOUNTS = ["11111111-01", "22222222-01"]


@settings(max_examples=200, deadline=None)
class OrderBook(RuleBasedStateMachine):
    """A model of a small book: every outcome (success or exact business error) is predicted first."""

    def __init__(self) -> None:
        super().__init__()
        self.book: dict[str, Order] = {}
        self.root_of: dict[str, str] = {}  # order number -> order number of its chain's NEW order
        self.first_price: dict[str, D] = {}
        self.counter = 0
        self.clock = T0

    def _next_no(self) -> str:
        self.counter += 1
        number = f"{self.counter:010d}"
        assert number not in self.book
        return number

    def _tick(self) -> datetime:
        self.clock += timedelta(seconds=1)
        return self.clock

    def _store(self, order: Order, root: str) -> None:
        self.book[order.order_no] = order
        self.root_of[order.order_no] = root
        self.first_price.setdefault(order.order_no, order.price)

    @rule(exchange=st.sampled_from(BOOK_EXCHANGES), env=st.sampled_from(list(Env)),
          account=st.sampled_from(ACCOUNTS), quantity=st.integers(-1, 30),
          order_type=st.sampled_from(["00", "00", "00", "35"]), side=st.sampled_from(list(Side)))
    def place(self, exchange: Exchange, env: Env, account: str, quantity: int, order_type: str,
              side: Side) -> None:
        number = self._next_no()
        if quantity <= 0:
            with pytest.raises(BusinessError) as exc:
                make_order(exchange, env, quantity=quantity, order_no=number, account=account)
            assert exc.value.reason is Reason.BAD_QUANTITY
            return
        order = make_order(exchange, env, quantity=quantity, order_type=order_type, side=side, order_no=number,
                           account=account)
        self._store(order, number)

    @precondition(lambda self: bool(self.book))
    @rule(data=st.data(), quantity=st.integers(-1, 35), price_step=st.integers(0, 3))
    def fill(self, data: st.DataObject, quantity: int, price_step: int) -> None:
        target = self.book[data.draw(st.sampled_from(sorted(self.book)), label="target")]
        price = target.price + price_step
        if target.kind is OrderKind.CANCEL or target.open_quantity == 0:
            with pytest.raises(BusinessError) as exc:
                fill(target, quantity, price)
            assert exc.value.reason is Reason.NOTHING_LEFT
        elif quantity <= 0 or quantity > target.open_quantity:
            with pytest.raises(FillError):
                fill(target, quantity, price)
        else:
            updated = fill(target, quantity, price)
            assert updated.filled == target.filled + quantity
            assert updated.filled_amount == target.filled_amount + price * quantity
            assert updated.state is (S.FILLED if quantity == target.open_quantity else S.PARTIALLY_FILLED)
            self.book[updated.order_no] = updated

    def _expected(self, target: Order, request: RevisionRequest) -> Reason | None:
        if (target.kind is OrderKind.CANCEL or target.account != request.account
                or target.env is not request.env or target.symbol != request.symbol):
            return Reason.ORIGINAL_NOT_FOUND
        if target.open_quantity == 0:
            return Reason.NOTHING_LEFT
        if request.kind is RevisionKind.REVISE:
            if not EXCHANGES[target.exchange].revise_allowed:
                return Reason.REVISE_NOT_ALLOWED
            if target.order_type in ("35", "36"):
                return Reason.ORDER_NOT_REVISABLE
            if request.price == target.price:
                return Reason.SAME_PRICE
        return None

    def _revise_or_cancel(self, data: st.DataObject, kind: RevisionKind, quantity: int,
                          wrong_account: bool) -> None:
        target = self.book[data.draw(st.sampled_from(sorted(self.book)), label="target")]
        if kind is RevisionKind.REVISE:
            price = data.draw(st.sampled_from([target.price, D(f"{target.price:.4f}"), target.price + 1,
                                               target.price * 2]), label="price")
        else:
            price = data.draw(st.sampled_from([D("0"), target.price]), label="price")
        account = "99999999-01" if wrong_account else target.account
        request = make_request(target, kind, quantity, price, account=account)
        expected = self._expected(target, request)
        number = self._next_no()
        now = self._tick()
        open_before = target.open_quantity
        try:
            updated, record = _act_with(kind, target, request, number, now)
        except BusinessError as exc:
            assert exc.reason is expected, (exc.reason, expected)
            return
        assert expected is None, f"expected {expected}, got success"
        moved = open_before if quantity <= 0 or quantity >= open_before else quantity
        assert record.order_no == number and record.original_no == target.order_no
        assert record.quantity == moved and updated.open_quantity == open_before - moved
        assert updated.price == target.price
        if kind is RevisionKind.REVISE:
            assert record.kind is OrderKind.REVISE and record.price == price
            assert updated.revised_away == target.revised_away + moved
        else:
            assert record.kind is OrderKind.CANCEL and record.state is S.CONFIRMED
            assert updated.cancelled == target.cancelled + moved
        assert updated.filled == target.filled
        root = self.root_of[target.order_no]
        self.book[updated.order_no] = updated
        self._store(record, root)

    @precondition(lambda self: bool(self.book))
    @rule(data=st.data(), quantity=st.integers(-1, 35), wrong_account=st.booleans())
    def cancel(self, data: st.DataObject, quantity: int, wrong_account: bool) -> None:
        self._revise_or_cancel(data, RevisionKind.CANCEL, quantity, wrong_account)

    @precondition(lambda self: bool(self.book))
    @rule(data=st.data(), quantity=st.integers(-1, 35), wrong_account=st.booleans())
    def revise(self, data: st.DataObject, quantity: int, wrong_account: bool) -> None:
        self._revise_or_cancel(data, RevisionKind.REVISE, quantity, wrong_account)

    @invariant()
    def every_record_balances(self) -> None:
        for order in self.book.values():
            check_invariant(order)
            if order.kind is not OrderKind.CANCEL:
                assert order.quantity == order.filled + order.cancelled + order.revised_away + order.open_quantity
            assert min(order.quantity, order.filled, order.cancelled, order.revised_away, order.open_quantity) >= 0
            assert order.price == self.first_price[order.order_no]  # never re-priced
            assert (order.open_quantity == 0) == (order.state in TERMINAL), order

    @invariant()
    def every_chain_conserves_its_quantity(self) -> None:
        chains: dict[str, list[Order]] = {}
        for number, order in self.book.items():
            chains.setdefault(self.root_of[number], []).append(order)
        for root, chain in chains.items():
            live = [o for o in chain if o.kind is not OrderKind.CANCEL]
            in_world = sum(o.filled + o.cancelled + o.open_quantity for o in live)
            assert in_world == self.book[root].quantity, (root, chain)
            cancel_records = sum(o.quantity for o in chain if o.kind is OrderKind.CANCEL)
            assert cancel_records == sum(o.cancelled for o in live)
            moved = sum(o.quantity for o in chain if o.kind is OrderKind.REVISE)
            assert moved == sum(o.revised_away for o in live)
            for order in chain:
                if order.original_no:
                    assert self.root_of[order.original_no] == root


def _act_with(kind: RevisionKind, target: Order, request: RevisionRequest, number: str,
              now: datetime) -> tuple[Order, Order]:
    fn = cancel if kind is RevisionKind.CANCEL else revise
    return fn(target, request, number, now, BRANCH)


TestOrderBook = OrderBook.TestCase
