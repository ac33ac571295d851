"""해외주식 정정취소주문 on the wire: the request body ↔ `RevisionRequest`, and the answer (PROTOCOL §5)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from localkis.domain.errors import BusinessError, Reason
from localkis.domain.orders import Order, RevisionRequest
from localkis.protocol import codes
from localkis.protocol.env import Env
from localkis.protocol.fields import REVISE_CANCEL_BODY
from localkis.protocol.orders import RevisionKind
from localkis.protocol.trids import TrSpec
from localkis.wire.order import ack, order_exchange
from localkis.wire.responses import account_fields, account_of, price_text

FIELDS = REVISE_CANCEL_BODY

_KINDS = {k.value: k for k in RevisionKind}  # a dict look-up, not an Enum call, per request


def decode(fields: Mapping[str, str], spec: TrSpec, env: Env, tr_id: str) -> RevisionRequest:
    """Checked body fields (`FIELDS`) → the revise/cancel command; an unknown RVSE_CNCL_DVSN_CD is a
    business refusal."""
    exchange = order_exchange(fields["OVRS_EXCG_CD"], spec)
    kind = _KINDS.get(fields["RVSE_CNCL_DVSN_CD"])
    if kind is None:
        raise BusinessError(Reason.BAD_REVISE_CANCEL_CODE, fields["RVSE_CNCL_DVSN_CD"])
    return RevisionRequest(kind=kind, account=account_of(fields), env=env, exchange=exchange, symbol=fields["PDNO"],
                           original_no=fields["ORGN_ODNO"], quantity=int(fields["ORD_QTY"]),
                           price=Decimal(fields["OVRS_ORD_UNPR"]), tr_id=tr_id,
                           manager_order_no=fields["MGCO_APTM_ODNO"])


def encode(request: RevisionRequest) -> dict[str, str]:
    """The body a client sends: a cancel's price is "0" (KIS: "취소주문 시, "0" 입력")."""
    price = price_text(request.price) if request.kind is RevisionKind.REVISE else "0"
    return {**account_fields(request.account), "OVRS_EXCG_CD": request.exchange.value, "PDNO": request.symbol,
            "ORGN_ODNO": request.original_no, "RVSE_CNCL_DVSN_CD": request.kind.value,
            "ORD_QTY": str(request.quantity), "OVRS_ORD_UNPR": price, "MGCO_APTM_ODNO": request.manager_order_no,
            "ORD_SVR_DVSN_CD": "0", "CTAC_TLNO": ""}


def render(record: Order, kind: RevisionKind, env: Env) -> dict[str, object]:
    message = codes.REVISE_OK if kind is RevisionKind.REVISE else codes.CANCEL_OK
    return ack(message.for_env(env), record)
