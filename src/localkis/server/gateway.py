"""KIS's gateway: what every KIS API request passes before its handler — headers, app keys, token,
TR ID and its environment family, corporate fields, rate limit — in the order KIS applies them; and
the `Context` a handler gets. Errors become KIS's exact answers here; a handler only raises."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

from starlette.types import Receive, Scope

from localkis.domain.errors import BusinessError
from localkis.protocol import codes
from localkis.protocol.apis import ENDPOINTS, Api
from localkis.protocol.codes import Gateway, Ops
from localkis.protocol.env import ENV_RULES, Env
from localkis.protocol.fields import FieldSpec
from localkis.protocol.trids import TR_TABLE, TrSpec
from localkis.server.auth import App, Apps, RateLimiter, Tokens, check_tr_family
from localkis.server.clock import Clock
from localkis.server.config import FaultSection, ServerSection
from localkis.server.faults import Dropped, Faults, fault_error
from localkis.server.requestlog import RequestLog, msg_cd_of
from localkis.server.responses import KisResponse, kis_response, refusal
from localkis.store.base import Store, read
from localkis.wire.errors import GatewayError, MessageError, OpsError, WireError, business_error
from localkis.wire.requests import (
    MAX_BODY_BYTES,
    KisHeaders,
    bearer_token,
    check_corporate,
    check_fields,
    parse_headers,
    parse_json_object,
    query_upper,
)
from localkis.wire.responses import account_of

log = logging.getLogger("localkis")


class Context(NamedTuple):
    """What a KIS handler gets after the gateway; `now` is the request's time on the server clock."""

    scope: Scope
    receive: Receive
    headers: KisHeaders
    app: App
    spec: TrSpec
    raw_headers: dict[str, str]
    now: datetime
    seen: list[str] | None = None  # the request's account, for the request log (set by the field checks)

    @property
    def env(self) -> Env:
        return self.app.env

    async def body(self, specs: tuple[FieldSpec, ...]) -> dict[str, str]:
        """The JSON body's fields, checked against `specs`; an account the app does not own → OPSQ2000."""
        return self._own(check_fields(await self._json(), specs))

    def query(self, specs: tuple[FieldSpec, ...]) -> dict[str, str]:
        """The query string's fields (names case-insensitive, B1), checked like a body's."""
        params = dict(parse_qsl(self.scope["query_string"].decode("latin-1"), keep_blank_values=True))
        return self._own(check_fields(query_upper(params), specs))

    def reply(self, body: Mapping[str, object], tr_cont: str | None = None) -> KisResponse:
        return kis_response(body, tr_id=self.headers.tr_id, tr_cont=tr_cont, gt_uid=self.headers.gt_uid)

    def _own(self, fields: dict[str, str]) -> dict[str, str]:
        if "CANO" in fields:
            account = account_of(fields)
            if self.seen is not None:
                self.seen.append(account)
            if not self.app.owns(account):
                raise OpsError(Ops.BAD_ACCOUNT)
        return fields

    async def _json(self) -> dict[str, Any]:
        content_type = self.raw_headers.get("content-type", "")
        if content_type and "json" not in content_type.lower():
            raise GatewayError(Gateway.BAD_CONTENT_TYPE)
        declared = self.raw_headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            raise GatewayError(Gateway.BAD_REQUEST)
        chunks: list[bytes] = []
        size = 0
        while True:  # a chunked body has no declared length: cap it as it comes
            message = await self.receive()
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


class HeadersPassed(NamedTuple):
    """What the checks that depend only on a request's headers found for one header set."""

    raw: dict[str, str]  # the headers by lowercase name; shared between requests, never changed
    headers: KisHeaders
    app: App
    token: str
    spec: TrSpec


Handler = Callable[[Context], Awaitable[KisResponse]]
KisEndpoint = Callable[[Scope, Receive], Awaitable[KisResponse]]

# Header sets remembered per route. A bot sends the same few over and over (only Content-Length
# moves with the body); a client that varies them just empties the memory now and then.
GATEWAY_MEMORY = 1024


class KisGateway:
    def __init__(self, apps: Apps, tokens: Tokens, rate: RateLimiter, clock: Clock, store: Store,
                 switches: ServerSection, requests: RequestLog | None = None,
                 faults: Faults | None = None) -> None:
        self.requests = requests  # None: no request log
        self.apps = apps
        self.tokens = tokens
        self.rate = rate
        self.clock = clock
        self.store = store
        self.switches = switches
        self.faults = faults if faults is not None else Faults([], switches.fault_seed)

    def endpoint(self, api: Api, handler: Handler) -> KisEndpoint:
        """The ASGI-level endpoint of one KIS API: the gateway, then `handler`."""
        # Header sets that passed every check that depends on the headers alone (app keys, token
        # syntax, TR ID, corporate fields): a repeat skips them. The token itself, which can expire or
        # be revoked, and the rate limit are checked on every request.
        passed: dict[tuple[tuple[bytes, bytes], ...], HeadersPassed] = {}
        requests = self.requests
        segment = ENDPOINTS[api].path.rsplit("/", 1)[-1]  # how a fault rule names the API
        faults = self.faults

        async def endpoint(scope: Scope, receive: Receive) -> KisResponse:
            if requests is None:
                return await checked(scope, receive, None)
            started = time.perf_counter()
            seen: list[str] = []
            response = await checked(scope, receive, seen)
            known = passed.get(tuple(scope["headers"]))
            requests.record(at=self.clock.now(), method=scope["method"], path=scope["path"],
                            tr_id=known.headers.tr_id if known else "", app=known.app.name if known else "",
                            account=seen[0] if seen else "", status=response.status_code,
                            msg_cd=msg_cd_of(bytes(response.body)), seconds=time.perf_counter() - started)
            return response

        async def checked(scope: Scope, receive: Receive, seen: list[str] | None) -> KisResponse:
            key = tuple(scope["headers"])
            known = passed.get(key)
            if known is not None and self.apps.get(known.app.appkey) is not known.app:
                known = None  # the app was disabled or replaced at run time: check the headers again
            # One dict of the request headers (ASGI names are lowercase): O(1) look-ups from here on.
            raw = known.raw if known is not None else {k.decode("latin-1"): v.decode("latin-1") for k, v in key}
            env = Env.REAL
            try:
                # A recording server fixes the time it recorded for the request (`server.recording`).
                now = scope.get("localkis.now") or self.clock.now()
                if known is None:
                    known = await self._check_headers(api, raw, now)
                    if len(passed) >= GATEWAY_MEMORY:
                        passed.clear()
                    passed[key] = known
                elif not self._token_checked_lately(known.app, known.token, now):
                    await self._load_token(known.app, known.token, now)
                env = known.app.env
                self.rate.hit(known.app, time.time())
                ctx = Context(scope, receive, known.headers, known.app, known.spec, raw, now, seen)
                if faults.rules:
                    rule = faults.pick(segment, known.headers.tr_id, known.app.appkey, known.app.name)
                    if rule is not None:
                        return await self._fault(rule.section, ctx, handler)
                return await handler(ctx)
            except WireError as exc:
                return refusal(raw, exc.body(), exc.status)
            except BusinessError as exc:
                err = business_error(exc.reason, env)
                return refusal(raw, err.body(), err.status)
            except Exception:
                log.exception("unexpected error on %s %s", scope["method"], scope["path"])
                return refusal(raw, GatewayError(Gateway.SERVER_ERROR).body(), 500)

        return endpoint

    @staticmethod
    async def _fault(section: FaultSection, ctx: Context, handler: Handler) -> KisResponse:
        """What a fired fault rule does to a call that passed the gateway."""
        if section.kind == "error":
            raise fault_error(section, ctx.env)
        if section.kind == "latency":
            await asyncio.sleep((section.latency_ms or 0) / 1000)
            return await handler(ctx)
        if section.kind == "drop_after_commit":
            with contextlib.suppress(WireError, BusinessError):
                await handler(ctx)  # committed as usual (or refused); either way the answer is lost
        return Dropped()

    async def _check_headers(self, api: Api, raw: dict[str, str], now: datetime) -> HeadersPassed:
        """Every gateway check, in the order KIS's gateway applies them."""
        headers = parse_headers(raw)
        app = self.apps.authenticate(headers.appkey, headers.appsecret)
        token = bearer_token(headers.authorization)
        if not self._token_checked_lately(app, token, now):
            await self._load_token(app, token, now)
        spec = self._tr_spec(app, headers.tr_id, api)
        check_corporate(headers)
        if headers.custtype == "B" and not ENV_RULES[app.env].corporate_customers:
            raise GatewayError(Gateway.CORPORATE_NO_MOCK)
        return HeadersPassed(raw, headers, app, token, spec)

    def _token_checked_lately(self, app: App, token: str, now: datetime) -> bool:
        """Verify a token this process read from the store lately; False if it must be read again."""
        record = self.tokens.cached(token, time.monotonic())
        if record is None:
            return False
        self.tokens.verify(app, record, now)
        return True

    async def _load_token(self, app: App, token: str, now: datetime) -> None:
        self.tokens.verify(app, await read(self.store, self.tokens.load, token, time.monotonic()), now)

    def _tr_spec(self, app: App, tr_id: str, api: Api) -> TrSpec:
        spec = TR_TABLE.get(tr_id)
        if spec is None or spec.env is not None:
            check_tr_family(app, tr_id)
        if spec is None or spec.api is not api:
            raise OpsError(Ops.SERVICE_NOT_FOUND)
        if spec.needs_switch is not None:
            name = spec.needs_switch.lstrip("!")
            on = bool(getattr(self.switches, name))
            if on == spec.needs_switch.startswith("!"):
                raise MessageError(codes.NOT_IN_MOCK)
        if not spec.in_mock and app.env is Env.MOCK and self.switches.strict_mock:
            raise MessageError(codes.NOT_IN_MOCK)
        return spec
