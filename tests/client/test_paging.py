"""open_orders and order_history follow every page (tr_cont F/M → "N" with the ctx_area cursors)."""

from __future__ import annotations

import asyncio

from localkis.client import Exchange
from localkis.protocol.apis import Api, path_of
from localkis.protocol.env import ENV_RULES, Env
from localkis.protocol.fields import NCCS_PAGE_SIZE
from tests.client.conftest import Wire, World

NCCS = path_of(Api.INQUIRE_NCCS)
CCNL = path_of(Api.INQUIRE_CCNL)
CCNL_PAGE_SIZE_REAL = ENV_RULES[Env.REAL].ccnl_page_size
CCNL_PAGE_SIZE_MOCK = ENV_RULES[Env.MOCK].ccnl_page_size


def pages(n: int, size: int) -> int:
    return -(-n // size)


def test_105_orders_real(main: World) -> None:
    wire: list[Wire] = []
    kis = main.client(wire=wire)
    placed = [kis.buy("NASD", "AAPL", 1, f"{100 + i}.00").order_no for i in range(105)]
    cancelled = kis.cancel_order(placed[7], "NASD", "AAPL").order_no
    wire.clear()

    opened = kis.open_orders(Exchange.NASD)
    assert [o.order_no for o in opened] == [n for n in placed if n != placed[7]]
    nccs = [w for w in wire if w.path == NCCS]
    assert len(nccs) == pages(104, NCCS_PAGE_SIZE) == 3
    assert [w.tr_cont for w in nccs] == ["", "N", "N"]
    assert nccs[0].params["CTX_AREA_NK200"] == "" and nccs[1].params["CTX_AREA_NK200"].strip()
    assert len(nccs[1].params["CTX_AREA_NK200"]) == 200, "the cursor goes back as KIS sent it"

    wire.clear()
    history = kis.order_history()
    assert [o.order_no for o in history] == [*placed, cancelled]
    ccnl = [w for w in wire if w.path == CCNL]
    assert len(ccnl) == pages(106, CCNL_PAGE_SIZE_REAL) == 6
    assert [w.tr_cont for w in ccnl] == ["", "N", "N", "N", "N", "N"]
    newest = kis.order_history(newest_first=True)
    assert [o.order_no for o in newest] == [cancelled, *placed[::-1]]


def test_mock_pages_of_15(main: World) -> None:
    wire: list[Wire] = []
    kis = main.client(Env.MOCK, wire=wire)
    placed = [kis.buy("NASD", "AAPL", 1, f"{100 + i}.00").order_no for i in range(35)]
    wire.clear()
    assert [o.order_no for o in kis.order_history()] == placed
    assert len([w for w in wire if w.path == CCNL]) == pages(35, CCNL_PAGE_SIZE_MOCK) == 3


def test_async_paging(main: World) -> None:
    async def scenario() -> None:
        async with main.aclient() as kis:
            placed = [(await kis.buy("NASD", "TSLA", 1, f"{200 + i}.00")).order_no for i in range(45)]
            opened = await kis.open_orders("NASD")
            history = await kis.order_history(symbol="TSLA")
            assert [o.order_no for o in opened] == placed
            assert [o.order_no for o in history] == placed

    asyncio.run(scenario())
