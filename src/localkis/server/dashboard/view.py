"""What every dashboard module shares: its URL, the live feed, the parts it shows, page rendering."""

from __future__ import annotations

import asyncio
import html
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.templating import Jinja2Templates

from localkis.domain.book import BookParams
from localkis.domain.instruments import Instrument
from localkis.engine.charts import Charts
from localkis.engine.desk import Desk
from localkis.engine.events import Event, EventBus, OrderEvent, PrintEvent
from localkis.protocol.exchanges import Exchange
from localkis.server.clock import Clock
from localkis.server.market import WalkControl
from localkis.server.routes.leaderboard import LeaderboardRoutes
from localkis.server.routes.toolkit import ToolkitRoutes
from localkis.store.base import Store
from localkis.wire.responses import kst

BASE = "/localkis/ui"
UI_FILES = Path(__file__).resolve().parents[1] / "templates"
_TEMPLATES = Jinja2Templates(directory=UI_FILES)
# Front-end packages: `make ui` installs them here (npm, ui/package.json); nothing is copied into the tree.
DEFAULT_ASSETS = Path(__file__).resolve().parents[4] / "ui" / "node_modules"

Page = Callable[[Request], Awaitable[Response]]


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


class View:
    """The desk, store and clock a dashboard module reads, and how it renders a page."""

    def __init__(self, desk: Desk, store: Store, clock: Clock, feed: Feed, parts: DashboardParts,
                 assets: Path) -> None:
        self.desk, self.store, self.clock = desk, store, clock
        self.feed = feed
        self.parts = parts
        self.assets = assets

    def render(self, request: Request, template: str, context: dict[str, Any], *, status: int = 200) -> Response:
        context = {"base": BASE, "assets": (self.assets / "htmx.org").is_dir(), "kst": kst_text,
                   "now": kst_text(self.clock.now()), **context}
        return _TEMPLATES.TemplateResponse(request, template, context, status_code=status)

    def instrument(self, key: str | None) -> Instrument | None:
        """The instrument named `EXCHANGE:SYMBOL` (the pages' form and query value), if known."""
        if not key or ":" not in key:
            return None
        exchange, symbol = key.split(":", 1)
        try:
            return self.desk.instruments.get((Exchange(exchange), symbol))
        except ValueError:
            return None


def instrument_key(instrument: Instrument) -> str:
    return f"{instrument.exchange.value}:{instrument.symbol}"


def kst_text(moment: datetime) -> str:
    return kst(moment).strftime("%Y-%m-%d %H:%M:%S KST")


def flash(message: str, status: int = 200) -> Response:
    """A control's answer, swapped into the page's #flash (htmx swaps only 2xx answers, so a refusal is
    a 200 whose class says so)."""
    return HTMLResponse(f'<p class="{"ok" if status < 400 else "error"}">{html.escape(message)}</p>')
