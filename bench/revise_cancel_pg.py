"""Benchmark: revise/cancel throughput with 1 and 2 server processes on one PostgreSQL database.

Each server (1 process, 2 processes) gets a fresh database with N open orders (inserted through the
store, not timed); wrk sends revise (odd order numbers) and cancel (even) requests, each for a different
open order, over 32 connections. The two servers run side by side and take alternating short runs for
`--rounds` rounds; the ratio is the median of the per-round ratios.

    .venv/bin/python bench/revise_cancel_pg.py [--seconds 5] [--rounds 3] [--orders 60000] [--connections 32]

Needs wrk (`make bench` installs it) and PostgreSQL (LOCALKIS_TEST_PG, default
postgresql://postgres@127.0.0.1:5432/test). Loopback only; bounded by --seconds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from common import (
    REVISE_CANCEL_LUA,
    Target,
    alternate,
    localkis_server,
    need_wrk,
    preload,
    print_table,
    write_result,
)
from tests.pg import fresh_database  # importable once common has put the repository on sys.path


@contextmanager
def server(processes: int, orders: int, workdir: Path) -> Iterator[Target]:
    with fresh_database() as url:  # tests/pg.py: LOCALKIS_TEST_PG, created and dropped
        preload(url, orders)
        with localkis_server(url, workdir, workers=processes) as lk:
            yield Target(f"{processes} process(es)", lk.base, REVISE_CANCEL_LUA, (lk.token, lk.appkey, lk.appsecret))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=5, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--orders", type=int, default=60000, help="open orders preloaded for each server")
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    need_wrk()
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        work = Path(tmp)
        targets = [stack.enter_context(server(p, args.orders, work)) for p in (1, 2)]
        alternate(targets, work, args.rounds, args.seconds, args.connections)
        for target in targets:
            if target.first > args.orders:
                raise RuntimeError(f"{target.name}: ran out of preloaded orders ({args.orders:,}); raise --orders")
    one, two = targets
    ratios = [b.requests_per_s / a.requests_per_s for a, b in zip(one.runs, two.runs, strict=True)]
    ratio = statistics.median(ratios)
    print_table(f"revise/cancel on PostgreSQL, {args.connections} connections, medians of {args.rounds} alternating"
                f" {args.seconds}s runs, wrk on loopback", [one.median(), two.median()])
    print(f"ratio 2/1 processes: {ratio:.2f}x per round {[round(r, 2) for r in ratios]} (goal >= 1.6x)"
          f" {'PASS' if ratio >= 1.6 else 'BELOW GOAL'}")
    write_result("revise_cancel_pg", [*one.runs, *two.runs], ratio=ratio, ratios_per_round=ratios, goal=1.6,
                 rounds=args.rounds, seconds=args.seconds, connections=args.connections)
    return 0


if __name__ == "__main__":
    sys.exit(main())
