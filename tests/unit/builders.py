"""Plain values for the domain tests: orders, commands, requests and instruments, one builder each.

Orders are built as records directly (not through `place_order.decide`), so a test of a later rule can
start from any record it needs, including ones no rule would accept today.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from localkis.domain.accounts import Funds, Holding, Position
from localkis.domain.errors import Reason
from localkis.domain.hours import SessionState
from localkis.domain.instruments import Instrument
from localkis.domain.orders import NewOrder, Order, OrderState, RevisionRequest
from localkis.protocol.env import Env
from localkis.protocol.exchanges import EXCHANGES, Exchange
from localkis.protocol.orders import OrderKind, RevisionKind, Side
from localkis.protocol.trids import tr_for_order, tr_for_revise_cancel

D = Decimal
ZERO = D(0)
T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
T1 = T0 + timedelta(minutes=5)
ON = date(2026, 3, 2)  # the exchange-local date whose tick tables apply
ACCOUNT = "12345678-01"
OTHER_ACCOUNT = "87654321-01"
BRANCH = "01790"
ORIGINAL_NO = "0000000001"
NEW_NO = "0000000002"

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
# A positive price that is not on the exchange's tick grid near PRICES.
OFF_TICK = {
    Exchange.NASD: D("100.005"), Exchange.NYSE: D("60.101"), Exchange.AMEX: D("500.0001"),
    Exchange.SEHK: D("300.1"), Exchange.SHAA: D("1700.001"), Exchange.SZAA: D("11.505"),
    Exchange.TKSE: D("2500.5"), Exchange.HASE: D("10050"), Exchange.VNSE: D("60050"),
}
# The board lot each exchange uses when the instrument does not give one.
LOT = {
    Exchange.NASD: 1, Exchange.NYSE: 1, Exchange.AMEX: 1, Exchange.SEHK: 100, Exchange.SHAA: 100,
    Exchange.SZAA: 100, Exchange.TKSE: 100, Exchange.HASE: 100, Exchange.VNSE: 100,
}
REVISABLE = frozenset({Exchange.NASD, Exchange.NYSE, Exchange.AMEX, Exchange.SEHK, Exchange.TKSE})
CANCEL_ONLY = frozenset({Exchange.SHAA, Exchange.SZAA, Exchange.HASE, Exchange.VNSE})
US = frozenset({Exchange.NASD, Exchange.NYSE, Exchange.AMEX})

PLENTY = Funds(D("1e15"), ZERO)  # more than any order of these tests costs
NO_CASH = Funds(ZERO, ZERO)


def holding(quantity: int, pending_sells: int = 0) -> Holding:
    return Holding(Position(quantity, D("1") if quantity else ZERO), pending_sells)


PLENTY_HELD = holding(10_000_000)


def instrument(exchange: Exchange = Exchange.NASD, symbol: str | None = None, *, lot_size: int | None = None,
               topix500: bool = False) -> Instrument:
    return Instrument(exchange=exchange, symbol=SYMBOL[exchange] if symbol is None else symbol, name="테스트",
                      price=PRICES[exchange][0], lot_size=lot_size, topix500=topix500)


def command(exchange: Exchange = Exchange.NASD, env: Env = Env.REAL, *, side: Side = Side.BUY,
            order_type: str = "00", quantity: int | None = None, price: D | None = None,
            account: str = ACCOUNT, symbol: str | None = None, manager_order_no: str = "") -> NewOrder:
    """A new-order command that every rule accepts unless told otherwise (one board lot, on tick)."""
    return NewOrder(account=account, env=env, exchange=exchange, symbol=SYMBOL[exchange] if symbol is None else symbol,
                    side=side, order_type=order_type, quantity=LOT[exchange] if quantity is None else quantity,
                    price=PRICES[exchange][0] if price is None else price,
                    tr_id=tr_for_order(EXCHANGES[exchange].market, side, env), manager_order_no=manager_order_no)


def order(exchange: Exchange = Exchange.NASD, env: Env = Env.REAL, *, quantity: int = 10, price: D | None = None,
          order_type: str = "00", side: Side = Side.BUY, order_no: str = ORIGINAL_NO, account: str = ACCOUNT,
          symbol: str | None = None, created_at: datetime = T0) -> Order:
    """An open new-order record, as if accepted at T0."""
    return Order(order_no=order_no, original_no="", kind=OrderKind.NEW, account=account, env=env,
                 exchange=exchange, symbol=SYMBOL[exchange] if symbol is None else symbol, side=side,
                 order_type=order_type, quantity=quantity, price=PRICES[exchange][0] if price is None else price,
                 created_at=created_at, tr_id=tr_for_order(EXCHANGES[exchange].market, side, env), branch=BRANCH,
                 state=OrderState.OPEN)


def cancel_record(original: Order, quantity: int, order_no: str = NEW_NO) -> Order:
    """The confirmation record of a cancel of `quantity` of `original`."""
    return original._replace(order_no=order_no, original_no=original.order_no, kind=OrderKind.CANCEL,
                             quantity=quantity, state=OrderState.CONFIRMED, filled=0, filled_amount=ZERO,
                             cancelled=0, revised_away=0, created_at=T1)


def request(target: Order, kind: RevisionKind, quantity: int = 0, price: D = ZERO,
            **override: object) -> RevisionRequest:
    """A revise/cancel of `target` from its own account, environment, exchange and symbol."""
    fields: dict[str, object] = dict(
        kind=kind, account=target.account, env=target.env, exchange=target.exchange, symbol=target.symbol,
        original_no=target.order_no, quantity=quantity, price=price,
        tr_id=tr_for_revise_cancel(EXCHANGES[target.exchange].market, target.env))
    fields.update(override)
    return RevisionRequest(**fields)  # type: ignore[arg-type]


def expected_session_reason(exchange: Exchange, env: Env, state: SessionState) -> Reason | None:
    """Why an order or revise/cancel is refused in session `state`: real answers one code (and takes
    US pre- and after-market orders); the mock tells before-open, after-close and holidays apart."""
    if state is SessionState.REGULAR:
        return None
    if env is Env.REAL:
        if exchange in US and state in (SessionState.PRE_MARKET, SessionState.AFTER_MARKET):
            return None
        return Reason.MARKET_CLOSED
    return {
        SessionState.PRE_MARKET: Reason.BEFORE_OPEN, SessionState.BEFORE_OPEN: Reason.BEFORE_OPEN,
        SessionState.AFTER_MARKET: Reason.AFTER_CLOSE, SessionState.AFTER_CLOSE: Reason.AFTER_CLOSE,
        SessionState.NON_TRADING_DAY: Reason.NON_TRADING_DAY,
    }[state]
