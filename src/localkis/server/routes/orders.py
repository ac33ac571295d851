"""Order entry: 해외주식 주문 (order) and 정정취소주문 (order-rvsecncl)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from localkis.domain.errors import BusinessError
from localkis.engine.desk import Desk
from localkis.protocol.apis import Api
from localkis.protocol.env import Env
from localkis.server.gateway import Context
from localkis.server.responses import KisResponse
from localkis.store.base import Store
from localkis.wire import order, revise_cancel

# Told of every order the desk refused (account, API, the refusal, its environment, when): the dashboard's
# blotter lists them. A refused order writes nothing, so no committed event carries it.
Refused = Callable[[str, Api, BusinessError, Env, datetime], None]


class OrderRoutes:
    def __init__(self, desk: Desk, store: Store, refused: Refused | None = None) -> None:
        self.desk = desk
        self.store = store
        self.refused = refused

    async def order(self, ctx: Context) -> KisResponse:
        command = order.decode(await ctx.body(order.FIELDS), ctx.spec, ctx.env, ctx.headers.tr_id)
        try:
            placed = await self.desk.commit(self.desk.place(command, ctx.now))
        except BusinessError as exc:
            self._refused(command.account, Api.ORDER, exc, ctx)
            raise
        return ctx.reply(order.render(placed, ctx.env))

    async def revise_cancel(self, ctx: Context) -> KisResponse:
        request = revise_cancel.decode(await ctx.body(revise_cancel.FIELDS), ctx.spec, ctx.env, ctx.headers.tr_id)
        try:
            record = await self.desk.commit(self.desk.revise_cancel(request, ctx.now), locks=request.original_key)
        except BusinessError as exc:
            self._refused(request.account, Api.REVISE_CANCEL, exc, ctx)
            raise
        return ctx.reply(revise_cancel.render(record, request.kind, ctx.env))

    def _refused(self, account: str, api: Api, exc: BusinessError, ctx: Context) -> None:
        if self.refused is not None:
            self.refused(account, api, exc, ctx.env, ctx.now)
