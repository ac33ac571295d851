"""Benchmark: book size in the traded account — the mixed workload with 1k vs 100k resting buys there.

The same mixed workload as bench/mixed_sqlite.py (place a buy at 180.00, revise it to 181.00, cancel the
revision; 32 connections, durable SQLite), on two localkis servers whose store holds 1,000 and 100,000
resting buy orders (`--small`, `--big`) in the same account and on the same instrument (NASD AAPL, limits
from 150.00 down, below the market: they never fill). The preload goes through bench/preload.py. The two
servers run side by side and take alternating short runs for `--rounds` rounds.

Goal: p99 latency with the big book <= 1.3x the small book's (median of the per-round ratios); no failures.

wrk's percentiles cover the requests that were answered within a run. A build whose big book makes every
request slow (before issue 12: each buy and each raised revision summed the account's 100k live buys, and
a batch of 32 of them took seconds) answers only a handful in a short run, and the table says so: give it
longer runs (`--seconds 15`) for a firmer figure.

    .venv/bin/python bench/mixed_book_sqlite.py [--seconds 5] [--rounds 3] [--small 1000] [--big 100000]
    .venv/bin/python bench/mixed_book_sqlite.py --a /tmp/before --b .   # two source trees: four servers

Writes bench/results/mixed_book_sqlite.json (mixed_book_sqlite_ab.json with --a/--b).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

from common import (
    add_build_arguments,
    build_info,
    builds_from,
    localkis_server,
    need_wrk,
    preload_build,
    verdict,
    write_result,
)
from mixed import MixedTarget, alternate, print_table, warn_few_answers

GOAL = 1.3


def size(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 and n % 1_000_000 == 0 else f"{n // 1000}k" if n >= 1000 else str(n)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=5, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--small", type=int, default=1_000, help="resting buys in the small book")
    parser.add_argument("--big", type=int, default=100_000, help="resting buys in the big book")
    add_build_arguments(parser)
    args = parser.parse_args()
    need_wrk()
    builds = builds_from(args)
    pairs: list[tuple[MixedTarget, MixedTarget]] = []
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        work = Path(tmp)
        for build in builds:
            pair = []
            for book in (args.small, args.big):
                db = f"sqlite:///{work}/{build.name or 'this'}-{book}.db"
                label = build.label(f"book {size(book)}")
                preload_build(build, db, buys=book, buy_price="150.00", levels=1000, quantity=10,
                              label=f"resting buys for {label}")
                server = stack.enter_context(localkis_server(db, work, env=build.env()))
                pair.append(MixedTarget.of(label, server))
            pairs.append((pair[0], pair[1]))
        alternate([t for pair in pairs for t in pair], work, args.rounds, args.seconds, args.connections)

    print_table(f"mixed workload with {size(args.small)} vs {size(args.big)} resting buys in the traded account,"
                f" {args.connections} connections, medians of {args.rounds} alternating {args.seconds}s runs",
                [t.median() for pair in pairs for t in pair])
    warn_few_answers([t for pair in pairs for t in pair])
    failed = False
    results = {}
    for build, (small, big) in zip(builds, pairs, strict=True):
        ratios = [b.p99_ms / s.p99_ms for s, b in zip(small.runs, big.runs, strict=True)]
        ratio = statistics.median(ratios)
        rate = [b.revise_cancel_per_s / s.revise_cancel_per_s for s, b in zip(small.runs, big.runs, strict=True)]
        failures = sum(r.failures for r in small.runs + big.runs)
        failed = failed or failures > 0
        name = build.label("").strip() or "localkis"
        print(f"{name}: p99 {size(args.big)} / {size(args.small)}: {ratio:.3f}x per round"
              f" {[round(r, 3) for r in ratios]} (goal <= {GOAL}x) {verdict(ratio <= GOAL)}"
              f"  revise+cancel/s {size(args.big)} / {size(args.small)}: {statistics.median(rate):.3f}x"
              f"  failures {failures} (must be 0) {'PASS' if failures == 0 else 'FAIL'}")
        results[build.name or "this"] = {"p99_ratio": ratio, "p99_ratios_per_round": ratios,
                                          "revise_cancel_rate_ratio": statistics.median(rate),
                                          "rate_ratios_per_round": rate, "failures": failures}
    path = write_result("mixed_book_sqlite" + ("_ab" if len(builds) == 2 else ""),
                        [r for pair in pairs for t in pair for r in t.runs], builds=build_info(builds),
                        books={"small": args.small, "big": args.big}, results=results, goal_p99_ratio=GOAL,
                        rounds=args.rounds, seconds=args.seconds, connections=args.connections)
    print(f"wrote {path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
