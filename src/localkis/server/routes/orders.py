"""Order entry: 해외주식 주문 (order) and 정정취소주문 (order-rvsecncl)."""

from __future__ import annotations

from localkis.engine.desk import Desk
from localkis.server.gateway import Context
from localkis.server.responses import KisResponse
from localkis.store.base import Store
from localkis.wire import order, revise_cancel


class OrderRoutes:
    def __init__(self, desk: Desk, store: Store) -> None:
        self.desk = desk
        self.store = store

    async def order(self, ctx: Context) -> KisResponse:
        command = order.decode(await ctx.body(order.FIELDS), ctx.spec, ctx.env, ctx.headers.tr_id)
        placed = await self.desk.commit(self.desk.place(command, ctx.now))
        return ctx.reply(order.render(placed, ctx.env))

    async def revise_cancel(self, ctx: Context) -> KisResponse:
        request = revise_cancel.decode(await ctx.body(revise_cancel.FIELDS), ctx.spec, ctx.env, ctx.headers.tr_id)
        record = await self.desk.commit(self.desk.revise_cancel(request, ctx.now), locks=request.original_key)
        return ctx.reply(revise_cancel.render(record, request.kind, ctx.env))
