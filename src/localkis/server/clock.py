"""The server clock: real time, or a pinned start that runs on (config `clock`)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from localkis.store.base import Store, Transaction

_NO_OFFSET = timedelta(0)


class Clock:
    def __init__(self, start: datetime | None = None) -> None:
        self._lock = threading.Lock()  # serialises the writers (set, advance)
        # (frozen instant or None, offset from real time), replaced as one tuple: `now` reads it without
        # the lock (it runs on every request) and always sees a consistent pair.
        self._state: tuple[datetime | None, timedelta] = (None, _NO_OFFSET)
        if start is not None:
            self.set(start)

    def now(self) -> datetime:
        frozen, offset = self._state
        if frozen is not None:
            return frozen
        return datetime.now(UTC) + offset if offset else datetime.now(UTC)

    @property
    def frozen(self) -> bool:
        return self._state[0] is not None

    def set(self, moment: datetime, *, frozen: bool = False) -> None:
        """Jump to `moment`; it runs on from there unless `frozen`."""
        if moment.tzinfo is None:
            raise ValueError("clock time must be timezone-aware")
        with self._lock:
            self._state = (moment.astimezone(UTC) if frozen else None,
                           moment.astimezone(UTC) - datetime.now(UTC))

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            frozen, offset = self._state
            self._state = (frozen + delta, offset) if frozen is not None else (None, offset + delta)

    def setting(self) -> dict[str, object]:
        """The clock's setting, to keep across a restart: a frozen instant, or the offset from real time
        (so a running clock restored after a restart has moved on by the time the server was down)."""
        frozen, offset = self._state
        return {"frozen": frozen.isoformat() if frozen else None, "offset_seconds": offset.total_seconds()}

    def restore(self, setting: dict[str, object]) -> None:
        """Take back a `setting()`; ValueError if it is not one."""
        try:
            raw = setting["frozen"]
            frozen = None if raw is None else datetime.fromisoformat(str(raw)).astimezone(UTC)
            offset = timedelta(seconds=float(str(setting["offset_seconds"])))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a clock setting: {setting!r}") from exc
        with self._lock:
            self._state = (frozen, offset)

    def reset(self, start: datetime | None) -> None:
        """Back to real time, or to a configured start that runs on (a server reset)."""
        with self._lock:
            self._state = (None, _NO_OFFSET)
        if start is not None:
            self.set(start)

    @staticmethod
    def monotonic() -> float:
        return time.monotonic()


# The store setting that keeps the clock as last set through the admin API.
CLOCK_SETTING = "clock"


def save_clock(clock: Clock, pinned: datetime | None) -> Callable[[Transaction], None]:
    """Store work: keep `clock`'s setting, with the config's `clock` it was made under."""
    text = json.dumps({**clock.setting(), "config": pinned.isoformat() if pinned else None})

    def work(tx: Transaction) -> None:
        tx.set_setting(CLOCK_SETTING, text)

    return work


def restore_clock(clock: Clock, store: Store, pinned: datetime | None) -> bool:
    """Put back the clock last set through the admin API, unless the config's `clock` has been changed
    since (an edited config wins); True if restored."""
    with store.read() as tx:
        text = tx.setting(CLOCK_SETTING)
    if text is None:
        return False
    try:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("config") != (pinned.isoformat() if pinned else None):
            return False
        clock.restore(data)
    except ValueError:  # a setting this version cannot read: start from the config
        return False
    return True
