"""Order records in any state, for tests of the layers that store, list and render them.

`place`, `cancel` and `revise` build records with the decisions' own constructors
(`place_order.record`, `revise_cancel.act`) but none of their market, session or account checks, so
a test can store any record the server could write.
"""

from __future__ import annotations

from datetime import datetime

from localkis.domain import place_order, revise_cancel
from localkis.domain.orders import NewOrder, Order, RevisionRequest


def place(command: NewOrder, order_no: str, now: datetime, branch: str = "01790") -> Order:
    return place_order.record(command, order_no, now, branch)


def _act(original: Order, request: RevisionRequest, order_no: str, now: datetime,
         branch: str) -> tuple[Order, Order]:
    decision = revise_cancel.act(revise_cancel.find_target(original, request), request, order_no=order_no, now=now,
                                 branch=branch)
    return decision.original, decision.record


def cancel(original: Order, request: RevisionRequest, order_no: str, now: datetime,
           branch: str = "01790") -> tuple[Order, Order]:
    """(updated original, cancel record)."""
    return _act(original, request, order_no, now, branch)


def revise(original: Order, request: RevisionRequest, order_no: str, now: datetime,
           branch: str = "01790") -> tuple[Order, Order]:
    """(updated original, replacement)."""
    return _act(original, request, order_no, now, branch)
