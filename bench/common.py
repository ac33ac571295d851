"""Shared pieces of the benchmarks: config, order preload, server start, wrk runs, result files."""

from __future__ import annotations

import json
import os
import platform
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.serverproc import free_port, make_appkey, make_appsecret, simple_config  # noqa: E402

from localkis.domain import orders  # noqa: E402
from localkis.protocol.env import Env  # noqa: E402
from localkis.protocol.exchanges import Exchange  # noqa: E402
from localkis.protocol.trids import Side  # noqa: E402
from localkis.store import open_store  # noqa: E402

ACCOUNT = "12345678-01"
RESULTS = REPO / "bench" / "results"

# wrk script: each request revises (odd) or cancels (even) a different preloaded open order.
REVISE_CANCEL_LUA = r"""
local counter = 0
local threads = {}
function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end
function init(args)
  nthreads = tonumber(args[1]); first = tonumber(args[2]); token = args[3]; appkey = args[4]
  appsecret = args[5]; i = first + id; ok = 0; bad = 0
end
request = function()
  local odno = string.format("%010d", i)
  i = i + nthreads
  local code, price
  if i % 2 == 0 then code = "02"; price = "0" else code = "01"; price = "189.50" end
  local body = '{"CANO":"12345678","ACNT_PRDT_CD":"01","OVRS_EXCG_CD":"NASD","PDNO":"AAPL","ORGN_ODNO":"'
    .. odno .. '","RVSE_CNCL_DVSN_CD":"' .. code .. '","ORD_QTY":"0","OVRS_ORD_UNPR":"' .. price .. '"}'
  return wrk.format("POST", "/uapi/overseas-stock/v1/trading/order-rvsecncl", {
    ["Content-Type"] = "application/json", ["authorization"] = "Bearer " .. token, ["appkey"] = appkey,
    ["appsecret"] = appsecret, ["tr_id"] = "TTTT1004U"}, body)
end
response = function(status, headers, body)
  if status == 200 and string.find(body, '"rt_cd":"0"', 1, true) then ok = ok + 1 else bad = bad + 1 end
end
done = function(summary, latency, requests)
  local tok, tbad = 0, 0
  for _, t in ipairs(threads) do tok = tok + t:get("ok"); tbad = tbad + t:get("bad") end
  io.write(string.format("RESULT ok=%d bad=%d p50=%.3f p99=%.3f\n", tok, tbad,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
"""

# wrk script for the floor: the same request shape, any JSON answer counts.
FLOOR_LUA = REVISE_CANCEL_LUA.replace('string.find(body, \'"rt_cd":"0"\', 1, true)', "true")


@dataclass
class Run:
    name: str
    requests_per_s: float
    ok: int
    errors: int
    p50_ms: float
    p99_ms: float


def need_wrk() -> None:
    if shutil.which("wrk") is None:
        sys.exit("wrk not found: apt-get install wrk (make bench installs it)")


def config_text(appkey: str, appsecret: str) -> str:
    return simple_config(secrets.token_urlsafe(16), [(appkey, appsecret, "real", ACCOUNT)],
                         cash_usd="1000000000000.00")


def preload(url: str, count: int, *, label: str = "orders") -> None:
    """Insert `count` open AAPL buys straight through the store (setup, not measured)."""
    store = open_store(url)
    now = datetime.now(UTC)
    command = orders.NewOrder(account=ACCOUNT, env=Env.REAL, exchange=Exchange.NASD, symbol="AAPL",
                              side=Side.BUY, order_type="00", quantity=10, price=Decimal("190.00"),
                              tr_id="TTTT1002U")
    batch = 20000
    for start in range(0, count, batch):
        with store.transaction() as tx:
            for _ in range(min(batch, count - start)):
                tx.insert_order(orders.place(command, tx.next_order_no(), now, "01790"), "20261125")
        print(f"  preloaded {min(start + batch, count):,}/{count:,} {label}", end="\r", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    store.close()


def wait_ready(base: str, proc: subprocess.Popen[bytes], log: Path, path: str = "/localkis/health") -> None:
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(base + path, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            raise RuntimeError(f"server did not start; see {log}")
        time.sleep(0.2)


class BenchServer(NamedTuple):
    base: str
    token: str
    appkey: str
    appsecret: str
    pid: int


@contextmanager
def localkis_server(db_url: str, workdir: Path, *, workers: int = 1,
                    env: dict[str, str] | None = None) -> Iterator[BenchServer]:
    """A running `localkis serve` with a fresh app and its token (`env`: the server's environment)."""
    appkey, appsecret = make_appkey(), make_appsecret()
    port = free_port()
    config = workdir / f"bench-{port}.toml"
    config.write_text(config_text(appkey, appsecret), encoding="utf-8")
    log = workdir / f"localkis-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "localkis", "serve", "--config", str(config), "--db", db_url,
                                 "--port", str(port), "--workers", str(workers), "--log-level", "warning"],
                                stdout=out, stderr=subprocess.STDOUT, cwd=workdir, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, proc, log)
        time.sleep(2 if workers > 1 else 0)  # let every worker finish starting
        token = httpx.post(base + "/oauth2/tokenP", json={"grant_type": "client_credentials", "appkey": appkey,
                                                         "appsecret": appsecret}).json()["access_token"]
        yield BenchServer(base, token, appkey, appsecret, proc.pid)
    finally:
        proc.terminate()
        proc.wait(30)


def wrk(name: str, base: str, script: str, workdir: Path, *, seconds: int, connections: int, args: list[str],
        path: str = "") -> Run:
    """Run wrk against `base` with a Lua script; parse its RESULT line."""
    lua = workdir / f"{name}.lua"
    lua.write_text(script, encoding="utf-8")
    threads = 2
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
                          "-s", str(lua), base + path, "--", str(threads), *args],
                         capture_output=True, text=True, timeout=seconds + 60)
    m = re.search(r"Requests/sec:\s+([\d.]+)", out.stdout)
    r = re.search(r"RESULT ok=(\d+) bad=(\d+) p50=([\d.]+) p99=([\d.]+)", out.stdout)
    if not m or not r:
        raise RuntimeError("wrk output not understood:\n" + out.stdout + out.stderr)
    return Run(name, float(m.group(1)), int(r.group(1)), int(r.group(2)), float(r.group(3)), float(r.group(4)))


def print_table(title: str, runs: list[Run]) -> None:
    print(f"\n{title}")
    print(f"{'run':<28} {'req/s':>10} {'ok':>8} {'errors':>7} {'p50 ms':>8} {'p99 ms':>8}")
    for r in runs:
        print(f"{r.name:<28} {r.requests_per_s:>10.1f} {r.ok:>8} {r.errors:>7} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f}")


def write_result(name: str, runs: list[Run], **extra: Any) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    record = {"benchmark": name, "when": datetime.now(UTC).isoformat(), "cpu_count": os.cpu_count(),
              "machine": platform.machine(), "processor": platform.processor(), "python": platform.python_version(),
              "runs": [asdict(r) for r in runs], **extra}
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return path


# wrk's two threads each step through order numbers two apart, so a run reaches about as far as it made
# requests; this margin covers a thread that got ahead of the other.
STRIDE = 1.5


class Target:
    """A running server and the wrk arguments that address the next unused open orders."""

    def __init__(self, name: str, base: str, script: str, auth: tuple[str, str, str], first: int = 1) -> None:
        self.name, self.base, self.script, self.auth, self.first = name, base, script, auth, first
        self.runs: list[Run] = []

    def run(self, workdir: Path, seconds: int, connections: int) -> Run:
        result = wrk(self.name, self.base, self.script, workdir, seconds=seconds, connections=connections,
                     args=[str(self.first), *self.auth])
        # Each wrk thread steps through order numbers `threads` apart: skip past the furthest one used.
        self.first += int(STRIDE * (result.ok + result.errors)) + 4 * connections
        self.runs.append(result)
        return result

    def median(self) -> Run:
        runs = self.runs
        return Run(self.name, statistics.median(r.requests_per_s for r in runs), sum(r.ok for r in runs),
                   sum(r.errors for r in runs), statistics.median(r.p50_ms for r in runs),
                   statistics.median(r.p99_ms for r in runs))


def alternate(targets: list[Target], workdir: Path, rounds: int, seconds: int, connections: int) -> None:
    for r in range(rounds):
        for target in targets if r % 2 == 0 else reversed(targets):
            result = target.run(workdir, seconds, connections)
            print(f"  round {r + 1}/{rounds} {target.name:<28} {result.requests_per_s:>9.1f} req/s"
                  f"  p99 {result.p99_ms:.2f} ms", file=sys.stderr, flush=True)
