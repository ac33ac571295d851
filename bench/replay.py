"""Benchmark: in-process replay — ticks processed per second with 100k resting orders across 1k symbols.

No HTTP and no server: a SQLite store in a temporary directory (WAL, synchronous=FULL, as the server
runs it) is preloaded through the store with `--orders` resting limit orders spread over `--symbols`
NASD symbols (half buys below the spread, half sells above it, 10 shares each), then `--ticks` ticks
run through `localkis.engine.book.BookTrader`, the in-process replay path:

- most ticks trade inside the spread and cross nothing: the in-memory book answers with a dict look-up
  and the last price stays in memory (written once at the end, inside the timed part);
- a fraction `--crossing` of the ticks trades at the best resting limit of one side with size 10, so it
  fills exactly one resting order: those run `FillEngine.on_trade` in a store transaction each.

The ticks are generated before timing starts (the figure is the engine's, not a file parser's). For
comparison the same store then takes `--baseline` non-crossing ticks the way the server takes every
tick (`Desk.trade`: one store transaction each, running `FillEngine.on_trade`).

    .venv/bin/python bench/replay.py [--ticks 500000] [--orders 100000] [--symbols 1000] [--crossing 0.001]

Prints a table and writes bench/results/replay.json. The goal is >= 200,000 ticks/s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from preload import add_resting  # bench/preload.py: the one place that writes preloaded orders

from localkis.domain.accounts import Position
from localkis.domain.hours import MarketHours
from localkis.engine.book import BookTrader, replay_in_process
from localkis.engine.fills import FillEngine
from localkis.engine.sources import Tick
from localkis.protocol.exchanges import Exchange
from localkis.protocol.orders import Side
from localkis.store.sqlite import SqliteStore

REPO = Path(__file__).resolve().parents[1]
GOAL = 200_000
MID_CENTS = 10_000  # every symbol trades around $100.00
SPREAD_CENTS = 10  # resting buys from $99.90 down, sells from $100.10 up, one cent apart
QTY = 10
START = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # 10:00 New York: the regular session
ACCOUNTS = [f"{70000000 + i}-01" for i in range(10)]


def symbols(count: int) -> list[str]:
    return [f"B{i:04d}" for i in range(count)]


def preload(store: SqliteStore, names: list[str], count: int) -> None:
    """`count` resting orders over `names`: per symbol alternately a buy one cent lower and a sell one higher."""
    now = START - timedelta(hours=1)
    for number in ACCOUNTS:
        with store.transaction() as tx:
            tx.ensure_account(number, {"USD": Decimal(10) ** 12},
                              [(Exchange.NASD, s, Position(10**9, Decimal("100"))) for s in names], now)
    per_symbol = count // len(names)
    plan: list[tuple[str, Side, Decimal]] = []
    for level in range(per_symbol):
        side = Side.BUY if level % 2 == 0 else Side.SELL
        depth = level // 2
        cents = MID_CENTS - SPREAD_CENTS - depth if side is Side.BUY else MID_CENTS + SPREAD_CENTS + depth
        for name in names:
            plan.append((name, side, Decimal(cents).scaleb(-2)))
    batch = 5000
    for start in range(0, len(plan), batch):
        with store.transaction() as tx:
            for i, (name, side, price) in enumerate(plan[start:start + batch], start=start):
                add_resting(tx, ACCOUNTS[i % len(ACCOUNTS)], Exchange.NASD, name, side, price, QTY, now, "20261125")
        print(f"  preloaded {min(start + batch, len(plan))}/{len(plan)} orders", end="\r", flush=True)
    print()


def make_ticks(names: list[str], count: int, crossing: float, per_symbol: int, seed: int) -> tuple[list[Tick], int]:
    """`count` ticks; about `crossing` of them hit the best resting order of one side. (ticks, crossing ticks)."""
    rng = random.Random(seed)
    prices = {c: Decimal(c).scaleb(-2) for c in range(MID_CENTS - SPREAD_CENTS - per_symbol,
                                                      MID_CENTS + SPREAD_CENTS + per_symbol + 1)}
    depth = per_symbol // 2
    taken = {name: [0, 0] for name in names}  # levels already filled: buys, sells
    ticks: list[Tick] = []
    crossed = 0
    step = timedelta(milliseconds=1)
    for i in range(count):
        name = names[rng.randrange(len(names))]
        at = START + step * i
        if rng.random() < crossing:
            sell_side = rng.random() < 0.5
            levels = taken[name]
            level = levels[sell_side]
            if level < depth:
                levels[sell_side] += 1
                cents = MID_CENTS + SPREAD_CENTS + level if sell_side else MID_CENTS - SPREAD_CENTS - level
                ticks.append(Tick(Exchange.NASD, name, prices[cents], QTY, at))
                crossed += 1
                continue
        cents = MID_CENTS + rng.randrange(-SPREAD_CENTS + 1, SPREAD_CENTS)
        ticks.append(Tick(Exchange.NASD, name, prices[cents], rng.randrange(1, 500), at))
    return ticks, crossed


def baseline(store: SqliteStore, engine: FillEngine, names: list[str], count: int) -> float:
    """Ticks/s the server's way: one store transaction per tick running FillEngine.on_trade."""
    rng = random.Random(7)
    at = START + timedelta(hours=1)
    started = time.perf_counter()
    for i in range(count):
        price = Decimal(MID_CENTS + rng.randrange(-SPREAD_CENTS + 1, SPREAD_CENTS)).scaleb(-2)
        with store.transaction() as tx:
            engine.on_trade(tx, Exchange.NASD, names[rng.randrange(len(names))], price, 100,
                            at + timedelta(milliseconds=i))
    return count / (time.perf_counter() - started)


def replay(db: Path, engine: FillEngine, names: list[str], ticks: list[Tick], crossing: int,
           batch: int) -> dict[str, Any]:
    """One timed replay on `db` (a copy of the preloaded database)."""
    store = SqliteStore(db)
    try:
        started = time.perf_counter()
        trader = BookTrader.open(store, engine, [(Exchange.NASD, n) for n in names], batch=batch)
        loaded = time.perf_counter() - started
        started = time.perf_counter()
        stats = replay_in_process(trader, ticks)
        elapsed = time.perf_counter() - started
        filled = sum(1 for o in store.all_orders() if o.filled)
        if stats.fills != crossing or filled != crossing:
            raise SystemExit(f"wrong fills: {stats.fills} by the engine, {filled} in the store, {crossing} expected")
    finally:
        store.close()
    return {"batch": batch, "ticks": len(ticks), "store_ticks": stats.store_ticks, "fills": stats.fills,
            "book_load_s": round(loaded, 3), "replay_s": round(elapsed, 3), "ticks_per_s": round(len(ticks) / elapsed)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ticks", type=int, default=500_000)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--symbols", type=int, default=1000)
    parser.add_argument("--crossing", type=float, default=0.001, help="fraction of ticks that fill an order")
    parser.add_argument("--batch", type=int, default=100,
                        help="crossing ticks per store transaction in the grouped run (the other run uses 1)")
    parser.add_argument("--baseline", type=int, default=2000, help="ticks for the transaction-per-tick baseline")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    names = symbols(args.symbols)
    per_symbol = args.orders // args.symbols
    hours = MarketHours(date(2026, 1, 1), date(2027, 12, 31))
    engine = FillEngine(hours)
    with tempfile.TemporaryDirectory() as tmp:
        seed_db = Path(tmp) / "preloaded.db"
        store = SqliteStore(seed_db)
        print(f"preloading {args.orders} orders over {args.symbols} symbols (not timed)")
        preload(store, names, args.orders)
        store.close()  # checkpoints the WAL: the file alone is the database
        ticks, crossing = make_ticks(names, args.ticks, args.crossing, per_symbol, args.seed)
        runs = []
        for n, batch in enumerate((1, args.batch)):
            db = Path(tmp) / f"run{n}.db"
            shutil.copyfile(seed_db, db)
            runs.append(replay(db, engine, names, ticks, crossing, batch))
        store = SqliteStore(seed_db)
        try:
            base = baseline(store, engine, names, args.baseline)
        finally:
            store.close()

    print(f"\nin-process replay: {args.orders:,} resting orders over {args.symbols:,} symbols, {args.ticks:,} ticks "
          f"({crossing:,} fill an order), SQLite WAL synchronous=FULL")
    print(f"{'commit':<28} {'store ticks':>11} {'fills':>7} {'load s':>7} {'replay s':>9} {'ticks/s':>10}")
    for r in runs:
        label = "each crossing tick" if r["batch"] == 1 else f"every {r['batch']} crossing ticks"
        print(f"{label:<28} {r['store_ticks']:>11,} {r['fills']:>7,} {r['book_load_s']:>7.2f} {r['replay_s']:>9.3f} "
              f"{r['ticks_per_s']:>10,}")
    print(f"{'server path (tx per tick)':<28} {'':>11} {'':>7} {'':>7} {'':>9} {round(base):>10,}")
    for r in runs:
        verdict = "PASS" if r["ticks_per_s"] >= GOAL else "BELOW GOAL"
        print(f"goal >= {GOAL:,} ticks/s, batch {r['batch']}: {verdict}")

    out_dir = REPO / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    record = {"benchmark": "replay", "when": datetime.now(UTC).isoformat(), "cpu_count": os.cpu_count(),
              "machine": platform.machine(), "python": platform.python_version(), "store": "sqlite",
              "orders": args.orders, "symbols": args.symbols, "ticks": args.ticks, "crossing_fraction": args.crossing,
              "crossing_ticks": crossing, "runs": runs, "baseline_transaction_per_tick_ticks_per_s": round(base),
              "goal": GOAL}
    (out_dir / "replay.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
