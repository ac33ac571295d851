"""Issue 17, defect 1: the clock set through the admin API survives a restart (kept in the store)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from localkis.server.clock import Clock, restore_clock, save_clock
from localkis.store.sqlite import SqliteStore

PIN = datetime(2026, 11, 25, 14, 45, tzinfo=UTC)
LATER = datetime(2027, 1, 4, 15, 0, tzinfo=UTC)


def save(store: SqliteStore, clock: Clock, pinned: datetime | None) -> None:
    async def go() -> None:
        await store.run(save_clock(clock, pinned))

    asyncio.run(go())


def test_a_frozen_clock_comes_back_after_a_restart(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "a.db")
    clock = Clock()
    clock.set(LATER, frozen=True)
    clock.advance(timedelta(seconds=90))
    save(store, clock, None)
    store.close()
    store = SqliteStore(tmp_path / "a.db")
    restarted = Clock()
    assert restore_clock(restarted, store, None)
    assert restarted.now() == LATER + timedelta(seconds=90)
    store.close()


def test_a_running_clock_keeps_its_offset_from_real_time(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "a.db")
    clock = Clock(PIN)
    clock.set(LATER)
    save(store, clock, PIN)
    restarted = Clock(PIN)
    assert restore_clock(restarted, store, PIN)
    assert abs(restarted.now() - LATER) < timedelta(seconds=5)
    store.close()


def test_an_edited_config_clock_wins_over_the_saved_setting(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "a.db")
    clock = Clock(PIN)
    clock.set(LATER, frozen=True)
    save(store, clock, PIN)
    other_pin = PIN + timedelta(days=1)
    restarted = Clock(other_pin)
    assert not restore_clock(restarted, store, other_pin)
    assert abs(restarted.now() - other_pin) < timedelta(seconds=5)
    store.close()


def test_nothing_saved_leaves_the_clock_alone(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "a.db")
    clock = Clock()
    assert not restore_clock(clock, store, None)
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)
    store.close()
