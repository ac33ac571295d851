"""해외주식 결제기준잔고 (inquire-paymt-stdr-balance, REST-NEXT §15) on the wire: holdings and cash as of
the trades settled by the base date — output1 per holding, output2 per currency, output3 the totals."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from localkis.protocol import codes
from localkis.protocol.balances import CURRENCY_ORDER
from localkis.protocol.exchanges import EXCHANGES
from localkis.protocol.fields import INQUIRE_PAYMT_STDR_BALANCE_QUERY
from localkis.wire.accounts import PRICE_PLACES, ZERO, ValuedPosition, amount, fx, krw, num, rate_of_return
from localkis.wire.responses import account_of, kst, ok

FIELDS = INQUIRE_PAYMT_STDR_BALANCE_QUERY
SEARCH_OK = codes.SEARCH_INFO_OK  # KIOK0530 조회되었습니다 (the spec's example)
CURRENCY_NAMES = {"USD": "미국 달러", "HKD": "홍콩 달러", "CNY": "중국 위안", "JPY": "일본 엔", "VND": "베트남 동"}


class PaymentQuery(NamedTuple):
    account: str
    base_date: str  # BASS_DT
    in_krw: bool  # WCRC_FRCR_DVSN_CD "01" (원화기준) here


def decode(fields: Mapping[str, str]) -> PaymentQuery:
    return PaymentQuery(account_of(fields), fields["BASS_DT"], fields["WCRC_FRCR_DVSN_CD"] == "01")


class SettledHolding(NamedTuple):
    valued: ValuedPosition  # quantity: the settled holding
    bought_today: int
    sold_today: int


def row(h: SettledHolding, in_krw: bool, now: datetime) -> dict[str, str]:
    v = h.valued
    info = EXCHANGES[v.exchange]

    def money(value: Decimal) -> str:
        return amount(krw(value, v.currency), None) if in_krw else amount(value, v.currency)

    def price(value: Decimal) -> str:
        return num(krw(value, v.currency) if in_krw else value, PRICE_PLACES)

    local = kst(now)
    return {
        "pdno": v.symbol,
        "prdt_name": v.name,
        "cblc_qty13": str(v.quantity),
        "ord_psbl_qty1": str(v.sellable),
        "avg_unpr3": price(v.average_price),
        "ovrs_now_pric1": price(v.price),
        "frcr_pchs_amt": money(v.cost),
        "frcr_evlu_amt2": money(v.value),
        "evlu_pfls_amt2": money(v.profit),
        "bass_exrt": fx(v.currency),
        "oprt_dtl_dtime": f"{local:%Y%m%d%H%M%S}{local.microsecond // 1000:03d}",
        "buy_crcy_cd": v.currency,
        "thdt_sll_ccld_qty1": str(h.sold_today),
        "thdt_buy_ccld_qty1": str(h.bought_today),
        "evlu_pfls_rt1": rate_of_return(v.profit, v.cost),
        "tr_mket_name": info.market_name,
        "natn_kor_name": info.country_name,
        "std_pdno": v.symbol,
        "mgge_qty": "0",
        "loan_rmnd": "0",
        "prdt_type_cd": info.search_type_code,
        "ovrs_excg_cd": v.exchange.value,
        "scts_dvsn_name": "현금",
        "ldng_cblc_qty": "0",
    }


def render(query: PaymentQuery, holdings: list[SettledHolding], cash: Mapping[str, Decimal],
           now: datetime) -> dict[str, object]:
    """`cash`: the settled deposit per currency."""
    currencies = [c for c in CURRENCY_ORDER if c in cash]
    values = {c: sum((h.valued.value for h in holdings if h.valued.currency == c), ZERO) for c in currencies}
    output2 = [{"crcy_cd": c, "crcy_cd_name": CURRENCY_NAMES[c], "frcr_dncl_amt_2": amount(cash[c], c),
                "frst_bltn_exrt": fx(c), "frcr_evlu_amt2": amount(values[c], c)} for c in currencies]
    cost = sum((krw(h.valued.cost, h.valued.currency) for h in holdings), ZERO)
    value = sum((krw(h.valued.value, h.valued.currency) for h in holdings), ZERO)
    deposits = sum((krw(cash[c], c) for c in currencies), ZERO)
    output3 = {
        "pchs_amt_smtl_amt": amount(cost, None),
        "tot_evlu_pfls_amt": num(value - cost, 2),
        "evlu_erng_rt1": rate_of_return(value - cost, cost),
        "tot_dncl_amt": amount(deposits, None),
        "wcrc_evlu_amt_smtl": amount(value, None),
        "tot_asst_amt2": amount(value + deposits, None),
        "frcr_cblc_wcrc_evlu_amt_smtl": amount(value, None),
        "tot_loan_amt": "0",
        "tot_ldng_evlu_amt": "0",
    }
    output1 = [row(h, query.in_krw, now) for h in holdings if h.valued.quantity > 0]
    message = SEARCH_OK if output1 or output2 else codes.INQUIRY_EMPTY
    return ok(message, output1=output1, output2=output2, output3=output3)
