"""Each fault kind as the client libraries see it (issue 16): localkis.client, whose safe retry must prove
itself (a dropped cancel is reconciled, never resent), and python-kis, which sees the raw failure."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from localkis.client import KisClient, OrderKind, RateLimited
from localkis.testing import LocalKis, patch_pykis


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalKis]:
    with LocalKis(tmp_path_factory.mktemp("faults-clients")) as running:
        yield running


@pytest.fixture
def kis(server: LocalKis) -> Iterator[LocalKis]:
    server.reset()
    yield server
    server.close_clients()


def cancels(server: LocalKis) -> list[dict[str, object]]:
    return [o for o in server.admin.orders() if o["kind"] == "02"]


def test_localkis_client_reconciles_a_dropped_cancel_and_never_resends(kis: LocalKis) -> None:
    client: KisClient = kis.client()
    placed = client.buy("NASD", "AAPL", 3, "100.00")
    kis.admin.add_fault("order-rvsecncl", kind="drop_after_commit")
    ack = client.cancel_order(placed.order_no, "NASD", "AAPL")
    assert ack.reconciled
    (cancel,) = cancels(kis)  # exactly one cancel reached the server
    assert cancel["odno"] == ack.order_no and cancel["orgn_odno"] == placed.order_no
    assert client.open_orders("NASD") == []


def test_localkis_client_after_drop_before_commit(kis: LocalKis) -> None:
    client = kis.client(reconcile_delay=0.05)
    kis.admin.add_fault("order", kind="drop_before_commit")
    with pytest.raises(Exception) as caught:  # nothing happened: the client says the outcome is settled
        client.buy("NASD", "AAPL", 1, "100.00")
    assert kis.admin.orders() == []
    assert type(caught.value).__name__ in ("OutcomeUnknown", "OrderNotPlaced", "NetworkError"), caught.value


def test_localkis_client_retries_an_egw00201_burst(kis: LocalKis) -> None:
    client = kis.client()
    kis.admin.add_fault("order", msg_cd="EGW00201", nth=1, times=3)
    ack = client.buy("NASD", "AAPL", 1, "100.00")  # refused three times unprocessed, then accepted
    assert ack.order_no and len(kis.admin.orders()) == 1
    kis.admin.add_fault("order", msg_cd="EGW00201", times=0)
    with pytest.raises(RateLimited):
        kis.client(rate_limit_retries=2).buy("NASD", "AAPL", 1, "100.00")


def test_localkis_client_sees_latency(kis: LocalKis) -> None:
    client = kis.client()
    client.quote("NASD", "AAPL")
    kis.admin.add_fault("price", kind="latency", latency_ms=300)
    started = time.monotonic()
    client.quote("NASD", "AAPL")
    assert time.monotonic() - started >= 0.3


def pykis_client(kis: LocalKis) -> object:
    from pykis import PyKis

    app = kis.real_app
    return PyKis(id=app.hts_id, account=app.account, appkey=app.appkey, secretkey=app.appsecret,
                 use_websocket=False, keep_token=False)


def test_python_kis_sees_each_fault_kind(kis: LocalKis, tmp_path: Path) -> None:
    from pykis import KisAPIError

    with patch_pykis(kis.base_url):
        account = pykis_client(kis).account()  # type: ignore[attr-defined]
        kis.admin.add_fault("order", msg_cd="EGW00201")
        account.buy("NASDAQ", "AAPL", price=100, qty=1)  # python-kis retries EGW00201 itself
        assert kis.admin.faults()[0]["fired"] == 1
        kis.admin.clear_faults()

        kis.admin.add_fault("order", kind="latency", latency_ms=300)
        started = time.monotonic()
        account.buy("NASDAQ", "AAPL", price=100, qty=1)
        assert time.monotonic() - started >= 0.3

        kis.admin.add_fault("order", kind="drop_before_commit")
        with pytest.raises(requests.ConnectionError):
            account.buy("NASDAQ", "AAPL", price=100, qty=1)
        assert len(kis.admin.orders()) == 2

        order = account.buy("NASDAQ", "AAPL", price=100, qty=1)
        kis.admin.add_fault("order-rvsecncl", kind="drop_after_commit")
        with pytest.raises(requests.ConnectionError):
            order.cancel()
        # python-kis does not know the cancel went through: a bot that simply retries cancels twice,
        # and KIS refuses the second (nothing left to cancel).
        assert len(cancels(kis)) == 1
        with pytest.raises(KisAPIError):
            order.cancel()
        assert len(cancels(kis)) == 1
    assert OrderKind  # the client's order kinds are what `cancels` reads ("02": cancel)
