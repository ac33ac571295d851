"""Benchmark: per-call overhead of KisClient vs python-kis vs a plain `requests` call per request (the
official samples' style), and async throughput with 64 calls in flight vs the sync client.

One `localkis serve` process on loopback serves every client in the same run (rate limits off, token
limit off, market hours ignored). Per call we report:

- latency: wall time per call, sequential (mean and median of the rounds);
- overhead: latency minus the floor, where the floor is a raw keep-alive socket that writes prebuilt
  request bytes and reads the answer (≈ the server's own time plus loopback);
- client CPU: the benchmark process's CPU time per call (the server is another process, so this is
  the client's own work — parsing, validation, headers, connection handling).

Quotes (GET HHDFS00000300) are measured for all four; orders (POST) for KisClient, requests.post and
the floor (python-kis's `buy()` makes several calls per order, so it is left out there).

Throughput, async (64 in flight) vs sync (sequential), twice: on bare loopback, where the server and
the client share two cores and the server is the limit; and through a proxy process that delays every
answer by --latency-ms (the real KIS is a network away), where waiting dominates as it does in use.

    .venv/bin/python bench/client_overhead.py [--calls 400] [--rounds 6] [--orders 150] [--async-calls 3000]
                                              [--latency-ms 20]

Writes bench/results/client_overhead.json. Loopback only; bounded (about a minute).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.serverproc import make_appkey, make_appsecret, running_server  # noqa: E402

from localkis.client import AsyncKisClient, KisClient  # noqa: E402

RESULTS = REPO / "bench" / "results" / "client_overhead.json"
PRICE_PATH = "/uapi/overseas-price/v1/quotations/price"
ORDER_PATH = "/uapi/overseas-stock/v1/trading/order"
QUOTE_PARAMS = {"AUTH": "", "EXCD": "NAS", "SYMB": "AAPL"}
APPS = ("kisclient", "pykis", "requests", "floor", "async")


def config(admin: str, apps: dict[str, tuple[str, str, str]]) -> str:
    lines = ["[server]", 'market_hours = "ignore"', "rate_limits = false", "token_issue_limit = false",
             f'admin_token = "{admin}"', ""]
    for key, secret, account in apps.values():
        lines += ["[[apps]]", f'appkey = "{key}"', f'appsecret = "{secret}"', 'env = "real"',
                  f'accounts = ["{account}"]', ""]
    for _, _, account in apps.values():
        lines += ["[[accounts]]", f'number = "{account}"', 'cash = { USD = "1000000000000.00" }', ""]
    lines += ["[[instruments]]", 'exchange = "NASD"', 'symbol = "AAPL"', 'name = "애플"', 'price = "190.00"', ""]
    return "\n".join(lines)


def issue_token(base: str, key: str, secret: str) -> str:
    resp = requests.post(base + "/oauth2/tokenP", json={"grant_type": "client_credentials", "appkey": key,
                                                         "appsecret": secret}, timeout=10)
    resp.raise_for_status()
    return str(resp.json()["access_token"])


def kis_headers(token: str, key: str, secret: str, tr_id: str) -> dict[str, str]:
    """The official kis_auth.py header set."""
    return {"Content-Type": "application/json", "Accept": "text/plain", "charset": "UTF-8",
            "User-Agent": "bench", "authorization": f"Bearer {token}", "appkey": key, "appsecret": secret,
            "tr_id": tr_id, "custtype": "P", "tr_cont": ""}


def order_body(account: str, price: str) -> dict[str, str]:
    cano, prdt = account.split("-")
    return {"CANO": cano, "ACNT_PRDT_CD": prdt, "OVRS_EXCG_CD": "NASD", "PDNO": "AAPL", "ORD_QTY": "1",
            "OVRS_ORD_UNPR": price, "CTAC_TLNO": "", "MGCO_APTM_ODNO": "", "SLL_TYPE": "", "ORD_SVR_DVSN_CD": "0",
            "ORD_DVSN": "00"}


class RawFloor:
    """One keep-alive socket, prebuilt request bytes, answers read by Content-Length: no client to speak of."""

    def __init__(self, base: str, headers: dict[str, str]) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.address = (host, int(port))
        self.headers = headers
        self.host = f"{host}:{port}"
        self._connect()

    def _connect(self) -> None:
        self.sock = socket.create_connection(self.address)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = self.sock.makefile("rb")
        self.last = time.monotonic()

    def request_bytes(self, method: str, target: str, tr_id: str, body: bytes = b"") -> bytes:
        lines = [f"{method} {target} HTTP/1.1", f"Host: {self.host}"]
        lines += [f"{k}: {v}" for k, v in {**self.headers, "tr_id": tr_id}.items()]
        if body:
            lines.append(f"Content-Length: {len(body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body

    def send(self, raw: bytes) -> bytes:
        if time.monotonic() - self.last > 3.0:  # the server drops idle keep-alive connections after 5 s
            self.sock.close()
            self._connect()
        self.last = time.monotonic()
        self.sock.sendall(raw)
        length = 0
        while True:
            line = self.reader.readline()
            if line in (b"\r\n", b""):
                break
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        return self.reader.read(length)


def measure(fn: Callable[[int], Any], calls: int) -> dict[str, float]:
    samples = []
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for i in range(calls):
        t = time.perf_counter()
        fn(i)
        samples.append(time.perf_counter() - t)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return {"mean_ms": wall / calls * 1000, "median_ms": statistics.median(samples) * 1000,
            "cpu_ms": cpu / calls * 1000}


def rounds(cases: dict[str, Callable[[int], Any]], calls: int, n_rounds: int) -> dict[str, dict[str, float]]:
    """Each case `calls` times per round, the order rotated every round; the median of the rounds."""
    names = list(cases)
    per: dict[str, list[dict[str, float]]] = {n: [] for n in names}
    for r in range(n_rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            per[name].append(measure(cases[name], calls))
    return {n: {k: statistics.median(m[k] for m in per[n]) for k in per[n][0]} for n in names}


def interleaved(cases: dict[str, Callable[[int], Any]], calls: int) -> dict[str, dict[str, float]]:
    """Call after call, every case in turn (the order rotated): for a server whose time per call drifts
    (each resting order makes the next one slower), every case sees the same drift."""
    names = list(cases)
    wall: dict[str, list[float]] = {n: [] for n in names}
    cpu: dict[str, list[float]] = {n: [] for n in names}
    for i in range(calls):
        k = i % len(names)
        for name in names[k:] + names[:k]:
            c0, t0 = time.process_time(), time.perf_counter()
            cases[name](i)
            wall[name].append(time.perf_counter() - t0)
            cpu[name].append(time.process_time() - c0)
    return {n: {"mean_ms": statistics.fmean(wall[n]) * 1000, "median_ms": statistics.median(wall[n]) * 1000,
                "cpu_ms": statistics.fmean(cpu[n]) * 1000} for n in names}


async def async_throughput(client: AsyncKisClient, total: int, inflight: int) -> float:
    remaining = [total]

    async def worker() -> None:
        while remaining[0] > 0:
            remaining[0] -= 1
            await client.quote("NASD", "AAPL")

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(inflight)))
    return total / (time.perf_counter() - started)


async def raw_throughput(base: str, raw: bytes, total: int, inflight: int) -> float:
    """The server's own capacity: `inflight` raw keep-alive connections, no client logic."""
    host, port = base.removeprefix("http://").split(":")
    remaining = [total]

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        while remaining[0] > 0:
            remaining[0] -= 1
            writer.write(raw)
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(inflight)))
    return total / (time.perf_counter() - started)


async def delay_proxy(listen_port: int, upstream: str, delay: float) -> None:
    """Forward TCP to `upstream`; every server→client chunk arrives `delay` seconds after the server sent it
    (a network's one-way latency: chunks are delayed, not queued behind each other's delays)."""
    host, port = upstream.removeprefix("http://").split(":")
    loop = asyncio.get_running_loop()

    async def forward(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def delayed(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, data = await queue.get()
                if not data:
                    break
                await asyncio.sleep(max(0.0, due - loop.time()))
                writer.write(data)
                await writer.drain()

        sender = asyncio.create_task(deliver())
        try:
            while data := await reader.read(65536):
                queue.put_nowait((loop.time() + delay, data))
        except (ConnectionError, OSError):
            pass
        finally:
            queue.put_nowait((0.0, b""))
            with contextlib.suppress(ConnectionError, OSError):
                await sender
            writer.close()

    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection(host, int(port))
        await asyncio.gather(forward(client_r, server_w), delayed(server_r, client_w))

    server = await asyncio.start_server(handle, "127.0.0.1", listen_port)
    async with server:
        await server.serve_forever()


def start_delay_proxy(upstream: str, delay: float) -> tuple[subprocess.Popen[bytes], str]:
    from tests.serverproc import free_port

    port = free_port()
    proc = subprocess.Popen([sys.executable, __file__, "--delay-proxy", str(port), upstream, str(delay)])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("delay proxy did not start")


def main() -> int:
    if len(sys.argv) == 5 and sys.argv[1] == "--delay-proxy":
        asyncio.run(delay_proxy(int(sys.argv[2]), sys.argv[3], float(sys.argv[4])))
        return 0
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=int, default=400, help="quote calls per client per round")
    ap.add_argument("--orders", type=int, default=150,
                    help="order calls per client per round (orders run interleaved: orders × rounds / 2 calls)")
    ap.add_argument("--rounds", type=int, default=6, help="a multiple of 3 rotates every client through every slot")
    ap.add_argument("--async-calls", type=int, default=3000)
    ap.add_argument("--inflight", type=int, default=64)
    ap.add_argument("--latency-ms", type=float, default=20.0,
                    help="network latency simulated by a delay proxy for the second async-vs-sync run")
    ap.add_argument("--latency-calls", type=int, default=1500)
    args = ap.parse_args()

    apps = {name: (make_appkey(), make_appsecret(), f"{70000000 + i}-01") for i, name in enumerate(APPS)}
    admin = secrets.token_urlsafe(16)
    workdir = Path(tempfile.mkdtemp(prefix="client-bench-"))
    with running_server(config(admin, apps), workdir, admin_token=admin) as srv:
        base = srv.base_url
        # --- clients ---------------------------------------------------------------------------------
        k, s, a = apps["kisclient"]
        ours = KisClient.local(base, k, s, a, rate_per_second=0, token_cache_dir=workdir / "tokens")
        ours.access_token()

        import pykis.__env__
        import pykis.kis
        from pykis import PyKis
        from pykis.utils.rate_limit import RateLimiter

        pykis.kis.REAL_DOMAIN = pykis.__env__.REAL_DOMAIN = base  # type: ignore[attr-defined]
        pykis.kis.VIRTUAL_DOMAIN = pykis.__env__.VIRTUAL_DOMAIN = base  # type: ignore[attr-defined]
        k, s, a = apps["pykis"]
        pk = PyKis(id="bench", account=a, appkey=k, secretkey=s, keep_token=False, use_websocket=False)
        pk._rate_limiters = {"real": RateLimiter(10**9, 1), "virtual": RateLimiter(10**9, 1)}  # pacing off
        pk.token  # noqa: B018  (issue it now)

        k, s, a = apps["requests"]
        req_token, req_key, req_secret, req_account = issue_token(base, k, s), k, s, a

        k, s, a = apps["floor"]
        floor = RawFloor(base, {**kis_headers(issue_token(base, k, s), k, s, ""), "Content-Type": "application/json"})
        floor_quote = floor.request_bytes("GET", PRICE_PATH + "?" + urlencode(QUOTE_PARAMS), "HHDFS00000300")
        floor_account = a

        def q_ours(i: int) -> Any:
            return ours.quote("NASD", "AAPL")

        def q_pykis(i: int) -> Any:
            return pk.fetch(PRICE_PATH, api="HHDFS00000300", params=QUOTE_PARAMS, domain="real")

        def q_requests(i: int) -> Any:
            res = requests.get(base + PRICE_PATH, headers=kis_headers(req_token, req_key, req_secret, "HHDFS00000300"),
                               params=QUOTE_PARAMS)
            body = res.json()
            assert res.status_code == 200 and body["rt_cd"] == "0"
            return body

        def q_floor(i: int) -> Any:
            return floor.send(floor_quote)

        # sanity: every client gets the same answer
        assert ours.quote("NASD", "AAPL").last is not None
        assert q_pykis(0).output.last and q_requests(0)["output"]["last"] and b'"rt_cd":"0"' in q_floor(0)
        for fn in (q_ours, q_pykis, q_requests, q_floor):  # warm-up
            for i in range(50):
                fn(i)

        print(f"quotes: {args.rounds} rounds × {args.calls} calls per client …", flush=True)
        quote = rounds({"KisClient": q_ours, "python-kis": q_pykis, "requests.get per call": q_requests,
                        "floor (raw socket)": q_floor}, args.calls, args.rounds)

        def price(i: int) -> str:
            return f"{100 + (i % 5000) / 100:.2f}"

        def o_ours(i: int) -> Any:
            return ours.buy("NASD", "AAPL", 1, price(i))

        def o_requests(i: int) -> Any:
            res = requests.post(base + ORDER_PATH, headers=kis_headers(req_token, req_key, req_secret, "TTTT1002U"),
                                data=json.dumps(order_body(req_account, price(i))))
            body = res.json()
            assert res.status_code == 200 and body["rt_cd"] == "0", body
            return body

        def o_floor(i: int) -> Any:
            body = json.dumps(order_body(floor_account, price(i))).encode()
            out = floor.send(floor.request_bytes("POST", ORDER_PATH, "TTTT1002U", body))
            assert b'"rt_cd":"0"' in out, out
            return out

        print(f"orders: {args.orders * args.rounds // 2} calls per client, interleaved …", flush=True)
        order = interleaved({"KisClient": o_ours, "requests.post per call": o_requests, "floor (raw socket)": o_floor},
                            args.orders * args.rounds // 2)

        # --- async vs sync throughput ------------------------------------------------------------------
        print(f"async: {args.async_calls} quotes with {args.inflight} in flight …", flush=True)
        k, s, a = apps["async"]

        async def run_async() -> float:
            async with AsyncKisClient.local(base, k, s, a, rate_per_second=0,
                                            token_cache_dir=workdir / "tokens") as client:
                await client.access_token()
                await async_throughput(client, 200, args.inflight)  # warm-up: open the connections
                return await async_throughput(client, args.async_calls, args.inflight)

        async_rate = asyncio.run(run_async())
        started = time.perf_counter()
        for _ in range(args.async_calls // 3):
            ours.quote("NASD", "AAPL")
        sync_rate = (args.async_calls // 3) / (time.perf_counter() - started)
        server_rate = asyncio.run(raw_throughput(base, floor_quote, args.async_calls, args.inflight))
        ours.close()

        # --- the same with a network between client and server (KIS is not on loopback) ------------------
        print(f"async vs sync behind a {args.latency_ms:.0f} ms delay proxy …", flush=True)
        proxy, proxied = start_delay_proxy(base, args.latency_ms / 1000)
        try:
            far = KisClient.local(proxied, k, s, a, rate_per_second=0, token_cache_dir=workdir / "tokens")
            far.quote("NASD", "AAPL")
            n_sync = max(20, int(2.0 / (args.latency_ms / 1000 + 0.001)))  # about two seconds
            started = time.perf_counter()
            for _ in range(n_sync):
                far.quote("NASD", "AAPL")
            far_sync = n_sync / (time.perf_counter() - started)
            far.close()

            async def run_far() -> float:
                async with AsyncKisClient.local(proxied, k, s, a, rate_per_second=0,
                                                token_cache_dir=workdir / "tokens") as client:
                    await async_throughput(client, 200, args.inflight)
                    return await async_throughput(client, args.latency_calls, args.inflight)

            far_async = asyncio.run(run_far())
        finally:
            proxy.kill()
            proxy.wait()

    floor_q, floor_o = quote["floor (raw socket)"]["mean_ms"], order["floor (raw socket)"]["mean_ms"]
    for table, fl in ((quote, floor_q), (order, floor_o)):
        for row in table.values():
            row["overhead_ms"] = row["mean_ms"] - fl
    ours_q, ours_o = quote["KisClient"]["overhead_ms"], order["KisClient"]["overhead_ms"]
    ratios = {
        "quote_vs_python_kis": ours_q / quote["python-kis"]["overhead_ms"],
        "quote_vs_requests": ours_q / quote["requests.get per call"]["overhead_ms"],
        "order_vs_requests": ours_o / order["requests.post per call"]["overhead_ms"],
        "quote_cpu_vs_python_kis": quote["KisClient"]["cpu_ms"] / quote["python-kis"]["cpu_ms"],
        "quote_cpu_vs_requests": quote["KisClient"]["cpu_ms"] / quote["requests.get per call"]["cpu_ms"],
        "async_vs_sync": async_rate / sync_rate,
        "async_vs_sync_with_latency": far_async / far_sync,
    }

    def show(title: str, table: dict[str, dict[str, float]]) -> None:
        print(f"\n{title}")
        print(f"{'client':<26}{'latency ms':>12}{'median ms':>11}{'overhead ms':>13}{'client CPU ms':>15}")
        for name, row in table.items():
            print(f"{name:<26}{row['mean_ms']:>12.3f}{row['median_ms']:>11.3f}{row['overhead_ms']:>13.3f}"
                  f"{row['cpu_ms']:>15.3f}")

    show("quote (GET HHDFS00000300), per call, sequential", quote)
    show("order (POST TTTT1002U), per call, sequential", order)
    print(f"\nthroughput: AsyncKisClient {args.inflight} in flight {async_rate:,.0f}/s · KisClient sequential "
          f"{sync_rate:,.0f}/s · ratio {ratios['async_vs_sync']:.1f}× · server capacity (raw sockets, "
          f"{args.inflight} connections) {server_rate:,.0f}/s")
    print(f"with {args.latency_ms:.0f} ms network latency: AsyncKisClient {far_async:,.0f}/s · KisClient "
          f"{far_sync:,.0f}/s · ratio {ratios['async_vs_sync_with_latency']:.1f}×")
    print("\nKisClient overhead ÷ other's overhead (goal ≤ 0.5): "
          + ", ".join(f"{k} {v:.2f}" for k, v in ratios.items() if not k.startswith("async")))

    result = {
        "benchmark": "client_overhead",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "settings": vars(args),
        "quote_per_call": quote,
        "order_per_call": order,
        "throughput_per_second": {"async_kisclient": async_rate, "sync_kisclient": sync_rate,
                                  "server_raw_sockets": server_rate},
        "throughput_per_second_with_latency": {"latency_ms": args.latency_ms, "async_kisclient": far_async,
                                               "sync_kisclient": far_sync},
        "ratios": ratios,
        "goals": {"overhead_ratio_max": 0.5, "async_vs_sync_min": 10.0},
        "notes": ("overhead = latency − raw-socket floor (same server, same run); client CPU = benchmark-process "
                  "CPU per call; quotes in rotated blocks, orders interleaved call by call (the server's time per "
                  "order grows with the resting book); requests is called without a Session, as the official "
                  "samples do; python-kis through PyKis.fetch with its 19/s limiter off; every client unpaced; "
                  "the latency run puts a proxy process between client and server that delays every answer."),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwrote {RESULTS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
