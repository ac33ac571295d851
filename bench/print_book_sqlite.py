"""Benchmark: a trade print that crosses nothing, with 1k vs 1M resting orders on the instrument.

Two localkis servers (durable SQLite) hold `--small` and `--big` resting orders on NASD AAPL in one account,
half buys (150.00 and below) and half sells (250.00 and above), preloaded through bench/preload.py. Prints
at 190.00 go through the admin API (`POST /localkis/admin/prices`), so none crosses a resting order; each
answer must list no fills. One client sends prints one after another over a keep-alive connection (the
server runs a print to its commit before answering, so more connections would only queue) for `--seconds`,
and at least `--min-prints` of them, and times each. One untimed print per server comes first (a session's
first print also runs the opening auction). The two servers run side by side and take alternating runs
for `--rounds` rounds; ratios are taken within each round and the figure is their median.

Goal: p99 print latency with the big book <= 1.3x the small book's. p50 and prints/s are reported too.

    .venv/bin/python bench/print_book_sqlite.py [--seconds 5] [--rounds 3] [--small 1000] [--big 1000000]
    .venv/bin/python bench/print_book_sqlite.py --a /tmp/before --b .   # two source trees: four servers

Writes bench/results/print_book_sqlite.json (print_book_sqlite_ab.json with --a/--b).
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from common import (
    BenchServer,
    add_build_arguments,
    build_info,
    builds_from,
    localkis_server,
    preload_build,
    verdict,
    wait_idle,
    write_result,
)

GOAL = 1.3
PRICE = "190.00"  # between the resting buys (<= 150.00) and sells (>= 250.00)


@dataclass
class PrintRun:
    name: str
    prints: int
    seconds: float
    prints_per_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    failures: int  # answers other than HTTP 200 with an empty list of fills


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest rank: the smallest value with at least p % of the values at or below it."""
    return sorted_values[max(0, math.ceil(p / 100 * len(sorted_values)) - 1)]


class PrintTarget:
    def __init__(self, name: str, server: BenchServer) -> None:
        self.name, self.server = name, server
        self.runs: list[PrintRun] = []
        url = urlsplit(server.base)
        self.conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=600)
        self.body = json.dumps({"exchange": "NASD", "symbol": "AAPL", "price": PRICE}).encode()
        self.headers = {"Authorization": f"Bearer {server.admin_token}", "Content-Type": "application/json"}
        self.shown = 0

    def print_once(self) -> bool:
        self.conn.request("POST", "/localkis/admin/prices", self.body, self.headers)
        answer = self.conn.getresponse()
        data = answer.read()
        try:
            ok = answer.status == 200 and json.loads(data)["fills"] == []
        except (ValueError, KeyError):
            ok = False
        if not ok and self.shown < 3:
            self.shown += 1
            print(f"  {self.name}: FAILED {answer.status} {data[:300]!r}", file=sys.stderr)
        return ok

    def run(self, seconds: float, min_prints: int) -> PrintRun:
        latencies: list[float] = []
        failures = 0
        # A new connection per run: the server closes one left idle (uvicorn's keep-alive timeout) while the
        # other servers ran. Connecting is not timed.
        self.conn.close()
        self.conn.connect()
        started = time.perf_counter()
        while len(latencies) < min_prints or time.perf_counter() - started < seconds:
            t = time.perf_counter()
            failures += not self.print_once()
            latencies.append(time.perf_counter() - t)
        elapsed = time.perf_counter() - started
        wait_idle(self.server.pid)
        ms = sorted(x * 1000 for x in latencies)
        result = PrintRun(self.name, len(ms), elapsed, len(ms) / elapsed, percentile(ms, 50), percentile(ms, 99),
                          ms[-1], failures)
        self.runs.append(result)
        return result

    def median(self) -> PrintRun:
        runs = self.runs
        return PrintRun(self.name, sum(r.prints for r in runs), sum(r.seconds for r in runs),
                        statistics.median(r.prints_per_s for r in runs), statistics.median(r.p50_ms for r in runs),
                        statistics.median(r.p99_ms for r in runs), max(r.max_ms for r in runs),
                        sum(r.failures for r in runs))


def size(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 and n % 1_000_000 == 0 else f"{n // 1000}k" if n >= 1000 else str(n)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5, help="length of each run")
    parser.add_argument("--min-prints", type=int, default=3, help="prints per run at least, however long they take")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--small", type=int, default=1_000, help="resting orders in the small book")
    parser.add_argument("--big", type=int, default=1_000_000, help="resting orders in the big book")
    add_build_arguments(parser)
    args = parser.parse_args()
    builds = builds_from(args)
    pairs: list[tuple[PrintTarget, PrintTarget]] = []
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        work = Path(tmp)
        for build in builds:
            pair = []
            for book in (args.small, args.big):
                db = f"sqlite:///{work}/{build.name or 'this'}-{book}.db"
                label = build.label(f"book {size(book)}")
                preload_build(build, db, buys=book // 2, sells=book - book // 2, buy_price="150.00",
                              sell_price="250.00", levels=1000, quantity=10, label=f"resting orders for {label}")
                server = stack.enter_context(localkis_server(db, work, env=build.env()))
                target = PrintTarget(label, server)
                stack.callback(target.conn.close)
                started = time.perf_counter()
                target.conn.connect()
                if not target.print_once():
                    raise RuntimeError(f"{label}: the first print failed")
                print(f"  {label}: first (untimed) print {(time.perf_counter() - started) * 1000:.1f} ms",
                      file=sys.stderr)
                pair.append(target)
            pairs.append((pair[0], pair[1]))
        targets = [t for pair in pairs for t in pair]
        for r in range(args.rounds):
            for target in targets if r % 2 == 0 else reversed(targets):
                x = target.run(args.seconds, args.min_prints)
                print(f"  round {r + 1}/{args.rounds} {target.name:<14} {x.prints:>6} prints {x.prints_per_s:>8.2f}/s"
                      f"  p50 {x.p50_ms:.2f} ms  p99 {x.p99_ms:.2f} ms  failures {x.failures}", file=sys.stderr,
                      flush=True)

    print(f"\ntrade prints crossing nothing, {size(args.small)} vs {size(args.big)} resting orders on the instrument,"
          f" one client, medians of {args.rounds} alternating runs of {args.seconds:g}s (>= {args.min_prints} prints)")
    print(f"{'server':<16} {'prints':>7} {'prints/s':>9} {'p50 ms':>9} {'p99 ms':>9} {'max ms':>9} {'failures':>8}")
    for t in targets:
        m = t.median()
        print(f"{m.name:<16} {m.prints:>7} {m.prints_per_s:>9.2f} {m.p50_ms:>9.2f} {m.p99_ms:>9.2f} {m.max_ms:>9.2f}"
              f" {m.failures:>8}")
    failed = False
    results = {}
    for build, (small, big) in zip(builds, pairs, strict=True):
        rounds = list(zip(small.runs, big.runs, strict=True))
        p99 = [b.p99_ms / s.p99_ms for s, b in rounds]
        p50 = [b.p50_ms / s.p50_ms for s, b in rounds]
        rate = [s.prints_per_s / b.prints_per_s for s, b in rounds]
        ratio = statistics.median(p99)
        failures = sum(r.failures for r in small.runs + big.runs)
        failed = failed or failures > 0
        name = build.label("").strip() or "localkis"
        print(f"{name}: p99 {size(args.big)} / {size(args.small)}: {ratio:.3f}x per round {[round(x, 3) for x in p99]}"
              f" (goal <= {GOAL}x) {verdict(ratio <= GOAL)}  p50 {statistics.median(p50):.3f}x"
              f"  prints/s {size(args.small)} / {size(args.big)} {statistics.median(rate):.3f}x"
              f"  failures {failures} (must be 0) {'PASS' if failures == 0 else 'FAIL'}")
        results[build.name or "this"] = {"p99_ratio": ratio, "p99_ratios_per_round": p99,
                                          "p50_ratio": statistics.median(p50), "p50_ratios_per_round": p50,
                                          "rate_ratio_small_over_big": statistics.median(rate),
                                          "rate_ratios_per_round": rate, "failures": failures}
    path = write_result("print_book_sqlite" + ("_ab" if len(builds) == 2 else ""),
                        [r for t in targets for r in t.runs], builds=build_info(builds),
                        books={"small": args.small, "big": args.big}, price=PRICE, results=results,
                        goal_p99_ratio=GOAL, rounds=args.rounds, seconds=args.seconds, min_prints=args.min_prints)
    print(f"wrote {path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
