"""The WebSocket service in process (server.realtime), through its ASGI callable: a consumer that stops
reading is closed once its bounded queue is full, and never slows the desk's commits."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from localkis.domain.hours import MarketHours
from localkis.domain.instruments import Instrument
from localkis.engine.desk import Desk, DeskSettings
from localkis.engine.events import EventBus
from localkis.protocol.env import Env
from localkis.protocol.exchanges import Exchange
from localkis.protocol.realtime import NoticeLayout
from localkis.server.clock import Clock
from localkis.server.realtime import CLOSE_TOO_SLOW, AppProfile, RealtimeService, RealtimeSettings
from localkis.store.sqlite import SqliteStore
from localkis.wire.realtime import subscribe_message

NOW = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)
APPKEY = "PS" + "0" * 34
KEY = "00000000-0000-4000-8000-000000000000"


def test_a_stalled_consumer_is_closed_and_never_slows_commits(tmp_path: Path) -> None:
    async def scenario() -> tuple[list[dict[str, Any]], float]:
        bus = EventBus()
        store = SqliteStore(tmp_path / "t.db")
        desk = Desk(store, MarketHours(date(2026, 3, 1), date(2026, 3, 10)),
                    [Instrument(Exchange.NASD, "AAPL", "애플", Decimal("100.00"))],
                    DeskSettings(branch="01790", enforce_hours=False), bus)
        await store.run(lambda tx: tx.insert_approval_key(KEY, APPKEY, datetime(2099, 1, 1, tzinfo=UTC)))
        service = RealtimeService([AppProfile(APPKEY, Env.REAL, frozenset(), "hts", NoticeLayout.V25)], store,
                                  desk, Clock(NOW), bus, RealtimeSettings(pingpong_seconds=3600, queue_frames=20))
        inbound: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        await inbound.put({"type": "websocket.connect"})
        for tr_id in ("HDFSCNT0", "HDFSASP0"):
            await inbound.put({"type": "websocket.receive", "text": subscribe_message(KEY, tr_id, "DNASAAPL")})
        sent: list[dict[str, Any]] = []
        stalled = asyncio.Event()

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "websocket.send" and len(sent) >= 3:
                await stalled.wait()  # the peer stopped reading: this send never completes
            sent.append(message)

        session = asyncio.create_task(service(  # type: ignore[arg-type]
            {"type": "websocket", "path": "/"}, inbound.get, send))
        await asyncio.sleep(0.1)
        started = time.perf_counter()
        for n in range(200):
            await desk.commit(desk.trade(Exchange.NASD, "AAPL", Decimal("100.00") + n % 5, 1, NOW))
        elapsed = time.perf_counter() - started
        await asyncio.wait_for(session, 10)  # the session ended: closed as too slow
        store.close()
        return sent, elapsed

    sent, elapsed = asyncio.run(scenario())
    assert sent[-1] == {"type": "websocket.close", "code": CLOSE_TOO_SLOW, "reason": "slow consumer"}
    assert elapsed < 5  # 200 commits, none waiting for the socket
