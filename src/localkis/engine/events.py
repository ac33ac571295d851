"""Committed changes as events: what the desk's works did, published only after their transaction commits.

A desk command's work is a `Recorded` work: each run of it starts a fresh event list (a store may run a
work twice when a batch is undone), and the events of the run that committed are published by
`Desk.commit` once the store has answered. Publishing happens on the event loop, in the order the store
answers, which is commit order: the SQLite store answers a batch's callers in the batch's order and
batches one after another; on PostgreSQL every writer locks the account (and a print the instrument's
last trade), so two works touching the same account or symbol commit, and are answered, one after the
other.

`EventBus` is the in-process fan-out: subscribers get every published batch through a callback that
must not block (a WebSocket session puts frames on its own bounded queue; a dashboard may do the same).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Generic, TypeVar

from localkis.domain.orders import Order
from localkis.protocol.exchanges import Exchange
from localkis.store.base import Transaction

log = logging.getLogger("localkis")

T = TypeVar("T")


class OrderEventKind(StrEnum):
    ACCEPTED = "accepted"  # a new order taken
    REVISED = "revised"  # a revision taken (its record: the new order number, the original's number)
    CANCELLED = "cancelled"  # a cancel taken (its record: the cancel confirmation)
    REJECTED = "rejected"  # an order refused after it was taken (localkis refuses at the REST answer: unused)
    FILLED = "filled"  # a fill, partial or full


@dataclass(frozen=True, slots=True)
class OrderEvent:
    """Something that happened to one order of an account.

    `order` is the record after the change (a fill: the order with the fill counted; a revise: the new
    revision record; a cancel: the cancel confirmation record). `quantity`/`price` are the fill's on
    FILLED, else the record's own quantity and price.
    """

    kind: OrderEventKind
    order: Order
    quantity: int
    price: Decimal
    at: datetime


@dataclass(frozen=True, slots=True)
class PrintEvent:
    """A print on the tape: a trade of an instrument at `price` (`size` None: the unlimited kind)."""

    exchange: Exchange
    symbol: str
    price: Decimal
    size: int | None
    at: datetime


@dataclass(frozen=True, slots=True)
class BookEvent:
    """The book of an instrument may have changed (a print moved it, or a resting order came or went)."""

    exchange: Exchange
    symbol: str
    at: datetime


Event = OrderEvent | PrintEvent | BookEvent


class Recorded(Generic[T]):
    """A work that records the events of its run: `events` holds those of the latest run."""

    __slots__ = ("body", "events")

    def __init__(self, body: Callable[[Transaction, list[Event]], T]) -> None:
        self.body = body
        self.events: list[Event] = []

    def __call__(self, tx: Transaction) -> T:
        events: list[Event] = []
        result = self.body(tx, events)
        self.events = events  # only a run that returned: a raising run's changes are rolled back
        return result


def order_events(before: Order | None, after: Order, kind: OrderEventKind, at: datetime) -> list[Event]:
    """The events of a record written by a command: the record's own, then the fill it got on arrival."""
    events: list[Event] = [OrderEvent(kind, _unfilled(before, after), after.quantity, after.price, at)]
    filled = after.filled - (before.filled if before is not None else 0)
    if filled > 0:
        amount = after.filled_amount - (before.filled_amount if before is not None else Decimal(0))
        events.append(OrderEvent(OrderEventKind.FILLED, after, filled, amount / filled, at))
    return events


def _unfilled(before: Order | None, after: Order) -> Order:
    """The record as it was taken, before its arrival fill (the notice of a taken order shows no fill)."""
    if before is None and after.filled:
        return after._replace(filled=0, filled_amount=Decimal(0))
    return after


def fill_event(order: Order, quantity: int, price: Decimal, at: datetime) -> OrderEvent:
    return OrderEvent(OrderEventKind.FILLED, order, quantity, price, at)


Subscriber = Callable[[Sequence[Event]], None]


class EventBus:
    """In-process fan-out of committed events, in commit order.

    `publish` calls every subscriber in turn on the caller's thread (the event loop); a subscriber must
    only hand the events on (e.g. to a bounded queue), never wait. One that raises is logged and kept.
    """

    def __init__(self) -> None:
        self._subscribers: dict[int, Subscriber] = {}
        self._next = 0
        self.published = 0  # events published so far (for tests and the health page)

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Add a subscriber; returns the function that removes it."""
        token = self._next
        self._next += 1
        self._subscribers[token] = subscriber

        def unsubscribe() -> None:
            self._subscribers.pop(token, None)

        return unsubscribe

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    def publish(self, events: Sequence[Event]) -> None:
        if not events:
            return
        self.published += len(events)
        for subscriber in list(self._subscribers.values()):
            try:
                subscriber(events)
            except Exception:
                log.exception("event subscriber failed; it stays subscribed")
