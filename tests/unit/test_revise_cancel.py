"""해외주식 정정취소주문: every rule of `revise_cancel.decide` and `find_target`, the order they are checked
in, and random storms of place/fill/revise/cancel that must conserve every order's quantity (PROTOCOL A3, A4).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from localkis.domain import accounts, place_order, revise_cancel
from localkis.domain.accounts import Funds, Position
from localkis.domain.errors import BusinessError, Reason
from localkis.domain.hours import SessionState
from localkis.domain.instruments import Instrument
from localkis.domain.orders import Event, FillError, NewOrder, Order, OrderState, RevisionRequest, check_invariant, fill
from localkis.domain.revise_cancel import Revision
from localkis.protocol.env import Env
from localkis.protocol.exchanges import EXCHANGES, Exchange, Market
from localkis.protocol.orders import OrderKind, RevisionKind, Side
from localkis.protocol.trids import tr_for_order
from tests.unit.builders import (
    BRANCH,
    CANCEL_ONLY,
    LOT,
    NEW_NO,
    NO_CASH,
    OFF_TICK,
    ON,
    ORIGINAL_NO,
    OTHER_ACCOUNT,
    PLENTY,
    PRICES,
    REVISABLE,
    SYMBOL,
    T0,
    T1,
    US,
    ZERO,
    expected_session_reason,
    instrument,
    order,
    request,
)

D = Decimal
S, E = OrderState, Event
CANCEL, REVISE = RevisionKind.CANCEL, RevisionKind.REVISE
KINDS = [CANCEL, REVISE]
KIND_IDS = ["cancel", "revise"]

EXCHANGE_ENV = list(itertools.product(list(Exchange), list(Env)))
EXCHANGE_ENV_IDS = [f"{x.value}-{e.value}" for x, e in EXCHANGE_ENV]
REVISABLE_ENV = [(x, e) for x, e in EXCHANGE_ENV if x in REVISABLE]
REVISABLE_ENV_IDS = [f"{x.value}-{e.value}" for x, e in REVISABLE_ENV]
CANCEL_ONLY_ENV = [(x, e) for x, e in EXCHANGE_ENV if x in CANCEL_ONLY]
CANCEL_ONLY_ENV_IDS = [f"{x.value}-{e.value}" for x, e in CANCEL_ONLY_ENV]


def decide(req: RevisionRequest, original: Order | None, *, inst: Instrument | str | None = "default",
           session: SessionState | None = None, on: date = ON, funds: Funds | None = PLENTY,
           order_no: str = NEW_NO, now: datetime = T1) -> Revision:
    """`revise_cancel.decide` with the request's instrument, hours not enforced and plenty of cash."""
    if isinstance(inst, str):
        inst = instrument(req.exchange, req.symbol)
    return revise_cancel.decide(req, inst, session, on, original, funds, order_no=order_no, now=now, branch=BRANCH)


def refusal(req: RevisionRequest, original: Order | None, **kwargs: object) -> BusinessError:
    with pytest.raises(BusinessError) as exc:
        decide(req, original, **kwargs)  # type: ignore[arg-type]
    return exc.value


def lots(exchange: Exchange, n: int) -> int:
    return n * LOT[exchange]


def _price(kind: RevisionKind, exchange: Exchange) -> D:
    """What a client sends: "0" on a cancel, a new price on the grid on a revise."""
    return ZERO if kind is CANCEL else PRICES[exchange][1]


def test_revisable_sets_match_exchange_table() -> None:
    assert {x for x, info in EXCHANGES.items() if info.revise_allowed} == REVISABLE
    assert set(Exchange) == REVISABLE | CANCEL_ONLY


# ------------------------------------------------------------------------------------------------
# Cancel, per exchange and environment
# ------------------------------------------------------------------------------------------------

def _check_cancel_record(original: Order, record: Order, quantity: int, req: RevisionRequest) -> None:
    assert record.kind is OrderKind.CANCEL and record.state is S.CONFIRMED
    assert record.order_no == NEW_NO and record.original_no == original.order_no
    assert record.quantity == quantity and record.open_quantity == 0 and not record.is_live
    assert record.price == original.price  # the cancel record never carries a new price
    assert (record.account, record.env, record.exchange, record.symbol, record.side, record.order_type) == (
        original.account, original.env, original.exchange, original.symbol, original.side, original.order_type)
    assert record.created_at == T1 and record.tr_id == req.tr_id and record.branch == BRANCH
    assert record.manager_order_no == req.manager_order_no
    check_invariant(record)


@pytest.mark.parametrize(("exchange", "env"), EXCHANGE_ENV, ids=EXCHANGE_ENV_IDS)
@pytest.mark.parametrize("requested", [0, 10, 11, 1000, -1])
def test_cancel_all(exchange: Exchange, env: Env, requested: int) -> None:
    original = order(exchange, env, quantity=lots(exchange, 10))
    # Clients send the original price or "0" on a cancel; either way it is ignored (A3).
    req = request(original, CANCEL, lots(exchange, requested), PRICES[exchange][1], manager_order_no="M7")
    updated, record = decide(req, original)
    assert updated.order_no == ORIGINAL_NO and updated.state is S.CANCELLED
    assert (updated.cancelled, updated.open_quantity, updated.filled, updated.revised_away) == (
        lots(exchange, 10), 0, 0, 0)
    assert updated.price == original.price and not updated.is_live
    _check_cancel_record(original, record, lots(exchange, 10), req)
    check_invariant(updated)
    # The original record passed in is untouched (immutable, pure function).
    assert original.state is S.OPEN and original.cancelled == 0


@pytest.mark.parametrize(("exchange", "env"), EXCHANGE_ENV, ids=EXCHANGE_ENV_IDS)
def test_cancel_partial(exchange: Exchange, env: Env) -> None:
    original = order(exchange, env, quantity=lots(exchange, 10))
    updated, record = decide(request(original, CANCEL, lots(exchange, 3)), original)
    assert updated.state is S.OPEN and updated.cancelled == lots(exchange, 3)
    assert updated.open_quantity == lots(exchange, 7)
    assert record.quantity == lots(exchange, 3) and record.original_no == ORIGINAL_NO and record.order_no == NEW_NO
    # The remainder can be cancelled again; the largest partial is open - 1 lot.
    updated2, record2 = decide(request(updated, CANCEL, lots(exchange, 6)), updated, order_no="0000000003")
    assert updated2.state is S.OPEN and updated2.cancelled == lots(exchange, 9)
    assert updated2.open_quantity == lots(exchange, 1) and record2.quantity == lots(exchange, 6)
    updated3, record3 = decide(request(updated2, CANCEL, 0), updated2, order_no="0000000004")
    assert updated3.state is S.CANCELLED and updated3.cancelled == lots(exchange, 10)
    assert record3.quantity == lots(exchange, 1) and record3.order_no == "0000000004"


@pytest.mark.parametrize(("exchange", "env"), EXCHANGE_ENV, ids=EXCHANGE_ENV_IDS)
@pytest.mark.parametrize(("requested", "cancelled", "state"), [
    (2, 2, S.PARTIALLY_FILLED), (0, 6, S.CANCELLED), (6, 6, S.CANCELLED), (10, 6, S.CANCELLED)])
def test_cancel_after_partial_fill(exchange: Exchange, env: Env, requested: int, cancelled: int,
                                   state: OrderState) -> None:
    original = fill(order(exchange, env, quantity=lots(exchange, 10)), lots(exchange, 4), PRICES[exchange][0])
    updated, record = decide(request(original, CANCEL, lots(exchange, requested)), original)
    assert updated.state is state and updated.filled == lots(exchange, 4)
    assert updated.cancelled == lots(exchange, cancelled)
    assert updated.open_quantity == lots(exchange, 6 - cancelled) and record.quantity == lots(exchange, cancelled)


@pytest.mark.parametrize(("exchange", "env"), EXCHANGE_ENV, ids=EXCHANGE_ENV_IDS)
@pytest.mark.parametrize("order_type", ["35", "36"])
def test_twap_vwap_can_be_cancelled(exchange: Exchange, env: Env, order_type: str) -> None:
    original = order(exchange, env, order_type=order_type)
    updated, _ = decide(request(original, CANCEL), original)
    assert updated.state is S.CANCELLED


@pytest.mark.parametrize("exchange", list(Exchange), ids=[x.value for x in Exchange])
@pytest.mark.parametrize("price", ["0", "-1", "off-tick", "NaN"])
def test_a_cancel_ignores_the_price_it_is_sent(exchange: Exchange, price: str) -> None:
    original = order(exchange, quantity=lots(exchange, 1))
    sent = OFF_TICK[exchange] if price == "off-tick" else D(price)
    updated, record = decide(request(original, CANCEL, 0, sent), original)
    assert updated.state is S.CANCELLED and record.price == original.price


@pytest.mark.parametrize("exchange", sorted(CANCEL_ONLY), ids=[x.value for x in sorted(CANCEL_ONLY)])
def test_cancel_only_markets_take_cancels(exchange: Exchange) -> None:
    original = order(exchange, quantity=lots(exchange, 2))
    updated, _ = decide(request(original, CANCEL, lots(exchange, 1)), original)
    assert updated.cancelled == lots(exchange, 1)


# ------------------------------------------------------------------------------------------------
# Revise, per exchange and environment
# ------------------------------------------------------------------------------------------------

def _check_replacement(original: Order, replacement: Order, moved: int, new_price: D, req: RevisionRequest) -> None:
    assert replacement.kind is OrderKind.REVISE and replacement.state is S.OPEN and replacement.is_live
    assert replacement.order_no == NEW_NO and replacement.original_no == original.order_no
    assert replacement.quantity == moved and replacement.open_quantity == moved and replacement.filled == 0
    assert replacement.price == new_price and replacement.created_at == T1
    assert (replacement.account, replacement.env, replacement.exchange, replacement.symbol, replacement.side,
            replacement.order_type) == (original.account, original.env, original.exchange, original.symbol,
                                        original.side, original.order_type)
    assert replacement.tr_id == req.tr_id and replacement.branch == BRANCH
    assert replacement.manager_order_no == req.manager_order_no
    check_invariant(replacement)


@pytest.mark.parametrize(("exchange", "env"), REVISABLE_ENV, ids=REVISABLE_ENV_IDS)
@pytest.mark.parametrize("requested", [0, 10, 11, 1000, -1])
def test_revise_all(exchange: Exchange, env: Env, requested: int) -> None:
    original = order(exchange, env, quantity=lots(exchange, 10))
    new_price = PRICES[exchange][1]
    req = request(original, REVISE, lots(exchange, requested), new_price, manager_order_no="M9")
    updated, replacement = decide(req, original)
    assert updated.state is S.REPLACED and updated.revised_away == lots(exchange, 10)
    assert updated.open_quantity == 0 and not updated.is_live
    assert updated.price == original.price  # the original is never re-priced
    _check_replacement(original, replacement, lots(exchange, 10), new_price, req)
    check_invariant(updated)
    # A3: the original then has nothing left to revise or cancel.
    for kind, price in ((CANCEL, ZERO), (REVISE, PRICES[exchange][0])):
        error = refusal(request(updated, kind, 0, price), updated, order_no="0000000003")
        assert error.reason is Reason.NOTHING_LEFT


@pytest.mark.parametrize(("exchange", "env"), REVISABLE_ENV, ids=REVISABLE_ENV_IDS)
def test_revise_partial(exchange: Exchange, env: Env) -> None:
    original = order(exchange, env, quantity=lots(exchange, 10))
    new_price = PRICES[exchange][1]
    req = request(original, REVISE, lots(exchange, 4), new_price)
    updated, replacement = decide(req, original)
    assert updated.state is S.OPEN and updated.revised_away == lots(exchange, 4)
    assert updated.open_quantity == lots(exchange, 6)
    assert updated.price == original.price  # the rest stays at the old price on the original
    _check_replacement(original, replacement, lots(exchange, 4), new_price, req)


@pytest.mark.parametrize(("exchange", "env"), REVISABLE_ENV, ids=REVISABLE_ENV_IDS)
@pytest.mark.parametrize(("requested", "moved", "state"), [
    (2, 2, S.PARTIALLY_FILLED), (0, 7, S.REPLACED), (7, 7, S.REPLACED), (10, 7, S.REPLACED)])
def test_revise_after_partial_fill(exchange: Exchange, env: Env, requested: int, moved: int,
                                   state: OrderState) -> None:
    original = fill(order(exchange, env, quantity=lots(exchange, 10)), lots(exchange, 3), PRICES[exchange][0])
    updated, replacement = decide(request(original, REVISE, lots(exchange, requested), PRICES[exchange][1]), original)
    assert updated.state is state and updated.filled == lots(exchange, 3)
    assert updated.revised_away == lots(exchange, moved)
    assert replacement.quantity == lots(exchange, moved) and replacement.filled == 0


@pytest.mark.parametrize(("exchange", "env"), REVISABLE_ENV, ids=REVISABLE_ENV_IDS)
def test_replacement_can_itself_be_revised_and_cancelled(exchange: Exchange, env: Env) -> None:
    original = order(exchange, env, quantity=lots(exchange, 10))
    old, new = PRICES[exchange]
    _, replacement = decide(request(original, REVISE, 0, new), original)
    # Back to the first price is a different price from the replacement's: allowed.
    updated, second = decide(request(replacement, REVISE, lots(exchange, 5), old), replacement,
                             order_no="0000000003")
    assert second.original_no == NEW_NO and second.price == old and second.quantity == lots(exchange, 5)
    assert updated.price == new and updated.open_quantity == lots(exchange, 5)
    _, record = decide(request(updated, CANCEL), updated, order_no="0000000004")
    assert record.original_no == NEW_NO and record.quantity == lots(exchange, 5)


@pytest.mark.parametrize(("exchange", "env"), CANCEL_ONLY_ENV, ids=CANCEL_ONLY_ENV_IDS)
@pytest.mark.parametrize("requested", [0, 4, 10])
def test_revise_in_cancel_only_market(exchange: Exchange, env: Env, requested: int) -> None:
    original = order(exchange, env, quantity=lots(exchange, 10))
    error = refusal(request(original, REVISE, lots(exchange, requested), PRICES[exchange][1]), original)
    assert error.reason is Reason.REVISE_NOT_ALLOWED and error.detail == exchange.value


@pytest.mark.parametrize(("exchange", "env"), REVISABLE_ENV, ids=REVISABLE_ENV_IDS)
@pytest.mark.parametrize("same", ["as-is", "trailing-zeros"])
def test_revise_to_the_same_price(exchange: Exchange, env: Env, same: str) -> None:
    original = order(exchange, env)
    price = original.price if same == "as-is" else D(f"{original.price:.4f}")  # "100.0000" == "100.00"
    error = refusal(request(original, REVISE, 0, price), original)
    assert error.reason is Reason.SAME_PRICE and error.detail == str(price)


@pytest.mark.parametrize(("exchange", "env"), REVISABLE_ENV, ids=REVISABLE_ENV_IDS)
@pytest.mark.parametrize("order_type", ["35", "36"])
def test_twap_vwap_cannot_be_revised(exchange: Exchange, env: Env, order_type: str) -> None:
    original = order(exchange, env, order_type=order_type)
    error = refusal(request(original, REVISE, 0, PRICES[exchange][1]), original)
    assert error.reason is Reason.ORDER_NOT_REVISABLE and error.detail == order_type


@pytest.mark.parametrize(("order_type", "side"), [
    ("00", Side.BUY), ("32", Side.BUY), ("34", Side.BUY), ("00", Side.SELL), ("32", Side.SELL), ("34", Side.SELL)])
def test_other_order_types_can_be_revised(order_type: str, side: Side) -> None:
    original = order(order_type=order_type, side=side)
    updated, replacement = decide(request(original, REVISE, 0, D("101")), original)
    assert updated.state is S.REPLACED and replacement.order_type == order_type


# ------------------------------------------------------------------------------------------------
# The target: wrong account/symbol/env/market family, a cancel record, None, nothing open
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


@pytest.mark.parametrize(("exchange", "env"), EXCHANGE_ENV, ids=EXCHANGE_ENV_IDS)
@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
@pytest.mark.parametrize("mismatch", ["account", "symbol", "env", "family"])
def test_mismatched_target_is_not_found(exchange: Exchange, env: Env, kind: RevisionKind, mismatch: str) -> None:
    original = order(exchange, env)
    overrides: dict[str, dict[str, object]] = {
        "account": {"account": OTHER_ACCOUNT},
        "symbol": {"symbol": SYMBOL[exchange] + "X"},
        "env": {"env": Env.MOCK if env is Env.REAL else Env.REAL},
        "family": {"exchange": OTHER_FAMILY[exchange]},
    }
    override = overrides[mismatch]
    asked_on = OTHER_FAMILY[exchange] if mismatch == "family" else exchange
    req = request(original, kind, 0, _price(kind, asked_on), **override)
    error = refusal(req, original)
    if kind is REVISE and asked_on in CANCEL_ONLY:
        # The market's rules come before the search for the original: a revise sent to a cancel-only
        # market is refused as such whatever its original (as the server always answered).
        assert error.reason is Reason.REVISE_NOT_ALLOWED
        return
    assert error.reason is Reason.ORIGINAL_NOT_FOUND and error.detail == ORIGINAL_NO
    with pytest.raises(BusinessError) as exc:
        revise_cancel.find_target(original, req)
    assert exc.value.reason is Reason.ORIGINAL_NOT_FOUND


@pytest.mark.parametrize(("exchange", "env"), EXCHANGE_ENV, ids=EXCHANGE_ENV_IDS)
@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_missing_target_or_cancel_record_is_not_found(exchange: Exchange, env: Env, kind: RevisionKind) -> None:
    original = order(exchange, env, quantity=lots(exchange, 10))
    _, record = decide(request(original, CANCEL, lots(exchange, 3)), original)
    for target in (None, record):
        req = request(record, kind, 0, _price(kind, exchange))
        if kind is REVISE and exchange in CANCEL_ONLY:
            assert refusal(req, target).reason is Reason.REVISE_NOT_ALLOWED
            continue
        error = refusal(req, target)
        assert error.reason is Reason.ORIGINAL_NOT_FOUND and error.detail == NEW_NO


@pytest.mark.parametrize("exchange", sorted(SAME_FAMILY), ids=[x.value for x in sorted(SAME_FAMILY)])
def test_other_exchange_of_the_same_family_finds_the_order(exchange: Exchange) -> None:
    original = order(exchange, quantity=lots(exchange, 1))
    req = request(original, CANCEL, 0, ZERO, exchange=SAME_FAMILY[exchange])
    updated, record = decide(req, original, inst=instrument(exchange))
    assert updated.state is S.CANCELLED and record.exchange is exchange  # the order's own exchange
    assert revise_cancel.find_target(original, req) is original


@pytest.mark.parametrize("exchange", sorted(US), ids=[x.value for x in sorted(US)])
def test_a_us_order_can_be_revised_through_another_us_venue(exchange: Exchange) -> None:
    original = order(exchange)
    req = request(original, REVISE, 0, PRICES[exchange][1], exchange=SAME_FAMILY[exchange])
    updated, replacement = decide(req, original, inst=instrument(exchange))
    assert updated.state is S.REPLACED and replacement.exchange is exchange


def _closed_orders(exchange: Exchange, env: Env) -> dict[str, Order]:
    base = order(exchange, env, quantity=lots(exchange, 10))
    old, new = PRICES[exchange]
    closed = {
        "filled": fill(base, lots(exchange, 10), old),
        "cancelled": decide(request(base, CANCEL), base).original,
        "filled-then-cancelled": decide(request(base, CANCEL), fill(base, lots(exchange, 4), old)).original,
        # Built directly where a revise is refused: the record a revise elsewhere leaves.
        "replaced": (decide(request(base, REVISE, 0, new), base).original if exchange in REVISABLE
                     else base.apply(E.REVISE_REST, revised_away=base.quantity)),
    }
    return closed


@pytest.mark.parametrize(("exchange", "env"), EXCHANGE_ENV, ids=EXCHANGE_ENV_IDS)
@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_nothing_left(exchange: Exchange, env: Env, kind: RevisionKind) -> None:
    for name, closed in _closed_orders(exchange, env).items():
        assert closed.open_quantity == 0, name
        req = request(closed, kind, 0, _price(kind, exchange))
        error = refusal(req, closed)
        if kind is REVISE and exchange in CANCEL_ONLY:
            assert error.reason is Reason.REVISE_NOT_ALLOWED, name
            continue
        assert error.reason is Reason.NOTHING_LEFT, name
        assert error.detail == ORIGINAL_NO
        with pytest.raises(BusinessError) as exc:
            revise_cancel.find_target(closed, req)
        assert exc.value.reason is Reason.NOTHING_LEFT


def test_find_target_returns_the_order() -> None:
    original = order()
    assert revise_cancel.find_target(original, request(original, CANCEL)) is original
    partly = fill(original, 9, D("100"))
    assert revise_cancel.find_target(partly, request(partly, REVISE, 0, D("1"))) is partly


# ------------------------------------------------------------------------------------------------
# Every refusal, as a table: (what is wrong, the request kind) -> reason
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("exchange", "env"), EXCHANGE_ENV, ids=EXCHANGE_ENV_IDS)
@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_unknown_instrument(exchange: Exchange, env: Env, kind: RevisionKind) -> None:
    original = order(exchange, env)
    error = refusal(request(original, kind, 0, _price(kind, exchange)), original, inst=None)
    assert error.reason is Reason.UNKNOWN_SYMBOL and error.detail == f"{exchange.value} {SYMBOL[exchange]}"


REVISE_PRICE_CASES: list[tuple[Exchange, str, Reason]] = [
    *[(x, str(OFF_TICK[x]), Reason.OFF_TICK) for x in sorted(REVISABLE)],
    *[(x, p, Reason.PRICE_BELOW_MINIMUM) for x in sorted(REVISABLE) for p in ("0", "-1")],
    (Exchange.NASD, "0.0099", Reason.PRICE_BELOW_MINIMUM), (Exchange.NASD, "NaN", Reason.OFF_TICK),
]


@pytest.mark.parametrize(("exchange", "price", "reason"), REVISE_PRICE_CASES,
                         ids=[f"{x.value}-{p}" for x, p, _ in REVISE_PRICE_CASES])
def test_a_revise_needs_a_price_on_the_grid(exchange: Exchange, price: str, reason: Reason) -> None:
    original = order(exchange)
    assert refusal(request(original, REVISE, 0, D(price)), original).reason is reason


def test_a_revise_price_follows_the_instrument_and_the_date() -> None:
    tokyo = order(Exchange.TKSE, quantity=100)
    req = request(tokyo, REVISE, 0, D("2500.5"))
    assert refusal(req, tokyo).reason is Reason.OFF_TICK
    assert decide(req, tokyo, inst=instrument(Exchange.TKSE, topix500=True)).record.price == D("2500.5")
    hk = order(Exchange.SEHK, quantity=100, price=D("15.02"))
    req = request(hk, REVISE, 0, D("15.01"))
    assert refusal(req, hk, on=date(2025, 8, 1)).reason is Reason.OFF_TICK
    assert decide(req, hk, on=date(2025, 8, 4)).record.price == D("15.01")


SESSION_CASES = list(itertools.product(list(Exchange), list(Env), list(SessionState), KINDS))


@pytest.mark.parametrize(("exchange", "env", "state", "kind"), SESSION_CASES,
                         ids=[f"{x.value}-{e.value}-{s.value}-{k.name.lower()}" for x, e, s, k in SESSION_CASES])
def test_session(exchange: Exchange, env: Env, state: SessionState, kind: RevisionKind) -> None:
    original = order(exchange, env, quantity=lots(exchange, 1))
    req = request(original, kind, 0, _price(kind, exchange))
    expected = expected_session_reason(exchange, env, state)
    if kind is REVISE and exchange in CANCEL_ONLY:
        expected = Reason.REVISE_NOT_ALLOWED  # the market rule answers before the session
    if expected is None:
        assert decide(req, original, session=state).record.order_no == NEW_NO
    else:
        error = refusal(req, original, session=state)
        assert error.reason is expected
        if expected is not Reason.REVISE_NOT_ALLOWED:
            assert error.detail == f"{exchange.value} {state.value} at 2026-03-03 00:05:00 KST"  # T1 in KST


LOT_CASES: list[tuple[Exchange, Side, int, int, int | None, Reason | None]] = [
    # (exchange, side of the original, its quantity, the partial quantity asked, instrument lot, refusal)
    (Exchange.NASD, Side.BUY, 10, 3, None, None),
    (Exchange.SEHK, Side.BUY, 300, 100, None, None), (Exchange.SEHK, Side.BUY, 300, 150, None, Reason.BAD_LOT),
    (Exchange.SEHK, Side.SELL, 300, 50, None, Reason.BAD_LOT), (Exchange.SEHK, Side.BUY, 1500, 500, 500, None),
    (Exchange.SEHK, Side.BUY, 1500, 100, 500, Reason.BAD_LOT),  # the instrument's lot
    (Exchange.TKSE, Side.SELL, 300, 50, None, Reason.BAD_LOT), (Exchange.TKSE, Side.BUY, 300, 200, None, None),
    # China: an odd remainder smaller than a lot only off a sell
    (Exchange.SHAA, Side.BUY, 300, 50, None, Reason.BAD_LOT), (Exchange.SHAA, Side.SELL, 300, 50, None, None),
    (Exchange.SHAA, Side.SELL, 300, 150, None, Reason.BAD_LOT), (Exchange.SZAA, Side.SELL, 300, 99, None, None),
    # Vietnam: odd lots are orders of their own; HOSE caps an order at 500,000
    (Exchange.VNSE, Side.BUY, 300, 50, None, None), (Exchange.VNSE, Side.SELL, 300, 150, None, Reason.BAD_LOT),
    (Exchange.HASE, Side.BUY, 300, 1, None, None), (Exchange.HASE, Side.BUY, 300, 101, None, Reason.BAD_LOT),
    (Exchange.VNSE, Side.BUY, 600_000, 500_100, None, Reason.BAD_QUANTITY),  # a record built directly
]


LOT_KIND_CASES = [(*c, k) for c in LOT_CASES for k in KINDS if not (k is REVISE and c[0] in CANCEL_ONLY)]


@pytest.mark.parametrize(("exchange", "side", "quantity", "asked", "lot", "reason", "kind"), LOT_KIND_CASES,
                         ids=[f"{c[0].value}-{c[1].name.lower()}-{c[2]}-{c[3]}-lot{c[4]}-{c[6].name.lower()}"
                              for c in LOT_KIND_CASES])
def test_a_partial_quantity_is_in_whole_lots(exchange: Exchange, side: Side, quantity: int, asked: int,
                                             lot: int | None, reason: Reason | None, kind: RevisionKind) -> None:
    original = order(exchange, side=side, quantity=quantity)
    req = request(original, kind, asked, _price(kind, exchange))
    inst = instrument(exchange, lot_size=lot)
    if reason is None:
        assert decide(req, original, inst=inst).record.quantity == asked
    else:
        assert refusal(req, original, inst=inst).reason is reason


@pytest.mark.parametrize("exchange", sorted(set(Exchange) - set(US)), ids=lambda x: x.value)
def test_all_that_is_open_needs_no_whole_lot(exchange: Exchange) -> None:
    # 250 left after a fill of 50: cancelling "all" (0, or at least what is open) takes the odd 250.
    original = fill(order(exchange, quantity=300), 50, PRICES[exchange][0])
    for asked in (0, 250, 300):
        assert decide(request(original, CANCEL, asked), original).record.quantity == 250


# Buying power: a buy moved to a higher price needs the difference on the moved quantity, no more.
FUNDS_CASES: list[tuple[str, int, int, str, Funds | None, Reason | None]] = [
    # (case, filled first, quantity asked, new price, funds, refusal); a buy of 10 at 100.00
    ("all up, exactly enough", 0, 0, "101.25", Funds(D("12.50"), ZERO), None),
    ("all up, a cent short", 0, 0, "101.25", Funds(D("12.49"), ZERO), Reason.INSUFFICIENT_CASH),
    ("reserved is not available", 0, 0, "101.25", Funds(D("1012.50"), D("1000.01")), Reason.INSUFFICIENT_CASH),
    ("reserved, the rest enough", 0, 0, "101.25", Funds(D("1012.50"), D("1000.00")), None),
    ("partial up, exactly enough", 0, 4, "101.25", Funds(D("5.00"), ZERO), None),
    ("partial up, short", 0, 4, "101.25", Funds(D("4.99"), ZERO), Reason.INSUFFICIENT_CASH),
    ("after a fill, only the open part", 3, 0, "101.25", Funds(D("8.75"), ZERO), None),
    ("after a fill, short", 3, 0, "101.25", Funds(D("8.74"), ZERO), Reason.INSUFFICIENT_CASH),
    ("down needs nothing", 0, 0, "99.00", NO_CASH, None),
    ("down needs no funds at all", 0, 0, "99.00", None, None),
]


@pytest.mark.parametrize(("filled", "asked", "price", "funds", "reason"), [c[1:] for c in FUNDS_CASES],
                         ids=[c[0] for c in FUNDS_CASES])
def test_a_buy_revised_upwards_needs_buying_power(filled: int, asked: int, price: str, funds: Funds | None,
                                                  reason: Reason | None) -> None:
    original = order(quantity=10, price=D("100.00"))
    if filled:
        original = fill(original, filled, D("100.00"))
    req = request(original, REVISE, asked, D(price))
    if reason is None:
        assert decide(req, original, funds=funds).record.price == D(price)
    else:
        error = refusal(req, original, funds=funds)
        assert error.reason is reason
        assert error.detail == f"needs {(D(price) - D('100.00')) * (asked or 10 - filled)}, {funds.available} available"  # type: ignore[union-attr]


@pytest.mark.parametrize("price", ["101.25", "99.00"])
def test_a_sell_revise_needs_no_funds(price: str) -> None:
    original = order(side=Side.SELL)
    assert decide(request(original, REVISE, 0, D(price)), original, funds=None).record.price == D(price)


def test_a_cancel_needs_no_funds() -> None:
    original = order()
    assert decide(request(original, CANCEL), original, funds=None).original.state is S.CANCELLED


def test_a_buy_revised_upwards_without_funds_is_a_caller_error() -> None:
    original = order()
    with pytest.raises(AssertionError, match="needs the account's funds"):
        decide(request(original, REVISE, 0, D("101")), original, funds=None)


# ------------------------------------------------------------------------------------------------
# The check order: with every rule from the k-th on broken, the k-th rule answers
# ------------------------------------------------------------------------------------------------

class Case:
    """One revise/cancel and everything `decide` is given, changed one rule at a time."""

    def __init__(self, original: Order, req: RevisionRequest, funds: Funds) -> None:
        self.original: Order | None = original
        self.req = req
        self.inst: Instrument | str | None = "default"
        self.session: SessionState | None = None
        self.funds = funds

    def run(self) -> Revision:
        return decide(self.req, self.original, inst=self.inst, session=self.session, funds=self.funds)


Change = Callable[[Case], None]


def _set(**changes: object) -> Change:
    def change(case: Case) -> None:
        for name, value in changes.items():
            if name.startswith("req_"):
                case.req = case.req._replace(**{name.removeprefix("req_"): value})  # type: ignore[arg-type]
            elif name == "original_with":
                assert case.original is not None
                case.original = case.original._replace(**value)  # type: ignore[arg-type]
            elif name == "filled":
                assert case.original is not None
                case.original = fill(case.original, case.original.open_quantity, case.original.price)
            else:
                setattr(case, name, value)
    return change


SEHK_BUY = order(Exchange.SEHK, quantity=300, price=D("300.0"))
NASD_BUY = order(Exchange.NASD, quantity=10, price=D("100.00"))
SHAA_SELL = order(Exchange.SHAA, quantity=300, side=Side.SELL)
NASD_MOCK_BUY = order(Exchange.NASD, Env.MOCK)
VNSE_MOCK_BUY = order(Exchange.VNSE, Env.MOCK, quantity=300)
CHAINS: dict[str, tuple[Order, RevisionRequest, Funds, list[tuple[str, Change, Reason]]]] = {
    "hk-revise-buy": (SEHK_BUY, request(SEHK_BUY, REVISE, 100, D("300.2")), Funds(D("20.00"), ZERO), [
        ("instrument", _set(inst=None), Reason.UNKNOWN_SYMBOL),
        ("cancel-only market", _set(req_exchange=Exchange.SHAA), Reason.REVISE_NOT_ALLOWED),
        ("price", _set(req_price=D("300.1")), Reason.OFF_TICK),
        ("session", _set(session=SessionState.AFTER_CLOSE), Reason.MARKET_CLOSED),
        ("original", _set(req_account=OTHER_ACCOUNT), Reason.ORIGINAL_NOT_FOUND),
        ("nothing left", _set(filled=True), Reason.NOTHING_LEFT),
        ("lot", _set(req_quantity=150), Reason.BAD_LOT),
        ("order type", _set(original_with={"order_type": "35"}), Reason.ORDER_NOT_REVISABLE),
        ("same price", _set(req_price=D("300.0")), Reason.SAME_PRICE),
        ("buying power", _set(funds=Funds(D("19.99"), ZERO)), Reason.INSUFFICIENT_CASH),
    ]),
    "us-mock-revise-buy": (NASD_MOCK_BUY, request(NASD_MOCK_BUY, REVISE, 0, D("101.00")), Funds(D("10.00"), ZERO), [
        ("instrument", _set(inst=None), Reason.UNKNOWN_SYMBOL),
        ("price", _set(req_price=D("0.001")), Reason.PRICE_BELOW_MINIMUM),
        ("session", _set(session=SessionState.PRE_MARKET), Reason.BEFORE_OPEN),
        ("original", _set(original=None), Reason.ORIGINAL_NOT_FOUND),
        ("order type", _set(original_with={"order_type": "36"}), Reason.ORDER_NOT_REVISABLE),
        ("same price", _set(req_price=D("100.00")), Reason.SAME_PRICE),
        ("buying power", _set(funds=Funds(D("10.00"), D("0.01"))), Reason.INSUFFICIENT_CASH),
    ]),
    "cn-cancel-sell": (SHAA_SELL, request(SHAA_SELL, CANCEL, 50, ZERO), NO_CASH, [
        ("instrument", _set(inst=None), Reason.UNKNOWN_SYMBOL),
        ("session", _set(session=SessionState.NON_TRADING_DAY), Reason.MARKET_CLOSED),
        ("original", _set(req_exchange=Exchange.SZAA, inst=instrument(Exchange.SHAA)), Reason.ORIGINAL_NOT_FOUND),
        ("nothing left", _set(filled=True), Reason.NOTHING_LEFT),
        ("lot", _set(req_quantity=150), Reason.BAD_LOT),
    ]),
    "vn-mock-cancel-buy": (VNSE_MOCK_BUY, request(VNSE_MOCK_BUY, CANCEL, 100), NO_CASH, [
        ("instrument", _set(inst=None), Reason.UNKNOWN_SYMBOL),
        ("session", _set(session=SessionState.AFTER_MARKET), Reason.AFTER_CLOSE),
        ("original", _set(req_account=OTHER_ACCOUNT), Reason.ORIGINAL_NOT_FOUND),
        ("cancel record", _set(original_with={"kind": OrderKind.CANCEL, "state": S.CONFIRMED}),
         Reason.ORIGINAL_NOT_FOUND),
        ("nothing left", _set(filled=True), Reason.NOTHING_LEFT),
        ("lot", _set(req_quantity=150), Reason.BAD_LOT),
    ]),
}
CHAIN_CASES = [(name, k) for name, chain in CHAINS.items() for k in range(len(chain[3]) + 1)]


@pytest.mark.parametrize(("chain", "first"), CHAIN_CASES,
                         ids=[f"{name}-{CHAINS[name][3][k][0] if k < len(CHAINS[name][3]) else 'none'}"
                              for name, k in CHAIN_CASES])
def test_the_first_failing_rule_answers(chain: str, first: int) -> None:
    original, req, funds, breaks = CHAINS[chain]
    case = Case(original, req, funds)
    # Applied last to first, so that a later rule's break (a filled original, say) is in place before
    # an earlier one changes what it starts from.
    for _, change, _ in reversed(breaks[first:]):
        change(case)
    if first == len(breaks):
        assert case.run().record.order_no == NEW_NO
        return
    with pytest.raises(BusinessError) as exc:
        case.run()
    assert exc.value.reason is breaks[first][2], breaks[first][0]


@pytest.mark.parametrize("chain", list(CHAINS))
def test_each_break_alone_is_refused_with_its_reason(chain: str) -> None:
    original, req, funds, breaks = CHAINS[chain]
    for name, change, reason in breaks:
        case = Case(original, req, funds)
        change(case)
        with pytest.raises(BusinessError) as exc:
            case.run()
        assert exc.value.reason is reason, name


def test_target_checks_come_after_the_market_checks_and_before_the_order_checks() -> None:
    # A wrong account on a cancel-only market is "revise not allowed" (the market answers first, as the
    # server always did); on a revisable market it is "not found" before "not revisable" or "same price".
    cn = order(Exchange.SHAA)
    assert refusal(request(cn, REVISE, 0, D("1"), account=OTHER_ACCOUNT), cn).reason is Reason.REVISE_NOT_ALLOWED
    twap = order(Exchange.NASD, order_type="35")
    req = request(twap, REVISE, 0, twap.price, account=OTHER_ACCOUNT)
    assert refusal(req, twap).reason is Reason.ORIGINAL_NOT_FOUND
    assert refusal(req._replace(account=twap.account), twap).reason is Reason.ORDER_NOT_REVISABLE


# ------------------------------------------------------------------------------------------------
# Random storms of place/fill/revise/cancel on a small book of two accounts (A3, A4 invariants)
# ------------------------------------------------------------------------------------------------

BOOK_EXCHANGES = [Exchange.NASD, Exchange.SEHK, Exchange.TKSE, Exchange.SHAA, Exchange.VNSE]
ACCOUNTS = ["11111111-01", "22222222-01"]
BOOK_LOT = {Exchange.NASD: 1, Exchange.SEHK: 5, Exchange.TKSE: 5, Exchange.SHAA: 5, Exchange.VNSE: 5}
INSTRUMENTS = {x: instrument(x, lot_size=BOOK_LOT[x]) for x in BOOK_EXCHANGES}
ON_TICK = {
    Exchange.NASD: [D("100.00"), D("101.25"), D("99.50"), D("0.5"), D("200.00")],
    Exchange.SEHK: [D("300.0"), D("300.2"), D("301.0"), D("250.4"), D("600.0")],
    Exchange.TKSE: [D("2500"), D("2505"), D("2400"), D("3005"), D("5000")],
    Exchange.SHAA: [D("1700.00"), D("1699.99"), D("1701.50")],
    Exchange.VNSE: [D("60000"), D("60100"), D("59900"), D("9990")],
}
OPENING_CASH = {"USD": D("2000"), "HKD": D("10000"), "JPY": D("100000"), "CNY": D("40000"), "VND": D("1500000")}
OPENING_SHARES = 40
SMALL = ACCOUNTS[1]  # starts with 1/20 of the cash and 8 shares: often at the limit of what it may do
SESSIONS = [None, None, None, SessionState.REGULAR, SessionState.PRE_MARKET, SessionState.AFTER_CLOSE,
            SessionState.NON_TRADING_DAY]


def _currency(exchange: Exchange) -> str:
    return EXCHANGES[exchange].currency


def _lot_refusal(exchange: Exchange, side: Side, quantity: int) -> Reason | None:
    """The quantity rule written out for the book's lots (every quantity drawn is below HOSE's cap)."""
    lot = BOOK_LOT[exchange]
    if quantity <= 0:
        return Reason.BAD_QUANTITY
    if quantity % lot == 0:
        return None
    if quantity < lot and (exchange is Exchange.VNSE or (exchange is Exchange.SHAA and side is Side.SELL)):
        return None
    return Reason.BAD_LOT


def _open(o: Order) -> int:
    """Open quantity written out: a cancel record or a finished order has none."""
    if o.kind is OrderKind.CANCEL:
        return 0
    return o.quantity - o.filled - o.cancelled - o.revised_away


@settings(max_examples=200, deadline=None)
class OrderBook(RuleBasedStateMachine):
    """A model of a small book: every outcome (success or the exact business error) is predicted first."""

    def __init__(self) -> None:
        super().__init__()
        self.book: dict[str, Order] = {}
        self.root_of: dict[str, str] = {}  # order number -> order number of its chain's NEW order
        self.first_price: dict[str, D] = {}
        self.counter = 0
        self.clock = T0
        self.cash = {(a, c): amount / 20 if a == SMALL else amount
                     for a in ACCOUNTS for c, amount in OPENING_CASH.items()}
        self.positions = {(a, INSTRUMENTS[x].symbol): Position(8 if a == SMALL else OPENING_SHARES, D("1"))
                          for a in ACCOUNTS for x in BOOK_EXCHANGES}

    # -- the model's account figures, from the book, written out independently of domain.accounts --

    def _reserved(self, account: str, currency: str) -> D:
        return sum((o.price * _open(o) for o in self.book.values()
                    if o.side is Side.BUY and o.account == account and _currency(o.exchange) == currency), ZERO)

    def _funds(self, account: str, currency: str) -> Funds:
        return Funds(self.cash[(account, currency)], self._reserved(account, currency))

    def _pending_sells(self, account: str, symbol: str) -> int:
        return sum(_open(o) for o in self.book.values()
                   if o.side is Side.SELL and o.account == account and o.symbol == symbol)

    def _next_no(self) -> str:
        self.counter += 1
        number = f"{self.counter:010d}"
        assert number not in self.book
        return number

    def _tick(self) -> datetime:
        self.clock += timedelta(seconds=1)
        return self.clock

    def _store(self, record: Order, root: str) -> None:
        self.book[record.order_no] = record
        self.root_of[record.order_no] = root
        self.first_price.setdefault(record.order_no, record.price)

    def _draw_target(self, data: st.DataObject) -> Order:
        """Mostly an order with something open (where most rules are), sometimes any record."""
        live = sorted(n for n, o in self.book.items() if _open(o) > 0)
        numbers = data.draw(st.sampled_from([live, live, live, sorted(self.book)] if live else [sorted(self.book)]),
                            label="from")
        return self.book[data.draw(st.sampled_from(numbers), label="target")]

    # -- place --

    @initialize(exchange=st.sampled_from(BOOK_EXCHANGES), env=st.sampled_from(list(Env)),
                side=st.sampled_from(list(Side)), lots=st.integers(1, 4))
    def first_order(self, exchange: Exchange, env: Env, side: Side, lots: int) -> None:
        """One order every rule accepts, so that every run has something to fill, revise and cancel."""
        account = ACCOUNTS[0]
        inst = INSTRUMENTS[exchange]
        quantity = lots * BOOK_LOT[exchange]
        command = NewOrder(account=account, env=env, exchange=exchange, symbol=inst.symbol, side=side,
                           order_type="00", quantity=quantity, price=ON_TICK[exchange][0],
                           tr_id=tr_for_order(EXCHANGES[exchange].market, side, env))
        given = (self._funds(account, _currency(exchange)) if side is Side.BUY
                 else accounts.Holding(self.positions[(account, inst.symbol)], 0))
        number = self._next_no()
        self._store(place_order.decide(command, inst, None, ON, given, order_no=number, now=self._tick(),
                                       branch=BRANCH), number)

    @rule(exchange=st.sampled_from(BOOK_EXCHANGES), env=st.sampled_from(list(Env)),
          account=st.sampled_from(ACCOUNTS), quantity=st.integers(-1, 30),
          order_type=st.sampled_from(["00", "00", "00", "35"]), side=st.sampled_from(list(Side)),
          data=st.data(), session=st.sampled_from(SESSIONS), known=st.sampled_from([True] * 9 + [False]))
    def place(self, exchange: Exchange, env: Env, account: str, quantity: int, order_type: str, side: Side,
              data: st.DataObject, session: SessionState | None, known: bool) -> None:
        price = data.draw(st.sampled_from([*ON_TICK[exchange], OFF_TICK[exchange]]), label="price")
        inst = INSTRUMENTS[exchange]
        command = NewOrder(account=account, env=env, exchange=exchange, symbol=inst.symbol, side=side,
                           order_type=order_type, quantity=quantity, price=price,
                           tr_id=tr_for_order(EXCHANGES[exchange].market, side, env))
        currency = _currency(exchange)
        funds = self._funds(account, currency)
        position = self.positions[(account, inst.symbol)]
        pending = self._pending_sells(account, inst.symbol)
        expected: Reason | None
        if not known:
            expected = Reason.UNKNOWN_SYMBOL
        elif order_type != "00" and not (env is Env.REAL and EXCHANGES[exchange].market is Market.US):
            expected = Reason.BAD_ORDER_TYPE
        elif price == OFF_TICK[exchange]:
            expected = Reason.OFF_TICK
        elif (lot := _lot_refusal(exchange, side, quantity)) is not None:
            expected = lot
        elif session is not None and (closed := expected_session_reason(exchange, env, session)) is not None:
            expected = closed
        elif side is Side.BUY and price * quantity > funds.cash - funds.reserved:
            expected = Reason.INSUFFICIENT_CASH
        elif side is Side.SELL and quantity > position.quantity - pending:
            expected = Reason.INSUFFICIENT_HOLDINGS
        else:
            expected = None
        number = self._next_no()
        now = self._tick()
        account_given = funds if side is Side.BUY else accounts.Holding(position, pending)
        event(f"place: {expected or 'accepted'}")
        try:
            placed = place_order.decide(command, inst if known else None, session, ON, account_given,
                                        order_no=number, now=now, branch=BRANCH)
        except BusinessError as exc:
            assert exc.reason is expected, (exc.reason, expected)
            return
        assert expected is None, f"expected {expected}, got an order"
        assert (placed.order_no, placed.kind, placed.state, placed.quantity, placed.price, placed.created_at) == (
            number, OrderKind.NEW, S.OPEN, quantity, price, now)
        self._store(placed, number)

    # -- fill --

    @precondition(lambda self: bool(self.book))
    @rule(data=st.data(), quantity=st.integers(-1, 35), price_step=st.integers(0, 3))
    def fill(self, data: st.DataObject, quantity: int, price_step: int) -> None:
        target = self._draw_target(data)
        # A buy fills at its limit (what it reserved), a sell at or above it.
        price = target.price if target.side is Side.BUY else target.price + price_step
        if target.kind is OrderKind.CANCEL or _open(target) == 0:
            with pytest.raises(BusinessError) as exc:
                fill(target, quantity, price)
            assert exc.value.reason is Reason.NOTHING_LEFT
            return
        if quantity <= 0 or quantity > _open(target):
            with pytest.raises(FillError):
                fill(target, quantity, price)
            return
        updated = fill(target, quantity, price)
        assert updated.filled == target.filled + quantity
        assert updated.filled_amount == target.filled_amount + price * quantity
        assert updated.state is (S.FILLED if quantity == _open(target) else S.PARTIALLY_FILLED)
        key = (target.account, target.symbol)
        settlement = accounts.settle(target, quantity, price, self.positions[key])
        sign = -1 if target.side is Side.BUY else 1
        assert settlement.cash_change == sign * price * quantity
        assert settlement.position.quantity == self.positions[key].quantity - sign * quantity
        self.cash[(target.account, _currency(target.exchange))] += settlement.cash_change
        self.positions[key] = settlement.position
        self.book[updated.order_no] = updated

    # -- revise / cancel --

    def _expected(self, target: Order, req: RevisionRequest, known: bool, session: SessionState | None,
                  funds: Funds) -> Reason | None:
        revise = req.kind is REVISE
        open_qty = _open(target)
        if not known:
            return Reason.UNKNOWN_SYMBOL
        if revise and req.exchange in CANCEL_ONLY:
            return Reason.REVISE_NOT_ALLOWED
        if revise and req.price == OFF_TICK[target.exchange]:
            return Reason.OFF_TICK
        if session is not None and (closed := expected_session_reason(req.exchange, req.env, session)) is not None:
            return closed
        if (target.kind is OrderKind.CANCEL or target.account != req.account or target.env is not req.env
                or target.symbol != req.symbol):
            return Reason.ORIGINAL_NOT_FOUND
        if open_qty == 0:
            return Reason.NOTHING_LEFT
        partial = 0 < req.quantity < open_qty
        if partial and (lot := _lot_refusal(target.exchange, target.side, req.quantity)) is not None:
            return lot
        if revise:
            moved = req.quantity if partial else open_qty
            if target.order_type in ("35", "36"):
                return Reason.ORDER_NOT_REVISABLE
            if req.price == target.price:
                return Reason.SAME_PRICE
            if (target.side is Side.BUY and req.price > target.price
                    and (req.price - target.price) * moved > funds.cash - funds.reserved):
                return Reason.INSUFFICIENT_CASH
        return None

    def _revise_or_cancel(self, data: st.DataObject, kind: RevisionKind, quantity: int, mismatch: str,
                          session: SessionState | None, known: bool, target: Order | None = None) -> None:
        if target is None:
            target = self._draw_target(data)
            higher = False
        else:  # revise_up: only prices above the target's
            higher = True
        if higher:
            price = data.draw(st.sampled_from([p for p in ON_TICK[target.exchange] if p > target.price]),
                              label="price")
        elif kind is REVISE:
            price = data.draw(st.sampled_from([target.price, D(f"{target.price:.4f}"), *ON_TICK[target.exchange],
                                               OFF_TICK[target.exchange]]), label="price")
        else:
            price = data.draw(st.sampled_from([ZERO, target.price, OFF_TICK[target.exchange]]), label="price")
        overrides: dict[str, dict[str, object]] = {
            "none": {},
            "account": {"account": "99999999-01"},
            "env": {"env": Env.MOCK if target.env is Env.REAL else Env.REAL},
            # Another venue of the same market: finds the order (US), or is a cancel-only venue (VN).
            "venue": {"exchange": {Exchange.NASD: Exchange.AMEX, Exchange.VNSE: Exchange.HASE}.get(target.exchange,
                                                                                                   target.exchange)},
        }
        override = overrides[mismatch]
        req = request(target, kind, quantity, price, **override)
        funds = self._funds(req.account, _currency(target.exchange)) if req.account in ACCOUNTS else NO_CASH
        expected = self._expected(target, req, known, session, funds)
        event(f"{kind.name.lower()}{' up' if higher else ''}: {expected or 'accepted'}")
        number = self._next_no()
        now = self._tick()
        open_before = _open(target)
        try:
            updated, record = revise_cancel.decide(req, INSTRUMENTS[target.exchange] if known else None, session, ON,
                                                   target, funds, order_no=number, now=now, branch=BRANCH)
        except BusinessError as exc:
            assert exc.reason is expected, (exc.reason, expected)
            return
        assert expected is None, f"expected {expected}, got success"
        moved = open_before if quantity <= 0 or quantity >= open_before else quantity
        assert record.order_no == number and record.original_no == target.order_no
        assert record.quantity == moved and _open(updated) == open_before - moved
        assert updated.price == target.price and record.exchange is target.exchange and record.created_at == now
        if kind is REVISE:
            assert record.kind is OrderKind.REVISE and record.price == price and record.state is S.OPEN
            assert updated.revised_away == target.revised_away + moved
            assert updated.state is (S.REPLACED if moved == open_before else target.state)
        else:
            assert record.kind is OrderKind.CANCEL and record.state is S.CONFIRMED and record.price == target.price
            assert updated.cancelled == target.cancelled + moved
            assert updated.state is (S.CANCELLED if moved == open_before else target.state)
        assert updated.filled == target.filled
        root = self.root_of[target.order_no]
        self.book[updated.order_no] = updated
        self._store(record, root)

    @precondition(lambda self: bool(self.book))
    @rule(data=st.data(), quantity=st.integers(-1, 35),
          mismatch=st.sampled_from(["none", "none", "none", "account", "env", "venue"]),
          session=st.sampled_from(SESSIONS), known=st.sampled_from([True] * 9 + [False]))
    def cancel(self, data: st.DataObject, quantity: int, mismatch: str, session: SessionState | None,
               known: bool) -> None:
        self._revise_or_cancel(data, CANCEL, quantity, mismatch, session, known)

    @precondition(lambda self: bool(self.book))
    @rule(data=st.data(), quantity=st.integers(-1, 35),
          mismatch=st.sampled_from(["none", "none", "none", "account", "env", "venue"]),
          session=st.sampled_from(SESSIONS), known=st.sampled_from([True] * 9 + [False]))
    def revise(self, data: st.DataObject, quantity: int, mismatch: str, session: SessionState | None,
               known: bool) -> None:
        self._revise_or_cancel(data, REVISE, quantity, mismatch, session, known)

    def _buys_to_raise(self) -> list[str]:
        top = {x: max(prices) for x, prices in ON_TICK.items()}
        return sorted(n for n, o in self.book.items() if o.side is Side.BUY and _open(o) > 0
                      and o.exchange in REVISABLE and o.price < top[o.exchange])

    @precondition(lambda self: bool(self._buys_to_raise()))
    @rule(data=st.data(), quantity=st.integers(-1, 35))
    def revise_up(self, data: st.DataObject, quantity: int) -> None:
        """A live buy moved to a higher price: where buying power is checked."""
        target = self.book[data.draw(st.sampled_from(self._buys_to_raise()), label="target")]
        self._revise_or_cancel(data, REVISE, quantity, "none", None, True, target)

    # -- invariants --

    @invariant()
    def every_record_balances(self) -> None:
        for record in self.book.values():
            check_invariant(record)
            if record.kind is not OrderKind.CANCEL:
                assert record.quantity == record.filled + record.cancelled + record.revised_away + record.open_quantity
            assert min(record.quantity, record.filled, record.cancelled, record.revised_away,
                       record.open_quantity) >= 0
            assert record.open_quantity == _open(record)
            assert record.price == self.first_price[record.order_no]  # never re-priced
            assert (record.open_quantity == 0) == (record.state in (S.FILLED, S.CANCELLED, S.REPLACED, S.CONFIRMED))

    @invariant()
    def every_chain_conserves_its_quantity(self) -> None:
        """ordered = filled + cancelled + open over a chain; moved and cancelled quantities have records."""
        chains: dict[str, list[Order]] = {}
        for number, record in self.book.items():
            chains.setdefault(self.root_of[number], []).append(record)
        for root, chain in chains.items():
            live = [o for o in chain if o.kind is not OrderKind.CANCEL]
            in_world = sum(o.filled + o.cancelled + o.open_quantity for o in live)
            assert in_world == self.book[root].quantity, (root, chain)
            cancel_records = sum(o.quantity for o in chain if o.kind is OrderKind.CANCEL)
            assert cancel_records == sum(o.cancelled for o in live)
            moved = sum(o.quantity for o in chain if o.kind is OrderKind.REVISE)
            assert moved == sum(o.revised_away for o in live)
            for record in chain:
                if record.original_no:
                    assert self.root_of[record.original_no] == root

    @invariant()
    def the_account_rules_agree_with_the_book(self) -> None:
        """What `holds` says each order holds back sums to the model's figures; buying power and sellable
        shares never go negative."""
        for account in ACCOUNTS:
            for currency in OPENING_CASH:
                held = sum((accounts.holds(o).cash for o in self.book.values()
                            if o.account == account and _currency(o.exchange) == currency), ZERO)
                assert held == self._reserved(account, currency)
                assert self.cash[(account, currency)] - held >= 0
            for exchange in BOOK_EXCHANGES:
                symbol = INSTRUMENTS[exchange].symbol
                on_sale = sum(accounts.holds(o).shares for o in self.book.values()
                              if o.account == account and o.symbol == symbol)
                assert on_sale == self._pending_sells(account, symbol)
                assert self.positions[(account, symbol)].quantity - on_sale >= 0


TestOrderBook = OrderBook.TestCase
