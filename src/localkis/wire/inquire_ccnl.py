"""해외주식 주문체결내역 (inquire-ccnl) on the wire: query ↔ `CcnlQuery`, and a page of rows (PROTOCOL §7, A6).

KIS's mock ignores the filters and lists ascending (`ENV_RULES[env].ccnl_filters`); a client sends it
"all" for each and filters the rows itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from localkis.domain.hours import compact_date
from localkis.domain.orders import Order
from localkis.protocol import codes
from localkis.protocol.codes import Ops
from localkis.protocol.env import ENV_RULES, Env
from localkis.protocol.exchanges import EXCHANGES, Exchange, parse_exchange
from localkis.protocol.fields import INQUIRE_CCNL_QUERY
from localkis.protocol.orders import Side
from localkis.wire.errors import OpsError, field_format_error
from localkis.wire.paging import NK200, cursor, order_after, tr_cont
from localkis.wire.responses import KIND_NAME, account_fields, account_of, hhmmss, ok, order_row, yyyymmdd

FIELDS = INQUIRE_CCNL_QUERY
ALL = ("", "%")  # "every symbol / exchange" as clients send it
_SIDES = {"01": Side.SELL, "02": Side.BUY}
_SIDE_CODES = {None: "00", Side.SELL: "01", Side.BUY: "02"}
_FILLED = {"01": True, "02": False}
_FILLED_CODES = {None: "00", True: "01", False: "02"}


@dataclass(frozen=True, slots=True)
class CcnlQuery:
    """Filters of an inquire-ccnl query; dates are exchange-local order dates."""

    account: str
    start: date
    end: date
    symbol: str = ""  # "" = every symbol
    exchange: Exchange | None = None  # None = every exchange; NASD = every US venue
    side: Side | None = None
    filled: bool | None = None  # True: with fills; False: with something open
    newest_first: bool = False
    after: str | None = None  # the last order number of the previous page


def _date(fields: Mapping[str, str], name: str) -> date:
    try:
        return datetime.strptime(fields[name], "%Y%m%d").date()
    except ValueError:  # eight digits that are no calendar date
        raise field_format_error(name) from None


def decode(fields: Mapping[str, str], env: Env) -> CcnlQuery:
    account, after = account_of(fields), order_after(fields[NK200])
    start, end = _date(fields, "ORD_STRT_DT"), _date(fields, "ORD_END_DT")
    if not ENV_RULES[env].ccnl_filters:
        return CcnlQuery(account, start, end, after=after)
    code, exchange = fields["OVRS_EXCG_CD"], None
    if code not in ALL:
        exchange = parse_exchange(code)
        if exchange is None:
            raise OpsError(Ops.BAD_MARKET)
    return CcnlQuery(account, start, end, "" if fields["PDNO"] in ALL else fields["PDNO"], exchange,
                     _SIDES.get(fields["SLL_BUY_DVSN"]), _FILLED.get(fields["CCLD_NCCS_DVSN"]),
                     fields["SORT_SQN"] == "AS", after)


def encode(query: CcnlQuery, env: Env, fk: str = "", nk: str = "") -> dict[str, str]:
    if ENV_RULES[env].ccnl_filters:
        pdno, excg = query.symbol or "%", query.exchange.value if query.exchange else "%"
        side, ccld = _SIDE_CODES[query.side], _FILLED_CODES[query.filled]
        sort = "AS" if query.newest_first else "DS"  # KIS: DS 정순, AS 역순
    else:  # the mock takes only "all" for every filter
        pdno, excg, side, ccld, sort = "", "", "00", "00", "DS"
    return {**account_fields(query.account), "PDNO": pdno, "ORD_STRT_DT": compact_date(query.start),
            "ORD_END_DT": compact_date(query.end), "SLL_BUY_DVSN": side, "CCLD_NCCS_DVSN": ccld,
            "OVRS_EXCG_CD": excg, "SORT_SQN": sort, "ORD_DT": "", "ORD_GNO_BRNO": "", "ODNO": "",
            "CTX_AREA_NK200": nk, "CTX_AREA_FK200": fk}


def page_size(env: Env) -> int:
    return ENV_RULES[env].ccnl_page_size


def row(order: Order, name: str, local_date: str) -> dict[str, str]:
    info = EXCHANGES[order.exchange]
    out = order_row(order, name, local_date)
    out.update({"rvse_cncl_dvsn": order.kind.value, "rvse_cncl_dvsn_name": KIND_NAME[order.kind],
                "tr_natn": info.country_code, "tr_natn_name": info.country_name,
                "dmst_ord_dt": yyyymmdd(order.created_at), "thco_ord_tmd": hhmmss(order.created_at),
                "mdia_dvsn_name": "OpenAPI"})
    return out


def render(fields: Mapping[str, str], query: CcnlQuery, rows: list[tuple[Order, str]], env: Env,
           name_of: Callable[[Order], str]) -> tuple[dict[str, object], str]:
    """A page from up to page_size + 1 listed rows; the cursors echo the request's filters as sent."""
    size = page_size(env)
    more = len(rows) > size
    page = rows[:size]
    f = fields
    head = f"{f['CANO']}^{f['ACNT_PRDT_CD']}^"
    fk = cursor(f"{head}{f['PDNO']}^{f['ORD_STRT_DT']}^{f['ORD_END_DT']}^{f['SLL_BUY_DVSN']}^"
                f"{f['CCLD_NCCS_DVSN']}^{f['OVRS_EXCG_CD']}^{f['SORT_SQN']}^")
    nk = cursor(f"{head}{f['ORD_STRT_DT']}^{page[-1][0].order_no}^" if more else "")
    body = ok(codes.INQUIRY_OK if page else codes.INQUIRY_EMPTY, ctx_area_fk200=fk, ctx_area_nk200=nk,
              output=[row(o, name_of(o), d) for o, d in page])
    return body, tr_cont(query.after is not None, more)
