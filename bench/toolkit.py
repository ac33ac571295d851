"""The bot-testing toolkit's costs (issue 16): how long `POST /localkis/admin/reset` takes with orders
on the books, and the pytest plugin's per-test overhead (a benchmark, not a timed test).

    python bench/toolkit.py [--orders 1000] [--tests 100]

Reset: a server with `--orders` resting orders (through localkis.client), then the reset, five times;
the server's own timing and the HTTP round trip. Plugin: a fresh test project of `--tests` tests that
only request the `localkis` fixture; pytest's own timing of each test's setup and teardown is what the
fixture costs a test (the first test's setup also starts the server).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from localkis.testing import LocalKis

RESULTS = Path(__file__).resolve().parent / "results"


def bench_reset(orders: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp, LocalKis(Path(tmp)) as server:
        server_side, round_trip = [], []
        for _ in range(5):
            client = server.client()
            for _ in range(orders):
                client.buy("NASD", "AAPL", 1, "100.00")
            assert len(server.admin.orders()) == orders
            started = time.perf_counter()
            server_side.append(server.reset())
            round_trip.append(time.perf_counter() - started)
            assert server.admin.orders() == []
    return {"orders": orders, "reset_server_s_median": statistics.median(server_side),
            "reset_round_trip_s_median": statistics.median(round_trip), "reset_round_trip_s_max": max(round_trip)}


# Collects pytest's own timing of each test's setup and teardown (where the fixture's work happens).
TIMING_CONFTEST = """
import json, os
PHASES = []
def pytest_runtest_logreport(report):
    if report.when in ("setup", "teardown"):
        PHASES.append([report.nodeid, report.when, report.duration])
def pytest_sessionfinish(session):
    with open(os.environ["LOCALKIS_BENCH_OUT"], "w") as out:
        json.dump(PHASES, out)
"""


def bench_plugin(tests: int) -> dict[str, float]:
    """Each test's setup + teardown (the reset, the fixture); the first test's setup starts the server."""
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(tests):
            Path(tmp, f"test_t{i:04d}.py").write_text(f"def test_{i}(localkis):\n    assert localkis.base_url\n")
        Path(tmp, "conftest.py").write_text(TIMING_CONFTEST)
        out = Path(tmp, "phases.json")
        started = time.perf_counter()
        env = {**os.environ, "LOCALKIS_BENCH_OUT": str(out)}
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", tmp],
                              capture_output=True, text=True, cwd=tmp, env=env)
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(done.stdout + done.stderr)
        phases = json.loads(out.read_text())
    per_test: dict[str, float] = {}
    for nodeid, _, duration in phases:
        per_test[nodeid] = per_test.get(nodeid, 0.0) + duration
    first, *rest = per_test.values()
    return {"tests": tests, "session_s": elapsed, "first_test_setup_s (server start)": first,
            "per_test_overhead_s_median": statistics.median(rest), "per_test_overhead_s_max": max(rest)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--tests", type=int, default=100)
    args = parser.parse_args()
    result = {**bench_reset(args.orders), **bench_plugin(args.tests)}
    for key, value in result.items():
        print(f"{key:28} {value:.4f}" if isinstance(value, float) else f"{key:28} {value}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "toolkit.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
