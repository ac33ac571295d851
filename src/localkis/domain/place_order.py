"""해외주식 주문 (order): every rule that accepts or refuses a new order, as one pure decision.

Checked in this order (the first failure is the answer): a known instrument; the order type for the market, side and
environment; price on the tick grid (market-price types carry none); quantity and lot; the session;
buying power (a buy) or sellable shares (a sell).
"""

from __future__ import annotations

from datetime import date, datetime

from localkis.domain import markets
from localkis.domain.accounts import Funds, Holding, check_buying_power, check_sellable
from localkis.domain.errors import BusinessError, Reason
from localkis.domain.hours import SessionState, check_open
from localkis.domain.instruments import Instrument
from localkis.domain.orders import NewOrder, Order
from localkis.protocol.exchanges import EXCHANGES
from localkis.protocol.orders import MARKET_PRICE_TYPES, OrderKind, OrderType, Side, allowed_order_types


def _check_terms(command: NewOrder, instrument: Instrument | None, session: SessionState | None, on: date,
                 now: datetime) -> Instrument:
    """Everything that depends on the order and the market alone."""
    if instrument is None:
        raise BusinessError(Reason.UNKNOWN_SYMBOL, f"{command.exchange.value} {command.symbol}")
    market = EXCHANGES[command.exchange].market
    if command.order_type not in allowed_order_types(market, command.side, command.env):
        raise BusinessError(Reason.BAD_ORDER_TYPE, command.order_type)
    if command.order_type not in MARKET_PRICE_TYPES:
        markets.check_price(command.exchange, command.price, topix500=instrument.topix500, on=on)
    lot = instrument.board_lot
    if command.order_type == OrderType.ODD_LOT:
        # HK odd-lot sell (단주지정가): only a remainder smaller than one board lot.
        if not 0 < command.quantity < lot:
            raise BusinessError(Reason.BAD_LOT, f"odd-lot sell of {command.quantity} with lot {lot}")
    else:
        markets.check_quantity(command.exchange, command.side is Side.BUY, command.quantity, lot)
    if session is not None:
        check_open(command.exchange, session, command.env, now)
    return instrument


def decide(command: NewOrder, instrument: Instrument | None, session: SessionState | None, on: date,
           account: Funds | Holding, *, order_no: str, now: datetime, branch: str) -> Order:
    """The new order record, or a `BusinessError`.

    `instrument` None: the symbol is unknown; `session` None: hours are not enforced; `on` is the
    exchange-local date (its tick table applies). `account` is what the side needs: the account's funds
    in the order's currency for a buy, its holding of the instrument for a sell."""
    _check_terms(command, instrument, session, on, now)
    if command.side is Side.BUY:
        assert isinstance(account, Funds), "a buy is checked against the account's funds"
        check_buying_power(account.available, command.price * command.quantity)
    else:
        assert isinstance(account, Holding), "a sell is checked against the account's holding"
        check_sellable(account, command.quantity)
    return record(command, order_no, now, branch)


def record(command: NewOrder, order_no: str, now: datetime, branch: str) -> Order:
    """The order record of an accepted command."""
    return Order(order_no=order_no, original_no="", kind=OrderKind.NEW, account=command.account,
                 env=command.env, exchange=command.exchange, symbol=command.symbol, side=command.side,
                 order_type=command.order_type, quantity=command.quantity, price=command.price,
                 created_at=now, tr_id=command.tr_id, branch=branch, manager_order_no=command.manager_order_no)


def check_terms(command: NewOrder, instrument: Instrument | None, on: date, now: datetime) -> Instrument:
    """The checks that need neither the session nor the account: a reservation's at reception (it is
    checked again in full by `decide` when it is forwarded at the open)."""
    return _check_terms(command, instrument, None, on, now)
