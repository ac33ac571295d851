"""Committed events as the records of KIS's real-time streams (no I/O): execution notices (H0GSCNI0/9),
trade prints with the day's running figures (HDFSCNT0) and books (HDFSASP0/1).

The frames themselves are `localkis.wire.realtime`'s; this module decides what goes in them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from localkis.domain import book as domain_book
from localkis.domain.hours import local_date
from localkis.engine.events import OrderEvent, OrderEventKind, PrintEvent
from localkis.protocol.exchanges import Exchange
from localkis.protocol.realtime import ORDER_KIND2_BY_ORD_DVSN, OrderKind2
from localkis.wire.realtime import BookLevel, BookSnapshot, ExecutionNotice, NoticeKind, TradePrint

_NOTICE_KIND: dict[OrderEventKind, NoticeKind] = {
    OrderEventKind.ACCEPTED: NoticeKind.ACCEPTED,
    OrderEventKind.REVISED: NoticeKind.REVISED,
    OrderEventKind.CANCELLED: NoticeKind.CANCELLED,
    OrderEventKind.REJECTED: NoticeKind.REJECTED,
    OrderEventKind.FILLED: NoticeKind.FILLED,
}


def notice_of(event: OrderEvent, hts_id: str, stock_name: str = "") -> ExecutionNotice:
    """The execution notice of one order event, for the subscriber whose tr_key is `hts_id`.

    ACNT_NO is the account's 8-digit CANO; ODER_NO the record's number (a revise's or cancel's own, with
    OODER_NO the order it acts on); a fill carries the order's quantity and the fill's quantity and price.
    """
    order = event.order
    filled = event.kind is OrderEventKind.FILLED
    return ExecutionNotice(
        kind=_NOTICE_KIND[event.kind], hts_id=hts_id, account=order.account.split("-")[0],
        order_no=order.order_no, original_no=order.original_no, side=order.side, symbol=order.symbol,
        exchange=order.exchange, quantity=order.quantity, price=order.price,
        filled_quantity=event.quantity if filled else 0, fill_price=event.price if filled else Decimal(0),
        order_kind=ORDER_KIND2_BY_ORD_DVSN.get(order.order_type, OrderKind2.LIMIT), time=event.at,
        branch=order.branch, stock_name=stock_name,
    )


@dataclass(frozen=True, slots=True)
class DayFigures:
    """An instrument's day on the tape right after one print."""

    on: date
    open: Decimal
    high: Decimal
    low: Decimal
    previous_close: Decimal
    volume: int  # this print's
    total_volume: int
    total_amount: Decimal
    sell_volume: int
    buy_volume: int


class Tape:
    """The day's running figures of each instrument, from the prints this process has seen.

    A new exchange-local date starts a new day whose previous close is the last print before it (the
    instrument's configured price if this process saw none). A print without a size (the unlimited kind)
    counts as one board lot. The tick rule splits volume: a print below the previous one counts as selling
    (BIVL), above it as buying (ASVL), at it as the previous print did.
    """

    def __init__(self) -> None:
        self._days: dict[tuple[Exchange, str], DayFigures] = {}
        self._last: dict[tuple[Exchange, str], tuple[Decimal, bool]] = {}  # price, and was it a sell

    def record(self, event: PrintEvent, *, lot: int, reference: Decimal) -> DayFigures:
        ident = (event.exchange, event.symbol)
        on = local_date(event.exchange, event.at)
        size = event.size if event.size is not None else lot
        last = self._last.get(ident)
        sell = last is not None and (event.price < last[0] or (event.price == last[0] and last[1]))
        day = self._days.get(ident)
        if day is None or day.on != on:
            previous = last[0] if last is not None else reference
            day = DayFigures(on, event.price, event.price, event.price, previous, 0, 0, Decimal(0), 0, 0)
        day = DayFigures(on, day.open, max(day.high, event.price), min(day.low, event.price), day.previous_close,
                         size, day.total_volume + size, day.total_amount + event.price * size,
                         day.sell_volume + (size if sell else 0), day.buy_volume + (0 if sell else size))
        self._days[ident] = day
        self._last[ident] = (event.price, sell)
        return day


def trade_print(key: str, event: PrintEvent, day: DayFigures, book: domain_book.BookSnapshot) -> TradePrint:
    """The HDFSCNT0 record of a print for the subscription `key`, with the book's touch."""
    bid, ask = book.best_bid, book.best_ask
    return TradePrint(
        key=key, time=event.at, business_date=day.on, last=event.price, volume=day.volume, open=day.open,
        high=day.high, low=day.low, previous_close=day.previous_close,
        bid=bid.price if bid else Decimal(0), ask=ask.price if ask else Decimal(0),
        bid_size=bid.size if bid else 0, ask_size=ask.size if ask else 0,
        total_volume=day.total_volume, total_amount=day.total_amount, sell_volume=day.sell_volume,
        buy_volume=day.buy_volume)


def book_record(key: str, book: domain_book.BookSnapshot, at: datetime,
                previous: BookSnapshot | None = None) -> BookSnapshot:
    """The HDFSASP0/1 record of a book; size changes (DBIDn/DASKn, BDVL/ADVL) against `previous`."""
    depth = max(len(book.bids), len(book.asks))
    levels: list[BookLevel] = []
    for n in range(depth):
        bid = book.bids[n] if n < len(book.bids) else None
        ask = book.asks[n] if n < len(book.asks) else None
        before = previous.levels[n] if previous is not None and n < len(previous.levels) else None
        bid_size, ask_size = bid.size if bid else 0, ask.size if ask else 0
        levels.append(BookLevel(
            bid=bid.price if bid else Decimal(0), ask=ask.price if ask else Decimal(0),
            bid_size=bid_size, ask_size=ask_size,
            bid_size_change=bid_size - before.bid_size if before else 0,
            ask_size_change=ask_size - before.ask_size if before else 0))
    bid_total, ask_total = book.bid_size, book.ask_size
    prior_bid = sum(v.bid_size for v in previous.levels) if previous is not None else bid_total
    prior_ask = sum(v.ask_size for v in previous.levels) if previous is not None else ask_total
    return BookSnapshot(key=key, time=at, levels=tuple(levels), bid_total=bid_total, ask_total=ask_total,
                        bid_total_change=bid_total - prior_bid, ask_total_change=ask_total - prior_ask)
