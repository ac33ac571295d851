"""The real-time WebSocket service (WEBSOCKET.md): an ASGI websocket endpoint on any path of the REST port.

A session is one connection. Its first message with a valid approval key binds it to that key's app
(one session per appkey: a second gets OPSP8996 and is closed); later messages may carry any valid key
of the same app (python-kis asks for a new key before every message). Registrations are
(tr_id, tr_key) pairs, at most 41 a session.

Frames reach a session through its bounded queue, drained by its own writer task: the desk's events are
turned into frames on the service's pump task, never on a request's path, and a session whose queue is
full is closed with a logged reason instead of slowing anyone down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from starlette.types import Receive, Scope, Send

from localkis.domain.book import BookParams
from localkis.domain.book import BookSnapshot as DomainBook
from localkis.domain.instruments import Instrument
from localkis.engine.desk import Desk
from localkis.engine.events import BookEvent, Event, EventBus, OrderEvent, PrintEvent
from localkis.engine.streams import DayFigures, Tape, book_record, notice_of, trade_print
from localkis.protocol.env import Env
from localkis.protocol.exchanges import Exchange
from localkis.protocol.realtime import (
    MAX_REGISTRATIONS,
    NOTICE_STREAM,
    Control,
    KeyKind,
    NoticeLayout,
    Stream,
    parse_symbol_key,
)
from localkis.server.clock import Clock
from localkis.server.config import FaultSection
from localkis.server.faults import Faults
from localkis.store.base import Store, read
from localkis.wire.realtime import (
    BookSnapshot,
    ClientPingPong,
    ControlError,
    SessionKey,
    Subscription,
    appkey_in_use,
    book_frame,
    invalid_approval,
    notice_frame,
    parse_client_message,
    pingpong,
    reply_to,
    trade_frame,
)

log = logging.getLogger("localkis")

# How fault rules name the socket: `api = "websocket"` (every stream) or a stream's TR ID ("H0GSCNI0").
FAULT_SEGMENT = "websocket"
# Close codes. Not 1000: the official client reconnects at once, without counting, after a clean close.
CLOSE_APPKEY_IN_USE = 1008  # policy violation: OPSP8996 (KIS drops the TCP connection; ASGI cannot)
CLOSE_TOO_SLOW = 1013  # try again later: the session's queue overflowed
CLOSE_FAULT = 1011  # internal error: a fault rule dropped the session
CLOSE_TIMEOUT = 5.0  # seconds a close may take on a connection that stopped reading


@dataclass(frozen=True, slots=True)
class AppProfile:
    """What the socket needs of a configured app."""

    appkey: str
    env: Env
    accounts: frozenset[str]
    hts_id: str  # the notice subscription's tr_key
    layout: NoticeLayout


@dataclass(frozen=True, slots=True)
class RealtimeSettings:
    pingpong_seconds: float = 10.0
    queue_frames: int = 10_000
    book: BookParams = field(default_factory=BookParams)


SymbolId = tuple[Exchange, str]
Pair = tuple[str, str]  # (tr_id, tr_key)


class Session:
    """One WebSocket connection: its AES key, app, registrations and outgoing queue."""

    def __init__(self, limit: int) -> None:
        self.key = SessionKey.generate()
        self.profile: AppProfile | None = None
        self.approved: set[str] = set()  # approval keys already found valid for the session's app
        self.registrations: dict[Pair, SymbolId | None] = {}
        self.frames: deque[str] = deque()
        self.limit = limit
        self.wake = asyncio.Event()
        self.delay = 0.0  # seconds each frame waits (a latency fault)
        self.close_code: int | None = None
        self.close_reason = ""
        self.sending = False
        self.writer: asyncio.Task[None] | None = None

    def push(self, frame: str) -> None:
        if self.close_code is not None:
            return
        if len(self.frames) >= self.limit:
            log.warning("websocket session of %s closed: %d frames queued unread (slow consumer)",
                        self.profile.appkey[:6] + "…" if self.profile else "an unbound app", len(self.frames))
            self.frames.clear()
            self.close(CLOSE_TOO_SLOW, "slow consumer", abort=True)
            return
        self.frames.append(frame)
        self.wake.set()

    def close(self, code: int, reason: str, *, abort: bool = False) -> None:
        """Close after the queued frames (`abort`: now, even if a send is stuck on a full socket)."""
        if self.close_code is None:
            self.close_code, self.close_reason = code, reason
        self.wake.set()
        if abort and self.sending and self.writer is not None:
            self.writer.cancel()

    async def write(self, send: Send) -> None:
        """The writer task: frames in order, then the close frame if one was asked for."""
        while True:
            await self.wake.wait()
            self.wake.clear()
            while self.frames:
                frame = self.frames.popleft()
                if self.delay:  # a latency fault rule fired on this session
                    await asyncio.sleep(self.delay)
                self.sending = True
                await send({"type": "websocket.send", "text": frame})
                self.sending = False
            if self.close_code is not None:
                await send({"type": "websocket.close", "code": self.close_code, "reason": self.close_reason})
                return


class RealtimeService:
    def __init__(self, profiles: Iterable[AppProfile], store: Store, desk: Desk, clock: Clock, bus: EventBus,
                 settings: RealtimeSettings, added: Callable[[str], AppProfile | None] = lambda appkey: None,
                 faults: Faults | None = None) -> None:
        self.profiles = {p.appkey: p for p in profiles}
        self.faults = faults
        self._added = added  # the profile of an app added at run time (contests), not in the config
        # An HTS id is a user: its notices cover the accounts of every app that has it (python-kis's
        # virtual mode subscribes H0GSCNI9 on its real app's socket, for the mock app's account).
        users: dict[str, set[str]] = {}
        for p in self.profiles.values():
            users.setdefault(p.hts_id, set()).update(p.accounts)
        self._user_accounts = {hts_id: frozenset(accounts) for hts_id, accounts in users.items()}
        self.store = store
        self.desk = desk
        self.clock = clock
        self.settings = settings
        self.sessions: set[Session] = set()
        self._holders: dict[str, Session] = {}  # appkey → its one session
        self._symbols: dict[SymbolId, dict[Pair, set[Session]]] = {}
        self._tape = Tape()
        self._books: dict[Pair, BookSnapshot] = {}  # the last book sent per subscription (for DBIDn/DASKn)
        self._inbox: deque[tuple[Event, DayFigures | None]] = deque()
        self._inbox_wake: asyncio.Event | None = None
        self._tasks: list[asyncio.Task[None]] = []
        bus.subscribe(self.on_events)

    # --- events → frames ------------------------------------------------------------------------------
    def on_events(self, events: Sequence[Event]) -> None:
        """The bus callback (on the event loop, right after a commit): count prints, queue the rest."""
        for event in events:
            figures = None
            if isinstance(event, PrintEvent):
                instrument = self.desk.instruments.get((event.exchange, event.symbol))
                figures = self._tape.record(event, lot=instrument.board_lot if instrument else 1,
                                            reference=instrument.price if instrument else event.price)
            if self.sessions:
                self._inbox.append((event, figures))
        if self._inbox and self._inbox_wake is not None:
            self._inbox_wake.set()

    async def _pump(self, wake: asyncio.Event) -> None:
        while True:
            await wake.wait()
            wake.clear()
            while self._inbox:
                books: dict[SymbolId, datetime] = {}
                while self._inbox:
                    event, figures = self._inbox.popleft()
                    try:
                        if isinstance(event, OrderEvent):
                            self._notice(event)
                        elif isinstance(event, PrintEvent) and figures is not None:
                            await self._print(event, figures)
                        elif isinstance(event, BookEvent) and (event.exchange, event.symbol) in self._symbols:
                            books[(event.exchange, event.symbol)] = event.at
                    except Exception:
                        log.exception("real-time event %r not sent", event)
                for ident, at in books.items():  # one read per changed book, whatever the event count
                    try:
                        await self._book(ident, at)
                    except Exception:
                        log.exception("book of %s not sent", ident)

    def _notice(self, event: OrderEvent) -> None:
        order = event.order
        instrument = self.desk.instruments.get((order.exchange, order.symbol))
        stream = NOTICE_STREAM[order.env].value
        for session in self.sessions:
            profile = session.profile
            if (profile is None or (stream, profile.hts_id) not in session.registrations
                    or order.account not in self._user_accounts.get(profile.hts_id, profile.accounts)):
                continue
            notice = notice_of(event, profile.hts_id, instrument.name if instrument else "")
            session.push(notice_frame(notice, profile.layout, order.env, session.key))

    async def _read_book(self, ident: SymbolId, at: datetime) -> DomainBook | None:
        instrument = self.desk.instruments.get(ident)
        if instrument is None:
            return None
        return await read(self.store, self.desk.book, instrument, self.settings.book, at)

    async def _print(self, event: PrintEvent, figures: DayFigures) -> None:
        subs = self._symbols.get((event.exchange, event.symbol))
        keys = [(pair, sessions) for pair, sessions in (subs or {}).items() if pair[0] == Stream.TRADES.value]
        if not keys:
            return
        book = await self._read_book((event.exchange, event.symbol), event.at)
        if book is None:
            return
        for (_, tr_key), sessions in keys:
            frame = trade_frame([trade_print(tr_key, event, figures, book)])  # built once per tr_key
            for session in sessions:
                session.push(frame)

    async def _book(self, ident: SymbolId, at: datetime) -> None:
        subs = self._symbols.get(ident)
        keys = [(pair, sessions) for pair, sessions in (subs or {}).items()
                if pair[0] in (Stream.BOOK.value, Stream.BOOK_ASIA.value)]
        if not keys:
            return
        book = await self._read_book(ident, at)
        if book is None:
            return
        for pair, sessions in keys:
            frame = self._book_frame(pair, book, at)
            for session in sessions:
                session.push(frame)

    def _book_frame(self, pair: Pair, book: DomainBook, at: datetime) -> str:
        record = book_record(pair[1], book, at, self._books.get(pair))
        self._books[pair] = record
        return book_frame(record, Stream(pair[0]))

    async def _pinger(self) -> None:
        while True:
            await asyncio.sleep(self.settings.pingpong_seconds)
            frame = pingpong(self.clock.now())
            for session in list(self.sessions):
                if session.profile is not None:  # KIS sends PINGPONG to sessions it knows
                    session.push(frame)

    def _start(self) -> None:
        if self._inbox_wake is None:
            self._inbox_wake = asyncio.Event()
            self._tasks = [asyncio.create_task(self._pump(self._inbox_wake), name="localkis-realtime-pump"),
                           asyncio.create_task(self._pinger(), name="localkis-realtime-pingpong")]

    # --- the connection ---------------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI websocket: any path."""
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        await send({"type": "websocket.accept"})
        self._start()
        session = Session(self.settings.queue_frames)
        self.sessions.add(session)
        reader = asyncio.create_task(self._read(session, receive))
        session.writer = writer = asyncio.create_task(session.write(send))
        try:
            await asyncio.wait({reader, writer}, return_when=asyncio.FIRST_COMPLETED)
            for task in (reader, writer):
                if task.done() and not task.cancelled() and task.exception() is not None:
                    log.info("websocket session ended: %r", task.exception())
        finally:
            self._drop(session)
            reader.cancel()
            if not writer.done():
                session.close(1000, "")
                with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError, Exception):
                    await asyncio.wait_for(writer, CLOSE_TIMEOUT)
            elif writer.cancelled() and session.close_code is not None:  # aborted mid-send: close now
                with contextlib.suppress(asyncio.TimeoutError, Exception):
                    await asyncio.wait_for(send({"type": "websocket.close", "code": session.close_code,
                                                 "reason": session.close_reason}), CLOSE_TIMEOUT)
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader

    async def _read(self, session: Session, receive: Receive) -> None:
        while session.close_code is None:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return
            data = message.get("text")
            if data is None:
                data = message.get("bytes")
            if data is None:
                continue
            try:
                await self._handle(session, data)
            except Exception:  # never a dropped server: log it, answer as KIS does for an internal error
                log.exception("websocket message not handled")
                session.push(ControlError(Control.INTERNAL_ERROR).reply())

    def _drop(self, session: Session) -> None:
        self.sessions.discard(session)
        if session.profile is not None and self._holders.get(session.profile.appkey) is session:
            del self._holders[session.profile.appkey]
        for pair, ident in session.registrations.items():
            self._unindex(session, pair, ident)
        session.registrations.clear()

    async def _handle(self, session: Session, data: str | bytes) -> None:
        try:
            request = parse_client_message(data)
        except ControlError as refused:
            session.push(refused.reply())
            return
        if isinstance(request, ClientPingPong):
            return
        profile = await self._approve(session, request)
        if profile is None:
            return
        if session.profile is None:
            holder = self._holders.get(profile.appkey)
            if holder is not None:
                log.info("second websocket session of app %s… refused (OPSP8996)", profile.appkey[:6])
                session.push(appkey_in_use())
                session.close(CLOSE_APPKEY_IN_USE, "ALREADY IN USE appkey")
                return
            session.profile = profile
            self._holders[profile.appkey] = session
        if self.faults is not None and self.faults.rules:
            rule = self.faults.pick(FAULT_SEGMENT, request.tr_id, profile.appkey, "")
            if rule is not None and self._fault(session, rule.section):
                return
        self._register(session, profile, request)

    @staticmethod
    def _fault(session: Session, section: FaultSection) -> bool:
        """A fault rule fired on a client message: True if the message is not to be served."""
        if section.kind in ("drop_before_commit", "drop_after_commit"):
            session.close(CLOSE_FAULT, "fault: session dropped", abort=True)
            return True
        if section.kind == "latency":
            session.delay = (section.latency_ms or 0) / 1000
            return False
        session.push(ControlError(Control.INTERNAL_ERROR).reply())  # error: KIS's socket has no msg_cd of its own
        return True

    async def _approve(self, session: Session, request: Subscription) -> AppProfile | None:
        """The app of a valid approval key (of the session's app, once bound); else OPSP0011 is sent."""
        key = request.approval_key
        if key in session.approved and session.profile is not None:
            return session.profile
        now = self.clock.now()

        def lookup() -> str | None:
            with self.store.read() as tx:
                return tx.approval_key_app(key, now)

        appkey = await read(self.store, lookup)
        profile = (self.profiles.get(appkey) or self._added(appkey)) if appkey is not None else None
        if profile is None or (session.profile is not None and session.profile.appkey != profile.appkey):
            session.push(invalid_approval(request))
            return None
        session.approved.add(key)
        return profile

    def _register(self, session: Session, profile: AppProfile, request: Subscription) -> None:
        pair = (request.tr_id, request.tr_key)
        spec = request.spec
        if not request.subscribe:
            if pair not in session.registrations:
                session.push(reply_to(request, Control.NOT_SUBSCRIBED, session.key))
                return
            self._unindex(session, pair, session.registrations.pop(pair))
            session.push(reply_to(request, Control.UNSUBSCRIBED, session.key))
            return
        if pair in session.registrations:
            session.push(reply_to(request, Control.ALREADY_SUBSCRIBED, session.key))
            return
        if len(session.registrations) >= MAX_REGISTRATIONS:
            session.push(reply_to(request, Control.MAX_SUBSCRIPTIONS, session.key))
            return
        if spec.key_kind is KeyKind.HTS_ID and spec.sends_data and request.tr_key != profile.hts_id:
            session.push(reply_to(request, Control.INVALID_TR_KEY, session.key))
            return
        ident = self._instrument(request.tr_key) if spec.key_kind is KeyKind.SYMBOL else None
        session.registrations[pair] = ident
        if ident is not None:
            self._symbols.setdefault(ident, {}).setdefault(pair, set()).add(session)
        session.push(reply_to(request, Control.SUBSCRIBED, session.key))
        if ident is not None and spec.stream in (Stream.BOOK, Stream.BOOK_ASIA):
            self._inbox.append((BookEvent(ident[0], ident[1], self.clock.now()), None))  # the book as it is now
            if self._inbox_wake is not None:
                self._inbox_wake.set()

    def _instrument(self, tr_key: str) -> SymbolId | None:
        """The instrument a market-data tr_key names (any venue of its market: DNASKO finds NYSE KO)."""
        parsed = parse_symbol_key(tr_key)
        if parsed is None:
            return None
        found: Instrument | None = self.desk.instrument_in_market(parsed.exchange, parsed.symbol)
        return (found.exchange, found.symbol) if found is not None else None

    def _unindex(self, session: Session, pair: Pair, ident: SymbolId | None) -> None:
        if ident is None:
            return
        subs = self._symbols.get(ident)
        if subs is None:
            return
        sessions = subs.get(pair)
        if sessions is not None:
            sessions.discard(session)
            if not sessions:
                del subs[pair]
                self._books.pop(pair, None)
        if not subs:
            del self._symbols[ident]
