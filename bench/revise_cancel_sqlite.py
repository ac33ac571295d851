"""Benchmark: revise/cancel on one localkis process with durable SQLite vs the floor, and book size.

- revise/cancel vs floor: wrk, 32 connections, the same request shape against a minimal Starlette app
  (uvicorn + httptools + uvloop) and against localkis (SQLite, WAL, synchronous=FULL). Goal ≥ 0.5×
  the floor's requests/s, p99 ≤ 10 ms.
- book size: the same revise/cancel load with 1k vs 1M open orders in the book. Goal p50 ≤ 1.3×.

    .venv/bin/python bench/revise_cancel_sqlite.py [--seconds 10] [--big-book 1000000]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from common import (
    FLOOR_LUA,
    REVISE_CANCEL_LUA,
    Run,
    localkis_server,
    need_wrk,
    preload,
    print_table,
    wait_ready,
    write_result,
    wrk,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.serverproc import free_port


def floor_run(workdir: Path, seconds: int, connections: int) -> Run:
    port = free_port()
    log = workdir / "floor.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("floor_app.py")), str(port)],
                                stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, proc, log)
        return wrk("floor (starlette+httptools)", base, FLOOR_LUA, workdir, seconds=seconds, connections=connections,
                   args=["1", "t", "k", "s"])
    finally:
        proc.terminate()
        proc.wait(30)


def localkis_run(name: str, workdir: Path, book: int, seconds: int, connections: int) -> Run:
    db = workdir / f"{name.replace(' ', '_')}.db"
    preload(f"sqlite:///{db}", book, label="open orders")
    with localkis_server(f"sqlite:///{db}", workdir) as (base, token, appkey, appsecret):
        run = wrk(name, base, REVISE_CANCEL_LUA, workdir, seconds=seconds, connections=connections,
                  args=["1", token, appkey, appsecret])
    if run.ok + run.errors >= book:
        raise RuntimeError(f"{name}: ran out of preloaded orders ({book:,})")
    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--small-book", type=int, default=100_000,
                        help="orders preloaded for the floor comparison (each request uses one)")
    parser.add_argument("--big-book", type=int, default=1_000_000)
    args = parser.parse_args()
    need_wrk()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        floor = floor_run(work, args.seconds, args.connections)
        lk = localkis_run("localkis sqlite", work, args.small_book, args.seconds, args.connections)
        # Book size: the same load, with 1k vs 1M orders in the book (the 1k book is topped up so the load
        # never runs dry: the first 1k orders are the book, the rest are consumed by the requests).
        small = localkis_run("book 1k (+load)", work, 1_000 + int(lk.requests_per_s * args.seconds * 1.5),
                             args.seconds, args.connections)
        big = localkis_run(f"book {args.big_book // 1000}k", work, args.big_book, args.seconds, args.connections)
    ratio = lk.requests_per_s / floor.requests_per_s
    book_ratio = big.p50_ms / small.p50_ms if small.p50_ms else float("inf")
    print_table(f"revise/cancel, {args.connections} connections, {args.seconds}s each, wrk on loopback",
                [floor, lk, small, big])
    print(f"localkis / floor: {ratio:.2f}x (goal >= 0.5x)  p99 {lk.p99_ms:.2f} ms (goal <= 10 ms)")
    print(f"book {args.big_book:,} / 1k p50 latency: {book_ratio:.2f}x (goal <= 1.3x)")
    write_result("revise_cancel_sqlite", [floor, lk, small, big], ratio_vs_floor=ratio, goal_ratio=0.5,
                 p99_goal_ms=10, book_ratio=book_ratio, goal_book_ratio=1.3)
    return 0


if __name__ == "__main__":
    sys.exit(main())
