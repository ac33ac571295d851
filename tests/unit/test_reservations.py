"""The reservation rules (domain/reservations.py): reception windows, terms, cancel, forwarding."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from localkis.domain import reservations
from localkis.domain.accounts import Funds, Holding, Position
from localkis.domain.errors import BusinessError, Reason
from localkis.domain.hours import MarketHours, SessionState
from localkis.domain.instruments import Instrument
from localkis.domain.orders import OrderState
from localkis.domain.reservations import ReservationStatus, ReserveCommand
from localkis.protocol.env import Env
from localkis.protocol.exchanges import Exchange
from localkis.protocol.orders import Side

AAPL = Instrument(Exchange.NASD, "AAPL", "애플", Decimal("190.00"))


@pytest.fixture(scope="module")
def hours() -> MarketHours:
    return MarketHours(date(2026, 7, 1), date(2026, 12, 31))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text + "+09:00")


def command(**kw: object) -> ReserveCommand:
    base: dict[str, object] = dict(account="12345678-01", env=Env.REAL, exchange=Exchange.NASD, symbol="AAPL",
                                   side=Side.BUY, order_type="00", quantity=10, price=Decimal("190.00"),
                                   product_type="")
    base.update(kw)
    return ReserveCommand(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(("moment", "forward"), [
    ("2026-11-24T10:00:00", "2026-11-24T23:30:00"),
    ("2026-11-24T23:19:00", "2026-11-24T23:30:00"),
    ("2026-07-14T22:19:00", "2026-07-14T22:30:00"),  # summer time
    ("2026-11-26T10:00:00", "2026-11-27T23:30:00"),  # Thanksgiving (Thu 26th) moves it to Friday
    ("2026-11-27T12:00:00", "2026-11-27T23:30:00"),  # Friday's early-close session still opens at 09:30
])
def test_us_forward_time(hours: MarketHours, moment: str, forward: str) -> None:
    assert reservations.forward_time(Exchange.NASD, at(moment), hours) == at(forward)


@pytest.mark.parametrize("moment", ["2026-11-24T09:59:59", "2026-11-24T16:30:00", "2026-11-24T16:44:59",
                                    "2026-11-24T23:20:00", "2026-07-14T22:20:00", "2026-11-28T11:00:00"])
def test_us_window_closed(hours: MarketHours, moment: str) -> None:
    with pytest.raises(BusinessError) as err:
        reservations.forward_time(Exchange.NASD, at(moment), hours)
    assert err.value.reason is Reason.RESERVATION_CLOSED


@pytest.mark.parametrize(("exchange", "moment", "forward"), [
    (Exchange.SEHK, "2026-11-24T09:00:00", "2026-11-24T10:30:00"),
    (Exchange.SEHK, "2026-11-24T13:49:00", "2026-11-24T14:00:00"),
    (Exchange.SHAA, "2026-11-24T10:40:00", "2026-11-24T14:00:00"),
    (Exchange.TKSE, "2026-11-24T09:10:00", "2026-11-24T12:30:00"),
    (Exchange.VNSE, "2026-11-24T11:20:00", "2026-11-24T15:00:00"),
    (Exchange.HASE, "2026-11-24T10:59:00", "2026-11-24T11:15:00"),
])
def test_asia_forward_time(hours: MarketHours, exchange: Exchange, moment: str, forward: str) -> None:
    assert reservations.forward_time(exchange, at(moment), hours) == at(forward)


@pytest.mark.parametrize(("exchange", "moment"), [
    (Exchange.SEHK, "2026-11-24T10:20:00"),  # HK's break between its two windows
    (Exchange.TKSE, "2026-11-24T09:09:59"),
    (Exchange.TKSE, "2026-11-23T10:00:00"),  # a Japanese holiday
    (Exchange.VNSE, "2026-11-24T14:50:00"),
])
def test_asia_window_closed(hours: MarketHours, exchange: Exchange, moment: str) -> None:
    with pytest.raises(BusinessError) as err:
        reservations.forward_time(exchange, at(moment), hours)
    assert err.value.reason is Reason.RESERVATION_CLOSED


def test_hours_not_enforced_forwards_at_once() -> None:
    now = at("2026-11-28T03:00:00")
    assert reservations.forward_time(Exchange.NASD, now, None) == now


def test_decide_checks_terms_not_money() -> None:
    now = at("2026-11-24T10:00:00")
    r = reservations.decide(command(quantity=10**6), AAPL, number="0000000001", now=now, forward_at=now,
                            on=date(2026, 11, 23))
    assert (r.status, r.receipt_date, r.order_no) == (ReservationStatus.WAITING, "20261124", "")
    for bad, reason in ((command(symbol="NOPE"), Reason.UNKNOWN_SYMBOL),
                        (command(price=Decimal("190.001")), Reason.OFF_TICK),
                        (command(order_type="31"), Reason.BAD_ORDER_TYPE),
                        (command(order_type="32", side=Side.SELL), Reason.BAD_ORDER_TYPE)):
        with pytest.raises(BusinessError) as err:
            reservations.decide(bad, AAPL if bad.symbol == "AAPL" else None, number="1", now=now,
                                forward_at=now, on=date(2026, 11, 23))
        assert err.value.reason is reason


def test_cancel_rules() -> None:
    now = at("2026-11-24T10:00:00")
    r = reservations.decide(command(), AAPL, number="0000000001", now=now, forward_at=now, on=date(2026, 11, 23))
    assert reservations.cancel(r, r.account, "20261124", now).status is ReservationStatus.CANCELLED
    for found, account, day, reason in ((None, r.account, "", Reason.RESERVATION_NOT_FOUND),
                                        (r, "99999999-01", "", Reason.RESERVATION_NOT_FOUND),
                                        (r, r.account, "20261123", Reason.RESERVATION_NOT_FOUND),
                                        (r._replace(status=ReservationStatus.FORWARDED), r.account, "",
                                         Reason.RESERVATION_NOT_WAITING)):
        with pytest.raises(BusinessError) as err:
            reservations.cancel(found, account, day, now)
        assert err.value.reason is reason


def test_forward_through_the_order_decision() -> None:
    now = at("2026-11-24T10:00:00")
    r = reservations.decide(command(), AAPL, number="0000000001", now=now, forward_at=now, on=date(2026, 11, 23))
    opened = at("2026-11-24T23:30:00")
    funds = Funds(Decimal(5000), Decimal(0))
    sent, order = reservations.forward(r, AAPL, SessionState.REGULAR, date(2026, 11, 24), funds,
                                       order_no="0000000002", now=opened, branch="01790")
    assert order is not None and order.tr_id == "TTTT1002U" and order.quantity == 10
    assert (sent.status, sent.order_no, sent.order_date, sent.forwarded_at) == (
        ReservationStatus.FORWARDED, "0000000002", "20261124", opened)
    refused, none = reservations.forward(r, AAPL, SessionState.REGULAR, date(2026, 11, 24),
                                         Funds(Decimal(100), Decimal(0)), order_no="3", now=opened, branch="01790")
    assert none is None and refused.status is ReservationStatus.REFUSED
    assert refused.reason == "주문가능금액을 초과 했습니다"
    closed, _ = reservations.forward(r._replace(side=Side.SELL), AAPL, SessionState.AFTER_CLOSE, date(2026, 11, 24),
                                     Holding(Position(100, Decimal(1)), 0), order_no="4", now=opened, branch="01790")
    assert closed.status is ReservationStatus.REFUSED and closed.reason.startswith("장운영시간이 아닙니다")


def test_a_us_order_still_open_at_the_close_is_cancelled() -> None:
    now = at("2026-11-24T10:00:00")
    r = reservations.decide(command(), AAPL, number="0000000001", now=now, forward_at=now, on=date(2026, 11, 23))
    opened, closes = at("2026-11-24T23:30:00"), at("2026-11-25T06:00:00")
    sent, order = reservations.forward(r, AAPL, SessionState.REGULAR, date(2026, 11, 24),
                                       Funds(Decimal(5000), Decimal(0)), order_no="0000000002", now=opened,
                                       branch="01790", closes_at=closes)
    assert sent.expires_at == closes and order is not None
    done, revision = reservations.expire(sent, order, order_no="0000000003", now=closes, branch="01790")
    assert done.expires_at is None and done.status is ReservationStatus.FORWARDED
    assert revision is not None and revision.original.cancelled == 10 and revision.record.tr_id == "TTTT1004U"
    filled = order._replace(state=OrderState.FILLED, filled=10, filled_amount=Decimal(1900))
    assert reservations.expire(sent, filled, order_no="4", now=closes, branch="01790") == (done, None)
    # Asian reservations are not cancelled at the close.
    jp = r._replace(exchange=Exchange.TKSE, symbol="7203")
    toyota = Instrument(Exchange.TKSE, "7203", "도요타", Decimal(2500))
    jp_sent, _ = reservations.forward(jp._replace(price=Decimal(2500), quantity=100), toyota, SessionState.REGULAR,
                                      date(2026, 11, 24), Funds(Decimal(10**9), Decimal(0)), order_no="5",
                                      now=opened, branch="01790", closes_at=closes)
    assert jp_sent.expires_at is None
