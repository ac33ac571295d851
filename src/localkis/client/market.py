"""Market data for the typed client: the requests (REST-NEXT §7–§13) and their answers as small models.

Paging is hidden by the client's operations (`core.ClientCore`): dailyprice steps `BYMD` back from the
oldest row it got, the minute chart follows `NEXT`/`KEYB`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from localkis.client.calls import Call
from localkis.client.config import ClientConfig
from localkis.client.models import dec, qty
from localkis.protocol.apis import ENDPOINTS, Api
from localkis.protocol.exchanges import EXCHANGES, Exchange
from localkis.protocol.trids import tr_for

KST = ZoneInfo("Asia/Seoul")
PERIODS = {"day": "0", "week": "1", "month": "2"}


def _get(api: Api, cfg: ClientConfig, params: dict[str, str]) -> Call:
    return Call("GET", ENDPOINTS[api].path, tr_for(api, cfg.env), params=params)


def price_detail_call(cfg: ClientConfig, exchange: Exchange, symbol: str) -> Call:
    return _get(Api.PRICE_DETAIL, cfg, {"AUTH": "", "EXCD": EXCHANGES[exchange].quote_code, "SYMB": symbol})


def daily_call(cfg: ClientConfig, exchange: Exchange, symbol: str, period: str, by: date | None) -> Call:
    return _get(Api.DAILY_PRICE, cfg, {"AUTH": "", "EXCD": EXCHANGES[exchange].quote_code, "SYMB": symbol,
                                       "GUBN": PERIODS[period], "BYMD": f"{by:%Y%m%d}" if by else "",
                                       "MODP": "0", "KEYB": ""})


def minute_call(cfg: ClientConfig, exchange: Exchange, symbol: str, minutes: int, count: int,
                keyb: str = "") -> Call:
    return _get(Api.MINUTE_CHART, cfg, {"AUTH": "", "EXCD": EXCHANGES[exchange].quote_code, "SYMB": symbol,
                                        "NMIN": str(minutes), "PINC": "1", "NEXT": "1" if keyb else "",
                                        "NREC": str(count), "FILL": "", "KEYB": keyb})


def book_call(cfg: ClientConfig, exchange: Exchange, symbol: str) -> Call:
    return _get(Api.ASKING_PRICE, cfg, {"AUTH": "", "EXCD": EXCHANGES[exchange].quote_code, "SYMB": symbol})


def product_call(cfg: ClientConfig, exchange: Exchange, symbol: str) -> Call:
    return _get(Api.PRODUCT_INFO, cfg, {"PRDT_TYPE_CD": EXCHANGES[exchange].search_type_code, "PDNO": symbol})


def holidays_call(cfg: ClientConfig, trade_date: date) -> Call:
    return _get(Api.COUNTRIES_HOLIDAY, cfg, {"TRAD_DT": f"{trade_date:%Y%m%d}", "CTX_AREA_NK": "",
                                             "CTX_AREA_FK": ""})


def _strings(out: Any) -> dict[str, str]:
    return {k: "" if v is None else str(v) for k, v in out.items()} if isinstance(out, Mapping) else {}


def _ymd(text: str) -> date | None:
    text = text.strip()
    return date(int(text[:4]), int(text[4:6]), int(text[6:8])) if len(text) == 8 and text.isdigit() else None


@dataclass(frozen=True, slots=True)
class Bar:
    """One chart bar. `time`: the session date of a daily (or longer) bar; the start of a minute bar (an
    aware datetime in the exchange's zone)."""

    time: date | datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: int
    amount: Decimal


def daily_bars(body: Mapping[str, Any]) -> list[Bar]:
    """The rows of a dailyprice answer, oldest first."""
    rows = body.get("output2") or []
    out = []
    for r in rows if isinstance(rows, list) else []:
        s = _strings(r)
        day = _ymd(s.get("xymd", ""))
        if day is not None:
            out.append(Bar(day, dec(s.get("open")), dec(s.get("high")), dec(s.get("low")), dec(s.get("clos")),
                           qty(s.get("tvol")), dec(s.get("tamt"))))
    return out[::-1]


def minute_bars(body: Mapping[str, Any], exchange: Exchange) -> list[Bar]:
    """The rows of a minute-chart answer, oldest first, stamped at their start in the exchange's zone."""
    zone = ZoneInfo(EXCHANGES[exchange].timezone)
    rows = body.get("output2") or []
    out = []
    for r in rows if isinstance(rows, list) else []:
        s = _strings(r)
        stamp = s.get("xymd", "") + s.get("xhms", "")
        if len(stamp) != 14 or not stamp.isdigit():
            continue
        at = datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(tzinfo=zone)
        out.append(Bar(at, dec(s.get("open")), dec(s.get("high")), dec(s.get("low")), dec(s.get("last")),
                       qty(s.get("evol")), dec(s.get("eamt"))))
    return out[::-1]


@dataclass(frozen=True, slots=True)
class PriceDetail:
    """현재가상세 (HHDFS76200200): `last` is None when KIS answers with blank fields."""

    exchange: Exchange
    symbol: str
    last: Decimal | None
    base: Decimal
    open: Decimal
    high: Decimal
    low: Decimal
    volume: int
    amount: Decimal
    high_52w: Decimal
    low_52w: Decimal
    tick: Decimal
    lot: int
    tradable: bool
    raw: Mapping[str, str] = field(repr=False, compare=False, default_factory=dict)

    @classmethod
    def from_output(cls, exchange: Exchange, symbol: str, out: Any) -> PriceDetail:
        r = _strings(out)
        last = r.get("last", "").strip()
        return cls(exchange, symbol, dec(last) if last else None, dec(r.get("base")), dec(r.get("open")),
                   dec(r.get("high")), dec(r.get("low")), qty(r.get("tvol")), dec(r.get("tamt")), dec(r.get("h52p")),
                   dec(r.get("l52p")), dec(r.get("e_hogau")), qty(r.get("vnit")) or 1,
                   r.get("e_ordyn", "").strip() == "매매 가능", r)


@dataclass(frozen=True, slots=True)
class OrderBook:
    """호가 (HHDFS76200100): levels (price, size), best first; markets other than the US show one."""

    exchange: Exchange
    symbol: str
    bids: Sequence[tuple[Decimal, int]]
    asks: Sequence[tuple[Decimal, int]]
    raw: Mapping[str, Any] = field(repr=False, compare=False, default_factory=dict)

    @classmethod
    def from_body(cls, exchange: Exchange, symbol: str, body: Mapping[str, Any]) -> OrderBook:
        levels = _strings(body.get("output2"))
        sides: dict[str, list[tuple[Decimal, int]]] = {"bid": [], "ask": []}
        for side, out in sides.items():
            for n in range(1, 11):
                price, size = dec(levels.get(f"p{side}{n}")), qty(levels.get(f"v{side}{n}"))
                if price > 0 and size > 0:
                    out.append((price, size))
        return cls(exchange, symbol, sides["bid"], sides["ask"], dict(body))


@dataclass(frozen=True, slots=True)
class ProductInfo:
    """상품기본정보 (CTPF1702R); None from the client when KIS has no such product."""

    exchange: Exchange
    symbol: str
    name: str
    english_name: str
    currency: str
    lot: int
    raw: Mapping[str, str] = field(repr=False, compare=False, default_factory=dict)

    @classmethod
    def from_output(cls, exchange: Exchange, symbol: str, out: Any) -> ProductInfo:
        r = _strings(out)
        return cls(exchange, symbol, r.get("prdt_name", "").strip(), r.get("prdt_eng_name", "").strip(),
                   r.get("tr_crcy_cd", "").strip(), qty(r.get("buy_unit_qty")) or 1, r)


@dataclass(frozen=True, slots=True)
class SettlementDate:
    """A market open on a trade date (countries-holiday, CTOS5011R) and when its trades settle."""

    product_type: str  # prdt_type_cd: 512 NASDAQ, 513 NYSE, …
    market: str
    country: str
    local_date: date | None
    korean_date: date | None

    @classmethod
    def from_row(cls, row: Any) -> SettlementDate:
        r = _strings(row)
        return cls(r.get("prdt_type_cd", "").strip(), r.get("tr_mket_name", "").strip(),
                   r.get("natn_eng_abrv_cd", "").strip(), _ymd(r.get("acpl_sttl_dt", "")),
                   _ymd(r.get("dmst_sttl_dt", "")))
