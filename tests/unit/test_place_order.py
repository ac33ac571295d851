"""해외주식 주문: every rule of `place_order.decide`, table by table, and the order they are checked in.

The expected answers are written out here independently of the source tables (order types per market,
side and environment; lots; closed-session reasons per environment).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from datetime import date

import pytest

from localkis.domain import place_order
from localkis.domain.accounts import Funds, Holding
from localkis.domain.errors import BusinessError, Reason
from localkis.domain.hours import SessionState
from localkis.domain.instruments import Instrument
from localkis.domain.orders import NewOrder, Order, OrderState, check_invariant
from localkis.protocol.env import Env
from localkis.protocol.exchanges import EXCHANGES, Exchange, Market
from localkis.protocol.orders import OrderKind, OrderType, Side
from tests.unit.builders import (
    BRANCH,
    LOT,
    NO_CASH,
    OFF_TICK,
    ON,
    PLENTY,
    PLENTY_HELD,
    PRICES,
    SYMBOL,
    T0,
    ZERO,
    D,
    command,
    expected_session_reason,
    holding,
    instrument,
)

ORDER_NO = "0000000042"
ST = SessionState


def decide(cmd: NewOrder, *, inst: Instrument | str | None = "default", session: SessionState | None = None,
           on: date = ON, account: Funds | Holding | None = None) -> Order:
    """`place_order.decide` with what the command needs and nothing in its way: its instrument, hours not
    enforced, and plenty of cash (a buy) or shares (a sell)."""
    if isinstance(inst, str):
        inst = instrument(cmd.exchange, cmd.symbol)
    if account is None:
        account = PLENTY if cmd.side is Side.BUY else PLENTY_HELD
    return place_order.decide(cmd, inst, session, on, account, order_no=ORDER_NO, now=T0, branch=BRANCH)


def refusal(cmd: NewOrder, **kwargs: object) -> BusinessError:
    with pytest.raises(BusinessError) as exc:
        decide(cmd, **kwargs)  # type: ignore[arg-type]
    return exc.value


EXCHANGE_ENV_SIDE = list(itertools.product(list(Exchange), list(Env), list(Side)))
EXCHANGE_ENV_SIDE_IDS = [f"{x.value}-{e.value}-{s.name.lower()}" for x, e, s in EXCHANGE_ENV_SIDE]


# ------------------------------------------------------------------------------------------------
# Acceptance: the new order record
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("exchange", "env", "side"), EXCHANGE_ENV_SIDE, ids=EXCHANGE_ENV_SIDE_IDS)
def test_an_accepted_order_is_an_open_new_record(exchange: Exchange, env: Env, side: Side) -> None:
    cmd = command(exchange, env, side=side, quantity=3 * LOT[exchange], manager_order_no="M1")
    placed = decide(cmd, session=ST.REGULAR)
    assert placed == Order(
        order_no=ORDER_NO, original_no="", kind=OrderKind.NEW, account=cmd.account, env=env, exchange=exchange,
        symbol=SYMBOL[exchange], side=side, order_type="00", quantity=3 * LOT[exchange],
        price=PRICES[exchange][0], created_at=T0, tr_id=cmd.tr_id, branch=BRANCH, manager_order_no="M1",
        state=OrderState.OPEN, filled=0, filled_amount=ZERO, cancelled=0, revised_away=0)
    assert placed.open_quantity == 3 * LOT[exchange] and placed.is_live
    check_invariant(placed)


def test_the_mock_hk_sell_record_carries_the_mock_tr_id() -> None:
    placed = decide(command(Exchange.SEHK, Env.MOCK, side=Side.SELL, quantity=200))
    assert placed.tr_id == "VTTS1001U" and placed.side is Side.SELL and placed.price == D("300.0")


# ------------------------------------------------------------------------------------------------
# 1. The instrument
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("exchange", "env", "side"), EXCHANGE_ENV_SIDE, ids=EXCHANGE_ENV_SIDE_IDS)
def test_unknown_instrument(exchange: Exchange, env: Env, side: Side) -> None:
    error = refusal(command(exchange, env, side=side, symbol="NOPE"), inst=None)
    assert error.reason is Reason.UNKNOWN_SYMBOL and error.detail == f"{exchange.value} NOPE"


# ------------------------------------------------------------------------------------------------
# 2. The order type (ORD_DVSN) per market, side and environment
# ------------------------------------------------------------------------------------------------

T = OrderType
# The real environment; every pair not listed takes LIMIT only, and the mock takes LIMIT only everywhere.
REAL_TYPES: dict[tuple[Market, Side], set[str]] = {
    (Market.US, Side.BUY): {"00", "32", "34", "35", "36"},
    (Market.US, Side.SELL): {"00", "31", "32", "33", "34", "35", "36"},
    (Market.HK, Side.SELL): {"00", "50"},
}
TYPE_CASES = [(x, e, s, t) for x, e, s in EXCHANGE_ENV_SIDE for t in [*OrderType, "99", ""]]


def _expected_types(exchange: Exchange, env: Env, side: Side) -> set[str]:
    if env is Env.MOCK:
        return {"00"}
    return REAL_TYPES.get((EXCHANGES[exchange].market, side), {"00"})


def _command_for_type(exchange: Exchange, env: Env, side: Side, order_type: str) -> NewOrder:
    """A command every later rule accepts for this order type."""
    if order_type in (T.MOO, T.MOC):
        return command(exchange, env, side=side, order_type=order_type, price=ZERO)  # sent with price "0"
    if order_type == T.ODD_LOT:
        return command(exchange, env, side=side, order_type=order_type, quantity=LOT[exchange] // 2 or 1)
    return command(exchange, env, side=side, order_type=order_type)


def test_the_expected_type_table_uses_known_codes() -> None:
    assert set().union(*REAL_TYPES.values()) <= {t.value for t in OrderType}


@pytest.mark.parametrize(("exchange", "env", "side", "order_type"), TYPE_CASES,
                         ids=[f"{x.value}-{e.value}-{s.name.lower()}-{t or 'empty'}" for x, e, s, t in TYPE_CASES])
def test_order_type_per_market_side_and_env(exchange: Exchange, env: Env, side: Side, order_type: str) -> None:
    cmd = _command_for_type(exchange, env, side, order_type)
    if order_type in _expected_types(exchange, env, side):
        assert decide(cmd).order_type == order_type
    else:
        error = refusal(cmd)
        assert error.reason is Reason.BAD_ORDER_TYPE and error.detail == order_type


# ------------------------------------------------------------------------------------------------
# 3. The price: positive, the US minimum, the tick grid (of the exchange-local date)
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("exchange", "price"), [
    (Exchange.NASD, "0.0099"), (Exchange.NASD, "0.00999"), (Exchange.NASD, "0"), (Exchange.NASD, "-1"),
    (Exchange.NYSE, "0.009"), (Exchange.AMEX, "0"), (Exchange.SEHK, "0"), (Exchange.SEHK, "-0.1"),
    (Exchange.TKSE, "0"), (Exchange.SHAA, "0"), (Exchange.SZAA, "-0.01"), (Exchange.HASE, "-100"),
    (Exchange.VNSE, "0"),
])
@pytest.mark.parametrize("side", list(Side), ids=["sell", "buy"])
def test_price_below_minimum(exchange: Exchange, price: str, side: Side) -> None:
    error = refusal(command(exchange, side=side, price=D(price)))
    assert error.reason is Reason.PRICE_BELOW_MINIMUM


@pytest.mark.parametrize("exchange", list(Exchange), ids=[x.value for x in Exchange])
@pytest.mark.parametrize("env", list(Env), ids=[e.value for e in Env])
def test_price_off_tick(exchange: Exchange, env: Env) -> None:
    error = refusal(command(exchange, env, price=OFF_TICK[exchange]))
    assert error.reason is Reason.OFF_TICK


@pytest.mark.parametrize("price", ["NaN", "Infinity", "-Infinity", "sNaN"])
def test_a_price_that_is_not_a_number_is_off_tick(price: str) -> None:
    error = refusal(command(price=D(price)))
    assert error.reason is Reason.OFF_TICK and "not a number" in error.detail


@pytest.mark.parametrize(("exchange", "price"), [
    (Exchange.NASD, "0.01"), (Exchange.NASD, "0.5123"), (Exchange.NASD, "100.0000"), (Exchange.AMEX, "1"),
    (Exchange.SEHK, "300.2"), (Exchange.SEHK, "0.255"), (Exchange.TKSE, "3005"), (Exchange.SHAA, "0.01"),
    (Exchange.HASE, "10100"), (Exchange.VNSE, "9990"), (Exchange.VNSE, "49950"),
])
def test_prices_on_the_grid_are_accepted(exchange: Exchange, price: str) -> None:
    assert decide(command(exchange, price=D(price))).price == D(price)


@pytest.mark.parametrize(("on", "price", "reason"), [
    (date(2025, 8, 1), "15.01", Reason.OFF_TICK),  # the old spread table: 0.02 from 10 to 20
    (date(2025, 8, 1), "15.02", None),
    (date(2025, 8, 4), "15.01", None),  # Phase 1 of the reduction: 0.01 from 10 to 20
])
def test_the_tick_table_of_the_exchange_local_date_applies(on: date, price: str, reason: Reason | None) -> None:
    cmd = command(Exchange.SEHK, price=D(price))
    if reason is None:
        assert decide(cmd, on=on).price == D(price)
    else:
        assert refusal(cmd, on=on).reason is reason


def test_topix500_members_use_the_finer_tick_table() -> None:
    cmd = command(Exchange.TKSE, price=D("2500.5"))
    assert refusal(cmd, inst=instrument(Exchange.TKSE)).reason is Reason.OFF_TICK
    assert decide(cmd, inst=instrument(Exchange.TKSE, topix500=True)).price == D("2500.5")


@pytest.mark.parametrize("order_type", [T.MOO, T.MOC])
@pytest.mark.parametrize("price", ["0", "100.005", "-1"])
def test_market_price_orders_carry_no_price_to_check(order_type: OrderType, price: str) -> None:
    placed = decide(command(Exchange.NASD, side=Side.SELL, order_type=order_type, price=D(price)))
    assert placed.order_type == order_type and placed.price == D(price)


@pytest.mark.parametrize("order_type", [T.LOO, T.LOC])
def test_limit_auction_orders_need_a_price(order_type: OrderType) -> None:
    error = refusal(command(Exchange.NASD, side=Side.SELL, order_type=order_type, price=ZERO))
    assert error.reason is Reason.PRICE_BELOW_MINIMUM


# ------------------------------------------------------------------------------------------------
# 4. The quantity and the lot
# ------------------------------------------------------------------------------------------------

B, S_ = Side.BUY, Side.SELL
QUANTITY_CASES: list[tuple[Exchange, Side, int, int | None, Reason | None]] = [
    # (exchange, side, quantity, the instrument's lot (None: the market's), expected refusal)
    *[(x, s, q, None, Reason.BAD_QUANTITY) for x in Exchange for s in Side for q in (0, -1)],
    (Exchange.NASD, B, 1, None, None), (Exchange.NYSE, S_, 7, None, None), (Exchange.AMEX, B, 123, None, None),
    (Exchange.SEHK, B, 100, None, None), (Exchange.SEHK, B, 150, None, Reason.BAD_LOT),
    (Exchange.SEHK, B, 50, None, Reason.BAD_LOT), (Exchange.SEHK, S_, 50, None, Reason.BAD_LOT),  # odd lot: "50"
    (Exchange.SEHK, B, 500, 500, None), (Exchange.SEHK, B, 100, 500, Reason.BAD_LOT),  # the instrument's lot
    (Exchange.SEHK, S_, 1000, 500, None),
    (Exchange.TKSE, B, 200, None, None), (Exchange.TKSE, B, 50, None, Reason.BAD_LOT),
    (Exchange.TKSE, S_, 150, None, Reason.BAD_LOT),
    # China: an odd remainder smaller than a lot can be sold, never bought
    (Exchange.SHAA, B, 50, None, Reason.BAD_LOT), (Exchange.SHAA, S_, 50, None, None),
    (Exchange.SHAA, S_, 150, None, Reason.BAD_LOT), (Exchange.SHAA, S_, 200, None, None),
    (Exchange.SZAA, B, 99, None, Reason.BAD_LOT), (Exchange.SZAA, S_, 99, None, None),
    # Vietnam: odd lots 1-99 are orders of their own, either side; HOSE caps an order at 500,000
    (Exchange.HASE, B, 50, None, None), (Exchange.HASE, S_, 1, None, None),
    (Exchange.HASE, B, 150, None, Reason.BAD_LOT),
    (Exchange.VNSE, B, 99, None, None), (Exchange.VNSE, S_, 150, None, Reason.BAD_LOT),
    (Exchange.VNSE, B, 500_000, None, None), (Exchange.VNSE, B, 500_100, None, Reason.BAD_QUANTITY),
    (Exchange.VNSE, B, 500_001, None, Reason.BAD_QUANTITY), (Exchange.HASE, B, 500_100, None, None),
]


@pytest.mark.parametrize(("exchange", "side", "quantity", "lot", "reason"), QUANTITY_CASES,
                         ids=[f"{x.value}-{s.name.lower()}-{q}-lot{lot}" for x, s, q, lot, _ in QUANTITY_CASES])
def test_quantity_and_lot(exchange: Exchange, side: Side, quantity: int, lot: int | None,
                          reason: Reason | None) -> None:
    cmd = command(exchange, side=side, quantity=quantity)
    inst = instrument(exchange, lot_size=lot)
    if reason is None:
        assert decide(cmd, inst=inst).quantity == quantity
    else:
        assert refusal(cmd, inst=inst).reason is reason


@pytest.mark.parametrize(("quantity", "lot", "reason"), [
    (50, None, None), (1, None, None), (99, None, None), (499, 500, None),
    (100, None, Reason.BAD_LOT), (150, None, Reason.BAD_LOT), (500, 500, Reason.BAD_LOT),
    (0, None, Reason.BAD_LOT), (-1, None, Reason.BAD_LOT),  # the odd-lot rule answers before the quantity rule
])
def test_odd_lot_hk_sell_takes_only_less_than_a_board_lot(quantity: int, lot: int | None,
                                                         reason: Reason | None) -> None:
    cmd = command(Exchange.SEHK, side=Side.SELL, order_type=T.ODD_LOT, quantity=quantity)
    inst = instrument(Exchange.SEHK, lot_size=lot)
    if reason is None:
        assert decide(cmd, inst=inst).order_type == T.ODD_LOT
    else:
        error = refusal(cmd, inst=inst)
        assert error.reason is reason and error.detail.startswith(f"odd-lot sell of {quantity}")


# ------------------------------------------------------------------------------------------------
# 5. The session: real answers one code; the mock tells before-open, after-close and holidays apart
# ------------------------------------------------------------------------------------------------

SESSION_CASES = list(itertools.product(list(Exchange), list(Env), list(SessionState)))


@pytest.mark.parametrize(("exchange", "env", "state"), SESSION_CASES,
                         ids=[f"{x.value}-{e.value}-{s.value}" for x, e, s in SESSION_CASES])
def test_session(exchange: Exchange, env: Env, state: SessionState) -> None:
    cmd = command(exchange, env)
    reason = expected_session_reason(exchange, env, state)
    if reason is None:
        assert decide(cmd, session=state).order_no == ORDER_NO
    else:
        error = refusal(cmd, session=state)
        assert error.reason is reason
        assert error.detail == f"{exchange.value} {state.value} at 2026-03-03 00:00:00 KST"  # T0 in KST


@pytest.mark.parametrize("env", list(Env), ids=[e.value for e in Env])
def test_no_session_means_hours_are_not_enforced(env: Env) -> None:
    assert decide(command(Exchange.TKSE, env), session=None).order_no == ORDER_NO


# ------------------------------------------------------------------------------------------------
# 6. The account: buying power for a buy, sellable shares for a sell
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("funds", "accepted"), [
    (Funds(D("1000.00"), ZERO), True),  # exactly enough
    (Funds(D("999.99"), ZERO), False),
    (Funds(D("1500"), D("500")), True),  # what live buys reserve is not available
    (Funds(D("1500"), D("500.01")), False),
    (NO_CASH, False),
    (Funds(D("-1"), ZERO), False),
])
def test_a_buy_needs_its_limit_times_quantity_available(funds: Funds, accepted: bool) -> None:
    cmd = command(Exchange.NASD, quantity=10, price=D("100.00"))
    if accepted:
        assert decide(cmd, account=funds).quantity == 10
    else:
        error = refusal(cmd, account=funds)
        assert error.reason is Reason.INSUFFICIENT_CASH
        assert error.detail == f"needs 1000.00, {funds.available} available"


@pytest.mark.parametrize(("held", "pending", "quantity", "accepted"), [
    (10, 0, 10, True), (10, 4, 6, True), (10, 4, 7, False), (0, 0, 1, False), (10, 10, 1, False),
])
@pytest.mark.parametrize("order_type", [T.LIMIT, T.MOC])
def test_a_sell_needs_sellable_shares(held: int, pending: int, quantity: int, accepted: bool,
                                      order_type: OrderType) -> None:
    cmd = command(Exchange.NASD, side=Side.SELL, order_type=order_type, quantity=quantity)
    account = holding(held, pending)
    if accepted:
        assert decide(cmd, account=account).quantity == quantity
    else:
        error = refusal(cmd, account=account)
        assert error.reason is Reason.INSUFFICIENT_HOLDINGS
        assert error.detail == f"selling {quantity}: {held} held, {pending} already on sale"


@pytest.mark.parametrize("exchange", list(Exchange), ids=[x.value for x in Exchange])
def test_cash_and_shares_are_checked_in_the_order_currency_and_instrument_given(exchange: Exchange) -> None:
    lot = LOT[exchange]
    needed = PRICES[exchange][0] * lot
    assert decide(command(exchange, quantity=lot), account=Funds(needed, ZERO)).quantity == lot
    assert refusal(command(exchange, quantity=lot), account=Funds(needed - 1, ZERO)).reason is Reason.INSUFFICIENT_CASH
    sell = command(exchange, side=Side.SELL, quantity=lot)
    assert decide(sell, account=holding(lot)).quantity == lot
    assert refusal(sell, account=holding(lot, 1)).reason is Reason.INSUFFICIENT_HOLDINGS


# ------------------------------------------------------------------------------------------------
# The check order: with every rule from the k-th on broken, the k-th rule answers
# ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    cmd: NewOrder
    account: Funds | Holding
    inst: Instrument | str | None = "default"
    session: SessionState | None = None


Break = tuple[str, dict[str, object], Reason]  # (rule, changes: "cmd.<field>" or a Case field, its refusal)


def _apply(case: Case, changes: dict[str, object]) -> Case:
    cmd_changes = {k.removeprefix("cmd."): v for k, v in changes.items() if k.startswith("cmd.")}
    others = {k: v for k, v in changes.items() if not k.startswith("cmd.")}
    return replace(case, cmd=case.cmd._replace(**cmd_changes), **others)  # type: ignore[arg-type]


CHAINS: dict[str, tuple[Case, list[Break]]] = {
    "us-real-buy": (Case(command(Exchange.NASD, Env.REAL, quantity=10), Funds(D("1000"), ZERO)), [
        ("instrument", {"inst": None}, Reason.UNKNOWN_SYMBOL),
        ("order type", {"cmd.order_type": "50"}, Reason.BAD_ORDER_TYPE),
        ("price", {"cmd.price": D("100.005")}, Reason.OFF_TICK),
        ("quantity", {"cmd.quantity": 0}, Reason.BAD_QUANTITY),
        ("session", {"session": ST.AFTER_CLOSE}, Reason.MARKET_CLOSED),
        ("cash", {"account": Funds(D("1000"), D("0.01"))}, Reason.INSUFFICIENT_CASH),
    ]),
    "us-real-sell": (Case(command(Exchange.NASD, Env.REAL, side=Side.SELL, quantity=10), holding(10)), [
        ("instrument", {"inst": None}, Reason.UNKNOWN_SYMBOL),
        ("order type", {"cmd.order_type": "50"}, Reason.BAD_ORDER_TYPE),
        ("price", {"cmd.price": D("0.005")}, Reason.PRICE_BELOW_MINIMUM),
        ("quantity", {"cmd.quantity": -10}, Reason.BAD_QUANTITY),
        ("session", {"session": ST.NON_TRADING_DAY}, Reason.MARKET_CLOSED),
        ("holdings", {"account": holding(10, 1)}, Reason.INSUFFICIENT_HOLDINGS),
    ]),
    "hk-mock-buy": (Case(command(Exchange.SEHK, Env.MOCK, quantity=100), Funds(D("30000"), ZERO)), [
        ("instrument", {"inst": None}, Reason.UNKNOWN_SYMBOL),
        ("order type", {"cmd.order_type": "34"}, Reason.BAD_ORDER_TYPE),
        ("price", {"cmd.price": D("300.1")}, Reason.OFF_TICK),
        ("lot", {"cmd.quantity": 150}, Reason.BAD_LOT),
        ("session", {"session": ST.BEFORE_OPEN}, Reason.BEFORE_OPEN),
        ("cash", {"account": NO_CASH}, Reason.INSUFFICIENT_CASH),
    ]),
    "hk-real-odd-lot-sell": (Case(command(Exchange.SEHK, Env.REAL, side=Side.SELL, order_type="50", quantity=50),
                                  holding(50)), [
        ("instrument", {"inst": None}, Reason.UNKNOWN_SYMBOL),
        ("price", {"cmd.price": D("0")}, Reason.PRICE_BELOW_MINIMUM),
        ("odd lot", {"cmd.quantity": 100}, Reason.BAD_LOT),
        ("session", {"session": ST.AFTER_MARKET}, Reason.MARKET_CLOSED),
        ("holdings", {"account": holding(40)}, Reason.INSUFFICIENT_HOLDINGS),
    ]),
    "vn-mock-sell": (Case(command(Exchange.VNSE, Env.MOCK, side=Side.SELL, quantity=100), holding(100)), [
        ("instrument", {"inst": None}, Reason.UNKNOWN_SYMBOL),
        ("order type", {"cmd.order_type": "00 "}, Reason.BAD_ORDER_TYPE),
        ("price", {"cmd.price": D("60050")}, Reason.OFF_TICK),
        ("quantity", {"cmd.quantity": 600_000}, Reason.BAD_QUANTITY),
        ("session", {"session": ST.AFTER_CLOSE}, Reason.AFTER_CLOSE),
        ("holdings", {"account": holding(0)}, Reason.INSUFFICIENT_HOLDINGS),
    ]),
}
CHAIN_CASES = [(name, k) for name, (_, breaks) in CHAINS.items() for k in range(len(breaks) + 1)]


@pytest.mark.parametrize(("chain", "first"), CHAIN_CASES,
                         ids=[f"{name}-{CHAINS[name][1][k][0] if k < len(CHAINS[name][1]) else 'none'}"
                              for name, k in CHAIN_CASES])
def test_the_first_failing_rule_answers(chain: str, first: int) -> None:
    case, breaks = CHAINS[chain]
    for _, changes, _ in breaks[first:]:
        case = _apply(case, changes)
    if first == len(breaks):
        assert decide(case.cmd, inst=case.inst, session=case.session, account=case.account).order_no == ORDER_NO
        return
    error = refusal(case.cmd, inst=case.inst, session=case.session, account=case.account)
    assert error.reason is breaks[first][2], breaks[first][0]


@pytest.mark.parametrize("chain", list(CHAINS))
def test_each_break_alone_is_refused_with_its_reason(chain: str) -> None:
    base, breaks = CHAINS[chain]
    for rule, changes, reason in breaks:
        case = _apply(base, changes)
        error = refusal(case.cmd, inst=case.inst, session=case.session, account=case.account)
        assert error.reason is reason, rule
