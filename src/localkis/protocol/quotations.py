"""The quotation APIs' vocabulary (REST-NEXT §7–§13): TR IDs, paths, query field specs, codes, page sizes.

Kept apart from `trids.py`, `fields.py` and `codes.py` while those are being reworked; each table here is
one row per API and is meant to move into them.

Query fields KIS marks required but clients send blank (AUTH, BYMD, NEXT, FILL, KEYB; python-kis sends no
AUTH at all to inquire-asking-price) are not required here: "required" in a `FieldSpec` means non-blank.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from localkis.protocol.codes import Message
from localkis.protocol.fields import FieldSpec, Format


class QuoteApi(StrEnum):
    PRICE_DETAIL = "price-detail"
    DAILY_PRICE = "dailyprice"
    DAILY_CHART_PRICE = "inquire-daily-chartprice"
    MINUTE_CHART = "inquire-time-itemchartprice"
    ASKING_PRICE = "inquire-asking-price"
    PRODUCT_INFO = "search-info-overseas"  # CTPF1702R; "search-info" is the domestic CTPF1604R
    SETTLEMENT_DATES = "countries-holiday"


@dataclass(frozen=True, slots=True)
class QuoteTr:
    tr_id: str  # the same TR in both environments (REST-NEXT §1.1)
    api: QuoteApi
    method: str
    path: str
    in_mock: bool  # False: KIS's mock host has no such service


QUOTE_TRS: tuple[QuoteTr, ...] = (
    QuoteTr("HHDFS76200200", QuoteApi.PRICE_DETAIL, "GET",
            "/uapi/overseas-price/v1/quotations/price-detail", False),
    QuoteTr("HHDFS76240000", QuoteApi.DAILY_PRICE, "GET",
            "/uapi/overseas-price/v1/quotations/dailyprice", True),
    QuoteTr("FHKST03030100", QuoteApi.DAILY_CHART_PRICE, "GET",
            "/uapi/overseas-price/v1/quotations/inquire-daily-chartprice", True),
    QuoteTr("HHDFS76950200", QuoteApi.MINUTE_CHART, "GET",
            "/uapi/overseas-price/v1/quotations/inquire-time-itemchartprice", False),
    QuoteTr("HHDFS76200100", QuoteApi.ASKING_PRICE, "GET",
            "/uapi/overseas-price/v1/quotations/inquire-asking-price", False),
    QuoteTr("CTPF1702R", QuoteApi.PRODUCT_INFO, "GET",
            "/uapi/overseas-price/v1/quotations/search-info", False),
    # Note overseas-STOCK, not overseas-price.
    QuoteTr("CTOS5011R", QuoteApi.SETTLEMENT_DATES, "GET",
            "/uapi/overseas-stock/v1/quotations/countries-holiday", False),
)
QUOTE_TR_BY_ID: dict[str, QuoteTr] = {tr.tr_id: tr for tr in QUOTE_TRS}


def _f(name: str, required: bool, max_len: int, fmt: Format = Format.TEXT, *,
       choices: tuple[str, ...] | None = None) -> FieldSpec:
    return FieldSpec(name, required, max_len, fmt, frozenset(choices) if choices else None)


Y, N = True, False
D, DT = Format.DIGITS, Format.DATE

# EXCD of the quote APIs. SHI/SZI (index codes) and BAY/BAQ/BAA (US daytime) are KIS codes localkis lists
# no instrument for; they pass the field check and then find nothing.
QUOTE_EXCHANGES = ("NAS", "NYS", "AMS", "HKS", "SHS", "SZS", "TSE", "HSX", "HNX", "SHI", "SZI")
DAYTIME_EXCHANGES = ("BAY", "BAQ", "BAA")

PRICE_DETAIL_QUERY: tuple[FieldSpec, ...] = (
    _f("AUTH", N, 32),
    _f("EXCD", Y, 4, choices=QUOTE_EXCHANGES + DAYTIME_EXCHANGES),
    _f("SYMB", Y, 16),
)

DAILY_PRICE_QUERY: tuple[FieldSpec, ...] = (
    _f("AUTH", N, 32),
    _f("EXCD", Y, 4, choices=QUOTE_EXCHANGES),  # no daytime codes
    _f("SYMB", Y, 16),
    _f("GUBN", Y, 1, choices=("0", "1", "2")),  # day, week, month
    _f("BYMD", N, 8, DT),  # blank: today
    _f("MODP", Y, 1, choices=("0", "1")),  # adjusted prices: localkis has no corporate actions, both alike
    # KIS: 1 character, "send back what the answer carried" — the answer carries no such field. Ignored.
    _f("KEYB", N, 1),
)

DAILY_CHART_PRICE_QUERY: tuple[FieldSpec, ...] = (
    _f("FID_COND_MRKT_DIV_CODE", Y, 2, choices=("N", "X", "I", "S")),
    _f("FID_INPUT_ISCD", Y, 12),
    _f("FID_INPUT_DATE_1", Y, 10, DT),
    _f("FID_INPUT_DATE_2", Y, 10, DT),
    _f("FID_PERIOD_DIV_CODE", Y, 32, choices=("D", "W", "M", "Y")),
)

MINUTE_CHART_QUERY: tuple[FieldSpec, ...] = (
    _f("AUTH", N, 32),
    _f("EXCD", Y, 4, choices=QUOTE_EXCHANGES + DAYTIME_EXCHANGES),
    _f("SYMB", Y, 16),
    _f("NMIN", Y, 4, D),
    _f("PINC", Y, 1, choices=("0", "1")),
    _f("NEXT", N, 1, choices=("1",)),
    _f("NREC", Y, 4, D),
    _f("FILL", N, 1),
    _f("KEYB", N, 32),  # YYYYMMDDHHMMSS (local exchange time) on a continuation
)

ASKING_PRICE_QUERY: tuple[FieldSpec, ...] = (
    _f("AUTH", N, 32),
    _f("EXCD", Y, 4, choices=QUOTE_EXCHANGES + DAYTIME_EXCHANGES),
    _f("SYMB", Y, 16),
)

# PRDT_TYPE_CD of CTPF1702R: 512 NASDAQ, 513 NYSE, 529 AMEX, 515 JP, 501 HK, 543 HK CNY, 558 HK USD,
# 507 Hanoi, 508 HCMC, 551 Shanghai A, 552 Shenzhen A.
PRODUCT_TYPES = ("512", "513", "529", "515", "501", "543", "558", "507", "508", "551", "552")

PRODUCT_INFO_QUERY: tuple[FieldSpec, ...] = (
    _f("PRDT_TYPE_CD", Y, 3, D, choices=PRODUCT_TYPES),
    _f("PDNO", Y, 12),
)

SETTLEMENT_DATES_QUERY: tuple[FieldSpec, ...] = (
    _f("TRAD_DT", Y, 8, DT),
    _f("CTX_AREA_NK", N, 20),  # KIS: required, "blank"; the only cursors without a size suffix
    _f("CTX_AREA_FK", N, 20),
)

# --- page sizes -------------------------------------------------------------------------------------
DAILY_PRICE_ROWS = 100  # per call, real and mock [spec]
DAILY_CHART_PRICE_ROWS = 100  # UNVERIFIED: no size documented; dailyprice's
MINUTE_CHART_MAX_ROWS = 120  # NREC ≤ 120 [spec]
ASKING_PRICE_LEVELS = 10  # output2 carries 10 levels; markets other than the US fill only level 1
CURSOR20_WIDTH = 20  # ctx_area_fk / ctx_area_nk of countries-holiday

# --- message codes ----------------------------------------------------------------------------------
# MCA00000 is the one success code seen on a quote TR (price-detail, a third-party guide); localkis uses it
# on every H…/F… quote TR. The C… TRs answer with the account system's KIOK codes.
QUOTE_OK = Message("MCA00000", "정상처리 되었습니다.", invented=True)
PRODUCT_INFO_OK = Message("KIOK0530", "조회되었습니다".ljust(80), invented=True)
PRODUCT_INFO_NOT_FOUND = Message("KIOK0560", "조회할 내용이 없습니다".ljust(80), invented=True, rt_cd="7")
SETTLEMENT_OK = Message("KIOK0460", "조회 되었습니다. (마지막 자료)".ljust(80))
# Observed text with rt_cd "0" and no rows (weekend, holiday, future date); the code was not recorded.
SETTLEMENT_EMPTY = Message("KIOK0560", "조회할 자료가 없습니다".ljust(80), invented=True, rt_cd="0")


@dataclass(frozen=True, slots=True)
class SettlementMarket:
    """One countries-holiday row's fixed part: product type, market code and names (REST-NEXT §13)."""

    product_type: str  # prdt_type_cd
    market_code: str  # tr_mket_cd, unique only within a country
    market_name: str  # tr_mket_name
    country_abbr: str  # natn_eng_abrv_cd
    cycle: int  # settlement cycle in local trading days (T+n)
    korea_lag: int  # Korean business days from the local settlement date to the Korean one


# Keyed by order exchange code. US codes, names and dates are observed (settled T+1 locally, a Korean day
# later: trade 2026-08-12, local 08-13, Korean 08-14); Vietnam follows the spec's example (T+2, the same
# day in Korea). The rest is localkis's choice: CN market codes and names, T+2 for Hong Kong and Tokyo,
# T+1 for Shanghai and Shenzhen (Stock Connect money), Asian markets settling the same day in Korea.
# (KIS also lists US rows 527/528, "미국", that localkis has no exchange for.)
SETTLEMENT_MARKETS: dict[str, SettlementMarket] = {
    "SEHK": SettlementMarket("501", "01", "홍콩", "HK", 2, 0),
    "HASE": SettlementMarket("507", "01", "하노이거래소", "VN", 2, 0),
    "VNSE": SettlementMarket("508", "02", "호치민거래소", "VN", 2, 0),
    "NASD": SettlementMarket("512", "01", "나스닥", "US", 1, 1),
    "NYSE": SettlementMarket("513", "02", "뉴욕거래소", "US", 1, 1),
    "TKSE": SettlementMarket("515", "01", "일본", "JP", 2, 0),
    "AMEX": SettlementMarket("529", "05", "아멕스", "US", 1, 1),
    "SHAA": SettlementMarket("551", "01", "상해", "CN", 1, 0),
    "SZAA": SettlementMarket("552", "02", "심천", "CN", 1, 0),
}

# crcy_name of CTPF1702R (localkis's wording; no example found).
CURRENCY_NAMES: dict[str, str] = {
    "USD": "미국달러", "HKD": "홍콩달러", "CNY": "중국위안화", "JPY": "일본엔화", "VND": "베트남동",
}
