"""해외주식 매수가능금액조회 (inquire-psamount) on the wire: query ↔ `PsamountQuery`, and the answer (PROTOCOL §8)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from localkis.protocol import codes
from localkis.protocol.codes import Ops
from localkis.protocol.exchanges import Exchange, parse_exchange
from localkis.protocol.fields import INQUIRE_PSAMOUNT_QUERY
from localkis.wire.accounts import AMOUNT_PLACES, ZERO, fx, num
from localkis.wire.errors import OpsError
from localkis.wire.responses import account_fields, account_of, ok, price_text

FIELDS = INQUIRE_PSAMOUNT_QUERY


@dataclass(frozen=True, slots=True)
class PsamountQuery:
    account: str
    exchange: Exchange
    symbol: str
    price: Decimal | None  # None: at the last price (OVRS_ORD_UNPR blank or "0")


def decode(fields: Mapping[str, str]) -> PsamountQuery:
    exchange = parse_exchange(fields["OVRS_EXCG_CD"])
    if exchange is None:
        raise OpsError(Ops.BAD_MARKET)
    price = Decimal(fields["OVRS_ORD_UNPR"] or 0)
    return PsamountQuery(account_of(fields), exchange, fields["ITEM_CD"], price if price > 0 else None)


def encode(query: PsamountQuery) -> dict[str, str]:
    return {**account_fields(query.account), "OVRS_EXCG_CD": query.exchange.value,
            "OVRS_ORD_UNPR": price_text(query.price) if query.price is not None else "0", "ITEM_CD": query.symbol}


def render(currency: str, available: Decimal, price: Decimal, lot: int) -> dict[str, object]:
    return ok(codes.INQUIRY_OK, output=output(currency, available, price, lot))


def max_quantity(available: Decimal, price: Decimal, lot: int) -> int:
    """Whole lots that `available` buys at `price`."""
    if price <= 0 or available <= 0 or lot <= 0:
        return 0
    shares = int((available / price).to_integral_value(rounding=ROUND_DOWN))
    return shares // lot * lot


def output(currency: str, available: Decimal, price: Decimal, lot: int) -> dict[str, str]:
    usable = max(available, ZERO)
    qty = str(max_quantity(usable, price, lot))
    cash = num(usable, AMOUNT_PLACES)
    return {
        "tr_crcy_cd": currency,
        "ord_psbl_frcr_amt": cash,
        "sll_ruse_psbl_amt": num(ZERO, AMOUNT_PLACES),
        "ovrs_ord_psbl_amt": cash,
        "max_ord_psbl_qty": qty,
        "echm_af_ord_psbl_amt": num(ZERO, AMOUNT_PLACES),
        "echm_af_ord_psbl_qty": "0",
        "ord_psbl_qty": qty,
        "exrt": fx(currency),
        "frcr_ord_psbl_amt1": cash,
        "ovrs_max_ord_psbl_qty": qty,
    }
