"""Order inquiries: 미체결내역 (inquire-nccs) and 주문체결내역 (inquire-ccnl), keyset-paged on the order number."""

from __future__ import annotations

from localkis.domain.hours import compact_date
from localkis.domain.orders import Order
from localkis.engine.desk import Desk
from localkis.protocol.exchanges import inquiry_scope
from localkis.server.gateway import Context
from localkis.server.responses import KisResponse
from localkis.store.base import OrderQuery, Store, read
from localkis.wire import inquire_ccnl, inquire_nccs


class InquiryRoutes:
    def __init__(self, desk: Desk, store: Store) -> None:
        self.desk = desk
        self.store = store

    def _name(self, order: Order) -> str:
        instrument = self.desk.instruments.get((order.exchange, order.symbol))
        return instrument.name if instrument else order.symbol

    async def inquire_nccs(self, ctx: Context) -> KisResponse:
        q = inquire_nccs.decode(ctx.query(inquire_nccs.FIELDS))
        rows = await read(self.store, self.desk.list_orders, OrderQuery(
            q.account, exchanges=inquiry_scope(q.exchange) if q.exchange else None, live_only=True, after=q.after,
            descending=q.descending,
            limit=inquire_nccs.PAGE_SIZE + 1))
        body, tr_cont = inquire_nccs.render(q, rows, self._name)
        return ctx.reply(body, tr_cont)

    async def inquire_ccnl(self, ctx: Context) -> KisResponse:
        fields = ctx.query(inquire_ccnl.FIELDS)
        q = inquire_ccnl.decode(fields, ctx.env)
        rows = await read(self.store, self.desk.list_orders, OrderQuery(
            q.account, exchanges=inquiry_scope(q.exchange) if q.exchange else None, symbol=q.symbol or None,
            side=q.side, filled=q.filled, local_date_from=compact_date(q.start), local_date_to=compact_date(q.end),
            after=q.after, descending=q.newest_first, limit=inquire_ccnl.page_size(ctx.env) + 1))
        body, tr_cont = inquire_ccnl.render(fields, q, rows, ctx.env, self._name)
        return ctx.reply(body, tr_cont)
