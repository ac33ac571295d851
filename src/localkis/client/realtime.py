"""`RealtimeClient`: KIS's real-time WebSocket as typed events (asyncio), against localkis and the real KIS.

    async with RealtimeClient(config, hts_id="myhtsid") as rt:
        await rt.subscribe_notices()               # H0GSCNI0 (real) / H0GSCNI9 (mock), decrypted
        await rt.subscribe_trades("NASD", "AAPL")  # HDFSCNT0 DNASAAPL
        async for event in rt:                     # ExecutionNotice | TradePrint | BookSnapshot
            ...

`RealtimeThread` is the blocking counterpart (callbacks on a thread of its own). The approval key
comes from `POST /oauth2/Approval` on the config's REST host; the socket is KIS's
ops host for KIS's REST hosts, and the REST host's own host and port otherwise (localkis serves both on
one port). PINGPONGs are answered; control replies are matched to the subscribe that asked.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
from websockets.asyncio.client import ClientConnection, connect

from localkis.client.config import MOCK_URL, REAL_URL, ClientConfig
from localkis.protocol.exchanges import Exchange
from localkis.protocol.realtime import NOTICE_STREAM, Stream, TrType, symbol_key
from localkis.wire.realtime import (
    BookSnapshot,
    ControlReply,
    ExecutionNotice,
    SessionKey,
    TradePrint,
    parse_book,
    parse_control,
    parse_data_frame,
    parse_notice,
    parse_trade,
    subscribe_message,
)

KIS_WEBSOCKET_URLS = {REAL_URL: "ws://ops.koreainvestment.com:21000", MOCK_URL: "ws://ops.koreainvestment.com:31000"}

RealtimeEvent = ExecutionNotice | TradePrint | BookSnapshot
T = TypeVar("T")


class RealtimeError(Exception):
    """A subscribe or unsubscribe the server refused: its control reply."""

    def __init__(self, reply: ControlReply) -> None:
        super().__init__(f"{reply.msg_cd} {reply.msg1} ({reply.tr_id} {reply.tr_key})")
        self.reply = reply


def websocket_url(base_url: str) -> str:
    """KIS's WebSocket host for its REST hosts; the same host and port otherwise (localkis)."""
    url = base_url.rstrip("/")
    if url in KIS_WEBSOCKET_URLS:
        return KIS_WEBSOCKET_URLS[url]
    scheme, _, rest = url.partition("://")
    return ("wss://" if scheme == "https" else "ws://") + rest


class RealtimeClient:
    def __init__(self, config: ClientConfig, *, hts_id: str = "", url: str | None = None) -> None:
        self.config = config
        self.hts_id = hts_id
        self.url = url or websocket_url(config.base_url) + "/tryitout"
        self._ws: ClientConnection | None = None
        self._approval = ""
        self._key: SessionKey | None = None
        self._replies: asyncio.Queue[ControlReply] = asyncio.Queue()
        self._events: asyncio.Queue[RealtimeEvent | BaseException] = asyncio.Queue()
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()  # one subscribe in flight: replies come back in order

    async def connect(self) -> None:
        async with httpx.AsyncClient(base_url=self.config.base_url, timeout=self.config.timeout) as http:
            answer = await http.post("/oauth2/Approval", json={
                "grant_type": "client_credentials", "appkey": self.config.appkey,
                "secretkey": self.config.appsecret})
            answer.raise_for_status()
            self._approval = str(answer.json()["approval_key"])
        self._ws = await connect(self.url, max_size=None)
        self._reader = asyncio.create_task(self._read(self._ws))

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._ws is not None:
            await self._ws.close()

    async def __aenter__(self) -> RealtimeClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- subscriptions ---------------------------------------------------------------------------------
    async def subscribe_notices(self, hts_id: str | None = None) -> ControlReply:
        """The app's execution notices (H0GSCNI0 for a real app, H0GSCNI9 for a mock one)."""
        return await self._send(NOTICE_STREAM[self.config.env].value, hts_id or self.hts_id, TrType.SUBSCRIBE)

    async def subscribe_trades(self, exchange: Exchange | str, symbol: str) -> ControlReply:
        return await self._send(Stream.TRADES.value, symbol_key(Exchange(exchange), symbol), TrType.SUBSCRIBE)

    async def subscribe_book(self, exchange: Exchange | str, symbol: str, *, asia: bool = False) -> ControlReply:
        stream = Stream.BOOK_ASIA if asia else Stream.BOOK
        return await self._send(stream.value, symbol_key(Exchange(exchange), symbol), TrType.SUBSCRIBE)

    async def unsubscribe(self, tr_id: str, tr_key: str) -> ControlReply:
        return await self._send(tr_id, tr_key, TrType.UNSUBSCRIBE)

    async def _send(self, tr_id: str, tr_key: str, tr_type: TrType) -> ControlReply:
        if self._ws is None:
            raise RuntimeError("RealtimeClient is not connected (use `async with` or connect())")
        async with self._lock:
            await self._ws.send(subscribe_message(self._approval, tr_id, tr_key, tr_type, self.config.custtype))
            reply = await self._replies.get()
        if reply.rt_cd != "0":
            raise RealtimeError(reply)
        return reply

    # --- events ----------------------------------------------------------------------------------------
    def __aiter__(self) -> AsyncIterator[RealtimeEvent]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[RealtimeEvent]:
        while True:
            item = await self._events.get()
            if isinstance(item, BaseException):
                raise item
            yield item

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for text in ws:
                if isinstance(text, bytes):
                    text = text.decode()
                if text[:2] in ("0|", "1|"):
                    for event in self._parse(text):
                        self._events.put_nowait(event)
                    continue
                reply = parse_control(text)
                if reply.is_pingpong:
                    await ws.send(text)  # the echo KIS expects
                    continue
                if reply.session_key is not None:
                    self._key = reply.session_key
                self._replies.put_nowait(reply)
        except Exception as exc:  # the socket closed or a frame did not parse: the iterator raises it
            self._events.put_nowait(exc)

    def _parse(self, text: str) -> list[RealtimeEvent]:
        frame = parse_data_frame(text, self._key)
        now = datetime.now(UTC)
        events: list[RealtimeEvent] = []
        for record in frame.records:
            if frame.tr_id in (Stream.NOTICE.value, Stream.NOTICE_MOCK.value):
                events.append(parse_notice(record, now))
            elif frame.tr_id == Stream.TRADES.value:
                events.append(parse_trade(record))
            elif frame.tr_id in (Stream.BOOK.value, Stream.BOOK_ASIA.value):
                events.append(parse_book(record))
        return events


class RealtimeThread:
    """The blocking counterpart: a `RealtimeClient` on a thread (and event loop) of its own, each event
    handed to `on_event` on that thread. Subscribe calls block until the server has answered.

        with RealtimeThread(config, print, hts_id="myhtsid") as rt:
            rt.subscribe_notices()
            ...
    """

    def __init__(self, config: ClientConfig, on_event: Callable[[RealtimeEvent], None], *, hts_id: str = "",
                 url: str | None = None, timeout: float = 30.0) -> None:
        self.client = RealtimeClient(config, hts_id=hts_id, url=url)
        self.on_event = on_event
        self.timeout = timeout
        self.error: BaseException | None = None  # what ended the event stream, if anything did
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="localkis-realtime", daemon=True)
        self._pump: concurrent.futures.Future[None] | None = None

    def start(self) -> None:
        self._thread.start()
        self._call(self.client.connect())
        self._pump = asyncio.run_coroutine_threadsafe(self._deliver(), self._loop)

    def close(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
        if self._thread.is_alive():
            with contextlib.suppress(Exception):
                self._call(self.client.close())
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(self.timeout)
        self._loop.close()

    def __enter__(self) -> RealtimeThread:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def subscribe_notices(self, hts_id: str | None = None) -> ControlReply:
        return self._call(self.client.subscribe_notices(hts_id))

    def subscribe_trades(self, exchange: Exchange | str, symbol: str) -> ControlReply:
        return self._call(self.client.subscribe_trades(exchange, symbol))

    def subscribe_book(self, exchange: Exchange | str, symbol: str, *, asia: bool = False) -> ControlReply:
        return self._call(self.client.subscribe_book(exchange, symbol, asia=asia))

    def unsubscribe(self, tr_id: str, tr_key: str) -> ControlReply:
        return self._call(self.client.unsubscribe(tr_id, tr_key))

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(self.timeout)

    async def _deliver(self) -> None:
        try:
            async for event in self.client:
                self.on_event(event)
        except Exception as exc:  # the socket closed: kept for the caller to look at
            self.error = exc
