"""The ASGI app: the route table and its assembly. KIS routes live at the root (B10), localkis's own
under /localkis/; each KIS route is the gateway, then its family's handler (`server/routes/`)."""

from __future__ import annotations

import logging
import secrets
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from localkis.domain.accounts import Position
from localkis.domain.hours import MarketHours
from localkis.engine.desk import Desk, DeskSettings
from localkis.protocol import codes
from localkis.protocol.apis import APPROVAL_PATH, ENDPOINTS, HASHKEY_PATH, REVOKE_PATH, TOKEN_PATH, Api
from localkis.protocol.env import Env
from localkis.server.auth import App, Apps, RateLimiter, RedisRateLimiter, Tokens
from localkis.server.clock import Clock
from localkis.server.config import Config, instruments_of
from localkis.server.faults import Faults
from localkis.server.gateway import Handler, KisEndpoint, KisGateway
from localkis.server.market import lifespan
from localkis.server.openapi import openapi_document, swagger_html
from localkis.server.recording import Recorder, masked_config
from localkis.server.responses import kis_response
from localkis.server.routes.accounts import AccountRoutes
from localkis.server.routes.admin import AdminRoutes
from localkis.server.routes.inquiries import InquiryRoutes
from localkis.server.routes.oauth import OAuthRoutes
from localkis.server.routes.orders import OrderRoutes
from localkis.server.routes.quotations import QuotationRoutes
from localkis.server.routes.toolkit import ToolkitRoutes
from localkis.store.base import Store

log = logging.getLogger("localkis")


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
                if response.drop:
                    await response(scope, receive, send)
                    return
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


def create_app(config: Config, store: Store, *, admin_token: str, record_to: Path | None = None,
               config_text: str = "") -> KisApp:
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)  # the server owns its process
    server = config.server
    clock = Clock(server.clock)
    today = clock.now().date()
    started = time.perf_counter()
    hours = MarketHours(today - timedelta(days=400), today + timedelta(days=800), japan_close=server.japan_close)
    log.info("market calendars ready in %.2fs", time.perf_counter() - started)
    apps = Apps([App(a.appkey, a.appsecret, a.env, frozenset(a.accounts), a.name) for a in config.apps])
    tokens = Tokens(store, secrets.token_bytes(32), issue_limit=server.token_issue_limit)
    limits = {Env.REAL: server.real_rate_per_second, Env.MOCK: server.mock_rate_per_second}
    rate = (RedisRateLimiter(limits, enabled=True, url=server.redis_url) if server.redis_url and server.rate_limits
            else RateLimiter(limits, enabled=server.rate_limits))
    desk = Desk(store, hours, instruments_of(config),
                DeskSettings(branch=server.branch_code, enforce_hours=server.market_hours == "enforce"))
    faults = Faults(list(config.faults), server.fault_seed)
    gateway = KisGateway(apps, tokens, rate, clock, store, server, faults)

    orders, inquiries = OrderRoutes(desk, store), InquiryRoutes(desk, store)
    accounts, quotations = AccountRoutes(desk, store), QuotationRoutes(desk, store)
    handlers: dict[Api, Handler] = {
        Api.ORDER: orders.order,
        Api.REVISE_CANCEL: orders.revise_cancel,
        Api.INQUIRE_NCCS: inquiries.inquire_nccs,
        Api.INQUIRE_CCNL: inquiries.inquire_ccnl,
        Api.INQUIRE_BALANCE: accounts.inquire_balance,
        Api.INQUIRE_PSAMOUNT: accounts.inquire_psamount,
        Api.INQUIRE_PRESENT_BALANCE: accounts.inquire_present_balance,
        Api.PRICE: quotations.price,
        Api.SEARCH_INFO: quotations.search_info,
    }
    fast = {(ENDPOINTS[api].method, ENDPOINTS[api].path): gateway.endpoint(api, handler)
            for api, handler in handlers.items()}
    routes = [Route(path, routed(endpoint), methods=[method]) for (method, path), endpoint in fast.items()]

    oauth = OAuthRoutes(apps, tokens, clock, store)
    admin = AdminRoutes(desk, store, clock, admin_token, tuple(a.number for a in config.accounts))
    routes += [
        Route(TOKEN_PATH, oauth.token_p, methods=["POST"]),
        Route(REVOKE_PATH, oauth.revoke_p, methods=["POST"]),
        Route(APPROVAL_PATH, oauth.approval, methods=["POST"]),
        Route(HASHKEY_PATH, oauth.hashkey, methods=["POST"]),
        Route("/localkis/health", admin.health, methods=["GET"]),
        Route("/localkis/admin/fills", admin.guarded(admin.fill), methods=["POST"]),
        Route("/localkis/admin/orders", admin.guarded(admin.orders), methods=["GET"]),
        Route("/localkis/admin/prices", admin.guarded(admin.prices), methods=["POST"]),
        Route("/localkis/admin/accounts", admin.guarded(admin.account_list), methods=["GET"]),
        Route("/localkis/admin/accounts/{number}", admin.guarded(admin.account), methods=["GET"]),
        Route("/localkis/admin/accounts/{number}/deposits", admin.guarded(admin.deposit), methods=["POST"]),
        Route("/localkis/admin/accounts/{number}/positions", admin.guarded(admin.position), methods=["POST"]),
        Route("/localkis/admin/clock", admin.guarded(admin.clock_state), methods=["GET", "POST"]),
    ]
    toolkit = ToolkitRoutes(config, store, clock, tokens, faults, apps=apps)
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
        """Opening balances; an existing account keeps its state."""
        for a in config.accounts:
            await store.run(desk.open_account(a.number, dict(a.cash), [
                (p.exchange, p.symbol, Position(p.quantity, p.avg_price)) for p in a.positions], clock.now()))

    routes += [Route("/openapi.json", openapi, methods=["GET"]), Route("/docs", docs, methods=["GET"])]
    app = Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found},
                    lifespan=lifespan(config.engine, desk, store, clock, open_accounts))
    if record_to is None:
        return KisApp(app, fast)
    recorder = Recorder(record_to, clock, masked_config(config_text, config, admin_token))
    faults.listeners.append(recorder.fault)
    kis_app = KisApp(app, {key: recorder.endpoint(endpoint) for key, endpoint in fast.items()})
    kis_app.app = recorder.asgi(app)  # type: ignore[assignment]
    return kis_app
