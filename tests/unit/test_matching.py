"""Crossing rules, partial fills, price-time priority, auction orders, cash and position rules."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from localkis.domain import accounts, matching, revise_cancel
from localkis.domain.accounts import EMPTY_POSITION, NO_FUNDS, NO_HOLDING, Funds, Holding, Holds, Position
from localkis.domain.errors import BusinessError, Reason
from localkis.domain.orders import FillError, Order, fill
from localkis.protocol.exchanges import Exchange
from localkis.protocol.orders import RevisionKind, Side
from tests.unit import builders

D = Decimal
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


def order(no: int, side: Side, price: str, qty: int = 10, order_type: str = "00",
          exchange: Exchange = Exchange.NASD) -> Order:
    return builders.order(exchange, side=side, price=D(price), quantity=qty, order_type=order_type,
                          order_no=f"{no:010d}", symbol="AAPL", created_at=NOW)


def cancel_all(target: Order) -> revise_cancel.Revision:
    return revise_cancel.decide(builders.request(target, RevisionKind.CANCEL), builders.instrument(target.exchange),
                                None, NOW.date(), target, None, order_no="0000000009", now=NOW, branch="01790")


def revise_all(target: Order, price: str, funds: Funds | None) -> revise_cancel.Revision:
    return revise_cancel.decide(builders.request(target, RevisionKind.REVISE, 0, D(price)),
                                builders.instrument(target.exchange), None, NOW.date(), target, funds,
                                order_no="0000000009", now=NOW, branch="01790")


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
    assert accounts.holds(buy) == Holds(D("1000.00"), 0)
    partly = fill(buy, 4, D("99.00"))
    assert accounts.holds(partly) == Holds(D("600.00"), 0)
    cancelled, record = cancel_all(partly)
    assert accounts.holds(cancelled) == accounts.holds(record) == accounts.NOTHING_HELD
    assert accounts.holds(order(2, Side.SELL, "100.00")).cash == 0


def test_a_sell_holds_its_open_quantity_of_shares_until_done() -> None:
    sell = order(1, Side.SELL, "100.00", qty=10)
    assert accounts.holds(sell) == Holds(D(0), 10)
    partly = fill(sell, 3, D("100.00"))
    assert accounts.holds(partly) == Holds(D(0), 7)
    cancelled, record = cancel_all(partly)
    assert accounts.holds(cancelled) == accounts.holds(record) == accounts.NOTHING_HELD
    assert accounts.holds(fill(sell, 10, D("100.00"))) == accounts.NOTHING_HELD


def test_reservations_are_per_currency_and_pending_sells_count_open_quantity() -> None:
    live = [order(1, Side.BUY, "100.00", qty=2), order(2, Side.BUY, "50.00", qty=100, exchange=Exchange.SEHK),
            fill(order(3, Side.SELL, "100.00", qty=10), 3, D("100.00")), order(4, Side.SELL, "100.00", qty=5)]

    def reserved(currency: str) -> Decimal:
        return sum((accounts.holds(o).cash for o in live if accounts.currency_of(o) == currency), D(0))

    assert reserved("USD") == D("200.00")
    assert reserved("HKD") == D("5000.00")
    assert sum(accounts.holds(o).shares for o in live) == 12


def test_available_cash_and_sellable_shares() -> None:
    assert Funds(D("1000"), D("400")).available == D("600")
    assert NO_FUNDS.available == 0
    assert Holding(Position(10, D("5")), 4).sellable == 6
    assert NO_HOLDING.sellable == 0


def test_buying_power_and_sellable_checks_raise_the_account_reasons() -> None:
    accounts.check_buying_power(D("100"), D("100"))
    with pytest.raises(BusinessError) as cash:
        accounts.check_buying_power(D("99.99"), D("100"))
    assert cash.value.reason is Reason.INSUFFICIENT_CASH
    accounts.check_sellable(Holding(Position(10, D("1")), 4), 6)
    with pytest.raises(BusinessError) as shares:
        accounts.check_sellable(Holding(Position(10, D("1")), 4), 7)
    assert shares.value.reason is Reason.INSUFFICIENT_HOLDINGS


def test_a_buy_revise_to_a_higher_price_needs_only_the_difference() -> None:
    buy = order(1, Side.BUY, "100.00", qty=4)
    assert revise_all(buy, "101.00", Funds(D("4.00"), D(0))).record.price == D("101.00")
    with pytest.raises(BusinessError) as short:
        revise_all(buy, "101.00", Funds(D("3.99"), D(0)))
    assert short.value.reason is Reason.INSUFFICIENT_CASH
    assert revise_all(buy, "99.00", NO_FUNDS).record.price == D("99.00")
    assert revise_all(order(2, Side.SELL, "100.00"), "200", NO_FUNDS).record.price == D("200")


def test_positions_average_buys_and_keep_the_average_on_sells() -> None:
    pos = EMPTY_POSITION.after_buy(10, D("100")).after_buy(10, D("110"))
    assert pos == Position(20, D("105"))
    assert pos.after_sell(5) == Position(15, D("105"))
    assert pos.after_sell(20) == Position(0, D(0))
    with pytest.raises(AssertionError):
        pos.after_sell(21)


def test_a_fill_settles_cash_and_position() -> None:
    bought = accounts.settle(order(1, Side.BUY, "10.50", qty=3), 3, D("10.5"), Position(3, D("9.5")))
    assert bought == accounts.Settlement(D("-31.5"), Position(6, D("10")))
    sold = accounts.settle(order(2, Side.SELL, "10.50", qty=3), 3, D("10.5"), Position(5, D("9.5")))
    assert sold == accounts.Settlement(D("31.5"), Position(2, D("9.5")))
    with pytest.raises(FillError):
        accounts.settle(order(3, Side.SELL, "10.50", qty=3), 3, D("10.5"), Position(2, D("9.5")))
