"""Safe retries: a write whose response is lost is reconciled through the history, never resent.

A TCP proxy between the client and a real server forwards a request, lets the server process it,
and then drops the response (closes the client's connection), or delays it past the client's
timeout, or drops the request before the server sees it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from decimal import Decimal

import pytest

from localkis.client import Exchange, OrderKind, OutcomeUnknown, ServerError
from localkis.protocol.env import Env
from tests.client.conftest import AAPL, World
from tests.client.proxy import Action, Proxy, Seen

ORDER = "/uapi/overseas-stock/v1/trading/order"
RVSECNCL = "/uapi/overseas-stock/v1/trading/order-rvsecncl"
CCNL = "/uapi/overseas-stock/v1/trading/inquire-ccnl"
PRICE = "/uapi/overseas-price/v1/quotations/price"


@pytest.fixture
def proxy(main: World) -> Iterator[Proxy]:
    with Proxy(main.base_url) as p:
        yield p


def to(path: str, dvsn: str | None = None) -> object:
    def match(seen: Seen) -> bool:
        if seen.path != path:
            return False
        return dvsn is None or seen.json().get("RVSE_CNCL_DVSN_CD") == dvsn
    return match


def cancels_of(main: World, account: str, original: str) -> list[dict[str, object]]:
    return [o for o in main.admin.orders_of(account) if o["kind"] == "02" and o["orgn_odno"] == original]


@pytest.mark.parametrize("env", [Env.REAL, Env.MOCK])
def test_lost_cancel_response_is_reconciled_once(main: World, proxy: Proxy, env: Env) -> None:
    kis = main.client(env, base_url=proxy.base_url)
    placed = kis.buy(Exchange.NASD, "AAPL", 4, "150.00")
    proxy.once(to(RVSECNCL, "02"), Action("drop_response"))

    ack = kis.cancel_order(placed.order_no, Exchange.NASD, "AAPL")

    assert ack.reconciled and ack.msg_cd == "" and ack.order is not None
    assert ack.order.kind is OrderKind.CANCEL and ack.order.original_order_no == placed.order_no
    assert ack.order.quantity == 4
    # the server saw exactly one cancel, and the client sent exactly one
    (record,) = cancels_of(main, kis.config.account, placed.order_no)
    assert record["odno"] == ack.order_no
    assert len(proxy.requests_to(RVSECNCL)) == 1
    assert proxy.requests_to(RVSECNCL)[0].action == "drop_response"
    assert proxy.requests_to(CCNL), "reconciled through inquire-ccnl"
    assert kis.stats.reconciliations == 1
    # and the order really is cancelled: nothing open
    assert placed.order_no not in {o.order_no for o in kis.open_orders(Exchange.NASD)}


def test_lost_order_response_is_reconciled(main: World, proxy: Proxy) -> None:
    kis = main.client(base_url=proxy.base_url)
    kis.buy("NASD", "AAPL", 1, "150.00")  # an earlier, different order must not be taken for it
    proxy.once(to(ORDER), Action("drop_response"))
    ack = kis.buy(Exchange.NASD, "AAPL", 7, Decimal("151.00"))
    assert ack.reconciled and ack.order is not None
    assert (ack.order.quantity, ack.order.price, ack.order.kind) == (7, Decimal("151"), OrderKind.NEW)
    orders = main.admin.orders_of(kis.config.account)
    assert [(o["quantity"], o["price"]) for o in orders] == [(1, "150.00"), (7, "151.00")]
    assert ack.order_no == orders[1]["odno"]
    assert len(proxy.requests_to(ORDER)) == 2


def test_lost_revise_response_after_a_timeout_is_reconciled(main: World, proxy: Proxy) -> None:
    kis = main.client(base_url=proxy.base_url, timeout=1.0)
    placed = kis.buy("NASD", "AAPL", 5, "150.00")
    proxy.once(to(RVSECNCL, "01"), Action("delay", seconds=2.0))  # past the client's 1 s read timeout
    ack = kis.revise_order(placed.order_no, "NASD", "AAPL", "152.00", quantity=2)
    assert ack.reconciled and ack.order is not None
    assert (ack.order.kind, ack.order.quantity, ack.order.price) == (OrderKind.REVISE, 2, Decimal("152"))
    revisions = [o for o in main.admin.orders_of(kis.config.account) if o["kind"] == "01"]
    assert [o["odno"] for o in revisions] == [ack.order_no]
    assert len(proxy.requests_to(RVSECNCL)) == 1


def test_request_that_never_arrived_raises_outcome_unknown_without_resending(main: World, proxy: Proxy) -> None:
    kis = main.client(base_url=proxy.base_url, reconcile_attempts=2, reconcile_delay=0.1)
    placed = kis.buy("NASD", "AAPL", 3, "150.00")
    proxy.once(to(RVSECNCL, "02"), Action("drop_request"))
    with pytest.raises(OutcomeUnknown) as caught:
        kis.cancel_order(placed.order_no, "NASD", "AAPL")
    err = caught.value
    assert err.candidates == [] and err.examined >= 1 and err.request["ORGN_ODNO"] == placed.order_no
    assert "RemoteProtocolError" in err.cause or "ReadError" in err.cause
    assert cancels_of(main, kis.config.account, placed.order_no) == []
    assert len(proxy.requests_to(RVSECNCL)) == 1, "never resent blindly"
    assert len(proxy.requests_to(CCNL)) == 2, "looked twice"
    # the user can now decide: the order is still open, a new cancel works
    assert kis.cancel_order(placed.order_no, "NASD", "AAPL").order_no


def test_ambiguous_match_raises_outcome_unknown(main: World, proxy: Proxy) -> None:
    """Two identical orders in the window, neither known to this client: the client will not guess."""
    app = main.app()
    kis = main.client(app=app, base_url=proxy.base_url)
    # the same app and account placing the identical order from another client (another program)
    elsewhere = main.client(app=app, base_url=proxy.base_url, token_cache_dir=kis.config.token_cache_dir)
    elsewhere.buy("NASD", "AAPL", 9, "149.00")
    proxy.once(to(ORDER), Action("drop_response"))
    with pytest.raises(OutcomeUnknown) as caught:
        kis.buy("NASD", "AAPL", 9, "149.00")
    assert len(caught.value.candidates) == 2
    assert len(main.admin.orders_of(kis.config.account)) == 2


def test_reads_are_retried(main: World, proxy: Proxy) -> None:
    kis = main.client(base_url=proxy.base_url)
    proxy.once(to(PRICE), Action("drop_response"))
    proxy.once(to(PRICE), Action("respond", status=502, body=b"<html>bad gateway</html>", content_type="text/html"))
    assert kis.quote("NASD", "AAPL").last == Decimal("190")
    assert [s.action for s in proxy.requests_to(PRICE)] == ["drop_response", "respond", "pass"]
    assert kis.stats.retries == 2


def test_reads_give_up_with_server_error(main: World, proxy: Proxy) -> None:
    kis = main.client(base_url=proxy.base_url, retries=1)
    proxy.once(to(PRICE), Action("respond", status=502, body=b"bad gateway", content_type="text/plain"), times=5)
    with pytest.raises(ServerError) as caught:
        kis.quote("NASD", "AAPL")
    assert caught.value.http_status == 502
    assert len(proxy.requests_to(PRICE)) == 2


def test_write_answered_by_a_server_fault_is_reconciled(main: World, proxy: Proxy) -> None:
    """EGW00002 after the request may have been processed: treated like a lost response."""
    kis = main.client(base_url=proxy.base_url, reconcile_attempts=1)
    body = b'{"rt_cd":"1","msg1":"\xec\x84\x9c\xeb\xb2\x84 \xec\x97\x90\xeb\x9f\xac\xea\xb0\x80 \xeb\xb0\x9c\xec\x83\x9d\xed\x96\x88\xec\x8a\xb5\xeb\x8b\x88\xeb\x8b\xa4.","msg_cd":"EGW00002"}'  # noqa: E501
    proxy.once(to(ORDER), Action("respond", status=500, body=body))
    with pytest.raises(OutcomeUnknown) as caught:
        kis.buy("NASD", "AAPL", 1, "150.00")
    assert "EGW00002" in caught.value.cause
    assert main.admin.orders_of(kis.config.account) == []
    assert len(proxy.requests_to(ORDER)) == 1


def test_async_lost_cancel_is_reconciled(main: World, proxy: Proxy) -> None:
    async def scenario() -> None:
        async with main.aclient(base_url=proxy.base_url) as kis:
            placed = await kis.buy("NASD", "AAPL", 2, AAPL.below)
            proxy.once(to(RVSECNCL, "02"), Action("drop_response"))
            ack = await kis.cancel_order(placed.order_no, "NASD", "AAPL")
            assert ack.reconciled
            assert len(cancels_of(main, kis.config.account, placed.order_no)) == 1

    asyncio.run(scenario())
