"""engine.streams: the tape's day figures, the notice of an order event and the book record's changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from localkis.domain.book import BookSnapshot, Level
from localkis.engine.events import OrderEvent, OrderEventKind, PrintEvent
from localkis.engine.streams import Tape, book_record, notice_of, trade_print
from localkis.protocol.exchanges import Exchange
from localkis.wire.realtime import NoticeKind
from tests.unit.builders import order

D = Decimal
T = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)  # 10:00 in New York


def _print(price: str, size: int | None, at: datetime = T) -> PrintEvent:
    return PrintEvent(Exchange.NASD, "AAPL", D(price), size, at)


def test_tape_day_figures_and_tick_rule() -> None:
    tape = Tape()
    first = tape.record(_print("100.00", 10), lot=1, reference=D("99.00"))
    assert (first.open, first.previous_close, first.total_volume, first.buy_volume) == (D("100.00"), D("99.00"),
                                                                                       10, 10)
    down = tape.record(_print("99.50", 5), lot=1, reference=D("99.00"))
    same = tape.record(_print("99.50", None), lot=7, reference=D("99.00"))  # no size: one board lot
    assert (down.sell_volume, same.sell_volume, same.volume, same.total_volume) == (5, 12, 7, 22)
    assert (same.high, same.low, same.total_amount) == (D("100.00"), D("99.50"), D("1000.00") + D("497.50")
                                                        + D("696.50"))
    next_day = tape.record(_print("101.00", 1, T + timedelta(days=1)), lot=1, reference=D("99.00"))
    assert (next_day.open, next_day.previous_close, next_day.total_volume) == (D("101.00"), D("99.50"), 1)


def test_trade_print_takes_the_touch_of_the_book() -> None:
    day = Tape().record(_print("100.00", 3), lot=1, reference=D("99.00"))
    book = BookSnapshot(bids=(Level(D("99.99"), 100),), asks=(Level(D("100.01"), 200),))
    record = trade_print("DNASAAPL", _print("100.00", 3), day, book)
    assert (record.bid, record.ask, record.bid_size, record.ask_size) == (D("99.99"), D("100.01"), 100, 200)


def test_book_record_changes_against_the_previous_frame() -> None:
    before = book_record("DNASAAPL", BookSnapshot(bids=(Level(D("99"), 100),), asks=(Level(D("101"), 50),)), T)
    after = book_record("DNASAAPL", BookSnapshot(bids=(Level(D("99"), 130),), asks=(Level(D("101"), 20),)), T,
                        before)
    level = after.levels[0]
    assert (level.bid_size_change, level.ask_size_change, after.bid_total_change, after.ask_total_change) == (
        30, -30, 30, -30)


def test_a_fill_notice_carries_the_fill_and_the_order_quantity() -> None:
    filled = order(quantity=10)._replace(filled=4, filled_amount=D("400"))
    notice = notice_of(OrderEvent(OrderEventKind.FILLED, filled, 4, D("100.00"), T), "hts", "애플")
    assert (notice.kind, notice.quantity, notice.filled_quantity, notice.fill_price) == (
        NoticeKind.FILLED, 10, 4, D("100.00"))
    assert notice.account == filled.account.split("-")[0] and notice.stock_name == "애플"
