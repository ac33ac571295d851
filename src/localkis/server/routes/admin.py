"""localkis's own routes under /localkis/: health, and with the admin token the simulator's controls —
test fills, trade prints, accounts, deposits, positions, the order list and the server clock."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from localkis.domain.accounts import Position
from localkis.domain.errors import BusinessError
from localkis.domain.orders import FillError
from localkis.engine.desk import Desk
from localkis.protocol.exchanges import parse_exchange
from localkis.protocol.fields import CURRENCIES
from localkis.server.clock import Clock
from localkis.server.responses import kis_response
from localkis.store.base import Store, read
from localkis.wire.errors import WireError
from localkis.wire.requests import parse_decimal, parse_json_object
from localkis.wire.responses import kst


class AdminError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


AdminHandler = Callable[[Request], Awaitable[dict[str, object]]]


class AdminRoutes:
    def __init__(self, desk: Desk, store: Store, clock: Clock, admin_token: str, accounts: tuple[str, ...]) -> None:
        self.desk = desk
        self.store = store
        self.clock = clock
        self.admin_token = admin_token
        self.accounts = accounts

    def guarded(self, handler: AdminHandler) -> Callable[[Request], Awaitable[Response]]:
        """A route that needs `Authorization: Bearer <admin_token>`; an AdminError is its JSON answer."""

        async def route(request: Request) -> Response:
            try:
                given = request.headers.get("authorization", "")
                if not secrets.compare_digest(given.encode(), f"Bearer {self.admin_token}".encode()):
                    raise AdminError(401, "admin bearer token required")
                return kis_response(await handler(request))
            except AdminError as exc:
                return kis_response({"error": exc.message}, exc.status)

        return route

    async def health(self, request: Request) -> Response:
        return kis_response({"status": "ok", "now": kst(self.clock.now()).isoformat()})

    async def fill(self, request: Request) -> dict[str, object]:
        """`{"odno": "0000000123", "quantity": 2, "price": "100.00"}`: a test fill."""
        body = await _body(request)
        odno, qty = body.get("odno"), body.get("quantity")
        if not isinstance(odno, str) or not odno.isdigit() or len(odno) > 10:
            raise AdminError(400, "odno must be a string of up to 10 digits")
        if isinstance(qty, bool) or not isinstance(qty, int) or qty <= 0:
            raise AdminError(400, "quantity must be a positive integer")
        price = _positive_decimal(body.get("price"), "price")
        try:
            order = await self.desk.commit(self.desk.fill(odno, qty, price, self.clock.now()))
        except LookupError:
            raise AdminError(404, f"no order {odno}") from None
        except BusinessError:
            raise AdminError(409, f"order {odno} has nothing open") from None
        except FillError as exc:
            raise AdminError(409, str(exc)) from None
        return {"odno": order.order_no, "filled": order.filled, "open": order.open_quantity,
                "state": order.state.value, "average_price": str(order.average_fill_price)}

    async def prices(self, request: Request) -> dict[str, object]:
        """`{"exchange": "NASD", "symbol": "AAPL", "price": "190.12", "size": 100}` (size optional): a print."""
        body = await _body(request)
        exchange = parse_exchange(str(body.get("exchange", "")))
        symbol = body.get("symbol")
        if exchange is None or not isinstance(symbol, str):
            raise AdminError(400, "exchange (NASD, NYSE, AMEX, SEHK, SHAA, SZAA, TKSE, HASE, VNSE) and symbol "
                                  "are required")
        price = _positive_decimal(body.get("price"), "price")
        size = body.get("size")
        if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size <= 0):
            raise AdminError(400, "size must be a positive integer (or absent: unlimited)")
        try:
            fills = await self.desk.commit(self.desk.trade(exchange, symbol, price, size, self.clock.now()))
        except BusinessError:
            raise AdminError(404, f"unknown instrument {exchange.value} {symbol}") from None
        return {"exchange": exchange.value, "symbol": symbol, "price": str(price), "size": size,
                "fills": [{"odno": f.order_no, "quantity": f.quantity, "price": str(f.price)} for f in fills]}

    async def account_list(self, request: Request) -> dict[str, object]:
        return {"accounts": [await self._account(n) for n in self.accounts]}

    async def account(self, request: Request) -> dict[str, object]:
        return await self._account(self._known_account(request))

    async def _account(self, number: str) -> dict[str, object]:
        snap = await read(self.store, self.desk.snapshot, number)
        return {
            "number": snap.number,
            "cash": {c: str(f.cash) for c, f in snap.funds.items()},
            "reserved": {c: str(f.reserved) for c, f in snap.funds.items()},
            "available": {c: str(f.available) for c, f in snap.funds.items()},
            "positions": [{"exchange": e.value, "symbol": s, "quantity": h.position.quantity,
                           "avg_price": str(h.position.average_price), "sellable": h.sellable}
                          for e, s, h in snap.holdings],
            "ledger": [{"currency": c, "kind": k, "amount": str(v)} for (c, k), v in sorted(snap.ledger.items())],
        }

    async def deposit(self, request: Request) -> dict[str, object]:
        """`{"currency": "USD", "amount": "1000.00"}` adds cash to an account."""
        number = self._known_account(request)
        body = await _body(request)
        currency = body.get("currency")
        if currency not in CURRENCIES:
            raise AdminError(400, "currency must be one of " + ", ".join(CURRENCIES))
        amount = _positive_decimal(body.get("amount"), "amount")
        balance = await self.store.run(self.desk.deposit(number, str(currency), amount, self.clock.now()))
        return {"number": number, "currency": currency, "cash": str(balance)}

    async def position(self, request: Request) -> dict[str, object]:
        """`{"exchange": "NASD", "symbol": "AAPL", "quantity": 10, "avg_price": "150.00"}` sets a holding."""
        number = self._known_account(request)
        body = await _body(request)
        exchange = parse_exchange(str(body.get("exchange", "")))
        symbol, quantity = body.get("symbol"), body.get("quantity")
        if exchange is None or not isinstance(symbol, str) or not symbol:
            raise AdminError(400, "exchange and symbol are required")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
            raise AdminError(400, "quantity must be a non-negative integer")
        avg = Decimal(0) if body.get("avg_price") is None else _positive_decimal(body["avg_price"], "avg_price")
        await self.store.run(self.desk.set_position(number, exchange, symbol, Position(quantity, avg)))
        return {"number": number, "exchange": exchange.value, "symbol": symbol, "quantity": quantity,
                "avg_price": str(avg)}

    async def orders(self, request: Request) -> dict[str, object]:
        return {"orders": [{
            "odno": o.order_no, "orgn_odno": o.original_no, "kind": o.kind.value, "account": o.account,
            "exchange": o.exchange.value, "symbol": o.symbol, "side": o.side.value, "quantity": o.quantity,
            "price": str(o.price), "state": o.state.value, "filled": o.filled, "filled_amount": str(o.filled_amount),
            "cancelled": o.cancelled, "revised_away": o.revised_away, "order_type": o.order_type,
            "open": o.open_quantity, "manager_order_no": o.manager_order_no, "created_at": o.created_at.isoformat(),
        } for o in await read(self.store, lambda: list(self.store.all_orders()))]}

    async def clock_state(self, request: Request) -> dict[str, object]:
        """GET the server time; POST `{"time": "…", "frozen": false}` or `{"advance_seconds": 60}` moves it."""
        if request.method == "POST":
            try:
                body = parse_json_object(await request.body())
                if "time" in body:
                    self.clock.set(datetime.fromisoformat(str(body["time"])), frozen=bool(body.get("frozen", False)))
                if "advance_seconds" in body:
                    self.clock.advance(timedelta(seconds=float(body["advance_seconds"])))
            except (WireError, ValueError, TypeError) as exc:
                raise AdminError(400, f"bad clock request: {exc}") from None
        return {"now": kst(self.clock.now()).isoformat()}

    def _known_account(self, request: Request) -> str:
        number = str(request.path_params["number"])
        if number not in self.accounts:
            raise AdminError(404, f"no account {number}")
        return number


async def _body(request: Request) -> dict[str, Any]:
    try:
        return parse_json_object(await request.body())
    except WireError:
        raise AdminError(400, "body must be a JSON object") from None


def _positive_decimal(value: object, name: str) -> Decimal:
    text = str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""
    parsed = parse_decimal(text)
    if parsed is None or parsed <= 0:
        raise AdminError(400, f"{name} must be a positive decimal string")
    return parsed
