"""Storage behind one narrow interface."""

from __future__ import annotations

from pathlib import Path

from localkis.store.base import OrderQuery, Store, TokenRecord, Transaction
from localkis.store.sqlite import SqliteStore

__all__ = ["OrderQuery", "SqliteStore", "Store", "TokenRecord", "Transaction", "open_store"]


def open_store(url: str) -> SqliteStore:
    """A store for a `--db` URL: `sqlite:///path` (relative) or `sqlite:////abs/path`, or a plain path."""
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///"):]
    elif "://" in url:
        raise ValueError(f"unsupported database URL {url!r}: only sqlite:///PATH is supported so far")
    else:
        path = url
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    return SqliteStore(path)
