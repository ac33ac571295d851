"""Market data derived from the store: the order book a quote or a stream shows.

The rule is `domain.book.synthetic_book` (synthetic depth around the last print, merged with the
resting limit orders of localkis's accounts); this module loads what it needs in O(levels) reads.
"""

from __future__ import annotations

from datetime import datetime

from localkis.domain.book import BookParams, BookSnapshot, Resting, synthetic_book
from localkis.domain.hours import local_date
from localkis.domain.instruments import Instrument
from localkis.protocol.orders import Side
from localkis.store.base import Transaction


def book_snapshot(tx: Transaction, instrument: Instrument, params: BookParams, now: datetime) -> BookSnapshot:
    """The instrument's book now: around its last print (its configured price before any print)."""
    exchange, symbol = instrument.exchange, instrument.symbol
    last = tx.last_trade(exchange, symbol)
    resting = [Resting(side, price, quantity) for side in (Side.BUY, Side.SELL)
               for price, quantity in tx.book_levels(exchange, symbol, side, params.levels)]
    return synthetic_book(exchange, last.price if last is not None else instrument.price, resting, params=params,
                          lot=instrument.board_lot, topix500=instrument.topix500, on=local_date(exchange, now))
