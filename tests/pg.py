"""A fresh PostgreSQL database for a test, found through LOCALKIS_TEST_PG.

Default: the local server, database `test`, user `postgres`. Under CI=true an unreachable PostgreSQL
fails the test; elsewhere the test is skipped with a loud message.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import pytest

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"


def admin_url() -> str:
    return os.environ.get("LOCALKIS_TEST_PG", DEFAULT_URL)


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def unavailable(reason: str) -> None:
    message = f"PostgreSQL unavailable at {admin_url()}: {reason}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " (CI=true: PostgreSQL is required)")
    print(f"\n*** SKIPPING PostgreSQL test: {message} ***", file=sys.stderr)
    pytest.skip(message)


@contextmanager
def fresh_database() -> Iterator[str]:
    """Create an empty database, yield its URL, drop it afterwards."""
    import psycopg

    base = admin_url()
    try:
        admin = psycopg.connect(base, autocommit=True, connect_timeout=3)
    except psycopg.Error as exc:
        unavailable(str(exc).strip())
        raise AssertionError("unreachable") from None  # pytest.skip/fail raised already
    name = f"localkis_test_{secrets.token_hex(6)}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"'.encode())
        try:
            yield _with_database(base, name)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())
