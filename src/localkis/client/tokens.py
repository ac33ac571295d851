"""Access tokens: cached on disk per (base URL, appkey), reused until near expiry, one request a minute.

The cache file is JSON in a 0700 directory with 0600 permissions, written atomically. It also
records when a token was last *requested*, so that every process sharing the cache respects KIS's
one-issuance-per-minute limit (EGW00133). Issuance is serialised by a process lock plus an
`fcntl.flock` on a sibling `.lock` file (where the platform has it).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from localkis.client.models import KST

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows: the process lock alone
    fcntl = None  # type: ignore[assignment]

ISSUE_INTERVAL = timedelta(seconds=60)  # KIS: one token request per app per minute


@dataclass(frozen=True, slots=True)
class CachedToken:
    """An access token with its expiry (from KIS) and issue time (client clock)."""

    access_token: str
    expires_at: datetime  # aware
    issued_at: datetime  # aware, client clock


class _KeyLock:
    """A lock for one (base URL, appkey): a thread lock, plus flock on a file when there is a cache dir."""

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._thread_lock = threading.Lock()
        self._fd: int | None = None

    def _open(self) -> int | None:
        if self._path is None or fcntl is None:
            return None
        return os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)

    def acquire(self) -> None:
        self._thread_lock.acquire()
        try:
            fd = self._open()
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            self._fd = fd
        except BaseException:
            self._thread_lock.release()
            raise

    def try_acquire(self) -> bool:
        if not self._thread_lock.acquire(blocking=False):
            return False
        try:
            fd = self._open()
            if fd is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    self._thread_lock.release()
                    return False
            self._fd = fd
            return True
        except BaseException:
            self._thread_lock.release()
            raise

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
        self._thread_lock.release()


class TokenKeeper:
    """The token of one app at one server, shared by every client of the process."""

    def __init__(self, directory: Path | None, base_url: str, appkey: str) -> None:
        self.base_url = base_url
        self.appkey = appkey
        digest = hashlib.sha256(f"{base_url}\0{appkey}".encode()).hexdigest()[:32]
        self.directory = directory
        self.path = directory / f"{digest}.json" if directory else None
        self.lock = _KeyLock(directory / f"{digest}.lock" if directory else None)
        self.token: CachedToken | None = None
        self._last_request: datetime | None = None  # memory-only mode
        if directory is not None:
            ensure_private_dir(directory)

    # --- reading -----------------------------------------------------------------------------------
    def usable(self, now: datetime, margin: float) -> str | None:
        """The in-memory token if it has more than `margin` seconds left."""
        tok = self.token
        if tok is not None and (tok.expires_at - now).total_seconds() > margin:
            return tok.access_token
        return None

    def adopt(self, now: datetime, margin: float, rejected: str | None) -> str | None:
        """Under the lock: the cached token (another client or process may have renewed it)."""
        tok, _ = self._read()
        if tok is not None and tok.access_token != rejected and (tok.expires_at - now).total_seconds() > margin:
            self.token = tok
            return tok.access_token
        memory = self.token
        if (memory is not None and memory.access_token != rejected
                and (memory.expires_at - now).total_seconds() > margin):
            return memory.access_token
        return None

    def issue_wait(self, now: datetime) -> float:
        """Under the lock: seconds until KIS allows the next token request."""
        _, last = self._read()
        if last is None:
            return 0.0
        return max(0.0, (last + ISSUE_INTERVAL - now).total_seconds())

    def forget(self, rejected: str) -> None:
        """Drop the in-memory token if it is the one KIS just refused."""
        if self.token is not None and self.token.access_token == rejected:
            self.token = None

    # --- writing -----------------------------------------------------------------------------------
    def mark_request(self, now: datetime) -> None:
        """Under the lock, before sending tokenP: the request counts even if its answer is lost."""
        tok, _ = self._read()
        self._write(tok, now)

    def store(self, body: Mapping[str, Any], now: datetime) -> str:
        """Under the lock: a tokenP answer; the access token."""
        token = str(body.get("access_token", ""))
        expires_at = parse_expiry(body, now)
        self.token = CachedToken(token, expires_at, now)
        _, last = self._read()
        self._write(self.token, last or now)
        return token

    def _read(self) -> tuple[CachedToken | None, datetime | None]:
        if self.path is None:
            return self.token, self._last_request
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None, None
        if data.get("base_url") != self.base_url or data.get("appkey") != self.appkey:
            return None, None
        tok: CachedToken | None = None
        try:
            if data.get("access_token"):
                tok = CachedToken(str(data["access_token"]), datetime.fromisoformat(data["expires_at"]),
                                  datetime.fromisoformat(data["issued_at"]))
            last = datetime.fromisoformat(data["last_request_at"]) if data.get("last_request_at") else None
        except (KeyError, ValueError, TypeError):
            return None, None
        return tok, last

    def _write(self, tok: CachedToken | None, last_request: datetime | None) -> None:
        self._last_request = last_request
        if self.path is None or self.directory is None:
            return
        data = {"base_url": self.base_url, "appkey": self.appkey,
                "access_token": tok.access_token if tok else "",
                "expires_at": tok.expires_at.isoformat() if tok else "",
                "issued_at": tok.issued_at.isoformat() if tok else "",
                "last_request_at": last_request.isoformat() if last_request else ""}
        tmp = self.directory / f".{self.path.name}.{os.getpid()}.{threading.get_ident()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the issuance lock (threads and processes)."""
        self.lock.acquire()
        try:
            yield
        finally:
            self.lock.release()

    @contextlib.asynccontextmanager
    async def alocked(self) -> AsyncIterator[None]:
        """`locked` for asyncio: the lock is shared with threads and processes (flock), so it is polled
        rather than waited for, keeping the event loop free."""
        while not self.lock.try_acquire():
            await asyncio.sleep(0.005)
        try:
            yield
        finally:
            self.lock.release()


def ensure_private_dir(directory: Path) -> None:
    """Create `directory` owner-only (0700); tighten it if it exists and is ours."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    st = directory.stat()
    if st.st_mode & 0o077 and st.st_uid == os.getuid():
        os.chmod(directory, 0o700)


def parse_expiry(body: Mapping[str, Any], now: datetime) -> datetime:
    """`access_token_token_expired` ("YYYY-MM-DD HH:MM:SS", KST), else now + `expires_in`."""
    text = str(body.get("access_token_token_expired", "")).strip()
    if text:
        try:
            return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=KST)
        except ValueError:
            pass
    try:
        seconds = float(body.get("expires_in", 86400))
    except (TypeError, ValueError):
        seconds = 86400.0
    return now + timedelta(seconds=seconds)


_KEEPERS: dict[tuple[str | None, str, str], TokenKeeper] = {}
_KEEPERS_LOCK = threading.Lock()


def keeper_for(directory: Path | None, base_url: str, appkey: str) -> TokenKeeper:
    """The process-wide keeper of an app's token (clients of the same app share it)."""
    key = (str(directory) if directory else None, base_url, appkey)
    with _KEEPERS_LOCK:
        keeper = _KEEPERS.get(key)
        if keeper is None:
            keeper = _KEEPERS[key] = TokenKeeper(directory, base_url, appkey)
        return keeper


def forget_server(base_url: str) -> None:
    """Drop the in-memory token keepers of every app at `base_url` (a test server that was reset has
    forgotten the tokens it issued, and KIS's one-request-a-minute pacing must start afresh)."""
    with _KEEPERS_LOCK:
        for key in [k for k in _KEEPERS if k[0] is None and k[1] == base_url]:
            del _KEEPERS[key]


def utc_now() -> datetime:
    """The default client clock."""
    return datetime.now(UTC)


Clock = Callable[[], datetime]
