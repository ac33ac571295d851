"""The server's lifespan: opening balances, then the `[engine]` price source as a background task.

`source = "manual"` (the default) runs nothing: prices move only through `POST /localkis/admin/prices`
(and `localkis price set` / `localkis replay`), so a started server is deterministic.
`source = "random_walk"` runs a `RandomWalkRunner` on the server clock for the server's lifetime;
every tick goes through `Desk.trade` and the store's run path, like an admin price.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from decimal import Decimal
from typing import Any

from starlette.applications import Starlette

from localkis.engine.desk import Desk
from localkis.engine.sources import RandomWalk, RandomWalkRunner, Tick, WalkSpec
from localkis.protocol.exchanges import Exchange
from localkis.server.clock import Clock
from localkis.server.config import EngineSection, instrument_key
from localkis.store.base import Store, read

log = logging.getLogger("localkis")


def random_walk(engine: EngineSection, instruments: list[tuple[Exchange, str, bool]]) -> RandomWalk:
    """The walk the config asks for over `instruments` ((exchange, symbol, topix500), the server's list)."""
    topix = {(e, s): t for e, s, t in instruments}
    keys = [instrument_key(k) for k in engine.symbols] if engine.symbols is not None else list(topix)
    vols = {instrument_key(k): v for k, v in engine.volatilities.items()}
    specs = [WalkSpec(e, s, vols.get((e, s), engine.volatility), topix.get((e, s), False)) for e, s in keys]
    return RandomWalk(specs, seed=engine.seed, size=engine.size)


def runner_for(engine: EngineSection, desk: Desk, store: Store, clock: Clock) -> RandomWalkRunner:
    walk = random_walk(engine, [(i.exchange, i.symbol, i.topix500) for i in desk.instruments.values()])

    async def price_of(exchange: Exchange, symbol: str) -> Decimal | None:
        return await read(store, desk.last_price, exchange, symbol)

    async def trade(tick: Tick) -> object:
        return await desk.commit(desk.trade(tick.exchange, tick.symbol, tick.price, tick.size, tick.at))

    return RandomWalkRunner(walk, interval=engine.interval_seconds, now=clock.now, price_of=price_of, trade=trade)


class WalkControl:
    """The random walk as a switch: `[engine] source = "random_walk"` starts it with the server; the
    dashboard starts and stops it at run time. One walk per process, on the server clock."""

    def __init__(self, engine: EngineSection, desk: Desk, store: Store, clock: Clock) -> None:
        self._parts = (desk, store, clock)
        self.engine = engine
        self.runner: RandomWalkRunner | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if self.running:
            return
        self.runner = self.runner or runner_for(self.engine, *self._parts)
        log.info("random walk: seed %d, %d instruments, every %gs of server time", self.engine.seed,
                 len(self.runner.walk.keys), self.engine.interval_seconds)
        self._task = asyncio.create_task(self.runner.run(), name="localkis-random-walk")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def lifespan(walk: WalkControl, on_start: Callable[[], Awaitable[None]],
             background: Sequence[Callable[[], Coroutine[Any, Any, None]]] = ()
             ) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    """Starlette lifespan: `on_start`, then the configured price source and the `background` tasks until
    shutdown."""

    @asynccontextmanager
    async def span(app: Starlette) -> AsyncIterator[None]:
        await on_start()
        if walk.engine.source == "random_walk":
            walk.start()
        others = [asyncio.create_task(run()) for run in background]
        try:
            yield
        finally:
            for other in others:
                other.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await other
            await walk.stop()

    return span
