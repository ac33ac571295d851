"""OAuth and utilities (PROTOCOL §2): 접근토큰발급 (tokenP), 폐기 (revokeP), 웹소켓 접속키 (Approval), hashkey."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from localkis.protocol import codes
from localkis.protocol.codes import Gateway
from localkis.protocol.realtime import APPROVAL_KEY_TTL_SECONDS
from localkis.server.auth import Apps, Tokens
from localkis.server.clock import Clock
from localkis.server.responses import kis_response
from localkis.store.base import Store
from localkis.wire import oauth
from localkis.wire.errors import GatewayError, TokenEndpointError, WireError
from localkis.wire.requests import parse_json_object

log = logging.getLogger("localkis")
APPROVAL_KEY_TTL = timedelta(seconds=APPROVAL_KEY_TTL_SECONDS)


class OAuthRoutes:
    def __init__(self, apps: Apps, tokens: Tokens, clock: Clock, store: Store) -> None:
        self.apps = apps
        self.tokens = tokens
        self.clock = clock
        self.store = store

    async def token_p(self, request: Request) -> Response:
        async def issue(body: dict[str, Any]) -> dict[str, object]:
            oauth.check_grant(body)
            app = self.apps.authenticate_for_token(*oauth.credentials(body))
            now = self.clock.now()
            record = await self.store.run(self.tokens.issue(app, now))
            return oauth.render_token(record.token, record.expires_at, now)

        return await self._answer(request, issue)

    async def revoke_p(self, request: Request) -> Response:
        async def revoke(body: dict[str, Any]) -> dict[str, object]:
            app = self.apps.authenticate_for_token(*oauth.credentials(body))
            token = body.get("token")
            if not isinstance(token, str) or not await self.store.run(self.tokens.revoke(app, token)):
                raise TokenEndpointError(codes.TOKEN_NOT_FOUND)
            return oauth.render_revoked()

        return await self._answer(request, revoke)

    async def approval(self, request: Request) -> Response:
        async def approve(body: dict[str, Any]) -> dict[str, object]:
            oauth.check_grant(body)
            app = self.apps.authenticate_for_token(*oauth.credentials(body, "secretkey"))
            key, expires = oauth.new_approval_key(), self.clock.now() + APPROVAL_KEY_TTL
            # Stored (every process reads it on its sockets); no rate limit, and earlier keys stay valid.
            await self.store.run(lambda tx: tx.insert_approval_key(key, app.appkey, expires))
            return oauth.render_approval(key)

        return await self._answer(request, approve)

    async def hashkey(self, request: Request) -> Response:
        try:
            appkey, appsecret = request.headers.get("appkey", ""), request.headers.get("appsecret", "")
            if not appkey:
                raise GatewayError(Gateway.APPKEY_REQUIRED)
            if not appsecret:
                raise GatewayError(Gateway.APPSECRET_REQUIRED)
            self.apps.authenticate(appkey, appsecret if appsecret.isascii() else "\0")  # compare_digest needs ASCII
            raw = await request.body()
            return kis_response(oauth.render_hashkey(parse_json_object(raw), raw))
        except WireError as exc:
            return kis_response(exc.body(), exc.status)

    async def _answer(self, request: Request,
                      action: Callable[[dict[str, Any]], Awaitable[dict[str, object]]]) -> Response:
        try:
            try:
                body = parse_json_object(await request.body())
            except WireError:
                raise TokenEndpointError(codes.TOKEN_BAD_REQUEST) from None
            return kis_response(await action(body))
        except WireError as exc:
            return kis_response(exc.body(), exc.status)
        except Exception:
            log.exception("unexpected error on %s", request.url.path)
            return kis_response({"error_code": "EGW00002", "error_description": "서버 에러가 발생했습니다."}, 500)
