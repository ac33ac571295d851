"""US daytime trading: 미국주간주문 (daytime-order) and 미국주간정정취소 (daytime-order-rvsecncl)."""

from __future__ import annotations

from localkis.engine.daytime import DaytimeDesk
from localkis.server.gateway import Context
from localkis.server.responses import KisResponse
from localkis.store.base import Store
from localkis.wire import daytime


class DaytimeRoutes:
    def __init__(self, desk: DaytimeDesk, store: Store) -> None:
        self.desk = desk
        self.store = store

    async def order(self, ctx: Context) -> KisResponse:
        command = daytime.decode_order(await ctx.body(daytime.ORDER_FIELDS), ctx.spec, ctx.env, ctx.headers.tr_id)
        placed = await self.desk.desk.commit(self.desk.place(command, ctx.now))
        return ctx.reply(daytime.render_order(placed, ctx.env))

    async def revise_cancel(self, ctx: Context) -> KisResponse:
        request = daytime.decode_revise_cancel(await ctx.body(daytime.REVISE_CANCEL_FIELDS), ctx.spec, ctx.env,
                                               ctx.headers.tr_id)
        record = await self.desk.desk.commit(self.desk.revise_cancel(request, ctx.now),
                                            locks=request.original_key)
        return ctx.reply(daytime.render_revise_cancel(record, request.kind, ctx.env))
