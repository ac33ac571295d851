"""`AsyncKisClient`: the asyncio client on one httpx connection pool (`transport.AsyncTransport`).

This file is the source of both clients: `sync.py` (`KisClient`) is generated from it by
`tools/unasync.py` (`make test` fails when the two drift). The operations themselves are the
generator plans of `core.py`; only the I/O is written here. The rate limiter and the token cache are
shared with every client of the same app in the process.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

import orjson

from localkis.client import transport
from localkis.client.config import ClientConfig
from localkis.client.core import (
    Attempt,
    NetworkError,
    Op,
    ResponseLost,
    Sleep,
    Verdict,
    judge_answer,
    judge_transport,
)
from localkis.client.errors import KisError
from localkis.client.extended import ExtendedCore, ProfitRow, Reservation, ReservationAck, Transaction
from localkis.client.market import Bar, OrderBook, PriceDetail, ProductInfo, SettlementDate
from localkis.client.models import KST, Balance, BuyingPower, Order, OrderAck, Quote
from localkis.client.transport import TRANSPORT_ERRORS, OnRequest
from localkis.protocol.apis import TOKEN_PATH
from localkis.protocol.exchanges import Exchange
from localkis.protocol.orders import OrderType, Side

T = TypeVar("T")


class AsyncKisClient(ExtendedCore):
    """A typed KIS overseas-stock client (real KIS, KIS mock, or a localkis server), for asyncio.

    Build it from a `ClientConfig`, from keyword arguments (any `ClientConfig.load` argument), or
    with the presets `AsyncKisClient.real(...)`, `AsyncKisClient.mock(...)`, `AsyncKisClient.local(...)`.
    Without arguments it reads `KIS_*` environment variables and then `kis_devlp.yaml`.

    `on_request` is called with every request as it leaves (`transport.Sent`: method, path, params,
    headers, body), e.g. for logging.

    Every method validates its arguments with the server's own field specs and market rules before
    sending, picks the TR ID from the protocol table, paces calls with the app's token bucket, and
    raises a `KisError` subclass for KIS's error answers. Calls from many tasks share one connection
    pool and the app's token bucket. Use it as a context manager (or call `aclose()`) to release the
    connection pool.
    """

    def __init__(self, config: ClientConfig | None = None, *, on_request: OnRequest | None = None,
                 clock: Callable[[], datetime] | None = None, **options: Any) -> None:
        super().__init__(config, clock=clock, **options)
        self._http = transport.AsyncTransport(self.config.base_url, self.config.timeout, on_request)

    # --- lifecycle ---------------------------------------------------------------------------------
    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def __aenter__(self) -> AsyncKisClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # --- engine ------------------------------------------------------------------------------------
    async def _run(self, op: Op[T]) -> T:
        try:
            step = next(op)
            while True:
                if isinstance(step, Sleep):
                    await asyncio.sleep(step.seconds)
                    step = op.send(None)
                    continue
                try:
                    reply = await self._execute(step)
                except (ResponseLost, KisError) as exc:
                    step = op.throw(exc)
                    continue
                step = op.send(reply)
        except StopIteration as stop:
            result: T = stop.value
            return result
        finally:
            op.close()

    async def _execute(self, call: Any) -> Any:
        state = Attempt()
        rejected: str | None = None
        content = orjson.dumps(call.body) if call.body is not None else None
        while True:
            wait = self.bucket.reserve()
            if wait > 0:
                await asyncio.sleep(wait)
            token = await self._token(rejected)
            headers = self._headers(call, token)
            sent_at = self.now()
            self.stats.add("requests")
            try:
                resp = await self._http.request(call.method, call.path, params=call.params, headers=headers,
                                                content=content)
            except TRANSPORT_ERRORS as exc:
                decision = judge_transport(self.config, call, exc, state)
            else:
                decision = judge_answer(self.config, call, resp.status, resp.content, resp.tr_cont, state)
            verdict = decision.verdict
            if verdict is Verdict.OK:
                return decision.reply
            if verdict is Verdict.RETRY:
                self.stats.add("retries")
                await asyncio.sleep(decision.delay)
            elif verdict is Verdict.RATE_LIMITED:
                self.stats.add("rate_limited")
                self.bucket.penalize(decision.delay)  # every caller waits for the next second
            elif verdict is Verdict.REISSUE:
                self.stats.add("token_reissues")
                self.tokens.forget(token)
                rejected = token
            elif verdict is Verdict.LOST:
                raise ResponseLost(sent_at, decision.cause)
            else:
                assert decision.error is not None
                raise decision.error

    async def _token(self, rejected: str | None = None) -> str:
        margin = self.config.token_refresh_margin
        if rejected is None:
            tok = self.tokens.usable(self.now(), margin)
            if tok:
                return tok
        async with self.tokens.alocked():
            tok = self.tokens.adopt(self.now(), margin, rejected)
            if tok:
                return tok
            wait = self.tokens.issue_wait(self.now())
            self._token_wait_or_raise(wait)
            if wait > 0:
                await asyncio.sleep(wait)
            now = self.now()
            self.tokens.mark_request(now)
            self.stats.add("token_requests")
            try:
                resp = await self._http.request("POST", TOKEN_PATH, content=orjson.dumps(self._token_request_body()),
                                                headers={"content-type": "application/json; charset=utf-8",
                                                         "user-agent": self.config.user_agent})
            except TRANSPORT_ERRORS as exc:
                raise NetworkError(f"token request failed: {type(exc).__name__}: {exc}", tr_id="tokenP") from None
            return self._token_answer(resp.status, resp.content, now)

    # --- public API --------------------------------------------------------------------------------
    async def access_token(self) -> str:
        """The access token, issued now if the cache has none usable (at most one request a minute)."""
        return await self._token()

    async def place_order(self, exchange: Exchange | str, symbol: str, side: Side | str, quantity: int,
                          price: Decimal | str | int, *, order_type: OrderType | str = OrderType.LIMIT,
                          lot_size: int | None = None) -> OrderAck:
        """Place an order (해외주식 주문).

        Args:
            exchange: `Exchange.NASD`, "NYSE", … (quote codes like "NAS" are accepted too).
            symbol: KIS's product code (`PDNO`), e.g. "AAPL", "00700", "7203".
            side: `Side.BUY`/`Side.SELL` or "buy"/"sell".
            quantity: shares; checked against the board lot (HK: only if `lot_size` is given).
            price: limit price as Decimal/str/int, checked against the exchange's tick table
                (ignored for MOO/MOC, which go out as "0").
            order_type: `OrderType` (`ORD_DVSN`); KIS's mock accepts LIMIT only.
            lot_size: the stock's board lot where the market has none fixed (Hong Kong).

        Returns the acknowledgement; if the response was lost, the order found again in the
        history (`reconciled=True`). Raises `OutcomeUnknown` if it cannot be found; it is never resent.
        """
        return await self._run(self._place_order_op(exchange, symbol, side, quantity, price, order_type, lot_size))

    async def buy(self, exchange: Exchange | str, symbol: str, quantity: int, price: Decimal | str | int,
                  **kw: Any) -> OrderAck:
        """`place_order(..., side=Side.BUY)`."""
        return await self.place_order(exchange, symbol, Side.BUY, quantity, price, **kw)

    async def sell(self, exchange: Exchange | str, symbol: str, quantity: int, price: Decimal | str | int,
                   **kw: Any) -> OrderAck:
        """`place_order(..., side=Side.SELL)` (mock US sells go out as VTTT1001U)."""
        return await self.place_order(exchange, symbol, Side.SELL, quantity, price, **kw)

    async def revise_order(self, order_no: str, exchange: Exchange | str, symbol: str, price: Decimal | str | int,
                           quantity: int = 0) -> OrderAck:
        """Revise an order's price (정정). `quantity` 0 moves all that is open to the new price; a smaller
        number moves that many. Cancel-only markets (Shanghai, Shenzhen, Vietnam) are refused
        before sending. Returns the new order (a new order number); lost responses are reconciled."""
        return await self._run(self._revise_cancel_op(True, order_no, exchange, symbol, quantity, price))

    async def cancel_order(self, order_no: str, exchange: Exchange | str, symbol: str,
                           quantity: int = 0) -> OrderAck:
        """Cancel an order (취소): all that is open (`quantity` 0) or part of it. Returns the cancel's
        own order number; lost responses are reconciled, never resent."""
        return await self._run(self._revise_cancel_op(False, order_no, exchange, symbol, quantity, None))

    async def open_orders(self, exchange: Exchange | str | Iterable[Exchange | str] | None = None) -> list[Order]:
        """Unfilled orders (inquire-nccs), every page. `exchange` None: every market (NASD = all US
        venues). On a mock app without inquire-nccs, derived from the history's open quantities."""
        return await self._run(self._open_orders_op(self._markets(exchange, self.env)))

    async def order_history(self, start: date | None = None, end: date | None = None, *, symbol: str | None = None,
                            exchange: Exchange | str | None = None, side: Side | str | None = None,
                            filled: bool | None = None, newest_first: bool = False) -> list[Order]:
        """Orders, revisions and cancels with their fills (inquire-ccnl), every page.

        Dates are exchange-local order dates (default: the last 7 days to today, KST). Filters the
        mock ignores on the wire are applied to the rows, so both environments answer alike.
        """
        today = self.now().astimezone(KST).date()
        q = self._history_query(start, end, symbol, exchange, side, filled, newest_first, today)
        return await self._run(self._history_op(q))

    async def balance(self, exchange: Exchange | str = Exchange.NASD, currency: str | None = None) -> Balance:
        """Holdings and totals on an exchange (inquire-balance; NASD = all US venues), every page."""
        return await self._run(self._balance_op(exchange, currency))

    async def buying_power(self, exchange: Exchange | str, symbol: str,
                           price: Decimal | str | int | None = None) -> BuyingPower:
        """How much cash and how many shares the account can buy at `price` (inquire-psamount;
        None: at the last price)."""
        return await self._run(self._buying_power_op(exchange, symbol, price))

    async def quote(self, exchange: Exchange | str, symbol: str) -> Quote:
        """The current price (HHDFS00000300)."""
        return await self._run(self._quote_op(exchange, symbol))

    # --- reservations (예약주문) ---------------------------------------------------------------------
    async def reserve(self, exchange: Exchange | str, symbol: str, side: Side | str, quantity: int,
                      price: Decimal | str | int, *, order_type: OrderType | str = OrderType.LIMIT
                      ) -> ReservationAck:
        """Reserve an order for the market's next open (order-resv): US buy/sell or an Asian market.
        Accepted only in KIS's reception window; no cash or holdings check until it is sent."""
        return await self._run(self._reserve_op(exchange, symbol, side, quantity, price, order_type))

    async def cancel_reservation(self, number: str, receipt_date: date | str, exchange: Exchange | str = Exchange.NASD,
                                 symbol: str = "") -> ReservationAck:
        """Cancel a waiting reservation: US through order-resv-ccnl, Asia through order-resv (give `symbol`)."""
        return await self._run(self._cancel_reservation_op(number, receipt_date, exchange, symbol))

    async def reservations(self, start: date | None = None, end: date | None = None, *,
                           asia: bool = False) -> list[Reservation]:
        """Reservations received between the dates (KST; default today), US or Asia (order-resv-list)."""
        today = self.now().astimezone(KST).date()
        return await self._run(self._reservations_op(start or today, end or today, asia))

    # --- US daytime (주간거래) -----------------------------------------------------------------------
    async def daytime_buy(self, exchange: Exchange | str, symbol: str, quantity: int,
                          price: Decimal | str | int) -> OrderAck:
        """A limit buy in the US daytime session (daytime-order, TTTS6036U; real apps)."""
        return await self._run(self._daytime_order_op(exchange, symbol, Side.BUY, quantity, price))

    async def daytime_sell(self, exchange: Exchange | str, symbol: str, quantity: int,
                           price: Decimal | str | int) -> OrderAck:
        """A limit sell in the US daytime session (daytime-order, TTTS6037U; real apps)."""
        return await self._run(self._daytime_order_op(exchange, symbol, Side.SELL, quantity, price))

    async def daytime_revise(self, order_no: str, exchange: Exchange | str, symbol: str, price: Decimal | str | int,
                             quantity: int = 0) -> OrderAck:
        """Revise a daytime order's price (daytime-order-rvsecncl, TTTS6038U)."""
        return await self._run(self._daytime_revise_cancel_op(True, order_no, exchange, symbol, quantity, price))

    async def daytime_cancel(self, order_no: str, exchange: Exchange | str, symbol: str,
                             quantity: int = 0) -> OrderAck:
        """Cancel a daytime order (daytime-order-rvsecncl, TTTS6038U)."""
        return await self._run(self._daytime_revise_cancel_op(False, order_no, exchange, symbol, quantity, None))

    # --- history and P/L ---------------------------------------------------------------------------
    async def profit(self, start: date, end: date, exchange: Exchange | str | None = None) -> list[ProfitRow]:
        """Realised P/L per instrument and day (inquire-period-profit), every page."""
        return await self._run(self._profit_op(start, end, exchange))

    async def transactions(self, start: date, end: date, exchange: Exchange | str | None = None
                           ) -> list[Transaction]:
        """Fills with settlement dates and commissions (inquire-period-trans), every page."""
        return await self._run(self._transactions_op(start, end, exchange))

    # --- market data --------------------------------------------------------------------------------
    async def price_detail(self, exchange: Exchange | str, symbol: str) -> PriceDetail:
        """현재가상세 (HHDFS76200200): OHLC, volume, previous close, 52-week range, tick and lot."""
        return await self._run(self._price_detail_op(exchange, symbol))

    async def daily_bars(self, exchange: Exchange | str, symbol: str, start: date | None = None,
                         end: date | None = None, *, period: str = "day") -> list[Bar]:
        """Daily (or "week"/"month") bars from `start` to `end` (None: as far as one page goes; today),
        oldest first; dailyprice's pages are followed."""
        return await self._run(self._daily_bars_op(exchange, symbol, start, end, period))

    async def minute_bars(self, exchange: Exchange | str, symbol: str, count: int = 120, *,
                          minutes: int = 1) -> list[Bar]:
        """The latest `count` bars of `minutes` minutes, oldest first; the minute chart's pages are followed."""
        return await self._run(self._minute_bars_op(exchange, symbol, count, minutes))

    async def order_book(self, exchange: Exchange | str, symbol: str) -> OrderBook:
        """호가 (HHDFS76200100): bids and asks, best first."""
        return await self._run(self._order_book_op(exchange, symbol))

    async def product_info(self, exchange: Exchange | str, symbol: str) -> ProductInfo | None:
        """상품기본정보 (CTPF1702R); None when KIS has no such product on that exchange."""
        try:
            return await self._run(self._product_info_op(exchange, symbol))
        except KisError as exc:
            if exc.rt_cd == "7":
                return None
            raise

    async def holidays(self, trade_date: date) -> list[SettlementDate]:
        """The markets open on `trade_date` and their settlement dates (countries-holiday, CTOS5011R);
        empty on a day no market trades."""
        return await self._run(self._holidays_op(trade_date))

