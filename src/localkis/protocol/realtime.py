"""KIS's real-time (WebSocket) vocabulary: streams, field layouts, control codes, limits (WEBSOCKET.md).

Look-ups only; the frames themselves are built in `localkis.wire.realtime`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum

from localkis.protocol.env import Env
from localkis.protocol.exchanges import EXCHANGES, QUOTE_CODES, Exchange, Market


# --- streams (tr_id) --------------------------------------------------------------------------------
class Stream(StrEnum):
    NOTICE = "H0GSCNI0"  # 해외주식 실시간체결통보 [실시간-009], real
    NOTICE_MOCK = "H0GSCNI9"  # the same, mock
    TRADES = "HDFSCNT0"  # 해외주식 실시간지연체결가 [실시간-007]
    BOOK = "HDFSASP0"  # 해외주식 실시간호가 [실시간-021]: US 10 levels, Asia (paid)
    BOOK_ASIA = "HDFSASP1"  # 해외주식 지연호가(아시아) [실시간-008]: one level
    # Domestic notices: python-kis subscribes to them beside the overseas ones (WEBSOCKET.md §6.1);
    # localkis acknowledges them and never sends data.
    DOMESTIC_NOTICE = "H0STCNI0"
    DOMESTIC_NOTICE_MOCK = "H0STCNI9"


PINGPONG = "PINGPONG"  # the tr_id of the server's keep-alive message (§3.4)


class KeyKind(StrEnum):
    """What a stream's tr_key names."""

    HTS_ID = "hts_id"  # the app's HTS user id: notices
    SYMBOL = "symbol"  # D/R + quote market + symbol, e.g. DNASAAPL: prices and books


@dataclass(frozen=True, slots=True)
class StreamSpec:
    stream: Stream
    key_kind: KeyKind
    encrypted: bool  # data frames AES-encrypted ("1|…"); the subscribe reply says encrypt "Y"
    env: Env | None  # the environment a notice TR belongs to; None: a market-data TR
    in_mock: bool  # offered by KIS's mock server (SPEC-XLSX: "모의투자 미지원" for market data)
    sends_data: bool  # False: localkis acknowledges the subscription and stays silent


STREAMS: dict[str, StreamSpec] = {
    s.stream.value: s
    for s in (
        StreamSpec(Stream.NOTICE, KeyKind.HTS_ID, True, Env.REAL, False, True),
        StreamSpec(Stream.NOTICE_MOCK, KeyKind.HTS_ID, True, Env.MOCK, True, True),
        StreamSpec(Stream.TRADES, KeyKind.SYMBOL, False, None, False, True),
        StreamSpec(Stream.BOOK, KeyKind.SYMBOL, False, None, False, True),
        StreamSpec(Stream.BOOK_ASIA, KeyKind.SYMBOL, False, None, False, True),
        StreamSpec(Stream.DOMESTIC_NOTICE, KeyKind.HTS_ID, True, Env.REAL, False, False),
        StreamSpec(Stream.DOMESTIC_NOTICE_MOCK, KeyKind.HTS_ID, True, Env.MOCK, True, False),
    )
}

NOTICE_STREAM: dict[Env, Stream] = {Env.REAL: Stream.NOTICE, Env.MOCK: Stream.NOTICE_MOCK}


# --- limits -----------------------------------------------------------------------------------------
MAX_REGISTRATIONS = 41  # (tr_id, tr_key) pairs per session; the 42nd gets OPSP0008 (§7, measured twice)
SESSIONS_PER_APPKEY = 1  # a second concurrent session gets OPSP8996 and is dropped (§7)
APPROVAL_KEY_TTL_SECONDS = 24 * 60 * 60  # /oauth2/Approval keys (§1.1)
MAX_RECORDS_PER_FRAME = 999  # the count is three zero-padded digits (§4)
PINGPONG_INTERVAL_SECONDS = 10  # "about 10 s" (§3.4, UNVERIFIED); a default, the server's config decides
AES_KEY_LENGTH = 32  # output.key: 32 ASCII characters, used as the UTF-8 bytes (AES-256)
AES_IV_LENGTH = 16  # output.iv: 16 ASCII characters
MAX_TR_KEY_LENGTH = 32  # longer tr_keys are refused (OPSP8993): no KIS key comes near it
# Characters that would break a data frame: clients split frames on "|" and records on "^", and the
# official client reads records with pandas.read_csv, which starts a new row at a line break.
FRAME_SEPARATORS = frozenset("|^\r\n")


# --- tr_key of market data: prefix + quote market code + symbol (§2) ---------------------------------
class FeedPrefix(StrEnum):
    DELAYED = "D"  # free feed: US real-time ("0분지연"), Asia delayed 15 min
    REALTIME = "R"  # paid feed, and the US daytime session (BAQ/BAY/BAA)


# US daytime-session (주간거래) market codes and the exchange each stands for.
DAYTIME_CODES: dict[str, Exchange] = {"BAQ": Exchange.NASD, "BAY": Exchange.NYSE, "BAA": Exchange.AMEX}
DAYTIME_CODE: dict[Exchange, str] = {ex: code for code, ex in DAYTIME_CODES.items()}

US_QUOTE_CODES = frozenset({"NAS", "NYS", "AMS"})
ASIA_QUOTE_CODES = frozenset({"TSE", "HKS", "SHS", "SZS", "HSX", "HNX"})


@dataclass(frozen=True, slots=True)
class SymbolKey:
    """A market-data tr_key taken apart: `DNASAAPL` is (D, NAS, AAPL) on NASD."""

    prefix: FeedPrefix
    market_code: str  # a quote code (NAS, HKS, …) or a daytime code (BAQ, BAY, BAA)
    symbol: str
    exchange: Exchange

    def __str__(self) -> str:
        return f"{self.prefix.value}{self.market_code}{self.symbol}"


def parse_symbol_key(key: str) -> SymbolKey | None:
    """The parts of a market-data tr_key, or None if it names no market KIS knows.

    D takes the nine quote codes; R takes them too (the paid feed) and the US daytime codes.
    """
    if len(key) < 5 or key[0] not in "DR":
        return None
    prefix, code, symbol = FeedPrefix(key[0]), key[1:4], key[4:]
    exchange = QUOTE_CODES.get(code)
    if exchange is None and prefix is FeedPrefix.REALTIME:
        exchange = DAYTIME_CODES.get(code)
    if exchange is None:
        return None
    return SymbolKey(prefix, code, symbol, exchange)


def symbol_key(exchange: Exchange, symbol: str, *, daytime: bool = False) -> str:
    """The free feed's tr_key (`DNASAAPL`), or the US daytime session's (`RBAQAAPL`)."""
    if daytime:
        return f"{FeedPrefix.REALTIME.value}{DAYTIME_CODE[exchange]}{symbol}"
    return f"{FeedPrefix.DELAYED.value}{EXCHANGES[exchange].quote_code}{symbol}"


# --- H0GSCNI0 / H0GSCNI9: execution notices (§5.1) ----------------------------------------------------
class NoticeLayout(IntEnum):
    """H0GSCNI0's field count: KIS has grown it twice, and clients parse only the one they know."""

    V21 = 21  # until 2025-05-22: python-kis 2.1.x and the legacy Sample01 parse only this
    V24 = 24  # from 2025-05-23: + START_TM, END_TM, TM_DIV_TP
    V25 = 25  # from 2026-01-02: + CNTG_UNPR12; the current spec and official samples


NOTICE_FIELDS_25: tuple[str, ...] = (
    "CUST_ID",  # 0 고객 ID: the HTS id (the subscription's tr_key)
    "ACNT_NO",  # 1 계좌번호
    "ODER_NO",  # 2 주문번호
    "OODER_NO",  # 3 원주문번호: blank for a new order
    "SELN_BYOV_CLS",  # 4 매도매수구분: 01 sell, 02 buy
    "RCTF_CLS",  # 5 정정구분: 0 normal, 1 revise, 2 cancel
    "ODER_KIND2",  # 6 주문종류2
    "STCK_SHRN_ISCD",  # 7 단축 종목코드
    "CNTG_QTY",  # 8 체결수량: the order quantity on order notices, the fill quantity on fills
    "CNTG_UNPR",  # 9 체결단가: implied-decimal integer (NOTICE_PRICE_PLACES)
    "STCK_CNTG_HOUR",  # 10 주식 체결 시간 HHMMSS
    "RFUS_YN",  # 11 거부여부
    "CNTG_YN",  # 12 체결여부
    "ACPT_YN",  # 13 접수여부
    "BRNC_NO",  # 14 지점번호
    "ODER_QTY",  # 15 주문수량: blank on order notices, the order quantity on fills
    "ACNT_NAME",  # 16 계좌명
    "CNTG_ISNM",  # 17 체결종목명
    "ODER_COND",  # 18 해외종목구분 (NOTICE_MARKET_CODE)
    "DEBT_GB",  # 19 담보유형코드: 10 cash
    "DEBT_DATE",  # 20 담보대출일자 YYYYMMDD
    "START_TM",  # 21 분할매수/매도 시작시간 (24+)
    "END_TM",  # 22 분할매수/매도 종료시간 (24+)
    "TM_DIV_TP",  # 23 시간분할타입유형 (24+)
    "CNTG_UNPR12",  # 24 체결단가12 (25)
)

NOTICE_FIELDS: dict[NoticeLayout, tuple[str, ...]] = {
    layout: NOTICE_FIELDS_25[: int(layout)] for layout in NoticeLayout
}


class Correction(StrEnum):
    """RCTF_CLS 정정구분."""

    NONE = "0"
    REVISE = "1"
    CANCEL = "2"


class OrderKind2(StrEnum):
    """ODER_KIND2 주문종류2; python-kis raises on any other value."""

    MARKET = "1"  # 시장가
    LIMIT = "2"  # 지정가
    ODD_MARKET = "6"  # 단주시장가
    ODD_LIMIT = "7"  # 단주지정가
    MOO = "A"
    LOO = "B"
    MOC = "C"
    LOC = "D"


# REST ORD_DVSN → ODER_KIND2 (an inference, §5.1). TWAP/VWAP (35/36) are limit orders sliced in time.
ORDER_KIND2_BY_ORD_DVSN: dict[str, OrderKind2] = {
    "00": OrderKind2.LIMIT,
    "31": OrderKind2.MOO,
    "32": OrderKind2.LOO,
    "33": OrderKind2.MOC,
    "34": OrderKind2.LOC,
    "35": OrderKind2.LIMIT,
    "36": OrderKind2.LIMIT,
    "50": OrderKind2.ODD_LIMIT,
}

FILL_NO, FILL_YES = "1", "2"  # CNTG_YN: 1 order/revise/cancel/reject notice, 2 fill
ACCEPTED, CONFIRMED, IOC_CANCELLED = "1", "2", "3"  # ACPT_YN: 주문접수, 확인, 취소(FOK/IOC)
NOT_REFUSED, REFUSED = "0", "1"  # RFUS_YN
CASH_LOAN_TYPE = "10"  # DEBT_GB 현금


# ODER_COND 해외종목구분 by order exchange. KIS has no code for Shenzhen A shares: SZAA takes "B"
# (심천B), which python-kis reads as SZSE. OTCB ("9") is absent: localkis lists no OTC exchange.
NOTICE_MARKET_CODE: dict[Exchange, str] = {
    Exchange.SEHK: "4",
    Exchange.NASD: "6",
    Exchange.NYSE: "7",
    Exchange.AMEX: "8",
    Exchange.SHAA: "A",
    Exchange.SZAA: "B",
    Exchange.TKSE: "D",
    Exchange.HASE: "E",
    Exchange.VNSE: "F",
}
NOTICE_EXCHANGE: dict[str, Exchange] = {
    **{code: ex for ex, code in NOTICE_MARKET_CODE.items()},
    "5": Exchange.SHAA,  # 상해B (USD)
    "C": Exchange.SEHK,  # 홍콩 (CNY)
}

# CNTG_UNPR's implied decimals: AAPL 148.0100 is sent as 001480100 (spec; python-kis's table).
NOTICE_PRICE_PLACES: dict[Market, int] = {
    Market.US: 4, Market.JP: 1, Market.SH: 3, Market.SZ: 3, Market.HK: 3, Market.VN: 0,
}
NOTICE_QTY_WIDTH = 10  # CNTG_QTY, zero-padded as in the spec example ("0000000100")
NOTICE_PRICE_WIDTH = 9  # CNTG_UNPR ("001480100"); a wider price is sent whole, never cut
NOTICE_ORDER_QTY_WIDTH = 9  # ODER_QTY
NOTICE_PRICE12_WIDTH = 12  # CNTG_UNPR12


# --- HDFSCNT0: trades, 26 fields (§5.2) ------------------------------------------------------------
TRADE_FIELDS: tuple[str, ...] = (
    "RSYM",  # 0 실시간종목코드: the tr_key
    "SYMB",  # 1 종목코드
    "ZDIV",  # 2 소수점자리수
    "TYMD",  # 3 현지영업일자
    "XYMD",  # 4 현지일자
    "XHMS",  # 5 현지시간
    "KYMD",  # 6 한국일자
    "KHMS",  # 7 한국시간
    "OPEN",  # 8 시가
    "HIGH",  # 9 고가
    "LOW",  # 10 저가
    "LAST",  # 11 현재가
    "SIGN",  # 12 대비구분
    "DIFF",  # 13 전일대비
    "RATE",  # 14 등락율
    "PBID",  # 15 매수호가
    "PASK",  # 16 매도호가
    "VBID",  # 17 매수잔량
    "VASK",  # 18 매도잔량
    "EVOL",  # 19 체결량
    "TVOL",  # 20 거래량
    "TAMT",  # 21 거래대금: an integer (python-kis int())
    "BIVL",  # 22 매도체결량: volume that hit the bid
    "ASVL",  # 23 매수체결량: volume that lifted the ask
    "STRN",  # 24 체결강도: ASVL / BIVL × 100
    "MTYP",  # 25 시장구분
)


class PriceSign(StrEnum):
    """SIGN 대비구분; python-kis accepts 0-5 only."""

    LIMIT_UP = "1"
    UP = "2"
    FLAT = "3"
    LIMIT_DOWN = "4"
    DOWN = "5"


class MarketSession(StrEnum):
    """MTYP 시장구분 (spec); a 2024 capture shows "1" in the US pre-market (UNVERIFIED)."""

    REGULAR = "1"  # 장중
    PRE = "2"  # 장전
    AFTER = "3"  # 장후




# --- HDFSASP0 (71 fields) and HDFSASP1 (17): books (§5.3, §5.4) --------------------------------------
BOOK_HEADER_FIELDS: tuple[str, ...] = (
    "RSYM", "SYMB", "ZDIV", "XYMD", "XHMS", "KYMD", "KHMS",
    "BVOL",  # 매수총잔량
    "AVOL",  # 매도총잔량
    "BDVL",  # 매수총잔량대비 (signed)
    "ADVL",  # 매도총잔량대비 (signed)
)
BOOK_LEVEL_FIELDS: tuple[str, ...] = ("PBID", "PASK", "VBID", "VASK", "DBID", "DASK")  # + level number


def _book_fields(levels: int) -> tuple[str, ...]:
    return BOOK_HEADER_FIELDS + tuple(f"{name}{n}" for n in range(1, levels + 1) for name in BOOK_LEVEL_FIELDS)


BOOK_LEVELS: dict[Stream, int] = {Stream.BOOK: 10, Stream.BOOK_ASIA: 1}
BOOK_FIELDS: tuple[str, ...] = _book_fields(BOOK_LEVELS[Stream.BOOK])  # 71
BOOK_ASIA_FIELDS: tuple[str, ...] = _book_fields(BOOK_LEVELS[Stream.BOOK_ASIA])  # 17: HDFSASP0's first 17
EMPTY_LEVEL_VALUE = "0"  # a level the book does not have: python-kis Decimal()/int()s every level

# Fields per record of each stream that sends data.
RECORD_FIELDS: dict[Stream, tuple[str, ...]] = {
    Stream.TRADES: TRADE_FIELDS,
    Stream.BOOK: BOOK_FIELDS,
    Stream.BOOK_ASIA: BOOK_ASIA_FIELDS,
}


# --- control replies: OPSP codes (§3.2) --------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ControlMessage:
    code: str
    text: str
    rt_cd: str
    rt_cd_seen: bool  # False: rt_cd is localkis's choice, no live frame shows it


class Control(StrEnum):
    SUBSCRIBED = "OPSP0000"
    UNSUBSCRIBED = "OPSP0001"
    ALREADY_SUBSCRIBED = "OPSP0002"
    NOT_SUBSCRIBED = "OPSP0003"
    INTERNAL_ERROR = "OPSP0007"
    MAX_SUBSCRIPTIONS = "OPSP0008"
    MCI_SEND_FAILED = "OPSP0009"
    INVALID_APPKEY_WARNING = "OPSP0010"
    INVALID_APPROVAL = "OPSP0011"
    INVALID_TR_ID = "OPSP8991"
    INVALID_TR_KEY = "OPSP8992"
    JSON_INVALID_TR_KEY = "OPSP8993"
    NO_PERSONALSECKEY = "OPSP8994"
    NO_APPSECRET = "OPSP8995"
    APPKEY_IN_USE = "OPSP8996"
    INVALID_TR_TYPE = "OPSP8997"
    INVALID_CUSTTYPE = "OPSP8998"
    RESOURCE_NOT_AVAILABLE = "OPSP8999"
    NO_TR_KEY = "OPSP9990"
    NO_INPUT = "OPSP9991"
    NO_BODY = "OPSP9992"
    JSON_INTERNAL_ERROR = "OPSP9993"
    JSON_INVALID_APPKEY = "OPSP9994"
    JSON_RESOURCE_NOT_AVAILABLE = "OPSP9995"
    JSON_APPKEY = "OPSP9996"
    NO_CUSTTYPE = "OPSP9997"
    NO_HEADER = "OPSP9998"
    INVALID_JSON = "OPSP9999"


def _c(code: Control, text: str, rt_cd: str = "1", seen: bool = False) -> ControlMessage:
    return ControlMessage(code.value, text, rt_cd, seen)


_C = Control
CONTROL: dict[Control, ControlMessage] = {
    Control(m.code): m
    for m in (
        _c(_C.SUBSCRIBED, "SUBSCRIBE SUCCESS", "0", True),
        _c(_C.UNSUBSCRIBED, "UNSUBSCRIBE SUCCESS", "0"),
        _c(_C.ALREADY_SUBSCRIBED, "ALREADY IN SUBSCRIBE"),
        _c(_C.NOT_SUBSCRIBED, "UNSUBSCRIBE ERROR(not found!)", seen=True),
        _c(_C.INTERNAL_ERROR, "SUBSCRIBE INTERNAL ERROR"),
        _c(_C.MAX_SUBSCRIPTIONS, "MAX SUBSCRIBE OVER"),
        _c(_C.MCI_SEND_FAILED, "SUBSCRIBE ERROR : mci send failed"),
        _c(_C.INVALID_APPKEY_WARNING, "SUBSCRIBE WARNING : invalid appkey"),
        # The FAQ's wording; live replies name the key instead (`invalid_approval_text`).
        _c(_C.INVALID_APPROVAL, "invalid approval(appkey) : NOT FOUND", seen=True),
        _c(_C.INVALID_TR_ID, "SUBSCRIBE ERROR : invalid tr_id"),
        _c(_C.INVALID_TR_KEY, "SUBSCRIBE ERROR : invalid tr_key"),
        _c(_C.JSON_INVALID_TR_KEY, "JSON PARSING ERROR : invalid tr_key"),
        _c(_C.NO_PERSONALSECKEY, "JSON PARSING ERROR : personalseckey not found"),
        _c(_C.NO_APPSECRET, "JSON PARSING ERROR : appsecret not found"),
        _c(_C.APPKEY_IN_USE, "ALREADY IN USE appkey", "9", True),
        _c(_C.INVALID_TR_TYPE, "JSON PARSING ERROR : invalid tr_type"),
        _c(_C.INVALID_CUSTTYPE, "JSON PARSING ERROR : invalid custtype"),
        _c(_C.RESOURCE_NOT_AVAILABLE, "resource not available (ALLOC_CALL_PARAM)"),
        _c(_C.NO_TR_KEY, "JSON PARSING ERROR : tr_key not found"),
        _c(_C.NO_INPUT, "JSON PARSING ERROR : input not found"),
        _c(_C.NO_BODY, "JSON PARSING ERROR : body not found"),
        _c(_C.JSON_INTERNAL_ERROR, "JSON PARSING ERROR : internal error"),
        _c(_C.JSON_INVALID_APPKEY, "JSON PARSING ERROR : INVALID appkey"),
        _c(_C.JSON_RESOURCE_NOT_AVAILABLE, "JSON PARSING ERROR : resource not available"),
        _c(_C.JSON_APPKEY, "JSON PARSING ERROR : appkey"),
        _c(_C.NO_CUSTTYPE, "JSON PARSING ERROR : custtype not found"),
        _c(_C.NO_HEADER, "JSON PARSING ERROR : header not found"),
        _c(_C.INVALID_JSON, "JSON PARSING ERROR : invalid json format"),
    )
}


def invalid_approval_text(approval_key: str) -> str:
    """OPSP0011's msg1 as a live reply showed it: "invalid approval : <approval_key>"."""
    return f"invalid approval : {approval_key}"


# The header of a reply that answers no particular subscription, as the OPSP8996 capture shows it.
NULL_TR_ID = "(null)"
NULL_TR_KEY = ""


class TrType(StrEnum):
    """header.tr_type of a client message."""

    SUBSCRIBE = "1"  # 등록
    UNSUBSCRIBE = "2"  # 해제


CUSTTYPES = frozenset({"P", "B"})  # 개인, 법인
