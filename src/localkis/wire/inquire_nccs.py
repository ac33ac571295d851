"""해외주식 미체결내역 (inquire-nccs) on the wire: query ↔ `NccsQuery`, and a page of rows (PROTOCOL §6, A6)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from localkis.domain.orders import Order
from localkis.protocol import codes
from localkis.protocol.codes import Ops
from localkis.protocol.exchanges import EXCHANGES, Exchange, parse_exchange
from localkis.protocol.fields import INQUIRE_NCCS_QUERY, NCCS_PAGE_SIZE
from localkis.wire.errors import OpsError
from localkis.wire.paging import NK200, cursor, order_after, tr_cont
from localkis.wire.responses import KIND_NAME, account_fields, account_of, ok, order_row

FIELDS = INQUIRE_NCCS_QUERY
PAGE_SIZE = NCCS_PAGE_SIZE
ASCENDING = "DS"  # SORT_SQN "DS" lists by ascending order number; anything else descending


@dataclass(frozen=True, slots=True)
class NccsQuery:
    account: str
    exchange: Exchange | None  # NASD: every US venue (B6); None (blank): every exchange
    sort: str = ASCENDING
    after: str | None = None  # the last order number of the previous page

    @property
    def descending(self) -> bool:
        return self.sort != ASCENDING


def decode(fields: Mapping[str, str]) -> NccsQuery:
    code = fields["OVRS_EXCG_CD"].strip()
    exchange = parse_exchange(code) if code else None
    if code and exchange is None:
        raise OpsError(Ops.BAD_MARKET)
    return NccsQuery(account_of(fields), exchange, fields["SORT_SQN"], order_after(fields[NK200]))


def encode(query: NccsQuery, fk: str = "", nk: str = "") -> dict[str, str]:
    return {**account_fields(query.account), "OVRS_EXCG_CD": query.exchange.value if query.exchange else "",
            "SORT_SQN": query.sort,
            "CTX_AREA_FK200": fk, "CTX_AREA_NK200": nk}


def row(order: Order, name: str, local_date: str) -> dict[str, str]:
    info = EXCHANGES[order.exchange]
    out = order_row(order, name, local_date)
    out.update({"rvse_cncl_dvsn_cd": order.kind.value, "rvse_cncl_dvsn_cd_name": KIND_NAME[order.kind],
                "natn_cd": info.country_code, "natn_kor_name": info.country_name})
    return out


def render(query: NccsQuery, rows: list[tuple[Order, str]], name_of: Callable[[Order], str]
           ) -> tuple[dict[str, object], str]:
    """A page from up to PAGE_SIZE + 1 listed (order, local date) rows: the body and its tr_cont."""
    more = len(rows) > PAGE_SIZE
    page = rows[:PAGE_SIZE]
    code = query.exchange.value if query.exchange else ""
    head = "{CANO}^{ACNT_PRDT_CD}^".format(**account_fields(query.account)) + code + "^"
    fk = cursor(f"{head}{query.sort}^")
    nk = cursor(f"{head}{page[-1][0].order_no}^" if more else "")
    body = ok(codes.INQUIRY_OK if page else codes.INQUIRY_EMPTY, ctx_area_fk200=fk, ctx_area_nk200=nk,
              output=[row(o, name_of(o), d) for o, d in page])
    return body, tr_cont(query.after is not None, more)
