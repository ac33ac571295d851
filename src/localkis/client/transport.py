"""The HTTP layer: one httpx connection pool per client (httpx's own `httpcore` pool, used directly).

`httpx.Client` re-parses the URL, re-normalises headers and builds several objects per request; a
KIS client always talks to one host with a fixed header set, so it prepares the host, the header
bytes and the target once and hands them to the pool httpx itself runs on. That halves the CPU a
call costs (bench/client_overhead.py). TLS uses httpx's default context (certifi, trust env).
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpcore
import httpx

KEEPALIVE_EXPIRY = 4.0  # below common server idle timeouts (uvicorn: 5 s), so a pooled socket is never stale
MAX_CONNECTIONS = 100

# Transport failures. The first group happens before any byte of a request leaves: safe to resend.
NOT_SENT = (httpcore.ConnectError, httpcore.ConnectTimeout, httpcore.PoolTimeout)
TRANSPORT_ERRORS = (httpcore.TimeoutException, httpcore.NetworkError, httpcore.ProtocolError,
                    httpcore.ProxyError)


@dataclass(frozen=True, slots=True)
class Sent:
    """A request as it leaves the client (for `on_request` hooks: logging, tests)."""

    method: str
    path: str
    params: Mapping[str, str] | None
    headers: Mapping[str, str]
    body: bytes | None

    @property
    def tr_id(self) -> str:
        """The TR ID header ("" for the token endpoint)."""
        return self.headers.get("tr_id", "")


@dataclass(frozen=True, slots=True)
class Answer:
    """What came back: status, body bytes and the `tr_cont` header."""

    status: int
    content: bytes
    tr_cont: str


OnRequest = Callable[[Sent], None]


class _Target:
    """Base URL pieces, prepared once."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self.scheme = parts.scheme.encode()
        self.host = parts.hostname.encode("idna")
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        default_port = (parts.scheme == "https" and self.port == 443) or (parts.scheme == "http" and self.port == 80)
        self.host_header = (b"host", self.host if default_port else self.host + b":" + str(self.port).encode())
        self.prefix = parts.path.rstrip("/")

    def url(self, path: str, params: Mapping[str, str] | None) -> httpcore.URL:
        target = self.prefix + path
        if params:
            target += "?" + urlencode(params)
        return httpcore.URL(scheme=self.scheme, host=self.host, port=self.port, target=target.encode())


def _announces_body(buffer: bytes) -> bool:
    """A request head with a non-zero Content-Length: its body is the next write."""
    if not buffer.endswith(b"\r\n\r\n"):
        return False
    head = buffer.lower()
    at = head.find(b"\r\ncontent-length:")
    if at < 0:
        return False
    value = head[at + 17:head.find(b"\r\n", at + 2)].strip()
    return value.isdigit() and int(value) > 0


class _OneSegment(httpcore.NetworkStream):
    """Sends a request's head and its (small) body in one write, as `requests` does.

    httpcore writes them separately; on loopback that costs the server an extra wake-up per POST and
    the client an extra system call (bench/client_overhead.py measured about a millisecond per order).
    """

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner
        self._held = b""

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if self._held:
            buffer, self._held = self._held + buffer, b""
        elif _announces_body(buffer):
            self._held = buffer
            return
        self._inner.write(buffer, timeout)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        if self._held:
            held, self._held = self._held, b""
            self._inner.write(held, timeout)
        return self._inner.read(max_bytes, timeout)

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _OneSegment(self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _AsyncOneSegment(httpcore.AsyncNetworkStream):
    """The asyncio twin of `_OneSegment`."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._held = b""

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if self._held:
            buffer, self._held = self._held + buffer, b""
        elif _announces_body(buffer):
            self._held = buffer
            return
        await self._inner.write(buffer, timeout)

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        if self._held:
            held, self._held = self._held, b""
            await self._inner.write(held, timeout)
        return await self._inner.read(max_bytes, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                        timeout: float | None = None) -> httpcore.AsyncNetworkStream:
        return _AsyncOneSegment(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        return _OneSegment(self._inner.connect_tcp(host, port, timeout, local_address, socket_options))

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        return _OneSegment(self._inner.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _AsyncBackend(httpcore.AsyncNetworkBackend):
    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                          socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        return _AsyncOneSegment(await self._inner.connect_tcp(host, port, timeout, local_address, socket_options))

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        return _AsyncOneSegment(await self._inner.connect_unix_socket(path, timeout, socket_options))

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def _ssl_context() -> ssl.SSLContext:
    return httpx.create_ssl_context()


def _timeouts(seconds: float) -> dict[str, float]:
    return {"connect": seconds, "read": seconds, "write": seconds, "pool": seconds}


def _headers(target: _Target, headers: Mapping[str, str], content: bytes | None) -> list[tuple[bytes, bytes]]:
    out = [target.host_header]
    out += [(k.encode(), v.encode()) for k, v in headers.items()]
    if content is not None:
        out.append((b"content-length", str(len(content)).encode()))
    return out


def _tr_cont(response: httpcore.Response) -> str:
    for name, value in response.headers:
        if name.lower() == b"tr_cont":
            return value.decode("latin-1").strip()
    return ""


class Transport:
    """Blocking requests over one keep-alive connection pool, safe to share between threads."""

    def __init__(self, base_url: str, timeout: float, on_request: OnRequest | None = None) -> None:
        self._target = _Target(base_url)
        self._timeouts = {"timeout": _timeouts(timeout)}
        self._on_request = on_request
        self._pool = httpcore.ConnectionPool(
            ssl_context=_ssl_context() if self._target.scheme == b"https" else None,
            max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS,
            keepalive_expiry=KEEPALIVE_EXPIRY, network_backend=_Backend())

    def request(self, method: str, path: str, *, params: Mapping[str, str] | None = None,
                headers: Mapping[str, str], content: bytes | None = None) -> Answer:
        """One request and its whole answer; raises httpcore's transport errors."""
        if self._on_request is not None:
            self._on_request(Sent(method, path, params, headers, content))
        response = self._pool.request(method.encode(), self._target.url(path, params),
                                      headers=_headers(self._target, headers, content), content=content,
                                      extensions=self._timeouts)
        return Answer(response.status, response.content, _tr_cont(response))

    def close(self) -> None:
        """Close every connection."""
        self._pool.close()


class _AsyncPool:
    """Keep-alive connections for one origin, handed out in O(1).

    httpcore's own async pool re-examines every connection (a `poll` per socket) on every request,
    which costs more than the request itself at 64 in flight; this one keeps idle connections on a
    stack and hands a released connection straight to a waiting task.
    """

    def __init__(self, origin: httpcore.Origin, ssl_context: ssl.SSLContext | None, max_connections: int) -> None:
        self._origin = origin
        self._ssl_context = ssl_context
        self._max = max_connections
        self._idle: list[httpcore.AsyncHTTPConnection] = []
        self._open = 0
        self._waiters: deque[asyncio.Future[httpcore.AsyncHTTPConnection | None]] = deque()
        self._closed = False
        self._backend = _AsyncBackend()

    def _new(self) -> httpcore.AsyncHTTPConnection:
        self._open += 1
        return httpcore.AsyncHTTPConnection(origin=self._origin, ssl_context=self._ssl_context,
                                            keepalive_expiry=KEEPALIVE_EXPIRY, network_backend=self._backend)

    async def _acquire(self) -> httpcore.AsyncHTTPConnection:
        while self._idle:
            conn = self._idle.pop()  # the most recently used: warm and least likely to have expired
            if conn.is_idle() and not conn.has_expired():
                return conn
            self._open -= 1
            await conn.aclose()
        if self._open < self._max:
            return self._new()
        waiter: asyncio.Future[httpcore.AsyncHTTPConnection | None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            handed = await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._release(waiter.result())  # handed over just as we were cancelled: pass it on
            raise
        if handed is None:  # a slot was freed (counted for us by `_release`): open a new connection
            self._open -= 1
            return self._new()
        return handed

    def _release(self, conn: httpcore.AsyncHTTPConnection | None) -> None:
        """Give `conn` back (None: it was closed, its slot is free)."""
        if conn is not None and (self._closed or not conn.is_idle()):
            self._open -= 1
            conn = None  # not reusable; httpcore closes a connection it cannot keep alive
        elif conn is None:
            self._open -= 1
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                if conn is None:
                    self._open += 1  # the waiter opens a new connection in this slot
                waiter.set_result(conn)
                return
        if conn is not None:
            self._idle.append(conn)

    async def request(self, method: bytes, url: httpcore.URL, headers: list[tuple[bytes, bytes]],
                      content: bytes | None, extensions: dict[str, Any]) -> httpcore.Response:
        conn = await self._acquire()
        try:
            response = await conn.request(method, url, headers=headers, content=content, extensions=extensions)
        except BaseException:
            await conn.aclose()
            self._release(None)
            raise
        self._release(conn)
        return response

    async def aclose(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        for conn in idle:
            self._open -= 1
            await conn.aclose()


class AsyncTransport:
    """The asyncio twin of `Transport`."""

    def __init__(self, base_url: str, timeout: float, on_request: OnRequest | None = None) -> None:
        self._target = _Target(base_url)
        self._timeouts = {"timeout": _timeouts(timeout)}
        self._on_request = on_request
        target = self._target
        self._pool = _AsyncPool(httpcore.Origin(target.scheme, target.host, target.port),
                                _ssl_context() if target.scheme == b"https" else None, MAX_CONNECTIONS)

    async def request(self, method: str, path: str, *, params: Mapping[str, str] | None = None,
                      headers: Mapping[str, str], content: bytes | None = None) -> Answer:
        """One request and its whole answer; raises httpcore's transport errors."""
        if self._on_request is not None:
            self._on_request(Sent(method, path, params, headers, content))
        response = await self._pool.request(method.encode(), self._target.url(path, params),
                                            _headers(self._target, headers, content), content, self._timeouts)
        return Answer(response.status, response.content, _tr_cont(response))

    async def aclose(self) -> None:
        """Close every idle connection (busy ones close when their request ends)."""
        await self._pool.aclose()
