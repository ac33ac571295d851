"""Round trips (encode ∘ decode) of the reservation, daytime and history codecs, and their refusals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from localkis.domain.errors import BusinessError, Reason
from localkis.domain.orders import NewOrder, RevisionRequest
from localkis.domain.reservations import ReserveCommand
from localkis.protocol.env import Env
from localkis.protocol.exchanges import Exchange
from localkis.protocol.orders import RevisionKind, Side
from localkis.protocol.trids import TR_TABLE
from localkis.wire import daytime, period_profit, period_trans, reservations
from localkis.wire.errors import OpsError
from localkis.wire.requests import check_fields

ACCOUNT = "12345678-01"


@pytest.mark.parametrize(("command", "tr_id"), [
    (ReserveCommand(ACCOUNT, Env.REAL, Exchange.NASD, "AAPL", Side.BUY, "00", 10, Decimal("190.50"), ""), "TTTT3014U"),
    (ReserveCommand(ACCOUNT, Env.REAL, Exchange.NYSE, "IBM", Side.SELL, "31", 1, Decimal(0), ""), "TTTT3016U"),
    (ReserveCommand(ACCOUNT, Env.MOCK, Exchange.TKSE, "7203", Side.SELL, "00", 100, Decimal(2500), "515"),
     "VTTS3013U"),
])
def test_reserve_round_trip(command: ReserveCommand, tr_id: str) -> None:
    fields = check_fields(reservations.encode_reserve(command), reservations.RESERVE_FIELDS)
    assert reservations.decode_reserve(fields, TR_TABLE[tr_id], command.env) == command


def test_reserve_refusals() -> None:
    body = reservations.encode_reserve(
        ReserveCommand(ACCOUNT, Env.REAL, Exchange.TKSE, "7203", Side.BUY, "00", 100, Decimal(2500), "515"))
    fields = check_fields(body, reservations.RESERVE_FIELDS)
    with pytest.raises(OpsError):  # an Asian exchange on the US TR
        reservations.decode_reserve(fields, TR_TABLE["TTTT3014U"], Env.REAL)
    cancel = check_fields({**body, "RVSE_CNCL_DVSN_CD": "02", "OVRS_RSVN_ODNO": "0000000007",
                           "RSVN_ORD_RCIT_DT": "20261124"}, reservations.RESERVE_FIELDS)
    assert reservations.decode_reserve(cancel, TR_TABLE["TTTS3013U"], Env.REAL) == reservations.CancelRequest(
        ACCOUNT, "0000000007", "20261124")
    with pytest.raises(BusinessError) as err:  # US reservations cancel through order-resv-ccnl
        reservations.decode_reserve(cancel, TR_TABLE["TTTT3014U"], Env.REAL)
    assert err.value.reason is Reason.BAD_REVISE_CANCEL_CODE
    # Omitted SLL_BUY_DVSN_CD on the Asia TR: a buy (KIS's own examples omit it).
    plain = check_fields({k: v for k, v in body.items() if k != "SLL_BUY_DVSN_CD"}, reservations.RESERVE_FIELDS)
    decoded = reservations.decode_reserve(plain, TR_TABLE["TTTS3013U"], Env.REAL)
    assert isinstance(decoded, ReserveCommand) and decoded.side is Side.BUY


def test_cancel_round_trip() -> None:
    request = reservations.CancelRequest(ACCOUNT, "0000000042", "20261124")
    fields = check_fields(reservations.encode_cancel(request), reservations.CANCEL_FIELDS)
    assert reservations.decode_cancel(fields) == request
    typo = {**reservations.encode_cancel(request), "RSVN_ORD_RCIT_DT": "", "RSYN_ORD_RCIT_DT": "20261124"}
    assert reservations.decode_cancel(check_fields(typo, reservations.CANCEL_FIELDS)) == request
    with pytest.raises(OpsError):  # no date at all
        reservations.decode_cancel(check_fields({**typo, "RSYN_ORD_RCIT_DT": ""}, reservations.CANCEL_FIELDS))


def test_daytime_round_trips() -> None:
    order = NewOrder(ACCOUNT, Env.REAL, Exchange.NASD, "AAPL", Side.SELL, "00", 3, Decimal("150.25"), "TTTS6037U")
    fields = check_fields(daytime.encode_order(order), daytime.ORDER_FIELDS)
    assert daytime.decode_order(fields, TR_TABLE["TTTS6037U"], Env.REAL, "TTTS6037U") == order
    request = RevisionRequest(RevisionKind.REVISE, ACCOUNT, Env.REAL, Exchange.NASD, "AAPL", "0000000009", 3,
                              Decimal("151.00"), "TTTS6038U")
    fields = check_fields(daytime.encode_revise_cancel(request), daytime.REVISE_CANCEL_FIELDS)
    assert daytime.decode_revise_cancel(fields, TR_TABLE["TTTS6038U"], Env.REAL, "TTTS6038U") == request


def test_history_round_trips() -> None:
    q = period_profit.ProfitQuery(ACCOUNT, frozenset({Exchange.TKSE}), "", "", "20261101", "20261130", True, 0)
    assert period_profit.decode(check_fields(period_profit.encode(q), period_profit.FIELDS)) == q
    with pytest.raises(OpsError):
        period_profit.decode(check_fields({**period_profit.encode(q), "OVRS_EXCG_CD": "XXXX"}, period_profit.FIELDS))
    t = period_trans.TransQuery(ACCOUNT, "20261101", "20261130", Exchange.SEHK, "00700", Side.SELL, 0)
    assert period_trans.decode(check_fields(period_trans.encode(t), period_trans.FIELDS)) == t
    paged = {**period_trans.encode(t), "CTX_AREA_NK100": "12345678!^01!^20261101!^20261130!^50!^"}
    assert period_trans.decode(check_fields(paged, period_trans.FIELDS)).offset == 50
