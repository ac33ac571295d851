"""Reset (`POST /localkis/admin/reset`): the store work that forgets everything a test session did.

`RESET_TABLES` is the one list of tables whose rows a reset deletes; a module that adds a table of
state (reservations, bars, events, …) registers it with `register_reset_table` so a reset forgets it
too. Tables not listed (schema_version, counters) keep their rows: order numbers go on rising across
resets, so an order number from before a reset never names a new order."""

from __future__ import annotations

from localkis.store.base import Transaction

RESET_TABLES: list[str] = [
    "fills", "orders", "cash_ledger", "cash", "positions", "accounts", "last_trades", "tokens", "token_requests",
    "reservations", "realised", "bars", "approval_keys",
]
# Kept by a reset: `settings` (run-time instruments, the leaderboard's start; the clock's entry is
# rewritten by the reset itself), `apps` (run-time apps), the event outbox (followers keep their place).


def register_reset_table(name: str) -> None:
    """Have every reset delete the rows of table `name` (idempotent)."""
    if not name.isidentifier():
        raise ValueError(f"not a table name: {name!r}")
    if name not in RESET_TABLES:
        RESET_TABLES.append(name)


def forget_everything(tx: Transaction) -> None:
    """Store work: delete every row of every registered table."""
    tx.clear_tables(tuple(RESET_TABLES))
