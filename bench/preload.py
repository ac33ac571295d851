"""Preload resting orders straight through the store of the build this file belongs to (setup, not measured).

The one place where the benchmarks write orders without going through the server: when the store's API
changes, adapt this file (`add_resting` and `preload`) and every benchmark follows. It imports the package
from its own tree's `src/`, so `other-tree/bench/preload.py` writes with the other tree's store and schema
(that is how `--a`/`--b` comparisons preload each build).

    python bench/preload.py --db sqlite:///book.db --account 12345678-01 --buys 100000 [--sells 0]
        [--exchange NASD] [--symbol AAPL] [--buy-price 150.00] [--sell-price 250.00] [--levels 1000]
        [--quantity 10]

Buys rest at `--buy-price` and below (one cent apart over `--levels` price levels), sells at
`--sell-price` and above; the account gets the shares its sells need. Prints the first and last order
numbers written as JSON on stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path


def _source_tree() -> Path:
    """This file's tree's `src/`, or the one given by `--src` (a tree whose bench/ has no preload.py)."""
    if __name__ == "__main__" and "--src" in sys.argv[:-1]:
        return Path(sys.argv[sys.argv.index("--src") + 1]).resolve()
    return Path(__file__).resolve().parents[1] / "src"


# Importing `localkis` from the right tree must come before the imports below.
sys.path.insert(0, str(_source_tree()))

from localkis.domain import place_order  # noqa: E402
from localkis.domain.accounts import Position  # noqa: E402
from localkis.domain.hours import compact_date, local_date  # noqa: E402
from localkis.domain.orders import NewOrder  # noqa: E402
from localkis.protocol.env import Env  # noqa: E402
from localkis.protocol.exchanges import EXCHANGES, Exchange  # noqa: E402
from localkis.protocol.orders import Side  # noqa: E402
from localkis.store import open_store  # noqa: E402
from localkis.store.base import Transaction  # noqa: E402

CENT = Decimal("0.01")
# Orders per transaction: few commits (a commit costs an fsync), WAL growth bounded.
BATCH = 50_000
BRANCH = "01790"
# The account's opening cash; the benchmarks' server config (bench/common.py) gives it the same, so the
# server's start-up finds the account as it would have opened it.
CASH = Decimal("1000000000000.00")


def add_resting(tx: Transaction, account: str, exchange: Exchange, symbol: str, side: Side, price: Decimal,
                quantity: int, now: datetime, local_day: str) -> str:
    """Write one resting limit order in the open transaction `tx`; returns its order number."""
    tr_id = "TTTT1002U" if side is Side.BUY else "TTTT1006U"
    command = NewOrder(account=account, env=Env.REAL, exchange=exchange, symbol=symbol, side=side,
                       order_type="00", quantity=quantity, price=price, tr_id=tr_id)
    order = place_order.record(command, tx.next_order_no(), now, BRANCH)
    tx.insert_order(order, local_day)
    return order.order_no


def preload(url: str, account: str, *, exchange: str = "NASD", symbol: str = "AAPL", buys: int = 0,
            sells: int = 0, buy_price: Decimal = Decimal("150.00"), sell_price: Decimal = Decimal("250.00"),
            levels: int = 1, quantity: int = 10, cash: Decimal = CASH, label: str = "orders") -> tuple[str, str]:
    """`buys` resting buys at `buy_price` and below and `sells` resting sells at `sell_price` and above on
    one instrument of one account (created with `cash` if new; given the shares its sells need). Returns
    the first and last order numbers written ("", "" when none)."""
    venue = Exchange(exchange)
    now = datetime.now(UTC)
    day = compact_date(local_date(venue, now))
    plan = [(Side.BUY, buy_price - CENT * (i % levels)) for i in range(buys)]
    plan += [(Side.SELL, sell_price + CENT * (i % levels)) for i in range(sells)]
    store = open_store(url)
    first = last = ""
    try:
        with store.transaction() as tx:
            tx.ensure_account(account, {EXCHANGES[venue].currency: cash}, [], now)
            if sells:
                held = tx.holding(account, venue, symbol).position
                tx.set_position(account, venue, symbol, Position(held.quantity + sells * quantity,
                                                                  held.average_price if held.quantity else sell_price))
        for start in range(0, len(plan), BATCH):
            with store.transaction() as tx:
                for side, price in plan[start:start + BATCH]:
                    last = add_resting(tx, account, venue, symbol, side, price, quantity, now, day)
                    first = first or last
            print(f"  preloaded {min(start + BATCH, len(plan)):,}/{len(plan):,} {label}", end="\r",
                  file=sys.stderr, flush=True)
        if plan:
            print(file=sys.stderr)
    finally:
        store.close()
    return first, last


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="store URL, e.g. sqlite:///book.db")
    parser.add_argument("--account", required=True, help="e.g. 12345678-01")
    parser.add_argument("--exchange", default="NASD")
    parser.add_argument("--symbol", default="AAPL")
    parser.add_argument("--buys", type=int, default=0)
    parser.add_argument("--sells", type=int, default=0)
    parser.add_argument("--buy-price", type=Decimal, default=Decimal("150.00"), help="the highest buy limit")
    parser.add_argument("--sell-price", type=Decimal, default=Decimal("250.00"), help="the lowest sell limit")
    parser.add_argument("--levels", type=int, default=1, help="price levels, one cent apart, per side")
    parser.add_argument("--quantity", type=int, default=10, help="shares per order")
    parser.add_argument("--label", default="orders")
    parser.add_argument("--src", help="write with the package in this src/ instead of this file's tree's"
                                      " (for a tree whose bench/ has no preload.py)")
    args = parser.parse_args()
    first, last = preload(args.db, args.account, exchange=args.exchange, symbol=args.symbol, buys=args.buys,
                          sells=args.sells, buy_price=args.buy_price, sell_price=args.sell_price,
                          levels=args.levels, quantity=args.quantity, label=args.label)
    print(json.dumps({"first": first, "last": last}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
