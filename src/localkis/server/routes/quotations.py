"""Quotations: 현재체결가 (price) and the product info python-kis reads (search-info)."""

from __future__ import annotations

from localkis.engine.desk import Desk
from localkis.server.gateway import Context
from localkis.server.responses import KisResponse
from localkis.store.base import Store, read
from localkis.wire import price, search_info


class QuotationRoutes:
    def __init__(self, desk: Desk, store: Store) -> None:
        self.desk = desk
        self.store = store

    async def price(self, ctx: Context) -> KisResponse:
        q = price.decode(ctx.query(price.FIELDS))
        exchange = q.exchange
        instrument = self.desk.instruments.get((exchange, q.symbol)) if exchange else None
        last = await read(self.store, self.desk.last_price, exchange, q.symbol) if exchange and instrument else None
        return ctx.reply(price.render(q, instrument, last), "D")

    async def search_info(self, ctx: Context) -> KisResponse:
        q = search_info.decode(ctx.query(search_info.FIELDS))
        exchange = q.exchange
        instrument = self.desk.instruments.get((exchange, q.symbol)) if exchange else None
        return ctx.reply(search_info.render(q, instrument), "D")
