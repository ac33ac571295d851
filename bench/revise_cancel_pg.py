"""Benchmark: revise/cancel throughput with 1 and 2 server processes on one PostgreSQL database.

Each run gets a fresh database with N open orders (inserted through the store, not timed), then wrk
sends revise (odd order numbers) and cancel (even) requests, each for a different open order, over
32 connections for a fixed time. The same run measures 1 and 2 processes and reports the ratio.

    .venv/bin/python bench/revise_cancel_pg.py [--seconds 10] [--orders 60000] [--connections 32]

Needs wrk (`apt-get install wrk`; `make bench` installs it) and PostgreSQL (LOCALKIS_TEST_PG, default
postgresql://postgres@127.0.0.1:5432/test). Loopback only; bounded by --seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import psycopg

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from localkis.domain import orders  # noqa: E402
from localkis.protocol.env import Env  # noqa: E402
from localkis.protocol.exchanges import Exchange  # noqa: E402
from localkis.protocol.trids import Side  # noqa: E402
from localkis.store.postgres import PostgresStore  # noqa: E402
from tests.serverproc import free_port, make_appkey, make_appsecret  # noqa: E402

PG = os.environ.get("LOCALKIS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
ACCOUNT = "12345678-01"

WRK_SCRIPT = r"""
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
  local code, tr, price
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


def config_text(appkey: str, appsecret: str) -> str:
    return f"""[server]
market_hours = "ignore"
rate_limits = false
token_issue_limit = false
admin_token = "{secrets.token_urlsafe(16)}"

[[apps]]
appkey = "{appkey}"
appsecret = "{appsecret}"
env = "real"
accounts = ["{ACCOUNT}"]

[[accounts]]
number = "{ACCOUNT}"

[[instruments]]
exchange = "NASD"
symbol = "AAPL"
name = "애플"
price = "190.00"
"""


def fresh_db() -> tuple[str, str]:
    name = f"localkis_bench_{secrets.token_hex(4)}"
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"'.encode())
    return name, PG.rsplit("/", 1)[0] + "/" + name


def drop_db(name: str) -> None:
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())


def preload(url: str, count: int) -> None:
    store = PostgresStore(url)
    now = datetime.now(UTC)
    command = orders.NewOrder(account=ACCOUNT, env=Env.REAL, exchange=Exchange.NASD, symbol="AAPL",
                              side=Side.BUY, order_type="00", quantity=10, price=Decimal("190.00"),
                              tr_id="TTTT1002U")
    batch = 5000
    for start in range(0, count, batch):
        with store.transaction() as tx:
            for _ in range(min(batch, count - start)):
                tx.insert_order(orders.place(command, tx.next_order_no(), now, "01790"), "20261125")
        print(f"  preloaded {min(start + batch, count)}/{count} orders", end="\r", flush=True)
    print()
    store.close()


def run(processes: int, seconds: int, count: int, connections: int, workdir: Path) -> dict[str, float]:
    name, url = fresh_db()
    try:
        preload(url, count)
        appkey, appsecret = make_appkey(), make_appsecret()
        config = workdir / "bench.toml"
        config.write_text(config_text(appkey, appsecret), encoding="utf-8")
        port = free_port()
        log = (workdir / f"server-{processes}.log").open("wb")
        proc = subprocess.Popen([sys.executable, "-m", "localkis", "serve", "--config", str(config), "--db", url,
                                 "--port", str(port), "--workers", str(processes), "--log-level", "warning"],
                                stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(base + "/localkis/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("server did not start; see " + log.name)
                time.sleep(0.2)
            time.sleep(2 if processes > 1 else 0)  # let every worker finish starting
            token = httpx.post(base + "/oauth2/tokenP", json={"grant_type": "client_credentials", "appkey": appkey,
                                                             "appsecret": appsecret}).json()["access_token"]
            script = workdir / "rvsecncl.lua"
            script.write_text(WRK_SCRIPT, encoding="utf-8")
            threads = 2
            out = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
                                  "--timeout", "10s", "-s", str(script), base, "--", str(threads), "1", token,
                                  appkey, appsecret], capture_output=True, text=True, timeout=seconds + 60)
            m = re.search(r"Requests/sec:\s+([\d.]+)", out.stdout)
            r = re.search(r"RESULT ok=(\d+) bad=(\d+) p50=([\d.]+) p99=([\d.]+)", out.stdout)
            if not m or not r:
                raise RuntimeError("wrk output not understood:\n" + out.stdout + out.stderr)
            ok, bad = int(r.group(1)), int(r.group(2))
            if ok + bad >= count:
                raise RuntimeError(f"ran out of preloaded orders ({count}); raise --orders")
            return {"processes": processes, "requests_per_s": float(m.group(1)), "ok": ok, "errors": bad,
                    "p50_ms": float(r.group(3)), "p99_ms": float(r.group(4))}
        finally:
            proc.terminate()
            proc.wait(30)
    finally:
        drop_db(name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--orders", type=int, default=60000)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk not found: apt-get install wrk (make bench installs it)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        results = [run(p, args.seconds, args.orders, args.connections, Path(tmp)) for p in (1, 2)]
    ratio = results[1]["requests_per_s"] / results[0]["requests_per_s"]
    print(f"\nrevise/cancel on PostgreSQL, {args.connections} connections, {args.seconds}s each, wrk on loopback")
    print(f"{'processes':>9} {'req/s':>10} {'ok':>8} {'errors':>7} {'p50 ms':>8} {'p99 ms':>8}")
    for r in results:
        print(f"{r['processes']:>9} {r['requests_per_s']:>10.1f} {r['ok']:>8} {r['errors']:>7} "
              f"{r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f}")
    print(f"ratio 2/1 processes: {ratio:.2f}x (goal >= 1.6x) {'PASS' if ratio >= 1.6 else 'BELOW GOAL'}")
    out_dir = REPO / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    record = {"benchmark": "revise_cancel_pg", "when": datetime.now(UTC).isoformat(), "cpu_count": os.cpu_count(),
              "machine": platform.machine(), "python": platform.python_version(), "seconds": args.seconds,
              "connections": args.connections, "results": results, "ratio": ratio, "goal": 1.6}
    (out_dir / "revise_cancel_pg.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
