"""해외증거금 통화별조회 (foreign-margin, REST-NEXT §17) on the wire: one row per currency of the account's
cash — deposit, what open buys hold (margin), what is orderable — from the running totals."""

from __future__ import annotations

from collections.abc import Mapping

from localkis.domain.accounts import NO_FUNDS, Funds
from localkis.protocol import codes
from localkis.protocol.balances import CURRENCY_ORDER
from localkis.protocol.exchanges import EXCHANGES
from localkis.protocol.fields import FOREIGN_MARGIN_QUERY
from localkis.wire.accounts import AMOUNT_PLACES, KRW_PLACES, ZERO, fx, krw, num
from localkis.wire.responses import account_of, ok

FIELDS = FOREIGN_MARGIN_QUERY
# The country KIS names for each currency's row (the first market trading in it).
_COUNTRY: dict[str, str] = {}
for _info in EXCHANGES.values():
    _COUNTRY.setdefault(_info.currency, _info.country_name)


def decode(fields: Mapping[str, str]) -> str:
    return account_of(fields)


def row(currency: str, funds: Funds) -> dict[str, str]:
    available = funds.available
    return {
        "natn_name": _COUNTRY[currency],
        "crcy_cd": currency,
        "frcr_dncl_amt1": num(funds.cash, AMOUNT_PLACES),
        "ustl_buy_amt": num(ZERO, AMOUNT_PLACES),
        "ustl_sll_amt": num(ZERO, AMOUNT_PLACES),
        "frcr_rcvb_amt": num(ZERO, AMOUNT_PLACES),
        "frcr_mgn_amt": num(funds.reserved, AMOUNT_PLACES),
        "frcr_gnrl_ord_psbl_amt": num(available, AMOUNT_PLACES),
        "frcr_ord_psbl_amt1": num(krw(available, currency), KRW_PLACES),
        "itgr_ord_psbl_amt": num(available, AMOUNT_PLACES),
        "bass_exrt": fx(currency),
    }


def render(funds: Mapping[str, Funds]) -> dict[str, object]:
    """Every currency, in KIS's order, held or not (KIS lists a fixed set of rows)."""
    return ok(codes.INQUIRY_OK, output=[row(c, funds.get(c, NO_FUNDS)) for c in CURRENCY_ORDER])
