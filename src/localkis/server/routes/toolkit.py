"""The bot-testing routes under /localkis/admin/: fault rules (GET/POST/DELETE /localkis/admin/faults)
and the reset (POST /localkis/admin/reset) that starts a test clean on a running server."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

import orjson
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response

from localkis.domain.accounts import Position
from localkis.protocol.codes import Message
from localkis.protocol.env import Env
from localkis.server.auth import Apps, Tokens
from localkis.server.clock import Clock, save_clock
from localkis.server.config import Config, FaultSection
from localkis.server.faults import Dropped, Faults, fault_error
from localkis.server.responses import kis_response
from localkis.server.routes.admin import AdminError
from localkis.store.base import Store, Transaction
from localkis.store.reset import forget_everything
from localkis.wire.errors import TokenEndpointError

log = logging.getLogger("localkis")


class ToolkitRoutes:
    def __init__(self, config: Config, store: Store, clock: Clock, tokens: Tokens, faults: Faults,
                 after_reset: list[Callable[[], Awaitable[None]]] | None = None, apps: Apps | None = None) -> None:
        self.config = config
        self.store = store
        self.clock = clock
        self.tokens = tokens
        self.faults = faults
        # Other parts of the server that keep state outside the store (caches, feeds) add their own
        # forgetting here; each runs after the store's reset.
        self.after_reset = after_reset if after_reset is not None else []
        self.apps = apps

    # --- faults on the OAuth endpoints ---------------------------------------------------------------
    def faulted(self, route: Callable[[Request], Awaitable[Response]],
                segment: str) -> Callable[[Request], Awaitable[Response]]:
        """An OAuth route (tokenP, revokeP, Approval) that fault rules naming `segment` (or "*") act on.
        Errors take the token endpoint's shape: HTTP 403 `{"error_code","error_description"}`."""

        async def endpoint(request: Request) -> Response:
            if not self.faults.rules:
                return await route(request)
            try:
                body = orjson.loads(await request.body())  # Starlette keeps it for the route
            except orjson.JSONDecodeError:
                body = None
            appkey = str(body.get("appkey", "")) if isinstance(body, dict) else ""
            app = self.apps.get(appkey) if self.apps is not None else None
            rule = self.faults.pick(segment, "", appkey, app.name if app is not None else "")
            if rule is None:
                return await route(request)
            section = rule.section
            if section.kind == "error":
                error = fault_error(section, app.env if app is not None else Env.REAL)
                if not isinstance(error, TokenEndpointError):
                    body_text = error.body()
                    text = str(body_text.get("msg1", body_text.get("error_description", "")))
                    error = TokenEndpointError(Message(str(section.msg_cd), text))
                return kis_response(error.body(), error.status)
            if section.kind == "latency":
                await asyncio.sleep((section.latency_ms or 0) / 1000)
                return await route(request)
            if section.kind == "drop_after_commit":
                await route(request)
            return Dropped()

        return endpoint

    # --- faults ------------------------------------------------------------------------------------
    async def faults_list(self, request: Request) -> dict[str, object]:
        return {"faults": [r.as_json() for r in self.faults.rules]}

    async def faults_add(self, request: Request) -> dict[str, object]:
        """A rule as in `[[faults]]` (a JSON object), or a list of them; all or none are added."""
        try:
            body = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            raise AdminError(400, "body must be a JSON fault rule, or a list of them") from None
        items = body if isinstance(body, list) else [body]
        sections: list[FaultSection] = []
        for item in items:
            if not isinstance(item, dict):
                raise AdminError(400, "a fault rule must be a JSON object")
            try:
                sections.append(FaultSection.model_validate(item))
            except ValidationError as exc:
                problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'rule'}: {e['msg']}"
                                     for e in exc.errors())
                raise AdminError(400, f"bad fault rule: {problems}") from None
        added = [self.faults.add(s) for s in sections]
        return {"added": [r.as_json() for r in added], "faults": [r.as_json() for r in self.faults.rules]}

    async def faults_clear(self, request: Request) -> dict[str, object]:
        return {"removed": self.faults.clear(), "faults": []}

    async def fault_remove(self, request: Request) -> dict[str, object]:
        text = str(request.path_params["rule_id"])
        if not text.isdigit() or not self.faults.remove(int(text)):
            raise AdminError(404, f"no fault rule {text}")
        return {"removed": 1, "faults": [r.as_json() for r in self.faults.rules]}

    # --- reset -------------------------------------------------------------------------------------
    async def reset(self, request: Request) -> dict[str, object]:
        """Configured cash, positions, prices and clock; no orders, fills, tokens or run-time faults."""
        return {"reset": True, "seconds": round(await self.reset_all(), 4)}

    async def reset_all(self) -> float:
        """The reset (the admin route's and the dashboard's); returns the seconds it took."""
        started = time.perf_counter()
        self.clock.reset(self.config.server.clock)
        now = self.clock.now()
        accounts = [(a.number, dict(a.cash), [(p.exchange, p.symbol, Position(p.quantity, p.avg_price))
                                              for p in a.positions]) for a in self.config.accounts]

        keep_clock = save_clock(self.clock, self.config.server.clock)  # a restart after a reset keeps it

        def work(tx: Transaction) -> None:
            forget_everything(tx)
            keep_clock(tx)
            for number, cash, positions in accounts:
                tx.ensure_account(number, cash, positions, now)

        await self.store.run(work)
        self.tokens.forget()
        self.faults.reset()
        for forget in self.after_reset:
            await forget()
        seconds = time.perf_counter() - started
        log.info("reset in %.3fs", seconds)
        return seconds
