"""The client's reservation, US daytime and history/P&L methods against a real server (sync and async)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from localkis.client import AsyncKisClient, ClientConfig, Exchange, KisClient, Side
from localkis.client.errors import MarketClosed
from localkis.protocol.env import Env
from tests.client.conftest import AppCreds, World, _world
from tests.client.test_cli import env_for, run  # noqa: F401 (env_for is a fixture)

DAY = date(2026, 11, 24)


def at(world: World, iso: str) -> datetime:
    """Pin the server clock (frozen); the clients below run on the same instant, so their tokens agree."""
    world.admin.clock(time=iso, frozen=True)
    return datetime.fromisoformat(iso)


def client(world: World, moment: datetime, app: AppCreds | None = None) -> KisClient:
    """A client on the server's pinned instant; `app` (default a fresh one) and a token cache of its own."""
    kis = KisClient(ClientConfig(**world.options(app or world.app(), None, {})), clock=lambda: moment)
    world._opened.append(kis)
    return kis


@pytest.fixture(scope="module")
def pinned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    # Tokens issued at several pinned instants of one app: no token issuance limit.
    yield from _world(tmp_path_factory, "client-extended", {"market_hours": "enforce", "token_issue_limit": False},
                      real=8, mock=2, prefix="8")


def test_reservations(pinned: World) -> None:
    app = pinned.app()
    kis = client(pinned, at(pinned, "2026-11-24T10:00:00+09:00"), app)
    ack = kis.reserve(Exchange.NASD, "AAPL", Side.BUY, 2, "190.00")
    assert ack.msg_cd == "APBK0013" and ack.tr_id == "TTTT3014U" and len(ack.number) == 10
    other = kis.reserve("NASD", "AAPL", "sell", 1, "200.00")
    (row,) = [r for r in kis.reservations(DAY) if r.number == ack.number]
    assert (row.status, row.side, row.quantity, row.price, row.order_no) == ("01", Side.BUY, 2, Decimal(190), "")
    cancelled = kis.cancel_reservation(other.number, DAY)
    assert cancelled.msg_cd == "APBK1711" and cancelled.number == other.number
    assert {r.number: r.cancelled for r in kis.reservations(DAY)} == {ack.number: False, other.number: True}
    # The Asia TR, and its cancel through order-resv.
    kis = client(pinned, at(pinned, "2026-11-24T09:30:00+09:00"), app)
    jp = kis.reserve("TKSE", "7203", "buy", 100, "2500")
    assert jp.tr_id == "TTTS3013U" and jp.receipt_date == "20261124"
    assert kis.cancel_reservation(jp.number, DAY, "TKSE", "7203").msg_cd == "APBK1711"
    assert [r.cancelled for r in kis.reservations(DAY, asia=True)] == [True]
    # Sent at the open.
    kis = client(pinned, at(pinned, "2026-11-24T23:30:01+09:00"), app)
    deadline = time.monotonic() + 10
    while (row := next(r for r in kis.reservations(DAY) if r.number == ack.number)).status == "01":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert row.status == "02" and len(row.order_no) == 10


def test_daytime(pinned: World) -> None:
    app = pinned.app()
    kis = client(pinned, at(pinned, "2026-11-24T11:00:00+09:00"), app)
    ack = kis.daytime_buy("NASD", "AAPL", 3, "150.00")
    assert ack.tr_id == "TTTS6036U" and ack.msg_cd == "APBK0013"
    revised = kis.daytime_revise(ack.order_no, "NASD", "AAPL", "151.00")
    assert revised.tr_id == "TTTS6038U" and revised.order_no != ack.order_no
    cancelled = kis.daytime_cancel(revised.order_no, "NASD", "AAPL")
    assert cancelled.tr_id == "TTTS6038U"
    kis = client(pinned, at(pinned, "2026-11-24T19:00:00+09:00"), app)
    with pytest.raises(MarketClosed):
        kis.daytime_sell("NASD", "AAPL", 1, "200.00")


def test_profit_and_transactions_async(pinned: World) -> None:
    moment = at(pinned, "2026-11-24T23:45:00+09:00")

    async def run() -> None:
        config = ClientConfig(**pinned.options(pinned.app(), None, {}))
        async with AsyncKisClient(config, clock=lambda: moment) as kis:
            buy = await kis.buy("NASD", "AAPL", 10, "100.00")
            sell = await kis.sell("NASD", "AAPL", 5, "120.00")
            for odno, qty, price in ((buy.order_no, 10, "100.00"), (sell.order_no, 5, "120.00")):
                resp = pinned.admin.http.post("/localkis/admin/fills",
                                              json={"odno": odno, "quantity": qty, "price": price})
                assert resp.status_code == 200, resp.text
            (row,) = await kis.profit(date(2026, 11, 1), date(2026, 11, 30), "NASD")
            # The account opened with 100,000 AAPL at 190.00: the basis is their average with the buy.
            assert row.symbol == "AAPL" and row.quantity == 5 and row.fees == Decimal("1.50")
            assert row.profit == row.sell_amount - row.buy_amount - row.fees
            trades = await kis.transactions(date(2026, 11, 1), date(2026, 11, 30))
            assert [(t.side, t.quantity) for t in trades] == [(Side.BUY, 10), (Side.SELL, 5)]
            assert trades[1].fee == Decimal("1.50") and trades[1].settlement_date == "20261125"

    asyncio.run(run())


def test_cli(main: World, env_for: Any, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    env_for(main.app(Env.REAL))
    assert run(["reserve", "buy", "AAPL", "1", "150.00", "--json"]) == 0
    (ack,) = json.loads(capsys.readouterr().out)["items"]
    assert ack["tr_id"] == "TTTT3014U" and len(ack["number"]) == 10
    assert run(["reservations", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)["items"]
    assert row["number"] == ack["number"] and row["symbol"] == "AAPL"
    assert run(["reservations"]) == 0
    assert "reservations (1)" in capsys.readouterr().out
    assert run(["pnl", "--from", "2020-01-01", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["items"] == []
    assert run(["pnl"]) == 0
    assert "realised P/L (0)" in capsys.readouterr().out
