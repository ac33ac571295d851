"""해외주식 주문 on the wire: the request body ↔ `NewOrder`, and the acknowledgement (PROTOCOL §4)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from localkis.domain.errors import BusinessError, Reason
from localkis.domain.orders import NewOrder, Order
from localkis.protocol import codes
from localkis.protocol.codes import Ops
from localkis.protocol.env import Env
from localkis.protocol.exchanges import EXCHANGES, Exchange, parse_exchange
from localkis.protocol.fields import ORDER_BODY
from localkis.protocol.orders import OrderType, Side
from localkis.protocol.trids import TrSpec
from localkis.wire.errors import OpsError
from localkis.wire.responses import account_fields, account_of, hhmmss, ok, price_text

FIELDS = ORDER_BODY


def order_exchange(code: str, spec: TrSpec) -> Exchange:
    """`OVRS_EXCG_CD` of an order or revise/cancel: unknown → APBK0656; another market than the TR's
    → OPSQ2001."""
    exchange = parse_exchange(code)
    if exchange is None:
        raise BusinessError(Reason.UNKNOWN_SYMBOL, code)
    if spec.market is not None and EXCHANGES[exchange].market is not spec.market:
        raise OpsError(Ops.BAD_MARKET)
    return exchange


def decode(fields: Mapping[str, str], spec: TrSpec, env: Env, tr_id: str) -> NewOrder:
    """Checked body fields (`FIELDS`) of the TR `spec` (sent as `tr_id`) → the order command."""
    assert spec.side is not None
    return NewOrder(account=account_of(fields), env=env, exchange=order_exchange(fields["OVRS_EXCG_CD"], spec),
                    symbol=fields["PDNO"], side=spec.side, order_type=fields["ORD_DVSN"] or OrderType.LIMIT.value,
                    quantity=int(fields["ORD_QTY"]), price=Decimal(fields["OVRS_ORD_UNPR"]), tr_id=tr_id,
                    manager_order_no=fields["MGCO_APTM_ODNO"])


def encode(order: NewOrder) -> dict[str, str]:
    """The body a client sends for `order` (every field, optional ones blank, as KIS's samples do)."""
    return {**account_fields(order.account), "OVRS_EXCG_CD": order.exchange.value, "PDNO": order.symbol,
            "ORD_QTY": str(order.quantity), "OVRS_ORD_UNPR": price_text(order.price), "CTAC_TLNO": "",
            "MGCO_APTM_ODNO": order.manager_order_no, "SLL_TYPE": "00" if order.side is Side.SELL else "",
            "ORD_SVR_DVSN_CD": "0", "ORD_DVSN": order.order_type}


def render(order: Order, env: Env) -> dict[str, object]:
    message = codes.ORDER_BUY_OK if order.side is Side.BUY else codes.ORDER_SELL_OK
    return ack(message.for_env(env), order)


def ack(message: codes.Message, order: Order) -> dict[str, object]:
    """`output` of every order-entry answer: KRX_FWDG_ORD_ORGNO, ODNO, ORD_TMD (B5)."""
    return ok(message, output={"KRX_FWDG_ORD_ORGNO": order.branch, "ODNO": order.order_no,
                               "ORD_TMD": hhmmss(order.created_at)})
