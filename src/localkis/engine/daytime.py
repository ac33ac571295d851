"""The daytime desk: US daytime orders and their revisions/cancels as store work, in the same lock order
and through the same fill engine as the order desk's commands."""

from __future__ import annotations

from datetime import datetime

from localkis.domain import daytime
from localkis.domain.accounts import Funds, Holding
from localkis.domain.hours import MarketHours, compact_date, local_date
from localkis.domain.orders import NewOrder, Order, RevisionRequest
from localkis.engine.desk import Desk, Work
from localkis.protocol.exchanges import EXCHANGES
from localkis.protocol.orders import RevisionKind, Side
from localkis.store.base import Transaction


class DaytimeDesk:
    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    def _hours(self) -> MarketHours | None:
        return self.desk.hours if self.desk.settings.enforce_hours else None

    def place(self, command: NewOrder, now: datetime) -> Work[Order]:
        """해외주식 미국주간주문: the new order, filled at once if it crosses the last print."""
        desk = self.desk
        instrument = desk.instruments.get((command.exchange, command.symbol))
        on = local_date(command.exchange, now)
        currency = EXCHANGES[command.exchange].currency
        hours = self._hours()

        def work(tx: Transaction) -> Order:
            tx.lock_account(command.account)
            account: Funds | Holding = (tx.funds(command.account, currency) if command.side is Side.BUY
                                        else tx.holding(command.account, command.exchange, command.symbol))
            order = daytime.decide(command, instrument, hours, on, account, order_no=tx.next_order_no(), now=now,
                                   branch=desk.settings.branch)
            tx.insert_order(order, compact_date(on))
            return desk.engine.on_arrival(tx, order, now)

        return work

    def revise_cancel(self, request: RevisionRequest, now: datetime) -> Work[Order]:
        """해외주식 미국주간정정취소: the new record (the revision, or the cancel confirmation)."""
        desk = self.desk
        instrument = desk.instrument_in_market(request.exchange, request.symbol)
        on = local_date(request.exchange, now)
        currency = EXCHANGES[request.exchange].currency
        revise = request.kind is RevisionKind.REVISE
        hours = self._hours()

        def work(tx: Transaction) -> Order:
            original = tx.load_order_for_update(request.original_key)
            tx.lock_account(request.account)
            buy = original is not None and original.side is Side.BUY
            funds = tx.funds(request.account, currency) if revise and buy else None
            decision = daytime.decide_revision(request, instrument, hours, on, original, funds,
                                               order_no=tx.next_order_no(), now=now, branch=desk.settings.branch)
            tx.save_orders(((original, decision.original), (None, decision.record)), compact_date(on))
            if revise:
                return desk.engine.on_arrival(tx, decision.record, now)
            return decision.record

        return work
