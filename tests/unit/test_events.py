"""The desk's committed events (engine.events): what each command publishes, in commit order, and
nothing for a command that failed."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from localkis.domain.errors import BusinessError
from localkis.domain.hours import MarketHours
from localkis.domain.instruments import Instrument
from localkis.domain.orders import NewOrder, RevisionRequest
from localkis.engine.desk import Desk, DeskSettings
from localkis.engine.events import BookEvent, Event, EventBus, OrderEvent, OrderEventKind, PrintEvent
from localkis.protocol.env import Env
from localkis.protocol.exchanges import Exchange
from localkis.protocol.orders import RevisionKind, Side
from localkis.store.sqlite import SqliteStore

D = Decimal
NOW = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)
ACCOUNT = "11111111-01"
AAPL = Instrument(Exchange.NASD, "AAPL", "애플", D("100.00"))


def _desk(tmp_path: Path) -> tuple[Desk, list[Event]]:
    bus = EventBus()
    seen: list[Event] = []

    def collect(events: Sequence[Event]) -> None:
        seen.extend(events)

    bus.subscribe(collect)
    desk = Desk(SqliteStore(tmp_path / "t.db"), MarketHours(date(2026, 3, 1), date(2026, 3, 10)), [AAPL],
                DeskSettings(branch="01790", enforce_hours=False), bus)
    return desk, seen


def _buy(quantity: int, price: str) -> NewOrder:
    return NewOrder(ACCOUNT, Env.REAL, Exchange.NASD, "AAPL", Side.BUY, "00", quantity, D(price), "TTTT1002U")


def _kinds(events: list[Event]) -> list[str]:
    return [e.kind.value if isinstance(e, OrderEvent) else type(e).__name__ for e in events]


def test_place_fill_revise_cancel_publish_in_order(tmp_path: Path) -> None:
    async def scenario() -> list[Event]:
        desk, seen = _desk(tmp_path)
        await desk.store.run(desk.open_account(ACCOUNT, {"USD": D("10000")}, [], NOW))
        order = await desk.commit(desk.place(_buy(10, "99.00"), NOW))
        await desk.commit(desk.trade(Exchange.NASD, "AAPL", D("98.00"), 4, NOW))
        revised = await desk.commit(desk.revise_cancel(RevisionRequest(
            RevisionKind.REVISE, ACCOUNT, Env.REAL, Exchange.NASD, "AAPL", order.order_no, 0, D("97.00"),
            "TTTT1004U"), NOW))
        await desk.commit(desk.revise_cancel(RevisionRequest(
            RevisionKind.CANCEL, ACCOUNT, Env.REAL, Exchange.NASD, "AAPL", revised.order_no, 0, D(0),
            "TTTT1004U"), NOW))
        with pytest.raises(BusinessError):  # refused: nothing committed, nothing published
            await desk.commit(desk.place(_buy(1_000_000, "99.00"), NOW))
        desk.store.close()
        return seen

    seen = asyncio.run(scenario())
    assert _kinds(seen) == ["accepted", "BookEvent", "filled", "PrintEvent", "BookEvent",
                            "revised", "BookEvent", "cancelled", "BookEvent"]
    accepted, fill = seen[0], seen[2]
    assert isinstance(accepted, OrderEvent) and isinstance(fill, OrderEvent)
    assert (accepted.quantity, accepted.price, accepted.order.filled) == (10, D("99.00"), 0)
    assert (fill.quantity, fill.price, fill.order.filled) == (4, D("99.00"), 4)
    revise, cancel = seen[5], seen[7]
    assert isinstance(revise, OrderEvent) and isinstance(cancel, OrderEvent)
    assert (revise.order.original_no, revise.quantity, revise.price) == (accepted.order.order_no, 6, D("97.00"))
    assert (cancel.order.original_no, cancel.quantity) == (revise.order.order_no, 6)
    trade = seen[3]
    assert isinstance(trade, PrintEvent) and (trade.price, trade.size) == (D("98.00"), 4)


def test_arrival_fill_follows_its_acceptance(tmp_path: Path) -> None:
    async def scenario() -> list[Event]:
        desk, seen = _desk(tmp_path)
        await desk.store.run(desk.open_account(ACCOUNT, {"USD": D("10000")}, [], NOW))
        await desk.commit(desk.trade(Exchange.NASD, "AAPL", D("100.00"), None, NOW))
        seen.clear()
        await desk.commit(desk.place(_buy(3, "101.00"), NOW))
        desk.store.close()
        return seen

    seen = asyncio.run(scenario())
    assert _kinds(seen) == ["accepted", "filled", "BookEvent"]
    fill = seen[1]
    assert isinstance(fill, OrderEvent) and fill.kind is OrderEventKind.FILLED
    assert (fill.quantity, fill.price) == (3, D("100.00"))
    assert isinstance(seen[2], BookEvent)


def test_batched_commits_publish_in_commit_order(tmp_path: Path) -> None:
    """Works submitted together (one SQLite batch) are published in the order they committed."""

    async def scenario() -> list[Event]:
        desk, seen = _desk(tmp_path)
        await desk.store.run(desk.open_account(ACCOUNT, {"USD": D("100000")}, [], NOW))
        results = await asyncio.gather(*(desk.commit(desk.place(_buy(1, f"{90 + i}.00"), NOW)) for i in range(20)),
                                       desk.commit(desk.place(_buy(10**7, "99.00"), NOW)), return_exceptions=True)
        assert isinstance(results[-1], BusinessError)
        desk.store.close()
        return seen

    seen = asyncio.run(scenario())
    numbers = [e.order.order_no for e in seen if isinstance(e, OrderEvent)]
    assert len(numbers) == 20 and numbers == sorted(numbers)


def test_a_failing_subscriber_does_not_stop_the_others() -> None:
    bus = EventBus()
    got: list[Event] = []

    def bad(events: Sequence[Event]) -> None:
        raise RuntimeError("boom")

    bus.subscribe(bad)
    unsubscribe = bus.subscribe(got.extend)
    event = PrintEvent(Exchange.NASD, "AAPL", D(1), None, NOW)
    bus.publish([event])
    unsubscribe()
    bus.publish([event])
    assert got == [event] and bus.subscribers == 1
