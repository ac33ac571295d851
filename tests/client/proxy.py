"""A small HTTP/1.1-aware TCP proxy on loopback for the client tests.

It forwards requests to a localkis server one by one (keep-alive on both sides) and records what it
saw. One-shot rules can drop a request before it reaches the server, drop the response after the
server processed it (closing the client's connection), delay the response, or answer with a canned
response without forwarding.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO
from urllib.parse import urlsplit


@dataclass
class Seen:
    method: str
    path: str  # without the query string
    headers: dict[str, str]  # lowercase names
    body: bytes
    action: str = "pass"

    @property
    def tr_id(self) -> str:
        return self.headers.get("tr_id", "")

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Action:
    kind: str  # "pass", "drop_request", "drop_response", "delay", "respond"
    seconds: float = 0.0
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"


Predicate = Callable[[Seen], bool]


@dataclass
class _Rule:
    predicate: Predicate
    action: Action
    times: int  # how many more requests it applies to (-1: forever)


def _read_message(reader: BinaryIO) -> tuple[bytes, dict[str, str], bytes] | None:
    """(start line + headers raw, lowercase header dict, body) of one HTTP/1.1 message; None at EOF."""
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        line = reader.readline()
        if not line:
            return None
        head += line
    lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    body = reader.read(length) if length else b""
    return head, headers, body


class Proxy:
    def __init__(self, upstream_url: str) -> None:
        parts = urlsplit(upstream_url)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.seen: list[Seen] = []
        self._rules: list[_Rule] = []
        self._lock = threading.Lock()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = int(self._listener.getsockname()[1])
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._closed = False
        self._accept = threading.Thread(target=self._accept_loop, daemon=True)
        self._accept.start()

    # --- rules -------------------------------------------------------------------------------------
    def once(self, predicate: Predicate, action: Action, times: int = 1) -> None:
        with self._lock:
            self._rules.append(_Rule(predicate, action, times))

    def _match(self, seen: Seen) -> Action:
        with self._lock:
            for rule in self._rules:
                if rule.times != 0 and rule.predicate(seen):
                    if rule.times > 0:
                        rule.times -= 1
                    return rule.action
        return Action("pass")

    def requests_to(self, path_suffix: str) -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if s.path.endswith(path_suffix)]

    # --- plumbing ----------------------------------------------------------------------------------
    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            self._listener.close()

    def __enter__(self) -> Proxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _accept_loop(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            t = threading.Thread(target=self._serve, args=(client,), daemon=True)
            t.start()

    def _serve(self, client: socket.socket) -> None:
        upstream: socket.socket | None = None
        up_reader: BinaryIO | None = None
        reader = client.makefile("rb")
        try:
            while True:
                message = _read_message(reader)
                if message is None:
                    return
                head, headers, body = message
                request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
                method, target, _ = request_line.split(" ", 2)
                seen = Seen(method, target.split("?", 1)[0], headers, body)
                action = self._match(seen)
                seen.action = action.kind
                with self._lock:
                    self.seen.append(seen)
                if action.kind == "drop_request":
                    return
                if action.kind == "respond":
                    client.sendall(b"HTTP/1.1 %d X\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s" % (
                        action.status, action.content_type.encode(), len(action.body), action.body))
                    continue
                if upstream is None:
                    upstream = socket.create_connection(self.upstream, timeout=30)
                    up_reader = upstream.makefile("rb")
                upstream.sendall(head + body)
                assert up_reader is not None
                response = _read_message(up_reader)
                if response is None:
                    return
                r_head, _, r_body = response
                if action.kind == "drop_response":
                    return  # the server processed it; the client never hears back
                if action.kind == "delay":
                    time.sleep(action.seconds)
                client.sendall(r_head + r_body)
        except OSError:
            return
        finally:
            for s in (client, upstream):
                if s is not None:
                    with contextlib.suppress(OSError):
                        s.shutdown(socket.SHUT_RDWR)
                    s.close()
