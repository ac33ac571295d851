"""The dashboard at /localkis/ui: server-rendered pages (Jinja2) made live by htmx over one server-sent
event stream per browser tab. The stream carries only names ("orders", "trades", "clock"); each page
section re-fetches itself when its name arrives, so every figure is rendered by one template."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import html
import logging
import tempfile
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import orjson
from pydantic import ValidationError
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Receive, Scope, Send

from localkis.domain.book import BookParams
from localkis.domain.errors import BusinessError
from localkis.domain.hours import MarketHours, SessionState
from localkis.domain.instruments import Instrument
from localkis.engine.charts import Charts
from localkis.engine.desk import Desk
from localkis.engine.events import Event, EventBus, OrderEvent, PrintEvent
from localkis.engine.sources import read_ticks
from localkis.protocol.apis import ENDPOINTS, Api
from localkis.protocol.codes import BUSINESS
from localkis.protocol.env import Env
from localkis.protocol.exchanges import EXCHANGES, Exchange, Market
from localkis.server.clock import Clock
from localkis.server.config import FaultSection
from localkis.server.market import WalkControl
from localkis.server.routes.leaderboard import LeaderboardRoutes
from localkis.server.routes.toolkit import ToolkitRoutes
from localkis.store.base import Store, read
from localkis.wire.requests import parse_decimal
from localkis.wire.responses import kst

log = logging.getLogger("localkis")

BASE = "/localkis/ui"
COOKIE = "localkis_ui"
_TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
# Front-end packages: `make ui` installs them here (npm, ui/package.json); nothing is copied into the tree.
DEFAULT_ASSETS = Path(__file__).resolve().parents[3] / "ui" / "node_modules"
CLOCK_EVERY = 1.0  # seconds between the stream's clock events
KST_SECONDS = 9 * 3600
CHART_BARS = 390  # a US regular session of 1-minute bars
REJECTS_KEPT = 200  # refusals the blotter keeps (this process's, since it started)
STREAM_SECONDS = 300.0  # a stream ends after this; EventSource reconnects, and a stopping server is not held


class Feed:
    """Names of what changed, fanned out to every open event stream; a slow tab loses names, never blocks.
    Fed by the desk's bus of committed events: "orders" when an order changed, "trades" on a print."""

    def __init__(self, bus: EventBus) -> None:
        self._queues: set[asyncio.Queue[str]] = set()
        bus.subscribe(self._on_events)

    def _on_events(self, events: Sequence[Event]) -> None:
        names = {"orders" if isinstance(e, OrderEvent) else "trades" for e in events
                 if isinstance(e, OrderEvent | PrintEvent)}
        for name in sorted(names):
            self.publish(name)

    def publish(self, name: str) -> None:
        for queue in list(self._queues):
            with suppress(asyncio.QueueFull):
                queue.put_nowait(name)

    @contextmanager
    def listen(self) -> Iterator[asyncio.Queue[str]]:
        queue: asyncio.Queue[str] = asyncio.Queue(maxsize=16)
        self._queues.add(queue)
        try:
            yield queue
        finally:
            self._queues.discard(queue)

    @property
    def listeners(self) -> int:
        return len(self._queues)


@dataclass(frozen=True, slots=True)
class Reject:
    at: datetime
    account: str
    api: str
    code: str
    message: str


def session_cookie(admin_token: str) -> str:
    """The cookie's value: derived from the admin token, so a changed token logs every browser out."""
    return hmac.new(admin_token.encode(), b"localkis dashboard", hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class DashboardParts:
    """What the dashboard shows and steers, built by the app: one object per concern, none re-implemented."""

    charts: Charts  # the minute bars of the market page's chart
    book: BookParams  # the book's synthetic depth (`[market]`)
    walk: WalkControl  # the random walk switch
    leaderboard: LeaderboardRoutes  # the contest's standings (the admin API's leaderboard)
    toolkit: ToolkitRoutes  # fault rules and the reset
    accounts: Callable[[], Awaitable[list[str]]]  # every account, the config's and those opened at run time
    rate_hits: Callable[[], int]  # EGW00201 answers of this process
    websocket_sessions: Callable[[], int]  # open real-time sessions of this process


class Guard:
    """An ASGI wrapper answering 401 unless the request carries the dashboard's session cookie."""

    def __init__(self, app: ASGIApp, cookie: str) -> None:
        self.app = app
        self.cookie = cookie

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not Dashboard.signed_in(Request(scope), self.cookie):
            await HTMLResponse("login required", 401)(scope, receive, send)
            return
        await self.app(scope, receive, send)


Page = Callable[[Request], Awaitable[Response]]


class Dashboard:
    def __init__(self, desk: Desk, store: Store, clock: Clock, hours: MarketHours, admin_token: str, feed: Feed,
                 parts: DashboardParts, *, assets: Path = DEFAULT_ASSETS) -> None:
        self.desk, self.store, self.clock, self.hours = desk, store, clock, hours
        self.feed = feed
        self.parts = parts
        self.assets = assets
        self.cookie = session_cookie(admin_token)
        self._admin_token = admin_token
        self.rejects: deque[Reject] = deque(maxlen=REJECTS_KEPT)
        parts.toolkit.after_reset.append(self._forget)

    async def _forget(self) -> None:
        """After a reset: the refusals listed are gone, and every tab redraws."""
        self.rejects.clear()
        self.feed.publish("orders")
        self.feed.publish("trades")

    def refused(self, account: str, api: Api, exc: BusinessError, env: Env, at: datetime) -> None:
        """An order or revise/cancel the desk refused: listed on the blotter (the latest REJECTS_KEPT)."""
        message = BUSINESS[exc.reason].for_env(env)
        self.rejects.append(Reject(at, account, ENDPOINTS[api].path.rsplit("/", 1)[-1], message.code, message.text))
        self.feed.publish("orders")

    # --- assembly --------------------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        g = self._guarded
        return [
            Route(BASE, self.home, methods=["GET"]),
            Route(BASE + "/login", self.login, methods=["GET", "POST"]),
            Route(BASE + "/logout", self.logout, methods=["POST"]),
            Route(BASE + "/style.css", g(self.style), methods=["GET"]),
            Route(BASE + "/dashboard.js", g(self.script), methods=["GET"]),
            Route(BASE + "/events", g(self.events), methods=["GET"]),
            Route(BASE + "/blotter", g(self.blotter), methods=["GET"]),
            Route(BASE + "/orders/{odno}", g(self.order), methods=["GET"]),
            Route(BASE + "/market", g(self.market), methods=["GET"]),
            Route(BASE + "/accounts", g(self.accounts_page), methods=["GET"]),
            Route(BASE + "/status", g(self.status), methods=["GET"]),
            Route(BASE + "/actions/price", g(self.set_price), methods=["POST"]),
            Route(BASE + "/actions/clock", g(self.move_clock), methods=["POST"]),
            Route(BASE + "/actions/walk", g(self.run_walk), methods=["POST"]),
            Route(BASE + "/actions/replay", g(self.replay), methods=["POST"]),
            Route(BASE + "/actions/faults", g(self.add_fault), methods=["POST"]),
            Route(BASE + "/actions/faults/clear", g(self.clear_faults), methods=["POST"]),
            Route(BASE + "/actions/reset", g(self.reset), methods=["POST"]),
            Route(BASE + "/bars", g(self.bars), methods=["GET"]),
            Mount(BASE + "/assets", app=Guard(StaticFiles(directory=self.assets, check_dir=False), self.cookie)),
        ]

    @staticmethod
    def signed_in(request: Request, cookie: str) -> bool:
        return hmac.compare_digest(request.cookies.get(COOKIE, "").encode(), cookie.encode())

    def _guarded(self, page: Page) -> Page:
        async def route(request: Request) -> Response:
            if not self.signed_in(request, self.cookie):
                if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
                    return self._render(request, "ui/login.html", {"error": ""}, status=401)
                return HTMLResponse("login required", 401)
            return await page(request)

        return route

    def _render(self, request: Request, template: str, context: dict[str, Any], *, status: int = 200) -> Response:
        context = {"base": BASE, "assets": (self.assets / "htmx.org").is_dir(), "kst": _kst_text,
                   "now": _kst_text(self.clock.now()), **context}
        return _TEMPLATES.TemplateResponse(request, template, context, status_code=status)

    # --- sign-in ---------------------------------------------------------------------------------
    async def home(self, request: Request) -> Response:
        target = "/blotter" if self.signed_in(request, self.cookie) else "/login"
        return RedirectResponse(BASE + target, 303)

    async def login(self, request: Request) -> Response:
        if request.method == "GET":
            if self.signed_in(request, self.cookie):
                return RedirectResponse(BASE + "/blotter", 303)
            return self._render(request, "ui/login.html", {"error": ""})
        token = str((await request.form()).get("token", ""))
        if not hmac.compare_digest(token.encode(), self._admin_token.encode()):
            log.warning("dashboard: a sign-in with a wrong admin token from %s", request.client)
            return self._render(request, "ui/login.html", {"error": "Wrong admin token."}, status=401)
        response = RedirectResponse(BASE + "/blotter", 303)
        response.set_cookie(COOKIE, self.cookie, httponly=True, samesite="strict", path=BASE)
        return response

    async def logout(self, request: Request) -> Response:
        response = RedirectResponse(BASE + "/login", 303)
        response.delete_cookie(COOKIE, path=BASE)
        return response

    async def style(self, request: Request) -> Response:
        return Response((Path(__file__).parent / "templates" / "ui" / "style.css").read_bytes(), media_type="text/css")

    async def script(self, request: Request) -> Response:
        return Response((Path(__file__).parent / "templates" / "ui" / "dashboard.js").read_bytes(),
                        media_type="text/javascript")

    # --- the live stream -------------------------------------------------------------------------
    async def events(self, request: Request) -> Response:
        return StreamingResponse(self._stream(), media_type="text/event-stream",
                                 headers={"cache-control": "no-store", "x-accel-buffering": "no"})

    async def _stream(self) -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        ends = loop.time() + STREAM_SECONDS
        with self.feed.listen() as queue:
            yield "retry: 1000\n\n"
            while loop.time() < ends:
                try:
                    name = await asyncio.wait_for(queue.get(), CLOCK_EVERY)
                    yield f"event: {name}\ndata: {name}\n\n"
                except TimeoutError:
                    yield f"event: clock\ndata: {_kst_text(self.clock.now())}\n\n"

    # --- pages -----------------------------------------------------------------------------------
    async def blotter(self, request: Request) -> Response:
        q = request.query_params
        filters = {"account": q.get("account", ""), "symbol": q.get("symbol", "").upper(),
                   "market": q.get("market", "")}
        orders = await read(self.store, lambda: list(self.store.all_orders()))
        chosen = [o for o in orders if _matches(o.account, o.symbol, o.exchange, filters)]
        fills = await read(self.store, self.desk.fills_of, [o.order_no for o in chosen])
        by_no = {o.order_no: o for o in chosen}
        rejects = [r for r in self.rejects if not filters["account"] or r.account == filters["account"]]
        return self._render(request, "ui/blotter.html", {
            "page": "blotter", "title": "blotter", "filters": filters, "accounts": await self.parts.accounts(),
            "markets": [e.value for e in Exchange], "query": urlencode({k: v for k, v in filters.items() if v}),
            "open": [o for o in reversed(chosen) if o.is_live],
            "fills": [(f, by_no[f.order_no]) for f in reversed(fills)], "rejects": list(reversed(rejects))})

    async def order(self, request: Request) -> Response:
        odno = str(request.path_params["odno"])
        chain, fills = await read(self.store, self.desk.timeline, odno)
        own: dict[str, list[Any]] = {}
        for f in fills:
            own.setdefault(f.order_no, []).append(f)
        return self._render(request, "ui/order.html", {"page": "blotter", "title": f"order {odno}", "odno": odno,
                                                        "chain": chain, "fills": own})

    async def market(self, request: Request) -> Response:
        instruments = sorted(self.desk.instruments.values(), key=lambda i: (i.exchange.value, i.symbol))
        instrument = self._instrument(request.query_params.get("instrument")) or next(iter(instruments), None)
        context: dict[str, Any] = {"page": "market", "title": "market", "instruments": instruments,
                                   "instrument": instrument, "walking": self.parts.walk.running}
        if instrument is not None:
            book = await read(self.store, self.desk.book, instrument, self.parts.book, self.clock.now())
            depth = max(len(book.bids), len(book.asks))
            context |= {"key": _key(instrument), "currency": EXCHANGES[instrument.exchange].currency,
                        "last": await read(self.store, self.desk.last_price, instrument.exchange, instrument.symbol),
                        "levels": [(_at(book.bids, i), _at(book.asks, i)) for i in range(depth)]}
        return self._render(request, "ui/market.html", context)

    async def accounts_page(self, request: Request) -> Response:
        views = []
        for number in await self.parts.accounts():
            snap = await read(self.store, self.desk.snapshot, number)
            held = []
            for exchange, symbol, h in snap.holdings:
                if h.position.quantity == 0:
                    continue
                last = await read(self.store, self.desk.last_price, exchange, symbol) or h.position.average_price
                held.append({"exchange": exchange.value, "symbol": symbol, "quantity": h.position.quantity,
                             "sellable": h.sellable, "avg_price": h.position.average_price, "last": last,
                             "pnl": (last - h.position.average_price) * h.position.quantity})
            views.append({"number": number, "funds": sorted(snap.funds.items()), "positions": held})
        return self._render(request, "ui/accounts.html", {"page": "accounts", "title": "accounts", "accounts": views,
                                                           "board": await self.parts.leaderboard.standings()})

    async def bars(self, request: Request) -> Response:
        """The instrument's latest 1-minute bars for the chart: [{time, open, high, low, close}]; `time` is
        epoch seconds shifted to KST, because the chart labels its axis in UTC and the rest of the page
        shows KST."""
        instrument = self._instrument(request.query_params.get("instrument"))
        if instrument is None:
            return Response(b"[]", media_type="application/json")
        bars = await read(self.store, self.parts.charts.minutes, instrument, self.clock.now(), None, CHART_BARS)
        rows = [{"time": int(b.start.timestamp()) + KST_SECONDS, "open": float(b.open), "high": float(b.high),
                 "low": float(b.low), "close": float(b.close)} for b in bars]
        return Response(orjson.dumps(rows), media_type="application/json")

    async def status(self, request: Request) -> Response:
        now = self.clock.now()
        markets = []
        for market in Market:
            exchange = next(e for e, info in EXCHANGES.items() if info.market is market)
            state = self.hours.session(exchange, now)
            next_open, next_close = _next_window(self.hours, exchange, now)
            markets.append({"name": market.value, "state": state.value,
                            "next_open": _kst_text(next_open) if next_open else "—",
                            "next_close": _kst_text(next_close) if next_close else "—"})
        return self._render(request, "ui/status.html", {
            "page": "status", "title": "status", "markets": markets, "frozen": self.clock.frozen,
            "rate_hits": self.parts.rate_hits(), "listeners": self.feed.listeners,
            "websocket_sessions": self.parts.websocket_sessions(),
            "faults": [{"id": r.id, "seen": r.seen, "fired": r.fired,
                        "rule": " ".join(f"{k}={v}" for k, v in r.section.model_dump(exclude_none=True).items())}
                       for r in self.parts.toolkit.faults.rules]})

    # --- controls --------------------------------------------------------------------------------
    async def set_price(self, request: Request) -> Response:
        form = await request.form()
        instrument = self._instrument(str(form.get("instrument", "")))
        price = parse_decimal(str(form.get("price", "")).strip())
        size_text = str(form.get("size", "")).strip()
        if instrument is None:
            return _flash("Unknown instrument.", 400)
        if price is None or price <= 0:
            return _flash("The price must be a positive decimal.", 400)
        if size_text and (not size_text.isdigit() or int(size_text) <= 0):
            return _flash("The size must be a positive whole number, or empty for unlimited.", 400)
        try:
            fills = await self.desk.commit(self.desk.trade(instrument.exchange, instrument.symbol, price,
                                                           int(size_text) if size_text else None, self.clock.now()))
        except BusinessError as exc:
            return _flash(f"Refused: {exc}", 409)
        filled = ", ".join(f"{f.order_no} {f.quantity}@{f.price}" for f in fills) or "nothing crossed"
        return _flash(f"Printed {instrument.symbol} at {price}: {filled}.")

    async def move_clock(self, request: Request) -> Response:
        form = await request.form()
        action = str(form.get("do", ""))
        try:
            if action == "set":
                self.clock.set(datetime.fromisoformat(str(form.get("time", "")).strip()),
                               frozen=form.get("frozen") == "1")
            elif action == "freeze":  # at a whole second: the page shows seconds, and so can a test
                self.clock.set(self.clock.now().replace(microsecond=0), frozen=True)
            elif action == "run":
                self.clock.set(self.clock.now(), frozen=False)
            elif action == "advance":
                self.clock.advance(timedelta(seconds=float(str(form.get("seconds", "0")))))
            else:
                return _flash("Unknown clock action.", 400)
        except ValueError as exc:
            return _flash(f"Bad clock request: {exc}", 400)
        self.feed.publish("clock-moved")
        state = " (frozen)" if self.clock.frozen else ""
        return _flash(f"Server clock: {_kst_text(self.clock.now())}{state}.")

    async def run_walk(self, request: Request) -> Response:
        walk = self.parts.walk
        run = str((await request.form()).get("run", ""))
        if run == "start":
            walk.start()
        elif run == "stop":
            await walk.stop()
        else:
            return _flash("Say start or stop.", 400)
        return _flash(f"Random walk {'running' if walk.running else 'stopped'}.")

    async def add_fault(self, request: Request) -> Response:
        """A fault rule from the status page's form (the fields of `[[faults]]`; empty ones left out)."""
        form = await request.form()
        fields: dict[str, object] = {k: str(v).strip() for k, v in form.items() if str(v).strip()}
        for name in ("nth", "times", "latency_ms"):
            if name in fields:
                text = str(fields[name])
                if not text.isdigit():
                    return _flash(f"{name} must be a whole number.", 400)
                fields[name] = int(text)
        try:
            rule = self.parts.toolkit.faults.add(FaultSection.model_validate(fields))
        except ValidationError as exc:
            return _flash("Bad fault rule: " + "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'rule'}: "
                                                        f"{e['msg']}" for e in exc.errors()), 400)
        self.feed.publish("clock-moved")  # the status page redraws its rules
        return _flash(f"Fault rule {rule.id} added: {rule.as_json()}.")

    async def clear_faults(self, request: Request) -> Response:
        removed = self.parts.toolkit.faults.clear()
        self.feed.publish("clock-moved")
        return _flash(f"Removed {removed} fault rule(s).")

    async def reset(self, request: Request) -> Response:
        seconds = await self.parts.toolkit.reset_all()
        self.feed.publish("clock-moved")
        return _flash(f"Reset in {seconds * 1000:.0f} ms: configured cash, positions, prices and clock; "
                      "no orders, fills, tokens or run-time faults.")

    async def replay(self, request: Request) -> Response:
        upload = (await request.form()).get("file")
        if not isinstance(upload, UploadFile):
            return _flash("Choose a CSV file of ticks.", 400)
        suffix = Path(upload.filename or "ticks.csv").suffix or ".csv"
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / ("upload" + suffix)
            path.write_bytes(await upload.read())
            try:
                ticks = await asyncio.to_thread(read_ticks, path)
            except ValueError as exc:
                return _flash(f"Nothing replayed: {exc}", 400)
        unknown = sorted({f"{t.exchange.value} {t.symbol}" for t in ticks
                          if (t.exchange, t.symbol) not in self.desk.instruments})
        if unknown:  # checked before the first tick, so a bad file changes nothing
            return _flash("Nothing replayed: unknown instruments " + ", ".join(unknown), 400)
        filled = 0
        for tick in ticks:
            filled += len(await self.desk.commit(self.desk.trade(tick.exchange, tick.symbol, tick.price,
                                                                 tick.size, self.clock.now())))
        return _flash(f"Replayed {len(ticks)} ticks: {filled} fills.")

    def _instrument(self, key: str | None) -> Instrument | None:
        if not key or ":" not in key:
            return None
        exchange, symbol = key.split(":", 1)
        try:
            return self.desk.instruments.get((Exchange(exchange), symbol))
        except ValueError:
            return None


def _matches(account: str, symbol: str, exchange: Exchange, filters: dict[str, str]) -> bool:
    return ((not filters["account"] or account == filters["account"])
            and (not filters["symbol"] or symbol == filters["symbol"])
            and (not filters["market"] or exchange.value == filters["market"]))


def _next_window(hours: MarketHours, exchange: Exchange, now: datetime) -> tuple[datetime | None, datetime | None]:
    """The next regular session's open after `now` and the close of the current or next one (14 days ahead)."""
    day = now.date() - timedelta(days=1)
    opens = closes = None
    for offset in range(16):
        for window in hours.windows(exchange, day + timedelta(days=offset)):
            if window.kind is not SessionState.REGULAR:
                continue
            if opens is None and window.start > now:
                opens = window.start
            if closes is None and window.end > now:
                closes = window.end
        if opens is not None and closes is not None:
            break
    return opens, closes


def _key(instrument: Instrument) -> str:
    return f"{instrument.exchange.value}:{instrument.symbol}"


def _at(levels: tuple[Any, ...], i: int) -> Any:
    if i >= len(levels):
        return None
    return {"price": levels[i].price, "quantity": levels[i].size}


def _kst_text(moment: datetime) -> str:
    return kst(moment).strftime("%Y-%m-%d %H:%M:%S KST")


def _flash(message: str, status: int = 200) -> Response:
    """A control's answer, swapped into the page's #flash (htmx swaps only 2xx answers, so a refusal is
    a 200 whose class says so)."""
    return HTMLResponse(f'<p class="{"ok" if status < 400 else "error"}">{html.escape(message)}</p>')
