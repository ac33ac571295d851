"""Format domain results into KIS's exact JSON bodies and headers."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import orjson

from localkis.domain.hours import compact_date
from localkis.domain.instruments import Instrument
from localkis.domain.orders import Order, OrderKind
from localkis.protocol.codes import Message
from localkis.protocol.exchanges import EXCHANGES
from localkis.protocol.fields import CURSOR_WIDTH
from localkis.protocol.trids import Side

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


def cursor(text: str) -> str:
    """The 200-character space-padded ctx_area strings (A6)."""
    return text.ljust(CURSOR_WIDTH)[:CURSOR_WIDTH]


def ok(message: Message, **rest: object) -> dict[str, object]:
    return {"rt_cd": "0", "msg_cd": message.code, "msg1": message.text, **rest}


def order_ack(message: Message, order: Order) -> dict[str, object]:
    return ok(message, output={"KRX_FWDG_ORD_ORGNO": order.branch, "ODNO": order.order_no,
                               "ORD_TMD": hhmmss(order.created_at)})


def _common_row(order: Order, instrument_name: str, local_date: str) -> dict[str, str]:
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


def nccs_row(order: Order, instrument: Instrument | None, local_date: str) -> dict[str, str]:
    """A row of inquire-nccs (PROTOCOL §6)."""
    info = EXCHANGES[order.exchange]
    row = _common_row(order, instrument.name if instrument else order.symbol, local_date)
    row.update({
        "rvse_cncl_dvsn_cd": order.kind.value,
        "rvse_cncl_dvsn_cd_name": KIND_NAME[order.kind],
        "natn_cd": info.country_code,
        "natn_kor_name": info.country_name,
    })
    return row


def ccnl_row(order: Order, instrument: Instrument | None, local_date: str) -> dict[str, str]:
    """A row of inquire-ccnl (PROTOCOL §7)."""
    info = EXCHANGES[order.exchange]
    row = _common_row(order, instrument.name if instrument else order.symbol, local_date)
    row.update({
        "rvse_cncl_dvsn": order.kind.value,
        "rvse_cncl_dvsn_name": KIND_NAME[order.kind],
        "tr_natn": info.country_code,
        "tr_natn_name": info.country_name,
        "dmst_ord_dt": yyyymmdd(order.created_at),
        "thco_ord_tmd": hhmmss(order.created_at),
        "mdia_dvsn_name": "OpenAPI",
    })
    return row

