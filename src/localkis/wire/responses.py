"""Rendering shared by the API codecs: JSON, KST times, fixed decimals, account fields, order rows."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import orjson

from localkis.domain.hours import compact_date
from localkis.domain.orders import Order
from localkis.protocol.codes import Message
from localkis.protocol.exchanges import EXCHANGES
from localkis.protocol.orders import OrderKind, Side

KST = ZoneInfo("Asia/Seoul")

SIDE_NAME = {Side.SELL: "매도", Side.BUY: "매수"}
KIND_NAME = {OrderKind.NEW: "", OrderKind.REVISE: "정정", OrderKind.CANCEL: "취소"}


def dumps(body: object) -> bytes:
    return orjson.dumps(body)


def kst(moment: datetime) -> datetime:
    return moment.astimezone(KST)


# Korean times of recent instants, by the instant's second: every order answer carries one (ORD_TMD),
# and the requests of one second share it; a time-zone conversion costs three times the look-up.
_HHMMSS: dict[tuple[object, ...], str] = {}


def hhmmss(moment: datetime) -> str:
    key = (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second, moment.tzinfo)
    text = _HHMMSS.get(key)
    if text is None:
        if len(_HHMMSS) >= 256:
            _HHMMSS.clear()
        local = kst(moment)
        text = _HHMMSS[key] = f"{local.hour:02d}{local.minute:02d}{local.second:02d}"
    return text


def yyyymmdd(moment: datetime) -> str:
    return compact_date(kst(moment).date())


def fixed(value: Decimal, places: int) -> str:
    """KIS's fixed-decimal strings, e.g. ft_ord_unpr3 "200.00000000" (A9)."""
    return f"{value.quantize(Decimal(1).scaleb(-places)):f}"


def price_text(price: Decimal) -> str:
    """A plain decimal string as KIS expects ("190.00", never "1.9E+2")."""
    return f"{price:f}"


def account_of(fields: Mapping[str, str]) -> str:
    """The account of checked `CANO` and `ACNT_PRDT_CD` fields, as localkis names accounts."""
    return f"{fields['CANO']}-{fields['ACNT_PRDT_CD']}"


def account_fields(account: str) -> dict[str, str]:
    cano, _, product = account.partition("-")
    return {"CANO": cano, "ACNT_PRDT_CD": product}


def ok(message: Message, **rest: object) -> dict[str, object]:
    return {"rt_cd": "0", "msg_cd": message.code, "msg1": message.text, **rest}


def order_row(order: Order, instrument_name: str, local_date: str) -> dict[str, str]:
    """The fields inquire-nccs and inquire-ccnl rows share (PROTOCOL §6, §7)."""
    info = EXCHANGES[order.exchange]
    avg = order.average_fill_price
    return {
        "ord_dt": local_date,
        "ord_gno_brno": order.branch,
        "odno": order.order_no,
        "orgn_odno": order.original_no,
        "pdno": order.symbol,
        "prdt_name": instrument_name,
        "sll_buy_dvsn_cd": order.side.value,
        "sll_buy_dvsn_cd_name": SIDE_NAME[order.side],
        "ft_ord_qty": str(order.quantity),
        "ft_ccld_qty": str(order.filled),
        "nccs_qty": str(order.open_quantity),
        "ft_ord_unpr3": fixed(order.price, 8),
        "ft_ccld_unpr3": fixed(avg, 8),
        "ft_ccld_amt3": fixed(order.filled_amount, 5),
        "prcs_stat_name": "완료",
        "rjct_rson": "",
        "rjct_rson_name": "",
        "ord_tmd": hhmmss(order.created_at),
        "tr_mket_name": info.market_name,
        "tr_crcy_cd": info.currency,
        "ovrs_excg_cd": order.exchange.value,
        "loan_type_cd": "10",
        "loan_dt": "",
        "usa_amk_exts_rqst_yn": "N",
        "splt_buy_attr_name": "",
    }
