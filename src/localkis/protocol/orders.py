"""KIS's order vocabulary as data: sides, order types (`ORD_DVSN`), record kinds (PROTOCOL §4–§7)."""

from __future__ import annotations

from enum import StrEnum

from localkis.protocol.env import ENV_RULES, Env
from localkis.protocol.exchanges import Market


class Side(StrEnum):
    SELL = "01"  # KIS sll_buy_dvsn_cd
    BUY = "02"


class OrderType(StrEnum):
    """`ORD_DVSN` of overseas orders. KIS's mock accepts LIMIT only."""

    LIMIT = "00"  # 지정가
    MOO = "31"  # 장개시시장가 (US sell)
    LOO = "32"  # 장개시지정가 (US)
    MOC = "33"  # 장마감시장가 (US sell)
    LOC = "34"  # 장마감지정가 (US)
    TWAP = "35"  # US, real only; cannot be revised
    VWAP = "36"
    ODD_LOT = "50"  # 단주지정가 (HK sell, fewer shares than a board lot)


class OrderKind(StrEnum):
    """What an order record is; the value is KIS's rvse_cncl_dvsn_cd."""

    NEW = "00"
    REVISE = "01"  # a replacement order carrying quantity moved off its original
    CANCEL = "02"  # the confirmation record of a cancel; never open


class RevisionKind(StrEnum):
    """`RVSE_CNCL_DVSN_CD` of a revise/cancel request."""

    REVISE = "01"
    CANCEL = "02"


# Sent with OVRS_ORD_UNPR "0": no limit price.
MARKET_PRICE_TYPES = frozenset({OrderType.MOO, OrderType.MOC})
OPEN_AUCTION_TYPES = frozenset({OrderType.MOO, OrderType.LOO})
CLOSE_AUCTION_TYPES = frozenset({OrderType.MOC, OrderType.LOC})
AUCTION_TYPES = OPEN_AUCTION_TYPES | CLOSE_AUCTION_TYPES
NON_REVISABLE_TYPES = frozenset({OrderType.TWAP, OrderType.VWAP})

# ORD_DVSN each (market, side) accepts in the real environment; every other pair takes LIMIT only.
REAL_ORDER_TYPES: dict[tuple[Market, Side], frozenset[OrderType]] = {
    (Market.US, Side.BUY): frozenset({OrderType.LIMIT, OrderType.LOO, OrderType.LOC, OrderType.TWAP,
                                      OrderType.VWAP}),
    (Market.US, Side.SELL): frozenset({OrderType.LIMIT, OrderType.MOO, OrderType.LOO, OrderType.MOC,
                                       OrderType.LOC, OrderType.TWAP, OrderType.VWAP}),
    (Market.HK, Side.SELL): frozenset({OrderType.LIMIT, OrderType.ODD_LOT}),
}
_LIMIT_ONLY = frozenset({OrderType.LIMIT})


def allowed_order_types(market: Market, side: Side, env: Env) -> frozenset[OrderType]:
    if ENV_RULES[env].limit_orders_only:
        return _LIMIT_ONLY
    return REAL_ORDER_TYPES.get((market, side), _LIMIT_ONLY)
