"""`AsyncKisClient`: the asyncio client, one httpx connection pool (`transport.AsyncTransport`).

Same methods, arguments, results, errors and policies as `KisClient` (the operations are the same
generator plans); every method is a coroutine. The rate limiter and the token cache are shared
with any sync client of the same app in the process.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

import orjson

from localkis.client.config import ClientConfig
from localkis.client.core import (
    Attempt,
    ClientCore,
    NetworkError,
    Op,
    ResponseLost,
    Sleep,
    Verdict,
    judge_answer,
    judge_transport,
)
from localkis.client.errors import KisError
from localkis.client.models import KST, Balance, BuyingPower, Order, OrderAck, OrderType, Quote
from localkis.client.tokens import TOKEN_PATH
from localkis.client.transport import TRANSPORT_ERRORS, AsyncTransport, OnRequest
from localkis.protocol.exchanges import Exchange
from localkis.protocol.trids import Side

T = TypeVar("T")


class AsyncKisClient(ClientCore):
    """The asyncio twin of `KisClient`: `await client.place_order(...)`, `async with AsyncKisClient(...)`.

    Calls from many tasks share one connection pool and the app's token bucket; run as many
    concurrently as you like, the bucket keeps the app under KIS's per-second limit.
    """

    def __init__(self, config: ClientConfig | None = None, *, on_request: OnRequest | None = None,
                 clock: Callable[[], datetime] | None = None, **options: Any) -> None:
        super().__init__(config, clock=clock, **options)
        self._http = AsyncTransport(self.config.base_url, self.config.timeout, on_request)

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
                self.bucket.penalize(decision.delay)
            elif verdict is Verdict.REISSUE:
                self.stats.add("token_reissues")
                self.tokens.forget(token)
                rejected = token
            elif verdict is Verdict.LOST:
                raise ResponseLost(sent_at, decision.cause)
            else:
                assert decision.error is not None
                raise decision.error

    @asynccontextmanager
    async def _token_lock(self) -> AsyncIterator[None]:
        # The lock is shared with threads and other processes (flock): poll it without blocking the loop.
        while not self.tokens.lock.try_acquire():
            await asyncio.sleep(0.005)
        try:
            yield
        finally:
            self.tokens.lock.release()

    async def _token(self, rejected: str | None = None) -> str:
        margin = self.config.token_refresh_margin
        if rejected is None:
            tok = self.tokens.usable(self.now(), margin)
            if tok:
                return tok
        async with self._token_lock():
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

    # --- public API (see KisClient for the full descriptions) ---------------------------------------
    async def access_token(self) -> str:
        """The access token, issued now if the cache has none usable (at most one request a minute)."""
        return await self._token()

    async def place_order(self, exchange: Exchange | str, symbol: str, side: Side | str, quantity: int,
                          price: Decimal | str | int, *, order_type: OrderType | str = OrderType.LIMIT,
                          lot_size: int | None = None) -> OrderAck:
        """Place an order; validated before sending; a lost response is reconciled, never resent
        (see `KisClient.place_order`)."""
        return await self._run(self._place_order_op(exchange, symbol, side, quantity, price, order_type, lot_size))

    async def buy(self, exchange: Exchange | str, symbol: str, quantity: int, price: Decimal | str | int,
                  **kw: Any) -> OrderAck:
        """`place_order(..., side=Side.BUY)`."""
        return await self.place_order(exchange, symbol, Side.BUY, quantity, price, **kw)

    async def sell(self, exchange: Exchange | str, symbol: str, quantity: int, price: Decimal | str | int,
                   **kw: Any) -> OrderAck:
        """`place_order(..., side=Side.SELL)`."""
        return await self.place_order(exchange, symbol, Side.SELL, quantity, price, **kw)

    async def revise_order(self, order_no: str, exchange: Exchange | str, symbol: str, price: Decimal | str | int,
                           quantity: int = 0) -> OrderAck:
        """Revise an order's price; `quantity` 0 = all that is open (see `KisClient.revise_order`)."""
        return await self._run(self._revise_cancel_op(True, order_no, exchange, symbol, quantity, price))

    async def cancel_order(self, order_no: str, exchange: Exchange | str, symbol: str,
                           quantity: int = 0) -> OrderAck:
        """Cancel all (`quantity` 0) or part of an order (see `KisClient.cancel_order`)."""
        return await self._run(self._revise_cancel_op(False, order_no, exchange, symbol, quantity, None))

    async def open_orders(self, exchange: Exchange | str | Iterable[Exchange | str] | None = None) -> list[Order]:
        """Unfilled orders, every page (see `KisClient.open_orders`)."""
        return await self._run(self._open_orders_op(self._markets(exchange, self.env)))

    async def order_history(self, start: date | None = None, end: date | None = None, *, symbol: str | None = None,
                            exchange: Exchange | str | None = None, side: Side | str | None = None,
                            filled: bool | None = None, newest_first: bool = False) -> list[Order]:
        """Order history, every page (see `KisClient.order_history`)."""
        today = self.now().astimezone(KST).date()
        q = self._history_query(start, end, symbol, exchange, side, filled, newest_first, self.env, today)
        return await self._run(self._history_op(q))

    async def balance(self, exchange: Exchange | str = Exchange.NASD, currency: str | None = None) -> Balance:
        """Holdings and totals on an exchange, every page (see `KisClient.balance`)."""
        return await self._run(self._balance_op(exchange, currency))

    async def buying_power(self, exchange: Exchange | str, symbol: str,
                           price: Decimal | str | int | None = None) -> BuyingPower:
        """Buying power at a price (see `KisClient.buying_power`)."""
        return await self._run(self._buying_power_op(exchange, symbol, price))

    async def quote(self, exchange: Exchange | str, symbol: str) -> Quote:
        """The current price (HHDFS00000300)."""
        return await self._run(self._quote_op(exchange, symbol))
