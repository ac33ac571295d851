"""The dashboard at /localkis/ui: server-rendered pages (Jinja2) made live by htmx over one server-sent
event stream per browser tab. The stream carries only names ("orders", "trades", "clock"); each page
section re-fetches itself when its name arrives, so every figure is rendered by one template.

This module signs a browser in (an HTTP-only cookie derived from the admin token), serves the stream and
assembles the routes; `pages` renders, `controls` acts, `view` holds what they share."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from localkis.domain.hours import MarketHours
from localkis.engine.desk import Desk
from localkis.server.clock import Clock
from localkis.server.dashboard.controls import Controls
from localkis.server.dashboard.pages import Pages
from localkis.server.dashboard.view import BASE, DEFAULT_ASSETS, UI_FILES, DashboardParts, Feed, Page, View, kst_text
from localkis.store.base import Store

__all__ = ["Dashboard", "DashboardParts", "Feed"]

log = logging.getLogger("localkis")

COOKIE = "localkis_ui"
CLOCK_EVERY = 1.0  # seconds between the stream's clock events
STREAM_SECONDS = 300.0  # a stream ends after this; EventSource reconnects, and a stopping server is not held


def session_cookie(admin_token: str) -> str:
    """The cookie's value: derived from the admin token, so a changed token logs every browser out."""
    return hmac.new(admin_token.encode(), b"localkis dashboard", hashlib.sha256).hexdigest()


def signed_in(request: Request, cookie: str) -> bool:
    return hmac.compare_digest(request.cookies.get(COOKIE, "").encode(), cookie.encode())


class Guard:
    """An ASGI wrapper answering 401 unless the request carries the dashboard's session cookie."""

    def __init__(self, app: ASGIApp, cookie: str) -> None:
        self.app = app
        self.cookie = cookie

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not signed_in(Request(scope), self.cookie):
            await HTMLResponse("login required", 401)(scope, receive, send)
            return
        await self.app(scope, receive, send)


class Dashboard:
    def __init__(self, desk: Desk, store: Store, clock: Clock, hours: MarketHours, admin_token: str, feed: Feed,
                 parts: DashboardParts, *, assets: Path = DEFAULT_ASSETS) -> None:
        self.view = View(desk, store, clock, feed, parts, assets)
        self.pages = Pages(self.view, hours)
        self.controls = Controls(self.view)
        self.refused = self.pages.refused  # the order routes tell the blotter of refusals
        self.cookie = session_cookie(admin_token)
        self._admin_token = admin_token
        parts.toolkit.after_reset.append(self._forget)

    async def _forget(self) -> None:
        """After a reset: the refusals listed are gone, and every tab redraws."""
        self.pages.rejects.clear()
        self.view.feed.publish("orders")
        self.view.feed.publish("trades")

    def routes(self) -> list[BaseRoute]:
        g, p, c = self._guarded, self.pages, self.controls
        return [
            Route(BASE, self.home, methods=["GET"]),
            Route(BASE + "/login", self.login, methods=["GET", "POST"]),
            Route(BASE + "/logout", self.logout, methods=["POST"]),
            Route(BASE + "/style.css", g(self.style), methods=["GET"]),
            Route(BASE + "/dashboard.js", g(self.script), methods=["GET"]),
            Route(BASE + "/events", g(self.events), methods=["GET"]),
            Route(BASE + "/blotter", g(p.blotter), methods=["GET"]),
            Route(BASE + "/orders/{odno}", g(p.order), methods=["GET"]),
            Route(BASE + "/market", g(p.market), methods=["GET"]),
            Route(BASE + "/bars", g(p.bars), methods=["GET"]),
            Route(BASE + "/accounts", g(p.accounts), methods=["GET"]),
            Route(BASE + "/status", g(p.status), methods=["GET"]),
            Route(BASE + "/actions/price", g(c.set_price), methods=["POST"]),
            Route(BASE + "/actions/clock", g(c.move_clock), methods=["POST"]),
            Route(BASE + "/actions/walk", g(c.run_walk), methods=["POST"]),
            Route(BASE + "/actions/replay", g(c.replay), methods=["POST"]),
            Route(BASE + "/actions/faults", g(c.add_fault), methods=["POST"]),
            Route(BASE + "/actions/faults/clear", g(c.clear_faults), methods=["POST"]),
            Route(BASE + "/actions/reset", g(c.reset), methods=["POST"]),
            Mount(BASE + "/assets", app=Guard(StaticFiles(directory=self.view.assets, check_dir=False), self.cookie)),
        ]

    def _guarded(self, page: Page) -> Page:
        async def route(request: Request) -> Response:
            if not signed_in(request, self.cookie):
                if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
                    return self.view.render(request, "ui/login.html", {"error": ""}, status=401)
                return HTMLResponse("login required", 401)
            return await page(request)

        return route

    # --- sign-in ---------------------------------------------------------------------------------
    async def home(self, request: Request) -> Response:
        return RedirectResponse(BASE + ("/blotter" if signed_in(request, self.cookie) else "/login"), 303)

    async def login(self, request: Request) -> Response:
        if request.method == "GET":
            if signed_in(request, self.cookie):
                return RedirectResponse(BASE + "/blotter", 303)
            return self.view.render(request, "ui/login.html", {"error": ""})
        token = str((await request.form()).get("token", ""))
        if not hmac.compare_digest(token.encode(), self._admin_token.encode()):
            log.warning("dashboard: a sign-in with a wrong admin token from %s", request.client)
            return self.view.render(request, "ui/login.html", {"error": "Wrong admin token."}, status=401)
        response = RedirectResponse(BASE + "/blotter", 303)
        response.set_cookie(COOKIE, self.cookie, httponly=True, samesite="strict", path=BASE)
        return response

    async def logout(self, request: Request) -> Response:
        response = RedirectResponse(BASE + "/login", 303)
        response.delete_cookie(COOKIE, path=BASE)
        return response

    async def style(self, request: Request) -> Response:
        return Response((UI_FILES / "ui" / "style.css").read_bytes(), media_type="text/css")

    async def script(self, request: Request) -> Response:
        return Response((UI_FILES / "ui" / "dashboard.js").read_bytes(), media_type="text/javascript")

    # --- the live stream -------------------------------------------------------------------------
    async def events(self, request: Request) -> Response:
        return StreamingResponse(self._stream(), media_type="text/event-stream",
                                 headers={"cache-control": "no-store", "x-accel-buffering": "no"})

    async def _stream(self) -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        ends = loop.time() + STREAM_SECONDS
        with self.view.feed.listen() as queue:
            yield "retry: 1000\n\n"
            while loop.time() < ends:
                try:
                    name = await asyncio.wait_for(queue.get(), CLOCK_EVERY)
                    yield f"event: {name}\ndata: {name}\n\n"
                except TimeoutError:
                    yield f"event: clock\ndata: {kst_text(self.view.clock.now())}\n\n"
