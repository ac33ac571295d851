"""Each API's codec (wire/<api>.py), shared by the client and the server: what a client encodes, the
server decodes back to the same typed request (encode ∘ decode = identity, through the server's own
field checks), and every refusal the codec itself makes has its KIS code."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from localkis.domain.errors import BusinessError, Reason
from localkis.domain.orders import NewOrder, RevisionRequest
from localkis.protocol.apis import Api
from localkis.protocol.codes import Ops
from localkis.protocol.env import Env
from localkis.protocol.exchanges import EXCHANGES, Exchange
from localkis.protocol.fields import API_FIELDS
from localkis.protocol.orders import OrderType, RevisionKind, Side
from localkis.protocol.trids import TR_TABLE, tr_for_order, tr_for_revise_cancel
from localkis.wire import (
    inquire_balance,
    inquire_ccnl,
    inquire_nccs,
    inquire_present_balance,
    inquire_psamount,
    order,
    price,
    revise_cancel,
    search_info,
)
from localkis.wire.errors import OpsError
from localkis.wire.requests import check_fields

D = Decimal
ACCOUNT = "12345678-01"


def through_the_server(api: Api, fields: dict[str, str]) -> dict[str, str]:
    """What a handler gets: the encoded fields after the server's field checks."""
    return check_fields(fields, API_FIELDS[api])


def new_order(env: Env, exchange: Exchange, side: Side, order_type: OrderType = OrderType.LIMIT,
              price_: str = "190.00", quantity: int = 3) -> NewOrder:
    tr_id = tr_for_order(EXCHANGES[exchange].market, side, env)
    return NewOrder(ACCOUNT, env, exchange, "AAPL", side, order_type.value, quantity, D(price_), tr_id, "M-7")


@pytest.mark.parametrize("env", list(Env))
@pytest.mark.parametrize("exchange", [Exchange.NASD, Exchange.SEHK, Exchange.TKSE, Exchange.VNSE])
@pytest.mark.parametrize("side", list(Side))
def test_order_round_trip(env: Env, exchange: Exchange, side: Side) -> None:
    command = new_order(env, exchange, side)
    fields = through_the_server(Api.ORDER, order.encode(command))
    assert order.decode(fields, TR_TABLE[command.tr_id], env, command.tr_id) == command


def test_order_round_trip_of_a_market_price_type() -> None:
    command = new_order(Env.REAL, Exchange.NASD, Side.SELL, OrderType.MOC, "0")
    fields = through_the_server(Api.ORDER, order.encode(command))
    assert fields["OVRS_ORD_UNPR"] == "0" and fields["SLL_TYPE"] == "00"
    assert order.decode(fields, TR_TABLE[command.tr_id], Env.REAL, command.tr_id) == command


@pytest.mark.parametrize("env", list(Env))
@pytest.mark.parametrize("kind", list(RevisionKind))
@pytest.mark.parametrize("exchange", [Exchange.NYSE, Exchange.SEHK, Exchange.SHAA])
def test_revise_cancel_round_trip(env: Env, kind: RevisionKind, exchange: Exchange) -> None:
    tr_id = tr_for_revise_cancel(EXCHANGES[exchange].market, env)
    request = RevisionRequest(kind, ACCOUNT, env, exchange, "AAPL", "0000000042", 2,
                              D("189.50") if kind is RevisionKind.REVISE else D(0), tr_id, "M-8")
    fields = through_the_server(Api.REVISE_CANCEL, revise_cancel.encode(request))
    assert revise_cancel.decode(fields, TR_TABLE[tr_id], env, tr_id) == request


def test_a_cancel_is_sent_with_price_zero_whatever_the_request_holds() -> None:
    request = RevisionRequest(RevisionKind.CANCEL, ACCOUNT, Env.REAL, Exchange.NASD, "AAPL", "7", 0, D("5"),
                              "TTTT1004U")
    assert revise_cancel.encode(request)["OVRS_ORD_UNPR"] == "0"


@pytest.mark.parametrize("query", [
    inquire_nccs.NccsQuery(ACCOUNT, Exchange.NASD),
    inquire_nccs.NccsQuery(ACCOUNT, Exchange.SEHK, "AS"),
])
def test_nccs_round_trip(query: inquire_nccs.NccsQuery) -> None:
    assert inquire_nccs.decode(through_the_server(Api.INQUIRE_NCCS, inquire_nccs.encode(query))) == query


def test_nccs_continuation_carries_the_cursor() -> None:
    query = inquire_nccs.NccsQuery(ACCOUNT, Exchange.NASD)
    fields = through_the_server(Api.INQUIRE_NCCS, inquire_nccs.encode(query, "fk", "12345678^01^NASD^0000000040^"))
    assert inquire_nccs.decode(fields).after == "0000000040"


@pytest.mark.parametrize("query", [
    inquire_ccnl.CcnlQuery(ACCOUNT, date(2026, 3, 1), date(2026, 3, 9)),
    inquire_ccnl.CcnlQuery(ACCOUNT, date(2026, 3, 1), date(2026, 3, 1), "AAPL", Exchange.NASD, Side.BUY, True, True),
    inquire_ccnl.CcnlQuery(ACCOUNT, date(2026, 3, 1), date(2026, 3, 1), "", Exchange.TKSE, Side.SELL, False),
])
def test_ccnl_round_trip_real(query: inquire_ccnl.CcnlQuery) -> None:
    fields = through_the_server(Api.INQUIRE_CCNL, inquire_ccnl.encode(query, Env.REAL))
    assert inquire_ccnl.decode(fields, Env.REAL) == query


def test_ccnl_mock_sends_and_reads_no_filters() -> None:
    query = inquire_ccnl.CcnlQuery(ACCOUNT, date(2026, 3, 1), date(2026, 3, 2), "AAPL", Exchange.NASD, Side.BUY,
                                   True, True)
    fields = through_the_server(Api.INQUIRE_CCNL, inquire_ccnl.encode(query, Env.MOCK))
    assert (fields["PDNO"], fields["OVRS_EXCG_CD"], fields["SLL_BUY_DVSN"], fields["CCLD_NCCS_DVSN"]) == (
        "", "", "00", "00")
    assert inquire_ccnl.decode(fields, Env.MOCK) == inquire_ccnl.CcnlQuery(ACCOUNT, query.start, query.end)


@pytest.mark.parametrize("query", [
    inquire_balance.BalanceQuery(ACCOUNT, "NASD", "USD"),
    inquire_balance.BalanceQuery(ACCOUNT, "", ""),
    inquire_balance.BalanceQuery(ACCOUNT, "SEHK", "HKD"),
])
def test_balance_round_trip(query: inquire_balance.BalanceQuery) -> None:
    fields = through_the_server(Api.INQUIRE_BALANCE, inquire_balance.encode(query))
    assert inquire_balance.decode(fields, Env.REAL) == query


@pytest.mark.parametrize("query", [
    inquire_psamount.PsamountQuery(ACCOUNT, Exchange.NASD, "AAPL", D("190.25")),
    inquire_psamount.PsamountQuery(ACCOUNT, Exchange.TKSE, "7203", None),
])
def test_psamount_round_trip(query: inquire_psamount.PsamountQuery) -> None:
    fields = through_the_server(Api.INQUIRE_PSAMOUNT, inquire_psamount.encode(query))
    assert inquire_psamount.decode(fields) == query


def test_present_balance_round_trip() -> None:
    query = inquire_present_balance.decode(through_the_server(Api.INQUIRE_PRESENT_BALANCE, {
        "CANO": "12345678", "ACNT_PRDT_CD": "01", "WCRC_FRCR_DVSN_CD": "02", "NATN_CD": "840", "TR_MKET_CD": "01",
        "INQR_DVSN_CD": "00"}))
    assert query.scope == frozenset({Exchange.NASD}) and not query.in_krw
    fields = through_the_server(Api.INQUIRE_PRESENT_BALANCE, inquire_present_balance.encode(query))
    assert inquire_present_balance.decode(fields) == query


def test_price_and_search_info_round_trip() -> None:
    q = price.query_for(Exchange.NYSE, "IBM")
    assert q.quote_code == "NYS" and q.exchange is Exchange.NYSE
    assert price.decode(through_the_server(Api.PRICE, price.encode(q))) == q
    s = search_info.SearchInfoQuery("512", "AAPL")
    assert search_info.decode(through_the_server(Api.SEARCH_INFO, search_info.encode(s))) == s
    assert s.exchange is Exchange.NASD


def ops(code: Ops) -> Callable[[Exception], bool]:
    return lambda exc: isinstance(exc, OpsError) and exc.code is code


def business(reason: Reason) -> Callable[[Exception], bool]:
    return lambda exc: isinstance(exc, BusinessError) and exc.reason is reason


ORDER_FIELDS = {"CANO": "12345678", "ACNT_PRDT_CD": "01", "OVRS_EXCG_CD": "NASD", "PDNO": "AAPL", "ORD_QTY": "1",
                "OVRS_ORD_UNPR": "190.00", "ORGN_ODNO": "1", "RVSE_CNCL_DVSN_CD": "02"}


@pytest.mark.parametrize(("name", "decode", "matches"), [
    ("order: unknown exchange", lambda: order.decode(
        {**ORDER_FIELDS, "OVRS_EXCG_CD": "NASQ", "ORD_DVSN": "", "MGCO_APTM_ODNO": ""}, TR_TABLE["TTTT1002U"],
        Env.REAL, "TTTT1002U"), business(Reason.UNKNOWN_SYMBOL)),
    ("order: exchange of another market than the TR", lambda: order.decode(
        {**ORDER_FIELDS, "OVRS_EXCG_CD": "SEHK", "ORD_DVSN": "", "MGCO_APTM_ODNO": ""}, TR_TABLE["TTTT1002U"],
        Env.REAL, "TTTT1002U"), ops(Ops.BAD_MARKET)),
    ("revise/cancel: unknown RVSE_CNCL_DVSN_CD", lambda: revise_cancel.decode(
        {**ORDER_FIELDS, "RVSE_CNCL_DVSN_CD": "03", "MGCO_APTM_ODNO": ""}, TR_TABLE["TTTT1004U"], Env.REAL,
        "TTTT1004U"), business(Reason.BAD_REVISE_CANCEL_CODE)),
    ("nccs: unknown exchange", lambda: inquire_nccs.decode(
        {"CANO": "1", "ACNT_PRDT_CD": "01", "OVRS_EXCG_CD": "XXXX", "SORT_SQN": "", "CTX_AREA_NK200": ""}),
     ops(Ops.BAD_MARKET)),
    ("nccs: malformed cursor", lambda: inquire_nccs.decode(
        {"CANO": "1", "ACNT_PRDT_CD": "01", "OVRS_EXCG_CD": "NASD", "SORT_SQN": "", "CTX_AREA_NK200": "a^b^"}),
     ops(Ops.BAD_FIELD)),
    ("ccnl: a date that is no calendar date", lambda: inquire_ccnl.decode(
        {"CANO": "1", "ACNT_PRDT_CD": "01", "ORD_STRT_DT": "20260231", "ORD_END_DT": "20260301",
         "CTX_AREA_NK200": ""}, Env.REAL), ops(Ops.BAD_FIELD)),
    ("ccnl: unknown exchange (real)", lambda: inquire_ccnl.decode(
        {"CANO": "1", "ACNT_PRDT_CD": "01", "ORD_STRT_DT": "20260301", "ORD_END_DT": "20260301",
         "CTX_AREA_NK200": "", "OVRS_EXCG_CD": "XXXX", "PDNO": "", "SLL_BUY_DVSN": "", "CCLD_NCCS_DVSN": "",
         "SORT_SQN": ""}, Env.REAL), ops(Ops.BAD_MARKET)),
    ("balance: unknown exchange", lambda: inquire_balance.decode(
        {"CANO": "1", "ACNT_PRDT_CD": "01", "OVRS_EXCG_CD": "XXXX", "TR_CRCY_CD": "", "CTX_AREA_NK200": ""},
        Env.REAL), ops(Ops.BAD_MARKET)),
    ("balance: NAS is a real-only code", lambda: inquire_balance.decode(
        {"CANO": "1", "ACNT_PRDT_CD": "01", "OVRS_EXCG_CD": "NAS", "TR_CRCY_CD": "", "CTX_AREA_NK200": ""},
        Env.MOCK), ops(Ops.BAD_MARKET)),
    ("balance: malformed cursor", lambda: inquire_balance.decode(
        {"CANO": "1", "ACNT_PRDT_CD": "01", "OVRS_EXCG_CD": "", "TR_CRCY_CD": "", "CTX_AREA_NK200": "x^NASD^"},
        Env.REAL), ops(Ops.BAD_FIELD)),
    ("psamount: unknown exchange", lambda: inquire_psamount.decode(
        {"CANO": "1", "ACNT_PRDT_CD": "01", "OVRS_EXCG_CD": "XXXX", "OVRS_ORD_UNPR": "", "ITEM_CD": "AAPL"}),
     ops(Ops.BAD_MARKET)),
    ("present-balance: a pair KIS does not know", lambda: inquire_present_balance.decode(
        {"CANO": "1", "ACNT_PRDT_CD": "01", "WCRC_FRCR_DVSN_CD": "01", "NATN_CD": "000", "TR_MKET_CD": "01",
         "INQR_DVSN_CD": "00"}), ops(Ops.BAD_MARKET)),
])
def test_every_refusal_of_the_codecs(name: str, decode: Callable[[], Any], matches: Callable[[Exception], bool]
                                     ) -> None:
    with pytest.raises(Exception) as exc:
        decode()
    assert matches(exc.value), (name, exc.value)


def test_search_info_of_an_unknown_symbol_is_kiok0560() -> None:
    from localkis.wire.errors import MessageError

    with pytest.raises(MessageError) as exc:
        search_info.render(search_info.SearchInfoQuery("512", "NOPE"), None)
    assert exc.value.message.code == "KIOK0560"
