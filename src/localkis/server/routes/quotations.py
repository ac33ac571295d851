"""Quotations: the product info python-kis reads (search-info); 현재체결가 (price) is in `marketdata`."""

from __future__ import annotations

from localkis.engine.desk import Desk
from localkis.server.gateway import Context
from localkis.server.responses import KisResponse
from localkis.store.base import Store
from localkis.wire import search_info


class QuotationRoutes:
    def __init__(self, desk: Desk, store: Store) -> None:
        self.desk = desk
        self.store = store

    async def search_info(self, ctx: Context) -> KisResponse:
        q = search_info.decode(ctx.query(search_info.FIELDS))
        exchange = q.exchange
        instrument = self.desk.instruments.get((exchange, q.symbol)) if exchange else None
        return ctx.reply(search_info.render(q, instrument), "D")
