"""Market data (REST-NEXT §7–§13) and the domestic calls python-kis makes in overseas flows (§18):
each handler reads the query, loads bars/quotes/book, renders through `wire.quotations`."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from localkis.domain.bars import Bar, Period, fold_days, fold_minutes
from localkis.domain.book import BookParams
from localkis.domain.hours import SessionState, local_date
from localkis.domain.instruments import Instrument
from localkis.domain.settlement import settlement
from localkis.engine.charts import Charts
from localkis.engine.desk import Desk
from localkis.protocol import domestic, quotations
from localkis.protocol.balances import KRW_RATES
from localkis.protocol.codes import Ops
from localkis.protocol.exchanges import EXCHANGES, QUOTE_CODES, SEARCH_TYPE_CODES, Exchange, Market
from localkis.protocol.realtime import DAYTIME_CODES
from localkis.server.gateway import Context
from localkis.server.responses import KisResponse
from localkis.store.base import Store, read
from localkis.wire import price
from localkis.wire import quotations as wq
from localkis.wire.errors import OpsError

SINGLE = wq.SINGLE_PAGE
CACHE_LIMIT = 2048  # rendered chart answers kept (a bot polls the same few over and over)
_PERIODS = {"0": Period.DAY, "1": Period.WEEK, "2": Period.MONTH}


def _ymd(text: str) -> date:
    return date(int(text[:4]), int(text[4:6]), int(text[6:8]))


class MarketDataRoutes:
    def __init__(self, desk: Desk, store: Store, charts: Charts, book: BookParams) -> None:
        self.desk = desk
        self.store = store
        self.charts = charts
        self.params = book
        # Rendered chart bodies by (TR, query, local date, bars' version): a chart is many rows to format,
        # and it changes only with a print (or a history load) of its instrument.
        self._cache: dict[tuple[object, ...], dict[str, object]] = {}

    # --- helpers -----------------------------------------------------------------------------------
    async def _cache_key(self, ctx: Context, instrument: Instrument, q: dict[str, str]) -> tuple[object, ...]:
        version = await read(self.store, self.charts.version, instrument)
        return (ctx.spec.tr_id, tuple(sorted(q.items())), local_date(instrument.exchange, ctx.now), version)

    def _remember(self, key: tuple[object, ...], body: dict[str, object]) -> dict[str, object]:
        if len(self._cache) >= CACHE_LIMIT:
            self._cache.clear()
        self._cache[key] = body
        return body

    def _instrument(self, excd: str, symbol: str) -> Instrument | None:
        exchange = QUOTE_CODES.get(excd) or DAYTIME_CODES.get(excd)
        return self.desk.instruments.get((exchange, symbol)) if exchange is not None else None

    def _by_symbol(self, symbol: str) -> Instrument | None:
        """An instrument by its symbol alone (daily-chartprice names no exchange): US venues first."""
        found = [i for (e, s), i in self.desk.instruments.items() if s == symbol]
        found.sort(key=lambda i: (EXCHANGES[i.exchange].market is not Market.US, i.exchange.value))
        return found[0] if found else None

    async def _quote(self, instrument: Instrument, now: datetime, excd: str = "",
                     days: list[Bar] | None = None) -> wq.Quote:
        data = await read(self.store, self.charts.quote, instrument, now, days)
        daytime = excd if excd in DAYTIME_CODES else ""
        return wq.Quote(instrument.exchange, instrument.symbol, instrument.name, data.last, data.base, data.session,
                        data.previous, instrument.board_lot, data.tick, now, excd=daytime)

    # --- price (HHDFS00000300) ------------------------------------------------------------------------
    async def price(self, ctx: Context) -> KisResponse:
        """현재체결가, agreeing with price-detail: base is the previous session's close, volumes the bars'."""
        q = price.decode(ctx.query(price.FIELDS))
        exchange = q.exchange
        instrument = self.desk.instruments.get((exchange, q.symbol)) if exchange else None
        if instrument is None:
            return ctx.reply(price.render(q, None, None), SINGLE)
        data = await read(self.store, self.charts.quote, instrument, ctx.now, None)
        bar, before = data.session, data.previous
        return ctx.reply(price.render(q, instrument, data.last, base=data.base, volume=bar.volume if bar else 0,
                                      amount=bar.amount if bar else Decimal(0),
                                      previous_volume=before.volume if before else 0), SINGLE)

    # --- price-detail (HHDFS76200200) --------------------------------------------------------------
    async def price_detail(self, ctx: Context) -> KisResponse:
        q = ctx.query(quotations.PRICE_DETAIL_QUERY)
        instrument = self._instrument(q["EXCD"], q["SYMB"])
        if instrument is None:
            return ctx.reply(wq.price_detail_empty(), SINGLE)
        days = await read(self.store, self.charts.daily, instrument, ctx.now)
        quote = await self._quote(instrument, ctx.now, q["EXCD"], days)
        year_ago = local_date(instrument.exchange, ctx.now) - timedelta(weeks=52)
        fx = KRW_RATES[EXCHANGES[instrument.exchange].currency]
        return ctx.reply(wq.price_detail(quote, fx, [b for b in days if b.day > year_ago]), SINGLE)

    # --- dailyprice (HHDFS76240000) ----------------------------------------------------------------
    async def daily_price(self, ctx: Context) -> KisResponse:
        q = ctx.query(quotations.DAILY_PRICE_QUERY)
        instrument = self._instrument(q["EXCD"], q["SYMB"])
        if instrument is None:
            return ctx.reply(wq.daily_price_empty(), SINGLE)
        key = await self._cache_key(ctx, instrument, q)
        cached = self._cache.get(key)
        if cached is not None:
            return ctx.reply(cached, SINGLE)
        days = await read(self.store, self.charts.daily, instrument, ctx.now)
        period = _PERIODS[q["GUBN"]]
        bars = days if period is Period.DAY else fold_days(days, period)
        by = _ymd(q["BYMD"]) if q.get("BYMD", "").strip() else local_date(instrument.exchange, ctx.now)
        rows, before = wq.daily_page(bars, by, instrument.exchange)
        return ctx.reply(self._remember(key, wq.daily_price(instrument.exchange, instrument.symbol, rows, before,
                                                            self.params, instrument.board_lot)), SINGLE)

    # --- inquire-daily-chartprice (FHKST03030100) --------------------------------------------------
    async def daily_chart_price(self, ctx: Context) -> KisResponse:
        q = ctx.query(quotations.DAILY_CHART_PRICE_QUERY)
        instrument = self._by_symbol(q["FID_INPUT_ISCD"]) if q["FID_COND_MRKT_DIV_CODE"] == "N" else None
        if instrument is None:  # indices, FX (X), bonds (I), gold (S): localkis lists none
            return ctx.reply(wq.daily_chart_price_empty(), SINGLE)
        key = await self._cache_key(ctx, instrument, q)
        cached = self._cache.get(key)
        if cached is not None:
            return ctx.reply(cached, SINGLE)
        days = await read(self.store, self.charts.daily, instrument, ctx.now)
        period = Period(q["FID_PERIOD_DIV_CODE"])
        bars = days if period is Period.DAY else fold_days(days, period)
        rows = wq.chart_page(bars, _ymd(q["FID_INPUT_DATE_1"]), _ymd(q["FID_INPUT_DATE_2"]))
        quote = await self._quote(instrument, ctx.now, days=days)
        return ctx.reply(self._remember(key, wq.daily_chart_price(quote, rows)), SINGLE)

    # --- inquire-time-itemchartprice (HHDFS76950200) ------------------------------------------------
    async def minute_chart(self, ctx: Context) -> KisResponse:
        q = ctx.query(quotations.MINUTE_CHART_QUERY)
        instrument = self._instrument(q["EXCD"], q["SYMB"])
        if instrument is None:
            return ctx.reply(wq.minute_chart_empty(), SINGLE)
        exchange = instrument.exchange
        key = await self._cache_key(ctx, instrument, q)
        cached = self._cache.get(key)
        if cached is not None:
            return ctx.reply(cached, SINGLE)
        try:
            keyb = wq.parse_keyb(q.get("KEYB", ""), exchange) if q.get("NEXT", "") == "1" else None
        except ValueError:
            raise OpsError(Ops.BAD_FIELD, "KEYB") from None
        n = max(int(q["NMIN"]), 1)
        count = min(max(int(q["NREC"]), 1), quotations.MINUTE_CHART_MAX_ROWS)
        # Enough 1-minute bars for `count` N-minute bars and one more (whether older rows remain).
        minutes = await read(self.store, self.charts.minutes, instrument, ctx.now, keyb, (count + 1) * n + n)
        day = minutes[-1].day if minutes else local_date(exchange, ctx.now)
        session = self._session(exchange, day, ctx.now)
        origin = session[0].astimezone(ZoneInfo(EXCHANGES[exchange].timezone)).time()
        bars = fold_minutes(minutes, n, exchange, origin)
        rows, more = wq.minute_page(bars, count, keyb=keyb, include_previous=q["PINC"] == "1")
        return ctx.reply(self._remember(key, wq.minute_chart(exchange, instrument.symbol, rows, session, more,
                                                             q["EXCD"] if q["EXCD"] in DAYTIME_CODES else "")),
                         SINGLE)

    def _session(self, exchange: Exchange, day: date, now: datetime) -> tuple[datetime, datetime]:
        """The regular session of `day` (first start, last end); `now` on a day without one."""
        regular = [w for w in self.desk.hours.windows(exchange, day) if w.kind is SessionState.REGULAR]
        return (regular[0].start, regular[-1].end) if regular else (now, now)

    # --- inquire-asking-price (HHDFS76200100) -------------------------------------------------------
    async def asking_price(self, ctx: Context) -> KisResponse:
        q = ctx.query(quotations.ASKING_PRICE_QUERY)
        instrument = self._instrument(q["EXCD"], q["SYMB"])
        if instrument is None:
            return ctx.reply(wq.asking_price_empty(), SINGLE)
        book = await read(self.store, self.desk.book, instrument, self.params, ctx.now)
        quote = await self._quote(instrument, ctx.now, q["EXCD"])
        return ctx.reply(wq.asking_price(quote, book), SINGLE)

    # --- search-info, overseas (CTPF1702R) ----------------------------------------------------------
    async def product_info(self, ctx: Context) -> KisResponse:
        q = ctx.query(quotations.PRODUCT_INFO_QUERY)
        exchange = SEARCH_TYPE_CODES.get(q["PRDT_TYPE_CD"])
        instrument = self.desk.instruments.get((exchange, q["PDNO"])) if exchange is not None else None
        if instrument is None:
            return ctx.reply(wq.product_info_not_found(), SINGLE)
        last = await read(self.store, self.desk.last_price, instrument.exchange, instrument.symbol)
        product = wq.Product(instrument.exchange, instrument.symbol, instrument.name,
                             instrument.english_name or instrument.symbol, instrument.board_lot)
        return ctx.reply(wq.product_info(product, last or instrument.price, ctx.now), SINGLE)

    # --- countries-holiday (CTOS5011R) --------------------------------------------------------------
    async def countries_holiday(self, ctx: Context) -> KisResponse:
        q = ctx.query(quotations.SETTLEMENT_DATES_QUERY)
        trade_date = _ymd(q["TRAD_DT"])
        hours = self.desk.hours

        def trading(exchange: Exchange) -> bool:
            return any(w.kind is SessionState.REGULAR for w in hours.windows(exchange, trade_date))

        rows = []
        for exchange in Exchange:
            if exchange.value not in quotations.SETTLEMENT_MARKETS or not trading(exchange):
                continue

            def is_open(day: date, exchange: Exchange = exchange) -> bool:
                return any(w.kind is SessionState.REGULAR for w in hours.windows(exchange, day))

            local, korean = settlement(exchange, trade_date, is_open, _korean_business_day)
            rows.append(wq.SettlementRow(exchange, local, korean))
        return ctx.reply(wq.settlement_dates(trade_date, rows), SINGLE)

    # --- domestic (REST-NEXT §18) -------------------------------------------------------------------
    async def domestic_price(self, ctx: Context) -> KisResponse:
        """FHKST01010100: localkis lists no KRX code, so every code answers zeros (§19.1)."""
        q = ctx.query(domestic.DOMESTIC_PRICE_QUERY)
        output = dict.fromkeys(domestic.DOMESTIC_PRICE_ZERO_KEYS, "0")
        output["iscd_stat_cls_code"] = ""
        output["stck_shrn_iscd"] = q["FID_INPUT_ISCD"]
        m = domestic.DOMESTIC_PRICE_OK
        return ctx.reply({"output": output, "rt_cd": "0", "msg_cd": m.code, "msg1": m.text}, SINGLE)

    async def domestic_balance(self, ctx: Context) -> KisResponse:
        """TTTC8434R/VTTC8434R: no domestic holdings, no KRW deposit."""
        ctx.query(domestic.DOMESTIC_BALANCE_QUERY)
        summary = dict.fromkeys(domestic.DOMESTIC_BALANCE_SUMMARY_KEYS, "0")
        summary["fncg_gld_auto_rdpt_yn"] = "N"
        summary["asst_icdc_erng_rt"] = "0.00000000"
        m = domestic.DOMESTIC_INQUIRY_OK
        return ctx.reply({"ctx_area_fk100": " " * 100, "ctx_area_nk100": " " * 100, "output1": [],
                          "output2": [summary], "rt_cd": "0", "msg_cd": m.code, "msg1": m.text}, SINGLE)

    async def domestic_revisable(self, ctx: Context) -> KisResponse:
        """TTTC8036R: no domestic orders to revise or cancel."""
        ctx.query(domestic.DOMESTIC_REVISABLE_QUERY)
        m = domestic.DOMESTIC_INQUIRY_OK
        return ctx.reply({"ctx_area_fk100": " " * 100, "ctx_area_nk100": " " * 100, "output": [],
                          "rt_cd": "0", "msg_cd": m.code, "msg1": m.text}, SINGLE)


def _korean_business_day(day: date) -> bool:
    """Korean settlement days: weekdays (localkis keeps no Korean holiday calendar)."""
    return day.weekday() < 5

