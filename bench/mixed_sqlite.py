"""Benchmark: the mixed workload (place, revise, cancel the revision) on durable SQLite vs the floor.

32 connections (wrk) each run chains of three requests: a US limit buy that rests (NASD AAPL 180.00),
a revision of it to 181.00, and a cancel of that revision, each reading the order number from the answer
before (see bench/mixed.py). localkis runs one process on a fresh SQLite file (WAL, synchronous=FULL:
every answer waits for its commit); the floor (bench/floor_app.py in its mixed mode) answers the same
requests with a minimal Starlette app. The servers run side by side and take alternating short runs for
`--rounds` rounds; ratios are taken within each round and the figure is their median.

Goal: localkis's revise + cancel answers per second >= 0.5x the floor's requests per second; p99 (over
all three kinds) <= 10 ms; no failures (any answer without rt_cd "0").

    .venv/bin/python bench/mixed_sqlite.py [--seconds 5] [--rounds 3] [--connections 32]
    .venv/bin/python bench/mixed_sqlite.py --a /tmp/before --b . # two source trees side by side

With --a/--b both builds serve at once, each from its own tree's src/, next to the one floor. Writes
bench/results/mixed_sqlite.json (mixed_sqlite_ab.json with --a/--b).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

from common import add_build_arguments, build_info, builds_from, localkis_server, need_wrk, verdict, write_result
from mixed import MixedTarget, alternate, floor_server, print_table, warn_few_answers

GOAL_RATIO = 0.5
GOAL_P99_MS = 10.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=5, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    add_build_arguments(parser)
    args = parser.parse_args()
    need_wrk()
    builds = builds_from(args)
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        work = Path(tmp)
        floor = stack.enter_context(floor_server(work))
        targets = []
        for build in builds:
            db = f"sqlite:///{work / (build.name or 'localkis')}.db"
            server = stack.enter_context(localkis_server(db, work, env=build.env()))
            targets.append(MixedTarget.of(build.label("localkis sqlite"), server))
        alternate([floor, *targets], work, args.rounds, args.seconds, args.connections)

    print_table(f"mixed workload (place, revise, cancel), {args.connections} connections, medians of {args.rounds}"
                f" alternating {args.seconds}s runs, wrk on loopback", [floor.median(), *(t.median() for t in targets)])
    warn_few_answers(targets)
    failed = False
    results = {}
    for build, target in zip(builds, targets, strict=True):
        ratios = [lk.revise_cancel_per_s / fl.answers_per_s for fl, lk in zip(floor.runs, target.runs, strict=True)]
        ratio = statistics.median(ratios)
        m = target.median()
        failures = sum(r.failures for r in target.runs)
        failed = failed or failures > 0
        # Three decimals and verdicts from the unrounded figures: 0.497 must not read as a met 0.50.
        print(f"{target.name}: revise+cancel / floor: {ratio:.3f}x per round {[round(r, 3) for r in ratios]}"
              f" (goal >= {GOAL_RATIO}x) {verdict(ratio >= GOAL_RATIO)}"
              f"  p99 {m.p99_ms:.2f} ms (goal <= {GOAL_P99_MS:g} ms) {verdict(m.p99_ms <= GOAL_P99_MS)}"
              f"  failures {failures} (must be 0) {'PASS' if failures == 0 else 'FAIL'}")
        results[build.name or "this"] = {"ratio_vs_floor": ratio, "ratios_per_round": ratios, "p99_ms": m.p99_ms,
                                          "failures": failures, "runs": target.record()}
    if len(targets) == 2:
        a, b = targets
        per_round = [y.revise_cancel_per_s / x.revise_cancel_per_s for x, y in zip(a.runs, b.runs, strict=True)]
        print(f"B/A revise+cancel answers/s: {statistics.median(per_round):.3f}x per round"
              f" {[round(r, 3) for r in per_round]}")
        results["b_over_a"] = {"ratio": statistics.median(per_round), "ratios_per_round": per_round}
    path = write_result("mixed_sqlite" + ("_ab" if len(builds) == 2 else ""), floor.runs, builds=build_info(builds),
                        localkis=results, goal_ratio=GOAL_RATIO, p99_goal_ms=GOAL_P99_MS, rounds=args.rounds,
                        seconds=args.seconds, connections=args.connections)
    print(f"wrote {path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
