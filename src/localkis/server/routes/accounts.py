"""Account inquiries (PROTOCOL §8): 잔고 (inquire-balance), 매수가능금액 (inquire-psamount) and
체결기준현재잔고 (inquire-present-balance), answered from the account's running totals."""

from __future__ import annotations

from decimal import Decimal

from localkis.domain.errors import BusinessError, Reason
from localkis.engine.desk import AccountSnapshot, Desk
from localkis.engine.ledger import Ledger
from localkis.protocol.exchanges import EXCHANGES
from localkis.server.gateway import Context
from localkis.server.responses import KisResponse
from localkis.store.base import Store, read
from localkis.wire import inquire_balance, inquire_present_balance, inquire_psamount
from localkis.wire.accounts import ValuedPosition


class AccountRoutes:
    def __init__(self, desk: Desk, store: Store) -> None:
        self.desk = desk
        self.store = store
        self.history = Ledger(desk)  # realised P/L and today's fills

    def _valued(self, number: str) -> tuple[AccountSnapshot, list[ValuedPosition]]:
        """The account at one commit and its positions, each valued at `Desk.last_price` (a symbol with no
        instrument, which an admin may set, is valued at its average price), by exchange code and symbol."""
        snap = self.desk.snapshot(number)
        valued: list[ValuedPosition] = []
        for exchange, symbol, holding in snap.holdings:
            instrument = self.desk.instruments.get((exchange, symbol))
            position = holding.position
            price = self.desk.last_price(exchange, symbol) or position.average_price
            valued.append(ValuedPosition(exchange, symbol, instrument.name if instrument else symbol,
                                         position.quantity, holding.sellable, position.average_price, price))
        return snap, valued

    async def inquire_balance(self, ctx: Context) -> KisResponse:
        q = inquire_balance.decode(ctx.query(inquire_balance.FIELDS), ctx.env)
        snap, valued = await read(self.store, self._valued, q.account)
        bought = -sum((snap.ledger.get((c, "buy"), Decimal(0)) for c in q.currencies(ctx.env)), Decimal(0))
        realised = await read(self.store, self.history.realised_today, q.account, ctx.now)
        body, tr_cont = inquire_balance.render(q, valued, bought, ctx.env, realised)
        return ctx.reply(body, tr_cont)

    async def inquire_psamount(self, ctx: Context) -> KisResponse:
        q = inquire_psamount.decode(ctx.query(inquire_psamount.FIELDS))
        instrument = self.desk.instrument_in_market(q.exchange, q.symbol)
        if instrument is None:
            raise BusinessError(Reason.UNKNOWN_SYMBOL, f"{q.exchange.value} {q.symbol}")
        price = q.price or await read(self.store, self.desk.last_price, instrument.exchange, instrument.symbol)
        snap = await read(self.store, self.desk.snapshot, q.account)
        currency = EXCHANGES[q.exchange].currency
        # A single page, but tr_cont is sent: KIS's samples read it from every response.
        return ctx.reply(inquire_psamount.render(currency, snap.available(currency), price or instrument.price,
                                                 instrument.board_lot), "D")

    async def inquire_present_balance(self, ctx: Context) -> KisResponse:
        q = inquire_present_balance.decode(ctx.query(inquire_present_balance.FIELDS))
        snap, valued = await read(self.store, self._valued, q.account)
        today = await read(self.store, self.history.fills_today, q.account, ctx.now)
        return ctx.reply(inquire_present_balance.render(q, valued, snap.funds, snap.ledger, ctx.env, today), "D")
