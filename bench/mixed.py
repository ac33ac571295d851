"""The mixed workload, shared by bench/mixed_sqlite.py and bench/mixed_book_sqlite.py.

Each of wrk's chains places a US limit buy (NASD AAPL, below the market, so it rests), revises it to a
new price (the revision's number comes back in output.ODNO) and cancels the revision (ORGN_ODNO = that
number), then starts again. A wrk thread serves many connections from one Lua state and its `response`
callback does not say which connection answered, so the script tells the three answers apart by the
`gt_uid` header, which KIS (and the floor) echo: 1 place, 2 revise, 3 cancel. A thread keeps the next
step of each chain in a queue: every answer queues its chain's next step, every request takes the
oldest queued step or starts a new chain. Every chain thus waits for its own previous answer, there are
as many chains in flight as connections, and a step may travel on another connection of the same
thread than the one that carried the step before it (which the server cannot tell apart).

Any answer that is not HTTP 200 with rt_cd "0" and an ODNO is a failure (its chain ends there); so are
wrk's socket errors.
"""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from common import ACCOUNT, BenchServer, free_port, wait_idle, wait_ready

# The buy rests below the market (AAPL at 190.00 in the benchmark config) and the revision raises it, so
# that both the place and the revise check the account's buying power.
BUY_PRICE = "180.00"
REVISE_PRICE = "181.00"

MIXED_LUA = r"""
local threads = {}
local ORDER = "/uapi/overseas-stock/v1/trading/order"
local RVSECNCL = "/uapi/overseas-stock/v1/trading/order-rvsecncl"

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local token, appkey, appsecret, account = args[1], args[2], args[3], args[4]
  local buy_price, revise_price = args[5], args[6]
  local cano, prdt = string.match(account, "^(%d+)-(%d+)$")
  local function headers(tr_id, step)
    return {["Content-Type"] = "application/json", ["authorization"] = "Bearer " .. token, ["appkey"] = appkey,
            ["appsecret"] = appsecret, ["tr_id"] = tr_id, ["gt_uid"] = step}
  end
  local acct = '{"CANO":"' .. cano .. '","ACNT_PRDT_CD":"' .. prdt .. '","OVRS_EXCG_CD":"NASD","PDNO":"AAPL"'
  place_request = wrk.format("POST", ORDER, headers("TTTT1002U", "1"), acct .. ',"ORD_QTY":"1","OVRS_ORD_UNPR":"'
    .. buy_price .. '","ORD_SVR_DVSN_CD":"0","ORD_DVSN":"00"}')
  revise_headers = headers("TTTT1004U", "2")
  cancel_headers = headers("TTTT1004U", "3")
  body_head = acct .. ',"ORGN_ODNO":"'
  revise_tail = '","RVSE_CNCL_DVSN_CD":"01","ORD_QTY":"0","OVRS_ORD_UNPR":"' .. revise_price .. '"}'
  cancel_tail = '","RVSE_CNCL_DVSN_CD":"02","ORD_QTY":"0","OVRS_ORD_UNPR":"0"}'
  -- next steps of the chains whose answer came: kinds ("R" revise, "C" cancel) and order numbers
  kinds, numbers, first, last = {}, {}, 1, 0
  placed, revised, cancelled, failed, shown = 0, 0, 0, 0, 0
end

request = function()
  if first > last then
    return place_request
  end
  local kind, odno = kinds[first], numbers[first]
  kinds[first], numbers[first] = nil, nil
  first = first + 1
  if kind == "R" then
    return wrk.format("POST", RVSECNCL, revise_headers, body_head .. odno .. revise_tail)
  end
  return wrk.format("POST", RVSECNCL, cancel_headers, body_head .. odno .. cancel_tail)
end

response = function(status, headers, body)
  local step = headers["gt_uid"] or headers["Gt_uid"] or headers["GT_UID"]
  local odno = string.match(body, '"ODNO":"(%d+)"')
  if status ~= 200 or odno == nil or not string.find(body, '"rt_cd":"0"', 1, true) then
    failed = failed + 1
    if shown < 3 then
      shown = shown + 1
      io.write(string.format("FAILED step=%s status=%d %s\n", tostring(step), status, string.sub(body, 1, 300)))
    end
  elseif step == "1" then
    placed = placed + 1
    last = last + 1; kinds[last] = "R"; numbers[last] = odno
  elseif step == "2" then
    revised = revised + 1
    last = last + 1; kinds[last] = "C"; numbers[last] = odno
  elseif step == "3" then
    cancelled = cancelled + 1
  else
    failed = failed + 1
  end
end

done = function(summary, latency, requests)
  local total = {placed = 0, revised = 0, cancelled = 0, failed = 0}
  for _, thread in ipairs(threads) do
    for name, _ in pairs(total) do total[name] = total[name] + thread:get(name) end
  end
  io.write(string.format("RESULT placed=%d revised=%d cancelled=%d failed=%d seconds=%.6f p50=%.3f p99=%.3f\n",
    total.placed, total.revised, total.cancelled, total.failed, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
"""


@dataclass
class MixedRun:
    name: str
    seconds: float
    placed: int
    revised: int
    cancelled: int
    failures: int  # answers other than HTTP 200 with rt_cd "0", plus wrk's socket errors
    socket_errors: int
    p50_ms: float  # over every request (place, revise, cancel)
    p99_ms: float
    answers_per_s: float  # every answer with rt_cd "0"
    revise_cancel_per_s: float  # revise and cancel answers with rt_cd "0"


def run_wrk(name: str, base: str, args: list[str], workdir: Path, *, seconds: int, connections: int) -> MixedRun:
    lua = workdir / "mixed.lua"
    lua.write_text(MIXED_LUA, encoding="utf-8")
    # wrk leaves a latency above --timeout out of its percentiles (and counts it as a socket error): keep it
    # above any latency a run can see.
    timeout = max(10, seconds + 5)
    out = subprocess.run(["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--timeout", f"{timeout}s",
                          "-s", str(lua), base, "--", *args],
                         capture_output=True, text=True, timeout=seconds + 120)
    r = re.search(r"RESULT placed=(\d+) revised=(\d+) cancelled=(\d+) failed=(\d+) seconds=([\d.]+) p50=([\d.]+)"
                  r" p99=([\d.]+)", out.stdout)
    if not r:
        raise RuntimeError("wrk output not understood:\n" + out.stdout + out.stderr)
    for line in out.stdout.splitlines():
        if line.startswith("FAILED"):
            print(f"  {name}: {line}", file=sys.stderr)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out.stdout)
    socket_errors = sum(int(g) for g in sock.groups()) if sock else 0
    placed, revised, cancelled, failed = (int(r.group(i)) for i in range(1, 5))
    elapsed = float(r.group(5))
    return MixedRun(name, elapsed, placed, revised, cancelled, failed + socket_errors, socket_errors,
                    float(r.group(6)), float(r.group(7)), (placed + revised + cancelled) / elapsed,
                    (revised + cancelled) / elapsed)


class MixedTarget:
    """A running server (localkis or the floor) and its mixed-workload runs."""

    def __init__(self, name: str, base: str, auth: tuple[str, str, str], pid: int) -> None:
        self.name, self.base, self.auth, self.pid = name, base, auth, pid
        self.runs: list[MixedRun] = []

    @classmethod
    def of(cls, name: str, server: BenchServer) -> MixedTarget:
        return cls(name, server.base, (server.token, server.appkey, server.appsecret), server.pid)

    def run(self, workdir: Path, seconds: int, connections: int) -> MixedRun:
        result = run_wrk(self.name, self.base, [*self.auth, ACCOUNT, BUY_PRICE, REVISE_PRICE], workdir,
                         seconds=seconds, connections=connections)
        # A slow server still runs the requests wrk left unanswered: let it finish before the next run.
        waited = wait_idle(self.pid)
        if waited > 1:
            print(f"  {self.name}: busy for {waited:.1f}s after the run (requests left by wrk)", file=sys.stderr)
        self.runs.append(result)
        return result

    def median(self) -> MixedRun:
        runs = self.runs

        def med(field: str) -> Any:
            return statistics.median(getattr(r, field) for r in runs)

        return MixedRun(self.name, sum(r.seconds for r in runs), sum(r.placed for r in runs),
                        sum(r.revised for r in runs), sum(r.cancelled for r in runs), sum(r.failures for r in runs),
                        sum(r.socket_errors for r in runs), med("p50_ms"), med("p99_ms"), med("answers_per_s"),
                        med("revise_cancel_per_s"))

    def record(self) -> list[dict[str, Any]]:
        return [asdict(r) for r in self.runs]


def alternate(targets: list[MixedTarget], workdir: Path, rounds: int, seconds: int, connections: int) -> None:
    """One run per target per round; every other round in reverse order."""
    for r in range(rounds):
        for target in targets if r % 2 == 0 else reversed(targets):
            x = target.run(workdir, seconds, connections)
            print(f"  round {r + 1}/{rounds} {target.name:<24} {x.answers_per_s:>9.1f} answers/s"
                  f" ({x.revise_cancel_per_s:.1f} revise+cancel)  p99 {x.p99_ms:.2f} ms  failures {x.failures}",
                  file=sys.stderr, flush=True)


# Fewer answers than this in a run make its p99 a figure of a handful of requests (those that finished:
# requests still waiting when wrk stops are in no percentile).
FEW_ANSWERS = 100


def warn_few_answers(targets: list[MixedTarget]) -> None:
    for t in targets:
        fewest = min(r.placed + r.revised + r.cancelled + r.failures for r in t.runs)
        if fewest < FEW_ANSWERS:
            print(f"note: {t.name}: a run had only {fewest} answers; its percentiles leave out the requests still"
                  " waiting when the run ended (lengthen --seconds for a firmer figure)")


def print_table(title: str, runs: list[MixedRun]) -> None:
    print(f"\n{title}")
    print(f"{'server':<24} {'answers/s':>10} {'rev+can/s':>10} {'placed':>8} {'revised':>8} {'cancelled':>9}"
          f" {'failures':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for r in runs:
        print(f"{r.name:<24} {r.answers_per_s:>10.1f} {r.revise_cancel_per_s:>10.1f} {r.placed:>8} {r.revised:>8}"
              f" {r.cancelled:>9} {r.failures:>8} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f}")


@contextmanager
def floor_server(workdir: Path) -> Iterator[MixedTarget]:
    """bench/floor_app.py serving the mixed workload's two routes."""
    port = free_port()
    log = workdir / "floor.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("floor_app.py")), str(port), "mixed"],
                                stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, proc, log)
        yield MixedTarget("floor (starlette+httptools)", base, ("t", "k", "s"), proc.pid)
    finally:
        proc.terminate()
        proc.wait(30)
