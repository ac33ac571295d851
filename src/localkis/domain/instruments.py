"""Tradable instruments known to the server."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from localkis.domain.markets import default_lot_size
from localkis.protocol.exchanges import Exchange


@dataclass(frozen=True, slots=True)
class Instrument:
    exchange: Exchange
    symbol: str
    name: str  # Korean name as KIS shows it (prdt_name)
    price: Decimal  # last price
    lot_size: int | None = None  # None: the market's default lot
    english_name: str = ""
    topix500: bool = False  # Tokyo: TOPIX500 members use the finer tick table
    daytime: bool = False  # US: tradable in KIS's US daytime session (주간거래)

    @property
    def board_lot(self) -> int:
        return self.lot_size or default_lot_size(self.exchange)
