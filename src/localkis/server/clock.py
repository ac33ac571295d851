"""The server clock: real time, or a pinned start that runs on (config `clock`)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta


class Clock:
    def __init__(self, start: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._offset = timedelta(0)
        self._frozen: datetime | None = None
        if start is not None:
            self.set(start)

    def now(self) -> datetime:
        with self._lock:
            if self._frozen is not None:
                return self._frozen
            return datetime.now(UTC) + self._offset

    def set(self, moment: datetime, *, frozen: bool = False) -> None:
        """Jump to `moment`; it runs on from there unless `frozen`."""
        if moment.tzinfo is None:
            raise ValueError("clock time must be timezone-aware")
        with self._lock:
            self._frozen = moment.astimezone(UTC) if frozen else None
            self._offset = moment.astimezone(UTC) - datetime.now(UTC)

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            if self._frozen is not None:
                self._frozen += delta
            else:
                self._offset += delta

    @staticmethod
    def monotonic() -> float:
        return time.monotonic()
