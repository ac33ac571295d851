"""`RealtimeClient`: KIS's real-time WebSocket as typed events (asyncio), against localkis and the real KIS.

    async with RealtimeClient(config, hts_id="myhtsid") as rt:
        await rt.subscribe_notices()               # H0GSCNI0 (real) / H0GSCNI9 (mock), decrypted
        await rt.subscribe_trades("NASD", "AAPL")  # HDFSCNT0 DNASAAPL
        async for event in rt:                     # ExecutionNotice | TradePrint | BookSnapshot
            ...

The approval key comes from `POST /oauth2/Approval` on the config's REST host; the socket is KIS's
ops host for KIS's REST hosts, and the REST host's own host and port otherwise (localkis serves both on
one port). PINGPONGs are answered; control replies are matched to the subscribe that asked.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime

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
