"""해외주식 미국주간주문 / 미국주간정정취소 on the wire (REST-NEXT §5–§6): the order-shaped bodies (no SLL_TYPE)
↔ the order and revision commands, and the order acknowledgement (KRX_FWDG_ORD_ORGNO, ODNO, ORD_TMD)."""

from __future__ import annotations

from collections.abc import Mapping

from localkis.domain.orders import NewOrder, Order, RevisionRequest
from localkis.protocol.env import Env
from localkis.protocol.fields import DAYTIME_ORDER_BODY, DAYTIME_REVISE_CANCEL_BODY
from localkis.protocol.orders import OrderType, RevisionKind
from localkis.protocol.trids import TrSpec
from localkis.wire import order, revise_cancel
from localkis.wire.responses import account_fields, price_text

ORDER_FIELDS = DAYTIME_ORDER_BODY
REVISE_CANCEL_FIELDS = DAYTIME_REVISE_CANCEL_BODY


def decode_order(fields: Mapping[str, str], spec: TrSpec, env: Env, tr_id: str) -> NewOrder:
    # The regular order's body less SLL_TYPE and the TWAP/VWAP fields: its decoding is the same.
    return order.decode(fields, spec, env, tr_id)


def encode_order(command: NewOrder) -> dict[str, str]:
    """The body python-kis sends, with the spec's optional fields blank."""
    return {**account_fields(command.account), "OVRS_EXCG_CD": command.exchange.value, "PDNO": command.symbol,
            "ORD_QTY": str(command.quantity), "OVRS_ORD_UNPR": price_text(command.price), "CTAC_TLNO": "",
            "MGCO_APTM_ODNO": command.manager_order_no, "ORD_SVR_DVSN_CD": "0", "ORD_DVSN": OrderType.LIMIT.value}


def decode_revise_cancel(fields: Mapping[str, str], spec: TrSpec, env: Env, tr_id: str) -> RevisionRequest:
    # The regular revise/cancel's body less SLL_TYPE: its decoding is the same.
    return revise_cancel.decode(fields, spec, env, tr_id)


def encode_revise_cancel(request: RevisionRequest) -> dict[str, str]:
    return revise_cancel.encode(request)


def render_order(placed: Order, env: Env) -> dict[str, object]:
    return order.render(placed, env)


def render_revise_cancel(record: Order, kind: RevisionKind, env: Env) -> dict[str, object]:
    return revise_cancel.render(record, kind, env)
