"""Issue 17, defect 1: the one-token-per-minute limit follows real time, not the server clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from localkis.protocol.env import Env
from localkis.server.auth import App, Tokens
from localkis.store.sqlite import SqliteStore
from localkis.wire.errors import TokenEndpointError

APP = App("PS" + "a" * 34, "s" * 180, Env.REAL, frozenset({"12345678-01"}), "demo")
REAL_START = datetime(2026, 12, 2, 5, 0, tzinfo=UTC)


class Wall:
    """A settable stand-in for the host's real time."""

    def __init__(self) -> None:
        self.now = REAL_START

    def __call__(self) -> datetime:
        return self.now


def issue(store: SqliteStore, tokens: Tokens, server_now: datetime) -> str:
    with store.transaction() as tx:
        return tokens.issue(APP, server_now)(tx).token


def test_clock_set_forward_then_back_does_not_lock_the_app_out(store: SqliteStore) -> None:
    wall = Wall()
    tokens = Tokens(store, b"k" * 32, issue_limit=True, wall=wall)
    issue(store, tokens, REAL_START + timedelta(days=3))  # `localkis clock set` three days ahead
    wall.now += timedelta(minutes=1, seconds=1)
    issue(store, tokens, REAL_START + timedelta(minutes=1))  # clock set back: a minute of real time passed


def test_pinned_clock_after_a_restart_does_not_lock_the_app_out(store: SqliteStore) -> None:
    pinned = datetime(2026, 11, 25, 14, 45, tzinfo=UTC)
    wall = Wall()
    issue(store, Tokens(store, b"k" * 32, issue_limit=True, wall=wall), pinned + timedelta(hours=5))
    wall.now += timedelta(minutes=2)
    issue(store, Tokens(store, b"k" * 32, issue_limit=True, wall=wall), pinned)  # restarted at the pin


def test_the_limit_still_holds_within_a_minute_of_real_time(store: SqliteStore) -> None:
    wall = Wall()
    tokens = Tokens(store, b"k" * 32, issue_limit=True, wall=wall)
    issue(store, tokens, REAL_START)
    wall.now += timedelta(seconds=30)
    with pytest.raises(TokenEndpointError):
        issue(store, tokens, REAL_START + timedelta(days=2))  # the server clock jumping ahead does not help


def test_a_last_request_in_the_future_does_not_count(store: SqliteStore) -> None:
    with store.transaction() as tx:
        tx.set_last_token_request(APP.appkey, REAL_START + timedelta(days=5))  # stored by an older version
    issue(store, Tokens(store, b"k" * 32, issue_limit=True, wall=Wall()), REAL_START)
