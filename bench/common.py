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

import preload as preloading  # noqa: E402  (bench/preload.py: the one place that writes preloaded orders)
from tests.serverproc import free_port, make_appkey, make_appsecret, simple_config  # noqa: E402

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


def config_text(appkey: str, appsecret: str, admin_token: str | None = None) -> str:
    return simple_config(admin_token or secrets.token_urlsafe(16), [(appkey, appsecret, "real", ACCOUNT)],
                         cash_usd=str(preloading.CASH))


def preload(url: str, count: int, *, label: str = "orders") -> None:
    """Insert `count` open AAPL buys at 190.00 (numbered from 1 in a new store) straight through this tree's
    store (setup, not measured)."""
    preloading.preload(url, ACCOUNT, buys=count, buy_price=Decimal("190.00"), quantity=10, label=label)


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
    admin_token: str


@contextmanager
def localkis_server(db_url: str, workdir: Path, *, workers: int = 1,
                    env: dict[str, str] | None = None) -> Iterator[BenchServer]:
    """A running `localkis serve` with a fresh app and its token (`env`: the server's environment)."""
    appkey, appsecret, admin_token = make_appkey(), make_appsecret(), secrets.token_urlsafe(16)
    port = free_port()
    config = workdir / f"bench-{port}.toml"
    config.write_text(config_text(appkey, appsecret, admin_token), encoding="utf-8")
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
        yield BenchServer(base, token, appkey, appsecret, proc.pid, admin_token)
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


def write_result(name: str, runs: list[Any], **extra: Any) -> Path:
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


# --- builds: comparing two source trees side by side -----------------------------------------------------

class Build(NamedTuple):
    """A source tree under test: `tree` holds `src/localkis` and, normally, `bench/preload.py`."""

    name: str  # "" for this tree alone, "A"/"B" in a comparison
    tree: Path

    def label(self, what: str) -> str:
        return f"{self.name} {what}" if self.name else what

    def env(self) -> dict[str, str]:
        """The environment of a process that must import this build's package."""
        return dict(os.environ, PYTHONPATH=str(self.tree / "src"))

    def commit(self, *paths: str) -> str:
        """The tree's commit (the last one that changed `paths`, if given), with "+dirty" when they hold
        uncommitted changes to tracked files; "" outside git."""
        git = ["git", "-C", str(self.tree)]
        try:
            head = subprocess.run([*git, "log", "-1", "--format=%h", "--", *paths], capture_output=True, text=True,
                                  check=True).stdout.strip()
            dirty = subprocess.run([*git, "status", "--porcelain", "--untracked-files=no", "--", *paths],
                                   capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return ""
        return head + ("+dirty" if dirty else "")


def add_build_arguments(parser: Any) -> None:
    parser.add_argument("--a", type=Path, help="compare two builds: source tree of build A (a checkout or worktree"
                                               " root; its src/ also accepted)")
    parser.add_argument("--b", type=Path, help="source tree of build B")


def builds_from(args: Any) -> list[Build]:
    """This tree alone, or builds A and B when --a and --b are given."""
    if (args.a is None) != (args.b is None):
        sys.exit("--a and --b go together")
    if args.a is None:
        return [Build("", REPO)]
    builds = []
    for name, given in (("A", args.a), ("B", args.b)):
        tree = given.resolve()
        if (tree / "localkis").is_dir() and not (tree / "src" / "localkis").is_dir():
            tree = tree.parent  # a src/ directory was given
        if not (tree / "src" / "localkis").is_dir():
            sys.exit(f"{given}: no src/localkis in this tree")
        builds.append(Build(name, tree))
    return builds


def preload_build(build: Build, url: str, **orders: Any) -> tuple[str, str]:
    """Resting orders written by the build's own bench/preload.py with its own package (its schema, its store);
    `orders` are preload's options (buys=, sells=, buy_price=, …). Returns the first and last order numbers.

    A tree from before bench/preload.py existed is preloaded by this tree's preload.py importing that tree's
    package (`--src`)."""
    script = build.tree / "bench" / "preload.py"
    extra: list[str] = []
    if not script.exists():
        print(f"  {build.tree} has no bench/preload.py: preloading with this tree's, on its src/", file=sys.stderr)
        script, extra = REPO / "bench" / "preload.py", ["--src", str(build.tree / "src")]
    args = [sys.executable, str(script), "--db", url, "--account", orders.pop("account", ACCOUNT), *extra]
    for key, value in orders.items():
        args += ["--" + key.replace("_", "-"), str(value)]
    out = subprocess.run(args, env=build.env(), stdout=subprocess.PIPE, text=True, check=True).stdout
    found = json.loads(out.strip().splitlines()[-1])
    return str(found["first"]), str(found["last"])


def build_info(builds: list[Build]) -> dict[str, dict[str, str]]:
    """For the result file: each build's tree, its commit, and the last commit that changed its src/."""
    return {b.name or "this": {"tree": str(b.tree), "commit": b.commit(), "src_commit": b.commit("src")}
            for b in builds}


def verdict(ok: bool) -> str:
    return "PASS" if ok else "BELOW GOAL"


def cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system, all threads) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_idle(pid: int, *, timeout: float = 120.0) -> float:
    """Wait until the process stops using CPU (work queued by a load generator that has gone, e.g. requests a
    slow server still runs after wrk stopped), so that it does not slow the next run of another server.
    Returns the seconds waited."""
    started = time.monotonic()
    last = cpu_seconds(pid)
    while time.monotonic() - started < timeout:
        time.sleep(0.25)
        now = cpu_seconds(pid)
        if now - last < 0.02:
            break
        last = now
    return time.monotonic() - started
