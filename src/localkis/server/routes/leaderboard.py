"""A contest's leaderboard (issue 17): every account's return since a start time, split into realised
and unrealised P/L, valued in KRW at the fixed rates of the balance answers.

`POST /localkis/admin/leaderboard/start` records each account's equity, funding (opening cash and
deposits) and unrealised P/L now; `GET /localkis/admin/leaderboard` compares with that record (taking
it at the first request if none was taken). Since the start:
    P/L        = equity change − funding added (a deposit is not a gain)
    unrealised = unrealised P/L now − unrealised P/L at the start
    realised   = P/L − unrealised
    return     = P/L ÷ (equity at the start + funding added)
An account opened after the start starts from its funding (equity = funding, nothing unrealised)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any, NamedTuple

from starlette.requests import Request

from localkis.engine.desk import Desk
from localkis.protocol.balances import KRW_RATES
from localkis.protocol.exchanges import EXCHANGES
from localkis.server.auth import Apps
from localkis.server.clock import Clock
from localkis.store.base import Store, Transaction, read

LEADERBOARD_SETTING = "leaderboard_start"
FUNDING_KINDS = frozenset({"opening", "deposit"})
WON = Decimal("1")


class Valuation(NamedTuple):
    equity: Decimal  # KRW: cash plus positions at their last price
    funding: Decimal  # KRW: opening cash and deposits
    unrealised: Decimal  # KRW: (last − average) × quantity over the positions


def _krw(amount: Decimal, currency: str) -> Decimal:
    return amount * KRW_RATES.get(currency, Decimal(1))


class LeaderboardRoutes:
    def __init__(self, desk: Desk, store: Store, clock: Clock, apps: Apps,
                 numbers: Callable[[], Awaitable[list[str]]]) -> None:
        self.desk = desk
        self.store = store
        self.clock = clock
        self.apps = apps
        self.numbers = numbers  # every account (AdminRoutes._numbers)

    def _value(self, number: str) -> Valuation:
        snap = self.desk.snapshot(number)
        equity = sum((_krw(f.cash, c) for c, f in snap.funds.items()), Decimal(0))
        unrealised = Decimal(0)
        for exchange, symbol, holding in snap.holdings:
            position = holding.position
            last = self.desk.last_price(exchange, symbol) or position.average_price
            currency = EXCHANGES[exchange].currency
            equity += _krw(last * position.quantity, currency)
            unrealised += _krw((last - position.average_price) * position.quantity, currency)
        funding = sum((_krw(v, c) for (c, kind), v in snap.ledger.items() if kind in FUNDING_KINDS), Decimal(0))
        return Valuation(equity, funding, unrealised)

    async def _values(self) -> dict[str, Valuation]:
        return {n: await read(self.store, self._value, n) for n in await self.numbers()}

    async def _record_start(self) -> dict[str, Any]:
        values = await self._values()
        start = {"at": self.clock.now().isoformat(),
                 "accounts": {n: [str(v.equity), str(v.funding), str(v.unrealised)] for n, v in values.items()}}
        text = json.dumps(start)

        def work(tx: Transaction) -> None:
            tx.set_setting(LEADERBOARD_SETTING, text)

        await self.store.run(work)
        return start

    async def start(self, request: Request) -> dict[str, object]:
        start = await self._record_start()
        return {"start": start["at"], "accounts": sorted(start["accounts"])}

    async def board(self, request: Request) -> dict[str, object]:
        return await self.standings()

    async def standings(self) -> dict[str, object]:
        """The leaderboard: ranked rows of every account (the admin API's answer; the dashboard shows it)."""
        def saved() -> str | None:
            with self.store.read() as tx:
                return tx.setting(LEADERBOARD_SETTING)

        text = await read(self.store, saved)
        start = json.loads(text) if text else await self._record_start()
        begun = {n: Valuation(*(Decimal(x) for x in v)) for n, v in start["accounts"].items()}
        rows: list[dict[str, Any]] = []
        for number, now in (await self._values()).items():
            then = begun.get(number, Valuation(now.funding, now.funding, Decimal(0)))
            added = now.funding - then.funding
            pnl = now.equity - then.equity - added
            unrealised = now.unrealised - then.unrealised
            base = then.equity + added
            rows.append({"account": number, "apps": self._app_names(number),
                         "equity_krw": str(now.equity.quantize(WON)), "pnl_krw": str(pnl.quantize(WON)),
                         "realised_krw": str((pnl - unrealised).quantize(WON)),
                         "unrealised_krw": str(unrealised.quantize(WON)),
                         "return_pct": str((pnl / base * 100).quantize(Decimal("0.01")) if base else Decimal("0.00"))})
        rows.sort(key=lambda r: (-Decimal(str(r["return_pct"])), str(r["account"])))
        for rank, row in enumerate(rows, start=1):
            row["rank"] = rank
        return {"start": start["at"], "rates_krw": {c: str(r) for c, r in KRW_RATES.items()}, "leaderboard": rows}

    def _app_names(self, number: str) -> list[str]:
        return sorted(str(a.name) for a in self.apps if a.owns(number) and a.name)
