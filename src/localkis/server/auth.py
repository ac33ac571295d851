"""Apps, tokens and per-app rate limits (PROTOCOL §2, §12; issue: tokens 24 h, reuse within 6 h, 1/min)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson

from localkis.protocol.codes import (
    REAL_APP_MOCK_TR_TEXT,
    TOKEN_BAD_APPKEY,
    TOKEN_BAD_APPSECRET,
    TOKEN_RATE_LIMIT,
    Gateway,
)
from localkis.protocol.env import Env
from localkis.protocol.trids import tr_env_family
from localkis.store.base import Store, TokenRecord, Transaction
from localkis.wire.errors import GatewayError, TokenEndpointError

log = logging.getLogger("localkis")

TOKEN_LIFETIME = timedelta(hours=24)
TOKEN_REUSE_WINDOW = timedelta(hours=6)
TOKEN_REQUEST_INTERVAL = timedelta(minutes=1)
# A token checked against the database is trusted for this long in the same process; a revoke made by
# another process is therefore seen within this time (one made by this process at once).
TOKEN_CACHE_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class App:
    appkey: str
    appsecret: str
    env: Env
    accounts: frozenset[str]
    name: str = ""

    def owns(self, account: str) -> bool:
        return account in self.accounts


class Apps:
    """The registered apps, by appkey."""

    def __init__(self, apps: list[App]) -> None:
        self._by_key = {a.appkey: a for a in apps}

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._by_key.values())

    def get(self, appkey: str) -> App | None:
        return self._by_key.get(appkey)

    def add(self, app: App) -> None:
        """Add or replace an app at run time (copy on write: readers never see a half-changed dict)."""
        self._by_key = {**self._by_key, app.appkey: app}

    def remove(self, appkey: str) -> App | None:
        """Take an app out (disabled): its requests fail as an unknown appkey from now on."""
        gone = self._by_key.get(appkey)
        self._by_key = {k: a for k, a in self._by_key.items() if k != appkey}
        return gone

    def authenticate(self, appkey: str, appsecret: str) -> App:
        """The app for gateway headers, or EGW00103/EGW00105."""
        app = self._by_key.get(appkey)
        if app is None:
            raise GatewayError(Gateway.BAD_APPKEY)
        if not hmac.compare_digest(app.appsecret, appsecret):
            raise GatewayError(Gateway.BAD_APPSECRET)
        return app

    def authenticate_for_token(self, appkey: str, appsecret: str) -> App:
        """The same check in the OAuth endpoints' 403 shape."""
        app = self._by_key.get(appkey)
        if app is None:
            raise TokenEndpointError(TOKEN_BAD_APPKEY)
        if not hmac.compare_digest(app.appsecret, appsecret):
            raise TokenEndpointError(TOKEN_BAD_APPSECRET)
        return app


def check_tr_family(app: App, tr_id: str) -> None:
    """A mock app must send V… TRs and a real app T…/J…/C… ones (A1). Shared TRs (HHDFS…) pass."""
    family = tr_env_family(tr_id)
    if family is None or family is app.env:
        return
    raise _WRONG_FAMILY[app.env]()


# The answer to a TR of the other environment's family, by the app's environment (A1).
_WRONG_FAMILY: dict[Env, Callable[[], GatewayError]] = {
    Env.MOCK: lambda: GatewayError(Gateway.NOT_MOCK_TR),
    Env.REAL: lambda: GatewayError(Gateway.MOCK_KEY_ON_REAL, REAL_APP_MOCK_TR_TEXT),
}


class Tokens:
    """Issue, reuse, revoke and check access tokens; records live in the store (they survive restarts)."""

    def __init__(self, store: Store, signing_key: bytes, *, issue_limit: bool,
                 wall: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._store = store
        self._key = signing_key
        self._issue_limit = issue_limit
        # The one-per-minute limit follows elapsed real time, not the server clock: a clock set forward
        # and back (or a pinned start after a restart) must not lock an app out for days (issue 17).
        self._wall = wall
        self._checked: dict[str, tuple[TokenRecord, float]] = {}

    def _mint(self, app: App, now: datetime) -> str:
        # JWT-shaped like KIS's tokens; only this server reads it, by exact lookup.
        header = {"typ": "JWT", "alg": "HS256"}
        payload = {"sub": "token", "aud": hashlib.sha256(app.appkey.encode()).hexdigest()[:36],
                   "prdt_cd": "", "iss": "unogw", "exp": int((now + TOKEN_LIFETIME).timestamp()),
                   "iat": int(now.timestamp()), "jti": secrets.token_hex(16)}

        def b64(data: bytes) -> str:
            return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

        signing_input = b64(orjson.dumps(header)) + "." + b64(orjson.dumps(payload))
        signature = hmac.new(self._key, signing_input.encode(), hashlib.sha256).digest()
        return signing_input + "." + b64(signature)

    def issue(self, app: App, now: datetime) -> Callable[[Transaction], TokenRecord]:
        """Store work: a token for `app` — the current one if issued within 6 h (server clock `now`), else a new
        one; 1 request per minute of real time."""

        wall = self._wall()

        def work(tx: Transaction) -> TokenRecord:
            tx.lock_app(app.appkey)
            last = tx.last_token_request(app.appkey)
            # A last request in the future (the host clock moved back, or a record from a version that
            # stored server-clock times) does not count.
            if (self._issue_limit and last is not None
                    and timedelta(0) <= wall - last < TOKEN_REQUEST_INTERVAL):
                raise TokenEndpointError(TOKEN_RATE_LIMIT)
            tx.set_last_token_request(app.appkey, wall)
            current = tx.latest_token(app.appkey)
            if (current is not None and not current.revoked and now - current.issued_at < TOKEN_REUSE_WINDOW
                    and current.expires_at > now):
                return current
            record = TokenRecord(self._mint(app, now), app.appkey, now, now + TOKEN_LIFETIME)
            tx.insert_token(record)
            return record

        return work

    def revoke(self, app: App, token: str) -> Callable[[Transaction], bool]:
        """Store work: revoke one of `app`'s tokens; False if it has no such token."""
        self._checked.pop(token, None)

        def work(tx: Transaction) -> bool:
            record = tx.find_token(token)
            if record is None or record.appkey != app.appkey:
                return False
            return tx.revoke_token(token)

        return work

    def cached(self, token: str, monotonic_now: float) -> TokenRecord | None:
        """A recently checked token record, if any (no database round trip)."""
        hit = self._checked.get(token)
        if hit is not None and monotonic_now - hit[1] < TOKEN_CACHE_SECONDS:
            return hit[0]
        return None

    def load(self, token: str, monotonic_now: float) -> TokenRecord | None:
        with self._store.read() as tx:
            record = tx.find_token(token)
        if record is not None and not record.revoked:
            if len(self._checked) > 10_000:
                self._checked.clear()
            self._checked[token] = (record, monotonic_now)
        return record

    def forget(self) -> None:
        """Drop the checked-token memory (after a reset deleted the tokens it remembers)."""
        self._checked.clear()

    @staticmethod
    def verify(app: App, record: TokenRecord | None, now: datetime) -> None:
        """EGW00121 for an unknown, revoked or another app's token; EGW00123 for an expired one."""
        if record is None or record.revoked or record.appkey != app.appkey:
            raise GatewayError(Gateway.BAD_TOKEN)
        if record.expires_at <= now:
            raise GatewayError(Gateway.TOKEN_EXPIRED)


class RateLimiter:
    """Requests per app per wall-clock second, as KIS counts them (buckets reset each second).

    This one counts in the process; `RedisRateLimiter` counts across processes and hosts.
    """

    def __init__(self, per_second: dict[Env, int], *, enabled: bool) -> None:
        self._limits = per_second
        self._enabled = enabled
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, int]] = defaultdict(lambda: (-1, 0))
        self.refusals = 0  # EGW00201 answers of this process (the dashboard's status page)

    def hit(self, app: App, now_seconds: float) -> None:
        if not self._enabled:
            return
        second = int(now_seconds)
        with self._lock:
            bucket, count = self._counts[app.appkey]
            if bucket != second:
                bucket, count = second, 0
            if count >= self._limits[app.env]:
                self._counts[app.appkey] = (bucket, count)
                self.refusals += 1
                raise GatewayError(Gateway.RATE_LIMIT)
            self._counts[app.appkey] = (bucket, count + 1)


class RedisRateLimiter(RateLimiter):
    """The same per-second buckets in Redis, shared by every server process (INCR + EXPIRE)."""

    def __init__(self, per_second: dict[Env, int], *, enabled: bool, url: str) -> None:
        super().__init__(per_second, enabled=enabled)
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._redis.ping()  # fail at start-up, not on the first order

    def hit(self, app: App, now_seconds: float) -> None:
        if not self._enabled:
            return
        import redis

        key = f"localkis:rate:{app.appkey}:{int(now_seconds)}"
        try:
            pipe = self._redis.pipeline()
            pipe.incr(key)
            pipe.expire(key, 2)
            count = int(pipe.execute()[0])
        except redis.RedisError:
            # Fail open: a missing rate limiter must not stop a trading server; the log says so.
            log.warning("Redis unavailable; request not rate-limited")
            return
        if count > self._limits[app.env]:
            self.refusals += 1
            raise GatewayError(Gateway.RATE_LIMIT)
