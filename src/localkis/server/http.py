"""uvicorn's httptools protocol, with standard response header names written Title-Cased.

uvicorn (0.3x+) lowercases every response header name on its httptools path, and the official KIS
samples crash on a lowercase hyphenated header (PROTOCOL §3, B7). h11 keeps the case but is several times
slower. This protocol keeps httptools and restores the case of the standard names in the header block
as it is written; KIS's own `tr_id`, `tr_cont` and `gt_uid` stay lowercase, as KIS sends them.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

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

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class KisHttpToolsProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses; the wrapper only needs write().
        self._title_case = _TitleCaseTransport(transport)
        super().connection_made(self._title_case)  # type: ignore[arg-type]

    def on_response_complete(self) -> None:
        self._title_case.flush()  # a response without a body write (HEAD, 204, 304) still leaves now
        super().on_response_complete()
