"""Session recording (`localkis serve --record FILE`): every HTTP exchange with the server — KIS
requests and answers, OAuth, and the admin API (price prints, clock changes, fills, fault rules) — and
every fired fault, as JSON lines, appsecrets, tokens and the admin token masked. The first line holds
the server's config (secrets masked); `localkis replay-session` rebuilds a server from it.

    {"type": "config", "toml": "…"}
    {"type": "http", "at": "<server time>", "method": "POST", "path": "/uapi/…", "query": "",
     "headers": {…}, "body": "…", "status": 200, "answer": "…"}      (answer null: connection dropped)
    {"type": "fault", "at": "…", "rule": {…}}
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from localkis.server.clock import Clock
from localkis.server.config import Config
from localkis.server.gateway import KisEndpoint
from localkis.server.responses import KisResponse

MASK = "***"
_TOKEN_FIELDS = re.compile(rb'"(access_token|approval_key|appsecret|secretkey|HASH)"\s*:\s*"[^"]*"')
_HEADER_MASKS = {"appsecret": MASK, "authorization": "Bearer " + MASK, "secretkey": MASK}
_SKIPPED_HEADERS = {"host", "content-length", "connection", "accept-encoding", "user-agent", "accept"}


def masked_text(raw: bytes) -> str:
    """A JSON body with its secrets and tokens replaced by `***` (the rest byte for byte)."""
    return _TOKEN_FIELDS.sub(lambda m: b'"' + m.group(1) + b'":"' + MASK.encode() + b'"', raw).decode(
        "utf-8", "replace")


def masked_config(text: str, config: Config, admin_token: str) -> str:
    """The config file's text with every appsecret as `<appsecret:APPKEY>` and the admin token as
    `<admin_token>` (replay puts fresh ones there)."""
    for app in config.apps:
        text = text.replace(app.appsecret, f"<appsecret:{app.appkey}>")
    return text.replace(admin_token, "<admin_token>") if admin_token else text


class Recorder:
    def __init__(self, path: Path, clock: Clock, config_text: str) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._file = path.open("ab", buffering=0)
        self._write({"type": "config", "toml": config_text})

    def _write(self, entry: dict[str, Any]) -> None:
        line = orjson.dumps(entry) + b"\n"
        with self._lock:
            self._file.write(line)

    def fault(self, rule: dict[str, Any]) -> None:
        self._write({"type": "fault", "at": self.clock.now().isoformat(), "rule": rule})

    def _exchange(self, at: str, scope: Scope, body: bytes, status: int, answer: bytes | None) -> None:
        headers = {}
        for key, value in scope["headers"]:
            name = key.decode("latin-1").lower()
            if name not in _SKIPPED_HEADERS:
                headers[name] = _HEADER_MASKS.get(name, value.decode("latin-1"))
        self._write({"type": "http", "at": at, "method": scope["method"], "path": scope["path"],
                     "query": scope["query_string"].decode("latin-1"), "headers": headers,
                     "body": masked_text(body), "status": status,
                     "answer": None if answer is None else masked_text(answer)})

    def endpoint(self, endpoint: KisEndpoint) -> KisEndpoint:
        """A KIS endpoint whose exchanges are recorded."""

        async def recorded(scope: Scope, receive: Receive) -> KisResponse:
            now = scope["localkis.now"] = self.clock.now()  # the gateway's time for the request
            at = now.isoformat()
            chunks: list[bytes] = []

            async def receive_recorded() -> Message:
                message = await receive()
                if message["type"] == "http.request":
                    chunks.append(message.get("body", b""))
                return message

            response = await endpoint(scope, receive_recorded)
            self._exchange(at, scope, b"".join(chunks), response.status_code,
                           None if response.drop else bytes(response.body))
            return response

        return recorded

    def asgi(self, app: ASGIApp) -> ASGIApp:
        """An ASGI app whose HTTP exchanges (except health checks) are recorded."""

        async def recorded(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http" or scope["path"] == "/localkis/health":
                await app(scope, receive, send)
                return
            at = self.clock.now().isoformat()
            chunks: list[bytes] = []
            answer: list[bytes] = []
            status = [0]

            async def receive_recorded() -> Message:
                message = await receive()
                if message["type"] == "http.request":
                    chunks.append(message.get("body", b""))
                return message

            async def send_recorded(message: Message) -> None:
                if message["type"] == "http.response.start":
                    status[0] = int(message["status"])
                elif message["type"] == "http.response.body":
                    answer.append(message.get("body", b""))
                await send(message)

            try:
                await app(scope, receive_recorded, send_recorded)
            finally:
                self._exchange(at, scope, b"".join(chunks), status[0], b"".join(answer))

        return recorded

    def close(self) -> None:
        self._file.close()
