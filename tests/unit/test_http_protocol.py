"""The HTTP protocol's lean path for KIS routes: one write per response, uvicorn's semantics kept
(keep-alive, Connection: close, bodies that arrive late, pipelining, disconnects), everything else on
uvicorn's own cycle. Driven on a real event loop with uvicorn's real config; the socket is a recorder."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from uvicorn.config import Config
from uvicorn.server import ServerState

from localkis.server.http import KisHttpToolsProtocol
from tests.recording import Recorder

KIS_PATH = "/uapi/overseas-stock/v1/trading/order-rvsecncl"


class Socket(Recorder):
    """What the protocol sees of a connection: writes are recorded, reads are fed by the test."""

    def __init__(self) -> None:
        super().__init__()
        self.reading = True

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True

    def get_extra_info(self, name: str) -> Any:
        return {"sockname": ("127.0.0.1", 8080), "peername": ("127.0.0.1", 50000)}.get(name)

    @property
    def output(self) -> bytes:
        return b"".join(self.writes)


class App:
    """A KIS endpoint (answers with the request's body echoed) plus an ASGI app for every other route."""

    def __init__(self, endpoint: Callable[[Any, Any], Awaitable[Any]] | None = None) -> None:
        self.kis_calls = 0
        self.asgi_calls = 0
        self.endpoint = endpoint or self.echo

    def kis_endpoint(self, method: str, path: str) -> Any:
        return self.endpoint if (method, path) == ("POST", KIS_PATH) else None

    async def echo(self, scope: Any, receive: Any) -> Any:
        self.kis_calls += 1
        chunks = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                raise ConnectionError("client went away")
            chunks.append(message["body"])
            if not message["more_body"]:
                break
        return Answer(json.dumps({"path": scope["path"], "query": scope["query_string"].decode(),
                                  "body": b"".join(chunks).decode()}).encode())

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.asgi_calls += 1
        body = b'{"asgi":true}'
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


class Answer:
    def __init__(self, body: bytes, status: int = 200) -> None:
        self.status_code = status
        self.body = body
        self.raw_headers = [(b"Content-Type", b"application/json; charset=utf-8"),
                            (b"Content-Length", str(len(body)).encode()), (b"tr_id", b"TTTT1004U")]


def request(body: bytes = b'{"a":1}', path: str = KIS_PATH, *, extra: str = "", version: str = "1.1") -> bytes:
    return (f"POST {path} HTTP/{version}\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n{extra}\r\n").encode() + body


def connect(app: App, *, keep_alive: float = 5.0) -> tuple[KisHttpToolsProtocol, Socket, ServerState]:
    config = Config(app, access_log=False, server_header=False, proxy_headers=False, timeout_keep_alive=keep_alive)
    config.load()
    state = ServerState()
    state.default_headers = [(b"date", b"Wed, 25 Nov 2026 00:00:00 GMT")]
    protocol = KisHttpToolsProtocol(config=config, server_state=state, app_state={})
    sock = Socket()
    protocol.connection_made(sock)  # type: ignore[arg-type]
    return protocol, sock, state


async def settle() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


def test_a_kis_route_is_answered_in_one_write_with_its_head_title_cased() -> None:
    async def go() -> tuple[App, Socket]:
        app = App()
        protocol, sock, state = connect(app)
        protocol.data_received(request(path=KIS_PATH + "?x=1"))
        await settle()
        assert state.total_requests == 1
        return app, sock

    app, sock = asyncio.run(go())
    assert app.kis_calls == 1 and app.asgi_calls == 0
    assert len(sock.writes) == 1 and not sock.closed
    head, _, body = sock.writes[0].partition(b"\r\n\r\n")
    assert head.split(b"\r\n") == [b"HTTP/1.1 200 OK", b"Date: Wed, 25 Nov 2026 00:00:00 GMT",
                                   b"Content-Type: application/json; charset=utf-8",
                                   b"Content-Length: " + str(len(body)).encode(), b"tr_id: TTTT1004U"]
    assert json.loads(body) == {"path": KIS_PATH, "query": "x=1", "body": '{"a":1}'}


def test_other_routes_take_the_asgi_cycle() -> None:
    async def go() -> tuple[App, Socket]:
        app = App()
        protocol, sock, _ = connect(app)
        protocol.data_received(request(path="/oauth2/tokenP"))
        await settle()
        protocol.data_received(request(path=KIS_PATH.replace("rvsecncl", "rvsecncl%20")))  # escaped: decoded there
        await settle()
        return app, sock

    app, sock = asyncio.run(go())
    assert app.asgi_calls == 2 and app.kis_calls == 0
    assert sock.output.count(b'{"asgi":true}') == 2 and b"Content-Type: application/json" in sock.output


def test_a_body_that_arrives_after_the_head_is_waited_for() -> None:
    async def go() -> Socket:
        protocol, sock, _ = connect(App())
        data = request(b'{"late":"body"}')
        protocol.data_received(data[:-5])
        await settle()
        assert sock.writes == []
        protocol.data_received(data[-5:])
        await settle()
        return sock

    sock = asyncio.run(go())
    assert len(sock.writes) == 1 and b'"body": "{\\"late\\":\\"body\\"}"' in sock.writes[0]


@pytest.mark.parametrize("extra, version", [("Connection: close\r\n", "1.1"), ("", "1.0")])
def test_a_request_that_ends_the_connection_gets_connection_close(extra: str, version: str) -> None:
    async def go() -> Socket:
        protocol, sock, _ = connect(App())
        protocol.data_received(request(extra=extra, version=version))
        await settle()
        return sock

    sock = asyncio.run(go())
    assert b"\r\nConnection: close\r\n" in sock.output and sock.closed


def test_expect_100_continue_is_answered_when_the_body_is_read() -> None:
    async def go() -> Socket:
        protocol, sock, _ = connect(App())
        data = request(extra="Expect: 100-continue\r\n")
        head, body = data[:data.index(b"\r\n\r\n") + 4], data[data.index(b"\r\n\r\n") + 4:]
        protocol.data_received(head)
        await settle()
        assert sock.writes == [b"HTTP/1.1 100 Continue\r\n\r\n"]
        protocol.data_received(body)
        await settle()
        return sock

    sock = asyncio.run(go())
    assert len(sock.writes) == 2 and sock.writes[1].startswith(b"HTTP/1.1 200 OK\r\n")


def test_pipelined_requests_are_answered_in_order() -> None:
    """Requests that arrive while one is under way wait on uvicorn's queue, and its cycle serves them
    (the real app dispatches KIS routes on that path too)."""
    async def go() -> tuple[App, Socket]:
        app = App()
        protocol, sock, state = connect(app)
        protocol.data_received(request(b'{"n":1}') + request(b'{"n":2}', path="/localkis/health")
                               + request(b'{"n":3}'))
        for _ in range(5):
            await settle()
        assert state.total_requests == 3
        return app, sock

    app, sock = asyncio.run(go())
    assert app.kis_calls == 1 and app.asgi_calls == 2
    assert sock.writes[0].startswith(b"HTTP/1.1 200 OK") and b'\\"n\\":1' in sock.writes[0]
    assert sock.output.count(b"HTTP/1.1 200 OK") == 3 and sock.output.endswith(b'{"asgi":true}')


def test_a_client_that_goes_away_mid_request_gets_nothing_written() -> None:
    async def go() -> Socket:
        protocol, sock, _ = connect(App())
        protocol.data_received(request(b'{"never":"complete"}')[:-3])
        await settle()
        sock.closed = True
        protocol.connection_lost(None)
        await settle()
        return sock

    assert asyncio.run(go()).writes == []


def test_an_endpoint_that_raises_gets_a_500_and_the_connection_closed(caplog: pytest.LogCaptureFixture) -> None:
    async def broken(scope: Any, receive: Any) -> Any:
        raise RuntimeError("bug")

    async def go() -> Socket:
        protocol, sock, _ = connect(App(broken))
        protocol.data_received(request())
        await settle()
        return sock

    with caplog.at_level(logging.ERROR):
        sock = asyncio.run(go())
    assert sock.output.startswith(b"HTTP/1.1 500 Internal Server Error\r\n") and sock.closed
    assert "Exception in ASGI application" in caplog.text


def test_an_idle_kept_alive_connection_is_closed_after_the_timeout_but_a_busy_one_is_not() -> None:
    async def go() -> Socket:
        idle, idle_sock, _ = connect(App(), keep_alive=0.2)
        idle.data_received(request())
        busy, busy_sock, _ = connect(App(), keep_alive=0.2)
        busy.data_received(request())
        await asyncio.sleep(0.1)
        busy.data_received(request())  # the timer armed at the first answer finds the connection used again
        await asyncio.sleep(0.15)
        assert idle_sock.closed and not busy_sock.closed
        await asyncio.sleep(0.2)  # 0.2 s after its second answer
        return busy_sock

    busy_sock = asyncio.run(go())
    assert busy_sock.closed and busy_sock.output.count(b"HTTP/1.1 200 OK") == 2


def test_a_connection_mid_request_when_the_timer_fires_stays_open() -> None:
    async def go() -> Socket:
        protocol, sock, _ = connect(App(), keep_alive=0.1)
        protocol.data_received(request())
        await asyncio.sleep(0.05)
        data = request()
        protocol.data_received(data[:-2])  # a request under way past the timeout
        await asyncio.sleep(0.1)
        assert not sock.closed
        protocol.data_received(data[-2:])
        await settle()
        return sock

    sock = asyncio.run(go())
    assert sock.output.count(b"HTTP/1.1 200 OK") == 2
