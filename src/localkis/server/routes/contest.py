"""Apps and accounts at run time, for a contest organiser (issue 17): add, list and disable apps, open
accounts with cash and positions — through the admin API, kept in the store (they survive a restart),
not only in the config file."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request

from localkis.domain.accounts import Position
from localkis.domain.errors import BusinessError
from localkis.domain.markets import check_price
from localkis.engine.desk import Desk
from localkis.protocol.env import Env
from localkis.protocol.exchanges import parse_exchange
from localkis.protocol.fields import CURRENCIES
from localkis.server.auth import App, Apps
from localkis.server.clock import Clock
from localkis.server.config import InstrumentSection, new_appkey, new_appsecret
from localkis.server.routes.admin import AdminError, _body, _positive_decimal
from localkis.store.base import Store, StoredApp, Transaction

ACCOUNT_NUMBER = re.compile(r"^\d{8}-\d{2}$")


def _app_view(app: App, *, disabled: bool = False, secret: bool = False) -> dict[str, object]:
    view: dict[str, object] = {"appkey": app.appkey, "name": app.name, "env": app.env.value,
                               "accounts": sorted(app.accounts), "disabled": disabled}
    if secret:  # only in the answer that created it: the organiser hands it to the team
        view["appsecret"] = app.appsecret
    return view


INSTRUMENTS_SETTING = "instruments"  # the instruments added at run time, as a JSON list


def load_stored_instruments(desk: Desk, store: Store) -> None:
    """Add the instruments added at run time to the desk's (start-up)."""
    with store.read() as tx:
        text = tx.setting(INSTRUMENTS_SETTING)
    for raw in json.loads(text) if text else []:
        instrument = InstrumentSection.model_validate(raw).to_instrument()
        desk.instruments[(instrument.exchange, instrument.symbol)] = instrument


def load_stored_apps(apps: Apps, store: Store) -> None:
    """Apply the apps added or disabled at run time (start-up)."""
    with store.read() as tx:
        stored = tx.stored_apps()
    for s in stored:
        if s.disabled:
            apps.remove(s.appkey)
        else:
            apps.add(App(s.appkey, s.appsecret, Env(s.env), frozenset(s.accounts), s.name))


class ContestRoutes:
    def __init__(self, apps: Apps, desk: Desk, store: Store, clock: Clock) -> None:
        self.apps = apps
        self.desk = desk
        self.store = store
        self.clock = clock

    async def app_list(self, request: Request) -> dict[str, object]:
        def stored(tx: Transaction) -> list[StoredApp]:
            return tx.stored_apps()

        disabled = [s for s in await self.store.run(stored) if s.disabled]
        return {"apps": [_app_view(a) for a in self.apps]
                + [_app_view(App(s.appkey, "", Env(s.env), frozenset(s.accounts), s.name), disabled=True)
                   for s in disabled]}

    async def app_add(self, request: Request) -> dict[str, object]:
        """`{"name": "team-3", "env": "real", "accounts": ["12345678-01"]}` (appkey/appsecret optional: made
        as KIS issues them). Accounts named here that do not exist yet are opened with no cash."""
        body = await _body(request)
        name, env = body.get("name", ""), body.get("env", "real")
        accounts = body.get("accounts", [])
        if not isinstance(name, str) or env not in ("real", "mock"):
            raise AdminError(400, "name must be a string and env \"real\" or \"mock\"")
        if not isinstance(accounts, list) or not all(isinstance(a, str) and ACCOUNT_NUMBER.match(a)
                                                        for a in accounts):
            raise AdminError(400, "accounts must be a list of account numbers like 12345678-01")
        appkey = str(body.get("appkey") or new_appkey())
        appsecret = str(body.get("appsecret") or new_appsecret())
        if len(appkey) != 36 or len(appsecret) != 180:
            raise AdminError(400, "appkey must have 36 characters and appsecret 180 (as KIS issues them)")
        if self.apps.get(appkey) is not None:
            raise AdminError(409, f"an app with appkey {appkey} exists")
        app = App(appkey, appsecret, Env(env), frozenset(accounts), name)
        now = self.clock.now()

        def work(tx: Transaction) -> None:
            tx.save_app(StoredApp(appkey, appsecret, env, name, tuple(sorted(accounts))))
            for number in accounts:
                tx.ensure_account(number, {}, [], now)

        await self.store.run(work)
        self.apps.add(app)
        return _app_view(app, secret=True)

    async def app_disable(self, request: Request) -> dict[str, object]:
        """Disable an app: its requests fail as an unknown appkey (EGW00103) from now on."""
        appkey = str(request.path_params["appkey"])
        app = self.apps.get(appkey)
        if app is None:
            raise AdminError(404, f"no enabled app {appkey}")
        await self.store.run(lambda tx: tx.save_app(StoredApp(appkey, app.appsecret, app.env.value, app.name,
                                                              tuple(sorted(app.accounts)), disabled=True)))
        self.apps.remove(appkey)
        return _app_view(app, disabled=True)

    async def instrument_add(self, request: Request) -> dict[str, object]:
        """`{"exchange": "NASD", "symbol": "PLTR", "name": "팔란티어", "price": "25.00"}` (lot_size,
        english_name, topix500 optional, as in `[[instruments]]`): a new instrument, kept in the store."""
        body = await _body(request)
        try:
            section = InstrumentSection.model_validate(body)
        except ValidationError as exc:
            raise AdminError(400, "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())) \
                from None
        instrument = section.to_instrument()
        key = (instrument.exchange, instrument.symbol)
        if key in self.desk.instruments:
            raise AdminError(409, f"{instrument.exchange.value} {instrument.symbol} is already traded")
        try:
            check_price(instrument.exchange, instrument.price, topix500=instrument.topix500)
        except BusinessError as exc:
            raise AdminError(400, f"price {instrument.price} is off the tick grid ({exc.detail})") from None
        entry = section.model_dump(mode="json")

        def work(tx: Transaction) -> None:
            text = tx.setting(INSTRUMENTS_SETTING)
            tx.set_setting(INSTRUMENTS_SETTING, json.dumps([*(json.loads(text) if text else []), entry],
                                                           ensure_ascii=False))

        await self.store.run(work)
        self.desk.instruments[key] = instrument
        return entry

    async def account_open(self, request: Request) -> dict[str, object]:
        """`{"number": "12345678-01", "cash": {"USD": "10000"}, "positions": [{"exchange": "NASD",
        "symbol": "AAPL", "quantity": 10, "avg_price": "150"}]}`: a new account (409 if it exists)."""
        body = await _body(request)
        number = body.get("number")
        if not isinstance(number, str) or not ACCOUNT_NUMBER.match(number):
            raise AdminError(400, "number must be an account number like 12345678-01")
        cash_in, positions_in = body.get("cash", {}), body.get("positions", [])
        if not isinstance(cash_in, dict) or not isinstance(positions_in, list):
            raise AdminError(400, "cash must be an object and positions a list")
        cash: dict[str, Decimal] = {}
        for currency, amount in cash_in.items():
            if currency not in CURRENCIES:
                raise AdminError(400, "currency must be one of " + ", ".join(CURRENCIES))
            cash[currency] = _positive_decimal(amount, f"cash {currency}")
        positions = [_position(p) for p in positions_in]
        if not await self.store.run(self.desk.open_account(number, cash, positions, self.clock.now())):
            raise AdminError(409, f"account {number} exists")
        return {"number": number, "cash": {c: str(a) for c, a in cash.items()},
                "positions": [{"exchange": e.value, "symbol": s, "quantity": p.quantity,
                               "avg_price": str(p.average_price)} for e, s, p in positions]}


def _position(raw: Any) -> tuple[Any, str, Position]:
    if not isinstance(raw, dict):
        raise AdminError(400, "each position is an object")
    exchange = parse_exchange(str(raw.get("exchange", "")))
    symbol, quantity = raw.get("symbol"), raw.get("quantity")
    if exchange is None or not isinstance(symbol, str) or not symbol:
        raise AdminError(400, "a position needs exchange and symbol")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
        raise AdminError(400, "a position's quantity must be a non-negative integer")
    avg = Decimal(0) if raw.get("avg_price") is None else _positive_decimal(raw["avg_price"], "avg_price")
    return exchange, symbol, Position(quantity, avg)
