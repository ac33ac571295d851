"""Why KIS rejects an order or a revise/cancel: the domain raises these, the wire maps them to codes."""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    # order entry
    UNKNOWN_SYMBOL = "unknown_symbol"
    PRICE_BELOW_MINIMUM = "price_below_minimum"
    OFF_TICK = "off_tick"
    BAD_LOT = "bad_lot"
    BAD_QUANTITY = "bad_quantity"
    BAD_ORDER_TYPE = "bad_order_type"  # ORD_DVSN not offered for this TR / environment
    # hours
    MARKET_CLOSED = "market_closed"  # real: APBK0918
    BEFORE_OPEN = "before_open"  # mock: 40570000
    AFTER_CLOSE = "after_close"  # mock: 장종료
    NON_TRADING_DAY = "non_trading_day"  # mock: 40100000
    # revise / cancel
    ORIGINAL_NOT_FOUND = "original_not_found"
    NOTHING_LEFT = "nothing_left"
    SAME_PRICE = "same_price"
    REVISE_NOT_ALLOWED = "revise_not_allowed"  # cancel-only markets
    ORDER_NOT_REVISABLE = "order_not_revisable"  # e.g. TWAP/VWAP
    BAD_REVISE_CANCEL_CODE = "bad_revise_cancel_code"
    # accounts
    INSUFFICIENT_CASH = "insufficient_cash"
    INSUFFICIENT_HOLDINGS = "insufficient_holdings"
    # reservations (예약주문)
    RESERVATION_CLOSED = "reservation_closed"  # outside the market's reservation window
    RESERVATION_NOT_FOUND = "reservation_not_found"
    RESERVATION_NOT_WAITING = "reservation_not_waiting"  # already forwarded, refused or cancelled
    # US daytime trading (주간거래)
    DAYTIME_CLOSED = "daytime_closed"  # outside 10:00-18:00 KST: APBK1664 (python-kis)
    DAYTIME_ONLY = "daytime_only"  # a daytime order at the regular revise endpoint: APBK0918 (python-kis)
    NOT_DAYTIME_ORDER = "not_daytime_order"  # a regular order at the daytime revise endpoint
