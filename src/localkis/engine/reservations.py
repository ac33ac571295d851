"""The reservation desk: 예약주문 commands as store work, and the forwarding of due reservations at their
market's open — each claimed in one transaction and turned into an order by the order API's decision."""

from __future__ import annotations

from datetime import datetime

from localkis.domain import reservations
from localkis.domain.accounts import Funds, Holding
from localkis.domain.hours import SessionState, compact_date, local_date
from localkis.domain.orders import Order
from localkis.domain.reservations import Reservation, ReservationQuery, ReserveCommand
from localkis.engine.desk import Desk, Work
from localkis.engine.events import BookEvent, Event, OrderEventKind, order_events
from localkis.protocol.exchanges import EXCHANGES, Exchange
from localkis.protocol.orders import Side
from localkis.store.base import Transaction

# Reservations forwarded per transaction (a larger backlog takes several).
FORWARD_BATCH = 100


class ReservationDesk:
    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    def reserve(self, command: ReserveCommand, now: datetime) -> Work[Reservation]:
        """해외주식 예약주문접수: the waiting reservation (no cash or holdings check, as KIS)."""
        instrument = self.desk.instruments.get((command.exchange, command.symbol))
        hours = self.desk.hours if self.desk.settings.enforce_hours else None
        forward_at = reservations.forward_time(command.exchange, now, hours)
        on = local_date(command.exchange, now)

        def work(tx: Transaction) -> Reservation:
            reservation = reservations.decide(command, instrument, number=tx.next_order_no(), now=now,
                                              forward_at=forward_at, on=on)
            tx.insert_reservation(reservation)
            return reservation

        return work

    def cancel(self, account: str, number: str, receipt_date: str, now: datetime) -> Work[Reservation]:
        """해외주식 예약주문접수취소 (and the Asia cancel through order-resv): the cancelled reservation."""

        def work(tx: Transaction) -> Reservation:
            found = tx.load_reservation_for_update(number.zfill(10))
            cancelled = reservations.cancel(found, account, receipt_date, now)
            tx.update_reservation(cancelled)
            return cancelled

        return work

    def forward_due(self, now: datetime) -> Work[list[tuple[Reservation, Order | None]]]:
        """Every reservation due at `now` (up to a batch), as an order or a refusal, in one transaction."""
        desk = self.desk

        def work(tx: Transaction, events: list[Event]) -> list[tuple[Reservation, Order | None]]:
            claimed = tx.claim_due_reservations(now, FORWARD_BATCH)
            # Accounts are locked in one order by every forwarder, so two never wait on each other.
            claimed.sort(key=lambda r: (r.account, r.number))
            done: list[tuple[Reservation, Order | None]] = []
            for reservation in claimed:
                exchange = reservation.exchange
                on = local_date(exchange, now)
                tx.lock_account(reservation.account)
                account: Funds | Holding = (
                    tx.funds(reservation.account, EXCHANGES[exchange].currency) if reservation.side is Side.BUY
                    else tx.holding(reservation.account, exchange, reservation.symbol))
                updated, order = reservations.forward(
                    reservation, desk.instruments.get((exchange, reservation.symbol)), desk._session(exchange, now),
                    on, account, order_no=tx.next_order_no(), now=now, branch=desk.settings.branch,
                    closes_at=self._close(exchange, now))
                if order is not None:
                    tx.insert_order(order, compact_date(on))
                    order = desk.engine.on_arrival(tx, order, now)
                    events += order_events(None, order, OrderEventKind.ACCEPTED, now)
                    events.append(BookEvent(order.exchange, order.symbol, now))
                tx.update_reservation(updated)
                done.append((updated, order))
            return done

        return desk.recorded(work)

    def _close(self, exchange: Exchange, now: datetime) -> datetime | None:
        """The end of the regular session open at `now` (None: hours not enforced, or none is open)."""
        if not self.desk.settings.enforce_hours:
            return None
        for window in self.desk.hours.windows(exchange, local_date(exchange, now)):
            if window.kind is SessionState.REGULAR and window.start <= now < window.end:
                return window.end
        return None

    def expire_due(self, now: datetime) -> Work[list[tuple[Reservation, Order | None]]]:
        """After the close: every sent US reservation's order still open is cancelled (a cancel record)."""
        branch = self.desk.settings.branch

        def work(tx: Transaction, events: list[Event]) -> list[tuple[Reservation, Order | None]]:
            claimed = tx.claim_expiring_reservations(now, FORWARD_BATCH)
            done: list[tuple[Reservation, Order | None]] = []
            for reservation in claimed:
                order = tx.load_order_for_update(reservation.order_no) if reservation.order_no else None
                tx.lock_account(reservation.account)
                updated, revision = reservations.expire(reservation, order, order_no=tx.next_order_no(), now=now,
                                                        branch=branch)
                if revision is not None:
                    on = local_date(reservation.exchange, now)
                    tx.save_orders(((order, revision.original), (None, revision.record)), compact_date(on))
                    events += order_events(None, revision.record, OrderEventKind.CANCELLED, now)
                    events.append(BookEvent(revision.record.exchange, revision.record.symbol, now))
                tx.update_reservation(updated)
                done.append((updated, revision.record if revision is not None else None))
            return done

        return self.desk.recorded(work)

    def next_due(self) -> datetime | None:
        """When the earliest waiting reservation is due (a read: the forwarder writes only when one is)."""
        with self.desk.store.read() as tx:
            return tx.next_reservation_due()

    def listing(self, query: ReservationQuery) -> list[tuple[Reservation, Order | None]]:
        """A page of the account's reservations with the orders they became."""
        with self.desk.store.read() as tx:
            found = tx.list_reservations(query.account, query.exchanges, query.date_from, query.date_to,
                                         query.after, query.limit)
            orders = tx.orders_by_number([r.order_no for r in found if r.order_no])
        return [(r, orders.get(r.order_no)) for r in found]
