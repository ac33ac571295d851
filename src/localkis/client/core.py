"""What the sync and async clients share: request plans, retry decisions, paging and reconciliation.

Every public operation is written once, as a generator that yields `Call`s (and `Sleep`s) and gets
`Reply`s back. `KisClient` runs it with blocking I/O and `AsyncKisClient` with `await`; a lost
response is thrown into the generator as `ResponseLost`, so the reconciliation logic is the same
code for both. The decisions after each HTTP attempt (`judge_answer`, `judge_transport`) are pure.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any, Self, TypeVar

import orjson

from localkis.client import calls, market
from localkis.client.calls import ALL_MARKETS, Call
from localkis.client.config import MOCK_URL, REAL_URL, ClientConfig
from localkis.client.errors import (
    KisError,
    NotSupported,
    OutcomeUnknown,
    ServerError,
    TokenIssueLimited,
    error_from_answer,
)
from localkis.client.models import (
    KST,
    Balance,
    BalanceTotals,
    BuyingPower,
    Order,
    OrderAck,
    OrderKind,
    OrderType,
    Position,
    Quote,
    parse_side,
)
from localkis.client.ratelimit import TokenBucket, bucket_for
from localkis.client.tokens import TokenKeeper, keeper_for, utc_now
from localkis.client.transport import NOT_SENT
from localkis.protocol import codes
from localkis.protocol.codes import Gateway, Ops
from localkis.protocol.env import ENV_RULES, Env
from localkis.protocol.exchanges import EXCHANGES, Exchange, inquiry_scope
from localkis.protocol.orders import Side
from localkis.wire import oauth
from localkis.wire.inquire_ccnl import CcnlQuery

T = TypeVar("T")

MAX_PAGES = 1000


@dataclass(frozen=True, slots=True)
class Reply:
    """A successful KIS answer (HTTP 200, rt_cd "0")."""

    status: int
    body: dict[str, Any]
    tr_cont: str


@dataclass(frozen=True, slots=True)
class Sleep:
    """A plan step: wait this long (time.sleep or asyncio.sleep, depending on the client)."""

    seconds: float


Step = Call | Sleep
Op = Generator[Step, Any, T]


class ResponseLost(Exception):
    """An order/revise/cancel reached the wire but no usable answer came back."""

    def __init__(self, sent_at: datetime, cause: str) -> None:
        super().__init__(cause)
        self.sent_at = sent_at
        self.cause = cause


class NetworkError(KisError):
    """The server could not be reached or did not answer, after the client's retries."""


@dataclass
class Stats:
    """Counters of one client (thread-safe enough for reporting)."""

    requests: int = 0  # HTTP requests sent to KIS APIs (token requests excluded)
    rate_limited: int = 0  # EGW00201 answers, each retried
    retries: int = 0  # read retries after a network error or server fault
    token_requests: int = 0  # POST /oauth2/tokenP
    token_reissues: int = 0  # after EGW00123/EGW00121
    reconciliations: int = 0  # orders/revises/cancels whose answer was lost
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, name: str, n: int = 1) -> None:
        """Count `n` more of `name`."""
        with self._lock:
            setattr(self, name, getattr(self, name) + n)

    def as_dict(self) -> dict[str, int]:
        """The counters as a plain dict."""
        return {k: getattr(self, k) for k in ("requests", "rate_limited", "retries", "token_requests",
                                              "token_reissues", "reconciliations")}


# --------------------------------------------------------------------------------------------------
# retry decisions


class Verdict(Enum):
    """What to do after one HTTP attempt."""

    OK = "ok"
    RETRY = "retry"  # wait `delay`, then send again
    RATE_LIMITED = "rate_limited"  # wait `delay` (and hold the bucket), then send again
    REISSUE = "reissue"  # the token was refused: get another once, then send again
    LOST = "lost"  # a write may have been executed: reconcile, never resend
    RAISE = "raise"


@dataclass(frozen=True, slots=True)
class Decision:
    """A verdict with what it needs (the reply, the delay, the error, the cause of a loss)."""

    verdict: Verdict
    delay: float = 0.0
    reply: Reply | None = None
    error: KisError | None = None
    cause: str = ""


@dataclass
class Attempt:
    """Per-call retry state."""

    reads: int = 0
    rate: int = 0
    reissued: bool = False


# Answers that KIS's gateway gives *before* a request is processed: a write that got one was not executed.
_PRE_PROCESSING = frozenset({g.value for g in Gateway if g is not Gateway.SERVER_ERROR}
                            | {o.value for o in Ops} | {codes.NOT_IN_MOCK.code, codes.SERVICE_NOT_FOUND.code})
_TOKEN_REFUSED = frozenset({Gateway.TOKEN_EXPIRED.value, Gateway.BAD_TOKEN.value})


def read_backoff(attempt: int) -> float:
    """0.2 s, 0.4 s, 0.8 s … (capped at 3 s), ±25 % jitter."""
    return float(min(0.2 * 2 ** attempt, 3.0) * (0.75 + random.random() / 2))


def rate_backoff(attempt: int) -> float:
    """KIS counts per wall-clock second: wait for the next one (later retries a little longer)."""
    return 1.0 - time.time() % 1.0 + 0.02 + 0.05 * attempt + random.random() * 0.03


def decode(content: bytes) -> dict[str, Any] | None:
    """A JSON object body, or None."""
    try:
        value = orjson.loads(content)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def judge_answer(cfg: ClientConfig, call: Call, status: int, content: bytes, tr_cont: str,
                 state: Attempt) -> Decision:
    """Decide after an answer: success, retry (EGW00201, read faults), re-issue the token once, a lost
    write (a fault after the request may have been processed), or raise."""
    body = decode(content)
    if status == 200 and body is not None and str(body.get("rt_cd", "")) == "0":
        return Decision(Verdict.OK, reply=Reply(status, body, tr_cont))
    error = error_from_answer(status, body, tr_id=call.tr_id, text=content[:300].decode("utf-8", "replace"))
    code = error.msg_cd
    if code == Gateway.RATE_LIMIT.value:
        if state.rate < cfg.rate_limit_retries:
            state.rate += 1
            return Decision(Verdict.RATE_LIMITED, delay=rate_backoff(state.rate - 1), error=error)
        return Decision(Verdict.RAISE, error=error)
    if code in _TOKEN_REFUSED:
        if not state.reissued:
            state.reissued = True
            return Decision(Verdict.REISSUE, error=error)
        return Decision(Verdict.RAISE, error=error)
    processed_maybe = body is None or (status >= 500 and code not in _PRE_PROCESSING)
    if processed_maybe and isinstance(error, ServerError):
        if call.writes:
            return Decision(Verdict.LOST, error=error, cause=str(error))
        if state.reads < cfg.retries:
            state.reads += 1
            return Decision(Verdict.RETRY, delay=read_backoff(state.reads - 1), error=error)
    return Decision(Verdict.RAISE, error=error)


def judge_transport(cfg: ClientConfig, call: Call, exc: Exception, state: Attempt) -> Decision:
    """Decide after a transport failure: a write that may have left is lost (reconcile), never resent."""
    cause = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if call.writes and not isinstance(exc, NOT_SENT):
        return Decision(Verdict.LOST, cause=cause)
    if state.reads < cfg.retries:
        state.reads += 1
        return Decision(Verdict.RETRY, delay=read_backoff(state.reads - 1), cause=cause)
    return Decision(Verdict.RAISE, error=NetworkError(cause, tr_id=call.tr_id), cause=cause)


# --------------------------------------------------------------------------------------------------
# the shared client state and operations


def output_rows(body: Mapping[str, Any], key: str = "output") -> list[dict[str, Any]]:
    """A list output; KIS's empty answer can be one all-blank object instead (PROTOCOL §7)."""
    value = body.get(key)
    if isinstance(value, list):
        return [row for row in value if isinstance(row, dict) and any(str(v).strip() for v in row.values())]
    if isinstance(value, dict) and any(str(v).strip() for v in value.values()):
        return [value]
    return []


def _same_market(a: Exchange | None, b: Exchange) -> bool:
    return a is not None and EXCHANGES[a].market is EXCHANGES[b].market


@dataclass(frozen=True, slots=True)
class Intent:
    """What a lost write was meant to do, for reconciliation."""

    kind: OrderKind
    exchange: Exchange
    symbol: str
    side: Side | None
    quantity: int  # revise/cancel: 0 = all that was open
    price: Decimal | None  # None: any (cancel)
    original: str  # ORGN_ODNO for revise/cancel


class ClientCore:
    """Configuration, pacing, tokens and operation plans; the I/O lives in the subclasses."""

    def __init__(self, config: ClientConfig | None = None, *, clock: Callable[[], datetime] | None = None,
                 **options: Any) -> None:
        cfg = config.replace(**options) if config is not None and options else config
        self.config: ClientConfig = cfg if cfg is not None else ClientConfig.load(**options)
        self._now = clock or utc_now
        self.bucket: TokenBucket = bucket_for(self.config.base_url, self.config.appkey,
                                              self.config.effective_rate, self.config.burst)
        self.tokens: TokenKeeper = keeper_for(self.config.token_cache_dir, self.config.base_url,
                                              self.config.appkey)
        self.stats = Stats()
        self._known: deque[str] = deque(maxlen=10_000)  # order numbers this client was told about
        self._nccs_unsupported = False
        self._base_headers = {
            "content-type": "application/json; charset=utf-8",
            "appkey": self.config.appkey,
            "appsecret": self.config.appsecret,
            "custtype": self.config.custtype,
            "user-agent": self.config.user_agent,
        }

    # --- presets (shared by the sync and async clients) -------------------------------------------
    @classmethod
    def real(cls, appkey: str, appsecret: str, account: str, **options: Any) -> Self:
        """A client for KIS 실전투자 (https://openapi.koreainvestment.com:9443) with a real app."""
        return cls(ClientConfig(appkey=appkey, appsecret=appsecret, account=account, env=Env.REAL,
                                base_url=REAL_URL, **options))

    @classmethod
    def mock(cls, appkey: str, appsecret: str, account: str, **options: Any) -> Self:
        """A client for KIS 모의투자 (https://openapivts.koreainvestment.com:29443) with a mock app."""
        return cls(ClientConfig(appkey=appkey, appsecret=appsecret, account=account, env=Env.MOCK,
                                base_url=MOCK_URL, **options))

    @classmethod
    def local(cls, base_url: str, appkey: str, appsecret: str, account: str, env: Env | str = Env.REAL,
              **options: Any) -> Self:
        """A client for any base URL (a localkis server); `env` is the app's environment there."""
        return cls(ClientConfig(appkey=appkey, appsecret=appsecret, account=account, env=Env(env),
                                base_url=base_url, **options))

    # --- plumbing ----------------------------------------------------------------------------------
    @property
    def env(self) -> Env:
        """The app's environment (real or mock)."""
        return self.config.env

    def now(self) -> datetime:
        """The client's clock (aware; injectable with `clock=` for tests and simulations)."""
        return self._now()

    def _headers(self, call: Call, token: str) -> dict[str, str]:
        headers = dict(self._base_headers)
        headers["authorization"] = f"Bearer {token}"
        headers["tr_id"] = call.tr_id
        headers["tr_cont"] = call.tr_cont
        return headers

    def _token_request_body(self) -> dict[str, str]:
        return oauth.token_body(self.config.appkey, self.config.appsecret)

    def _token_wait_or_raise(self, wait: float) -> None:
        if wait > self.config.token_wait_max:
            raise TokenIssueLimited(
                f"KIS allows one token request per minute; the next is allowed in {wait:.0f}s",
                msg_cd=codes.TOKEN_RATE_LIMIT.code)

    def _token_answer(self, status: int, content: bytes, now: datetime) -> str:
        body = decode(content)
        if status == 200 and body is not None and body.get("access_token"):
            return self.tokens.store(body, now)
        raise error_from_answer(status, body, tr_id="tokenP", text=content[:300].decode("utf-8", "replace"))

    def _remember(self, order_no: str) -> None:
        self._known.append(order_no.zfill(10))

    # --- plans -------------------------------------------------------------------------------------
    def _ack(self, call: Call, reply: Reply) -> OrderAck:
        out = reply.body.get("output") or {}
        odno = str(out.get("ODNO", "")).strip()
        tmd = str(out.get("ORD_TMD", "")).strip()
        ordered_at = None
        if len(tmd) == 6 and tmd.isdigit():
            today = self.now().astimezone(KST)
            ordered_at = today.replace(hour=int(tmd[:2]), minute=int(tmd[2:4]), second=int(tmd[4:]), microsecond=0)
            if ordered_at > today + timedelta(hours=1):  # ORD_TMD just before midnight, read after it
                ordered_at -= timedelta(days=1)
        self._remember(odno)
        return OrderAck(order_no=odno, branch=str(out.get("KRX_FWDG_ORD_ORGNO", "")).strip(), ordered_at=ordered_at,
                        msg_cd=str(reply.body.get("msg_cd", "")).strip(), msg1=str(reply.body.get("msg1", "")).strip(),
                        tr_id=call.tr_id)

    def _write_op(self, call: Call, intent: Intent) -> Op[OrderAck]:
        try:
            reply: Reply = yield call
        except ResponseLost as lost:
            self.stats.add("reconciliations")
            found = yield from self._reconcile(call, intent, lost)
            self._remember(found.order_no)
            return OrderAck(order_no=found.order_no, branch=str(found.raw.get("ord_gno_brno", "")).strip(),
                            ordered_at=found.ordered_at, msg_cd="", msg1="", tr_id=call.tr_id, reconciled=True,
                            order=found)
        return self._ack(call, reply)

    def _matches(self, order: Order, intent: Intent, since: datetime) -> bool:
        if order.kind is not intent.kind or order.symbol != intent.symbol:
            return False
        if not _same_market(order.exchange, intent.exchange):
            return False
        if intent.side is not None and order.side is not intent.side:
            return False
        if intent.price is not None and order.price != intent.price:
            return False
        if intent.kind is OrderKind.NEW:
            if order.quantity != intent.quantity:
                return False
        elif order.original_order_no.zfill(10) != intent.original.zfill(10) or (
                intent.quantity > 0 and order.quantity > intent.quantity):
            return False
        if order.ordered_at is None or order.ordered_at < since:
            return False
        return order.order_no.zfill(10) not in self._known

    def _reconcile(self, call: Call, intent: Intent, lost: ResponseLost) -> Op[Order]:
        """Find the order a lost write created; OutcomeUnknown if none or several match."""
        cfg = self.config
        since = (lost.sent_at - timedelta(seconds=cfg.reconcile_clock_skew)).astimezone(KST).replace(microsecond=0)
        sent_kst = lost.sent_at.astimezone(KST).date()
        scope = Exchange.NASD if _same_market(intent.exchange, Exchange.NASD) else intent.exchange
        query = calls.history_query(cfg, sent_kst - timedelta(days=1), sent_kst + timedelta(days=1),
                                    symbol=intent.symbol, exchange=scope, newest_first=True)
        errors: list[BaseException] = []
        examined = 0
        for attempt in range(max(1, cfg.reconcile_attempts)):
            if attempt:
                yield Sleep(cfg.reconcile_delay * attempt)
            try:
                rows = yield from self._pages(
                    lambda fk, nk, cont: calls.ccnl_call(cfg, query, fk, nk, cont),
                    # newest first (real): stop once a page reaches orders older than the send time
                    stop=lambda page: ENV_RULES[self.env].ccnl_filters and any(
                        o.ordered_at is not None and o.ordered_at < since for o in map(Order.from_row, page)))
            except KisError as exc:
                errors.append(exc)
                continue
            examined = len(rows)
            found = [o for o in map(Order.from_row, rows) if self._matches(o, intent, since)]
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                raise OutcomeUnknown("several orders in the history match the lost request; none was resent",
                                     tr_id=call.tr_id, request=call.body or {}, sent_at=lost.sent_at,
                                     cause=lost.cause, candidates=found, examined=examined, lookup_errors=errors)
        raise OutcomeUnknown("the response was lost and the order is not in the history; it was not resent",
                             tr_id=call.tr_id, request=call.body or {}, sent_at=lost.sent_at, cause=lost.cause,
                             examined=examined, lookup_errors=errors)

    def _pages(self, make: Callable[[str, str, str], Call],
               stop: Callable[[list[dict[str, Any]]], bool] | None = None,
               key: str = "output") -> Op[list[dict[str, Any]]]:
        """Every row of a paged inquiry: follow tr_cont F/M with "N" and the ctx_area cursors."""
        rows: list[dict[str, Any]] = []
        fk = nk = cont = ""
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            reply: Reply = yield make(fk, nk, cont)
            page = output_rows(reply.body, key)
            rows.extend(page)
            next_nk = str(reply.body.get("ctx_area_nk200", ""))
            if (reply.tr_cont not in ("F", "M") or not next_nk.strip() or next_nk in seen
                    or (stop is not None and stop(page))):
                return rows
            seen.add(next_nk)
            fk, nk, cont = str(reply.body.get("ctx_area_fk200", "")), next_nk, "N"
        raise KisError(f"more than {MAX_PAGES} pages; giving up")

    def _balance_pages(self, make: Callable[[str, str, str], Call]) -> Op[tuple[list[dict[str, Any]], dict[str, Any]]]:
        rows: list[dict[str, Any]] = []
        totals: dict[str, Any] = {}
        fk = nk = cont = ""
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            reply: Reply = yield make(fk, nk, cont)
            rows.extend(output_rows(reply.body, "output1"))
            out2 = reply.body.get("output2")
            if isinstance(out2, list):
                out2 = out2[0] if out2 else {}
            if isinstance(out2, dict) and out2:
                totals = out2
            next_nk = str(reply.body.get("ctx_area_nk200", ""))
            if reply.tr_cont not in ("F", "M") or not next_nk.strip() or next_nk in seen:
                return rows, totals
            seen.add(next_nk)
            fk, nk, cont = str(reply.body.get("ctx_area_fk200", "")), next_nk, "N"
        raise KisError(f"more than {MAX_PAGES} pages; giving up")

    # --- public operations as plans ----------------------------------------------------------------
    def _place_order_op(self, exchange: Exchange | str, symbol: str, side: Side | str, quantity: int,
                        price: Decimal | str | int, order_type: OrderType | str, lot_size: int | None
                        ) -> Op[OrderAck]:
        call = calls.order_call(self.config, exchange=exchange, symbol=symbol, side=side, quantity=quantity,
                                price=price, order_type=order_type, lot_size=lot_size, now=self.now())
        body = call.body or {}
        intent = Intent(OrderKind.NEW, Exchange(body["OVRS_EXCG_CD"]), body["PDNO"], parse_side(side),
                        int(body["ORD_QTY"]), Decimal(body["OVRS_ORD_UNPR"]), "")
        return self._write_op(call, intent)

    def _revise_cancel_op(self, revise: bool, order_no: str, exchange: Exchange | str, symbol: str,
                          quantity: int, price: Decimal | str | int | None) -> Op[OrderAck]:
        call = calls.revise_cancel_call(self.config, revise=revise, order_no=order_no, exchange=exchange,
                                        symbol=symbol, quantity=quantity, price=price, now=self.now())
        body = call.body or {}
        intent = Intent(OrderKind.REVISE if revise else OrderKind.CANCEL, Exchange(body["OVRS_EXCG_CD"]),
                        body["PDNO"], None, int(body["ORD_QTY"]),
                        Decimal(body["OVRS_ORD_UNPR"]) if revise else None, body["ORGN_ODNO"])
        return self._write_op(call, intent)

    def _open_orders_op(self, exchanges: Iterable[Exchange]) -> Op[list[Order]]:
        result: list[Order] = []
        for exchange in exchanges:
            rows: list[dict[str, Any]] | None = None
            if not self._nccs_unsupported:
                try:
                    rows = yield from self._pages(self._nccs_maker(exchange))
                except (NotSupported, ServerError):
                    if ENV_RULES[self.env].inquire_nccs:
                        raise
                    # KIS's mock has no inquire-nccs (PROTOCOL §6: 90000000, or HTTP 500 as some observed)
                    self._nccs_unsupported = True
            if rows is None:
                today = self.now().astimezone(KST).date()
                q = calls.history_query(self.config, today - timedelta(days=1), today, exchange=exchange)
                history = yield from self._history_op(q)
                result.extend(o for o in history if o.is_open)
                continue
            result.extend(o for o in map(Order.from_row, rows) if o.kind is not OrderKind.CANCEL)
        return result

    def _nccs_maker(self, exchange: Exchange) -> Callable[[str, str, str], Call]:
        return lambda fk, nk, cont: calls.nccs_call(self.config, exchange, fk, nk, cont)

    def _history_op(self, q: CcnlQuery) -> Op[list[Order]]:
        rows = yield from self._pages(lambda fk, nk, cont: calls.ccnl_call(self.config, q, fk, nk, cont))
        orders = [Order.from_row(r) for r in rows]
        # The mock ignores the filters (and the real server treats NASD as all US): apply them here too.
        out = [o for o in orders
               if (not q.symbol or o.symbol == q.symbol)
               and (q.exchange is None or o.exchange in inquiry_scope(q.exchange))
               and (q.side is None or o.side is q.side)
               and (q.filled is None or (o.filled_quantity > 0) is q.filled)]
        if not ENV_RULES[self.env].ccnl_filters and q.newest_first:
            out.reverse()
        return out

    def _quote_op(self, exchange: Exchange | str, symbol: str) -> Op[Quote]:
        ex = calls.to_exchange(exchange, self.env)
        reply: Reply = yield calls.quote_call(self.config, ex, symbol)
        out = reply.body.get("output")
        return Quote.from_output(ex, symbol.strip(), out if isinstance(out, dict) else {})

    def _balance_op(self, exchange: Exchange | str, currency: str | None) -> Op[Balance]:
        ex = calls.to_exchange(exchange, self.env)
        cur = (currency or EXCHANGES[ex].currency).upper()
        rows, totals = yield from self._balance_pages(
            lambda fk, nk, cont: calls.balance_call(self.config, ex, cur, fk, nk, cont))
        positions = [Position.from_row(r) for r in rows]
        return Balance(exchange=ex, currency=cur, positions=[p for p in positions if p.symbol],
                       totals=BalanceTotals.from_output(totals))

    def _buying_power_op(self, exchange: Exchange | str, symbol: str, price: Decimal | str | int | None
                         ) -> Op[BuyingPower]:
        ex = calls.to_exchange(exchange, self.env)
        p = calls.to_price(price) if price is not None else None
        reply: Reply = yield calls.psamount_call(self.config, ex, symbol, p, self.now())
        out = reply.body.get("output")
        return BuyingPower.from_output(ex, symbol.strip(), p, out if isinstance(out, dict) else {})

    @staticmethod
    def _markets(exchange: Exchange | str | Iterable[Exchange | str] | None, env: Env) -> list[Exchange]:
        if exchange is None:
            return list(ALL_MARKETS)
        if isinstance(exchange, Exchange | str):
            return [calls.to_exchange(exchange, env)]
        return [calls.to_exchange(e, env) for e in exchange]

    def _history_query(self, start: date | None, end: date | None, symbol: str | None,
                       exchange: Exchange | str | None, side: Side | str | None, filled: bool | None,
                       newest_first: bool, today: date) -> CcnlQuery:
        return calls.history_query(
            self.config, start or today - timedelta(days=7), end or today, (symbol or "").strip(),
            calls.to_exchange(exchange, self.env) if exchange is not None else None,
            parse_side(side) if side is not None else None, filled, newest_first)

    # --- market data (client/market.py) ------------------------------------------------------------
    def _price_detail_op(self, exchange: Exchange | str, symbol: str) -> Op[market.PriceDetail]:
        ex = calls.to_exchange(exchange, self.env)
        reply: Reply = yield market.price_detail_call(self.config, ex, symbol.strip())
        return market.PriceDetail.from_output(ex, symbol.strip(), reply.body.get("output"))

    def _daily_bars_op(self, exchange: Exchange | str, symbol: str, start: date | None, end: date | None,
                       period: str) -> Op[list[market.Bar]]:
        """dailyprice pages (100 rows each), stepping BYMD back from the oldest row until `start`."""
        ex = calls.to_exchange(exchange, self.env)
        if period not in market.PERIODS:
            raise ValueError(f"period {period!r}: one of {', '.join(market.PERIODS)}")
        bars: list[market.Bar] = []
        by = end
        for _ in range(MAX_PAGES):
            reply: Reply = yield market.daily_call(self.config, ex, symbol.strip(), period, by)
            page = market.daily_bars(reply.body)
            known = {b.time for b in bars}
            page = [b for b in page if b.time not in known]
            if not page:
                break
            bars = page + bars
            oldest = page[0].time
            assert isinstance(oldest, date)
            if start is None or oldest <= start:
                break
            by = oldest - timedelta(days=1)
        return [b for b in bars if start is None or b.time >= start]

    def _minute_bars_op(self, exchange: Exchange | str, symbol: str, count: int,
                        minutes: int) -> Op[list[market.Bar]]:
        """Minute-chart pages (120 rows each) following NEXT/KEYB until `count` bars."""
        ex = calls.to_exchange(exchange, self.env)
        bars: list[market.Bar] = []
        keyb = ""
        for _ in range(MAX_PAGES):
            reply: Reply = yield market.minute_call(self.config, ex, symbol.strip(), minutes,
                                                    min(120, count - len(bars)), keyb)
            page = market.minute_bars(reply.body, ex)
            bars = page + bars
            out1 = reply.body.get("output1")
            more = isinstance(out1, dict) and str(out1.get("next", "")) == "1"
            if not page or not more or len(bars) >= count:
                break
            oldest = page[0].time
            assert isinstance(oldest, datetime)
            keyb = f"{oldest - timedelta(minutes=minutes):%Y%m%d%H%M%S}"
        return bars[-count:]

    def _order_book_op(self, exchange: Exchange | str, symbol: str) -> Op[market.OrderBook]:
        ex = calls.to_exchange(exchange, self.env)
        reply: Reply = yield market.book_call(self.config, ex, symbol.strip())
        return market.OrderBook.from_body(ex, symbol.strip(), reply.body)

    def _product_info_op(self, exchange: Exchange | str, symbol: str) -> Op[market.ProductInfo]:
        ex = calls.to_exchange(exchange, self.env)
        reply: Reply = yield market.product_call(self.config, ex, symbol.strip())
        return market.ProductInfo.from_output(ex, symbol.strip(), reply.body.get("output"))

    def _holidays_op(self, trade_date: date) -> Op[list[market.SettlementDate]]:
        reply: Reply = yield market.holidays_call(self.config, trade_date)
        rows = reply.body.get("output") or []
        return [market.SettlementDate.from_row(r) for r in rows] if isinstance(rows, list) else []
