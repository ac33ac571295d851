"""The daytime desk: US daytime orders and their revisions/cancels, written by the order desk's works
(same lock order, fill engine and events) under the daytime API's rules."""

from __future__ import annotations

from datetime import datetime

from localkis.domain import daytime
from localkis.domain.hours import MarketHours, local_date
from localkis.domain.orders import NewOrder, Order, RevisionRequest
from localkis.engine.desk import Desk, Work


class DaytimeDesk:
    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    def _hours(self) -> MarketHours | None:
        return self.desk.hours if self.desk.settings.enforce_hours else None

    def place(self, command: NewOrder, now: datetime) -> Work[Order]:
        """해외주식 미국주간주문: the new order, filled at once if it crosses the last print."""
        desk = self.desk
        instrument = desk.instruments.get((command.exchange, command.symbol))
        on, hours = local_date(command.exchange, now), self._hours()
        return desk.new_order(command, now, lambda account, order_no: daytime.decide(
            command, instrument, hours, on, account, order_no=order_no, now=now, branch=desk.settings.branch))

    def revise_cancel(self, request: RevisionRequest, now: datetime) -> Work[Order]:
        """해외주식 미국주간정정취소: the new record (the revision, or the cancel confirmation)."""
        desk = self.desk
        instrument = desk.instrument_in_market(request.exchange, request.symbol)
        on, hours = local_date(request.exchange, now), self._hours()
        return desk.revision(request, now, lambda original, funds, order_no: daytime.decide_revision(
            request, instrument, hours, on, original, funds, order_no=order_no, now=now,
            branch=desk.settings.branch))
