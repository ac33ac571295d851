"""Benchmark: the cost of market-data requests against a quote, on one `localkis serve` (SQLite, loopback).

Sequential keep-alive requests, each kind in turn for several rounds (the median of the rounds):
- quote: GET price (HHDFS00000300);
- daily, one year: GET inquire-daily-chartprice over 365 days (100 rows, the newest) and GET dailyprice
  (100 rows);
- minutes, one day: GET inquire-time-itemchartprice, NREC 120 (a page) and NMIN 1;
- book: GET inquire-asking-price.
The first request of each kind (which computes the instrument's backfill) is not timed.

    .venv/bin/python bench/market_data.py [--calls 200] [--rounds 5]

Goal (issue 14): a one-year daily request and a one-day minute request cost ≤ 2× a quote.
Writes bench/results/market_data.json.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from common import localkis_server, write_result


@dataclass(frozen=True)
class Row:
    name: str
    ms_per_call: float
    vs_quote: float

QUOTE = "/uapi/overseas-price/v1/quotations/"
KINDS: dict[str, tuple[str, str, dict[str, str]]] = {
    "quote (price)": (QUOTE + "price", "HHDFS00000300", {"AUTH": "", "EXCD": "NAS", "SYMB": "AAPL"}),
    "daily, 1 year (daily-chartprice)": (QUOTE + "inquire-daily-chartprice", "FHKST03030100", {
        "FID_COND_MRKT_DIV_CODE": "N", "FID_INPUT_ISCD": "AAPL", "FID_INPUT_DATE_1": "20251201",
        "FID_INPUT_DATE_2": "20261201", "FID_PERIOD_DIV_CODE": "D"}),
    "daily, 100 rows (dailyprice)": (QUOTE + "dailyprice", "HHDFS76240000", {
        "AUTH": "", "EXCD": "NAS", "SYMB": "AAPL", "GUBN": "0", "BYMD": "", "MODP": "0"}),
    "minutes, 120 rows (minute chart)": (QUOTE + "inquire-time-itemchartprice", "HHDFS76950200", {
        "AUTH": "", "EXCD": "NAS", "SYMB": "AAPL", "NMIN": "1", "PINC": "1", "NEXT": "", "NREC": "120",
        "FILL": "", "KEYB": ""}),
    "book (asking price)": (QUOTE + "inquire-asking-price", "HHDFS76200100", {"AUTH": "", "EXCD": "NAS",
                                                                              "SYMB": "AAPL"}),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with localkis_server(f"sqlite:///{work / 'md.db'}", work) as srv, httpx.Client(base_url=srv.base) as http:
            def headers(tr_id: str) -> dict[str, str]:
                return {"authorization": f"Bearer {srv.token}", "appkey": srv.appkey, "appsecret": srv.appsecret,
                        "tr_id": tr_id, "custtype": "P", "content-type": "application/json; charset=utf-8"}

            for path, tr, params in KINDS.values():  # warm-up: the backfill is computed once
                assert http.get(path, params=params, headers=headers(tr)).json()["rt_cd"] == "0"
            times: dict[str, list[float]] = {k: [] for k in KINDS}
            for _ in range(args.rounds):
                for kind, (path, tr, params) in KINDS.items():
                    h = headers(tr)
                    start = time.perf_counter()
                    for _ in range(args.calls):
                        http.get(path, params=params, headers=h)
                    times[kind].append((time.perf_counter() - start) / args.calls * 1000)
    quote = statistics.median(times["quote (price)"])
    rows = []
    print(f"{'request':36} {'ms/call':>8} {'× quote':>8}")
    for kind, values in times.items():
        ms = statistics.median(values)
        rows.append(Row(kind, round(ms, 3), round(ms / quote, 2)))
        print(f"{kind:36} {ms:8.3f} {ms / quote:8.2f}")
    worst = max(r.vs_quote for r in rows if r.name.startswith(("daily", "minutes")))
    print(f"goal: daily and minute requests <= 2x a quote: {'MET' if worst <= 2 else 'NOT MET'} ({worst}x)")
    write_result("market_data", rows, calls=args.calls, rounds=args.rounds)


if __name__ == "__main__":
    main()
