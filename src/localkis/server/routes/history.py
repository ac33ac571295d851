"""Account history and P/L: 기간손익 (inquire-period-profit), 해외증거금 통화별조회 (foreign-margin),
일별거래내역 (inquire-period-trans), 결제기준잔고 (inquire-paymt-stdr-balance)."""

from __future__ import annotations

from datetime import date

from localkis.domain import profit
from localkis.domain.hours import KST, compact_date
from localkis.engine.ledger import Ledger
from localkis.protocol.exchanges import EXCHANGES
from localkis.server.gateway import Context
from localkis.server.responses import KisResponse
from localkis.store.base import Store, read
from localkis.wire import foreign_margin, paymt_stdr_balance, period_profit, period_trans
from localkis.wire.accounts import ValuedPosition


class HistoryRoutes:
    def __init__(self, ledger: Ledger, store: Store) -> None:
        self.ledger = ledger
        self.store = store

    async def period_profit(self, ctx: Context) -> KisResponse:
        q = period_profit.decode(ctx.query(period_profit.FIELDS))
        records = await read(self.store, self.ledger.realised, q.account, q.date_from, q.date_to, q.exchanges,
                             q.symbol)
        lines = profit.lines([r for r in records if not q.currency or EXCHANGES[r.exchange].currency == q.currency])
        names = {(x.exchange, x.symbol): self.ledger.name(x.exchange, x.symbol) for x in lines}
        body, tr_cont = period_profit.render(q, lines, names, compact_date(ctx.now.astimezone(KST).date()))
        return ctx.reply(body, tr_cont)

    async def foreign_margin(self, ctx: Context) -> KisResponse:
        account = foreign_margin.decode(ctx.query(foreign_margin.FIELDS))
        snap = await read(self.store, self.ledger.desk.snapshot, account)
        return ctx.reply(foreign_margin.render(snap.funds), "D")

    async def period_trans(self, ctx: Context) -> KisResponse:
        q = period_trans.decode(ctx.query(period_trans.FIELDS))
        found = await read(self.store, self.ledger.fills, q.account, _day(q.date_from), _day(q.date_to))
        trades = [period_trans.Trade(f, day, self.ledger.settles(f.exchange, day), self.ledger.fee(f),
                                     self.ledger.name(f.exchange, f.symbol))
                  for f, day in found if (q.exchange is None or f.exchange is q.exchange)
                  and (not q.symbol or f.symbol == q.symbol) and (q.side is None or f.side is q.side)]
        body, tr_cont = period_trans.render(q, trades)
        return ctx.reply(body, tr_cont)

    async def paymt_stdr_balance(self, ctx: Context) -> KisResponse:
        q = paymt_stdr_balance.decode(ctx.query(paymt_stdr_balance.FIELDS))
        account = await read(self.store, self.ledger.settled, q.account, _day(q.base_date), ctx.now)
        desk = self.ledger.desk
        holdings = []
        for (exchange, symbol), quantity in sorted(account.quantities.items()):
            held = account.holdings.get((exchange, symbol))
            if quantity <= 0 or held is None:  # a position sold out before settlement is not shown
                continue
            price = await read(self.store, desk.last_price, exchange, symbol) or held.position.average_price
            valued = ValuedPosition(exchange, symbol, self.ledger.name(exchange, symbol), quantity, held.sellable,
                                    held.position.average_price, price)
            holdings.append(paymt_stdr_balance.SettledHolding(
                valued, account.bought_today.get((exchange, symbol), 0), account.sold_today.get((exchange, symbol), 0)))
        return ctx.reply(paymt_stdr_balance.render(q, holdings, account.cash, ctx.now), "D")


def _day(text: str) -> date:
    return date(int(text[:4]), int(text[4:6]), int(text[6:]))
