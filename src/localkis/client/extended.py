"""Operation plans of the newer APIs: reservations (예약주문), US daytime orders (주간거래) and the account's
history and P/L. Like `core.py`, plans only: the sync and async clients run them.

Requests are built by the APIs' wire codecs and checked with the server's field specs (`calls.call`);
TR IDs come from the protocol table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from localkis.client import calls
from localkis.client.calls import Call
from localkis.client.core import ClientCore, Intent, Op, Reply
from localkis.client.errors import KisError
from localkis.client.models import OrderAck, dec, parse_side, qty
from localkis.domain.orders import NewOrder, RevisionRequest
from localkis.domain.reservations import ReserveCommand
from localkis.protocol.apis import Api
from localkis.protocol.env import Env
from localkis.protocol.exchanges import EXCHANGES, US_EXCHANGES, Exchange, Market
from localkis.protocol.orders import OrderKind, OrderType, RevisionKind, Side
from localkis.protocol.trids import TR_TABLE
from localkis.wire import daytime, period_profit, period_trans, reservations
from localkis.wire.period_profit import ProfitQuery
from localkis.wire.period_trans import TransQuery

MAX_PAGES = 100


def _tr(api: Api, env: Env, market: Market | None = None, side: Side | None = None) -> str:
    """The canonical TR of `api` for the environment (and the market family and side, where they differ)."""
    for tr_id, spec in TR_TABLE.items():
        if (spec.api is api and spec.env is env and spec.market is market and spec.side is side
                and spec.alias_of is None):
            return tr_id
    raise KisError(f"{api.value} has no TR for {env.value} {market} {side}")


@dataclass(frozen=True, slots=True)
class Reservation:
    """A row of order-resv-list (예약주문조회)."""

    number: str  # ovrs_rsvn_odno
    receipt_date: str  # rsvn_ord_rcit_dt
    status: str  # ovrs_rsvn_ord_stat_cd: 01 waiting, 02 sent, 03 refused, 04 cancelled
    cancelled: bool
    exchange: str
    symbol: str
    side: Side
    quantity: int
    price: Decimal
    order_no: str  # the order it became ("" until sent)
    filled_quantity: int
    reason: str  # why it was refused at the open
    raw: dict[str, Any]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Reservation:
        return cls(str(row.get("ovrs_rsvn_odno", "")), str(row.get("rsvn_ord_rcit_dt", "")),
                   str(row.get("ovrs_rsvn_ord_stat_cd", "")), row.get("cncl_yn") == "Y",
                   str(row.get("ovrs_excg_cd", "")), str(row.get("pdno", "")),
                   parse_side(str(row.get("sll_buy_dvsn_cd", "02"))), qty(row.get("ft_ord_qty")),
                   dec(row.get("ft_ord_unpr3")), str(row.get("odno", "")), qty(row.get("ft_ccld_qty")),
                   str(row.get("nprc_rson_text", "")), dict(row))


@dataclass(frozen=True, slots=True)
class ReservationAck:
    number: str  # OVRS_RSVN_ODNO (US: output.ODNO)
    receipt_date: str  # "" on the US TRs, which do not answer it
    msg_cd: str
    msg1: str
    tr_id: str


@dataclass(frozen=True, slots=True)
class ProfitRow:
    """A row of inquire-period-profit: one instrument's sells on one day."""

    trade_date: str
    exchange: str
    symbol: str
    quantity: int
    average_buy_price: Decimal
    buy_amount: Decimal
    average_sell_price: Decimal
    sell_amount: Decimal
    fees: Decimal
    profit: Decimal
    return_rate: Decimal
    raw: dict[str, Any]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ProfitRow:
        return cls(str(row.get("trad_day", "")), str(row.get("ovrs_excg_cd", "")), str(row.get("ovrs_pdno", "")),
                   qty(row.get("slcl_qty")), dec(row.get("pchs_avg_pric")), dec(row.get("frcr_pchs_amt1")),
                   dec(row.get("avg_sll_unpr")), dec(row.get("frcr_sll_amt_smtl1")), dec(row.get("stck_sll_tlex")),
                   dec(row.get("ovrs_rlzt_pfls_amt")), dec(row.get("pftrt")), dict(row))


@dataclass(frozen=True, slots=True)
class Transaction:
    """A row of inquire-period-trans: one fill with its settlement date and commission."""

    trade_date: str
    settlement_date: str
    side: Side
    symbol: str
    quantity: int
    price: Decimal
    amount: Decimal
    fee: Decimal
    currency: str
    raw: dict[str, Any]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Transaction:
        return cls(str(row.get("trad_dt", "")), str(row.get("sttl_dt", "")),
                   parse_side(str(row.get("sll_buy_dvsn_cd", "02"))), str(row.get("pdno", "")),
                   qty(row.get("ccld_qty")), dec(row.get("ft_ccld_unpr2")), dec(row.get("tr_frcr_amt2")),
                   dec(row.get("frcr_fee1")), str(row.get("crcy_cd", "")), dict(row))


def _rows(body: dict[str, Any], key: str) -> list[dict[str, Any]]:
    out = body.get(key)
    return [r for r in out if isinstance(r, dict)] if isinstance(out, list) else []


class ExtendedCore(ClientCore):
    """`ClientCore` with the plans of the reservation, daytime and history APIs."""

    # --- reservations ------------------------------------------------------------------------------
    def _reserve_op(self, exchange: Exchange | str, symbol: str, side: Side | str, quantity: int,
                    price: Decimal | str | int, order_type: OrderType | str) -> Op[ReservationAck]:
        ex = calls.to_exchange(exchange, self.env)
        sd = parse_side(side)
        market = EXCHANGES[ex].market
        us = market is Market.US
        tr_id = _tr(Api.ORDER_RESV, self.env, Market.US if us else None, sd if us else None)
        command = ReserveCommand(calls.account_of(self.config), self.env, ex, symbol.strip(), sd,
                                 OrderType(order_type).value, calls.to_quantity(quantity), calls.to_price(price), "")
        reply: Reply = yield calls.call(Api.ORDER_RESV, tr_id, reservations.encode_reserve(command))
        out = reply.body.get("output") or {}
        number = str(out.get("ODNO") or out.get("OVRS_RSVN_ODNO") or "")
        return ReservationAck(number, str(out.get("RSVN_ORD_RCIT_DT", "")), str(reply.body.get("msg_cd", "")),
                              str(reply.body.get("msg1", "")), tr_id)

    def _cancel_reservation_op(self, number: str, receipt_date: date | str, exchange: Exchange | str,
                               symbol: str) -> Op[ReservationAck]:
        ex = calls.to_exchange(exchange, self.env)
        day = receipt_date if isinstance(receipt_date, str) else f"{receipt_date:%Y%m%d}"
        request = reservations.CancelRequest(calls.account_of(self.config), number.zfill(10), day)
        if ex in US_EXCHANGES:
            tr_id = _tr(Api.ORDER_RESV_CCNL, self.env, Market.US)
            call: Call = calls.call(Api.ORDER_RESV_CCNL, tr_id, reservations.encode_cancel(request))
        else:  # Asian reservations are cancelled through order-resv (RVSE_CNCL_DVSN_CD "02")
            tr_id = _tr(Api.ORDER_RESV, self.env)
            body = {**reservations.encode_cancel(request), "RVSE_CNCL_DVSN_CD": "02", "PDNO": symbol.strip(),
                    "OVRS_EXCG_CD": ex.value, "FT_ORD_QTY": "0", "FT_ORD_UNPR3": "0"}
            call = calls.call(Api.ORDER_RESV, tr_id, body)
        reply: Reply = yield call
        out = reply.body.get("output") or {}
        return ReservationAck(str(out.get("OVRS_RSVN_ODNO", "")), day, str(reply.body.get("msg_cd", "")),
                              str(reply.body.get("msg1", "")), tr_id)

    def _reservations_op(self, start: date, end: date, asia: bool) -> Op[list[Reservation]]:
        tr_id = _tr(Api.ORDER_RESV_LIST, self.env, None if asia else Market.US)
        cano, product = self.config.cano, self.config.product

        def make(fk: str, nk: str, cont: str) -> Call:
            return calls.call(Api.ORDER_RESV_LIST, tr_id, {
                "CANO": cano, "ACNT_PRDT_CD": product, "INQR_STRT_DT": f"{start:%Y%m%d}",
                "INQR_END_DT": f"{end:%Y%m%d}", "INQR_DVSN_CD": "00", "PRDT_TYPE_CD": "", "OVRS_EXCG_CD": "",
                "CTX_AREA_FK200": fk, "CTX_AREA_NK200": nk}, tr_cont=cont)

        rows = yield from self._pages(make)
        return [Reservation.from_row(r) for r in rows]

    # --- US daytime --------------------------------------------------------------------------------
    def _daytime_order_op(self, exchange: Exchange | str, symbol: str, side: Side | str, quantity: int,
                          price: Decimal | str | int) -> Op[OrderAck]:
        ex = calls.to_exchange(exchange, self.env)
        sd = parse_side(side)
        tr_id = _tr(Api.DAYTIME_ORDER, self.env, Market.US, sd)
        order = NewOrder(calls.account_of(self.config), self.env, ex, symbol.strip(), sd, OrderType.LIMIT.value,
                         calls.to_quantity(quantity), calls.to_price(price), tr_id)
        call = calls.call(Api.DAYTIME_ORDER, tr_id, daytime.encode_order(order))
        intent = Intent(OrderKind.NEW, ex, order.symbol, sd, order.quantity, order.price, "")
        return self._write_op(call, intent)

    def _daytime_revise_cancel_op(self, revise: bool, order_no: str, exchange: Exchange | str, symbol: str,
                                  quantity: int, price: Decimal | str | int | None) -> Op[OrderAck]:
        ex = calls.to_exchange(exchange, self.env)
        tr_id = _tr(Api.DAYTIME_REVISE_CANCEL, self.env, Market.US)
        kind = RevisionKind.REVISE if revise else RevisionKind.CANCEL
        p = calls.to_price(price) if revise and price is not None else Decimal(0)
        request = RevisionRequest(kind, calls.account_of(self.config), self.env, ex, symbol.strip(),
                                  order_no.zfill(10), quantity, p, tr_id)
        call = calls.call(Api.DAYTIME_REVISE_CANCEL, tr_id, daytime.encode_revise_cancel(request))
        intent = Intent(OrderKind.REVISE if revise else OrderKind.CANCEL, ex, request.symbol, None, quantity,
                        p if revise else None, request.original_no)
        return self._write_op(call, intent)

    # --- history and P/L ---------------------------------------------------------------------------
    def _profit_op(self, start: date, end: date, exchange: Exchange | str | None) -> Op[list[ProfitRow]]:
        tr_id = _tr(Api.INQUIRE_PERIOD_PROFIT, self.env)
        scope = None if exchange is None else frozenset({calls.to_exchange(exchange, self.env)})
        q = ProfitQuery(calls.account_of(self.config), scope, "", "", f"{start:%Y%m%d}", f"{end:%Y%m%d}", False, 0)
        rows = yield from self._pages(
            lambda fk, nk, cont: calls.call(Api.INQUIRE_PERIOD_PROFIT, tr_id, period_profit.encode(q, fk, nk),
                                            tr_cont=cont), key="output1")
        return [ProfitRow.from_row(r) for r in rows]

    def _transactions_op(self, start: date, end: date, exchange: Exchange | str | None) -> Op[list[Transaction]]:
        tr_id = _tr(Api.INQUIRE_PERIOD_TRANS, self.env)
        ex = calls.to_exchange(exchange, self.env) if exchange is not None else None
        q = TransQuery(calls.account_of(self.config), f"{start:%Y%m%d}", f"{end:%Y%m%d}", ex, "", None, 0)
        rows: list[dict[str, Any]] = []
        fk = nk = cont = ""
        for _ in range(MAX_PAGES):  # cursors of 100 characters (ctx_area_*100), not the usual 200
            reply: Reply = yield calls.call(Api.INQUIRE_PERIOD_TRANS, tr_id, period_trans.encode(q, fk, nk),
                                            tr_cont=cont)
            rows.extend(_rows(reply.body, "output1"))
            next_nk = str(reply.body.get("ctx_area_nk100", ""))
            if reply.tr_cont not in ("F", "M") or not next_nk.strip() or next_nk == nk:
                return [Transaction.from_row(r) for r in rows]
            fk, nk, cont = str(reply.body.get("ctx_area_fk100", "")), next_nk, "N"
        raise KisError(f"more than {MAX_PAGES} pages; giving up")
