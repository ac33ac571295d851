"""Reservations: 예약주문접수 (order-resv), 예약주문접수취소 (order-resv-ccnl), 예약주문조회 (order-resv-list)."""

from __future__ import annotations

from localkis.engine.reservations import ReservationDesk
from localkis.server.gateway import Context
from localkis.server.responses import KisResponse
from localkis.store.base import Store, read
from localkis.wire import reservations as wire
from localkis.wire.reservations import CancelRequest


class ReservationRoutes:
    def __init__(self, desk: ReservationDesk, store: Store) -> None:
        self.desk = desk
        self.store = store

    async def reserve(self, ctx: Context) -> KisResponse:
        request = wire.decode_reserve(await ctx.body(wire.RESERVE_FIELDS), ctx.spec, ctx.env)
        if isinstance(request, CancelRequest):  # the Asia TR cancels too
            return await self._cancel(ctx, request)
        reservation = await self.store.run(self.desk.reserve(request, ctx.now))
        return ctx.reply(wire.render_reserve(reservation, ctx.spec, ctx.env))

    async def cancel(self, ctx: Context) -> KisResponse:
        return await self._cancel(ctx, wire.decode_cancel(await ctx.body(wire.CANCEL_FIELDS)))

    async def _cancel(self, ctx: Context, request: CancelRequest) -> KisResponse:
        cancelled = await self.store.run(self.desk.cancel(request.account, request.number, request.receipt_date,
                                                          ctx.now))
        return ctx.reply(wire.render_cancel(cancelled))

    async def listing(self, ctx: Context) -> KisResponse:
        fields = ctx.query(wire.LIST_FIELDS)
        query = wire.decode_list(fields, ctx.spec)
        found = await read(self.store, self.desk.listing, query)
        more = len(found) > wire.PAGE_SIZE
        instruments = self.desk.desk.instruments
        branch = self.desk.desk.settings.branch
        rows = [wire.row(r, order, getattr(instruments.get((r.exchange, r.symbol)), "name", r.symbol), branch)
                for r, order in found[:wire.PAGE_SIZE]]
        body, tr_cont = wire.render_list(rows, query, more, query.after is not None, fields)
        return ctx.reply(body, tr_cont)
