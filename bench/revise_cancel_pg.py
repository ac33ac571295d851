"""Benchmark: revise/cancel throughput with 1 and 2 server processes on one PostgreSQL database.

Each run gets a fresh database with N open orders (inserted through the store, not timed), then wrk
sends revise (odd order numbers) and cancel (even) requests, each for a different open order, over
32 connections for a fixed time. The same run measures 1 and 2 processes and reports the ratio.

    .venv/bin/python bench/revise_cancel_pg.py [--seconds 10] [--orders 60000] [--connections 32]

Needs wrk (`make bench` installs it) and PostgreSQL (LOCALKIS_TEST_PG, default
postgresql://postgres@127.0.0.1:5432/test). Loopback only; bounded by --seconds.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
from pathlib import Path

import psycopg
from common import REVISE_CANCEL_LUA, Run, localkis_server, need_wrk, preload, print_table, write_result, wrk

PG = os.environ.get("LOCALKIS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def run(processes: int, seconds: int, count: int, connections: int, workdir: Path) -> Run:
    name = f"localkis_bench_{secrets.token_hex(4)}"
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"'.encode())
    try:
        url = PG.rsplit("/", 1)[0] + "/" + name
        preload(url, count)
        with localkis_server(url, workdir, workers=processes) as (base, token, appkey, appsecret):
            result = wrk(f"{processes} process(es)", base, REVISE_CANCEL_LUA, workdir, seconds=seconds,
                         connections=connections, args=["1", token, appkey, appsecret])
        if result.ok + result.errors >= count:
            raise RuntimeError(f"ran out of preloaded orders ({count}); raise --orders")
        return result
    finally:
        with psycopg.connect(PG, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--orders", type=int, default=60000)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    need_wrk()
    with tempfile.TemporaryDirectory() as tmp:
        results = [run(p, args.seconds, args.orders, args.connections, Path(tmp)) for p in (1, 2)]
    ratio = results[1].requests_per_s / results[0].requests_per_s
    print_table(f"revise/cancel on PostgreSQL, {args.connections} connections, {args.seconds}s each, wrk on loopback",
                results)
    print(f"ratio 2/1 processes: {ratio:.2f}x (goal >= 1.6x) {'PASS' if ratio >= 1.6 else 'BELOW GOAL'}")
    write_result("revise_cancel_pg", results, ratio=ratio, goal=1.6, seconds=args.seconds,
                 connections=args.connections)
    return 0


if __name__ == "__main__":
    sys.exit(main())
