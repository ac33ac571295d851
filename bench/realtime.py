"""Benchmark: the real-time WebSocket service (issue 13).

1. Notice latency: resting buys, then prints that fill one each at `--fill-rate` fills/s; the time from
   sending the print (admin API) to receiving the decrypted fill notice on a subscribed socket. An upper
   bound of "fill commit → notice frame": it includes the HTTP request and the commit.
2. Fan-out: `--sessions` sockets (one app each) subscribed to one symbol's HDFSCNT0; prints sent as fast
   as `--senders` concurrent admin requests allow for `--seconds`; frames/s delivered over all sessions
   and the p99 of print sent → frame received.

    .venv/bin/python bench/realtime.py [--fills 600] [--fill-rate 200] [--sessions 200] [--seconds 5]

SQLite server, loopback only, bounded in time. Goals (issue 13): notice p99 <= 10 ms; fan-out >= 50,000
frames/s with p99 <= 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from common import write_result
from tests.serverproc import make_appkey, make_appsecret, running_server  # on sys.path via common
from websockets.asyncio.client import ClientConnection, connect

from localkis.wire.realtime import parse_control, parse_data_frame, subscribe_message

HTS = "benchhts"


def config(admin_token: str, apps: list[tuple[str, str]]) -> str:
    lines = ["[server]", 'market_hours = "ignore"', "rate_limits = false", "token_issue_limit = false",
             f'admin_token = "{admin_token}"', "websocket_queue_frames = 100000", ""]
    for n, (key, secret) in enumerate(apps):
        lines += ["[[apps]]", f'appkey = "{key}"', f'appsecret = "{secret}"', 'env = "real"',
                  f'accounts = ["{80000000 + n:08d}-01"]', f'hts_id = "{HTS}"', ""]
    lines += ["[[accounts]]", 'number = "80000000-01"', 'cash = { USD = "100000000.00" }', "",
              "[[instruments]]", 'exchange = "NASD"', 'symbol = "AAPL"', 'name = "애플"', 'price = "190.00"', ""]
    for n in range(1, len(apps)):
        lines += ["[[accounts]]", f'number = "{80000000 + n:08d}-01"', 'cash = { USD = "1000.00" }', ""]
    return "\n".join(lines)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def approval(http: httpx.AsyncClient, app: tuple[str, str]) -> str:
    r = await http.post("/oauth2/Approval", json={"grant_type": "client_credentials", "appkey": app[0],
                                                   "secretkey": app[1]})
    return str(r.json()["approval_key"])


async def subscribe(ws: ClientConnection, key: str, tr_id: str, tr_key: str) -> Any:
    await ws.send(subscribe_message(key, tr_id, tr_key))
    while True:
        reply = parse_control(await ws.recv())
        if not reply.is_pingpong:
            assert reply.msg_cd == "OPSP0000", reply
            return reply


async def notice_latency(base: str, admin: dict[str, str], app: tuple[str, str], fills: int,
                         rate: float) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        token = (await http.post("/oauth2/tokenP", json={"grant_type": "client_credentials", "appkey": app[0],
                                                         "appsecret": app[1]})).json()["access_token"]
        headers = {"authorization": f"Bearer {token}", "appkey": app[0], "appsecret": app[1],
                   "tr_id": "TTTT1002U", "custtype": "P", "content-type": "application/json"}
        body = {"CANO": "80000000", "ACNT_PRDT_CD": "01", "OVRS_EXCG_CD": "NASD", "PDNO": "AAPL",
                "ORD_QTY": "1", "OVRS_ORD_UNPR": "150.00", "ORD_SVR_DVSN_CD": "0", "ORD_DVSN": "00"}
        for _ in range(fills):
            r = await http.post("/uapi/overseas-stock/v1/trading/order", headers=headers, json=body)
            assert r.json()["rt_cd"] == "0", r.text
        ws = await connect(base.replace("http", "ws") + "/tryitout", max_size=None)
        session_key = (await subscribe(ws, await approval(http, app), "H0GSCNI0", HTS)).session_key
        sent: list[float] = []
        received: list[float] = []

        async def reader() -> None:
            while len(received) < fills:
                text = await ws.recv()
                if isinstance(text, str) and text.startswith("1|"):
                    frame = parse_data_frame(text, session_key)
                    if frame.records[0][12] == "2":  # CNTG_YN 2: a fill
                        received.append(time.perf_counter())

        task = asyncio.create_task(reader())
        interval, start = 1 / rate, time.perf_counter()
        for n in range(fills):
            await asyncio.sleep(max(0.0, start + n * interval - time.perf_counter()))
            sent.append(time.perf_counter())
            await http.post("/localkis/admin/prices", headers=admin,
                            json={"exchange": "NASD", "symbol": "AAPL", "price": "149.99", "size": 1})
        await asyncio.wait_for(task, 30)
        await ws.close()
    lat = [(r - s) * 1000 for s, r in zip(sent, received, strict=True)]
    return {"name": f"notice latency at {rate:g} fills/s", "fills": fills, "p50_ms": round(pct(lat, 0.5), 3),
            "p99_ms": round(pct(lat, 0.99), 3), "max_ms": round(max(lat), 3)}


async def fan_out(base: str, admin: dict[str, str], apps: list[tuple[str, str]], seconds: float,
                  senders: int) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=httpx.Limits(max_connections=senders)) as http:
        sockets: list[ClientConnection] = []
        for app in apps:
            ws = await connect(base.replace("http", "ws") + "/", max_size=None)
            await subscribe(ws, await approval(http, app), "HDFSCNT0", "DNASAAPL")
            sockets.append(ws)
        sent: dict[str, float] = {}
        latencies: list[float] = []
        frames = 0
        stop = asyncio.Event()

        async def read(ws: ClientConnection) -> None:
            nonlocal frames
            while not stop.is_set():
                try:
                    text = await asyncio.wait_for(ws.recv(), 1)
                except TimeoutError:
                    continue
                if isinstance(text, str) and text.startswith("0|HDFSCNT0"):
                    now = time.perf_counter()
                    frames += 1
                    price = text.split("^", 12)[11]
                    if price in sent:
                        latencies.append((now - sent[price]) * 1000)

        readers = [asyncio.create_task(read(ws)) for ws in sockets]
        counter = iter(range(10**7))
        started = time.perf_counter()

        async def send() -> None:
            while time.perf_counter() - started < seconds:
                n = next(counter)
                price = f"{Decimal(100) + Decimal(n) / 10000:.4f}"
                sent[price] = time.perf_counter()
                await http.post("/localkis/admin/prices", headers=admin,
                                json={"exchange": "NASD", "symbol": "AAPL", "price": price})

        await asyncio.gather(*(send() for _ in range(senders)))
        await asyncio.sleep(2)  # let the last frames arrive
        elapsed = time.perf_counter() - started
        stop.set()
        await asyncio.gather(*readers)
        for ws in sockets:
            await ws.close()
    return {"name": f"fan-out to {len(apps)} sessions", "prints": len(sent), "frames": frames,
            "frames_per_s": round(frames / elapsed, 1), "p50_ms": round(pct(latencies, 0.5), 3),
            "p99_ms": round(pct(latencies, 0.99), 3)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fills", type=int, default=600)
    parser.add_argument("--fill-rate", type=float, default=200)
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--senders", type=int, default=4)
    args = parser.parse_args()
    token = secrets.token_hex(12)
    apps = [(make_appkey(), make_appsecret()) for _ in range(max(1, args.sessions))]
    admin = {"authorization": f"Bearer {token}"}
    with tempfile.TemporaryDirectory() as tmp, \
            running_server(config(token, apps), Path(tmp), admin_token=token) as server:
        notice = asyncio.run(notice_latency(server.base_url, admin, apps[0], args.fills, args.fill_rate))
        fan = asyncio.run(fan_out(server.base_url, admin, apps, args.seconds, args.senders))
    print("real-time WebSocket, SQLite server, loopback")
    print(f"{notice['name']:<40} p50 {notice['p50_ms']:8.2f} ms  p99 {notice['p99_ms']:8.2f} ms "
          f"(goal p99 <= 10 ms)")
    print(f"{fan['name']:<40} {fan['frames_per_s']:10.0f} frames/s  p50 {fan['p50_ms']:8.2f} ms  "
          f"p99 {fan['p99_ms']:8.2f} ms  ({fan['prints']} prints; goal >= 50,000 frames/s, p99 <= 50 ms)")
    print("wrote", write_result("realtime", [], results=[notice, fan], sessions=args.sessions,
                                fill_rate=args.fill_rate))
    return 0


if __name__ == "__main__":
    sys.exit(main())
