"""Compare two builds of localkis on the revise/cancel load, side by side (SQLite, one process each).

Both builds serve at once from their own source trees (e.g. a `git worktree` of the base commit and the
working tree); wrk alternates short runs between them for `--rounds` rounds. Each round gives a B/A
ratio; the machine's drift between minutes cancels out within a round. Also reports each server's
main-thread CPU per request, which moves less than throughput when the load generator competes for CPU.

    git worktree add /tmp/base HEAD~3
    .venv/bin/python bench/compare_builds.py --a /tmp/base/src --b src [--rounds 6] [--seconds 3]

Not part of `make bench`: a tool for measuring one change.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from common import (
    REVISE_CANCEL_LUA,
    STRIDE,
    Build,
    Target,
    builds_from,
    localkis_server,
    need_wrk,
    preload_build,
)


@contextmanager
def build_server(build: Build, workdir: Path, orders: int) -> Iterator[tuple[Target, int]]:
    """`localkis serve` importing the package from the build's tree; yields its target and process id."""
    db = f"sqlite:///{workdir / build.name}.db"
    # The preload runs with the build's own code, so its schema is the build's.
    preload_build(build, db, buys=orders, buy_price="190.00", quantity=10)
    with localkis_server(db, workdir, env=build.env()) as lk:
        yield Target(build.name, lk.base, REVISE_CANCEL_LUA, (lk.token, lk.appkey, lk.appsecret)), lk.pid


def main_thread_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process's main thread."""
    fields = Path(f"/proc/{pid}/task/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--a", type=Path, required=True, help="source tree of build A (holding localkis/)")
    parser.add_argument("--b", type=Path, required=True, help="source tree of build B")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--max-rate", type=int, default=20_000, help="sizes the preload: a rate no build reaches")
    args = parser.parse_args()
    need_wrk()
    orders = int(STRIDE * args.max_rate * args.seconds * args.rounds) + 8 * args.connections * args.rounds
    cpu: dict[str, list[float]] = {"A": [], "B": []}
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        work = Path(tmp)
        servers = {build.name: stack.enter_context(build_server(build, work, orders)) for build in builds_from(args)}
        for r in range(args.rounds):
            for name in ("A", "B") if r % 2 == 0 else ("B", "A"):
                target, pid = servers[name]
                before = main_thread_cpu(pid)
                run = target.run(work, args.seconds, args.connections)
                cpu[name].append((main_thread_cpu(pid) - before) / max(1, run.ok + run.errors) * 1e6)
                print(f"  round {r + 1}/{args.rounds} {name} {run.requests_per_s:>9.1f} req/s  p99 {run.p99_ms:.2f} ms"
                      f"  errors {run.errors}", file=sys.stderr, flush=True)
        for name, (target, _) in servers.items():
            if target.first > orders:
                raise RuntimeError(f"{name} ran out of preloaded orders; raise --max-rate")
    a, b = servers["A"][0], servers["B"][0]
    ratios = [y.requests_per_s / x.requests_per_s for x, y in zip(a.runs, b.runs, strict=True)]
    print(f"revise/cancel, {args.connections} connections, {args.rounds} alternating rounds of {args.seconds}s")
    for name, target, src in (("A", a, args.a), ("B", b, args.b)):
        m = target.median()
        print(f"{name}: median {m.requests_per_s:,.0f} req/s, p99 {m.p99_ms:.1f} ms, errors {m.errors},"
              f" main-thread CPU {statistics.median(cpu[name]):.0f} µs/request  [{src}]")
    print(f"B/A per round {[round(x, 2) for x in ratios]}, median {statistics.median(ratios):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
