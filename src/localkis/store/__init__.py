"""Storage behind one narrow interface."""

from __future__ import annotations

from pathlib import Path

from localkis.store.base import OrderQuery, Store, TokenRecord, Transaction
from localkis.store.sqlite import SqliteStore

__all__ = ["OrderQuery", "SqliteStore", "Store", "TokenRecord", "Transaction", "open_store"]


def open_store(url: str) -> Store:
    """A store for a `--db` URL: `sqlite:///path` (relative), `sqlite:////abs/path`, a plain path, or
    `postgresql://user@host:port/dbname`."""
    if url.startswith(("postgresql://", "postgres://")):
        from localkis.store.postgres import PostgresStore

        return PostgresStore(url)
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///"):]
    elif "://" in url:
        raise ValueError(f"unsupported database URL {url!r}: use sqlite:///PATH or postgresql://…")
    else:
        path = url
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    return SqliteStore(path)
