"""KIS's JSON of the quotation APIs (REST-NEXT §7–§13), from typed quotes, bars, books and products.

One module for the seven APIs: they share their number formats, their `rsym`/`zdiv` header and their
sign and rate rules, and none decodes more than its query field specs (`protocol.quotations`).

Formats (docs/behaviour.md, "Quotations"):
- Prices carry the market's decimals (`zdiv`): US 4, HK 3, JP 1, CN 2, VN 0; rounding is half-up.
- Volumes are integers; traded values (`tamt`, `eamt`, `pamt`) and KRW conversions have no decimals.
- Rates are percentages with 2 decimals. dailyprice writes them with an explicit sign ("+5.61",
  "-4.17", as KIS's example); the other APIs only with a minus ("-0.29", as the observed daily-chartprice).
- dailyprice's `diff` is unsigned (the example: "45.5000" with sign 5); daily-chartprice's carries its
  minus (observed). Sign codes: 2 up, 3 unchanged, 5 down (localkis has no price limits: never 1 or 4).
- Book levels without a price or size are "0", never blank.
- Top-level keys come in the order KIS's examples show: the outputs first, then rt_cd, msg_cd, msg1.

Paging is in plain functions next to the renderers: every quote TR answers in one page (header tr_cont
"D"); dailyprice pages by BYMD, the minute chart by NEXT/KEYB.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from localkis.domain.bars import Bar
from localkis.domain.book import BookParams, BookSnapshot, Level, touch
from localkis.protocol.codes import Message
from localkis.protocol.exchanges import EXCHANGES, QUOTE_PLACES, Exchange, Market
from localkis.protocol.quotations import (
    ASKING_PRICE_LEVELS,
    CURRENCY_NAMES,
    CURSOR20_WIDTH,
    DAILY_CHART_PRICE_ROWS,
    DAILY_PRICE_ROWS,
    MINUTE_CHART_MAX_ROWS,
    PRODUCT_INFO_NOT_FOUND,
    PRODUCT_INFO_OK,
    QUOTE_OK,
    SETTLEMENT_EMPTY,
    SETTLEMENT_MARKETS,
    SETTLEMENT_OK,
)
from localkis.wire.accounts import num

KST = ZoneInfo("Asia/Seoul")
SINGLE_PAGE = "D"  # response header tr_cont of every quote answer (REST-NEXT §1.3)

RATE_PLACES = 2
FX_PLACES = 2  # t_rate "1321.00"
SIGN_UP, SIGN_FLAT, SIGN_DOWN = "2", "3", "5"


# --- typed inputs ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Quote:
    """An instrument as the quote APIs show it at instant `at`.

    `session` is the daily bar of the latest session with prints (today's, or the last one before today
    when today has none yet); `base` is the close of the session before it, `previous` that session's bar."""

    exchange: Exchange
    symbol: str
    name: str
    last: Decimal
    base: Decimal
    session: Bar | None
    previous: Bar | None
    lot: int
    tick: Decimal
    at: datetime
    tradable: bool = True
    listed_shares: int = 0
    excd: str = ""  # the EXCD asked (BAQ for a daytime quote); blank: the exchange's own quote code


@dataclass(frozen=True, slots=True)
class Product:
    """What CTPF1702R tells of an instrument (blank where localkis knows nothing)."""

    exchange: Exchange
    symbol: str
    name: str
    english_name: str
    lot: int
    isin: str = ""
    listed_shares: int = 0
    stock_kind: str = "01"  # ovrs_stck_dvsn_cd: 01 stock, 02 warrant, 03 ETF, 04 preferred
    halted: bool = False


@dataclass(frozen=True, slots=True)
class SettlementRow:
    """One market open on the trade date, with its local and Korean settlement dates."""

    exchange: Exchange
    local_date: date
    korean_date: date


# --- formats -----------------------------------------------------------------------------------------
def places(exchange: Exchange) -> int:
    return QUOTE_PLACES[EXCHANGES[exchange].market]


_QUANTA = [Decimal(1).scaleb(-p) for p in range(9)]


def _price(value: Decimal, p: int) -> str:
    """A non-negative price with `p` decimals, half-up (rows render hundreds of these: no extra checks)."""
    return f"{value.quantize(_QUANTA[p], rounding=ROUND_HALF_UP):f}"


def _int(value: int | Decimal) -> str:
    return num(value, 0)


def sign(change: Decimal) -> str:
    return SIGN_UP if change > 0 else SIGN_DOWN if change < 0 else SIGN_FLAT


def rate(change: Decimal, base: Decimal, *, plus: bool = False) -> str:
    """change / base in percent, 2 decimals; "+" on a rise when `plus`."""
    text = num(change / base * 100 if base else Decimal(0), RATE_PLACES)
    return "+" + text if plus and not text.startswith("-") and Decimal(text) != 0 else text


def _ymd(day: date) -> str:
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


def _hms(moment: datetime) -> str:
    return f"{moment.hour:02d}{moment.minute:02d}{moment.second:02d}"


def _local(exchange: Exchange, moment: datetime) -> datetime:
    return moment.astimezone(ZoneInfo(EXCHANGES[exchange].timezone))


def rsym(exchange: Exchange, symbol: str, excd: str = "") -> str:
    """The realtime key: D + quote exchange code + symbol (DNASAAPL; DBAQAAPL for a daytime EXCD)."""
    return f"D{excd or EXCHANGES[exchange].quote_code}{symbol}"


def _body(message: Message, **outputs: object) -> dict[str, object]:
    """A successful answer (rt_cd "0"), outputs first as in KIS's examples."""
    return {**outputs, "rt_cd": "0", "msg_cd": message.code, "msg1": message.text}


# --- price-detail (HHDFS76200200) --------------------------------------------------------------------
PRICE_DETAIL_KEYS = (
    "rsym", "zdiv", "curr", "vnit", "open", "high", "low", "last", "base", "pvol", "pamt", "uplp", "dnlp",
    "h52p", "h52d", "l52p", "l52d", "perx", "pbrx", "epsx", "bpsx", "shar", "mcap", "tomv", "t_xprc", "t_xdif",
    "t_xrat", "p_xprc", "p_xdif", "p_xrat", "t_rate", "p_rate", "t_xsgn", "p_xsng", "e_ordyn", "e_hogau",
    "e_icod", "e_parp", "tvol", "tamt", "etyp_nm",
)


def week52(days: Sequence[Bar]) -> tuple[tuple[Decimal, date], tuple[Decimal, date]] | None:
    """(high, its date), (low, its date) over daily bars (the latest when tied); None without bars."""
    if not days:
        return None
    top = max(days, key=lambda b: (b.high, b.day))
    bottom = min(days, key=lambda b: (b.low, -b.day.toordinal()))
    return (top.high, top.day), (bottom.low, bottom.day)


def price_detail(q: Quote, fx_rate: Decimal, year: Sequence[Bar] = ()) -> dict[str, object]:
    """The body of a price-detail answer; `year`: the daily bars of the last 52 weeks (h52p/l52p)."""
    p = places(q.exchange)
    info = EXCHANGES[q.exchange]
    bar = q.session
    open_, high, low = (bar.open, bar.high, bar.low) if bar is not None else (q.last, q.last, q.last)
    change = q.last - q.base
    extremes = week52(year)
    if extremes is None:
        day = _local(q.exchange, q.at).date()
        extremes = (max(q.last, high), day), (min(q.last, low), day)
    (h52, h52d), (l52, l52d) = extremes
    output = {
        "rsym": rsym(q.exchange, q.symbol, q.excd),
        "zdiv": str(p),
        "curr": info.currency,
        "vnit": str(q.lot),
        "open": _price(open_, p),
        "high": _price(high, p),
        "low": _price(low, p),
        "last": _price(q.last, p),
        "base": _price(q.base, p),
        "pvol": _int(q.previous.volume if q.previous else 0),
        "pamt": _int(q.previous.amount if q.previous else 0),
        "uplp": _price(Decimal(0), p),  # no price limits in localkis; python-kis then uses close ×1.5/×0.5
        "dnlp": _price(Decimal(0), p),
        "h52p": _price(h52, p),
        "h52d": _ymd(h52d),
        "l52p": _price(l52, p),
        "l52d": _ymd(l52d),
        "perx": "0.00",
        "pbrx": "0.00",
        "epsx": "0.00",
        "bpsx": "0.00",
        "shar": str(q.listed_shares),
        "mcap": "0",
        "tomv": _int(q.last * q.listed_shares),
        "t_xprc": _int(q.last * fx_rate),
        "t_xdif": _int(abs(change) * fx_rate),
        "t_xrat": rate(change, q.base),
        "p_xprc": _int(q.base * fx_rate),
        "p_xdif": "0",
        "p_xrat": "0.00",
        "t_rate": num(fx_rate, FX_PLACES),
        "p_rate": num(fx_rate, FX_PLACES),  # one fixed rate in localkis
        "t_xsgn": sign(change),
        "p_xsng": SIGN_FLAT,
        "e_ordyn": "매매 가능" if q.tradable else "매매 불가",
        "e_hogau": _price(q.tick, p),
        "e_icod": "",
        "e_parp": _price(Decimal(0), p),
        "tvol": _int(bar.volume if bar else 0),
        "tamt": _int(bar.amount if bar else 0),
        "etyp_nm": "",
    }
    return _body(QUOTE_OK, output=output)


def price_detail_empty() -> dict[str, object]:
    """An unknown EXCD/SYMB: blank fields, as the price API answers (python-kis: "not found")."""
    return _body(QUOTE_OK, output=dict.fromkeys(PRICE_DETAIL_KEYS, ""))


# --- dailyprice (HHDFS76240000) ----------------------------------------------------------------------
DAILY_PRICE_ROW_KEYS = ("xymd", "clos", "sign", "diff", "rate", "open", "high", "low", "tvol", "tamt",
                        "pbid", "vbid", "pask", "vask")


def daily_page(bars: Sequence[Bar], by: date, exchange: Exchange,
               limit: int = DAILY_PRICE_ROWS) -> tuple[list[Bar], Decimal | None]:
    """The rows of one dailyprice call: bars (oldest first; daily or folded) whose period starts on or
    before `by` (BYMD; blank means today), newest first, at most `limit`; and the close before the oldest
    row (None: the history starts there).

    A bar is in when its first session is on or before `by`, not its label: python-kis steps BYMD back 7
    or 30 days from the oldest row it got, which lands inside the previous week or month."""
    zone = ZoneInfo(EXCHANGES[exchange].timezone)
    eligible = [b for b in bars if b.start.astimezone(zone).date() <= by]
    page = eligible[-limit:] if limit > 0 else []
    before = eligible[-len(page) - 1].close if len(eligible) > len(page) else None
    return page[::-1], before


def daily_price(exchange: Exchange, symbol: str, rows: Sequence[Bar], before: Decimal | None,
                book: BookParams | None = None, lot: int = 1) -> dict[str, object]:
    """The body of a dailyprice answer: `rows` newest first, `before` the close preceding the oldest row.

    pbid/pask are the touch of the synthetic book around the row's close (what a quote showed at the last
    print); blank on a day without volume, as KIS's spec says."""
    p = places(exchange)
    params = book or BookParams()
    size = str(-(-params.size // max(lot, 1)) * max(lot, 1))  # whole lots, as synthetic_book shows them
    out: list[dict[str, str]] = []
    for i, bar in enumerate(rows):
        previous = rows[i + 1].close if i + 1 < len(rows) else before
        change = bar.close - previous if previous is not None else Decimal(0)
        row = {
            "xymd": _ymd(bar.day),
            "clos": _price(bar.close, p),
            "sign": sign(change),
            "diff": _price(abs(change), p),
            "rate": rate(change, previous if previous is not None else bar.close, plus=True),
            "open": _price(bar.open, p),
            "high": _price(bar.high, p),
            "low": _price(bar.low, p),
            "tvol": str(bar.volume),
            "tamt": _int(bar.amount),
            "pbid": "", "vbid": "", "pask": "", "vask": "",
        }
        if bar.volume > 0:
            bid, ask = touch(exchange, bar.close, params.spread_ticks, on=bar.day)
            if bid is not None:
                row["pbid"], row["vbid"] = _price(bid, p), size
            row["pask"], row["vask"] = _price(ask, p), size
        out.append(row)
    return _body(QUOTE_OK, output1={"rsym": rsym(exchange, symbol), "zdiv": str(p), "nrec": str(len(out))},
                 output2=out)


def daily_price_empty() -> dict[str, object]:
    """An unknown EXCD/SYMB: blank header, no rows (python-kis: "not found")."""
    return _body(QUOTE_OK, output1={"rsym": "", "zdiv": "", "nrec": ""}, output2=[])


# --- inquire-daily-chartprice (FHKST03030100) ----------------------------------------------------------
DAILY_CHART_SUMMARY_KEYS = (
    "ovrs_nmix_prdy_vrss", "prdy_vrss_sign", "prdy_ctrt", "ovrs_nmix_prdy_clpr", "acml_vol", "hts_kor_isnm",
    "ovrs_nmix_prpr", "stck_shrn_iscd", "prdy_vol", "ovrs_prod_oprc", "ovrs_prod_hgpr", "ovrs_prod_lwpr",
)


def chart_page(bars: Sequence[Bar], first: date, last: date, limit: int = DAILY_CHART_PRICE_ROWS) -> list[Bar]:
    """The rows of one daily-chartprice call: bars (oldest first) labelled within [first, last], newest
    first, the newest `limit` of them (dates given the wrong way round are swapped)."""
    lo, hi = min(first, last), max(first, last)
    inside = [b for b in bars if lo <= b.day <= hi]
    return inside[-limit:][::-1] if limit > 0 else []


def daily_chart_price(q: Quote, rows: Sequence[Bar]) -> dict[str, object]:
    """The body of an inquire-daily-chartprice answer; `rows` newest first."""
    p = places(q.exchange)
    bar = q.session
    change = q.last - q.base
    output1 = {
        "ovrs_nmix_prdy_vrss": _price(change, p),
        "prdy_vrss_sign": sign(change),
        "prdy_ctrt": rate(change, q.base),
        "ovrs_nmix_prdy_clpr": _price(q.base, p),
        "acml_vol": _int(bar.volume if bar else 0),
        "hts_kor_isnm": q.name,
        "ovrs_nmix_prpr": _price(q.last, p),
        "stck_shrn_iscd": q.symbol,
        "prdy_vol": _int(q.previous.volume if q.previous else 0),
        "ovrs_prod_oprc": _price(bar.open if bar else q.last, p),
        "ovrs_prod_hgpr": _price(bar.high if bar else q.last, p),
        "ovrs_prod_lwpr": _price(bar.low if bar else q.last, p),
    }
    output2 = [{
        "stck_bsop_date": _ymd(b.day),
        "ovrs_nmix_prpr": _price(b.close, p),
        "ovrs_nmix_oprc": _price(b.open, p),
        "ovrs_nmix_hgpr": _price(b.high, p),
        "ovrs_nmix_lwpr": _price(b.low, p),
        "acml_vol": _int(b.volume),
        "mod_yn": "N",
    } for b in rows]
    return _body(QUOTE_OK, output1=output1, output2=output2)


def daily_chart_price_empty() -> dict[str, object]:
    return _body(QUOTE_OK, output1=dict.fromkeys(DAILY_CHART_SUMMARY_KEYS, ""), output2=[])


# --- inquire-time-itemchartprice (HHDFS76950200) -------------------------------------------------------
MINUTE_SUMMARY_KEYS = ("rsym", "zdiv", "stim", "etim", "sktm", "ektm", "next", "more", "nrec")
MINUTE_ROW_KEYS = ("tymd", "xymd", "xhms", "kymd", "khms", "open", "high", "low", "last", "evol", "eamt")


def parse_keyb(text: str, exchange: Exchange) -> datetime | None:
    """KEYB of a continuation, YYYYMMDDHHMMSS in the exchange's local time; None when blank.

    Raises ValueError on anything else (the caller answers it as a bad field)."""
    text = text.strip()
    if not text:
        return None
    if len(text) != 14 or not text.isascii() or not text.isdigit():
        raise ValueError(f"KEYB {text!r} is not YYYYMMDDHHMMSS")
    naive = datetime.strptime(text, "%Y%m%d%H%M%S")
    return naive.replace(tzinfo=ZoneInfo(EXCHANGES[exchange].timezone))


def minute_page(bars: Sequence[Bar], nrec: int, *, keyb: datetime | None = None,
                include_previous: bool = True) -> tuple[list[Bar], bool]:
    """The rows of one minute-chart call and whether older rows remain (output1.next).

    `bars`: (N-minute) bars oldest first. A continuation (`keyb`) starts at the bar stamped at or before
    KEYB, which clients set one bar before the oldest row they have. PINC 0 (`include_previous` False)
    keeps to the latest session. NREC is clamped to 1…120."""
    count = min(max(nrec, 1), MINUTE_CHART_MAX_ROWS)
    eligible = list(bars)
    if keyb is not None:
        eligible = [b for b in eligible if b.start <= keyb]
    if not include_previous and bars:
        latest = bars[-1].day
        eligible = [b for b in eligible if b.day == latest]
    page = eligible[-count:]
    return page[::-1], len(eligible) > len(page)


def minute_chart(exchange: Exchange, symbol: str, rows: Sequence[Bar], session: tuple[datetime, datetime],
                 more: bool, excd: str = "") -> dict[str, object]:
    """The body of a minute-chart answer: `rows` newest first, each stamped at its start; `session` the
    regular session's (start, end) of the latest day, for stim/etim (local) and sktm/ektm (KST)."""
    p = places(exchange)
    start, end = session
    output1 = {
        "rsym": rsym(exchange, symbol, excd),
        "zdiv": str(p),
        "stim": _hms(_local(exchange, start)),
        "etim": _hms(_local(exchange, end)),
        "sktm": _hms(start.astimezone(KST)),
        "ektm": _hms(end.astimezone(KST)),
        "next": "1" if more else "0",
        "more": "0",
        "nrec": str(len(rows)),
    }
    output2 = []
    for b in rows:
        local, korean = _local(exchange, b.start), b.start.astimezone(KST)
        output2.append({
            "tymd": _ymd(b.day),
            "xymd": _ymd(local.date()),
            "xhms": _hms(local),
            "kymd": _ymd(korean.date()),
            "khms": _hms(korean),
            "open": _price(b.open, p),
            "high": _price(b.high, p),
            "low": _price(b.low, p),
            "last": _price(b.close, p),
            "evol": _int(b.volume),
            "eamt": _int(b.amount),
        })
    return _body(QUOTE_OK, output1=output1, output2=output2)


def minute_chart_empty() -> dict[str, object]:
    return _body(QUOTE_OK, output1=dict.fromkeys(MINUTE_SUMMARY_KEYS, ""), output2=[])


# --- inquire-asking-price (HHDFS76200100) --------------------------------------------------------------
ASKING_SUMMARY_KEYS = ("rsym", "zdiv", "curr", "base", "open", "high", "low", "last", "dymd", "dhms", "bvol",
                       "avol", "bdvl", "advl", "code", "ropen", "rhigh", "rlow", "rclose")
ASKING_EXTRA_KEYS = ("vstm", "vetm", "csbp", "cshi", "cslo", "iep", "iev")


def displayed_levels(exchange: Exchange) -> int:
    """Levels KIS fills: 10 on US exchanges, 1 elsewhere (REST-NEXT §11)."""
    return ASKING_PRICE_LEVELS if EXCHANGES[exchange].market is Market.US else 1


def asking_price(q: Quote, book: BookSnapshot) -> dict[str, object]:
    """The body of an inquire-asking-price answer. output2 is one object (as python-kis reads it), with
    10 levels; levels the market does not show, or the book does not have, are "0"."""
    p = places(q.exchange)
    shown = displayed_levels(q.exchange)
    bids, asks = book.bids[:shown], book.asks[:shown]
    bar = q.session
    open_, high, low = (bar.open, bar.high, bar.low) if bar is not None else (q.last, q.last, q.last)
    local = _local(q.exchange, q.at)
    output1 = {
        "rsym": rsym(q.exchange, q.symbol, q.excd),
        "zdiv": str(p),
        "curr": EXCHANGES[q.exchange].currency,
        "base": _price(q.base, p),
        "open": _price(open_, p),
        "high": _price(high, p),
        "low": _price(low, p),
        "last": _price(q.last, p),
        "dymd": _ymd(local.date()),
        "dhms": _hms(local),
        "bvol": str(sum(level.size for level in bids)),
        "avol": str(sum(level.size for level in asks)),
        "bdvl": "0",
        "advl": "0",
        "code": q.symbol,
        "ropen": rate(open_ - q.base, q.base),
        "rhigh": rate(high - q.base, q.base),
        "rlow": rate(low - q.base, q.base),
        "rclose": rate(q.last - q.base, q.base),
    }
    output2: dict[str, str] = {}
    empty = Level(Decimal(0), 0)
    for i in range(ASKING_PRICE_LEVELS):
        bid = bids[i] if i < len(bids) else empty
        ask = asks[i] if i < len(asks) else empty
        n = i + 1
        output2[f"pbid{n}"] = _price(bid.price, p)
        output2[f"pask{n}"] = _price(ask.price, p)
        output2[f"vbid{n}"] = str(bid.size)
        output2[f"vask{n}"] = str(ask.size)
        output2[f"dbid{n}"] = "0"
        output2[f"dask{n}"] = "0"
    output3 = dict.fromkeys(ASKING_EXTRA_KEYS, "")  # "데이터 없음" in the spec: always blank
    return _body(QUOTE_OK, output1=output1, output2=output2, output3=output3)


def asking_price_empty() -> dict[str, object]:
    output2 = {f"{k}{n}": "" for n in range(1, ASKING_PRICE_LEVELS + 1)
               for k in ("pbid", "pask", "vbid", "vask", "dbid", "dask")}
    return _body(QUOTE_OK, output1=dict.fromkeys(ASKING_SUMMARY_KEYS, ""), output2=output2,
                 output3=dict.fromkeys(ASKING_EXTRA_KEYS, ""))


# --- search-info, overseas (CTPF1702R) -----------------------------------------------------------------
PRODUCT_INFO_KEYS = (
    "std_pdno", "prdt_eng_name", "natn_cd", "natn_name", "tr_mket_cd", "tr_mket_name", "ovrs_excg_cd",
    "ovrs_excg_name", "tr_crcy_cd", "ovrs_papr", "crcy_name", "ovrs_stck_dvsn_cd", "prdt_clsf_cd",
    "prdt_clsf_name", "sll_unit_qty", "buy_unit_qty", "tr_unit_amt", "lstg_stck_num", "lstg_dt",
    "ovrs_stck_tr_stop_dvsn_cd", "lstg_abol_item_yn", "ovrs_stck_prdt_grp_no", "lstg_yn", "tax_levy_yn",
    "ovrs_stck_erlm_rosn_cd", "ovrs_stck_hist_rght_dvsn_cd", "chng_bf_pdno", "prdt_type_cd_2",
    "ovrs_item_name", "sedol_no", "blbg_tckr_text", "ovrs_stck_etf_risk_drtp_cd", "etp_chas_erng_rt_dbnb",
    "istt_usge_isin_cd", "mint_svc_yn", "mint_svc_yn_chng_dt", "prdt_name", "lei_cd", "ovrs_stck_stop_rson_cd",
    "lstg_abol_dt", "mini_stk_tr_stat_dvsn_cd", "mint_frst_svc_erlm_dt", "mint_dcpt_trad_psbl_yn",
    "mint_fnum_trad_psbl_yn", "mint_cblc_cvsn_ipsb_yn", "ptp_item_yn", "ptp_item_trfx_exmt_yn",
    "ptp_item_trfx_exmt_strt_dt", "ptp_item_trfx_exmt_end_dt", "dtm_tr_psbl_yn", "sdrf_stop_ecls_yn",
    "sdrf_stop_ecls_erlm_dt", "memo_text1", "ovrs_now_pric1", "last_rcvg_dtime", "sgle_item_lvrg_etp_yn",
)

# Bloomberg's country suffix of a ticker (blbg_tckr_text "AAPL US Equity").
_BLOOMBERG: dict[Market, str] = {
    Market.US: "US", Market.HK: "HK", Market.JP: "JP", Market.SH: "CH", Market.SZ: "CH", Market.VN: "VN",
}


def product_info(product: Product, last: Decimal, at: datetime) -> dict[str, object]:
    """The body of a CTPF1702R answer. Decimal widths follow the spec's lengths: ovrs_papr 19.5,
    tr_unit_amt 23.8, etp_chas_erng_rt_dbnb 23.6, ovrs_now_pric1 23.5."""
    info = EXCHANGES[product.exchange]
    market = SETTLEMENT_MARKETS[product.exchange.value]
    kst = at.astimezone(KST)
    output = dict.fromkeys(PRODUCT_INFO_KEYS, "")
    output.update({
        "std_pdno": product.isin,
        "prdt_eng_name": product.english_name,
        "natn_cd": info.country_code,
        "natn_name": info.country_name,
        "tr_mket_cd": market.market_code,
        "tr_mket_name": info.market_name,
        "ovrs_excg_cd": product.exchange.value,
        "ovrs_excg_name": info.market_name,
        "tr_crcy_cd": info.currency,
        "ovrs_papr": num(Decimal(0), 5),
        "crcy_name": CURRENCY_NAMES[info.currency],
        "ovrs_stck_dvsn_cd": product.stock_kind,
        "sll_unit_qty": str(product.lot),
        "buy_unit_qty": str(product.lot),
        "tr_unit_amt": num(Decimal(0), 8),
        "lstg_stck_num": str(product.listed_shares),
        "ovrs_stck_tr_stop_dvsn_cd": "02" if product.halted else "01",
        "lstg_abol_item_yn": "N",
        "lstg_yn": "Y",
        "tax_levy_yn": "N",
        "prdt_type_cd_2": info.search_type_code,
        "ovrs_item_name": product.name,
        "blbg_tckr_text": f"{product.symbol} {_BLOOMBERG[info.market]} Equity",
        "etp_chas_erng_rt_dbnb": num(Decimal(0), 6),
        "mint_svc_yn": "N",
        "prdt_name": product.name,
        "mini_stk_tr_stat_dvsn_cd": "01" if info.market is Market.US else "",
        "mint_dcpt_trad_psbl_yn": "N",
        "mint_fnum_trad_psbl_yn": "N",
        "mint_cblc_cvsn_ipsb_yn": "N",
        "ptp_item_yn": "N",
        "ptp_item_trfx_exmt_yn": "N",
        # localkis does not serve the US daytime order APIs: no instrument says it can trade there.
        "dtm_tr_psbl_yn": "N",
        "sdrf_stop_ecls_yn": "N",
        "ovrs_now_pric1": num(last, 5),
        "last_rcvg_dtime": _ymd(kst.date()) + _hms(kst),
        "sgle_item_lvrg_etp_yn": "N",
    })
    return _body(PRODUCT_INFO_OK, output=output)


def product_info_not_found() -> dict[str, object]:
    """An unknown PDNO/PRDT_TYPE_CD: rt_cd 7 with KIS's "nothing to show" (UNVERIFIED for this TR)."""
    return {"rt_cd": PRODUCT_INFO_NOT_FOUND.rt_cd, "msg_cd": PRODUCT_INFO_NOT_FOUND.code,
            "msg1": PRODUCT_INFO_NOT_FOUND.text}


# --- countries-holiday (CTOS5011R) ---------------------------------------------------------------------
SETTLEMENT_ROW_KEYS = ("prdt_type_cd", "tr_natn_cd", "tr_natn_name", "natn_eng_abrv_cd", "tr_mket_cd",
                       "tr_mket_name", "acpl_sttl_dt", "dmst_sttl_dt")


def settlement_dates(trade_date: date, rows: Sequence[SettlementRow]) -> dict[str, object]:
    """The body of a countries-holiday answer: one row per market open on the trade date, by product
    type; none (weekend, holiday, future date) answers rt_cd 0 with KIS's "no data" text. The cursors are
    always there (the official sample reads them): fk the trade date, nk blank, 20 characters each."""
    out: list[dict[str, str]] = []
    for row in sorted(rows, key=lambda r: SETTLEMENT_MARKETS[r.exchange.value].product_type):
        info = EXCHANGES[row.exchange]
        market = SETTLEMENT_MARKETS[row.exchange.value]
        out.append({
            "prdt_type_cd": market.product_type,
            "tr_natn_cd": info.country_code,
            "tr_natn_name": info.country_name,
            "natn_eng_abrv_cd": market.country_abbr,
            "tr_mket_cd": market.market_code,
            "tr_mket_name": market.market_name,
            "acpl_sttl_dt": _ymd(row.local_date),
            "dmst_sttl_dt": _ymd(row.korean_date),
        })
    return _body(SETTLEMENT_OK if out else SETTLEMENT_EMPTY,
                 ctx_area_fk=_ymd(trade_date).ljust(CURSOR20_WIDTH), ctx_area_nk=" " * CURSOR20_WIDTH,
                 output=out)
