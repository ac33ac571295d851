"""uvicorn's httptools protocol, with standard response header names written Title-Cased, and a lean
request cycle for the KIS routes.

uvicorn (0.3x+) lowercases every response header name on its httptools path, and the official KIS
samples crash on a lowercase hyphenated header (PROTOCOL §3, B7). h11 keeps the case but is several times
slower. This protocol keeps httptools and restores the case of the standard names in the header block
as it is written; KIS's own `tr_id`, `tr_cont` and `gt_uid` stay lowercase, as KIS sends them.

A request to a KIS route (the app's `kis_endpoint`) skips the generic ASGI response path: its endpoint
returns a finished `KisResponse`, whose head this module writes with its body in one write. Everything
else (Starlette routes, HEAD, upgrades, pipelined requests) takes uvicorn's own cycle unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
from collections.abc import Callable
from typing import Any, Protocol

import httptools
from uvicorn.protocols.http.flow_control import HIGH_WATER_LIMIT
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

log = logging.getLogger(__name__)

_TITLE_CASED = tuple(
    (b"\r\n" + name.lower() + b":", b"\r\n" + name + b":")
    for name in (b"Content-Type", b"Content-Length", b"Transfer-Encoding", b"Connection", b"Date", b"Server")
)


def title_case_headers(data: bytes) -> bytes:
    """Title-case the standard header names of a response head (`data` starts with the status line)."""
    head, sep, rest = data.partition(b"\r\n\r\n")
    for lower, title in _TITLE_CASED:
        head = head.replace(lower, title)
    return head + sep + rest


class _TitleCaseTransport:
    """A transport wrapper: response heads (they start with the status line) get standard names fixed,
    and a final response's head is held back until its body follows, so a response leaves in one write
    (one syscall and one TCP segment instead of two). A held head goes out with the next write, when the
    response completes (`KisHttpToolsProtocol.on_response_complete`: HEAD, 204, 304) or when the
    transport closes. Interim (1xx) and chunked heads are not held: a client may be waiting on them."""

    def __init__(self, transport: Any) -> None:
        self._transport = transport
        self._head = b""

    def write(self, data: bytes | bytearray | memoryview) -> None:
        raw = data if type(data) is bytes else bytes(data)
        if raw.startswith(b"HTTP/1.1 ") or raw.startswith(b"HTTP/1.0 "):
            self.flush()
            head = title_case_headers(raw)
            if raw[9:10] == b"1" or b"\r\ntransfer-encoding: chunked\r\n" in raw:
                self._transport.write(head)
            else:
                self._head = head
            return
        if self._head:
            raw, self._head = self._head + raw, b""
        self._transport.write(raw)

    def flush(self) -> None:
        if self._head:
            head, self._head = self._head, b""
            if not self._transport.is_closing():  # the peer went away meanwhile: nothing to send to
                self._transport.write(head)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def is_closing(self) -> bool:  # asked after every response: spelled out rather than via __getattr__
        return bool(self._transport.is_closing())

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class FinishedResponse(Protocol):
    """What a KIS endpoint returns (`localkis.server.app.KisResponse`): status, Title-Cased headers, body."""

    status_code: int
    raw_headers: list[tuple[bytes, bytes]]
    body: bytes
    # and optionally `drop`: True for no answer at all, the connection reset (a fault)


_SERVER_ERROR = (b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain; charset=utf-8\r\n"
                 b"Content-Length: 21\r\nConnection: close\r\n\r\nInternal Server Error")


class _Wake:
    """The `message_event` of a KIS request: uvicorn's callbacks set it when body arrives or the peer
    goes away; `receive` waits on it only when nothing has arrived yet (rare: the body of a small POST
    comes in the same read as its head)."""

    __slots__ = ("waiter",)

    def __init__(self) -> None:
        self.waiter: asyncio.Future[None] | None = None

    def set(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


class KisExchange:
    """One request on a KIS route: the endpoint's finished response leaves in one write.

    It has the attributes uvicorn's protocol callbacks use on a cycle (`body`, `more_body`,
    `message_event`, `response_complete`, `disconnected`, `keep_alive`)."""

    __slots__ = ("body", "disconnected", "keep_alive", "message_event", "more_body", "protocol",
                 "response_complete", "scope", "waiting_for_100_continue")

    def __init__(self, protocol: KisHttpToolsProtocol, scope: Any, keep_alive: bool, expect_100: bool) -> None:
        self.protocol = protocol
        self.scope = scope
        self.body = b""
        self.more_body = True
        self.message_event = _Wake()
        self.response_complete = False
        self.disconnected = False
        self.keep_alive = keep_alive
        self.waiting_for_100_continue = expect_100

    async def run(self, endpoint: Any) -> None:
        try:
            response: FinishedResponse = await endpoint(self.scope, self.receive)
        except BaseException as exc:  # endpoints answer their own errors: this is a bug or a cancellation
            if not isinstance(exc, asyncio.CancelledError):
                log.error("Exception in ASGI application", exc_info=exc)
            self._finish(_SERVER_ERROR, keep_alive=False)
            if not isinstance(exc, Exception):
                raise
            return
        protocol = self.protocol
        if getattr(response, "drop", False):  # a fault: no answer
            self._reset()
            return
        if protocol.flow.write_paused and not self.disconnected:
            await protocol.flow.drain()
        parts = [STATUS_LINE[response.status_code], protocol.date_line()]
        for name, value in response.raw_headers:
            parts += (name, b": ", value, b"\r\n")
        if not self.keep_alive:
            parts.append(b"Connection: close\r\n")
        parts += (b"\r\n", response.body)
        self._finish(b"".join(parts), keep_alive=self.keep_alive)

    def _reset(self) -> None:
        """No answer: reset the connection (RST, not FIN: SO_LINGER 0), as a lost answer looks to a client."""
        if self.disconnected or self.response_complete:
            return
        self.response_complete = True
        transport = self.protocol.transport
        sock = transport.get_extra_info("socket")
        with contextlib.suppress(OSError, AttributeError, ValueError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.protocol.abort()

    def _finish(self, data: bytes, keep_alive: bool) -> None:
        if self.disconnected or self.response_complete:
            return
        protocol = self.protocol
        protocol.write_raw(data)
        self.response_complete = True
        if not keep_alive:
            protocol.transport.close()
        protocol.on_response_complete()

    async def receive(self) -> dict[str, Any]:
        protocol = self.protocol
        if self.waiting_for_100_continue and not protocol.transport.is_closing():
            protocol.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self.waiting_for_100_continue = False
        if not self.disconnected and not self.response_complete and self.more_body and not self.body:
            protocol.flow.resume_reading()
            waiter = self.message_event.waiter = protocol.loop.create_future()
            try:
                await waiter
            finally:
                self.message_event.waiter = None
        if self.disconnected or self.response_complete:
            return {"type": "http.disconnect"}
        body, self.body = self.body, b""
        return {"type": "http.request", "body": body, "more_body": self.more_body}


class KisHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The app's look-up of KIS endpoints by method and path; absent when uvicorn wraps the app. The
        # lean cycle is for the plain setup only: no concurrency limit or root path to apply.
        lean = self.limit_concurrency is None and not self.root_path
        self._kis_endpoint: Callable[[str, str], Any] | None = (
            getattr(self.app, "kis_endpoint", None) if lean else None)
        self._date: tuple[object, bytes] = (None, b"")
        # When the connection last went idle (None while a request is under way): the keep-alive timer
        # is armed once per idle period and re-checked when it fires, instead of set and cancelled on
        # every request.
        self._idle_since: float | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses; the wrapper only needs write().
        self._title_case = _TitleCaseTransport(transport)
        super().connection_made(self._title_case)  # type: ignore[arg-type]

    def abort(self) -> None:
        """Close the connection at once, dropping anything unsent."""
        self._title_case._head = b""
        self._title_case._transport.abort()

    def write_raw(self, data: bytes) -> None:
        """Write a whole response, past the wrapper that holds heads back."""
        self._title_case.flush()
        self._title_case._transport.write(data)

    def date_line(self) -> bytes:
        """The server's default headers (uvicorn renews the list every second), Title-Cased."""
        defaults = self.server_state.default_headers
        if self._date[0] is not defaults:
            block = b"".join(name + b": " + value + b"\r\n" for name, value in defaults)
            self._date = (defaults, title_case_headers(b"\r\n" + block)[2:])
        return self._date[1]

    def data_received(self, data: bytes) -> None:
        # uvicorn's own, except that the keep-alive timer is left armed (see `_keep_alive_due`).
        self._idle_since = None
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            msg = "Invalid HTTP request received."
            self.logger.warning(msg)
            self.send_400_response(msg)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()

    def on_headers_complete(self) -> None:
        endpoint = None
        # Only the plain case: no upgrade, no pipelined request waiting its turn, no escaped path to decode.
        if self._kis_endpoint is not None and not self.parser.should_upgrade() and (
                self.cycle is None or self.cycle.response_complete):
            method = self.parser.get_method().decode("ascii")
            url = self.url
            query = url.find(b"?")
            raw_path = url if query < 0 else url[:query]
            if b"%" not in raw_path:
                endpoint = self._kis_endpoint(method, raw_path.decode("ascii"))
        if endpoint is None:
            super().on_headers_complete()
            return
        scope = self.scope
        http_version = self.parser.get_http_version()
        scope["method"] = method
        if http_version != "1.1":
            scope["http_version"] = http_version
        scope["path"] = raw_path.decode("ascii")
        scope["raw_path"] = raw_path
        scope["query_string"] = b"" if query < 0 else url[query + 1:]
        exchange = KisExchange(self, scope, http_version != "1.0" and self.parser.should_keep_alive(),
                               self.expect_100_continue)
        self.cycle = exchange  # type: ignore[assignment]
        task = self.loop.create_task(exchange.run(endpoint))
        task.add_done_callback(self.tasks.discard)
        self.tasks.add(task)

    def on_body(self, body: bytes) -> None:
        cycle: Any = self.cycle  # uvicorn types it as its own cycle class
        if type(cycle) is not KisExchange:
            super().on_body(body)
            return
        if cycle.response_complete:
            return
        cycle.body += body
        if len(cycle.body) > HIGH_WATER_LIMIT:
            self.flow.pause_reading()
        cycle.message_event.set()

    def on_message_complete(self) -> None:
        cycle: Any = self.cycle  # uvicorn types it as its own cycle class
        if type(cycle) is not KisExchange:
            super().on_message_complete()
            return
        if cycle.response_complete:
            return
        cycle.more_body = False
        cycle.message_event.set()

    def on_response_complete(self) -> None:
        self._title_case.flush()  # a response without a body write (HEAD, 204, 304) still leaves now
        self.server_state.total_requests += 1
        if self.transport.is_closing():
            return
        self.flow.resume_reading()
        if self.pipeline:
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)
            return
        now = self.loop.time()
        self._idle_since = now
        if self.timeout_keep_alive_task is None:
            self.timeout_keep_alive_task = self.loop.call_at(now + self.timeout_keep_alive, self._keep_alive_due)

    def _keep_alive_due(self) -> None:
        self.timeout_keep_alive_task = None
        if self._idle_since is None:  # a request is under way; its response re-arms the timer
            return
        deadline = self._idle_since + self.timeout_keep_alive
        if self.loop.time() >= deadline:
            self.timeout_keep_alive_handler()
        else:
            self.timeout_keep_alive_task = self.loop.call_at(deadline, self._keep_alive_due)
