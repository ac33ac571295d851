"""The dashboard's controls: a price print, the clock, the random walk, a tick replay, fault rules, reset.
Each calls what the admin API calls (the desk's works, the toolkit) and answers a line for #flash."""

from __future__ import annotations

import asyncio
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import ValidationError
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from localkis.domain.errors import BusinessError
from localkis.engine.sources import read_ticks
from localkis.server.config import FaultSection
from localkis.server.dashboard.view import View, flash, kst_text
from localkis.wire.requests import parse_decimal


class Controls:
    def __init__(self, view: View) -> None:
        self.view = view

    async def set_price(self, request: Request) -> Response:
        v, form = self.view, await request.form()
        instrument = v.instrument(str(form.get("instrument", "")))
        price = parse_decimal(str(form.get("price", "")).strip())
        size_text = str(form.get("size", "")).strip()
        if instrument is None:
            return flash("Unknown instrument.", 400)
        if price is None or price <= 0:
            return flash("The price must be a positive decimal.", 400)
        if size_text and (not size_text.isdigit() or int(size_text) <= 0):
            return flash("The size must be a positive whole number, or empty for unlimited.", 400)
        try:
            fills = await v.desk.commit(v.desk.trade(instrument.exchange, instrument.symbol, price,
                                                     int(size_text) if size_text else None, v.clock.now()))
        except BusinessError as exc:
            return flash(f"Refused: {exc}", 409)
        filled = ", ".join(f"{f.order_no} {f.quantity}@{f.price}" for f in fills) or "nothing crossed"
        return flash(f"Printed {instrument.symbol} at {price}: {filled}.")

    async def move_clock(self, request: Request) -> Response:
        clock, form = self.view.clock, await request.form()
        action = str(form.get("do", ""))
        try:
            if action == "set":
                clock.set(datetime.fromisoformat(str(form.get("time", "")).strip()), frozen=form.get("frozen") == "1")
            elif action == "freeze":  # at a whole second: the page shows seconds, and so can a test
                clock.set(clock.now().replace(microsecond=0), frozen=True)
            elif action == "run":
                clock.set(clock.now(), frozen=False)
            elif action == "advance":
                clock.advance(timedelta(seconds=float(str(form.get("seconds", "0")))))
            else:
                return flash("Unknown clock action.", 400)
        except ValueError as exc:
            return flash(f"Bad clock request: {exc}", 400)
        self.view.feed.publish("clock-moved")
        return flash(f"Server clock: {kst_text(clock.now())}{' (frozen)' if clock.frozen else ''}.")

    async def run_walk(self, request: Request) -> Response:
        walk = self.view.parts.walk
        run = str((await request.form()).get("run", ""))
        if run == "start":
            walk.start()
        elif run == "stop":
            await walk.stop()
        else:
            return flash("Say start or stop.", 400)
        return flash(f"Random walk {'running' if walk.running else 'stopped'}.")

    async def replay(self, request: Request) -> Response:
        v = self.view
        upload = (await request.form()).get("file")
        if not isinstance(upload, UploadFile):
            return flash("Choose a CSV file of ticks.", 400)
        suffix = Path(upload.filename or "ticks.csv").suffix or ".csv"
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / ("upload" + suffix)
            path.write_bytes(await upload.read())
            try:
                ticks = await asyncio.to_thread(read_ticks, path)
            except ValueError as exc:
                return flash(f"Nothing replayed: {exc}", 400)
        unknown = sorted({f"{t.exchange.value} {t.symbol}" for t in ticks
                          if (t.exchange, t.symbol) not in v.desk.instruments})
        if unknown:  # checked before the first tick, so a bad file changes nothing
            return flash("Nothing replayed: unknown instruments " + ", ".join(unknown), 400)
        filled = 0
        for tick in ticks:
            filled += len(await v.desk.commit(v.desk.trade(tick.exchange, tick.symbol, tick.price, tick.size,
                                                           v.clock.now())))
        return flash(f"Replayed {len(ticks)} ticks: {filled} fills.")

    async def add_fault(self, request: Request) -> Response:
        """A fault rule from the status page's form (the fields of `[[faults]]`; empty ones left out)."""
        form = await request.form()
        fields: dict[str, object] = {k: str(x).strip() for k, x in form.items() if str(x).strip()}
        for name in ("nth", "times", "latency_ms"):
            if name in fields:
                text = str(fields[name])
                if not text.isdigit():
                    return flash(f"{name} must be a whole number.", 400)
                fields[name] = int(text)
        try:
            rule = self.view.parts.toolkit.faults.add(FaultSection.model_validate(fields))
        except ValidationError as exc:
            return flash("Bad fault rule: " + "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'rule'}: "
                                                       f"{e['msg']}" for e in exc.errors()), 400)
        self.view.feed.publish("clock-moved")  # the status page redraws its rules
        return flash(f"Fault rule {rule.id} added: {rule.as_json()}.")

    async def clear_faults(self, request: Request) -> Response:
        removed = self.view.parts.toolkit.faults.clear()
        self.view.feed.publish("clock-moved")
        return flash(f"Removed {removed} fault rule(s).")

    async def reset(self, request: Request) -> Response:
        seconds = await self.view.parts.toolkit.reset_all()
        self.view.feed.publish("clock-moved")
        return flash(f"Reset in {seconds * 1000:.0f} ms: configured cash, positions, prices and clock; "
                     "no orders, fills, tokens or run-time faults.")
