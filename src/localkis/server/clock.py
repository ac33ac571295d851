"""The server clock: real time, or a pinned start that runs on (config `clock`)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

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

    def reset(self, start: datetime | None) -> None:
        """Back to real time, or to a configured start that runs on (a server reset)."""
        with self._lock:
            self._state = (None, _NO_OFFSET)
        if start is not None:
            self.set(start)

    @staticmethod
    def monotonic() -> float:
        return time.monotonic()
