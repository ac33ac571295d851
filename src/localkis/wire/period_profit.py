"""해외주식 기간손익 (inquire-period-profit, REST-NEXT §14) on the wire: the query and the answer —
`output1` one row per instrument and day of sells, `output2` the period's totals, cursors always present."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import NamedTuple

from localkis.domain.profit import ProfitLine
from localkis.protocol import codes
from localkis.protocol.codes import Ops
from localkis.protocol.exchanges import EXCHANGES, US_EXCHANGES, Exchange
from localkis.protocol.fields import INQUIRE_PERIOD_PROFIT_QUERY
from localkis.wire.accounts import AMOUNT_PLACES, FX_PLACES, KRW_PLACES, PRICE_PLACES, ZERO, fx, krw, num
from localkis.wire.errors import OpsError, field_format_error
from localkis.wire.paging import NK200, cursor, tr_cont
from localkis.wire.responses import account_fields, account_of, ok

FIELDS = INQUIRE_PERIOD_PROFIT_QUERY
# Rows per page: KIS's is unknown (REST-NEXT §19.8); localkis's choice (docs/behaviour.md).
PAGE_SIZE = 50
# OVRS_EXCG_CD names a country here (REST-NEXT §14): NASD the US, SHAA China, HASE Vietnam.
_COUNTRY: dict[str, frozenset[Exchange]] = {
    "NASD": US_EXCHANGES, "NYSE": US_EXCHANGES, "AMEX": US_EXCHANGES,
    "SEHK": frozenset({Exchange.SEHK}), "TKSE": frozenset({Exchange.TKSE}),
    "SHAA": frozenset({Exchange.SHAA, Exchange.SZAA}), "SZAA": frozenset({Exchange.SHAA, Exchange.SZAA}),
    "HASE": frozenset({Exchange.HASE, Exchange.VNSE}), "VNSE": frozenset({Exchange.HASE, Exchange.VNSE}),
}
RATE_PLACES = 4  # pftrt (238): percent


class ProfitQuery(NamedTuple):
    account: str
    exchanges: frozenset[Exchange] | None  # None: every market
    currency: str  # "" every currency
    symbol: str
    date_from: str
    date_to: str
    in_krw: bool  # WCRC_FRCR_DVSN_CD "02"
    offset: int  # rows already shown (from ctx_area_nk200)


def decode(fields: Mapping[str, str]) -> ProfitQuery:
    code = fields["OVRS_EXCG_CD"].strip()
    exchanges = _COUNTRY.get(code) if code else None
    if code and exchanges is None:
        raise OpsError(Ops.BAD_MARKET)
    return ProfitQuery(account_of(fields), exchanges, fields["CRCY_CD"], fields["PDNO"].strip(), fields["INQR_STRT_DT"],
                       fields["INQR_END_DT"], fields["WCRC_FRCR_DVSN_CD"] == "02", _offset(fields[NK200]))


def _offset(nk200: str) -> int:
    """Rows already shown: the last field of ctx_area_nk200 ("CANO^PRDT^start^end^rows^")."""
    text = nk200.strip()
    if not text:
        return 0
    parts = text.split("^")
    if len(parts) < 2 or not parts[-2].isdigit():
        raise field_format_error(NK200)
    return int(parts[-2])


def encode(query: ProfitQuery, fk: str = "", nk: str = "") -> dict[str, str]:
    code = "" if query.exchanges is None else min(e.value for e in query.exchanges)
    return {**account_fields(query.account), "OVRS_EXCG_CD": code, "NATN_CD": "", "CRCY_CD": query.currency,
            "PDNO": query.symbol, "INQR_STRT_DT": query.date_from, "INQR_END_DT": query.date_to,
            "WCRC_FRCR_DVSN_CD": "02" if query.in_krw else "01", "CTX_AREA_FK200": fk, "CTX_AREA_NK200": nk}


def _money(value: Decimal, currency: str, in_krw: bool) -> str:
    return num(krw(value, currency), KRW_PLACES) if in_krw else num(value, AMOUNT_PLACES)


def _price(value: Decimal, currency: str, in_krw: bool) -> str:
    return num(krw(value, currency) if in_krw else value, PRICE_PLACES)


def row(line: ProfitLine, name: str, in_krw: bool) -> dict[str, str]:
    currency = EXCHANGES[line.exchange].currency
    qty = Decimal(line.quantity)
    return {
        "trad_day": line.trade_date,
        "ovrs_pdno": line.symbol,
        "ovrs_item_name": name,
        "slcl_qty": str(line.quantity),
        "pchs_avg_pric": _price(line.buy_cost / qty, currency, in_krw),
        "frcr_pchs_amt1": _money(line.buy_cost, currency, in_krw),
        "avg_sll_unpr": _price(line.sell_amount / qty, currency, in_krw),
        "frcr_sll_amt_smtl1": _money(line.sell_amount, currency, in_krw),
        "stck_sll_tlex": _money(line.fee, currency, in_krw),
        "ovrs_rlzt_pfls_amt": _money(line.profit, currency, in_krw),
        "pftrt": num(line.profit / line.buy_cost * 100 if line.buy_cost else ZERO, RATE_PLACES),
        "exrt": fx(currency),
        "ovrs_excg_cd": line.exchange.value,
        "frst_bltn_exrt": fx(currency),
    }


def totals(lines: list[ProfitLine], query: ProfitQuery, base_date: str) -> dict[str, str]:
    """output2. In KRW (WCRC "02") every currency adds up; in foreign currency the sums are only
    meaningful for one currency (KIS: "ignore when WCRC=01 and OVRS_EXCG_CD blank")."""
    def total(pick: str) -> Decimal:
        return sum((krw(getattr(x, pick), EXCHANGES[x.exchange].currency) if query.in_krw else getattr(x, pick)
                    for x in lines), ZERO)

    places = KRW_PLACES if query.in_krw else AMOUNT_PLACES
    sold, bought, fees, profit = total("sell_amount"), total("buy_cost"), total("fee"), total("profit")
    currencies = {EXCHANGES[x.exchange].currency for x in lines}
    rate = fx(currencies.pop()) if len(currencies) == 1 else num(ZERO, FX_PLACES)
    return {
        "stck_sll_amt_smtl": num(sold, places),
        "stck_buy_amt_smtl": num(bought, places),
        "smtl_fee1": num(fees, places),
        "excc_dfrm_amt": num(sold - fees, places),
        "ovrs_rlzt_pfls_tot_amt": num(profit, places),
        "tot_pftrt": num(profit / bought * 100 if bought else ZERO, RATE_PLACES),
        "bass_dt": base_date,
        "exrt": rate,
    }


def render(query: ProfitQuery, lines: list[ProfitLine], names: Mapping[tuple[Exchange, str], str],
           base_date: str) -> tuple[dict[str, object], str]:
    page = lines[query.offset:query.offset + PAGE_SIZE]
    more = len(lines) > query.offset + PAGE_SIZE
    cano, prdt = account_fields(query.account).values()
    head = f"{cano}^{prdt}^{query.date_from}^{query.date_to}^"
    nk = f"{head}{query.offset + len(page)}^" if more else ""
    body = ok(codes.INQUIRY_OK if page else codes.INQUIRY_EMPTY, ctx_area_fk200=cursor(head), ctx_area_nk200=cursor(nk),
              output1=[row(x, names.get((x.exchange, x.symbol), x.symbol), query.in_krw) for x in page],
              output2=totals(lines, query, base_date))
    return body, tr_cont(query.offset > 0, more)
