"""The reservation forwarder: a background task that, on the server clock, sends every reservation whose
market has opened (`ReservationDesk.forward_due`). Every server process runs one; the store's claim makes
each reservation go once however many run (PostgreSQL: FOR UPDATE SKIP LOCKED)."""

from __future__ import annotations

import asyncio
import logging

from localkis.engine.reservations import FORWARD_BATCH, ReservationDesk
from localkis.server.clock import Clock
from localkis.store.base import Store, read

log = logging.getLogger("localkis")

# Seconds of real time between looks for due reservations: a reservation goes within this of its open.
FORWARD_INTERVAL = 0.25


async def forward_reservations(desk: ReservationDesk, store: Store, clock: Clock,
                               interval: float = FORWARD_INTERVAL) -> None:
    """Forward due reservations until cancelled."""
    while True:
        try:
            due = await read(store, desk.next_due)
            now = clock.now()
            if due is None or due > now:  # nothing to send: no write transaction at all
                await asyncio.sleep(interval)
                continue
            done = await desk.desk.commit(desk.forward_due(now))
            for reservation, order in done:
                log.info("reservation %s %s", reservation.number,
                         f"became order {order.order_no}" if order is not None else f"refused: {reservation.reason}")
            expired = await desk.desk.commit(desk.expire_due(now))
            for reservation, cancel in expired:
                if cancel is not None:
                    log.info("reservation %s: order %s cancelled after the close", reservation.number,
                             reservation.order_no)
            if len(done) >= FORWARD_BATCH or len(expired) >= FORWARD_BATCH:
                continue  # a backlog: the next batch at once
        except Exception:  # a store hiccup must not end forwarding for the server's life
            log.exception("reservation forwarding failed; retrying")
        await asyncio.sleep(interval)
