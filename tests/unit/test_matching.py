"""Crossing rules, partial fills, price-time priority, auction orders, cash and position rules."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from localkis.domain import accounts, matching
from localkis.domain.accounts import EMPTY_POSITION, Position
from localkis.domain.errors import BusinessError, Reason
from localkis.domain.orders import NewOrder, Order, RevisionKind, RevisionRequest, cancel, fill, place
from localkis.protocol.env import Env
from localkis.protocol.exchanges import Exchange
from localkis.protocol.trids import Side

D = Decimal
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


def order(no: int, side: Side, price: str, qty: int = 10, order_type: str = "00",
          exchange: Exchange = Exchange.NASD) -> Order:
    command = NewOrder(account="12345678-01", env=Env.REAL, exchange=exchange, symbol="AAPL", side=side,
                       order_type=order_type, quantity=qty, price=D(price), tr_id="TTTT1002U")
    return place(command, f"{no:010d}", NOW, "01790")


@pytest.mark.parametrize(("side", "limit", "trade", "crosses"), [
    (Side.BUY, "100.00", "99.99", True),
    (Side.BUY, "100.00", "100.00", True),
    (Side.BUY, "100.00", "100.01", False),
    (Side.SELL, "100.00", "100.01", True),
    (Side.SELL, "100.00", "100.00", True),
    (Side.SELL, "100.00", "99.99", False),
])
def test_a_limit_order_crosses_a_trade_at_or_through_its_limit(side: Side, limit: str, trade: str,
                                                                crosses: bool) -> None:
    assert matching.crosses(order(1, side, limit), D(trade)) is crosses


def test_resting_orders_fill_at_their_limit_in_price_then_time_priority() -> None:
    book = [order(3, Side.BUY, "100.00"), order(1, Side.BUY, "99.00"), order(2, Side.BUY, "100.00"),
            order(4, Side.BUY, "101.00")]
    fills = matching.on_print(book, D("99.50"), None)
    assert [(f.order.order_no[-1], f.quantity, f.price) for f in fills] == [
        ("4", 10, D("101.00")), ("2", 10, D("100.00")), ("3", 10, D("100.00"))]


def test_sell_priority_is_lowest_limit_first() -> None:
    book = [order(1, Side.SELL, "101.00"), order(2, Side.SELL, "100.00"), order(3, Side.SELL, "102.00")]
    fills = matching.on_print(book, D("101.50"), None)
    assert [f.order.order_no[-1] for f in fills] == ["2", "1"]


def test_a_trade_size_bounds_the_fills_and_the_last_one_is_partial() -> None:
    book = [order(1, Side.BUY, "100.00", qty=10), order(2, Side.BUY, "100.00", qty=10)]
    fills = matching.on_print(book, D("100.00"), 15)
    assert [(f.order.order_no[-1], f.quantity) for f in fills] == [("1", 10), ("2", 5)]
    assert matching.on_print(book, D("100.00"), 0) == []


def test_a_partly_filled_order_takes_only_what_is_open() -> None:
    partly = fill(order(1, Side.BUY, "100.00", qty=10), 7, D("100.00"))
    fills = matching.on_print([partly], D("99.00"), None)
    assert [(f.quantity, f.price) for f in fills] == [(3, D("100.00"))]


def test_an_order_crossing_the_last_trade_on_arrival_fills_at_the_trade_price() -> None:
    arrival = matching.on_arrival(order(1, Side.BUY, "101.00"), D("100.50"), None)
    assert arrival is not None and (arrival.quantity, arrival.price) == (10, D("100.50"))
    partial = matching.on_arrival(order(1, Side.BUY, "101.00"), D("100.50"), 4)
    assert partial is not None and partial.quantity == 4
    assert matching.on_arrival(order(1, Side.BUY, "100.00"), D("100.50"), None) is None


def test_auction_orders_never_trade_on_an_ordinary_print() -> None:
    book = [order(1, Side.SELL, "0", order_type="31"), order(2, Side.BUY, "101.00", order_type="32"),
            order(3, Side.SELL, "0", order_type="33"), order(4, Side.BUY, "101.00", order_type="34")]
    assert matching.on_print(book, D("100.00"), None) == []
    assert matching.on_arrival(book[1], D("100.00"), None) is None


def test_opening_auction_fills_moo_and_crossing_loo_at_the_first_price() -> None:
    moo = order(1, Side.SELL, "0", order_type="31")
    loo_in = order(2, Side.BUY, "101.00", order_type="32")
    loo_out = order(3, Side.BUY, "99.00", order_type="32")
    loc = order(4, Side.BUY, "101.00", order_type="34")
    fills = matching.opening_auction([moo, loo_in, loo_out, loc], D("100.00"))
    assert {(f.order.order_no[-1], f.price) for f in fills} == {("1", D("100.00")), ("2", D("100.00"))}


def test_closing_auction_fills_moc_and_crossing_loc_at_the_last_regular_price() -> None:
    moc = order(1, Side.SELL, "0", order_type="33")
    loc_in = order(2, Side.SELL, "99.00", order_type="34")
    loc_out = order(3, Side.SELL, "101.00", order_type="34")
    fills = matching.closing_auction([moc, loc_in, loc_out, order(4, Side.BUY, "101.00")], D("100.00"))
    assert {(f.order.order_no[-1], f.price) for f in fills} == {("1", D("100.00")), ("2", D("100.00"))}


def test_a_buy_reserves_limit_times_open_quantity_and_releases_it_when_done() -> None:
    buy = order(1, Side.BUY, "100.00", qty=10)
    assert accounts.reservation(buy) == D("1000.00")
    partly = fill(buy, 4, D("99.00"))
    assert accounts.reservation(partly) == D("600.00")
    request = RevisionRequest(RevisionKind.CANCEL, buy.account, Env.REAL, Exchange.NASD, "AAPL", buy.order_no, 0,
                              D(0), "TTTT1004U")
    cancelled, record = cancel(partly, request, "0000000009", NOW, "01790")
    assert accounts.reservation(cancelled) == 0 and accounts.reservation(record) == 0
    assert accounts.reservation(order(2, Side.SELL, "100.00")) == 0


def test_reservations_are_per_currency_and_pending_sells_count_open_quantity() -> None:
    live = [order(1, Side.BUY, "100.00", qty=2), order(2, Side.BUY, "50.00", qty=100, exchange=Exchange.SEHK),
            fill(order(3, Side.SELL, "100.00", qty=10), 3, D("100.00")), order(4, Side.SELL, "100.00", qty=5)]
    assert accounts.reserved_total(live, "USD") == D("200.00")
    assert accounts.reserved_total(live, "HKD") == D("5000.00")
    assert accounts.pending_sell_quantity(live) == 12


def test_buying_power_and_sellable_checks_raise_the_account_reasons() -> None:
    accounts.check_buying_power(D("100"), D("100"))
    with pytest.raises(BusinessError) as cash:
        accounts.check_buying_power(D("99.99"), D("100"))
    assert cash.value.reason is Reason.INSUFFICIENT_CASH
    accounts.check_sellable(10, 4, 6)
    with pytest.raises(BusinessError) as shares:
        accounts.check_sellable(10, 4, 7)
    assert shares.value.reason is Reason.INSUFFICIENT_HOLDINGS


def test_a_buy_revise_to_a_higher_price_needs_only_the_difference() -> None:
    buy = order(1, Side.BUY, "100.00", qty=10)
    assert accounts.extra_reservation_for_revise(buy, 4, D("101.00")) == D("4.00")
    assert accounts.extra_reservation_for_revise(buy, 4, D("99.00")) == 0
    assert accounts.extra_reservation_for_revise(order(2, Side.SELL, "100.00"), 4, D("200")) == 0


def test_positions_average_buys_and_keep_the_average_on_sells() -> None:
    pos = EMPTY_POSITION.after_buy(10, D("100")).after_buy(10, D("110"))
    assert pos == Position(20, D("105"))
    assert pos.after_sell(5) == Position(15, D("105"))
    assert pos.after_sell(20) == Position(0, D(0))
    with pytest.raises(AssertionError):
        pos.after_sell(21)
    assert accounts.cash_change(Side.BUY, 3, D("10.5")) == D("-31.5")
    assert accounts.cash_change(Side.SELL, 3, D("10.5")) == D("31.5")
