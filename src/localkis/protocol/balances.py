"""Vocabulary of the account inquiries (PROTOCOL §8): exchange rates and present-balance market codes."""

from __future__ import annotations

from decimal import Decimal

from localkis.protocol.exchanges import EXCHANGES, Exchange
from localkis.protocol.fields import CURRENCIES

# KRW per one unit of each currency, for `exrt`, `bass_exrt`, `frst_bltn_exrt` and every KRW amount.
# Invented and fixed (localkis has no FX feed): round figures near 2025 levels. Listed in docs/behaviour.md.
KRW_RATES: dict[str, Decimal] = {
    "USD": Decimal("1350.00"),
    "HKD": Decimal("173.00"),
    "CNY": Decimal("187.00"),
    "JPY": Decimal("9.00"),
    "VND": Decimal("0.0550"),
}

# The currencies in the order KIS lists them (TR_CRCY_CD values); present-balance output2 follows it.
CURRENCY_ORDER: tuple[str, ...] = CURRENCIES

ALL_NATIONS = "000"
ALL_MARKETS = "00"

# inquire-present-balance TR_MKET_CD per NATN_CD (the spec's table); None: a market localkis does not
# list (PINK SHEETS, OTCBB, China B shares, HK CNY/USD counters), so nothing is held there.
PRESENT_BALANCE_MARKETS: dict[str, dict[str, Exchange | None]] = {
    "840": {"01": Exchange.NASD, "02": Exchange.NYSE, "03": None, "04": None, "05": Exchange.AMEX},
    "156": {"01": None, "02": None, "03": Exchange.SHAA, "04": Exchange.SZAA},
    "392": {"01": Exchange.TKSE},
    "704": {"01": Exchange.HASE, "02": Exchange.VNSE},
    "344": {"01": Exchange.SEHK, "02": None, "03": None},
}


def present_balance_scope(nation: str, market: str) -> frozenset[Exchange] | None:
    """The exchanges a NATN_CD / TR_MKET_CD pair covers, or None when KIS does not know the pair."""
    if nation == ALL_NATIONS:
        return frozenset(EXCHANGES) if market == ALL_MARKETS else None
    in_nation = frozenset(e for e, info in EXCHANGES.items() if info.country_code == nation)
    if not in_nation:
        return None
    if market == ALL_MARKETS:
        return in_nation
    table = PRESENT_BALANCE_MARKETS.get(nation, {})
    if market not in table:
        return None
    one = table[market]
    return frozenset({one}) if one is not None else frozenset()
