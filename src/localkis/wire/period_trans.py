"""해외주식 일별거래내역 (inquire-period-trans, REST-NEXT §16) on the wire: one row per fill in the
registration-date range, with its settlement date and commission; cursors of 100 characters joined by "!^"."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from localkis.domain.errors import BusinessError, Reason
from localkis.domain.profit import FillRecord
from localkis.protocol import codes
from localkis.protocol.exchanges import EXCHANGES, QUOTE_CODES, Exchange, parse_exchange
from localkis.protocol.fields import INQUIRE_PERIOD_TRANS_QUERY
from localkis.protocol.orders import Side
from localkis.wire.accounts import AMOUNT_PLACES, KRW_PLACES, ZERO, fx, krw, num
from localkis.wire.errors import field_format_error
from localkis.wire.paging import tr_cont
from localkis.wire.responses import SIDE_NAME, account_fields, account_of, ok

FIELDS = INQUIRE_PERIOD_TRANS_QUERY
NK100 = "CTX_AREA_NK100"
# Rows per page: KIS's is unknown (REST-NEXT §19.8); localkis's choice (docs/behaviour.md).
PAGE_SIZE = 50
CURSOR_WIDTH = 100
PRICE_PLACES = 8  # ft_ccld_unpr2 (238): 8 decimals
LAST_PAGE = codes.Message("KIOK0460", "조회 되었습니다. (마지막 자료)".ljust(80))


class TransQuery(NamedTuple):
    account: str
    date_from: str
    date_to: str
    exchange: Exchange | None
    symbol: str
    side: Side | None
    offset: int


def decode(fields: Mapping[str, str]) -> TransQuery:
    code = fields["OVRS_EXCG_CD"].strip()
    exchange = (parse_exchange(code) or QUOTE_CODES.get(code)) if code else None
    if code and exchange is None:
        raise BusinessError(Reason.UNKNOWN_SYMBOL, code)
    side = {"01": Side.SELL, "02": Side.BUY}.get(fields["SLL_BUY_DVSN_CD"])
    nk = fields[NK100].strip()
    parts = nk.split("!^") if nk else []
    if parts and (len(parts) < 2 or not parts[-2].isdigit()):
        raise field_format_error(NK100)
    return TransQuery(account_of(fields), fields["ERLM_STRT_DT"], fields["ERLM_END_DT"], exchange,
                      fields["PDNO"].strip(), side, int(parts[-2]) if parts else 0)


def encode(query: TransQuery, fk: str = "", nk: str = "") -> dict[str, str]:
    return {**account_fields(query.account), "ERLM_STRT_DT": query.date_from, "ERLM_END_DT": query.date_to,
            "OVRS_EXCG_CD": query.exchange.value if query.exchange else "", "PDNO": query.symbol,
            "SLL_BUY_DVSN_CD": query.side.value if query.side else "00", "LOAN_DVSN_CD": "",
            "CTX_AREA_FK100": fk, "CTX_AREA_NK100": nk}


class Trade(NamedTuple):
    """A fill as the history shows it: its local trade and settlement dates and its commission."""

    fill: FillRecord
    trade_date: date
    settles: date
    fee: Decimal
    name: str


def row(t: Trade) -> dict[str, str]:
    f = t.fill
    currency = EXCHANGES[f.exchange].currency
    amount = f.price * f.quantity
    net = amount + t.fee if f.side is Side.BUY else amount - t.fee
    return {
        "trad_dt": f"{t.trade_date:%Y%m%d}",
        "sttl_dt": f"{t.settles:%Y%m%d}",
        "sll_buy_dvsn_cd": f.side.value,
        "sll_buy_dvsn_name": SIDE_NAME[f.side],
        "pdno": f.symbol,
        "ovrs_item_name": t.name,
        "ccld_qty": str(f.quantity),
        "amt_unit_ccld_qty": str(f.quantity),
        "ft_ccld_unpr2": num(f.price, PRICE_PLACES),
        "ovrs_stck_ccld_unpr": num(krw(f.price, currency), PRICE_PLACES),
        "tr_frcr_amt2": num(amount, AMOUNT_PLACES),
        "tr_amt": num(krw(amount, currency), KRW_PLACES),
        "frcr_excc_amt_1": num(net, AMOUNT_PLACES),
        "wcrc_excc_amt": num(krw(net, currency), KRW_PLACES),
        "dmst_frcr_fee1": num(ZERO, AMOUNT_PLACES),
        "frcr_fee1": num(t.fee, AMOUNT_PLACES),
        "dmst_wcrc_fee": num(ZERO, KRW_PLACES),
        "ovrs_wcrc_fee": num(krw(t.fee, currency), KRW_PLACES),
        "crcy_cd": currency,
        "std_pdno": f.symbol,
        "erlm_exrt": fx(currency),
        "loan_dvsn_cd": "01",
        "loan_dvsn_name": "현금",
    }


def render(query: TransQuery, trades: list[Trade]) -> tuple[dict[str, object], str]:
    page = trades[query.offset:query.offset + PAGE_SIZE]
    more = len(trades) > query.offset + PAGE_SIZE
    cano, prdt = account_fields(query.account).values()
    head = f"{cano}!^{prdt}!^{query.date_from}!^{query.date_to}!^"
    nk = f"{head}{query.offset + len(page)}!^" if more else ""

    def total(side: Side, pick: Callable[[Trade], Decimal]) -> Decimal:
        return sum((pick(t) for t in trades if t.fill.side is side), ZERO)

    def amount(t: Trade) -> Decimal:
        return t.fill.price * t.fill.quantity

    message = (codes.INQUIRY_OK if more else LAST_PAGE) if page else codes.INQUIRY_EMPTY
    body = ok(message, ctx_area_fk100=f"{head}!^".ljust(CURSOR_WIDTH), ctx_area_nk100=nk.ljust(CURSOR_WIDTH),
              output1=[row(t) for t in page],
              output2={"frcr_buy_amt_smtl": num(total(Side.BUY, amount), AMOUNT_PLACES),
                       "frcr_sll_amt_smtl": num(total(Side.SELL, amount), AMOUNT_PLACES),
                       "dmst_fee_smtl": num(ZERO, AMOUNT_PLACES),
                       "ovrs_fee_smtl": num(sum((t.fee for t in trades), ZERO), AMOUNT_PLACES)})
    return body, tr_cont(query.offset > 0, more)
