"""The ASGI app: KIS routes at the root (B10), localkis's own routes under /localkis/."""

from __future__ import annotations

import hashlib
import logging
import secrets
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple, TypeVar

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from localkis.domain.accounts import Position
from localkis.domain.errors import BusinessError, Reason
from localkis.domain.hours import MarketHours
from localkis.domain.markets import default_lot_size
from localkis.domain.orders import NewOrder, RevisionKind, RevisionRequest
from localkis.protocol import codes
from localkis.protocol.balances import CURRENCY_ORDER, present_balance_scope
from localkis.protocol.codes import Gateway, Ops
from localkis.protocol.env import Env
from localkis.protocol.exchanges import (
    EXCHANGES,
    QUOTE_CODES,
    SEARCH_TYPE_CODES,
    Exchange,
    inquiry_scope,
    parse_exchange,
)
from localkis.protocol.fields import (
    BALANCE_PAGE_SIZE_MOCK,
    BALANCE_PAGE_SIZE_REAL,
    CCNL_PAGE_SIZE_MOCK,
    CCNL_PAGE_SIZE_REAL,
    INQUIRE_BALANCE_QUERY,
    INQUIRE_CCNL_QUERY,
    INQUIRE_NCCS_QUERY,
    INQUIRE_PRESENT_BALANCE_QUERY,
    INQUIRE_PSAMOUNT_QUERY,
    NCCS_PAGE_SIZE,
    ORDER_BODY,
    PRICE_QUERY,
    REVISE_CANCEL_BODY,
    SEARCH_INFO_QUERY,
)
from localkis.protocol.trids import TR_TABLE, Api, Side, TrSpec
from localkis.server.auth import App, Apps, RateLimiter, RedisRateLimiter, Tokens, check_tr_family
from localkis.server.clock import Clock
from localkis.server.config import Config, instruments_of
from localkis.server.desk import AccountSnapshot, Desk, DeskSettings
from localkis.server.market import lifespan as market_lifespan
from localkis.server.openapi import openapi_document, swagger_html
from localkis.store.base import OrderQuery, Store
from localkis.wire import accounts as acct
from localkis.wire import responses as out
from localkis.wire.errors import (
    GatewayError,
    MessageError,
    OpsError,
    TokenEndpointError,
    WireError,
    business_error,
    field_format_error,
)
from localkis.wire.requests import (
    MAX_BODY_BYTES,
    KisHeaders,
    bearer_token,
    check_corporate,
    check_fields,
    parse_decimal,
    parse_headers,
    parse_json_object,
    query_upper,
)

log = logging.getLogger("localkis")
T = TypeVar("T")


class KisResponse(Response):
    """A finished JSON response: body and raw headers are built here once, so Starlette's Response
    rendering (media type sniffing, header rebuilding) is skipped on every KIS answer."""

    def __init__(self, content: bytes, status: int, raw_headers: list[tuple[bytes, bytes]]) -> None:
        self.status_code = status
        self.body = content
        self.raw_headers = raw_headers
        self.background = None


_JSON_CONTENT_TYPE = (b"Content-Type", b"application/json; charset=utf-8")


def kis_response(body: Mapping[str, object], status: int = 200, *, tr_id: str = "",
                 tr_cont: str | None = None, gt_uid: str = "") -> KisResponse:
    """A JSON response whose standard headers are Title-Cased and KIS's own lowercase (A7, B7)."""
    content = out.dumps(body)
    raw = [_JSON_CONTENT_TYPE, (b"Content-Length", str(len(content)).encode())]
    if tr_id:
        raw.append((b"tr_id", tr_id.encode("latin-1", "replace")))
    if tr_cont is not None:
        raw.append((b"tr_cont", tr_cont.encode()))
    if gt_uid:
        raw.append((b"gt_uid", gt_uid.encode("latin-1", "replace")))
    return KisResponse(content, status, raw)


def _refusal(raw_headers: Mapping[str, str], body: Mapping[str, object], status: int) -> KisResponse:
    """A KIS error answer, echoing the request's tr_id and gt_uid as KIS does."""
    return kis_response(body, status, tr_id=raw_headers.get("tr_id", ""), gt_uid=raw_headers.get("gt_uid", ""))


class Context(NamedTuple):
    """What a KIS route handler gets after the gateway checks; `now` is the request's time."""

    scope: Scope
    receive: Receive
    headers: KisHeaders
    app: App
    spec: TrSpec
    raw_headers: dict[str, str]
    now: datetime

    @property
    def request(self) -> Request:
        """The Starlette request, for handlers that read the query string (built only when asked)."""
        return Request(self.scope, self.receive)


class GatewayPass(NamedTuple):
    """What the checks that depend only on a request's headers found for one header set."""

    raw: dict[str, str]  # the headers by lowercase name; shared between requests, never changed
    headers: KisHeaders
    app: App
    token: str
    spec: TrSpec


# Header sets remembered per route. A bot sends the same few over and over (only Content-Length
# moves with the body); a client that varies them just empties the memory now and then.
GATEWAY_MEMORY = 1024

_REVISION_KINDS = {k.value: k for k in RevisionKind}  # a dict look-up, not an Enum call, per request


Handler = Callable[[Context], Awaitable[KisResponse]]
KisEndpoint = Callable[[Scope, Receive], Awaitable[KisResponse]]


class LocalKis:
    """Wires config, store, clock and rules into routes."""

    def __init__(self, config: Config, store: Store, *, admin_token: str) -> None:
        self.config = config
        self.store = store
        self.admin_token = admin_token
        server = config.server
        self.clock = Clock(server.clock)
        today = self.clock.now().date()
        started = time.perf_counter()
        self.hours = MarketHours(today - timedelta(days=400), today + timedelta(days=800),
                                 japan_close=server.japan_close)
        log.info("market calendars ready in %.2fs", time.perf_counter() - started)
        self.apps = Apps([App(a.appkey, a.appsecret, a.env, frozenset(a.accounts), a.name) for a in config.apps])
        self.tokens = Tokens(store, secrets.token_bytes(32), issue_limit=server.token_issue_limit)
        limits = {Env.REAL: server.real_rate_per_second, Env.MOCK: server.mock_rate_per_second}
        self.rate: RateLimiter = (
            RedisRateLimiter(limits, enabled=server.rate_limits, url=server.redis_url)
            if server.redis_url and server.rate_limits else RateLimiter(limits, enabled=server.rate_limits))
        self.desk = Desk(store, self.hours, instruments_of(config),
                         DeskSettings(branch=server.branch_code, enforce_hours=server.market_hours == "enforce"))
        self.account_numbers = tuple(a.number for a in config.accounts)
        for account in config.accounts:  # opening balances; an existing account keeps its state
            self.desk.open_account(account.number, dict(account.cash),
                                   [(p.exchange, p.symbol, Position(p.quantity, p.avg_price))
                                    for p in account.positions], self.clock.now())

    # --- gateway -----------------------------------------------------------------------------------
    def kis(self, api: Api, handler: Handler) -> KisEndpoint:
        # Header sets that passed every check that depends on the headers alone (app keys, token
        # syntax, TR ID, corporate fields): a repeat skips them. The token itself, which can expire or
        # be revoked, and the rate limit are checked on every request.
        passed: dict[tuple[tuple[bytes, bytes], ...], GatewayPass] = {}

        async def endpoint(scope: Scope, receive: Receive) -> KisResponse:
            key = tuple(scope["headers"])
            known = passed.get(key)
            # One dict of the request headers (ASGI names are lowercase): O(1) look-ups from here on.
            raw = known.raw if known is not None else {k.decode("latin-1"): v.decode("latin-1") for k, v in key}
            env: Env | None = None
            try:
                now = self.clock.now()
                if known is None:
                    known = await self._gateway(api, raw, now)
                    if len(passed) >= GATEWAY_MEMORY:
                        passed.clear()
                    passed[key] = known
                elif not self._token_checked_lately(known.app, known.token, now):
                    await self._load_token(known.app, known.token, now)
                env = known.app.env
                self.rate.hit(known.app, time.time())
                return await handler(Context(scope, receive, known.headers, known.app, known.spec, raw, now))
            except WireError as exc:
                return _refusal(raw, exc.body(), exc.status)
            except BusinessError as exc:
                err = business_error(exc.reason, env or Env.REAL)
                return _refusal(raw, err.body(), err.status)
            except Exception:
                log.exception("unexpected error on %s %s", scope["method"], scope["path"])
                return _refusal(raw, GatewayError(Gateway.SERVER_ERROR).body(), 500)

        return endpoint

    async def _gateway(self, api: Api, raw: dict[str, str], now: datetime) -> GatewayPass:
        """Every gateway check, in the order KIS's gateway applies them."""
        headers = parse_headers(raw)
        app = self.apps.authenticate(headers.appkey, headers.appsecret)
        token = bearer_token(headers.authorization)
        if not self._token_checked_lately(app, token, now):
            await self._load_token(app, token, now)
        spec = self._tr_spec(app, headers.tr_id, api)
        check_corporate(headers)
        if headers.custtype == "B" and app.env is Env.MOCK:
            raise GatewayError(Gateway.CORPORATE_NO_MOCK)
        return GatewayPass(raw, headers, app, token, spec)

    def _token_checked_lately(self, app: App, token: str, now: datetime) -> bool:
        """Verify a token this process read from the store lately; False if it must be read again."""
        record = self.tokens.cached(token, time.monotonic())
        if record is None:
            return False
        self.tokens.verify(app, record, now)
        return True

    async def _load_token(self, app: App, token: str, now: datetime) -> None:
        self.tokens.verify(app, await self.db(self.tokens.load, token, time.monotonic()), now)

    async def db(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a store-bound call: in a worker thread where the store runs transactions concurrently
        (PostgreSQL, so one process overlaps many commits), inline where they are serial (SQLite)."""
        if self.store.concurrent:
            return await run_in_threadpool(fn, *args)
        return fn(*args)

    def _tr_spec(self, app: App, tr_id: str, api: Api) -> TrSpec:
        spec = TR_TABLE.get(tr_id)
        if spec is None or spec.env is not None:
            check_tr_family(app, tr_id)
        if spec is None or spec.api is not api:
            raise OpsError(Ops.SERVICE_NOT_FOUND)
        if spec.needs_switch is not None:
            name = spec.needs_switch.lstrip("!")
            on = bool(getattr(self.config.server, name))
            if on == spec.needs_switch.startswith("!"):
                raise MessageError(codes.NOT_IN_MOCK)
        return spec

    @staticmethod
    async def _body(ctx: Context) -> dict[str, Any]:
        content_type = ctx.raw_headers.get("content-type", "")
        if content_type and "json" not in content_type.lower():
            raise GatewayError(Gateway.BAD_CONTENT_TYPE)
        declared = ctx.raw_headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            raise GatewayError(Gateway.BAD_REQUEST)
        chunks: list[bytes] = []
        size = 0
        receive = ctx.receive
        while True:  # a chunked body has no declared length: cap it as it comes
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                raise GatewayError(Gateway.BAD_REQUEST)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise GatewayError(Gateway.BAD_REQUEST)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return parse_json_object(chunks[0] if len(chunks) == 1 else b"".join(chunks))

    @staticmethod
    def _account(ctx: Context, fields: Mapping[str, str]) -> str:
        account = f"{fields['CANO']}-{fields['ACNT_PRDT_CD']}"
        if not ctx.app.owns(account):
            raise OpsError(Ops.BAD_ACCOUNT)
        return account

    @staticmethod
    def _order_exchange(ctx: Context, code: str) -> Exchange:
        exchange = parse_exchange(code)
        if exchange is None:
            raise BusinessError(Reason.UNKNOWN_SYMBOL, code)
        if ctx.spec.market is not None and EXCHANGES[exchange].market is not ctx.spec.market:
            raise OpsError(Ops.BAD_MARKET)
        return exchange

    def _reply(self, ctx: Context, body: Mapping[str, object], tr_cont: str | None = None) -> KisResponse:
        return kis_response(body, tr_id=ctx.headers.tr_id, tr_cont=tr_cont, gt_uid=ctx.headers.gt_uid)

    # --- orders ------------------------------------------------------------------------------------
    async def order(self, ctx: Context) -> KisResponse:
        fields = check_fields(await self._body(ctx), ORDER_BODY)
        account = self._account(ctx, fields)
        exchange = self._order_exchange(ctx, fields["OVRS_EXCG_CD"])
        assert ctx.spec.side is not None
        command = NewOrder(account=account, env=ctx.app.env, exchange=exchange, symbol=fields["PDNO"],
                           side=ctx.spec.side, order_type=fields["ORD_DVSN"] or "00",
                           quantity=int(fields["ORD_QTY"]), price=Decimal(fields["OVRS_ORD_UNPR"]),
                           tr_id=ctx.headers.tr_id, manager_order_no=fields["MGCO_APTM_ODNO"])
        order = await self.store.run(self.desk.place_work(command, ctx.now))
        message = codes.ORDER_BUY_OK if order.side is Side.BUY else codes.ORDER_SELL_OK
        return self._reply(ctx, out.order_ack(message.for_env(ctx.app.env), order))

    async def revise_cancel(self, ctx: Context) -> KisResponse:
        fields = check_fields(await self._body(ctx), REVISE_CANCEL_BODY)
        account = self._account(ctx, fields)
        exchange = self._order_exchange(ctx, fields["OVRS_EXCG_CD"])
        kind = _REVISION_KINDS.get(fields["RVSE_CNCL_DVSN_CD"])
        if kind is None:
            raise BusinessError(Reason.BAD_REVISE_CANCEL_CODE, fields["RVSE_CNCL_DVSN_CD"])
        request = RevisionRequest(kind=kind, account=account, env=ctx.app.env, exchange=exchange,
                                  symbol=fields["PDNO"], original_no=fields["ORGN_ODNO"],
                                  quantity=int(fields["ORD_QTY"]), price=Decimal(fields["OVRS_ORD_UNPR"]),
                                  tr_id=ctx.headers.tr_id, manager_order_no=fields["MGCO_APTM_ODNO"])
        record = await self.store.run(self.desk.revise_or_cancel_work(request, ctx.now), locks=request.original_key)
        message = codes.REVISE_OK if kind is RevisionKind.REVISE else codes.CANCEL_OK
        return self._reply(ctx, out.order_ack(message.for_env(ctx.app.env), record))

    # --- inquiries ---------------------------------------------------------------------------------
    @staticmethod
    def _cursor_after(nk200: str, field: str) -> str | None:
        """The last order number of the previous page, from ctx_area_nk200 ("CANO^PRDT^…^ODNO^")."""
        text = nk200.strip()
        if not text:
            return None
        parts = text.split("^")
        if len(parts) < 4 or not (parts[-2].isdigit() and len(parts[-2]) == 10):
            raise field_format_error(field)
        return parts[-2]

    @staticmethod
    def _tr_cont(continuing: bool, more: bool) -> str:
        """F first page with more, M middle, D first-and-only, E last (A6)."""
        if more:
            return "M" if continuing else "F"
        return "E" if continuing else "D"

    async def inquire_nccs(self, ctx: Context) -> KisResponse:
        q = check_fields(query_upper(ctx.request.query_params), INQUIRE_NCCS_QUERY)
        account = self._account(ctx, q)
        exchange = parse_exchange(q["OVRS_EXCG_CD"])
        if exchange is None:
            raise OpsError(Ops.BAD_MARKET)
        sort = q["SORT_SQN"]
        after = self._cursor_after(q["CTX_AREA_NK200"], "CTX_AREA_NK200")
        rows = await self.db(self.desk.list_orders, OrderQuery(
            account=account, exchanges=inquiry_scope(exchange), live_only=True, after=after,
            descending=sort != "DS", limit=NCCS_PAGE_SIZE + 1))
        more = len(rows) > NCCS_PAGE_SIZE
        rows = rows[:NCCS_PAGE_SIZE]
        cano, prdt = q["CANO"], q["ACNT_PRDT_CD"]
        fk = out.cursor(f"{cano}^{prdt}^{exchange.value}^{sort}^")
        nk = out.cursor(f"{cano}^{prdt}^{exchange.value}^{rows[-1][0].order_no}^" if more else "")
        message = codes.INQUIRY_OK if rows else codes.INQUIRY_EMPTY
        output = [out.nccs_row(o, self.desk.instruments.get((o.exchange, o.symbol)), d) for o, d in rows]
        body = out.ok(message, ctx_area_fk200=fk, ctx_area_nk200=nk, output=output)
        return self._reply(ctx, body, self._tr_cont(after is not None, more))

    async def inquire_ccnl(self, ctx: Context) -> KisResponse:
        q = check_fields(query_upper(ctx.request.query_params), INQUIRE_CCNL_QUERY)
        account = self._account(ctx, q)
        mock = ctx.app.env is Env.MOCK
        exchanges: frozenset[Exchange] | None = None
        symbol: str | None = None
        side: Side | None = None
        filled: bool | None = None
        descending = False
        if not mock:  # KIS's mock ignores the filters and sorts ascending (PROTOCOL §7)
            code = q["OVRS_EXCG_CD"]
            if code not in ("", "%"):
                exchange = parse_exchange(code)
                if exchange is None:
                    raise OpsError(Ops.BAD_MARKET)
                exchanges = inquiry_scope(exchange)
            symbol = q["PDNO"] if q["PDNO"] not in ("", "%") else None
            side = {"01": Side.SELL, "02": Side.BUY}.get(q["SLL_BUY_DVSN"])
            filled = {"01": True, "02": False}.get(q["CCLD_NCCS_DVSN"])
            descending = q["SORT_SQN"] == "AS"
        size = CCNL_PAGE_SIZE_MOCK if mock else CCNL_PAGE_SIZE_REAL
        after = self._cursor_after(q["CTX_AREA_NK200"], "CTX_AREA_NK200")
        rows = await self.db(self.desk.list_orders, OrderQuery(
            account=account, exchanges=exchanges, symbol=symbol, side=side, filled=filled,
            local_date_from=q["ORD_STRT_DT"], local_date_to=q["ORD_END_DT"], after=after,
            descending=descending, limit=size + 1))
        more = len(rows) > size
        rows = rows[:size]
        cano, prdt = q["CANO"], q["ACNT_PRDT_CD"]
        fk = out.cursor(f"{cano}^{prdt}^{q['PDNO']}^{q['ORD_STRT_DT']}^{q['ORD_END_DT']}^"
                        f"{q['SLL_BUY_DVSN']}^{q['CCLD_NCCS_DVSN']}^{q['OVRS_EXCG_CD']}^{q['SORT_SQN']}^")
        nk = out.cursor(f"{cano}^{prdt}^{q['ORD_STRT_DT']}^{rows[-1][0].order_no}^" if more else "")
        message = codes.INQUIRY_OK if rows else codes.INQUIRY_EMPTY
        output = [out.ccnl_row(o, self.desk.instruments.get((o.exchange, o.symbol)), d) for o, d in rows]
        body = out.ok(message, ctx_area_fk200=fk, ctx_area_nk200=nk, output=output)
        return self._reply(ctx, body, self._tr_cont(after is not None, more))

    # --- account inquiries (PROTOCOL §8) ----------------------------------------------------------------
    def _holdings(self, number: str) -> tuple[AccountSnapshot, list[acct.Holding]]:
        """The account at one commit and its positions, each valued at `Desk.last_price` (a symbol with no
        instrument, which an admin may set, is valued at its average price), by exchange code and symbol."""
        snap = self.desk.snapshot(number)
        holdings: list[acct.Holding] = []
        for exchange, symbol, position in snap.positions:
            instrument = self.desk.instruments.get((exchange, symbol))
            price = self.desk.last_price(exchange, symbol) or position.average_price
            holdings.append(acct.Holding(exchange, symbol, instrument.name if instrument else symbol,
                                         position.quantity, snap.sellable(exchange, symbol),
                                         position.average_price, price))
        holdings.sort(key=lambda h: h.key)
        return snap, holdings

    @staticmethod
    def _balance_scope(env: Env, code: str) -> frozenset[Exchange]:
        """inquire-balance's OVRS_EXCG_CD: real NASD = every US venue and NAS = Nasdaq alone; mock
        NASD/NYSE/AMEX = that venue (PROTOCOL §8); blank = every exchange (python-kis sends it in mock)."""
        if not code:
            return frozenset(EXCHANGES)
        if env is Env.REAL and code == "NAS":
            return frozenset({Exchange.NASD})
        exchange = parse_exchange(code)
        if exchange is None:
            raise OpsError(Ops.BAD_MARKET)
        return inquiry_scope(exchange) if env is Env.REAL else frozenset({exchange})

    @staticmethod
    def _holding_cursor_after(nk200: str) -> tuple[str, str] | None:
        """The last (exchange, symbol) of the previous page, from ctx_area_nk200 ("CANO^PRDT^EXCG^EX^SYMBOL^")."""
        text = nk200.strip()
        if not text:
            return None
        parts = text[:-1].split("^", 4) if text.endswith("^") else []
        if len(parts) != 5 or parse_exchange(parts[3]) is None or not parts[4]:
            raise field_format_error("CTX_AREA_NK200")
        return parts[3], parts[4]

    async def inquire_balance(self, ctx: Context) -> KisResponse:
        q = check_fields(query_upper(ctx.request.query_params), INQUIRE_BALANCE_QUERY)
        account = self._account(ctx, q)
        code, currency = q["OVRS_EXCG_CD"], q["TR_CRCY_CD"]
        scope = self._balance_scope(ctx.app.env, code)
        after = self._holding_cursor_after(q["CTX_AREA_NK200"])
        snap, holdings = await self.db(self._holdings, account)
        listed = [h for h in holdings if h.exchange in scope and (not currency or h.currency == currency)]
        rest = [h for h in listed if after is None or h.key > after]
        size = BALANCE_PAGE_SIZE_MOCK if ctx.app.env is Env.MOCK else BALANCE_PAGE_SIZE_REAL
        page, more = rest[:size], len(rest) > size
        currencies = {currency} if currency else {EXCHANGES[e].currency for e in scope}
        bought = -sum((snap.ledger.get((c, "buy"), Decimal(0)) for c in currencies), Decimal(0))
        cano, prdt = q["CANO"], q["ACNT_PRDT_CD"]
        fk = out.cursor(f"{cano}^{prdt}^{code}^{currency}^")
        nk = out.cursor(f"{cano}^{prdt}^{code}^{page[-1].exchange.value}^{page[-1].symbol}^" if more else "")
        body = out.ok(codes.INQUIRY_OK if page else codes.INQUIRY_EMPTY, ctx_area_fk200=fk, ctx_area_nk200=nk,
                      output1=[acct.balance_row(h, cano, prdt) for h in page],
                      output2=acct.balance_totals(listed, bought))
        return self._reply(ctx, body, self._tr_cont(after is not None, more))

    async def inquire_psamount(self, ctx: Context) -> KisResponse:
        q = check_fields(query_upper(ctx.request.query_params), INQUIRE_PSAMOUNT_QUERY)
        account = self._account(ctx, q)
        exchange = parse_exchange(q["OVRS_EXCG_CD"])
        if exchange is None:
            raise OpsError(Ops.BAD_MARKET)
        instrument = self.desk.instrument_in_market(exchange, q["ITEM_CD"])
        price = Decimal(q["OVRS_ORD_UNPR"] or 0)
        if price <= 0:  # "0" or blank: at the last price
            last: Decimal | None = await self.db(self.desk.last_price, instrument.exchange, instrument.symbol)
            price = last or instrument.price
        snap = await self.db(self.desk.snapshot, account)
        currency = EXCHANGES[exchange].currency
        lot = instrument.lot_size or default_lot_size(instrument.exchange)
        output = acct.psamount_output(currency, snap.available(currency), price, lot)
        # A single page, but tr_cont is sent: KIS's samples read it from every response.
        return self._reply(ctx, out.ok(codes.INQUIRY_OK, output=output), "D")

    async def inquire_present_balance(self, ctx: Context) -> KisResponse:
        q = check_fields(query_upper(ctx.request.query_params), INQUIRE_PRESENT_BALANCE_QUERY)
        account = self._account(ctx, q)
        nation = q["NATN_CD"]
        scope = present_balance_scope(nation, q["TR_MKET_CD"])
        if scope is None:
            raise OpsError(Ops.BAD_MARKET)
        snap, holdings = await self.db(self._holdings, account)
        listed = [h for h in holdings if h.exchange in scope and q["INQR_DVSN_CD"] != "02"]  # no mini-stocks
        in_nation = {EXCHANGES[e].currency for e in present_balance_scope(nation, "00") or frozenset()}
        currencies = [c for c in CURRENCY_ORDER
                      if c in in_nation and (c in snap.cash or any(h.currency == c for h in listed))]
        cash = {c: snap.cash.get(c, Decimal(0)) for c in currencies}
        reserved = {c: snap.reserved.get(c, Decimal(0)) for c in currencies}
        in_krw = q["WCRC_FRCR_DVSN_CD"] == "01"
        # output3 adds currencies up in KRW, unless foreign amounts were asked for one country's one currency.
        unit = next(iter(in_nation)) if not in_krw and len(in_nation) == 1 else None
        output3 = acct.present_totals(listed, cash, reserved, unit)
        if ctx.app.env is Env.MOCK:  # KIS's mock fills output3 only (PROTOCOL §8); the keys stay for clients
            body = out.ok(codes.INQUIRY_OK, output1=[], output2=[], output3=output3)
        else:
            output1 = [acct.present_row(h, in_krw=in_krw) for h in listed]
            output2 = [acct.present_currency_row(c, cash[c], reserved[c], -snap.ledger.get((c, "buy"), Decimal(0)),
                                                 snap.ledger.get((c, "sell"), Decimal(0))) for c in currencies]
            message = codes.INQUIRY_OK if output1 or output2 else codes.INQUIRY_EMPTY
            body = out.ok(message, output1=output1, output2=output2, output3=output3)
        return self._reply(ctx, body, "D")

    async def price(self, ctx: Context) -> KisResponse:
        q = check_fields(query_upper(ctx.request.query_params), PRICE_QUERY)
        exchange = QUOTE_CODES.get(q["EXCD"])
        instrument = self.desk.instruments.get((exchange, q["SYMB"])) if exchange else None
        keys = ("rsym", "zdiv", "base", "pvol", "last", "sign", "diff", "rate", "tvol", "tamt", "ordy")
        if instrument is None or exchange is None:
            # KIS answers an unknown EXCD/SYMB with blank output, not an error (PROTOCOL §10).
            return self._reply(ctx, out.ok(codes.QUOTE_OK, output=dict.fromkeys(keys, "")), "D")
        places = PRICE_PLACES[EXCHANGES[exchange].market.value]
        price = await self.db(self.desk.last_price, exchange, q["SYMB"]) or instrument.price
        diff = price - instrument.price  # against the configured price, our "previous close"
        sign = "2" if diff > 0 else "5" if diff < 0 else "3"
        rate = (diff / instrument.price * 100).quantize(Decimal("0.01"))
        output = {"rsym": f"D{q['EXCD']}{q['SYMB']}", "zdiv": str(places), "base": out.fixed(instrument.price, places),
                  "pvol": "0", "last": out.fixed(price, places), "sign": sign, "diff": out.fixed(abs(diff), places),
                  "rate": f"{rate:f}", "tvol": "0", "tamt": "0", "ordy": "매수가능"}
        return self._reply(ctx, out.ok(codes.QUOTE_OK, output=output), "D")

    async def search_info(self, ctx: Context) -> KisResponse:
        q = check_fields(query_upper(ctx.request.query_params), SEARCH_INFO_QUERY)
        exchange = SEARCH_TYPE_CODES.get(q["PRDT_TYPE_CD"])
        instrument = self.desk.instruments.get((exchange, q["PDNO"])) if exchange else None
        if instrument is None or exchange is None:
            raise MessageError(codes.Message("KIOK0560", codes.INQUIRY_EMPTY.text))
        english = instrument.english_name or instrument.symbol
        output = {
            "pdno": instrument.symbol, "prdt_type_cd": q["PRDT_TYPE_CD"], "prdt_name": instrument.name,
            "prdt_name120": instrument.name, "prdt_abrv_name": instrument.name,
            "prdt_eng_name": english, "prdt_eng_name120": english, "prdt_eng_abrv_name": english,
            "std_pdno": instrument.symbol, "shtn_pdno": instrument.symbol, "prdt_sale_stat_cd": "",
            "prdt_risk_grad_cd": "", "prdt_clsf_cd": "", "prdt_clsf_name": "", "sale_strt_dt": "",
            "sale_end_dt": "", "wrap_asst_type_cd": "", "ivst_prdt_type_cd": "", "ivst_prdt_type_cd_name": "",
            "frst_erlm_dt": "",
        }
        return self._reply(ctx, out.ok(codes.SEARCH_INFO_OK, output=output), "D")

    # --- OAuth and utilities -----------------------------------------------------------------------
    async def _oauth_body(self, request: Request) -> dict[str, Any]:
        try:
            return parse_json_object(await request.body())
        except WireError:
            raise TokenEndpointError(codes.TOKEN_BAD_REQUEST) from None

    def _oauth_app(self, body: Mapping[str, Any], secret_field: str) -> App:
        appkey, appsecret = body.get("appkey"), body.get(secret_field)
        if not isinstance(appkey, str) or not appkey:
            raise TokenEndpointError(codes.TOKEN_APPKEY_REQUIRED)
        if not isinstance(appsecret, str) or not appsecret:
            raise TokenEndpointError(codes.TOKEN_APPSECRET_REQUIRED)
        if not appsecret.isascii():  # matches no app; hmac.compare_digest would raise on it
            appsecret = "\0"
        return self.apps.authenticate_for_token(appkey, appsecret)

    async def oauth(self, request: Request, action: Callable[[dict[str, Any]], dict[str, object]]) -> Response:
        try:
            return kis_response(action(await self._oauth_body(request)))
        except WireError as exc:
            return kis_response(exc.body(), exc.status)
        except Exception:
            log.exception("unexpected error on %s", request.url.path)
            return kis_response({"error_code": "EGW00002", "error_description": "서버 에러가 발생했습니다."}, 500)

    def _issue_token(self, body: dict[str, Any]) -> dict[str, object]:
        if body.get("grant_type") != "client_credentials":
            raise TokenEndpointError(codes.TOKEN_BAD_GRANT)
        app = self._oauth_app(body, "appsecret")
        now = self.clock.now()
        record = self.tokens.issue(app, now)
        return {"access_token": record.token,
                "access_token_token_expired": out.kst(record.expires_at).strftime("%Y-%m-%d %H:%M:%S"),
                "token_type": "Bearer",
                "expires_in": max(0, int((record.expires_at - now).total_seconds()))}

    def _revoke_token(self, body: dict[str, Any]) -> dict[str, object]:
        app = self._oauth_app(body, "appsecret")
        token = body.get("token")
        if not isinstance(token, str) or not self.tokens.revoke(app, token):
            raise TokenEndpointError(codes.TOKEN_NOT_FOUND)
        return {"code": 200, "message": codes.REVOKE_OK_TEXT}

    def _approval(self, body: dict[str, Any]) -> dict[str, object]:
        if body.get("grant_type") != "client_credentials":
            raise TokenEndpointError(codes.TOKEN_BAD_GRANT)
        self._oauth_app(body, "secretkey")
        key = secrets.token_hex(18)
        return {"approval_key": f"{key[:8]}-{key[8:12]}-{key[12:16]}-{key[16:20]}-{key[20:32]}"}

    async def token_p(self, request: Request) -> Response:
        return await self.oauth(request, self._issue_token)

    async def revoke_p(self, request: Request) -> Response:
        return await self.oauth(request, self._revoke_token)

    async def approval(self, request: Request) -> Response:
        return await self.oauth(request, self._approval)

    async def hashkey(self, request: Request) -> Response:
        """HASH of the body as sent (optional at KIS; mojito2 calls it before every POST, B9)."""
        try:
            headers = {k: request.headers.get(k, "") for k in ("appkey", "appsecret")}
            if not headers["appkey"]:
                raise GatewayError(Gateway.APPKEY_REQUIRED)
            if not headers["appsecret"]:
                raise GatewayError(Gateway.APPSECRET_REQUIRED)
            secret = headers["appsecret"] if headers["appsecret"].isascii() else "\0"  # compare_digest needs ASCII
            self.apps.authenticate(headers["appkey"], secret)
            raw = await request.body()
            body = parse_json_object(raw)
            return kis_response({"BODY": body, "HASH": hashlib.sha256(raw).hexdigest()})
        except WireError as exc:
            return kis_response(exc.body(), exc.status)

    # --- localkis's own routes ---------------------------------------------------------------------
    def _admin(self, request: Request) -> None:
        given = request.headers.get("authorization", "")
        if not secrets.compare_digest(given.encode(), f"Bearer {self.admin_token}".encode()):
            raise AdminError(401, "admin bearer token required")

    async def admin_fill(self, request: Request) -> Response:
        try:
            self._admin(request)
            body = await self._admin_body(request)
            odno, qty = body.get("odno"), body.get("quantity")
            if not isinstance(odno, str) or not odno.isdigit() or len(odno) > 10:
                raise AdminError(400, "odno must be a string of up to 10 digits")
            if isinstance(qty, bool) or not isinstance(qty, int) or qty <= 0:
                raise AdminError(400, "quantity must be a positive integer")
            fill_price = self._positive_decimal(body.get("price"), "price")
            try:
                order = await self.db(self.desk.fill, odno, qty, fill_price, self.clock.now())
            except LookupError:
                raise AdminError(404, f"no order {odno}") from None
            except BusinessError:
                raise AdminError(409, f"order {odno} has nothing open") from None
            except ValueError as exc:
                raise AdminError(409, str(exc)) from None
            return kis_response({"odno": order.order_no, "filled": order.filled,
                                 "open": order.open_quantity, "state": order.state.value,
                                 "average_price": str(order.average_fill_price)})
        except AdminError as exc:
            return kis_response({"error": exc.message}, exc.status)

    async def admin_prices(self, request: Request) -> Response:
        """A trade print: `{"exchange": "NASD", "symbol": "AAPL", "price": "190.12", "size": 100}` (size optional)."""
        try:
            self._admin(request)
            body = await self._admin_body(request)
            exchange = parse_exchange(str(body.get("exchange", "")))
            symbol = body.get("symbol")
            if exchange is None or not isinstance(symbol, str):
                raise AdminError(400, "exchange (NASD, NYSE, AMEX, SEHK, SHAA, SZAA, TKSE, HASE, VNSE) and symbol "
                                      "are required")
            price = self._positive_decimal(body.get("price"), "price")
            size = body.get("size")
            if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size <= 0):
                raise AdminError(400, "size must be a positive integer (or absent: unlimited)")
            try:
                fills = await self.db(self.desk.trade, exchange, symbol, price, size, self.clock.now())
            except BusinessError:
                raise AdminError(404, f"unknown instrument {exchange.value} {symbol}") from None
            return kis_response({"exchange": exchange.value, "symbol": symbol, "price": str(price), "size": size,
                                 "fills": [{"odno": f.order_no, "quantity": f.quantity, "price": str(f.price)}
                                           for f in fills]})
        except AdminError as exc:
            return kis_response({"error": exc.message}, exc.status)

    async def admin_accounts(self, request: Request) -> Response:
        try:
            self._admin(request)
            number = request.path_params.get("number")
            numbers = [number] if number else list(self.account_numbers)
            if number and number not in self.account_numbers:
                raise AdminError(404, f"no account {number}")
            snapshots = [await self.db(self.desk.snapshot, n) for n in numbers]
            rows = [{
                "number": snap.number,
                "cash": {c: str(v) for c, v in snap.cash.items()},
                "reserved": {c: str(v) for c, v in snap.reserved.items()},
                "available": {c: str(snap.available(c)) for c in sorted(set(snap.cash) | set(snap.reserved))},
                "positions": [{"exchange": e.value, "symbol": sym, "quantity": p.quantity,
                               "avg_price": str(p.average_price), "sellable": snap.sellable(e, sym)}
                              for e, sym, p in snap.positions],
                "ledger": [{"currency": c, "kind": k, "amount": str(v)} for (c, k), v in sorted(snap.ledger.items())],
            } for snap in snapshots]
            return kis_response(rows[0] if number else {"accounts": rows})
        except AdminError as exc:
            return kis_response({"error": exc.message}, exc.status)

    async def admin_deposit(self, request: Request) -> Response:
        """`{"currency": "USD", "amount": "1000.00"}` adds cash to an account."""
        try:
            self._admin(request)
            number = self._known_account(request)
            body = await self._admin_body(request)
            currency = body.get("currency")
            if currency not in {"USD", "HKD", "JPY", "CNY", "VND"}:
                raise AdminError(400, "currency must be one of USD, HKD, JPY, CNY, VND")
            amount = self._positive_decimal(body.get("amount"), "amount")
            balance = await self.db(self.desk.deposit, number, str(currency), amount, self.clock.now())
            return kis_response({"number": number, "currency": currency, "cash": str(balance)})
        except AdminError as exc:
            return kis_response({"error": exc.message}, exc.status)

    async def admin_position(self, request: Request) -> Response:
        """`{"exchange": "NASD", "symbol": "AAPL", "quantity": 10, "avg_price": "150.00"}` sets a holding."""
        try:
            self._admin(request)
            number = self._known_account(request)
            body = await self._admin_body(request)
            exchange = parse_exchange(str(body.get("exchange", "")))
            symbol, quantity = body.get("symbol"), body.get("quantity")
            if exchange is None or not isinstance(symbol, str) or not symbol:
                raise AdminError(400, "exchange and symbol are required")
            if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
                raise AdminError(400, "quantity must be a non-negative integer")
            avg = Decimal(0) if body.get("avg_price") is None else self._positive_decimal(body["avg_price"],
                                                                                            "avg_price")
            await self.db(self.desk.set_position, number, exchange, symbol, Position(quantity, avg))
            return kis_response({"number": number, "exchange": exchange.value, "symbol": symbol,
                                 "quantity": quantity, "avg_price": str(avg)})
        except AdminError as exc:
            return kis_response({"error": exc.message}, exc.status)

    def _known_account(self, request: Request) -> str:
        number = str(request.path_params["number"])
        if number not in self.account_numbers:
            raise AdminError(404, f"no account {number}")
        return number

    @staticmethod
    async def _admin_body(request: Request) -> dict[str, Any]:
        try:
            return parse_json_object(await request.body())
        except WireError:
            raise AdminError(400, "body must be a JSON object") from None

    @staticmethod
    def _positive_decimal(value: object, name: str) -> Decimal:
        text = str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""
        parsed = parse_decimal(text)
        if parsed is None or parsed <= 0:
            raise AdminError(400, f"{name} must be a positive decimal string")
        return parsed

    async def admin_orders(self, request: Request) -> Response:
        try:
            self._admin(request)
        except AdminError as exc:
            return kis_response({"error": exc.message}, exc.status)
        rows = [{"odno": o.order_no, "orgn_odno": o.original_no, "kind": o.kind.value,
                 "account": o.account, "exchange": o.exchange.value, "symbol": o.symbol,
                 "side": o.side.value, "quantity": o.quantity, "price": str(o.price), "state": o.state.value,
                 "filled": o.filled, "filled_amount": str(o.filled_amount), "cancelled": o.cancelled,
                 "revised_away": o.revised_away, "order_type": o.order_type,
                 "open": o.open_quantity, "manager_order_no": o.manager_order_no,
                 "created_at": o.created_at.isoformat()} for o in self.store.all_orders()]
        return kis_response({"orders": rows})

    async def admin_clock(self, request: Request) -> Response:
        try:
            self._admin(request)
            if request.method == "POST":
                try:
                    body = parse_json_object(await request.body())
                    if "time" in body:
                        self.clock.set(datetime.fromisoformat(str(body["time"])),
                                       frozen=bool(body.get("frozen", False)))
                    if "advance_seconds" in body:
                        self.clock.advance(timedelta(seconds=float(body["advance_seconds"])))
                except (WireError, ValueError, TypeError) as exc:
                    raise AdminError(400, f"bad clock request: {exc}") from None
            return kis_response({"now": out.kst(self.clock.now()).isoformat()})
        except AdminError as exc:
            return kis_response({"error": exc.message}, exc.status)

    async def health(self, request: Request) -> Response:
        return kis_response({"status": "ok", "now": out.kst(self.clock.now()).isoformat()})

    async def not_found(self, request: Request, exc: Exception) -> Response:
        m = codes.SERVICE_NOT_FOUND
        return kis_response({"rt_cd": "1", "msg_cd": m.code, "msg1": m.text}, 404)


class AdminError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


PRICE_PLACES = {"US": 4, "HK": 3, "JP": 1, "SH": 2, "SZ": 2, "VN": 0}

KIS_ROUTES: tuple[tuple[str, str, Api, str], ...] = (
    ("/uapi/overseas-stock/v1/trading/order", "POST", Api.ORDER, "order"),
    ("/uapi/overseas-stock/v1/trading/order-rvsecncl", "POST", Api.REVISE_CANCEL, "revise_cancel"),
    ("/uapi/overseas-stock/v1/trading/inquire-nccs", "GET", Api.INQUIRE_NCCS, "inquire_nccs"),
    ("/uapi/overseas-stock/v1/trading/inquire-ccnl", "GET", Api.INQUIRE_CCNL, "inquire_ccnl"),
    ("/uapi/overseas-stock/v1/trading/inquire-balance", "GET", Api.INQUIRE_BALANCE, "inquire_balance"),
    ("/uapi/overseas-stock/v1/trading/inquire-psamount", "GET", Api.INQUIRE_PSAMOUNT, "inquire_psamount"),
    ("/uapi/overseas-stock/v1/trading/inquire-present-balance", "GET", Api.INQUIRE_PRESENT_BALANCE,
     "inquire_present_balance"),
    ("/uapi/overseas-price/v1/quotations/price", "GET", Api.PRICE, "price"),
    ("/uapi/domestic-stock/v1/quotations/search-info", "GET", Api.SEARCH_INFO, "search_info"),
)


class KisApp:
    """The ASGI entry: KIS routes are dispatched straight from a dict (no middleware stack, no Starlette
    request or response objects on the hot path; their endpoints catch every error themselves);
    everything else goes to the Starlette app."""

    def __init__(self, app: Starlette, fast: dict[tuple[str, str], KisEndpoint]) -> None:
        self.app = app
        self.state = app.state
        self._fast = fast

    def kis_endpoint(self, method: str, path: str) -> KisEndpoint | None:
        """The KIS endpoint serving `method` on `path` (the HTTP protocol's lean path calls it directly)."""
        return self._fast.get((method, path))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            endpoint = self._fast.get((scope["method"], scope["path"]))
            if endpoint is not None:
                response = await endpoint(scope, receive)
                await send({"type": "http.response.start", "status": response.status_code,
                            "headers": response.raw_headers})
                await send({"type": "http.response.body", "body": response.body})
                return
        await self.app(scope, receive, send)


def routed(endpoint: KisEndpoint) -> Callable[[Request], Awaitable[Response]]:
    """A KIS endpoint as a Starlette route endpoint (the route table serves 405s and the OpenAPI paths)."""
    async def route(request: Request) -> Response:
        return await endpoint(request.scope, request.receive)

    return route


# The store's threads (SQLite's committer, the PostgreSQL worker threads) need the GIL for a moment
# after each commit. Under load the event loop holds it, and a waiting thread forces a switch only after
# this interval: at Python's default of 5 ms a whole batch's answers could wait that long behind a busy
# loop. Measured side by side on the revise/cancel load: 1.03× the throughput, a lower p99.
GIL_SWITCH_INTERVAL = 0.0005


def create_app(config: Config, store: Store, *, admin_token: str) -> KisApp:
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)  # the server owns its process
    kis = LocalKis(config, store, admin_token=admin_token)
    fast = {(method, path): kis.kis(api, getattr(kis, name)) for path, method, api, name in KIS_ROUTES}
    routes = [Route(path, routed(fast[(method, path)]), methods=[method]) for path, method, api, name in KIS_ROUTES]
    routes += [
        Route("/oauth2/tokenP", kis.token_p, methods=["POST"]),
        Route("/oauth2/revokeP", kis.revoke_p, methods=["POST"]),
        Route("/oauth2/Approval", kis.approval, methods=["POST"]),
        Route("/uapi/hashkey", kis.hashkey, methods=["POST"]),
        Route("/localkis/health", kis.health, methods=["GET"]),
        Route("/localkis/admin/fills", kis.admin_fill, methods=["POST"]),
        Route("/localkis/admin/orders", kis.admin_orders, methods=["GET"]),
        Route("/localkis/admin/prices", kis.admin_prices, methods=["POST"]),
        Route("/localkis/admin/accounts", kis.admin_accounts, methods=["GET"]),
        Route("/localkis/admin/accounts/{number}", kis.admin_accounts, methods=["GET"]),
        Route("/localkis/admin/accounts/{number}/deposits", kis.admin_deposit, methods=["POST"]),
        Route("/localkis/admin/accounts/{number}/positions", kis.admin_position, methods=["POST"]),
        Route("/localkis/admin/clock", kis.admin_clock, methods=["GET", "POST"]),
    ]

    async def openapi(request: Request) -> Response:
        return kis_response(openapi_document(KIS_ROUTES))

    async def docs(request: Request) -> Response:
        return HTMLResponse(swagger_html("/openapi.json"))

    routes += [Route("/openapi.json", openapi, methods=["GET"]), Route("/docs", docs, methods=["GET"])]
    app = Starlette(routes=routes, exception_handlers={404: kis.not_found, 405: kis.not_found},
                    lifespan=market_lifespan(kis))
    app.state.localkis = kis
    return KisApp(app, fast)

