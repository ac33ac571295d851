"""해외주식 미국주간주문 / 미국주간정정취소 on the wire (REST-NEXT §5–§6): the order-shaped bodies (no SLL_TYPE)
↔ the order and revision commands, and the order acknowledgement (KRX_FWDG_ORD_ORGNO, ODNO, ORD_TMD)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from localkis.domain.orders import NewOrder, Order, RevisionRequest
from localkis.protocol import codes
from localkis.protocol.env import Env
from localkis.protocol.fields import DAYTIME_ORDER_BODY, DAYTIME_REVISE_CANCEL_BODY
from localkis.protocol.orders import OrderType, RevisionKind, Side
from localkis.protocol.trids import TrSpec
from localkis.wire import revise_cancel
from localkis.wire.order import ack, order_exchange
from localkis.wire.responses import account_fields, account_of, price_text

ORDER_FIELDS = DAYTIME_ORDER_BODY
REVISE_CANCEL_FIELDS = DAYTIME_REVISE_CANCEL_BODY


def decode_order(fields: Mapping[str, str], spec: TrSpec, env: Env, tr_id: str) -> NewOrder:
    assert spec.side is not None
    return NewOrder(account=account_of(fields), env=env, exchange=order_exchange(fields["OVRS_EXCG_CD"], spec),
                    symbol=fields["PDNO"], side=spec.side, order_type=fields["ORD_DVSN"] or OrderType.LIMIT.value,
                    quantity=int(fields["ORD_QTY"]), price=Decimal(fields["OVRS_ORD_UNPR"]), tr_id=tr_id,
                    manager_order_no=fields["MGCO_APTM_ODNO"])


def encode_order(order: NewOrder) -> dict[str, str]:
    """The body python-kis sends, with the spec's optional fields blank."""
    return {**account_fields(order.account), "OVRS_EXCG_CD": order.exchange.value, "PDNO": order.symbol,
            "ORD_QTY": str(order.quantity), "OVRS_ORD_UNPR": price_text(order.price), "CTAC_TLNO": "",
            "MGCO_APTM_ODNO": order.manager_order_no, "ORD_SVR_DVSN_CD": "0", "ORD_DVSN": OrderType.LIMIT.value}


def decode_revise_cancel(fields: Mapping[str, str], spec: TrSpec, env: Env, tr_id: str) -> RevisionRequest:
    # The regular revise/cancel's body less SLL_TYPE: its decoding is the same.
    return revise_cancel.decode(fields, spec, env, tr_id)


def encode_revise_cancel(request: RevisionRequest) -> dict[str, str]:
    return revise_cancel.encode(request)


def render_order(order: Order, env: Env) -> dict[str, object]:
    message = codes.ORDER_BUY_OK if order.side is Side.BUY else codes.ORDER_SELL_OK
    return ack(message.for_env(env), order)


def render_revise_cancel(record: Order, kind: RevisionKind, env: Env) -> dict[str, object]:
    return revise_cancel.render(record, kind, env)
