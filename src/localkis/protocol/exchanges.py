"""KIS overseas exchange codes and their fixed attributes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Exchange(StrEnum):
    """Order-side exchange codes (`OVRS_EXCG_CD`)."""

    NASD = "NASD"
    NYSE = "NYSE"
    AMEX = "AMEX"
    SEHK = "SEHK"
    SHAA = "SHAA"
    SZAA = "SZAA"
    TKSE = "TKSE"
    HASE = "HASE"
    VNSE = "VNSE"


class Market(StrEnum):
    """A group of exchanges that share TR IDs, hours and rules."""

    US = "US"
    HK = "HK"
    JP = "JP"
    SH = "SH"
    SZ = "SZ"
    VN = "VN"


@dataclass(frozen=True, slots=True)
class ExchangeInfo:
    exchange: Exchange
    market: Market
    currency: str
    quote_code: str  # EXCD of the quotation APIs (NAS, NYS, …)
    country_code: str  # natn_cd
    country_name: str  # natn_kor_name
    market_name: str  # tr_mket_name
    timezone: str
    revise_allowed: bool  # False: cancel-only markets
    search_type_code: str  # PRDT_TYPE_CD of search-info (CTPF1604R)


EXCHANGES: dict[Exchange, ExchangeInfo] = {
    e.exchange: e
    for e in (
        ExchangeInfo(Exchange.NASD, Market.US, "USD", "NAS", "840", "미국", "나스닥", "America/New_York",
                     True, "512"),
        ExchangeInfo(Exchange.NYSE, Market.US, "USD", "NYS", "840", "미국", "뉴욕거래소", "America/New_York",
                     True, "513"),
        ExchangeInfo(Exchange.AMEX, Market.US, "USD", "AMS", "840", "미국", "아멕스", "America/New_York",
                     True, "529"),
        ExchangeInfo(Exchange.SEHK, Market.HK, "HKD", "HKS", "344", "홍콩", "홍콩거래소", "Asia/Hong_Kong",
                     True, "501"),
        ExchangeInfo(Exchange.SHAA, Market.SH, "CNY", "SHS", "156", "중국", "상해거래소", "Asia/Shanghai",
                     False, "551"),
        ExchangeInfo(Exchange.SZAA, Market.SZ, "CNY", "SZS", "156", "중국", "심천거래소", "Asia/Shanghai",
                     False, "552"),
        ExchangeInfo(Exchange.TKSE, Market.JP, "JPY", "TSE", "392", "일본", "도쿄거래소", "Asia/Tokyo",
                     True, "515"),
        ExchangeInfo(Exchange.HASE, Market.VN, "VND", "HNX", "704", "베트남", "하노이거래소",
                     "Asia/Ho_Chi_Minh", False, "507"),
        ExchangeInfo(Exchange.VNSE, Market.VN, "VND", "HSX", "704", "베트남", "호치민거래소",
                     "Asia/Ho_Chi_Minh", False, "508"),
    )
}

# Decimals of prices in the quotation answers, per market (`zdiv`): US 4, HK 3, JP 1, China 2, Vietnam 0.
QUOTE_PLACES: dict[Market, int] = {Market.US: 4, Market.HK: 3, Market.JP: 1, Market.SH: 2, Market.SZ: 2,
                                   Market.VN: 0}

QUOTE_CODES: dict[str, Exchange] = {info.quote_code: ex for ex, info in EXCHANGES.items()}
SEARCH_TYPE_CODES: dict[str, Exchange] = {info.search_type_code: ex for ex, info in EXCHANGES.items()}

US_EXCHANGES: frozenset[Exchange] = frozenset({Exchange.NASD, Exchange.NYSE, Exchange.AMEX})


def parse_exchange(code: str) -> Exchange | None:
    """The exchange for an `OVRS_EXCG_CD` value, or None if KIS does not know it."""
    return _BY_CODE.get(code)


_BY_CODE = {e.value: e for e in Exchange}  # a dict look-up costs a fraction of an Enum call per request


def inquiry_scope(exchange: Exchange) -> frozenset[Exchange]:
    """Exchanges an inquiry for `exchange` covers: NASD means every US venue (PROTOCOL §6, B6)."""
    if exchange is Exchange.NASD:
        return US_EXCHANGES
    return frozenset({exchange})
