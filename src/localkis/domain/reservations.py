"""해외주식 예약주문 (order-resv, order-resv-ccnl): KIS's reception windows, the reservation record, and its
forwarding at the market's open through the very decision of the order API (REST-NEXT §2–§4).

At reception KIS checks no cash or holdings ("증거금 및 잔고 체크 없음"): only the order's own terms and
the window. At forwarding the reservation becomes an ordinary order through `place_order.decide`, or is
refused with that decision's reason, written on the reservation.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

from localkis.domain import place_order, revise_cancel
from localkis.domain.accounts import Funds, Holding
from localkis.domain.errors import BusinessError, Reason
from localkis.domain.hours import KST, NEW_YORK, MarketHours, SessionState, compact_date, local_date
from localkis.domain.instruments import Instrument
from localkis.domain.orders import NewOrder, Order, RevisionRequest
from localkis.domain.revise_cancel import Revision
from localkis.protocol.codes import BUSINESS
from localkis.protocol.env import Env
from localkis.protocol.exchanges import EXCHANGES, Exchange, Market
from localkis.protocol.orders import OrderType, RevisionKind, Side
from localkis.protocol.trids import tr_for_order, tr_for_revise_cancel


class ReservationStatus(StrEnum):
    """`ovrs_rsvn_ord_stat_cd`. KIS shows only 01 접수; the other values are localkis's (docs/behaviour.md)."""

    WAITING = "01"  # 접수: waiting for the open
    FORWARDED = "02"  # 전송: became an order (odno)
    REFUSED = "03"  # 거부: the order decision refused it at the open (nprc_rson_text)
    CANCELLED = "04"  # 취소: cancelled before the open (cncl_yn Y)


STATUS_NAMES: dict[ReservationStatus, str] = {
    ReservationStatus.WAITING: "접수", ReservationStatus.FORWARDED: "전송",
    ReservationStatus.REFUSED: "거부", ReservationStatus.CANCELLED: "취소",
}


class ReserveCommand(NamedTuple):
    """A new reservation as the API asks for it."""

    account: str
    env: Env
    exchange: Exchange
    symbol: str
    side: Side
    order_type: str  # ORD_DVSN
    quantity: int
    price: Decimal
    product_type: str  # PRDT_TYPE_CD ("" when not sent)


class Reservation(NamedTuple):
    number: str  # OVRS_RSVN_ODNO (answered as output.ODNO on the US TRs)
    account: str
    env: Env
    exchange: Exchange
    symbol: str
    side: Side
    order_type: str
    quantity: int
    price: Decimal
    product_type: str
    received_at: datetime
    receipt_date: str  # RSVN_ORD_RCIT_DT: the KST date of reception, YYYYMMDD
    forward_at: datetime  # when it is sent to the market
    status: ReservationStatus = ReservationStatus.WAITING
    order_no: str = ""  # the order it became
    order_date: str = ""  # that order's exchange-local date
    forwarded_at: datetime | None = None
    reason: str = ""  # why it was refused at the open
    expires_at: datetime | None = None  # a sent US reservation's order: cancelled if still open then


class ReservationQuery(NamedTuple):
    """A page of an account's reservations (order-resv-list)."""

    account: str
    exchanges: frozenset[Exchange] | None  # None: every exchange
    date_from: str  # receipt dates, YYYYMMDD, inclusive
    date_to: str
    after: str | None  # reservation-number cursor (exclusive)
    limit: int


# ORD_DVSN a reservation may carry (REST-NEXT §2): US buy limit/TWAP/VWAP, US sell also MOO; Asia limit only.
RESERVATION_ORDER_TYPES: dict[tuple[Market, Side], frozenset[str]] = {
    (Market.US, Side.BUY): frozenset({OrderType.LIMIT, OrderType.TWAP, OrderType.VWAP}),
    (Market.US, Side.SELL): frozenset({OrderType.LIMIT, OrderType.MOO, OrderType.TWAP, OrderType.VWAP}),
}
_LIMIT_ONLY = frozenset({OrderType.LIMIT.value})

# Asian reception windows (KST): (accepted from, accepted until, forwarded at) (REST-NEXT §2).
_t = time
ASIA_WINDOWS: dict[Market, tuple[tuple[time, time, time], ...]] = {
    Market.HK: ((_t(9, 0), _t(10, 20), _t(10, 30)), (_t(10, 40), _t(13, 50), _t(14, 0))),
    Market.SH: ((_t(9, 0), _t(10, 20), _t(10, 30)), (_t(10, 40), _t(13, 50), _t(14, 0))),
    Market.SZ: ((_t(9, 0), _t(10, 20), _t(10, 30)), (_t(10, 40), _t(13, 50), _t(14, 0))),
    Market.JP: ((_t(9, 10), _t(12, 20), _t(12, 30)),),
    Market.VN: ((_t(9, 0), _t(11, 0), _t(11, 15)), (_t(11, 20), _t(14, 50), _t(15, 0))),
}
# US (KST): 10:00 until 23:20, 22:20 while New York keeps summer time; closed 16:30-16:45 for KIS's settlement.
US_OPENS = _t(10, 0)
US_CLOSES = {False: _t(23, 20), True: _t(22, 20)}
US_BLACKOUT = (_t(16, 30), _t(16, 45))


def _closed(exchange: Exchange, now: datetime) -> BusinessError:
    return BusinessError(Reason.RESERVATION_CLOSED, f"{exchange.value} at {now.astimezone(KST):%Y-%m-%d %H:%M} KST")


def forward_time(exchange: Exchange, now: datetime, hours: MarketHours | None) -> datetime:
    """When a reservation received at `now` is sent to the market; `BusinessError` outside the market's
    reception window. `hours` None (market hours not enforced): every market is open, so at once."""
    if hours is None:
        return now
    market = EXCHANGES[exchange].market
    kst = now.astimezone(KST)
    clock = kst.time()
    if kst.weekday() >= 5:
        raise _closed(exchange, now)
    if market is Market.US:
        summer = bool(now.astimezone(NEW_YORK).dst())
        if not US_OPENS <= clock < US_CLOSES[summer] or US_BLACKOUT[0] <= clock < US_BLACKOUT[1]:
            raise _closed(exchange, now)
        return _next_regular_open(exchange, now, hours)
    if not hours.windows(exchange, local_date(exchange, now)):  # the market's holiday
        raise _closed(exchange, now)
    for start, end, forward in ASIA_WINDOWS[market]:
        if start <= clock < end:
            return datetime.combine(kst.date(), forward, KST)
    raise _closed(exchange, now)


def _next_regular_open(exchange: Exchange, now: datetime, hours: MarketHours) -> datetime:
    """The start of the first regular session after `now` (a US holiday moves it to the next session)."""
    day = local_date(exchange, now)
    for offset in range(15):
        for window in hours.windows(exchange, day + timedelta(days=offset)):
            if window.kind is SessionState.REGULAR and window.start > now:
                return window.start
    raise _closed(exchange, now)  # pragma: no cover - every market trades within two weeks


def decide(command: ReserveCommand, instrument: Instrument | None, *, number: str, now: datetime,
           forward_at: datetime, on: date) -> Reservation:
    """The reservation record, or a `BusinessError`: the order's own terms (symbol, order type, tick, lot)
    as the order API checks them, without session, cash or holdings (KIS checks those at forwarding)."""
    market = EXCHANGES[command.exchange].market
    if command.order_type not in RESERVATION_ORDER_TYPES.get((market, command.side), _LIMIT_ONLY):
        raise BusinessError(Reason.BAD_ORDER_TYPE, command.order_type)
    place_order.check_terms(as_order(command, ""), instrument, on, now)
    return Reservation(number, command.account, command.env, command.exchange, command.symbol, command.side,
                       command.order_type, command.quantity, command.price, command.product_type, now,
                       compact_date(now.astimezone(KST).date()), forward_at)


def as_order(reservation: ReserveCommand | Reservation, tr_id: str | None = None) -> NewOrder:
    """The order command a reservation stands for, under the market's regular order TR."""
    market = EXCHANGES[reservation.exchange].market
    return NewOrder(account=reservation.account, env=reservation.env, exchange=reservation.exchange,
                    symbol=reservation.symbol, side=reservation.side, order_type=reservation.order_type,
                    quantity=reservation.quantity, price=reservation.price,
                    tr_id=tr_id if tr_id is not None else tr_for_order(market, reservation.side, reservation.env))


def cancel(reservation: Reservation | None, account: str, receipt_date: str, now: datetime) -> Reservation:
    """The cancelled reservation; refused unless it is the account's, received on `receipt_date` and
    still waiting for the open."""
    if reservation is None or reservation.account != account or (
            receipt_date and reservation.receipt_date != receipt_date):
        raise BusinessError(Reason.RESERVATION_NOT_FOUND, receipt_date)
    if reservation.status is not ReservationStatus.WAITING:
        raise BusinessError(Reason.RESERVATION_NOT_WAITING, reservation.status.value)
    return reservation._replace(status=ReservationStatus.CANCELLED, forwarded_at=now)


def forward(reservation: Reservation, instrument: Instrument | None, session: SessionState | None, on: date,
            account: Funds | Holding, *, order_no: str, now: datetime, branch: str,
            closes_at: datetime | None = None) -> tuple[Reservation, Order | None]:
    """At the open: the order (through `place_order.decide`, exactly as if the order API had been called
    now) and the reservation marked sent; or, refused, no order and the refusal's text on the reservation.
    `closes_at`: the end of the session it is sent into; a US reservation's order still open then is
    cancelled (KIS: "미체결 예약주문은 미국 장 마감 후 자동 취소")."""
    try:
        order = place_order.decide(as_order(reservation), instrument, session, on, account, order_no=order_no,
                                   now=now, branch=branch)
    except BusinessError as refusal:
        text = BUSINESS[refusal.reason].for_env(reservation.env).text
        return reservation._replace(status=ReservationStatus.REFUSED, forwarded_at=now, reason=text), None
    expires = closes_at if EXCHANGES[reservation.exchange].market is Market.US else None
    return reservation._replace(status=ReservationStatus.FORWARDED, order_no=order.order_no,
                                order_date=compact_date(on), forwarded_at=now, expires_at=expires), order


def expire(reservation: Reservation, order: Order | None, *, order_no: str, now: datetime,
           branch: str) -> tuple[Reservation, Revision | None]:
    """After the close: the reservation's order, if something of it is still open, cancelled (a cancel
    record, as a cancel request would write); the reservation no longer waits for the close."""
    done = reservation._replace(expires_at=None)
    if order is None or not order.is_live:
        return done, None
    market = EXCHANGES[reservation.exchange].market
    request = RevisionRequest(RevisionKind.CANCEL, order.account, order.env, order.exchange, order.symbol,
                              order.order_no, 0, Decimal(0), tr_for_revise_cancel(market, order.env))
    return done, revise_cancel.act(order, request, order_no=order_no, now=now, branch=branch)
