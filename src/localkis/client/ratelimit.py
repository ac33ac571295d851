"""A token bucket per app, shared by every thread, task and client of the process.

KIS counts calls per app per wall-clock second (20 real, 2 mock) and answers the excess with
EGW00201. The bucket hands out send times (GCRA, "virtual scheduling"): a caller reserves the next
slot under a short lock and then sleeps until it, with `time.sleep` or `asyncio.sleep`, so sync and
async clients share one bucket. With the default capacity of 1 calls leave evenly spaced, 2 % wider
than 1/rate, so no wall-clock second ever sees more than `rate` of them even with a few
milliseconds of network jitter; EGW00201 is still retried (another process may share the app).
"""

from __future__ import annotations

import threading
import time

SPACING_MARGIN = 1.02  # pace at 98 % of the limit: arrival jitter must not push rate+1 calls into a second


class TokenBucket:
    """Rate `rate` per second with capacity `burst`; `rate` 0 means unpaced (but `penalize` still holds)."""

    def __init__(self, rate: float, burst: int = 1) -> None:
        self._lock = threading.Lock()
        self._tat = 0.0  # theoretical arrival time of the next call (monotonic seconds)
        self._hold = 0.0  # no call before this (set after the server said EGW00201)
        self._apply(rate, burst)

    def _apply(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = max(1, burst)
        self._interval = SPACING_MARGIN / rate if rate > 0 else 0.0
        self._tolerance = self._interval * (self.burst - 1)

    def configure(self, rate: float, burst: int = 1) -> None:
        """Change the rate or capacity (slots already handed out stay as they are)."""
        with self._lock:
            self._apply(rate, burst)

    def reserve(self, now: float | None = None) -> float:
        """Reserve the next slot; the seconds to wait before sending (0 if it may go now)."""
        t = time.monotonic() if now is None else now
        with self._lock:
            if self._interval == 0.0:
                return max(0.0, self._hold - t)
            start = max(t, self._tat - self._tolerance, self._hold)
            self._tat = max(self._tat, start) + self._interval
            return start - t

    def penalize(self, seconds: float, now: float | None = None) -> None:
        """Hold every caller for `seconds` (after the server said EGW00201), paced or not."""
        t = time.monotonic() if now is None else now
        with self._lock:
            self._hold = max(self._hold, t + seconds)


_BUCKETS: dict[tuple[str, str], TokenBucket] = {}
_BUCKETS_LOCK = threading.Lock()


def bucket_for(base_url: str, appkey: str, rate: float, burst: int = 1) -> TokenBucket:
    """The process-wide bucket of an app at a server (created on first use; the last config wins)."""
    key = (base_url, appkey)
    with _BUCKETS_LOCK:
        bucket = _BUCKETS.get(key)
        if bucket is None:
            bucket = _BUCKETS[key] = TokenBucket(rate, burst)
        elif bucket.rate != rate or bucket.burst != burst:
            bucket.configure(rate, burst)
        return bucket
