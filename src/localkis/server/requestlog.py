"""The request log: one line per KIS request (method, path, TR ID, app name, account, status, msg_cd,
duration) on the `localkis.requests` logger at INFO, and the latest entries kept in memory for
`GET /localkis/admin/requests` (`localkis log --follow`, the dashboard).

Only those fields are recorded: appsecrets, tokens, approval keys and request bodies never are.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections import deque
from datetime import datetime
from typing import Any

log = logging.getLogger("localkis.requests")

KEPT = 2000  # entries kept for the admin API (per process)
_MSG_CD = b'"msg_cd":"'
_ERROR_CODE = b'"error_code":"'


def msg_cd_of(body: bytes) -> str:
    """The answer's msg_cd (or an OAuth error_code) without parsing the JSON: one search in the bytes."""
    for key in (_MSG_CD, _ERROR_CODE):
        at = body.find(key)
        if at >= 0:
            start = at + len(key)
            end = body.find(b'"', start)
            return body[start:end].decode("ascii", "replace") if end > start else ""
    return ""


class RequestLog:
    def __init__(self, kept: int = KEPT) -> None:
        self._entries: deque[tuple[Any, ...]] = deque(maxlen=kept)
        self._seq = itertools.count(1)
        self._lock = threading.Lock()

    def record(self, *, at: datetime, method: str, path: str, tr_id: str, app: str, account: str, status: int,
               msg_cd: str, seconds: float) -> None:
        ms = seconds * 1000
        # A tuple now, a dict only when asked for: this runs on every request.
        with self._lock:
            self._entries.append((next(self._seq), at, method, path, tr_id, app, account, status, msg_cd, ms))
        if log.isEnabledFor(logging.INFO):
            log.info("%s %s tr_id=%s app=%s account=%s -> %d %s %.1fms", method, path, tr_id or "-", app or "-",
                     account or "-", status, msg_cd or "-", ms)

    def since(self, after: int, limit: int = 500) -> list[dict[str, Any]]:
        """Entries with `seq` > `after`, oldest first, at most `limit`."""
        with self._lock:
            rows = [e for e in self._entries if e[0] > after][:limit]
        return [{"seq": seq, "at": at.isoformat(), "method": method, "path": path, "tr_id": tr_id, "app": app,
                 "account": account, "status": status, "msg_cd": msg_cd, "ms": round(ms, 2)}
                for seq, at, method, path, tr_id, app, account, status, msg_cd, ms in rows]
