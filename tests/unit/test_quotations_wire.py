"""The quotation renderers (wire/quotations.py): keys in KIS's order, number formats per market, paging as
clients walk it, and what python-kis 2.1.6 reads from each answer."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from pykis.api.stock.daily_chart import KisForeignDailyChart  # type: ignore[import-untyped]
from pykis.api.stock.day_chart import KisForeignDayChart  # type: ignore[import-untyped]
from pykis.api.stock.order_book import KisForeignOrderbook  # type: ignore[import-untyped]
from pykis.api.stock.quote import KisForeignQuote  # type: ignore[import-untyped]
from pykis.responses.dynamic import KisObject  # type: ignore[import-untyped]
from pykis.responses.exceptions import KisNotFoundError  # type: ignore[import-untyped]

from localkis.domain import bars as bars_mod
from localkis.domain.bars import Bar, Period, day_start
from localkis.domain.book import BookParams, Resting, synthetic_book
from localkis.domain.settlement import settlement
from localkis.protocol import quotations as pq
from localkis.protocol.exchanges import Exchange
from localkis.protocol.orders import Side
from localkis.wire import quotations as wq
from localkis.wire.requests import check_fields

D = Decimal
E = Exchange
KST = ZoneInfo("Asia/Seoul")
NY = ZoneInfo("America/New_York")
AT = datetime(2026, 3, 9, 15, 0, tzinfo=UTC)  # Monday 11:00 New York
TOP = ("rt_cd", "msg_cd", "msg1")

# (exchange, python-kis market, price, expected text of that price, tick)
MARKETS = [
    (E.NASD, "NASDAQ", D("270.35"), "270.3500", D("0.01")),
    (E.SEHK, "HKEX", D("612.5"), "612.500", D("0.5")),
    (E.TKSE, "TYO", D("2890"), "2890.0", D("1")),
    (E.SHAA, "SSE", D("1452.01"), "1452.01", D("0.01")),
    (E.VNSE, "HSX", D("61200"), "61200", D("100")),
]


def day_bar(exchange: Exchange, day: date, o: str, h: str, lo: str, c: str, volume: int = 1000) -> Bar:
    return Bar(day_start(exchange, day), day, D(o), D(h), D(lo), D(c), volume, D(c) * volume)


def quote(exchange: Exchange = E.NASD, last: str = "270.35", base: str = "268.00", tick: str = "0.01",
          session: Bar | None = None, previous: Bar | None = None, lot: int = 1) -> wq.Quote:
    return wq.Quote(exchange, "AAPL" if exchange is E.NASD else "X", "애플", D(last), D(base), session, previous,
                    lot, D(tick), AT)


def parse(body: Mapping[str, object], response_type: Any) -> Any:
    """What python-kis's fetch does with an answer body."""
    response = requests.Response()
    response.status_code = 200
    response.headers["tr_cont"] = wq.SINGLE_PAGE
    data = dict(body)
    data["__response__"] = response
    return KisObject.transform_(data, response_type, ignore_missing_fields={"__response__"})


def keys(body: Mapping[str, object]) -> list[str]:
    return list(body)


# --- formats ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("change", "base", "plus", "text"), [
    (D("60.86"), D("1084.59"), True, "+5.61"), (D("-45.5"), D("1091.26"), True, "-4.17"),
    (D(0), D("10"), True, "0.00"), (D("-75.03"), D("25440.17"), False, "-0.29"), (D("1"), D("0"), True, "0.00"),
    (D("0.001"), D("1000"), True, "0.00"),  # rounds to zero: no sign
])
def test_rate(change: Decimal, base: Decimal, plus: bool, text: str) -> None:
    assert wq.rate(change, base, plus=plus) == text


def test_rsym_and_places() -> None:
    assert wq.rsym(E.NASD, "TSLA") == "DNASTSLA" and wq.rsym(E.VNSE, "VCB") == "DHSXVCB"
    assert [wq.places(e) for e in (E.NASD, E.NYSE, E.AMEX, E.SEHK, E.TKSE, E.SHAA, E.SZAA, E.VNSE, E.HASE)] == [
        4, 4, 4, 3, 1, 2, 2, 0, 0]


# --- price-detail -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("exchange", "market", "price", "text", "tick"), MARKETS)
def test_price_detail(exchange: Exchange, market: str, price: Decimal, text: str, tick: Decimal) -> None:
    session = day_bar(exchange, date(2026, 3, 9), str(price), str(price + tick * 4), str(price - tick * 2), str(price))
    previous = day_bar(exchange, date(2026, 3, 6), str(price), str(price), str(price), str(price - tick), 777)
    q = wq.Quote(exchange, "SYM", "이름", price, price - tick, session, previous, 100, tick, AT, listed_shares=10)
    year = [previous, session, day_bar(exchange, date(2025, 6, 2), str(price), str(price * 2), str(price / 2),
                                       str(price))]
    body = wq.price_detail(q, D("1350.00"), year)
    assert keys(body) == ["output", *TOP] and body["rt_cd"] == "0" and body["msg_cd"] == "MCA00000"
    out = body["output"]
    assert isinstance(out, dict)
    assert tuple(out) == wq.PRICE_DETAIL_KEYS and len(out) == 41
    assert out["last"] == text and out["zdiv"] == str(wq.places(exchange)) and out["vnit"] == "100"
    assert out["pvol"] == "777" and out["tvol"] == "1000" and out["shar"] == "10"
    assert out["t_xsgn"] == "2" and out["t_xrat"] == wq.rate(tick, price - tick)
    assert out["h52d"] == "20250602" and out["l52d"] == "20250602"
    assert out["t_rate"] == "1350.00" and out["e_ordyn"] == "매매 가능"
    assert all(v != "" for k, v in out.items() if k not in ("e_icod", "etyp_nm")), out
    parsed = parse(body, KisForeignQuote("SYM", market, False))
    assert parsed.price == price and parsed.prev_price == price - tick and parsed.volume == 1000
    assert parsed.tick == tick and parsed.decimal_places == wq.places(exchange) and not parsed.halt
    assert parsed.indicator.week52_high == (price * 2).quantize(D(1).scaleb(-wq.places(exchange)))
    assert parsed.sign == "rise"


def test_price_detail_example_values() -> None:
    """TSLA of the guide's example: a fall of 13.07 at 1321 KRW/USD."""
    q = quote(last="245.01", base="258.08", session=day_bar(E.NASD, date(2023, 1, 9), "257.26", "259.0794", "242.01",
                                                             "245.01", 132541640))
    out = wq.price_detail(q, D("1321"))["output"]
    assert isinstance(out, dict)
    assert (out["open"], out["high"], out["t_xdif"], out["t_xrat"], out["t_xsgn"], out["uplp"], out["e_hogau"]) == (
        "257.2600", "259.0794", "17265", "-5.06", "5", "0.0000", "0.0100")
    assert out["tvol"] == "132541640" and out["t_xprc"] == "323658"


def test_price_detail_without_prints_or_history() -> None:
    out = wq.price_detail(quote(), D("1350"))["output"]
    assert isinstance(out, dict)
    assert out["open"] == out["high"] == out["low"] == out["last"] == "270.3500"
    assert out["h52d"] == out["l52d"] == "20260309" and out["tvol"] == "0"


def test_empty_answers_are_not_found_in_python_kis() -> None:
    with pytest.raises(KisNotFoundError):
        parse(wq.price_detail_empty(), KisForeignQuote("NOPE", "NASDAQ", False))
    with pytest.raises(KisNotFoundError):
        parse(wq.daily_price_empty(), KisForeignDailyChart("NOPE", "NASDAQ"))
    with pytest.raises(KisNotFoundError):
        parse(wq.minute_chart_empty(), KisForeignDayChart("NOPE", "NASDAQ", D(1)))
    with pytest.raises(KisNotFoundError):
        parse(wq.asking_price_empty(), KisForeignOrderbook("NOPE", "NASDAQ"))
    assert tuple(wq.daily_chart_price_empty()["output1"]) == wq.DAILY_CHART_SUMMARY_KEYS  # type: ignore[arg-type]


# --- dailyprice ---------------------------------------------------------------------------------------
TSLA = [  # the spec's example rows, oldest first
    (date(2022, 4, 1), "1084.59"), (date(2022, 4, 4), "1145.45"), (date(2022, 4, 5), "1091.26"),
    (date(2022, 4, 6), "1045.76"),
]


def test_daily_price_example() -> None:
    history = [day_bar(E.NASD, d, c, c, c, c, 29782845) for d, c in TSLA]
    rows, before = wq.daily_page(history, date(2022, 4, 6), E.NASD, limit=3)
    assert [r.day for r in rows] == [date(2022, 4, 6), date(2022, 4, 5), date(2022, 4, 4)] and before == D("1084.59")
    body = wq.daily_price(E.NASD, "TSLA", rows, before)
    assert keys(body) == ["output1", "output2", *TOP]
    assert body["output1"] == {"rsym": "DNASTSLA", "zdiv": "4", "nrec": "3"}
    out = body["output2"]
    assert isinstance(out, list)
    assert all(tuple(row) == wq.DAILY_PRICE_ROW_KEYS for row in out)
    assert [(r["xymd"], r["clos"], r["sign"], r["diff"], r["rate"]) for r in out] == [
        ("20220406", "1045.7600", "5", "45.5000", "-4.17"), ("20220405", "1091.2600", "5", "54.1900", "-4.73"),
        ("20220404", "1145.4500", "2", "60.8600", "+5.61")]
    assert out[0]["tvol"] == "29782845" and out[0]["tamt"] == "31145707987"
    assert (out[0]["pbid"], out[0]["vbid"], out[0]["pask"], out[0]["vask"]) == ("1045.7500", "100", "1045.7700", "100")
    bars = parse(body, KisForeignDailyChart("TSLA", "NASDAQ")).bars
    assert [(b.close, b.change, b.sign) for b in bars] == [
        (D("1045.76"), D("45.5"), "decline"), (D("1091.26"), D("54.19"), "decline"), (D("1145.45"), D("60.86"), "rise")]


def test_daily_price_first_row_and_quiet_days() -> None:
    history = [day_bar(E.TKSE, date(2026, 3, 5), "2890", "2890", "2890", "2890", 0),
               day_bar(E.TKSE, date(2026, 3, 6), "2890", "2900", "2880", "2895", 100)]
    rows, before = wq.daily_page(history, date(2026, 3, 9), E.TKSE)
    assert before is None
    out = wq.daily_price(E.TKSE, "7203", rows, before, BookParams(spread_ticks=2, size=150), lot=100)["output2"]
    assert isinstance(out, list)
    assert (out[0]["clos"], out[0]["diff"], out[0]["rate"], out[0]["pbid"], out[0]["vbid"]) == (
        "2895.0", "5.0", "+0.17", "2894.0", "200")
    # The oldest row has no previous close: unchanged. A day without volume has no bid or ask.
    assert (out[1]["sign"], out[1]["diff"], out[1]["rate"]) == ("3", "0.0", "0.00")
    assert out[1]["pbid"] == out[1]["vbid"] == out[1]["pask"] == out[1]["vask"] == ""


def _weekdays(start: date, count: int) -> list[date]:
    out: list[date] = []
    day = start
    while len(out) < count:
        if day.weekday() < 5:
            out.append(day)
        day += timedelta(days=1)
    return out


YEAR = [day_bar(E.NASD, d, "100", "101", "99", str(100 + i % 7)) for i, d in
        enumerate(d for d in _weekdays(date(2025, 1, 2), 300) if d not in (date(2025, 7, 4), date(2025, 12, 25)))]


@pytest.mark.parametrize(("period", "step"), [(Period.DAY, 1), (Period.WEEK, 7), (Period.MONTH, 30)])
def test_python_kis_walks_dailyprice_without_gaps(period: Period, step: int) -> None:
    """python-kis's loop (daily_chart.py): BYMD = oldest row − 1/7/30 days until a page comes back empty."""
    folded = bars_mod.fold_days(YEAR, period)
    today = YEAR[-1].day
    cursor: date | None = None
    seen: list[date] = []
    for _ in range(100):
        rows, _ = wq.daily_page(folded, cursor or today, E.NASD)
        if not rows:
            break
        last = rows[-1].day
        if cursor and cursor < last:
            break
        seen.extend(r.day for r in rows)
        cursor = last - timedelta(days=step)
    assert seen == [b.day for b in reversed(folded)]


def test_dailyprice_query_fields() -> None:
    fields = check_fields({"AUTH": "", "EXCD": "NAS", "SYMB": "AAPL", "GUBN": "0", "BYMD": "", "MODP": "0"},
                          pq.DAILY_PRICE_QUERY)
    assert fields["BYMD"] == "" and fields["KEYB"] == ""


# --- inquire-daily-chartprice -------------------------------------------------------------------------
def test_daily_chart_price() -> None:
    rows = wq.chart_page(YEAR, date(2025, 12, 31), date(2025, 12, 1))  # dates the wrong way round
    assert rows[0].day == date(2025, 12, 31) and rows[-1].day == date(2025, 12, 1)
    assert len(wq.chart_page(YEAR, date(2025, 1, 1), date(2026, 12, 31))) == pq.DAILY_CHART_PRICE_ROWS
    session = day_bar(E.SEHK, date(2026, 3, 9), "612.5", "615", "610", "613", 5000)
    q = quote(E.SEHK, last="613", base="615.5", tick="0.5", session=session,
              previous=day_bar(E.SEHK, date(2026, 3, 6), "600", "616", "600", "615.5", 4000), lot=100)
    body = wq.daily_chart_price(q, [session])
    assert keys(body) == ["output1", "output2", *TOP]
    out1, out2 = body["output1"], body["output2"]
    assert isinstance(out1, dict) and isinstance(out2, list)
    assert tuple(out1) == wq.DAILY_CHART_SUMMARY_KEYS
    assert (out1["ovrs_nmix_prdy_vrss"], out1["prdy_vrss_sign"], out1["prdy_ctrt"]) == ("-2.500", "5", "-0.41")
    assert (out1["acml_vol"], out1["prdy_vol"], out1["stck_shrn_iscd"], out1["hts_kor_isnm"]) == (
        "5000", "4000", "X", "애플")
    assert out2 == [{"stck_bsop_date": "20260309", "ovrs_nmix_prpr": "613.000", "ovrs_nmix_oprc": "612.500",
                     "ovrs_nmix_hgpr": "615.000", "ovrs_nmix_lwpr": "610.000", "acml_vol": "5000", "mod_yn": "N"}]


# --- minute chart -------------------------------------------------------------------------------------
def minutes(day: date, count: int, exchange: Exchange = E.NASD, open_at: time = time(9, 30)) -> list[Bar]:
    zone = NY if exchange is E.NASD else ZoneInfo("Asia/Tokyo")
    start = datetime.combine(day, open_at, zone).astimezone(UTC)
    return [Bar(start + timedelta(minutes=i), day, D("100") + i, D("101") + i, D("99") + i, D("100.5") + i, 10 + i,
                (D("100.5") + i) * (10 + i)) for i in range(count)]


def test_minute_chart() -> None:
    day = date(2026, 3, 9)
    ones = minutes(day, 12)
    fives = bars_mod.fold_minutes(ones, 5, E.NASD, time(9, 30))
    rows, more = wq.minute_page(fives, 120)
    session = (datetime.combine(day, time(9, 30), NY), datetime.combine(day, time(16), NY))
    body = wq.minute_chart(E.NASD, "TSLA", rows, session, more)
    assert keys(body) == ["output1", "output2", *TOP]
    out1, out2 = body["output1"], body["output2"]
    assert isinstance(out1, dict) and isinstance(out2, list)
    # New York is on summer time from 8 March 2026: 09:30 EDT is 22:30 KST.
    assert out1 == {"rsym": "DNASTSLA", "zdiv": "4", "stim": "093000", "etim": "160000", "sktm": "223000",
                    "ektm": "050000", "next": "0", "more": "0", "nrec": "3"}
    assert all(tuple(r) == wq.MINUTE_ROW_KEYS for r in out2)
    assert [r["xhms"] for r in out2] == ["094000", "093500", "093000"]  # newest first, stamped at the start
    assert out2[0] == {"tymd": "20260309", "xymd": "20260309", "xhms": "094000", "kymd": "20260309",
                       "khms": "224000", "open": "110.0000", "high": "112.0000", "low": "109.0000",
                       "last": "111.5000", "evol": "41", "eamt": "4552"}
    chart = parse(body, KisForeignDayChart("TSLA", "NASDAQ", D("100")))
    assert [b.time.strftime("%H%M") for b in chart.bars] == ["0940", "0935", "0930"]
    assert chart.bars[0].time_kst == datetime(2026, 3, 9, 22, 40, tzinfo=KST)
    assert chart.bars[0].close == D("111.5") and chart.bars[0].change == D("11.5")
    assert chart.trading_hours.open == time(9, 30)


def test_minute_paging_with_next_and_keyb() -> None:
    """The spec's continuation: KEYB = one minute before the oldest bar of the previous answer."""
    everything = minutes(date(2026, 3, 5), 390) + minutes(date(2026, 3, 6), 390) + minutes(date(2026, 3, 9), 200)
    seen: list[datetime] = []
    keyb: datetime | None = None
    for _ in range(20):
        rows, more = wq.minute_page(everything, 120, keyb=keyb)
        seen.extend(r.start for r in rows)
        if not more:
            break
        oldest = rows[-1].start.astimezone(NY) - timedelta(minutes=1)
        keyb = wq.parse_keyb(oldest.strftime("%Y%m%d%H%M%S"), E.NASD)
    assert seen == [b.start for b in reversed(everything)]
    today_only, more = wq.minute_page(everything, 120, include_previous=False)
    assert {b.day for b in today_only} == {date(2026, 3, 9)} and more
    last_of_today, more = wq.minute_page(everything, 120, keyb=keyb, include_previous=False)
    assert last_of_today == [] and not more
    assert len(wq.minute_page(everything, 500)[0]) == 120 and len(wq.minute_page(everything, 0)[0]) == 1


@pytest.mark.parametrize("text", ["2026030914", "20260309140100x", "2026-03-09 14"])
def test_bad_keyb(text: str) -> None:
    with pytest.raises(ValueError):
        wq.parse_keyb(text, E.NASD)


def test_keyb_is_local_time() -> None:
    assert wq.parse_keyb("", E.NASD) is None
    assert wq.parse_keyb("20241014140100", E.TKSE) == datetime(2024, 10, 14, 14, 1, tzinfo=ZoneInfo("Asia/Tokyo"))


def test_python_kis_minute_chart_call_passes_the_query_specs() -> None:
    """python-kis sends PINC 1, NEXT/FILL/KEYB blank and NMIN 1…12; its order book sends no AUTH."""
    for nmin in range(1, 13):
        check_fields({"AUTH": "", "EXCD": "NAS", "SYMB": "MSFT", "NMIN": str(nmin), "PINC": "1", "NEXT": "",
                      "NREC": "120", "FILL": "", "KEYB": ""}, pq.MINUTE_CHART_QUERY)
    check_fields({"EXCD": "NAS", "SYMB": "MSFT"}, pq.ASKING_PRICE_QUERY)


# --- asking price -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("exchange", "market", "price", "text", "tick"), MARKETS)
def test_asking_price(exchange: Exchange, market: str, price: Decimal, text: str, tick: Decimal) -> None:
    q = wq.Quote(exchange, "SYM", "이름", price, price, None, None, 100, tick, AT)
    book = synthetic_book(exchange, price, [Resting(Side.BUY, price, 7)], lot=100)
    body = wq.asking_price(q, book)
    assert keys(body) == ["output1", "output2", "output3", *TOP]
    out1, out2, out3 = body["output1"], body["output2"], body["output3"]
    assert isinstance(out1, dict) and isinstance(out2, dict) and isinstance(out3, dict)
    assert tuple(out1) == wq.ASKING_SUMMARY_KEYS and tuple(out3) == wq.ASKING_EXTRA_KEYS
    assert list(out2) == [f"{k}{n}" for n in range(1, 11) for k in ("pbid", "pask", "vbid", "vask", "dbid", "dask")]
    assert all(v != "" for v in out2.values()) and all(v == "" for v in out3.values())
    assert out1["last"] == text and out1["code"] == "SYM" and out1["rclose"] == "0.00"
    shown = 10 if exchange is E.NASD else 1
    assert out1["bvol"] == str(sum(level.size for level in book.bids[:shown]))
    # The resting buy at the last price is the best bid, inside the synthetic spread.
    assert out2["pbid1"] == text and out2["vbid1"] == "7"
    if shown == 1:
        # Zero, never blank: prices with the market's decimals (as uplp "0.0000"), sizes "0".
        assert D(out2["pbid2"]) == D(out2["pask10"]) == 0 and out2["vbid2"] == out2["vask10"] == "0"
    parsed = parse(body, KisForeignOrderbook("SYM", market))
    assert parsed.decimal_places == wq.places(exchange)
    assert len(parsed.asks) == shown and parsed.bids[0].price == price and parsed.bids[0].volume == 7
    assert parsed.asks[0].price == book.asks[0].price


def test_asking_price_time_is_local() -> None:
    out1 = wq.asking_price(quote(), synthetic_book(E.NASD, D("270.35")))["output1"]
    assert isinstance(out1, dict) and (out1["dymd"], out1["dhms"]) == ("20260309", "110000")


# --- search-info (CTPF1702R) --------------------------------------------------------------------------
def test_product_info() -> None:
    product = wq.Product(E.NASD, "AAPL", "애플", "APPLE INC", 1, isin="US0378331005", listed_shares=15_000_000_000)
    body = wq.product_info(product, D("270.35"), AT)
    assert keys(body) == ["output", *TOP] and body["msg_cd"] == "KIOK0530"
    out = body["output"]
    assert isinstance(out, dict) and tuple(out) == wq.PRODUCT_INFO_KEYS and len(out) == 56
    assert (out["std_pdno"], out["natn_cd"], out["tr_mket_cd"], out["ovrs_excg_cd"], out["tr_crcy_cd"]) == (
        "US0378331005", "840", "01", "NASD", "USD")
    assert (out["ovrs_papr"], out["tr_unit_amt"], out["etp_chas_erng_rt_dbnb"], out["ovrs_now_pric1"]) == (
        "0.00000", "0.00000000", "0.000000", "270.35000")
    assert (out["last_rcvg_dtime"], out["blbg_tckr_text"], out["prdt_type_cd_2"]) == (
        "20260310000000", "AAPL US Equity", "512")
    assert out["lstg_stck_num"] == "15000000000" and out["sll_unit_qty"] == out["buy_unit_qty"] == "1"
    missing = wq.product_info_not_found()
    assert missing["rt_cd"] == "7" and keys(missing) == ["rt_cd", "msg_cd", "msg1"]


# --- countries-holiday (CTOS5011R) --------------------------------------------------------------------
def weekday(day: date) -> bool:
    return day.weekday() < 5


@pytest.mark.parametrize(("exchange", "trade", "local", "korean"), [
    (E.NASD, date(2026, 8, 12), date(2026, 8, 13), date(2026, 8, 14)),  # observed
    (E.NASD, date(2022, 12, 27), date(2022, 12, 29), date(2022, 12, 30)),  # the spec's example (T+2 then)
    (E.HASE, date(2022, 12, 27), date(2022, 12, 29), date(2022, 12, 29)),
    (E.NYSE, date(2026, 8, 14), date(2026, 8, 17), date(2026, 8, 18)),  # over a weekend
    (E.SEHK, date(2026, 8, 13), date(2026, 8, 17), date(2026, 8, 17)),
])
def test_settlement(exchange: Exchange, trade: date, local: date, korean: date) -> None:
    assert settlement(exchange, trade, weekday, weekday) == (local, korean)


def test_settlement_skips_holidays() -> None:
    closed = {date(2026, 8, 13)}
    assert settlement(E.NASD, date(2026, 8, 12), lambda d: weekday(d) and d not in closed,
                      lambda d: weekday(d) and d != date(2026, 8, 14)) == (date(2026, 8, 14), date(2026, 8, 17))


def test_settlement_dates_body() -> None:
    rows = [wq.SettlementRow(e, *settlement(e, date(2022, 12, 27), weekday, weekday))
            for e in (E.NASD, E.VNSE, E.HASE)]
    body = wq.settlement_dates(date(2022, 12, 27), rows)
    assert keys(body) == ["ctx_area_fk", "ctx_area_nk", "output", *TOP]
    assert body["ctx_area_fk"] == "20221227            " and body["ctx_area_nk"] == " " * 20
    assert body["msg_cd"] == "KIOK0460" and str(body["msg1"]).startswith("조회 되었습니다. (마지막 자료)")
    out = body["output"]
    assert isinstance(out, list) and all(tuple(r) == wq.SETTLEMENT_ROW_KEYS for r in out)
    assert out[0] == {"prdt_type_cd": "507", "tr_natn_cd": "704", "tr_natn_name": "베트남", "natn_eng_abrv_cd": "VN",
                      "tr_mket_cd": "01", "tr_mket_name": "하노이거래소", "acpl_sttl_dt": "20221229",
                      "dmst_sttl_dt": "20221229"}
    assert [r["prdt_type_cd"] for r in out] == ["507", "508", "512"]
    assert out[2]["tr_mket_name"] == "나스닥" and out[2]["dmst_sttl_dt"] == "20221230"
    empty = wq.settlement_dates(date(2026, 8, 15), [])
    assert empty["output"] == [] and empty["rt_cd"] == "0" and str(empty["msg1"]).startswith("조회할 자료가 없습니다")
    assert empty["ctx_area_fk"] == "20260815            "


def test_query_specs() -> None:
    assert [tr.tr_id for tr in pq.QUOTE_TRS if tr.in_mock] == ["HHDFS76240000", "FHKST03030100"]
    check_fields({"TRAD_DT": "20260812", "CTX_AREA_NK": "", "CTX_AREA_FK": ""}, pq.SETTLEMENT_DATES_QUERY)
    check_fields({"PDNO": "AAPL", "PRDT_TYPE_CD": "512"}, pq.PRODUCT_INFO_QUERY)
    check_fields({"FID_COND_MRKT_DIV_CODE": "N", "FID_INPUT_ISCD": "AAPL", "FID_INPUT_DATE_1": "20250101",
                  "FID_INPUT_DATE_2": "20251231", "FID_PERIOD_DIV_CODE": "W"}, pq.DAILY_CHART_PRICE_QUERY)
    check_fields({"AUTH": "", "EXCD": "BAQ", "SYMB": "AAPL"}, pq.PRICE_DETAIL_QUERY)


def test_daytime_rsym() -> None:
    q = wq.Quote(E.NASD, "AAPL", "애플", D("270.35"), D("270"), None, None, 1, D("0.01"), AT, excd="BAQ")
    out = wq.price_detail(q, D("1350"))["output"]
    assert isinstance(out, dict) and out["rsym"] == "DBAQAAPL"
    assert wq.rsym(E.NASD, "AAPL") == "DNASAAPL"


def test_an_exhausted_history_ends_python_kis_paging() -> None:
    """Past the oldest bar the page is empty: nrec "0", which python-kis reads as "no more" (not "not found")."""
    rows, before = wq.daily_page(YEAR, date(2024, 12, 31), E.NASD)
    assert rows == [] and before is None
    body = wq.daily_price(E.NASD, "AAPL", rows, before)
    assert body["output1"] == {"rsym": "DNASAAPL", "zdiv": "4", "nrec": "0"} and body["output2"] == []
    assert parse(body, KisForeignDailyChart("AAPL", "NASDAQ")).bars == []
    session = (datetime.combine(date(2026, 3, 9), time(9, 30), NY), datetime.combine(date(2026, 3, 9), time(16), NY))
    chart = parse(wq.minute_chart(E.NASD, "MSFT", [], session, False), KisForeignDayChart("MSFT", "NASDAQ", D(1)))
    assert chart.bars == [] and chart.trading_hours.close == time(16)  # kis.trading_hours("US") still works
