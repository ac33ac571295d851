"""해외주식 미국주간주문 / 미국주간정정취소 (daytime-order, daytime-order-rvsecncl): KIS's US daytime session
(주간거래), 10:00-18:00 KST in both DST states, for the instruments marked `daytime` (REST-NEXT §5–§6).

A daytime order is an ordinary limit order in the book (fills, inquiries); its TR ID marks it, and it is
revised and cancelled only through the daytime endpoint. Everything else is the order API's and the
revise/cancel API's own decision, called without their regular-session check.
"""

from __future__ import annotations

from datetime import date, datetime, time

from localkis.domain import place_order, revise_cancel
from localkis.domain.accounts import Funds, Holding
from localkis.domain.errors import BusinessError, Reason
from localkis.domain.hours import KST, MarketHours
from localkis.domain.instruments import Instrument
from localkis.domain.orders import NewOrder, Order, RevisionRequest
from localkis.domain.revise_cancel import Revision
from localkis.protocol.exchanges import Exchange
from localkis.protocol.orders import OrderType
from localkis.protocol.trids import DAYTIME_TR_IDS

OPENS, CLOSES = time(10, 0), time(18, 0)  # KST, the same in US summer time


def check_window(exchange: Exchange, now: datetime, hours: MarketHours | None) -> None:
    """Raise unless `now` is in the daytime session: 10:00-18:00 KST on a KST weekday whose New York
    date is a US trading day (the session ahead of that night's). `hours` None: hours not enforced."""
    if hours is None:
        return
    kst = now.astimezone(KST)
    if kst.weekday() >= 5 or not OPENS <= kst.time() < CLOSES or not hours.windows(exchange, kst.date()):
        raise BusinessError(Reason.DAYTIME_CLOSED, f"{kst:%Y-%m-%d %H:%M} KST")


def _eligible(instrument: Instrument | None, exchange: Exchange, symbol: str) -> Instrument:
    # python-kis reads APBK0656 (no such symbol) for a symbol not traded in the daytime session.
    if instrument is None or not instrument.daytime:
        raise BusinessError(Reason.UNKNOWN_SYMBOL, f"{exchange.value} {symbol}: not a daytime instrument")
    return instrument


def decide(command: NewOrder, instrument: Instrument | None, hours: MarketHours | None, on: date,
           account: Funds | Holding, *, order_no: str, now: datetime, branch: str) -> Order:
    """The daytime order (limit only), or a `BusinessError`."""
    eligible = _eligible(instrument, command.exchange, command.symbol)
    if command.order_type != OrderType.LIMIT:
        raise BusinessError(Reason.BAD_ORDER_TYPE, f"daytime orders are limit orders: {command.order_type}")
    check_window(command.exchange, now, hours)
    return place_order.decide(command, eligible, None, on, account, order_no=order_no, now=now, branch=branch)


def decide_revision(request: RevisionRequest, instrument: Instrument | None, hours: MarketHours | None, on: date,
                    original: Order | None, funds: Funds | None, *, order_no: str, now: datetime,
                    branch: str) -> Revision:
    """A revise or cancel of a daytime order at the daytime endpoint; a regular order is not found there."""
    eligible = _eligible(instrument, request.exchange, request.symbol)
    check_window(request.exchange, now, hours)
    if original is not None and original.tr_id not in DAYTIME_TR_IDS:
        raise BusinessError(Reason.NOT_DAYTIME_ORDER, original.order_no)
    return revise_cancel.decide(request, eligible, None, on, original, funds, order_no=order_no, now=now,
                                branch=branch)
