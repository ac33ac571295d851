"""Real-time WebSocket codec: client messages, control replies, frames, AES, records (WEBSOCKET.md).

Besides the tables and round trips, the frames are fed through the parsers of the clients that will
read them: python-kis 2.1.6's `KisWebsocketClient` (its real message handler, over a fake socket) and
the official `kis_auth.KISWebSocket`'s reading, restated here (control replies indexed as it indexes
them, notices decrypted with the stored key, records read with `pandas.read_csv(sep="^", names=…)`).
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pandas as pd
import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given, settings
from hypothesis import strategies as st
from pykis import PyKis
from pykis.api.stock.info import get_market_country
from pykis.api.websocket.order_book import KisAsiaRealtimeOrderbook, KisUSRealtimeOrderbook
from pykis.api.websocket.order_execution import (
    FOREIGN_DECIMAL_PLACES_MAP,
    FOREIGN_MARKET_CODE_MAP,
    KisForeignRealtimeOrderExecution,
)
from pykis.api.websocket.price import KisForeignRealtimePrice, build_foreign_realtime_symbol
from pykis.client.account import KisAccountNumber
from pykis.client.messaging import KisWebsocketTR
from pykis.client.websocket import KisWebsocketClient
from pykis.event.filters.order import KisOrderNumberEventFilter, KisSimpleOrderNumber

from localkis.protocol.env import Env
from localkis.protocol.exchanges import EXCHANGES, Exchange
from localkis.protocol.orders import Side
from localkis.protocol.realtime import (
    BOOK_ASIA_FIELDS,
    BOOK_FIELDS,
    CONTROL,
    MAX_REGISTRATIONS,
    NOTICE_FIELDS,
    NOTICE_MARKET_CODE,
    NOTICE_PRICE_PLACES,
    STREAMS,
    TRADE_FIELDS,
    Control,
    Correction,
    FeedPrefix,
    MarketSession,
    NoticeLayout,
    OrderKind2,
    Stream,
    TrType,
    parse_symbol_key,
    symbol_key,
)
from localkis.wire.realtime import (
    BookLevel,
    BookSnapshot,
    ClientPingPong,
    ControlError,
    ExecutionNotice,
    FrameError,
    NoticeKind,
    SessionKey,
    Subscription,
    TradePrint,
    appkey_in_use,
    book_frame,
    book_record,
    control_reply,
    data_frame,
    invalid_approval,
    is_data_frame,
    notice_frame,
    notice_record,
    parse_book,
    parse_client_message,
    parse_control,
    parse_data_frame,
    parse_notice,
    parse_trade,
    pingpong,
    reply_to,
    subscribe_message,
    trade_frame,
    trade_record,
)

D = Decimal
NY = ZoneInfo("America/New_York")
KST = ZoneInfo("Asia/Seoul")
HTS_ID = "abcd1234"
# A key/iv pair seen in a live subscribe reply (WEBSOCKET.md §3.1).
KEY = SessionKey("uvbpznjqabrxhowcftgehxghhhsxtwro", "ca513e8bf725c575")
RECEIVED = datetime(2026, 3, 10, 23, 40, 5, tzinfo=KST)


# --- protocol tables ----------------------------------------------------------------------------------
# The H0GSCNI0 names as the spec and the official ccnl_notice.py list them (transcribed separately).
SPEC_NOTICE_25 = [
    "CUST_ID", "ACNT_NO", "ODER_NO", "OODER_NO", "SELN_BYOV_CLS", "RCTF_CLS", "ODER_KIND2", "STCK_SHRN_ISCD",
    "CNTG_QTY", "CNTG_UNPR", "STCK_CNTG_HOUR", "RFUS_YN", "CNTG_YN", "ACPT_YN", "BRNC_NO", "ODER_QTY", "ACNT_NAME",
    "CNTG_ISNM", "ODER_COND", "DEBT_GB", "DEBT_DATE", "START_TM", "END_TM", "TM_DIV_TP", "CNTG_UNPR12",
]
SPEC_TRADE = [
    "RSYM", "SYMB", "ZDIV", "TYMD", "XYMD", "XHMS", "KYMD", "KHMS", "OPEN", "HIGH", "LOW", "LAST", "SIGN", "DIFF",
    "RATE", "PBID", "PASK", "VBID", "VASK", "EVOL", "TVOL", "TAMT", "BIVL", "ASVL", "STRN", "MTYP",
]


@pytest.mark.parametrize(("layout", "count", "last"), [
    (NoticeLayout.V21, 21, "DEBT_DATE"),
    (NoticeLayout.V24, 24, "TM_DIV_TP"),
    (NoticeLayout.V25, 25, "CNTG_UNPR12"),
])
def test_notice_layouts_are_prefixes_of_the_current_spec(layout: NoticeLayout, count: int, last: str) -> None:
    assert len(NOTICE_FIELDS[layout]) == count
    assert list(NOTICE_FIELDS[layout]) == SPEC_NOTICE_25[:count]
    assert NOTICE_FIELDS[layout][-1] == last


def test_market_data_layouts() -> None:
    assert list(TRADE_FIELDS) == SPEC_TRADE
    assert len(BOOK_FIELDS) == 71 and len(BOOK_ASIA_FIELDS) == 17
    assert BOOK_FIELDS[:17] == BOOK_ASIA_FIELDS
    assert BOOK_FIELDS[:11] == ("RSYM", "SYMB", "ZDIV", "XYMD", "XHMS", "KYMD", "KHMS", "BVOL", "AVOL", "BDVL",
                                "ADVL")
    # Level n sits at 11 + 6(n − 1) … 16 + 6(n − 1) (the §5.3 table).
    for n in range(1, 11):
        start = 11 + 6 * (n - 1)
        assert BOOK_FIELDS[start:start + 6] == tuple(f"{name}{n}" for name in
                                                     ("PBID", "PASK", "VBID", "VASK", "DBID", "DASK"))


def test_layouts_match_python_kis_field_counts() -> None:
    assert len(KisForeignRealtimeOrderExecution.__fields__) == len(NOTICE_FIELDS[NoticeLayout.V21])
    assert len(KisForeignRealtimePrice.__fields__) == len(TRADE_FIELDS)
    assert len(KisUSRealtimeOrderbook.__fields__) == len(BOOK_FIELDS)
    assert len(KisAsiaRealtimeOrderbook.__fields__) == len(BOOK_ASIA_FIELDS)


@pytest.mark.parametrize(("code", "text", "rt_cd"), [
    (Control.SUBSCRIBED, "SUBSCRIBE SUCCESS", "0"),
    (Control.UNSUBSCRIBED, "UNSUBSCRIBE SUCCESS", "0"),
    (Control.ALREADY_SUBSCRIBED, "ALREADY IN SUBSCRIBE", "1"),
    (Control.NOT_SUBSCRIBED, "UNSUBSCRIBE ERROR(not found!)", "1"),
    (Control.INTERNAL_ERROR, "SUBSCRIBE INTERNAL ERROR", "1"),
    (Control.MAX_SUBSCRIPTIONS, "MAX SUBSCRIBE OVER", "1"),
    (Control.INVALID_TR_ID, "SUBSCRIBE ERROR : invalid tr_id", "1"),
    (Control.INVALID_TR_KEY, "SUBSCRIBE ERROR : invalid tr_key", "1"),
    (Control.APPKEY_IN_USE, "ALREADY IN USE appkey", "9"),
    (Control.INVALID_TR_TYPE, "JSON PARSING ERROR : invalid tr_type", "1"),
    (Control.INVALID_CUSTTYPE, "JSON PARSING ERROR : invalid custtype", "1"),
    (Control.NO_TR_KEY, "JSON PARSING ERROR : tr_key not found", "1"),
    (Control.NO_INPUT, "JSON PARSING ERROR : input not found", "1"),
    (Control.NO_BODY, "JSON PARSING ERROR : body not found", "1"),
    (Control.JSON_APPKEY, "JSON PARSING ERROR : appkey", "1"),
    (Control.NO_CUSTTYPE, "JSON PARSING ERROR : custtype not found", "1"),
    (Control.NO_HEADER, "JSON PARSING ERROR : header not found", "1"),
    (Control.INVALID_JSON, "JSON PARSING ERROR : invalid json format", "1"),
])
def test_control_codes(code: Control, text: str, rt_cd: str) -> None:
    message = CONTROL[code]
    assert (message.code, message.text, message.rt_cd) == (code.value, text, rt_cd)


def test_every_control_code_has_a_message() -> None:
    assert set(CONTROL) == set(Control)
    assert all(m.code.startswith("OPSP") and len(m.code) == 8 for m in CONTROL.values())


def test_limits() -> None:
    assert MAX_REGISTRATIONS == 41


@pytest.mark.parametrize(("stream", "encrypted", "sends"), [
    (Stream.NOTICE, True, True), (Stream.NOTICE_MOCK, True, True), (Stream.TRADES, False, True),
    (Stream.BOOK, False, True), (Stream.BOOK_ASIA, False, True),
    (Stream.DOMESTIC_NOTICE, True, False), (Stream.DOMESTIC_NOTICE_MOCK, True, False),
])
def test_streams(stream: Stream, encrypted: bool, sends: bool) -> None:
    spec = STREAMS[stream.value]
    assert (spec.encrypted, spec.sends_data) == (encrypted, sends)


@pytest.mark.parametrize(("key", "prefix", "code", "symbol", "exchange"), [
    ("DNASAAPL", "D", "NAS", "AAPL", Exchange.NASD),
    ("DNYSIBM", "D", "NYS", "IBM", Exchange.NYSE),
    ("DAMSSPY", "D", "AMS", "SPY", Exchange.AMEX),
    ("DHKS00003", "D", "HKS", "00003", Exchange.SEHK),
    ("DTSE7203", "D", "TSE", "7203", Exchange.TKSE),
    ("DSHS600519", "D", "SHS", "600519", Exchange.SHAA),
    ("DSZS000001", "D", "SZS", "000001", Exchange.SZAA),
    ("DHSXVNM", "D", "HSX", "VNM", Exchange.VNSE),
    ("DHNXSHB", "D", "HNX", "SHB", Exchange.HASE),
    ("RBAQAAPL", "R", "BAQ", "AAPL", Exchange.NASD),
    ("RBAYIBM", "R", "BAY", "IBM", Exchange.NYSE),
    ("RBAASPY", "R", "BAA", "SPY", Exchange.AMEX),
    ("RNASAAPL", "R", "NAS", "AAPL", Exchange.NASD),  # the paid feed
    ("RHKS00003", "R", "HKS", "00003", Exchange.SEHK),
])
def test_symbol_keys(key: str, prefix: str, code: str, symbol: str, exchange: Exchange) -> None:
    parsed = parse_symbol_key(key)
    assert parsed is not None
    assert (parsed.prefix, parsed.market_code, parsed.symbol, parsed.exchange) == (FeedPrefix(prefix), code, symbol,
                                                                                   exchange)
    assert str(parsed) == key


@pytest.mark.parametrize("key", ["", "DNAS", "XNASAAPL", "DBAQAAPL", "DXXXAAPL", "nasaapl"])
def test_symbol_keys_refused(key: str) -> None:
    assert parse_symbol_key(key) is None


@pytest.mark.parametrize("exchange", list(Exchange))
def test_symbol_key_is_what_python_kis_builds(exchange: Exchange) -> None:
    market = {Exchange.NASD: "NASDAQ", Exchange.NYSE: "NYSE", Exchange.AMEX: "AMEX", Exchange.SEHK: "HKEX",
              Exchange.TKSE: "TYO", Exchange.SHAA: "SSE", Exchange.SZAA: "SZSE", Exchange.HASE: "HNX",
              Exchange.VNSE: "HSX"}[exchange]
    assert symbol_key(exchange, "X1") == build_foreign_realtime_symbol(market, "X1")
    if exchange in (Exchange.NASD, Exchange.NYSE, Exchange.AMEX):
        assert symbol_key(exchange, "X1", daytime=True) == build_foreign_realtime_symbol(
            market, "X1", extended=True)


@pytest.mark.parametrize("exchange", list(Exchange))
def test_notice_market_codes_and_decimals_agree_with_python_kis(exchange: Exchange) -> None:
    market = FOREIGN_MARKET_CODE_MAP[NOTICE_MARKET_CODE[exchange]]
    assert symbol_key(exchange, "X") == build_foreign_realtime_symbol(market, "X")
    assert FOREIGN_DECIMAL_PLACES_MAP[get_market_country(market)] == NOTICE_PRICE_PLACES[EXCHANGES[exchange].market]


# --- client messages -------------------------------------------------------------------------------------
# What the two clients send, byte for byte (WEBSOCKET.md §2: json.dumps default spacing, their key orders).
PYKIS_SUBSCRIBE = ('{"header": {"approval_key": "062f61cb-c756-4b8f-9fab-92113c6fbea4", "custtype": "P", '
                   '"tr_type": "1", "content-type": "utf-8"}, "body": {"input": {"tr_id": "H0GSCNI0", '
                   '"tr_key": "abcd1234"}}}')
OFFICIAL_UNSUBSCRIBE = ('{"header": {"content-type": "utf-8", "approval_key": "k-1", "tr_type": "2", '
                        '"custtype": "P"}, "body": {"input": {"tr_id": "HDFSCNT0", "tr_key": "DNASAAPL"}}}')


@pytest.mark.parametrize(("text", "expected"), [
    (PYKIS_SUBSCRIBE, Subscription(TrType.SUBSCRIBE, "H0GSCNI0", HTS_ID, "062f61cb-c756-4b8f-9fab-92113c6fbea4")),
    (OFFICIAL_UNSUBSCRIBE, Subscription(TrType.UNSUBSCRIBE, "HDFSCNT0", "DNASAAPL", "k-1")),
    (PYKIS_SUBSCRIBE.replace('"P"', '"B"').encode(),
     Subscription(TrType.SUBSCRIBE, "H0GSCNI0", HTS_ID, "062f61cb-c756-4b8f-9fab-92113c6fbea4", "B")),
    # python-kis re-serialises the server's PINGPONG and sends it back as text.
    ('{"header": {"tr_id": "PINGPONG", "datetime": "20230502221924"}}', ClientPingPong("20230502221924")),
    ('{"header":{"tr_id":"PINGPONG"}}', ClientPingPong("")),
])
def test_client_messages(text: str | bytes, expected: object) -> None:
    assert parse_client_message(text) == expected


def _msg(header: dict[str, object] | None = None, inputs: dict[str, object] | None = None, *,
         drop: tuple[str, ...] = ()) -> str:
    h: dict[str, object] = {"approval_key": "k", "custtype": "P", "tr_type": "1", "content-type": "utf-8"}
    i: dict[str, object] = {"tr_id": "HDFSCNT0", "tr_key": "DNASAAPL"}
    h.update(header or {})
    i.update(inputs or {})
    message: dict[str, Any] = {"header": h, "body": {"input": i}}
    for path in drop:
        *parents, leaf = path.split(".")
        node = message
        for p in parents:
            node = node[p]
        del node[leaf]
    return json.dumps(message)


# (message, code, echoed tr_id, echoed tr_key)
REFUSALS: list[tuple[str | bytes, Control, str, str]] = [
    ("", Control.INVALID_JSON, "(null)", ""),
    ("{", Control.INVALID_JSON, "(null)", ""),
    (b"\xff\xfe", Control.INVALID_JSON, "(null)", ""),
    ("[1, 2]", Control.INVALID_JSON, "(null)", ""),
    ('"text"', Control.INVALID_JSON, "(null)", ""),
    ('{"body": {}}', Control.NO_HEADER, "(null)", ""),
    ('{"header": "x"}', Control.NO_HEADER, "(null)", ""),
    (_msg(drop=("header.approval_key",)), Control.JSON_APPKEY, "HDFSCNT0", "DNASAAPL"),
    (_msg({"approval_key": ""}), Control.JSON_APPKEY, "HDFSCNT0", "DNASAAPL"),
    (_msg({"approval_key": 7}), Control.JSON_APPKEY, "HDFSCNT0", "DNASAAPL"),
    (_msg(drop=("header.custtype",)), Control.NO_CUSTTYPE, "HDFSCNT0", "DNASAAPL"),
    (_msg({"custtype": "X"}), Control.INVALID_CUSTTYPE, "HDFSCNT0", "DNASAAPL"),
    (_msg(drop=("header.tr_type",)), Control.INVALID_TR_TYPE, "HDFSCNT0", "DNASAAPL"),
    (_msg({"tr_type": "3"}), Control.INVALID_TR_TYPE, "HDFSCNT0", "DNASAAPL"),
    (_msg({"tr_type": 1}), Control.INVALID_TR_TYPE, "HDFSCNT0", "DNASAAPL"),
    (_msg(drop=("body",)), Control.NO_BODY, "(null)", ""),
    (_msg(drop=("body.input",)), Control.NO_INPUT, "(null)", ""),
    (_msg(drop=("body.input.tr_key",)), Control.NO_TR_KEY, "HDFSCNT0", ""),
    (_msg(inputs={"tr_key": ""}), Control.NO_TR_KEY, "HDFSCNT0", ""),
    (_msg(inputs={"tr_key": 5}), Control.JSON_INVALID_TR_KEY, "HDFSCNT0", ""),
    (_msg(inputs={"tr_key": "D" * 40}), Control.JSON_INVALID_TR_KEY, "HDFSCNT0", "D" * 40),
    (_msg(inputs={"tr_key": "DNAS^AAPL"}), Control.JSON_INVALID_TR_KEY, "HDFSCNT0", "DNAS^AAPL"),
    (_msg(inputs={"tr_key": "DNAS|AAPL"}), Control.JSON_INVALID_TR_KEY, "HDFSCNT0", "DNAS|AAPL"),
    (_msg(inputs={"tr_key": "사용자"}), Control.JSON_INVALID_TR_KEY, "HDFSCNT0", "사용자"),
    (_msg(inputs={"tr_id": "H0STCNT0"}), Control.INVALID_TR_ID, "H0STCNT0", "DNASAAPL"),
    (_msg(drop=("body.input.tr_id",)), Control.INVALID_TR_ID, "(null)", "DNASAAPL"),
    (_msg(inputs={"tr_id": ["HDFSCNT0"]}), Control.INVALID_TR_ID, "(null)", "DNASAAPL"),
    (_msg(inputs={"tr_key": "DXXXAAPL"}), Control.INVALID_TR_KEY, "HDFSCNT0", "DXXXAAPL"),
    (_msg(inputs={"tr_id": "HDFSASP0", "tr_key": "AAPL"}), Control.INVALID_TR_KEY, "HDFSASP0", "AAPL"),
]


@pytest.mark.parametrize(("text", "code", "tr_id", "tr_key"), REFUSALS)
def test_refusals_know_their_reply(text: str | bytes, code: Control, tr_id: str, tr_key: str) -> None:
    with pytest.raises(ControlError) as caught:
        parse_client_message(text)
    err = caught.value
    assert (err.control, err.tr_id, err.tr_key) == (code, tr_id, tr_key)
    message = CONTROL[code]
    encrypt = "Y" if tr_id == "H0GSCNI0" else "N"
    header = f'{{"tr_id":{json.dumps(tr_id, ensure_ascii=False)},"tr_key":{json.dumps(tr_key, ensure_ascii=False)}'
    assert err.reply() == (f'{{"header":{header},"encrypt":"{encrypt}"}},"body":{{"rt_cd":"{message.rt_cd}",'
                           f'"msg_cd":"{message.code}","msg1":"{message.text}"}}}}')


def test_notice_tr_keys_are_hts_ids_of_any_form() -> None:
    # Whether the id is the app's is the session's check, not the codec's.
    for key in ("abcd1234", "user_01", "X"):
        sub = parse_client_message(_msg(inputs={"tr_id": "H0GSCNI9", "tr_key": key}))
        assert isinstance(sub, Subscription) and sub.spec.stream is Stream.NOTICE_MOCK and sub.tr_key == key


@pytest.mark.parametrize("tr_type", list(TrType))
@pytest.mark.parametrize(("tr_id", "tr_key"), [("H0GSCNI0", HTS_ID), ("H0STCNI9", HTS_ID), ("HDFSCNT0", "RBAQAAPL"),
                                               ("HDFSASP0", "DNYSIBM"), ("HDFSASP1", "DHKS00003")])
def test_subscribe_message_round_trip(tr_type: TrType, tr_id: str, tr_key: str) -> None:
    text = subscribe_message("approval", tr_id, tr_key, tr_type)
    assert parse_client_message(text) == Subscription(tr_type, tr_id, tr_key, "approval")
    assert list(orjson.loads(text)["header"]) == ["approval_key", "custtype", "tr_type", "content-type"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(
        st.sampled_from(["header", "body", "input", "tr_id", "tr_key", "tr_type", "custtype", "approval_key"])
        | st.text(max_size=5), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=64), st.text(max_size=64), json_values.map(json.dumps)))
def test_malformed_messages_never_crash(data: str | bytes) -> None:
    try:
        parse_client_message(data)
    except ControlError as err:
        reply = orjson.loads(err.reply())
        assert set(reply["header"]) == {"tr_id", "tr_key", "encrypt"}
        assert set(reply["body"]) == {"rt_cd", "msg_cd", "msg1"}


# --- control replies ---------------------------------------------------------------------------------------
NOTICE_SUB = Subscription(TrType.SUBSCRIBE, "H0GSCNI0", HTS_ID, "k")
PRICE_SUB = Subscription(TrType.SUBSCRIBE, "HDFSCNT0", "DNASAAPL", "k")
OUT = '"output":{"iv":"ca513e8bf725c575","key":"uvbpznjqabrxhowcftgehxghhhsxtwro"}'


@pytest.mark.parametrize(("reply", "expected"), [
    (reply_to(NOTICE_SUB, Control.SUBSCRIBED, KEY),
     '{"header":{"tr_id":"H0GSCNI0","tr_key":"abcd1234","encrypt":"Y"},"body":{"rt_cd":"0","msg_cd":"OPSP0000",'
     '"msg1":"SUBSCRIBE SUCCESS",' + OUT + '}}'),
    (reply_to(PRICE_SUB, Control.SUBSCRIBED, KEY),
     '{"header":{"tr_id":"HDFSCNT0","tr_key":"DNASAAPL","encrypt":"N"},"body":{"rt_cd":"0","msg_cd":"OPSP0000",'
     '"msg1":"SUBSCRIBE SUCCESS",' + OUT + '}}'),
    (reply_to(NOTICE_SUB, Control.ALREADY_SUBSCRIBED, KEY),
     '{"header":{"tr_id":"H0GSCNI0","tr_key":"abcd1234","encrypt":"Y"},"body":{"rt_cd":"1","msg_cd":"OPSP0002",'
     '"msg1":"ALREADY IN SUBSCRIBE",' + OUT + '}}'),
    (reply_to(replace(PRICE_SUB, tr_type=TrType.UNSUBSCRIBE), Control.UNSUBSCRIBED, KEY),
     '{"header":{"tr_id":"HDFSCNT0","tr_key":"DNASAAPL","encrypt":"N"},"body":{"rt_cd":"0","msg_cd":"OPSP0001",'
     '"msg1":"UNSUBSCRIBE SUCCESS"}}'),
    (reply_to(replace(NOTICE_SUB, tr_type=TrType.UNSUBSCRIBE), Control.NOT_SUBSCRIBED, KEY),
     '{"header":{"tr_id":"H0GSCNI0","tr_key":"abcd1234","encrypt":"Y"},"body":{"rt_cd":"1","msg_cd":"OPSP0003",'
     '"msg1":"UNSUBSCRIBE ERROR(not found!)"}}'),
    (reply_to(PRICE_SUB, Control.MAX_SUBSCRIPTIONS, KEY),
     '{"header":{"tr_id":"HDFSCNT0","tr_key":"DNASAAPL","encrypt":"N"},"body":{"rt_cd":"1","msg_cd":"OPSP0008",'
     '"msg1":"MAX SUBSCRIBE OVER"}}'),
    (invalid_approval(replace(PRICE_SUB, approval_key="062f61cb-c756-4b8f-9fab-92113c6fbea4")),
     '{"header":{"tr_id":"HDFSCNT0","tr_key":"DNASAAPL","encrypt":"N"},"body":{"rt_cd":"1","msg_cd":"OPSP0011",'
     '"msg1":"invalid approval : 062f61cb-c756-4b8f-9fab-92113c6fbea4"}}'),
    # The OPSP8996 frame exactly as captured (WEBSOCKET.md §3.2).
    (appkey_in_use(),
     '{"header":{"tr_id":"(null)","tr_key":"","encrypt":"N"},"body":{"rt_cd":"9","msg_cd":"OPSP8996",'
     '"msg1":"ALREADY IN USE appkey"}}'),
    (control_reply(Control.SUBSCRIBED, "H0STCNI0", HTS_ID, session_key=KEY),
     '{"header":{"tr_id":"H0STCNI0","tr_key":"abcd1234","encrypt":"Y"},"body":{"rt_cd":"0","msg_cd":"OPSP0000",'
     '"msg1":"SUBSCRIBE SUCCESS",' + OUT + '}}'),
    # The observed keep-alive shape (2023-05-02 capture), from a KST clock.
    (pingpong(datetime(2023, 5, 2, 13, 19, 24, tzinfo=ZoneInfo("UTC"))),
     '{"header":{"tr_id":"PINGPONG","datetime":"20230502221924"}}'),
])
def test_control_replies_exact(reply: str, expected: str) -> None:
    assert reply == expected


def test_pingpong_fits_a_pong_payload() -> None:
    assert len(pingpong(RECEIVED).encode()) <= 125


@pytest.mark.parametrize("reply", [
    reply_to(NOTICE_SUB, Control.SUBSCRIBED, KEY), reply_to(PRICE_SUB, Control.UNSUBSCRIBED, KEY),
    appkey_in_use(), pingpong(RECEIVED), ControlError(Control.INVALID_JSON).reply(),
])
def test_parse_control_round_trip(reply: str) -> None:
    parsed = parse_control(reply)
    message = orjson.loads(reply)
    assert parsed.tr_id == message["header"]["tr_id"]
    if parsed.is_pingpong:
        assert parsed.datetime == message["header"]["datetime"]
        return
    assert (parsed.tr_key, parsed.encrypt) == (message["header"]["tr_key"], message["header"]["encrypt"])
    assert (parsed.rt_cd, parsed.msg_cd, parsed.msg1) == tuple(message["body"][k] for k in ("rt_cd", "msg_cd", "msg1"))
    assert parsed.session_key == (KEY if "output" in message["body"] else None)


@pytest.mark.parametrize("text", ["{}", '{"header":{"tr_id":"X"}}', "[]", "nope",
                                  '{"header":{"tr_id":"X","tr_key":"","encrypt":"N"},"body":{"rt_cd":"0"}}'])
def test_parse_control_refuses_what_the_official_client_cannot_read(text: str) -> None:
    with pytest.raises(FrameError):
        parse_control(text)


# --- AES --------------------------------------------------------------------------------------------------
def _cbc_by_hand(key: bytes, iv: bytes, plain: bytes) -> bytes:
    """AES-256-CBC with PKCS#7 built from the raw block cipher: independent of the codec's CBC and padder."""
    pad = 16 - len(plain) % 16
    data = plain + bytes([pad]) * pad
    block_cipher = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    previous, out = iv, b""
    for i in range(0, len(data), 16):
        previous = block_cipher.update(bytes(a ^ b for a, b in zip(data[i:i + 16], previous, strict=True)))
        out += previous
    return out


SPEC_KEY = SessionKey("abcdefghijklmnopabcdefghijklmnop", "0123456789abcdef")  # the spec example's output
SPEC_NOTICE_TEXT = "abcd1234^12345678^3567^^02^0^1^7203^0000000100^000032200^^0^1^1^^^******^도요타자동차^D^10^"


def test_aes_known_vector() -> None:
    expected = ("Sogx3MhItEeEhZA5ldjk7linJBTYyoIdAGyHmMMeZoKTiFf0Rrwg+2sQfdhDo2/GSns+hQTXdf51/A08lkyYyaWSSQNdVGZn6hC0"
                "r8yasCq5GKO1xoEkeZfWIl8GHCIuTP9JsDZd2WiiP/A0Lw/IdA==")
    assert SPEC_KEY.encrypt(SPEC_NOTICE_TEXT) == expected
    assert SPEC_KEY.decrypt(expected) == SPEC_NOTICE_TEXT


@pytest.mark.parametrize("text", ["", "a", "x" * 15, "x" * 16, "x" * 17, "가^나^다", SPEC_NOTICE_TEXT * 5])
def test_aes_against_the_block_cipher(text: str) -> None:
    for key in (KEY, SPEC_KEY):
        by_hand = _cbc_by_hand(key.key.encode(), key.iv.encode(), text.encode())
        assert key.encrypt(text) == base64.b64encode(by_hand).decode()
        assert key.decrypt(key.encrypt(text)) == text


def test_aes_refusals() -> None:
    with pytest.raises(FrameError):
        KEY.decrypt("not base64!")
    with pytest.raises(FrameError):
        KEY.decrypt(base64.b64encode(b"short").decode())
    with pytest.raises(FrameError):
        SPEC_KEY.decrypt(KEY.encrypt("some notice text that is long enough"))  # padding fails with the wrong key
    with pytest.raises(ValueError):
        SessionKey("short", "0123456789abcdef")
    with pytest.raises(ValueError):
        SessionKey("a" * 32, "f" * 15)


def test_generated_keys_look_like_kis_keys() -> None:
    key = SessionKey.generate()
    assert len(key.key) == 32 and key.key.isalpha() and key.key.islower()
    assert len(key.iv) == 16 and all(c in "0123456789abcdef" for c in key.iv)
    assert SessionKey.generate(lambda alphabet: alphabet[0]) == SessionKey("a" * 32, "0" * 16)
    assert SessionKey.generate() != key


# --- data frames ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("records", [
    [["a", "b", "c"]],
    [["a", "", "c"], ["d", "e", ""]],
    [["x"]] * 11,
    [["가", "나"]] * 999,
])
@pytest.mark.parametrize("key", [None, KEY])
def test_frame_round_trip(records: list[list[str]], key: SessionKey | None) -> None:
    frame = data_frame("HDFSCNT0", records, key)
    assert frame.startswith(f"{0 if key is None else 1}|HDFSCNT0|{len(records):03d}|")
    assert is_data_frame(frame)
    decoded = parse_data_frame(frame, key, len(records[0]))
    assert decoded.tr_id == "HDFSCNT0" and decoded.encrypted == (key is not None)
    assert [list(r) for r in decoded.records] == records


def test_plain_frame_text() -> None:
    assert data_frame("HDFSCNT0", [["a", "b"], ["c", "d"]]) == "0|HDFSCNT0|002|a^b^c^d"


@pytest.mark.parametrize(("records", "why"), [
    ([], "no records"), ([["x"]] * 1000, "over 999"), ([["a|b"]], "pipe"), ([["a^b"]], "caret"),
    ([["a\nb"]], "line break"),
])
def test_frames_refused(records: list[list[str]], why: str) -> None:
    with pytest.raises(ValueError):
        data_frame("HDFSCNT0", records)


@pytest.mark.parametrize(("text", "key", "width"), [
    ("{}", None, None), ("0|HDFSCNT0|001", None, None), ("2|HDFSCNT0|001|a", None, None),
    ("0|HDFSCNT0|1|a", None, None), ("0|HDFSCNT0|000|a", None, None), ("0|HDFSCNT0|002|a^b^c", None, None),
    ("0|HDFSCNT0|001|a^b", None, 3), ("1|H0GSCNI0|001|abc", None, None), ("1|H0GSCNI0|001|abc", KEY, None),
])
def test_bad_frames(text: str, key: SessionKey | None, width: int | None) -> None:
    with pytest.raises(FrameError):
        parse_data_frame(text, key, width)


# --- records: notices ------------------------------------------------------------------------------------------
# The spec's decrypted accept notice (Tokyo, 100 shares, WEBSOCKET.md §5.1).
SPEC_ACCEPT = ExecutionNotice(
    kind=NoticeKind.ACCEPTED, hts_id=HTS_ID, account="12345678", order_no="3567", side=Side.BUY,
    order_kind=OrderKind2.MARKET, symbol="7203", exchange=Exchange.TKSE, quantity=100, price=D("3220.0"),
    account_name="******", stock_name="도요타자동차",
)


def test_spec_accept_notice_exact() -> None:
    assert "^".join(notice_record(SPEC_ACCEPT, NoticeLayout.V21)) == SPEC_NOTICE_TEXT
    assert "^".join(notice_record(SPEC_ACCEPT, NoticeLayout.V24)) == SPEC_NOTICE_TEXT + "^^^"
    assert "^".join(notice_record(SPEC_ACCEPT, NoticeLayout.V25)) == SPEC_NOTICE_TEXT + "^^^^000000032200"


def _notice(kind: NoticeKind, exchange: Exchange = Exchange.NASD, **changes: Any) -> ExecutionNotice:
    values: dict[str, Any] = dict(
        kind=kind, hts_id=HTS_ID, account="12345678", order_no="0000012345", side=Side.BUY, symbol="AAPL",
        exchange=exchange, quantity=10, price=D("148.01"), stock_name="애플",
        time=datetime(2026, 3, 10, 23, 40, 1, tzinfo=KST),
    )
    if kind is NoticeKind.FILLED:
        values.update(filled_quantity=3, fill_price=D("147.99"), price=D(0))
    if kind in (NoticeKind.REVISED, NoticeKind.CANCELLED):
        values.update(order_no="0000012346", original_no="0000012345")
    values.update(changes)
    return ExecutionNotice(**values)


# kind → RCTF_CLS, CNTG_YN, ACPT_YN, RFUS_YN, CNTG_QTY, CNTG_UNPR, ODER_QTY
@pytest.mark.parametrize(("kind", "flags"), [
    (NoticeKind.ACCEPTED, ("0", "1", "1", "0", "0000000010", "001480100", "")),
    (NoticeKind.FILLED, ("0", "2", "2", "0", "0000000003", "001479900", "000000010")),
    (NoticeKind.REVISED, ("1", "1", "1", "0", "0000000010", "001480100", "")),
    (NoticeKind.CANCELLED, ("2", "1", "1", "0", "0000000010", "001480100", "")),
    (NoticeKind.REJECTED, ("0", "1", "1", "1", "0000000010", "001480100", "")),
    (NoticeKind.EXPIRED, ("0", "1", "3", "0", "0000000010", "001480100", "")),
])
def test_notice_flags(kind: NoticeKind, flags: tuple[str, ...]) -> None:
    fields = notice_record(_notice(kind), NoticeLayout.V25)
    assert (fields[5], fields[12], fields[13], fields[11], fields[8], fields[9], fields[15]) == flags
    assert fields[24] == flags[5].rjust(12, "0")
    assert (fields[10], fields[18], fields[19], fields[17]) == ("234001", "6", "10", "애플")


def test_rejected_cancel_says_cancel() -> None:
    notice = _notice(NoticeKind.REJECTED, correction=Correction.CANCEL)
    assert notice_record(notice, NoticeLayout.V21)[5] == "2"
    assert parse_notice(notice_record(notice, NoticeLayout.V21), RECEIVED) == notice


@pytest.mark.parametrize(("exchange", "price", "text"), [
    (Exchange.NASD, D("148.01"), "001480100"), (Exchange.NYSE, D("0.0001"), "000000001"),
    (Exchange.TKSE, D("3220"), "000032200"), (Exchange.SEHK, D("385.2"), "000385200"),
    (Exchange.SHAA, D("1688.88"), "001688880"), (Exchange.SZAA, D("10.5"), "000010500"),
    (Exchange.VNSE, D("84100"), "000084100"), (Exchange.HASE, D("12300"), "000012300"),
    (Exchange.NASD, D("700000"), "7000000000"),  # wider than 9: sent whole, never cut
])
def test_notice_implied_decimals(exchange: Exchange, price: Decimal, text: str) -> None:
    assert notice_record(_notice(NoticeKind.ACCEPTED, exchange, price=price), NoticeLayout.V21)[9] == text


def test_notice_free_text_cannot_cut_a_frame() -> None:
    fields = notice_record(_notice(NoticeKind.ACCEPTED, stock_name="A^B|C\nD", account_name="x^y"), NoticeLayout.V25)
    assert (fields[17], fields[16]) == ("A B C D", "x y")
    data_frame("H0GSCNI0", [fields], KEY)


@pytest.mark.parametrize("layout", list(NoticeLayout))
@pytest.mark.parametrize("kind", list(NoticeKind))
@pytest.mark.parametrize("exchange", list(Exchange))
def test_notice_round_trip(layout: NoticeLayout, kind: NoticeKind, exchange: Exchange) -> None:
    # Prices every market can carry (VN has no decimals, JP one).
    notice = _notice(kind, exchange, price=D(0) if kind is NoticeKind.FILLED else D(150), side=Side.SELL,
                     branch="01790")
    if kind is NoticeKind.FILLED:
        notice = replace(notice, fill_price=D(149))
    if layout is not NoticeLayout.V21:
        notice = replace(notice, split_start="223000", split_end="050000", split_type="00")
    frame = notice_frame(notice, layout, Env.MOCK, KEY)
    assert frame.startswith("1|H0GSCNI9|001|")
    decoded = parse_data_frame(frame, KEY, int(layout))
    assert parse_notice(decoded.records[0], RECEIVED) == notice


def test_fill_notices_carry_no_order_price() -> None:
    # KIS's fill notice has the fill's price in CNTG_UNPR and no order price anywhere.
    notice = _notice(NoticeKind.FILLED, price=D("150"))
    assert parse_notice(notice_record(notice, NoticeLayout.V25), RECEIVED).price == 0


# --- records: trades -----------------------------------------------------------------------------------------------
# A live HDFSCNT0 record (2024-12-27, 07:02 ET, WEBSOCKET.md §5.2).
OBSERVED_TRADE = ("DNASAAPL^AAPL^4^20241227^20241227^070229^20241227^210229^258.6000^259.0200^258.4000^259.0200^3^"
                  "0.0000^0.00^258.9600^259.2200^200^20^10^4629^1198097^2222^680^30.60^1")
OBSERVED_PRINT = TradePrint(
    key="DNASAAPL", time=datetime(2024, 12, 27, 7, 2, 29, tzinfo=NY), business_date=date(2024, 12, 27),
    open=D("258.6"), high=D("259.02"), low=D("258.4"), last=D("259.02"), previous_close=D("259.02"),
    bid=D("258.96"), ask=D("259.22"), bid_size=200, ask_size=20, volume=10, total_volume=4629,
    total_amount=D(1198097), sell_volume=2222, buy_volume=680,
)


def test_observed_trade_exact() -> None:
    assert "^".join(trade_record(OBSERVED_PRINT)) == OBSERVED_TRADE
    assert parse_trade(OBSERVED_TRADE.split("^")) == OBSERVED_PRINT


@pytest.mark.parametrize(("last", "sign", "diff", "rate"), [
    (D("259.5"), "2", "0.4800", "+0.19"), (D("257.52"), "5", "-1.5000", "-0.58"), (D("259.02"), "3", "0.0000", "0.00"),
])
def test_trade_change_fields(last: Decimal, sign: str, diff: str, rate: str) -> None:
    fields = trade_record(replace(OBSERVED_PRINT, last=last))
    assert (fields[12], fields[13], fields[14]) == (sign, diff, rate)


@pytest.mark.parametrize("print_", [
    OBSERVED_PRINT,
    replace(OBSERVED_PRINT, key="RBAQAAPL", session=MarketSession.AFTER, last=D("250"), total_amount=D(5)),
    replace(OBSERVED_PRINT, key="DHKS00700", time=datetime(2026, 3, 10, 1, 30, tzinfo=ZoneInfo("UTC")),
            last=D("385.200"), open=D("380"), high=D("386"), low=D("379.8"), previous_close=D("381"),
            bid=D("385.2"), ask=D("385.4")),
    replace(OBSERVED_PRINT, key="DHSXVNM", time=datetime(2026, 3, 10, 3, 0, tzinfo=ZoneInfo("UTC")),
            last=D(84100), open=D(84000), high=D(84500), low=D(83900), previous_close=D(84000), bid=D(84000),
            ask=D(84100)),
])
def test_trade_round_trip(print_: TradePrint) -> None:
    frame = trade_frame([print_, print_])
    assert frame.startswith("0|HDFSCNT0|002|")
    decoded = parse_data_frame(frame, None, len(TRADE_FIELDS))
    assert [parse_trade(r) for r in decoded.records] == [print_, print_]


# --- records: books --------------------------------------------------------------------------------------------------
SPEC_BOOK_HEAD = ("RBAQAAPL^AAPL^4^20240506^202223^20240507^092223^1482^381^0^-10^182.8500^182.8700^350^57^0^-10^"
                  "182.8400^182.9000^1^10^0^0")


def _levels(n: int) -> tuple[BookLevel, ...]:
    return tuple(BookLevel(bid=D("182.85") - D("0.01") * i, ask=D("182.87") + D("0.03") * i, bid_size=100 + i,
                           ask_size=50 + i, bid_size_change=-i, ask_size_change=i) for i in range(n))


def test_spec_book_head_exact() -> None:
    book = BookSnapshot(key="RBAQAAPL", time=datetime(2024, 5, 6, 20, 22, 23, tzinfo=NY), bid_total=1482,
                        ask_total=381, ask_total_change=-10, levels=(
                            BookLevel(bid=D("182.85"), ask=D("182.87"), bid_size=350, ask_size=57, ask_size_change=-10),
                            BookLevel(bid=D("182.84"), ask=D("182.90"), bid_size=1, ask_size=10)))
    fields = book_record(book)
    assert "^".join(fields[:23]) == SPEC_BOOK_HEAD
    assert len(fields) == 71 and fields[23:] == ["0"] * 48


@pytest.mark.parametrize(("stream", "count", "depth"), [(Stream.BOOK, 71, 10), (Stream.BOOK_ASIA, 17, 1)])
@pytest.mark.parametrize("levels", [0, 1, 3, 10, 12])
def test_book_empty_levels_are_zero(stream: Stream, count: int, depth: int, levels: int) -> None:
    book = BookSnapshot(key="DNASAAPL", time=RECEIVED, levels=_levels(levels))
    fields = book_record(book, stream)
    assert len(fields) == count and "" not in fields
    shown = min(levels, depth)
    assert fields[11 + 6 * shown:] == ["0"] * (count - 11 - 6 * shown)
    assert fields[7:9] == [str(sum(lv.bid_size for lv in book.levels)), str(sum(lv.ask_size for lv in book.levels))]


def test_one_sided_level() -> None:
    book = BookSnapshot(key="DNASAAPL", time=RECEIVED, levels=(BookLevel(bid=D(0), ask=D("10.5"), bid_size=0,
                                                                         ask_size=3),))
    assert book_record(book)[11:17] == ["0", "10.5000", "0", "3", "0", "0"]


@pytest.mark.parametrize(("key", "stream", "levels"), [
    ("DNASAAPL", Stream.BOOK, 10), ("RBAYIBM", Stream.BOOK, 4), ("DNYSIBM", Stream.BOOK, 0),
    ("DHKS00003", Stream.BOOK_ASIA, 1), ("DTSE7203", Stream.BOOK_ASIA, 1),
])
def test_book_round_trip(key: str, stream: Stream, levels: int) -> None:
    book = BookSnapshot(key=key, time=datetime(2026, 3, 10, 14, 0, 5, tzinfo=ZoneInfo("UTC")), levels=_levels(levels),
                        bid_total=9999, ask_total=8888, bid_total_change=-3, ask_total_change=4)
    if key == "DTSE7203":
        book = replace(book, levels=(BookLevel(bid=D("3220.5"), ask=D("3221"), bid_size=100, ask_size=200),))
    decoded = parse_data_frame(book_frame(book, stream), None, len(BOOK_FIELDS if stream is Stream.BOOK else
                                                                   BOOK_ASIA_FIELDS))
    assert parse_book(decoded.records[0]) == book


# --- python-kis 2.1.6, its real message handler ---------------------------------------------------------------------
class _Socket:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, message: str) -> None:
        self.sent.append(message)


@dataclass
class PykisSession:
    """python-kis's `KisWebsocketClient` with a fake socket: frames go in through its `_on_message`."""

    client: Any
    socket: _Socket
    events: list[Any] = field(default_factory=list)

    def receive(self, text: str) -> list[Any]:
        before = len(self.events)
        self.client._on_message(self.socket, text)
        return [e.response for e in self.events[before:]]

    def registered(self, tr_id: str, tr_key: str) -> bool:
        """What python-kis believes the server has registered (from OPSP0000/0002, until OPSP0001/0003)."""
        return KisWebsocketTR(tr_id, tr_key) in self.client._registered_subscriptions


@pytest.fixture(scope="module")
def pykis_app() -> PyKis:
    # Built offline: no token is fetched until a REST call, and no socket opens without a subscription.
    return PyKis(id=HTS_ID, account="12345678-01", appkey="P" + "a" * 35, secretkey="s" * 180,
                 use_websocket=False, keep_token=False)


@pytest.fixture
def pykis(pykis_app: PyKis, caplog: pytest.LogCaptureFixture) -> Iterator[PykisSession]:
    client = KisWebsocketClient(pykis_app)
    socket = _Socket()
    client.websocket = socket
    session = PykisSession(client, socket)
    client.event += lambda sender, args: session.events.append(args)
    with caplog.at_level(logging.INFO, logger="pykis"):
        yield session


def _failures(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def _subscribe(session: PykisSession, tr_id: str, tr_key: str) -> None:
    session.receive(reply_to(Subscription(TrType.SUBSCRIBE, tr_id, tr_key, "k"), Control.SUBSCRIBED, KEY))


# kind → python-kis's receipt, canceled, rejected, quantity, executed_quantity, price
@pytest.mark.parametrize(("kind", "expected"), [
    (NoticeKind.ACCEPTED, (True, False, False, 10, 0, D("148.01"))),
    (NoticeKind.FILLED, (False, False, False, 10, 3, D("147.99"))),
    (NoticeKind.REVISED, (True, False, False, 10, 0, D("148.01"))),
    (NoticeKind.CANCELLED, (True, False, False, 10, 0, D("148.01"))),
    (NoticeKind.REJECTED, (True, False, True, 10, 0, D("148.01"))),
    # python-kis reads an IOC/FOK remainder's CNTG_QTY as executed: it must look at `canceled`.
    (NoticeKind.EXPIRED, (False, True, False, 10, 10, D("148.01"))),
])
@pytest.mark.parametrize("env", list(Env))
def test_python_kis_reads_notices(pykis: PykisSession, caplog: pytest.LogCaptureFixture, kind: NoticeKind,
                                  expected: tuple[Any, ...], env: Env) -> None:
    tr_id = "H0GSCNI0" if env is Env.REAL else "H0GSCNI9"
    _subscribe(pykis, tr_id, HTS_ID)
    notice = _notice(kind, side=Side.SELL, branch="01790")
    (event,) = pykis.receive(notice_frame(notice, NoticeLayout.V21, env, KEY))
    assert isinstance(event, KisForeignRealtimeOrderExecution)
    assert (event.receipt, event.canceled, event.rejected, event.quantity, event.executed_quantity,
            event.price) == expected
    assert (event.symbol, event.market, event.type) == ("AAPL", "NASDAQ", "sell")
    assert str(event.account_number) == "12345678-01"
    assert event.order_number.number == notice.order_no
    assert event.unit_price == event.price  # a limit order
    assert _failures(caplog) == []


@pytest.mark.parametrize(("exchange", "market", "price"), [
    (Exchange.NASD, "NASDAQ", D("148.01")), (Exchange.NYSE, "NYSE", D("12.3456")), (Exchange.AMEX, "AMEX", D("5")),
    (Exchange.SEHK, "HKEX", D("385.2")), (Exchange.TKSE, "TYO", D("3220.5")), (Exchange.SHAA, "SSE", D("1688.88")),
    (Exchange.SZAA, "SZSE", D("10.51")), (Exchange.HASE, "HNX", D("12300")), (Exchange.VNSE, "HSX", D("84100")),
])
def test_python_kis_reads_notice_markets_and_prices(pykis: PykisSession, exchange: Exchange, market: str,
                                                    price: Decimal) -> None:
    _subscribe(pykis, "H0GSCNI0", HTS_ID)
    fill = _notice(NoticeKind.FILLED, exchange, fill_price=price, symbol="X1")
    (event,) = pykis.receive(notice_frame(fill, NoticeLayout.V21, Env.REAL, KEY))
    assert (event.market, event.price, event.executed_quantity, event.quantity) == (market, price, 3, 10)


@pytest.mark.parametrize(("kind", "limit", "condition"), [
    (OrderKind2.LIMIT, True, None), (OrderKind2.MOO, False, "MOO"), (OrderKind2.LOO, True, "LOO"),
    (OrderKind2.MOC, False, "MOC"), (OrderKind2.LOC, True, "LOC"), (OrderKind2.ODD_LIMIT, True, None),
])
def test_python_kis_reads_order_kinds(pykis: PykisSession, kind: OrderKind2, limit: bool, condition: str | None
                                      ) -> None:
    _subscribe(pykis, "H0GSCNI0", HTS_ID)
    (event,) = pykis.receive(notice_frame(_notice(NoticeKind.ACCEPTED, order_kind=kind), NoticeLayout.V21, Env.REAL,
                                          KEY))
    assert event.condition == condition
    assert (event.unit_price is not None) == limit


def test_python_kis_order_filter_matches_the_rest_order(pykis: PykisSession) -> None:
    # order.on("execution") compares symbol, market, account and int(number), not the branch (PR #53).
    _subscribe(pykis, "H0GSCNI0", HTS_ID)
    assert pykis.receive(notice_frame(_notice(NoticeKind.FILLED, branch=""), NoticeLayout.V21, Env.REAL, KEY))
    args = pykis.events[-1]
    account = KisAccountNumber("12345678-01")

    def delivers(number: str, symbol: str = "AAPL", market: str = "NASDAQ") -> bool:
        order = KisSimpleOrderNumber(symbol, market, "01790", number, account)
        return not KisOrderNumberEventFilter(order).__filter__(None, pykis.client, args)

    assert delivers("0000012345") and delivers("12345")
    assert not delivers("0000012346") and not delivers("0000012345", "MSFT") and not delivers("0000012345", "NYSE")


@pytest.mark.parametrize("layout", [NoticeLayout.V24, NoticeLayout.V25])
def test_python_kis_drops_the_newer_layouts(pykis: PykisSession, caplog: pytest.LogCaptureFixture,
                                            layout: NoticeLayout) -> None:
    # Why its apps need notice_fields = 21 (WEBSOCKET.md §6.3).
    _subscribe(pykis, "H0GSCNI0", HTS_ID)
    assert pykis.receive(notice_frame(_notice(NoticeKind.FILLED), layout, Env.REAL, KEY)) == []
    assert any(f"Invalid data length: {int(layout)}" in m for m in _failures(caplog))


def test_python_kis_gets_the_key_from_already_subscribed(pykis: PykisSession) -> None:
    # python-kis clears its keys on reconnect; OPSP0002 alone must let it decrypt notices again (§3.5).
    pykis.receive(reply_to(NOTICE_SUB, Control.ALREADY_SUBSCRIBED, KEY))
    assert pykis.registered("H0GSCNI0", HTS_ID)
    assert len(pykis.receive(notice_frame(_notice(NoticeKind.ACCEPTED), NoticeLayout.V21, Env.REAL, KEY))) == 1
    _subscribe(pykis, "H0STCNI0", HTS_ID)  # the domestic TR python-kis always adds
    assert pykis.registered("H0STCNI0", HTS_ID)
    pykis.receive(reply_to(replace(NOTICE_SUB, tr_type=TrType.UNSUBSCRIBE), Control.UNSUBSCRIBED, KEY))
    assert not pykis.registered("H0GSCNI0", HTS_ID)


def test_python_kis_reads_trades(pykis: PykisSession, caplog: pytest.LogCaptureFixture) -> None:
    _subscribe(pykis, "HDFSCNT0", "DNASAAPL")
    down = replace(OBSERVED_PRINT, last=D("257.52"), session=MarketSession.AFTER)
    first, second = pykis.receive(trade_frame([OBSERVED_PRINT, down]))
    for event, print_ in ((first, OBSERVED_PRINT), (second, down)):
        assert isinstance(event, KisForeignRealtimePrice)
        assert (event.symbol, event.market, event.price, event.prev_price) == ("AAPL", "NASDAQ", print_.last,
                                                                               print_.previous_close)
        assert (event.open, event.high, event.low, event.bid, event.ask) == (print_.open, print_.high, print_.low,
                                                                             print_.bid, print_.ask)
        assert (event.bid_quantity, event.ask_quantity, event.volume, event.amount) == (200, 20, 4629, 1198097)
        assert (event.sell_quantity, event.buy_quantity, event.decimal_places) == (2222, 680, 4)
        assert event.time == print_.time and event.time_kst == print_.time
    assert (first.sign, first.change, first.condition) == ("steady", 0, None)
    assert (second.sign, second.change, second.condition) == ("decline", D("-1.5"), "extended")
    assert _failures(caplog) == []


def test_python_kis_reads_daytime_trades(pykis: PykisSession) -> None:
    (event,) = pykis.receive(trade_frame([replace(OBSERVED_PRINT, key="RBAQAAPL", last=D("260.1"))]))
    assert (event.market, event.symbol, event.price, event.sign) == ("NASDAQ", "AAPL", D("260.1"), "rise")


def test_python_kis_reads_books(pykis: PykisSession, caplog: pytest.LogCaptureFixture) -> None:
    book = BookSnapshot(key="DNASAAPL", time=datetime(2026, 3, 10, 10, 0, tzinfo=NY), levels=_levels(3))
    (us,) = pykis.receive(book_frame(book))
    assert isinstance(us, KisUSRealtimeOrderbook)
    assert [(a.price, a.volume) for a in us.asks[:3]] == [(lv.ask, lv.ask_size) for lv in book.levels]
    assert [(b.price, b.volume) for b in us.bids[:3]] == [(lv.bid, lv.bid_size) for lv in book.levels]
    assert all(a.price == 0 and a.volume == 0 for a in us.asks[3:]) and len(us.asks) == 10
    assert us.time == book.time and us.market == "NASDAQ"
    asia = replace(book, key="DHKS00003", levels=(BookLevel(bid=D("38.5"), ask=D("38.55"), bid_size=5000,
                                                            ask_size=3000),))
    (hk,) = pykis.receive(book_frame(asia, Stream.BOOK_ASIA))
    assert isinstance(hk, KisAsiaRealtimeOrderbook)
    assert (hk.asks[0].price, hk.asks[0].volume, hk.bids[0].price, hk.bids[0].volume) == (D("38.55"), 3000, D("38.5"),
                                                                                          5000)
    assert hk.market == "HKEX"
    assert _failures(caplog) == []


def test_python_kis_echoes_pingpong_and_the_echo_is_accepted(pykis: PykisSession) -> None:
    assert pykis.receive(pingpong(RECEIVED)) == []
    (echo,) = pykis.socket.sent
    assert parse_client_message(echo) == ClientPingPong("20260310234005")


@pytest.mark.parametrize("reply", [appkey_in_use(), reply_to(PRICE_SUB, Control.MAX_SUBSCRIPTIONS, KEY),
                                   ControlError(Control.INVALID_JSON).reply(),
                                   reply_to(replace(PRICE_SUB, tr_type=TrType.UNSUBSCRIBE), Control.NOT_SUBSCRIBED,
                                            KEY)])
def test_python_kis_handles_error_replies(pykis: PykisSession, caplog: pytest.LogCaptureFixture, reply: str) -> None:
    pykis.receive(reply)
    assert not any("failed to handle message" in m for m in _failures(caplog))


# --- the official kis_auth.KISWebSocket's reading, restated -----------------------------------------------------------
# Column lists of examples_llm/overseas_stock/{ccnl_notice,delayed_ccnl}.py: the notice list has all 25 names,
# the trade list omits RSYM.
OFFICIAL_COLUMNS = {"H0GSCNI0": SPEC_NOTICE_25, "HDFSCNT0": SPEC_TRADE[1:]}


@dataclass
class OfficialReader:
    """What kis_auth keeps per tr_id, and how it reads a frame (WEBSOCKET.md §3.3, §4, §6.2)."""

    data_map: dict[str, dict[str, Any]] = field(default_factory=dict)

    def receive(self, raw: str) -> pd.DataFrame | None:
        if raw[0] in ("0", "1"):
            parts = raw.split("|")
            entry = self.data_map[parts[1]]
            payload = parts[3]
            if entry.get("encrypt") == "Y":
                payload = self._decrypt(entry["key"], entry["iv"], payload)
            return pd.read_csv(StringIO(payload), header=None, sep="^", names=OFFICIAL_COLUMNS[parts[1]],
                               dtype=object)
        message = json.loads(raw)
        tr_id = message["header"]["tr_id"]
        entry = self.data_map.setdefault(tr_id, {})
        if tr_id != "PINGPONG":  # indexed, not .get(): a missing key breaks its receive loop
            message["header"]["tr_key"]
            entry["encrypt"] = message["header"]["encrypt"]
        if "body" in message:
            body = message["body"]
            body["rt_cd"], body["msg1"]
            if "output" in body:
                entry["iv"], entry["key"] = body["output"]["iv"], body["output"]["key"]
        else:
            assert tr_id == "PINGPONG"
        return None

    @staticmethod
    def _decrypt(key: str, iv: str, payload: str) -> str:
        decryptor = Cipher(algorithms.AES(key.encode("utf-8")), modes.CBC(iv.encode("utf-8"))).decryptor()
        padded = decryptor.update(base64.b64decode(payload)) + decryptor.finalize()
        return padded[: -padded[-1]].decode()  # strict UTF-8, as bytes.decode()


@pytest.mark.parametrize("layout", list(NoticeLayout))
def test_official_client_reads_notices(layout: NoticeLayout) -> None:
    reader = OfficialReader()
    reader.receive(reply_to(NOTICE_SUB, Control.SUBSCRIBED, KEY))
    reader.receive(reply_to(NOTICE_SUB, Control.ALREADY_SUBSCRIBED, KEY))  # must not switch decryption off
    reader.receive(ControlError(Control.INVALID_CUSTTYPE, "H0GSCNI0", HTS_ID).reply())  # nor must an error
    frame = reader.receive(notice_frame(_notice(NoticeKind.FILLED), layout, Env.REAL, KEY))
    assert frame is not None and len(frame) == 1
    row = frame.iloc[0]
    assert (row["CUST_ID"], row["ODER_NO"], row["CNTG_QTY"], row["CNTG_UNPR"], row["ODER_QTY"], row["CNTG_YN"],
            row["CNTG_ISNM"]) == (HTS_ID, "0000012345", "0000000003", "001479900", "000000010", "2", "애플")
    if layout is NoticeLayout.V25:
        assert row["CNTG_UNPR12"] == "000001479900"
    else:
        assert pd.isna(row["CNTG_UNPR12"])


def test_official_client_reads_one_trade_per_frame() -> None:
    reader = OfficialReader()
    reader.receive(reply_to(PRICE_SUB, Control.SUBSCRIBED, KEY))
    frame = reader.receive(trade_frame([OBSERVED_PRINT]))
    assert frame is not None and len(frame) == 1
    row = frame.iloc[0]  # RSYM, absent from its list, became the index: the columns still line up
    assert (row["SYMB"], row["LAST"], row["TAMT"], row["MTYP"]) == ("AAPL", "259.0200", "1198097", "1")


def test_official_client_control_replies_and_pingpong() -> None:
    reader = OfficialReader()
    for reply in (reply_to(PRICE_SUB, Control.UNSUBSCRIBED, KEY), appkey_in_use(), pingpong(RECEIVED),
                  reply_to(PRICE_SUB, Control.MAX_SUBSCRIPTIONS, KEY), invalid_approval(PRICE_SUB)):
        assert reader.receive(reply) is None
    assert reader.data_map["HDFSCNT0"]["encrypt"] == "N"
