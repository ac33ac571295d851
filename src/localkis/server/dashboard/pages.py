"""The dashboard's pages: blotter, order timeline, market, accounts, status (reads only)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import orjson
from starlette.requests import Request
from starlette.responses import Response

from localkis.domain.errors import BusinessError
from localkis.domain.hours import MarketHours
from localkis.domain.openings import all_markets
from localkis.protocol.apis import ENDPOINTS, Api
from localkis.protocol.codes import BUSINESS
from localkis.protocol.env import Env
from localkis.protocol.exchanges import EXCHANGES, Exchange
from localkis.server.dashboard.view import View, instrument_key, kst_text
from localkis.store.base import read

KST_SECONDS = 9 * 3600
CHART_BARS = 390  # a US regular session of 1-minute bars
REJECTS_KEPT = 200  # refusals the blotter keeps (this process's, since it started)


@dataclass(frozen=True, slots=True)
class Reject:
    at: datetime
    account: str
    api: str
    code: str
    message: str


class Pages:
    def __init__(self, view: View, hours: MarketHours) -> None:
        self.view = view
        self.hours = hours
        self.rejects: deque[Reject] = deque(maxlen=REJECTS_KEPT)

    def refused(self, account: str, api: Api, exc: BusinessError, env: Env, at: datetime) -> None:
        """An order or revise/cancel the desk refused: listed on the blotter (the latest REJECTS_KEPT)."""
        message = BUSINESS[exc.reason].for_env(env)
        self.rejects.append(Reject(at, account, ENDPOINTS[api].path.rsplit("/", 1)[-1], message.code, message.text))
        self.view.feed.publish("orders")

    async def blotter(self, request: Request) -> Response:
        v, q = self.view, request.query_params
        filters = {"account": q.get("account", ""), "symbol": q.get("symbol", "").upper(),
                   "market": q.get("market", "")}
        orders = await read(v.store, lambda: list(v.store.all_orders()))
        chosen = [o for o in orders if _matches(o.account, o.symbol, o.exchange, filters)]
        fills = await read(v.store, v.desk.fills_of, [o.order_no for o in chosen])
        by_no = {o.order_no: o for o in chosen}
        rejects = [r for r in self.rejects if not filters["account"] or r.account == filters["account"]]
        return v.render(request, "ui/blotter.html", {
            "page": "blotter", "title": "blotter", "filters": filters, "accounts": await v.parts.accounts(),
            "markets": [e.value for e in Exchange], "query": urlencode({k: f for k, f in filters.items() if f}),
            "open": [o for o in reversed(chosen) if o.is_live],
            "fills": [(f, by_no[f.order_no]) for f in reversed(fills)], "rejects": list(reversed(rejects))})

    async def order(self, request: Request) -> Response:
        v, odno = self.view, str(request.path_params["odno"])
        chain, fills = await read(v.store, v.desk.timeline, odno)
        own: dict[str, list[Any]] = {}
        for f in fills:
            own.setdefault(f.order_no, []).append(f)
        return v.render(request, "ui/order.html", {"page": "blotter", "title": f"order {odno}", "odno": odno,
                                                    "chain": chain, "fills": own})

    async def market(self, request: Request) -> Response:
        v = self.view
        instruments = sorted(v.desk.instruments.values(), key=lambda i: (i.exchange.value, i.symbol))
        instrument = v.instrument(request.query_params.get("instrument")) or next(iter(instruments), None)
        context: dict[str, Any] = {"page": "market", "title": "market", "instruments": instruments,
                                   "instrument": instrument, "walking": v.parts.walk.running}
        if instrument is not None:
            book = await read(v.store, v.desk.book, instrument, v.parts.book, v.clock.now())
            depth = max(len(book.bids), len(book.asks))
            context |= {"key": instrument_key(instrument), "currency": EXCHANGES[instrument.exchange].currency,
                        "last": await read(v.store, v.desk.last_price, instrument.exchange, instrument.symbol),
                        "levels": [(_at(book.bids, i), _at(book.asks, i)) for i in range(depth)]}
        return v.render(request, "ui/market.html", context)

    async def bars(self, request: Request) -> Response:
        """The instrument's latest 1-minute bars for the chart: [{time, open, high, low, close}]; `time` is
        epoch seconds shifted to KST, because the chart labels its axis in UTC and the rest of the page
        shows KST."""
        v = self.view
        instrument = v.instrument(request.query_params.get("instrument"))
        if instrument is None:
            return Response(b"[]", media_type="application/json")
        bars = await read(v.store, v.parts.charts.minutes, instrument, v.clock.now(), None, CHART_BARS)
        rows = [{"time": int(b.start.timestamp()) + KST_SECONDS, "open": float(b.open), "high": float(b.high),
                 "low": float(b.low), "close": float(b.close)} for b in bars]
        return Response(orjson.dumps(rows), media_type="application/json")

    async def accounts(self, request: Request) -> Response:
        v = self.view
        views = []
        for number in await v.parts.accounts():
            snap = await read(v.store, v.desk.snapshot, number)
            held = []
            for exchange, symbol, h in snap.holdings:
                if h.position.quantity == 0:
                    continue
                last = await read(v.store, v.desk.last_price, exchange, symbol) or h.position.average_price
                held.append({"exchange": exchange.value, "symbol": symbol, "quantity": h.position.quantity,
                             "sellable": h.sellable, "avg_price": h.position.average_price, "last": last,
                             "pnl": (last - h.position.average_price) * h.position.quantity})
            views.append({"number": number, "funds": sorted(snap.funds.items()), "positions": held})
        return v.render(request, "ui/accounts.html", {"page": "accounts", "title": "accounts", "accounts": views,
                                                       "board": await v.parts.leaderboard.standings()})

    async def status(self, request: Request) -> Response:
        v = self.view
        markets = [{"name": m.market.value, "state": m.state.value,
                    "next_open": kst_text(m.next_open) if m.next_open else "—",
                    "next_close": kst_text(m.next_close) if m.next_close else "—"}
                   for m in all_markets(self.hours, v.clock.now())]
        return v.render(request, "ui/status.html", {
            "page": "status", "title": "status", "markets": markets, "frozen": v.clock.frozen,
            "rate_hits": v.parts.rate_hits(), "listeners": v.feed.listeners,
            "websocket_sessions": v.parts.websocket_sessions(),
            "faults": [{"id": r.id, "seen": r.seen, "fired": r.fired,
                        "rule": " ".join(f"{k}={x}" for k, x in r.section.model_dump(exclude_none=True).items())}
                       for r in v.parts.toolkit.faults.rules]})


def _matches(account: str, symbol: str, exchange: Exchange, filters: dict[str, str]) -> bool:
    return ((not filters["account"] or account == filters["account"])
            and (not filters["symbol"] or symbol == filters["symbol"])
            and (not filters["market"] or exchange.value == filters["market"]))


def _at(levels: tuple[Any, ...], i: int) -> Any:
    if i >= len(levels):
        return None
    return {"price": levels[i].price, "quantity": levels[i].size}
