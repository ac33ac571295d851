"""Opening a store's SQLite file from a test, beside the store."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import apsw


@contextmanager
def sqlite_file(path: Path) -> Iterator[apsw.Connection]:
    """A connection of its own (autocommit), closed afterwards. It goes through apsw's SQLite, the one the
    store uses: two copies of SQLite in one process do not see each other's file locks."""
    conn = apsw.Connection(str(path))
    try:
        yield conn
    finally:
        conn.close()
