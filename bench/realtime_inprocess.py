"""Benchmark: the WebSocket service's own fan-out cost, in process (no network, no websocket encoding).

`--sessions` sessions of the ASGI endpoint (`server.realtime.RealtimeService`) with a `send` that only
counts, all subscribed to one symbol's HDFSCNT0; `--prints` prints committed through `Desk.commit` on a
SQLite store, `--batch` at a time (they share a commit). Reports frames/s handed to `send` and the p50/p99 of print
committed → frame handed to `send`. What the network path adds is measured by bench/realtime.py.

    .venv/bin/python bench/realtime_inprocess.py [--sessions 200] [--prints 2000] [--batch 10]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from common import write_result

from localkis.domain.hours import MarketHours
from localkis.domain.instruments import Instrument
from localkis.engine.desk import Desk, DeskSettings
from localkis.engine.events import EventBus
from localkis.protocol.env import Env
from localkis.protocol.exchanges import Exchange
from localkis.protocol.realtime import NoticeLayout
from localkis.server.clock import Clock
from localkis.server.realtime import AppProfile, RealtimeService, RealtimeSettings
from localkis.store.sqlite import SqliteStore
from localkis.wire.realtime import subscribe_message

NOW = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(sessions: int, prints: int, batch: int, workdir: Path) -> dict[str, Any]:
    bus = EventBus()
    store = SqliteStore(workdir / "bench.db")
    desk = Desk(store, MarketHours(date(2026, 3, 1), date(2026, 3, 10)),
                [Instrument(Exchange.NASD, "AAPL", "애플", Decimal("100.00"))],
                DeskSettings(branch="01790", enforce_hours=False), bus)
    keys = [f"{n:036d}" for n in range(sessions)]
    for key in keys:
        await store.run(lambda tx, key=key: tx.insert_approval_key(key, key, datetime(2099, 1, 1, tzinfo=UTC)))
    service = RealtimeService([AppProfile(k, Env.REAL, frozenset(), f"h{n}", NoticeLayout.V25)
                               for n, k in enumerate(keys)], store, desk, Clock(NOW), bus,
                              RealtimeSettings(pingpong_seconds=3600, queue_frames=1_000_000))
    committed: dict[str, float] = {}
    latencies: list[float] = []
    frames = 0
    done = asyncio.Event()

    def session(key: str) -> Any:
        inbound: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        inbound.put_nowait({"type": "websocket.connect"})
        inbound.put_nowait({"type": "websocket.receive", "text": subscribe_message(key, "HDFSCNT0", "DNASAAPL")})

        async def send(message: dict[str, Any]) -> None:
            nonlocal frames
            text = message.get("text", "")
            if text.startswith("0|HDFSCNT0"):
                frames += 1
                at = committed.get(text.split("^", 12)[11])
                if at is not None:
                    latencies.append((time.perf_counter() - at) * 1000)
                if frames == sessions * prints:
                    done.set()

        return asyncio.create_task(service({"type": "websocket", "path": "/"}, inbound.get, send))  # type: ignore[arg-type]

    tasks = [session(k) for k in keys]
    await asyncio.sleep(0.5)
    started = time.perf_counter()
    async def commit(n: int) -> None:
        price = Decimal(100) + Decimal(n) / 10000
        await desk.commit(desk.trade(Exchange.NASD, "AAPL", price, 1, NOW))
        committed[f"{price:.4f}"] = time.perf_counter()

    for first in range(0, prints, batch):  # `batch` prints in flight: they share a commit (group commit)
        await asyncio.gather(*(commit(n) for n in range(first, min(prints, first + batch))))
    await asyncio.wait_for(done.wait(), 120)
    elapsed = time.perf_counter() - started
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    store.close()
    return {"name": f"in-process fan-out to {sessions} sessions", "prints": prints, "frames": frames,
            "frames_per_s": round(frames / elapsed, 1), "p50_ms": round(pct(latencies, 0.5), 3),
            "p99_ms": round(pct(latencies, 0.99), 3)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--prints", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=10, help="prints committed together")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = asyncio.run(run(args.sessions, args.prints, args.batch, Path(tmp)))
    print(f"{result['name']:<40} {result['frames_per_s']:10.0f} frames/s  p50 {result['p50_ms']:8.2f} ms  "
          f"p99 {result['p99_ms']:8.2f} ms  ({result['prints']} prints)")
    print("wrote", write_result("realtime_inprocess", [], results=[result]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
