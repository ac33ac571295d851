"""해외주식 예약주문 on the wire (REST-NEXT §2–§4): order-resv (US buy/sell, Asia buy/sell/cancel),
order-resv-ccnl (US cancel) and order-resv-list, their bodies ↔ typed requests and their answers."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import NamedTuple

from localkis.domain.errors import BusinessError, Reason
from localkis.domain.orders import Order
from localkis.domain.reservations import (
    STATUS_NAMES,
    Reservation,
    ReservationQuery,
    ReservationStatus,
    ReserveCommand,
)
from localkis.protocol import codes
from localkis.protocol.codes import Ops
from localkis.protocol.env import Env
from localkis.protocol.exchanges import EXCHANGES, SEARCH_TYPE_CODES, US_EXCHANGES, Exchange, Market
from localkis.protocol.fields import ORDER_RESV_BODY, ORDER_RESV_CCNL_BODY, ORDER_RESV_LIST_QUERY
from localkis.protocol.orders import OrderType, Side
from localkis.protocol.trids import TrSpec
from localkis.wire.errors import OpsError, field_format_error, field_size_error
from localkis.wire.order import order_exchange
from localkis.wire.paging import cursor, order_after, tr_cont
from localkis.wire.responses import SIDE_NAME, account_fields, account_of, fixed, hhmmss, ok, price_text

RESERVE_FIELDS = ORDER_RESV_BODY
CANCEL_FIELDS = ORDER_RESV_CCNL_BODY
LIST_FIELDS = ORDER_RESV_LIST_QUERY

# Rows per page of order-resv-list: KIS's is unknown (REST-NEXT §4); localkis's choice (docs/behaviour.md).
PAGE_SIZE = 20
ASIA_EXCHANGES = frozenset(Exchange) - US_EXCHANGES
ORDER_TYPE_NAMES = {OrderType.LIMIT.value: "지정가", OrderType.MOO.value: "장개시시장가",
                    OrderType.TWAP.value: "TWAP지정가", OrderType.VWAP.value: "VWAP지정가"}


class CancelRequest(NamedTuple):
    """A reservation cancel: order-resv-ccnl, or order-resv TTTS3013U with RVSE_CNCL_DVSN_CD "02"."""

    account: str
    number: str  # OVRS_RSVN_ODNO
    receipt_date: str  # RSVN_ORD_RCIT_DT ("" = any)


def _region(spec: TrSpec, exchange: Exchange) -> Exchange:
    """The US TRs take US exchanges only, the Asia TR (market None) every other."""
    if spec.market is None and EXCHANGES[exchange].market is Market.US:
        raise OpsError(Ops.BAD_MARKET)
    return exchange


def decode_reserve(fields: Mapping[str, str], spec: TrSpec, env: Env) -> ReserveCommand | CancelRequest:
    """order-resv's checked body → a new reservation, or (Asia TR, RVSE_CNCL_DVSN_CD "02") a cancel."""
    account = account_of(fields)
    if fields["RVSE_CNCL_DVSN_CD"] == "02":
        if spec.market is not None:  # the US cancels through order-resv-ccnl
            raise BusinessError(Reason.BAD_REVISE_CANCEL_CODE, "US reservations cancel through order-resv-ccnl")
        if not fields["OVRS_RSVN_ODNO"].isdigit():
            raise field_format_error("OVRS_RSVN_ODNO")
        return CancelRequest(account, fields["OVRS_RSVN_ODNO"], fields["RSVN_ORD_RCIT_DT"])
    exchange = _region(spec, order_exchange(fields["OVRS_EXCG_CD"], spec))
    # The Asia TR's side: SLL_BUY_DVSN_CD, which KIS's own Asia examples omit: then a buy (UNVERIFIED).
    side = spec.side if spec.side is not None else (Side.SELL if fields["SLL_BUY_DVSN_CD"] == "01" else Side.BUY)
    return ReserveCommand(account=account, env=env, exchange=exchange, symbol=fields["PDNO"], side=side,
                          order_type=fields["ORD_DVSN"] or OrderType.LIMIT.value,
                          quantity=int(fields["FT_ORD_QTY"]), price=Decimal(fields["FT_ORD_UNPR3"]),
                          product_type=fields["PRDT_TYPE_CD"])


def decode_cancel(fields: Mapping[str, str]) -> CancelRequest:
    day = fields["RSVN_ORD_RCIT_DT"] or fields["RSYN_ORD_RCIT_DT"]  # the spec table's spelling too
    if not day:
        raise field_size_error("RSVN_ORD_RCIT_DT", 0)
    return CancelRequest(account_of(fields), fields["OVRS_RSVN_ODNO"], day)


def encode_reserve(command: ReserveCommand) -> dict[str, str]:
    """The body a client sends (the US TRs' six fields plus ORD_DVSN; the Asia TR's side and product)."""
    body = {**account_fields(command.account), "PDNO": command.symbol, "OVRS_EXCG_CD": command.exchange.value,
            "FT_ORD_QTY": str(command.quantity), "FT_ORD_UNPR3": price_text(command.price),
            "ORD_SVR_DVSN_CD": "0", "ORD_DVSN": command.order_type}
    if EXCHANGES[command.exchange].market is not Market.US:
        body.update(SLL_BUY_DVSN_CD=command.side.value, RVSE_CNCL_DVSN_CD="00",
                    PRDT_TYPE_CD=command.product_type or EXCHANGES[command.exchange].search_type_code)
    return body


def encode_cancel(request: CancelRequest) -> dict[str, str]:
    return {**account_fields(request.account), "RSVN_ORD_RCIT_DT": request.receipt_date,
            "OVRS_RSVN_ODNO": request.number}


def render_reserve(reservation: Reservation, spec: TrSpec, env: Env) -> dict[str, object]:
    """US TRs answer output.ODNO (the reservation number); the Asia TR its receipt date and number."""
    message = (codes.RESERVE_BUY_OK if reservation.side is Side.BUY else codes.RESERVE_SELL_OK).for_env(env)
    if spec.market is Market.US:
        return ok(message, output={"ODNO": reservation.number})
    return ok(message, output={"RSVN_ORD_RCIT_DT": reservation.receipt_date,
                               "OVRS_RSVN_ODNO": reservation.number})


def render_cancel(reservation: Reservation) -> dict[str, object]:
    return ok(codes.RESERVE_CANCEL_OK, output={"OVRS_RSVN_ODNO": reservation.number})


def decode_list(fields: Mapping[str, str], spec: TrSpec) -> ReservationQuery:
    """The query: the TR's region (US or Asia), narrowed by OVRS_EXCG_CD or PRDT_TYPE_CD when given."""
    exchanges: frozenset[Exchange] | None = US_EXCHANGES if spec.market is Market.US else ASIA_EXCHANGES
    code = fields["OVRS_EXCG_CD"].strip()
    if code:
        exchanges = frozenset({order_exchange(code, TrSpec(spec.tr_id, spec.api, spec.env))})
    elif fields["PRDT_TYPE_CD"].strip():
        found = SEARCH_TYPE_CODES.get(fields["PRDT_TYPE_CD"].strip())
        exchanges = frozenset({found}) if found is not None else frozenset()
    return ReservationQuery(account_of(fields), exchanges, fields["INQR_STRT_DT"], fields["INQR_END_DT"],
                            order_after(fields["CTX_AREA_NK200"]), PAGE_SIZE + 1)


def row(reservation: Reservation, order: Order | None, name: str, branch: str) -> dict[str, str]:
    """One output row (REST-NEXT §4 table, plus ft_ccld_unpr3 of its example)."""
    r = reservation
    status = STATUS_NAMES[r.status]
    return {
        "cncl_yn": "Y" if r.status is ReservationStatus.CANCELLED else "N",
        "rsvn_ord_rcit_dt": r.receipt_date,
        "ovrs_rsvn_odno": r.number,
        "ord_dt": r.order_date,
        "ord_gno_brno": branch,
        "odno": r.order_no,
        "sll_buy_dvsn_cd": r.side.value,
        "sll_buy_dvsn_cd_name": ORDER_TYPE_NAMES.get(r.order_type, "") + SIDE_NAME[r.side],
        "ovrs_rsvn_ord_stat_cd": r.status.value,
        "ovrs_rsvn_ord_stat_cd_name": status,
        "pdno": r.symbol,
        "prdt_type_cd": r.product_type or EXCHANGES[r.exchange].search_type_code,
        "prdt_name": name,
        "ord_rcit_tmd": hhmmss(r.received_at),
        "ord_fwdg_tmd": hhmmss(r.forwarded_at) if r.forwarded_at is not None else "",
        "tr_dvsn_name": status,
        "ovrs_excg_cd": r.exchange.value,
        "tr_mket_name": EXCHANGES[r.exchange].market_name,
        "ord_stfno": "999999",
        "ft_ord_qty": str(r.quantity),
        "ft_ord_unpr3": fixed(r.price, 8),
        "ft_ccld_qty": str(order.filled if order is not None else 0),
        "ft_ccld_unpr3": fixed(order.average_fill_price if order is not None else Decimal(0), 8),
        "nprc_rson_text": r.reason,
        "splt_buy_attr_name": "정규장 종료" if r.order_type in (OrderType.TWAP, OrderType.VWAP) else "",
    }


def render_list(rows: list[dict[str, str]], query: ReservationQuery, more: bool, continuing: bool,
                fields: Mapping[str, str]) -> tuple[dict[str, object], str]:
    """The body and its tr_cont; the cursors say where the next page starts."""
    fk = "^".join((fields["CANO"], fields["ACNT_PRDT_CD"], query.date_from, query.date_to,
                   fields["INQR_DVSN_CD"] or "00")) + "^"
    nk = (fk + rows[-1]["ovrs_rsvn_odno"] + "^") if more and rows else ""
    message = codes.INQUIRY_OK if rows else codes.INQUIRY_EMPTY
    body = ok(message, ctx_area_fk200=cursor(fk), ctx_area_nk200=cursor(nk), output=rows)
    return body, tr_cont(continuing, more)
