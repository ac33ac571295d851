"""The ASGI app: the route table and its assembly. KIS routes live at the root (B10), localkis's own
under /localkis/; each KIS route is the gateway, then its family's handler (`server/routes/`)."""

from __future__ import annotations

import asyncio
import logging
import secrets
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from anyio import to_thread
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from localkis.domain.accounts import Position
from localkis.domain.book import BookParams
from localkis.domain.hours import MarketHours
from localkis.engine.charts import BackfillSettings, Charts
from localkis.engine.daytime import DaytimeDesk
from localkis.engine.desk import Desk, DeskSettings
from localkis.engine.events import EventBus, decode_events
from localkis.engine.history import load_into
from localkis.engine.ledger import Ledger
from localkis.engine.reservations import ReservationDesk
from localkis.protocol import codes
from localkis.protocol.apis import APPROVAL_PATH, ENDPOINTS, HASHKEY_PATH, REVOKE_PATH, TOKEN_PATH, Api
from localkis.protocol.env import Env
from localkis.protocol.realtime import NoticeLayout
from localkis.server.auth import App, Apps, RateLimiter, RedisRateLimiter, Tokens
from localkis.server.clock import Clock, restore_clock
from localkis.server.config import Config, default_hts_id, instruments_of
from localkis.server.dashboard import Dashboard, DashboardParts, Feed
from localkis.server.faults import Faults
from localkis.server.gateway import Handler, KisEndpoint, KisGateway
from localkis.server.landing import landing_html
from localkis.server.market import WalkControl, lifespan
from localkis.server.openapi import SWAGGER_ASSETS, openapi_document, swagger_asset, swagger_html
from localkis.server.realtime import AppProfile, RealtimeService, RealtimeSettings
from localkis.server.recording import Recorder, masked_config
from localkis.server.requestlog import RequestLog, msg_cd_of
from localkis.server.reservations import forward_reservations
from localkis.server.responses import kis_response
from localkis.server.routes.accounts import AccountRoutes
from localkis.server.routes.admin import AdminRoutes
from localkis.server.routes.contest import ContestRoutes, load_stored_apps, load_stored_instruments
from localkis.server.routes.daytime import DaytimeRoutes
from localkis.server.routes.history import HistoryRoutes
from localkis.server.routes.inquiries import InquiryRoutes
from localkis.server.routes.leaderboard import LeaderboardRoutes
from localkis.server.routes.marketdata import MarketDataRoutes
from localkis.server.routes.oauth import OAuthRoutes
from localkis.server.routes.orders import OrderRoutes
from localkis.server.routes.quotations import QuotationRoutes
from localkis.server.routes.reservations import ReservationRoutes
from localkis.server.routes.toolkit import ToolkitRoutes
from localkis.store.base import Store
from localkis.wire.responses import kst

log = logging.getLogger("localkis")


class KisApp:
    """The ASGI entry: KIS routes are dispatched straight from a dict (no middleware stack, no Starlette
    request or response objects on the hot path; their endpoints catch every error themselves);
    everything else goes to the Starlette app."""

    def __init__(self, app: Starlette, fast: dict[tuple[str, str], KisEndpoint],
                 realtime: RealtimeService | None = None) -> None:
        self.app = app
        self.state = app.state
        self._fast = fast
        self.realtime = realtime

    def kis_endpoint(self, method: str, path: str) -> KisEndpoint | None:
        """The KIS endpoint serving `method` on `path` (the HTTP protocol's lean path calls it directly)."""
        return self._fast.get((method, path))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            endpoint = self._fast.get((scope["method"], scope["path"]))
            if endpoint is not None:
                response = await endpoint(scope, receive)
                if response.drop:
                    await response(scope, receive, send)
                    return
                await send({"type": "http.response.start", "status": response.status_code,
                            "headers": response.raw_headers})
                await send({"type": "http.response.body", "body": response.body})
                return
        elif scope["type"] == "websocket" and self.realtime is not None:
            await self.realtime(scope, receive, send)  # any path: clients differ (WEBSOCKET.md §1.4)
            return
        await self.app(scope, receive, send)


def routed(endpoint: KisEndpoint) -> Callable[[Request], Awaitable[Response]]:
    """A KIS endpoint as a Starlette route endpoint (the route table serves 405s and the OpenAPI paths)."""

    async def route(request: Request) -> Response:
        return await endpoint(request.scope, request.receive)

    return route


def logged(route: Callable[[Request], Awaitable[Response]], requests: RequestLog | None,
           clock: Clock) -> Callable[[Request], Awaitable[Response]]:
    """An OAuth route with its request-log line (no app or account: those are in the body, unlogged)."""
    if requests is None:
        return route

    async def endpoint(request: Request) -> Response:
        started = time.perf_counter()
        response = await route(request)
        requests.record(at=clock.now(), method=request.method, path=request.url.path, tr_id="", app="",
                        account="", status=response.status_code, msg_cd=msg_cd_of(bytes(response.body)),
                        seconds=time.perf_counter() - started)
        return response

    return endpoint


def request_entries(requests: RequestLog | None) -> Callable[[Request], Awaitable[dict[str, object]]]:
    """`GET /localkis/admin/requests?after=SEQ`: the request log's entries after SEQ (this process's)."""

    async def entries(request: Request) -> dict[str, object]:
        after = request.query_params.get("after", "0")
        start = int(after) if after.isdigit() else 0
        return {"enabled": requests is not None, "requests": requests.since(start) if requests else []}

    return entries


# The store's threads (SQLite's committer, the PostgreSQL worker threads) need the GIL for a moment
# after each commit. Under load the event loop holds it, and a waiting thread forces a switch only after
# this interval: at Python's default of 5 ms a whole batch's answers could wait that long behind a busy
# loop. Measured side by side on the revise/cancel load: 1.03× the throughput, a lower p99.
GIL_SWITCH_INTERVAL = 0.0005


def added_profile(app: App | None) -> AppProfile | None:
    """The real-time profile of an app added at run time: its HTS id derived from its appkey, KIS's
    current notice layout (the config's `hts_id`/`notice_fields` exist only for configured apps)."""
    if app is None:
        return None
    return AppProfile(app.appkey, app.env, app.accounts, default_hts_id(app.appkey), NoticeLayout(25))


def create_app(config: Config, store: Store, *, admin_token: str, record_to: Path | None = None,
               config_text: str = "") -> KisApp:
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)  # the server owns its process
    server = config.server
    clock = Clock(server.clock)
    if restore_clock(clock, store, server.clock):
        log.info("server clock as last set through the admin API: %s", clock.now().isoformat())
    today = clock.now().date()
    started = time.perf_counter()
    hours = MarketHours(today - timedelta(days=400), today + timedelta(days=800), japan_close=server.japan_close)
    log.info("market calendars ready in %.2fs", time.perf_counter() - started)
    apps = Apps([App(a.appkey, a.appsecret, a.env, frozenset(a.accounts), a.name) for a in config.apps])
    tokens = Tokens(store, secrets.token_bytes(32), issue_limit=server.token_issue_limit)
    limits = {Env.REAL: server.real_rate_per_second, Env.MOCK: server.mock_rate_per_second}
    rate = (RedisRateLimiter(limits, enabled=True, url=server.redis_url) if server.redis_url and server.rate_limits
            else RateLimiter(limits, enabled=server.rate_limits))
    m = config.market
    book = BookParams(m.book_levels, m.book_spread_ticks, m.book_size)
    bus = EventBus()
    # PostgreSQL (several processes): committed events go through the outbox every process follows.
    follow_events: Callable[[Callable[[list[str]], None]], Callable[[], None]] | None = getattr(
        store, "follow_events", None)
    desk = Desk(store, hours, instruments_of(config),
                DeskSettings(branch=server.branch_code, enforce_hours=server.market_hours == "enforce",
                             fees=config.fees.schedule(), book=book if m.arrival_fills == "book" else None),
                bus, outbox=follow_events is not None)
    requests = RequestLog() if server.request_log else None
    faults = Faults(list(config.faults), server.fault_seed)
    gateway = KisGateway(apps, tokens, rate, clock, store, server, requests, faults)

    walk = WalkControl(config.engine, desk, store, clock)
    charts = Charts(store, hours, BackfillSettings(m.backfill_days, m.backfill_minute_days, config.engine.seed))
    admin = AdminRoutes(desk, store, clock, admin_token, tuple(a.number for a in config.accounts),
                        pinned=server.clock)
    board = LeaderboardRoutes(desk, store, clock, apps, admin.account_numbers)
    toolkit = ToolkitRoutes(config, store, clock, tokens, faults, apps=apps)
    realtime = RealtimeService(
        [AppProfile(a.appkey, a.env, frozenset(a.accounts), a.notice_key, NoticeLayout(a.notice_fields))
         for a in config.apps], store, desk, clock, bus,
        RealtimeSettings(pingpong_seconds=server.pingpong_interval_seconds, queue_frames=server.websocket_queue_frames),
        added=lambda appkey: added_profile(apps.get(appkey)), faults=faults)
    dashboard = Dashboard(desk, store, clock, hours, admin_token, Feed(desk.bus), DashboardParts(
        charts, book, walk, board, toolkit, admin.account_numbers, rate_hits=lambda: rate.refusals,
        websocket_sessions=lambda: len(realtime.sessions)))
    orders, inquiries = OrderRoutes(desk, store, dashboard.refused), InquiryRoutes(desk, store)
    accounts, quotations = AccountRoutes(desk, store), QuotationRoutes(desk, store)
    reservation_desk = ReservationDesk(desk)
    reservation_routes = ReservationRoutes(reservation_desk, store)
    daytime_routes = DaytimeRoutes(DaytimeDesk(desk), store)
    history_routes = HistoryRoutes(Ledger(desk), store)
    market = MarketDataRoutes(desk, store, charts, book)
    handlers: dict[Api, Handler] = {
        Api.ORDER: orders.order,
        Api.REVISE_CANCEL: orders.revise_cancel,
        Api.INQUIRE_NCCS: inquiries.inquire_nccs,
        Api.INQUIRE_CCNL: inquiries.inquire_ccnl,
        Api.INQUIRE_BALANCE: accounts.inquire_balance,
        Api.INQUIRE_PSAMOUNT: accounts.inquire_psamount,
        Api.INQUIRE_PRESENT_BALANCE: accounts.inquire_present_balance,
        Api.PRICE: market.price,
        Api.SEARCH_INFO: quotations.search_info,
        Api.ORDER_RESV: reservation_routes.reserve,
        Api.ORDER_RESV_CCNL: reservation_routes.cancel,
        Api.ORDER_RESV_LIST: reservation_routes.listing,
        Api.DAYTIME_ORDER: daytime_routes.order,
        Api.DAYTIME_REVISE_CANCEL: daytime_routes.revise_cancel,
        Api.INQUIRE_PERIOD_PROFIT: history_routes.period_profit,
        Api.FOREIGN_MARGIN: history_routes.foreign_margin,
        Api.INQUIRE_PERIOD_TRANS: history_routes.period_trans,
        Api.INQUIRE_PAYMT_STDR_BALANCE: history_routes.paymt_stdr_balance,
        Api.PRICE_DETAIL: market.price_detail,
        Api.DAILY_PRICE: market.daily_price,
        Api.DAILY_CHART_PRICE: market.daily_chart_price,
        Api.MINUTE_CHART: market.minute_chart,
        Api.ASKING_PRICE: market.asking_price,
        Api.PRODUCT_INFO: market.product_info,
        Api.COUNTRIES_HOLIDAY: market.countries_holiday,
        Api.DOMESTIC_PRICE: market.domestic_price,
        Api.DOMESTIC_BALANCE: market.domestic_balance,
        Api.DOMESTIC_REVISABLE: market.domestic_revisable,
    }
    fast = {(ENDPOINTS[api].method, ENDPOINTS[api].path): gateway.endpoint(api, handler)
            for api, handler in handlers.items()}
    routes: list[BaseRoute] = [Route(path, routed(endpoint), methods=[method])
                               for (method, path), endpoint in fast.items()]

    oauth = OAuthRoutes(apps, tokens, clock, store)
    load_stored_apps(apps, store)  # apps added or disabled at run time (contests)
    load_stored_instruments(desk, store)
    contest = ContestRoutes(apps, desk, store, clock)
    routes += [
        Route(TOKEN_PATH, logged(oauth.token_p, requests, clock), methods=["POST"]),
        Route(REVOKE_PATH, logged(oauth.revoke_p, requests, clock), methods=["POST"]),
        Route(APPROVAL_PATH, logged(oauth.approval, requests, clock), methods=["POST"]),
        Route(HASHKEY_PATH, logged(oauth.hashkey, requests, clock), methods=["POST"]),
        Route("/localkis/health", admin.health, methods=["GET"]),
        Route("/localkis/admin/fills", admin.guarded(admin.fill), methods=["POST"]),
        Route("/localkis/admin/orders", admin.guarded(admin.orders), methods=["GET"]),
        Route("/localkis/admin/prices", admin.guarded(admin.prices), methods=["POST"]),
        Route("/localkis/admin/accounts", admin.guarded(admin.account_list), methods=["GET"]),
        Route("/localkis/admin/accounts/{number}", admin.guarded(admin.account), methods=["GET"]),
        Route("/localkis/admin/accounts/{number}/deposits", admin.guarded(admin.deposit), methods=["POST"]),
        Route("/localkis/admin/accounts/{number}/positions", admin.guarded(admin.position), methods=["POST"]),
        Route("/localkis/admin/clock", admin.guarded(admin.clock_state), methods=["GET", "POST"]),
        Route("/localkis/admin/instruments", admin.guarded(admin.instruments), methods=["GET"]),
        Route("/localkis/admin/requests", admin.guarded(request_entries(requests)), methods=["GET"]),
        Route("/localkis/admin/apps", admin.guarded(contest.app_list), methods=["GET"]),
        Route("/localkis/admin/apps", admin.guarded(contest.app_add), methods=["POST"]),
        Route("/localkis/admin/apps/{appkey}/disable", admin.guarded(contest.app_disable), methods=["POST"]),
        Route("/localkis/admin/accounts", admin.guarded(contest.account_open), methods=["POST"]),
        Route("/localkis/admin/instruments", admin.guarded(contest.instrument_add), methods=["POST"]),
        Route("/localkis/admin/leaderboard", admin.guarded(board.board), methods=["GET"]),
        Route("/localkis/admin/leaderboard/start", admin.guarded(board.start), methods=["POST"]),
    ]
    # Fault rules act on the OAuth endpoints too, named by their last path segment.
    oauth_segments = {path: path.rsplit("/", 1)[-1] for path in (TOKEN_PATH, REVOKE_PATH, APPROVAL_PATH)}
    routes = [Route(r.path, toolkit.faulted(r.endpoint, oauth_segments[r.path]),
                    methods=sorted(m for m in (r.methods or ()) if m != "HEAD"))
              if isinstance(r, Route) and r.path in oauth_segments else r for r in routes]
    routes += [
        Route("/localkis/admin/faults", admin.guarded(toolkit.faults_list), methods=["GET"]),
        Route("/localkis/admin/faults", admin.guarded(toolkit.faults_add), methods=["POST"]),
        Route("/localkis/admin/faults", admin.guarded(toolkit.faults_clear), methods=["DELETE"]),
        Route("/localkis/admin/faults/{rule_id}", admin.guarded(toolkit.fault_remove), methods=["DELETE"]),
        Route("/localkis/admin/reset", admin.guarded(toolkit.reset), methods=["POST"]),
    ]

    async def openapi(request: Request) -> Response:
        return kis_response(openapi_document(tuple(handlers)))

    async def docs(request: Request) -> Response:
        return HTMLResponse(swagger_html("/openapi.json"))

    async def not_found(request: Request, exc: Exception) -> Response:
        m = codes.SERVICE_NOT_FOUND
        return kis_response({"rt_cd": "1", "msg_cd": m.code, "msg1": m.text}, 404)

    async def open_accounts() -> None:
        """Opening balances; an existing account keeps its state. Then the outbox follower, if any."""
        if follow_events is not None:
            loop = asyncio.get_running_loop()

            def deliver(payloads: list[str]) -> None:  # on the follower's thread
                loop.call_soon_threadsafe(publish, payloads)

            def publish(payloads: list[str]) -> None:
                for payload in payloads:
                    bus.publish(decode_events(payload))

            app.state.stop_events = follow_events(deliver)
        for a in config.accounts:
            await store.run(desk.open_account(a.number, dict(a.cash), [
                (p.exchange, p.symbol, Position(p.quantity, p.avg_price)) for p in a.positions], clock.now()))
        for path in config.market.history:  # `[market] history`: bar files, reloaded (upserted) on each start
            counts = await to_thread.run_sync(load_into, store, Path(path))
            log.info("history %s: %d bars", path, sum(counts.values()))

    routes += [Route("/openapi.json", openapi, methods=["GET"]), Route("/docs", docs, methods=["GET"]),
               *dashboard.routes()]

    async def docs_asset(request: Request) -> Response:
        name = str(request.path_params["name"])
        content = swagger_asset(name)
        if content is None:
            return await not_found(request, LookupError(name))
        return Response(content, media_type=SWAGGER_ASSETS[name], headers={"Cache-Control": "max-age=86400"})

    routes.append(Route("/docs/assets/{name}", docs_asset, methods=["GET"]))

    async def landing(request: Request) -> Response:
        return HTMLResponse(landing_html(kst(clock.now()).isoformat()))

    routes.append(Route("/", landing, methods=["GET"]))
    app = Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found},
                    lifespan=lifespan(walk, open_accounts, background=[
                        lambda: forward_reservations(reservation_desk, store, clock)]))
    app.state.hours, app.state.clock = hours, clock  # the start-up banner shows the markets' hours
    app.state.events = bus
    if record_to is None:
        return KisApp(app, fast, realtime)
    recorder = Recorder(record_to, clock, masked_config(config_text, config, admin_token))
    faults.listeners.append(recorder.fault)
    kis_app = KisApp(app, {key: recorder.endpoint(endpoint) for key, endpoint in fast.items()}, realtime)
    kis_app.app = recorder.asgi(app)  # type: ignore[assignment]
    return kis_app
