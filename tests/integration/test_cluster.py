"""Several server processes on one database, and crash safety (issue: PostgreSQL backend).

Two `localkis serve` processes share one PostgreSQL database: a cancel storm on one order must have
exactly one winner; a random storm of place/revise/cancel/fill must keep every order's quantities
conserved. A server killed with SIGKILL under load must, after a restart, still hold every order
that it acknowledged with rt_cd "0" (SQLite and PostgreSQL).
"""

from __future__ import annotations

import random
import secrets
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.pg import fresh_database
from tests.serverproc import RunningServer, make_appkey, make_appsecret, simple_config, spawn

NOTHING_LEFT = "정정/취소할 수량이 없습니다."
ACCOUNT = "12345678-01"


def cluster_config(admin_token: str, appkey: str, appsecret: str) -> str:
    return simple_config(admin_token, [(appkey, appsecret, "real", ACCOUNT)], cash_usd="100000000.00")


class Trader:
    """A minimal KIS client for load: one token, one httpx client per server."""

    def __init__(self, servers: list[RunningServer], appkey: str, appsecret: str) -> None:
        self.servers = servers
        self.appkey, self.appsecret = appkey, appsecret
        self.local = threading.local()
        with httpx.Client(base_url=servers[0].base_url, timeout=30) as c:
            r = c.post("/oauth2/tokenP", json={"grant_type": "client_credentials", "appkey": appkey,
                                               "appsecret": appsecret})
            r.raise_for_status()
            self.token = r.json()["access_token"]

    def client(self, i: int) -> httpx.Client:
        clients: dict[int, httpx.Client] | None = getattr(self.local, "clients", None)
        if clients is None:
            clients = self.local.clients = {}
        if i not in clients:
            clients[i] = httpx.Client(base_url=self.servers[i].base_url, timeout=30)
        return clients[i]

    def post(self, i: int, path: str, tr_id: str, body: dict[str, str]) -> dict[str, Any]:
        headers = {"authorization": f"Bearer {self.token}", "appkey": self.appkey, "appsecret": self.appsecret,
                   "tr_id": tr_id}
        r = self.client(i).post(path, json=body, headers=headers)
        data: dict[str, Any] = r.json()
        data["_status"] = r.status_code
        return data

    def buy(self, i: int, qty: int, price: str = "190.00") -> dict[str, Any]:
        return self.post(i, "/uapi/overseas-stock/v1/trading/order", "TTTT1002U", {
            "CANO": ACCOUNT[:8], "ACNT_PRDT_CD": ACCOUNT[-2:], "OVRS_EXCG_CD": "NASD", "PDNO": "AAPL",
            "ORD_QTY": str(qty), "OVRS_ORD_UNPR": price, "ORD_SVR_DVSN_CD": "0", "ORD_DVSN": "00"})

    def revise_cancel(self, i: int, odno: str, code: str, qty: int, price: str) -> dict[str, Any]:
        return self.post(i, "/uapi/overseas-stock/v1/trading/order-rvsecncl", "TTTT1004U", {
            "CANO": ACCOUNT[:8], "ACNT_PRDT_CD": ACCOUNT[-2:], "OVRS_EXCG_CD": "NASD", "PDNO": "AAPL",
            "ORGN_ODNO": odno, "RVSE_CNCL_DVSN_CD": code, "ORD_QTY": str(qty), "OVRS_ORD_UNPR": price})

    def fill(self, i: int, odno: str, qty: int, price: str = "190.00") -> int:
        r = self.client(i).post("/localkis/admin/fills", json={"odno": odno, "quantity": qty, "price": price},
                                headers={"authorization": f"Bearer {self.servers[i].admin_token}"})
        return r.status_code


def all_orders(server: RunningServer) -> list[dict[str, Any]]:
    r = httpx.get(server.base_url + "/localkis/admin/orders",
                  headers={"authorization": f"Bearer {server.admin_token}"}, timeout=30)
    r.raise_for_status()
    orders: list[dict[str, Any]] = r.json()["orders"]
    return orders


def check_conservation(orders: list[dict[str, Any]]) -> None:
    """Per record: quantity = filled + cancelled + revised + open; per chain: nothing created or lost."""
    by_no = {o["odno"]: o for o in orders}
    for o in orders:
        if o["kind"] == "02":
            assert by_no[o["orgn_odno"]]["kind"] != "02"
            continue
        parts = (o["filled"], o["cancelled"], o["revised_away"], o["open"])
        assert min(parts) >= 0 and sum(parts) == o["quantity"], o
        if o["kind"] == "01":
            assert o["orgn_odno"] in by_no
    for o in orders:
        if o["kind"] != "00":
            continue
        # Walk the revision chain from the root: filled + cancelled + open over the chain = root quantity.
        total, frontier = 0, [o["odno"]]
        while frontier:
            no = frontier.pop()
            rec = by_no[no]
            total += rec["filled"] + rec["cancelled"] + rec["open"]
            frontier += [r["odno"] for r in orders if r["orgn_odno"] == no and r["kind"] == "01"]
        assert total == o["quantity"], o
    cancelled_by_records: dict[str, int] = {}
    for o in orders:
        if o["kind"] == "02":
            cancelled_by_records[o["orgn_odno"]] = cancelled_by_records.get(o["orgn_odno"], 0) + o["quantity"]
    for no, qty in cancelled_by_records.items():
        assert by_no[no]["cancelled"] == qty, by_no[no]


@pytest.fixture(scope="module")
def pg_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[list[RunningServer], Trader]]:
    admin_token, appkey, appsecret = secrets.token_urlsafe(16), make_appkey(), make_appsecret()
    workdir = tmp_path_factory.mktemp("cluster")
    config = workdir / "localkis.toml"
    config.write_text(cluster_config(admin_token, appkey, appsecret), encoding="utf-8")
    with fresh_database() as url, ExitStack() as stack:
        servers = []
        for _ in range(2):
            server = spawn(config, url, workdir, admin_token=admin_token)
            stack.callback(server.stop)
            servers.append(server)
        yield servers, Trader(servers, appkey, appsecret)


def test_a_token_from_one_process_works_on_the_other(pg_cluster: tuple[list[RunningServer], Trader]) -> None:
    _, trader = pg_cluster
    ack = trader.buy(1, 1)
    assert ack["rt_cd"] == "0", ack


def test_fifty_concurrent_cancels_over_two_processes_have_one_winner(
        pg_cluster: tuple[list[RunningServer], Trader]) -> None:
    servers, trader = pg_cluster
    ack = trader.buy(0, 10)
    assert ack["rt_cd"] == "0", ack
    odno = ack["output"]["ODNO"]
    barrier = threading.Barrier(50)

    def cancel(i: int) -> dict[str, Any]:
        trader.client(i % 2)  # connect before the barrier, so the requests really race
        barrier.wait(timeout=30)
        return trader.revise_cancel(i % 2, odno, "02", 0, "0")

    with ThreadPoolExecutor(50) as pool:
        results = list(pool.map(cancel, range(50)))
    wins = [r for r in results if r["rt_cd"] == "0"]
    losses = [r for r in results if r["rt_cd"] != "0"]
    assert len(wins) == 1, wins
    assert len(losses) == 49
    assert all(r["_status"] == 200 and r["msg1"] == NOTHING_LEFT for r in losses), losses[:3]
    orders = {o["odno"]: o for o in all_orders(servers[1])}
    assert orders[odno]["cancelled"] == 10 and orders[odno]["open"] == 0
    assert sum(1 for o in orders.values() if o["orgn_odno"] == odno) == 1


def test_random_storm_over_two_processes_conserves_quantities(
        pg_cluster: tuple[list[RunningServer], Trader]) -> None:
    servers, trader = pg_cluster
    seeds = [trader.buy(i % 2, 20)["output"]["ODNO"] for i in range(6)]
    live = list(seeds)
    lock = threading.Lock()
    prices = ["189.00", "189.50", "190.00", "190.50", "191.00"]

    def worker(seed: int) -> int:
        rng = random.Random(seed)
        done = 0
        for _ in range(40):
            server = rng.randrange(2)
            with lock:
                target = rng.choice(live)
            action = rng.random()
            if action < 0.15:
                ack = trader.buy(server, rng.randint(1, 20))
                if ack["rt_cd"] == "0":
                    with lock:
                        live.append(ack["output"]["ODNO"])
            elif action < 0.45:
                ack = trader.revise_cancel(server, target, "01", rng.choice([0, 1, 3, 50]), rng.choice(prices))
                if ack["rt_cd"] == "0":
                    with lock:
                        live.append(ack["output"]["ODNO"])
            elif action < 0.7:
                trader.revise_cancel(server, target, "02", rng.choice([0, 1, 2, 100]), "0")
            else:
                trader.fill(server, target, rng.randint(1, 5))
            done += 1
        return done

    with ThreadPoolExecutor(8) as pool:
        assert sum(pool.map(worker, range(8))) == 320
    first, second = all_orders(servers[0]), all_orders(servers[1])
    assert first == second  # both processes see one database
    check_conservation(first)


def _crash_under_load(tmp_path: Path, db_url: str) -> None:
    admin_token, appkey, appsecret = secrets.token_urlsafe(16), make_appkey(), make_appsecret()
    config = tmp_path / "localkis.toml"
    config.write_text(cluster_config(admin_token, appkey, appsecret), encoding="utf-8")
    server = spawn(config, db_url, tmp_path, admin_token=admin_token)
    acked_orders: list[str] = []
    acked_cancels: list[tuple[str, str]] = []
    stop = threading.Event()
    try:
        trader = Trader([server], appkey, appsecret)

        def load(seed: int) -> None:
            rng = random.Random(seed)
            while not stop.is_set():
                try:
                    ack = trader.buy(0, rng.randint(1, 10))
                    if ack["rt_cd"] == "0":
                        acked_orders.append(ack["output"]["ODNO"])
                        if rng.random() < 0.5:
                            odno = ack["output"]["ODNO"]
                            cancel = trader.revise_cancel(0, odno, "02", 0, "0")
                            if cancel["rt_cd"] == "0":
                                acked_cancels.append((odno, cancel["output"]["ODNO"]))
                except (httpx.HTTPError, ValueError):
                    return  # the server died under us: expected

        threads = [threading.Thread(target=load, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 20
        while len(acked_orders) < 150 and time.monotonic() < deadline:
            time.sleep(0.05)
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait(10)
        stop.set()
        for t in threads:
            t.join(30)
    finally:
        stop.set()
        server.stop()
    assert len(acked_orders) >= 50, "the load did not get going before the kill"
    restarted = spawn(config, db_url, tmp_path, admin_token=admin_token)
    try:
        orders = {o["odno"]: o for o in all_orders(restarted)}
        for odno in acked_orders:
            assert odno in orders, f"acknowledged order {odno} lost in the crash"
        for odno, cancel_no in acked_cancels:
            assert orders[cancel_no]["kind"] == "02" and orders[cancel_no]["orgn_odno"] == odno
            assert orders[odno]["open"] == 0 and orders[odno]["state"] == "cancelled"
        check_conservation(list(orders.values()))
        # The restarted server goes on numbering after the last order of the crashed one.
        trader = Trader([restarted], appkey, appsecret)
        ack = trader.buy(0, 1)
        assert ack["rt_cd"] == "0" and ack["output"]["ODNO"] > max(orders)
    finally:
        restarted.stop()


def test_sigkill_under_load_loses_no_acknowledged_order_sqlite(tmp_path: Path) -> None:
    _crash_under_load(tmp_path, f"sqlite:///{tmp_path / 'crash.db'}")


def test_sigkill_under_load_loses_no_acknowledged_order_postgresql(tmp_path: Path) -> None:
    with fresh_database() as url:
        _crash_under_load(tmp_path, url)


def redis_url() -> str:
    import os

    import redis

    url = os.environ.get("LOCALKIS_TEST_REDIS", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        message = f"Redis unavailable at {url}: {exc}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " (CI=true: Redis is required)")
        print(f"\n*** SKIPPING Redis test: {message} ***")
        pytest.skip(message)
    return url


def test_rate_limit_and_token_issue_limit_hold_across_processes(tmp_path: Path) -> None:
    admin_token, appkey, appsecret = secrets.token_urlsafe(16), make_appkey(), make_appsecret()
    text = cluster_config(admin_token, appkey, appsecret)
    text = text.replace("rate_limits = false", f'rate_limits = true\nredis_url = "{redis_url()}"')
    text = text.replace("token_issue_limit = false", "token_issue_limit = true").replace('env = "real"', 'env = "mock"')
    text = text.replace(f'"{ACCOUNT}"', '"50000001-01"')
    config = tmp_path / "localkis.toml"
    config.write_text(text, encoding="utf-8")
    with fresh_database() as url, ExitStack() as stack:
        servers = []
        for _ in range(2):
            server = spawn(config, url, tmp_path, admin_token=admin_token)
            stack.callback(server.stop)
            servers.append(server)
        body = {"grant_type": "client_credentials", "appkey": appkey, "appsecret": appsecret}
        first = httpx.post(servers[0].base_url + "/oauth2/tokenP", json=body, timeout=10)
        assert first.status_code == 200, first.text
        again = httpx.post(servers[1].base_url + "/oauth2/tokenP", json=body, timeout=10)
        assert again.status_code == 403 and again.json()["error_code"] == "EGW00133", again.text
        token = first.json()["access_token"]
        headers = {"authorization": f"Bearer {token}", "appkey": appkey, "appsecret": appsecret,
                   "tr_id": "VTTS3035R"}
        params = {"CANO": "50000001", "ACNT_PRDT_CD": "01", "ORD_STRT_DT": "20260101", "ORD_END_DT": "20301231"}
        clients = [httpx.Client(base_url=s.base_url, timeout=10) for s in servers]
        try:
            for _attempt in range(3):
                # Three calls alternating between the processes inside one wall-clock second: a mock app
                # may make 2 per second in all, so the third is refused whichever process takes it.
                while time.time() % 1 > 0.5:
                    time.sleep(0.01)
                started = time.time()
                replies = [clients[i % 2].get("/uapi/overseas-stock/v1/trading/inquire-ccnl", params=params,
                                              headers=headers) for i in range(3)]
                if int(started) == int(time.time()):
                    break  # all three fell in one second; otherwise wait for the next and try again
                time.sleep(1.1)
            codes = [(r.status_code, r.json()["msg_cd"]) for r in replies]
            assert codes[:2] == [(200, "KIOK0560"), (200, "KIOK0560")], codes
            assert codes[2] == (500, "EGW00201"), codes
        finally:
            for c in clients:
                c.close()
