"""Client tests: `KisClient`/`AsyncKisClient` against real `localkis serve` processes over HTTP.

Servers (session-scoped, SQLite):
- `main`: no per-second limits, token issue limit ON (a client that issued twice a minute would fail),
  market hours ignored. Every test takes its own app and account from a pool.
- `limited`: KIS's per-second limits ON (20/s real, 2/s mock) and the token issue limit.
- `clocked`: market hours enforced, for tests that move the server clock (token expiry, closed market).

Clients get a private token-cache directory per test; on `main` they do not pace (rate 0).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from localkis.client import AsyncKisClient, ClientConfig, KisClient
from localkis.client.transport import Sent
from localkis.protocol.env import Env
from tests.serverproc import RunningServer, make_appkey, make_appsecret, running_server


@dataclass(frozen=True)
class Inst:
    exchange: str
    symbol: str
    name: str
    price: str  # reference price
    below: str  # an on-tick buy price below it (rests unfilled)
    above: str  # an on-tick sell price above it
    lot: int
    lot_size: int | None = None


INSTRUMENTS: dict[str, Inst] = {i.symbol: i for i in (
    Inst("NASD", "AAPL", "애플", "190.00", "150.00", "250.00", 1),
    Inst("NASD", "TSLA", "테슬라", "300.00", "250.00", "350.00", 1),
    Inst("NYSE", "IBM", "IBM", "250.00", "200.00", "300.00", 1),
    Inst("SEHK", "00700", "텐센트", "480.00", "400.00", "500.00", 100, 100),
    Inst("SEHK", "00005", "HSBC", "80.00", "70.00", "90.00", 400, 400),
    Inst("TKSE", "7203", "도요타", "2500", "2000", "3000", 100),
    Inst("SHAA", "600519", "귀주모태주", "1500.00", "1400.00", "1600.00", 100),
    Inst("SZAA", "000001", "평안은행", "11.50", "10.00", "13.00", 100),
    Inst("VNSE", "VNM", "비나밀크", "60000", "50000", "70000", 100),
    Inst("HASE", "SHB", "사이공하노이은행", "10000", "9000", "11000", 100),
)}
AAPL = INSTRUMENTS["AAPL"]


@dataclass(frozen=True)
class Wire:
    """A request as it left the client."""

    method: str
    path: str
    tr_id: str
    tr_cont: str
    params: dict[str, str]
    body: Any

    @classmethod
    def of(cls, sent: Sent) -> Wire:
        return cls(sent.method, sent.path, sent.tr_id, sent.headers.get("tr_cont", ""), dict(sent.params or {}),
                   json.loads(sent.body) if sent.body else None)


@dataclass(frozen=True)
class AppCreds:
    appkey: str
    appsecret: str
    env: Env
    account: str


def _s(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def build_config(*, admin_token: str, apps: list[AppCreds], server: dict[str, Any],
                 poor: set[str] | None = None) -> str:
    poor = poor or set()
    lines = ["[server]"]
    for key, value in {"admin_token": admin_token, **server}.items():
        lines.append(f"{key} = {str(value).lower() if isinstance(value, bool) else _s(str(value))}")
    lines.append("")
    for app in apps:
        lines += ["[[apps]]", f"appkey = {_s(app.appkey)}", f"appsecret = {_s(app.appsecret)}",
                  f"env = {_s(app.env.value)}", f"accounts = [{_s(app.account)}]", ""]
    for app in apps:
        if app.account in poor:
            lines += ["[[accounts]]", f"number = {_s(app.account)}", 'cash = { USD = "100.00" }', ""]
            continue
        lines += ["[[accounts]]", f"number = {_s(app.account)}",
                  'cash = { USD = "100000000.00", HKD = "1000000000", JPY = "10000000000", CNY = "100000000", '
                  'VND = "1000000000000" }',
                  "positions = [" + ", ".join(
                      f'{{ exchange = {_s(i.exchange)}, symbol = {_s(i.symbol)}, quantity = 100000, '
                      f'avg_price = {_s(i.price)} }}' for i in INSTRUMENTS.values()) + "]", ""]
    for inst in INSTRUMENTS.values():
        lines += ["[[instruments]]", f"exchange = {_s(inst.exchange)}", f"symbol = {_s(inst.symbol)}",
                  f"name = {_s(inst.name)}", f"price = {_s(inst.price)}"]
        if inst.lot_size:
            lines.append(f"lot_size = {inst.lot_size}")
        if inst.symbol == "AAPL":
            lines.append("daytime = true")  # for the US daytime methods
        lines.append("")
    return "\n".join(lines)


class Admin:
    def __init__(self, server: RunningServer) -> None:
        self.http = server.client(headers={"Authorization": f"Bearer {server.admin_token}"})

    def orders(self) -> list[dict[str, Any]]:
        resp = self.http.get("/localkis/admin/orders")
        assert resp.status_code == 200, resp.text
        rows: list[dict[str, Any]] = resp.json()["orders"]
        return rows

    def orders_of(self, account: str) -> list[dict[str, Any]]:
        return [o for o in self.orders() if o["account"] == account]

    def clock(self, **body: Any) -> str:
        resp = self.http.post("/localkis/admin/clock", json=body)
        assert resp.status_code == 200, resp.text
        return str(resp.json()["now"])


@dataclass
class World:
    server: RunningServer
    admin: Admin
    pool: dict[Env, list[AppCreds]]
    tmp: Path
    poor: list[AppCreds] = field(default_factory=list)
    _next: dict[Env, int] = field(default_factory=lambda: {Env.REAL: 0, Env.MOCK: 0})
    _opened: list[Any] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def app(self, env: Env = Env.REAL) -> AppCreds:
        i = self._next[env]
        assert i < len(self.pool[env]), f"{env} app pool exhausted; raise its size in tests/client/conftest.py"
        self._next[env] = i + 1
        return self.pool[env][i]

    def token_dir(self) -> Path:
        return self.tmp / f"tokens-{secrets.token_hex(4)}"

    def options(self, app: AppCreds, base_url: str | None, opts: dict[str, Any]) -> dict[str, Any]:
        merged: dict[str, Any] = {"token_cache_dir": self.token_dir(), "rate_per_second": 0, "timeout": 10.0}
        merged.update(opts)
        return {"base_url": base_url or self.base_url, "appkey": app.appkey, "appsecret": app.appsecret,
                "account": app.account, "env": app.env, **merged}

    def client(self, env: Env = Env.REAL, *, app: AppCreds | None = None, base_url: str | None = None,
               wire: list[Wire] | None = None, **opts: Any) -> KisClient:
        """A sync client for a fresh app; `wire` collects every request it sends."""
        app = app or self.app(env)
        hook = (lambda sent: wire.append(Wire.of(sent))) if wire is not None else None
        kis = KisClient(ClientConfig(**self.options(app, base_url, opts)), on_request=hook)
        self._opened.append(kis)
        return kis

    def aclient(self, env: Env = Env.REAL, *, app: AppCreds | None = None, base_url: str | None = None,
                wire: list[Wire] | None = None, **opts: Any) -> AsyncKisClient:
        app = app or self.app(env)
        hook = (lambda sent: wire.append(Wire.of(sent))) if wire is not None else None
        return AsyncKisClient(ClientConfig(**self.options(app, base_url, opts)), on_request=hook)

    def raw(self, kis: KisClient, method: str, path: str, tr_id: str, *, params: dict[str, str] | None = None,
            body: dict[str, str] | None = None) -> httpx.Response:
        """The same request sent by hand (no client-side checks), for parity tests."""
        headers = {"content-type": "application/json; charset=utf-8", "authorization": f"Bearer {kis.access_token()}",
                   "appkey": kis.config.appkey, "appsecret": kis.config.appsecret, "tr_id": tr_id, "custtype": "P"}
        with httpx.Client(base_url=self.base_url, timeout=10) as http:
            return http.request(method, path, params=params, headers=headers,
                                content=json.dumps(body).encode() if body is not None else None)

    def close(self) -> None:
        for kis in self._opened:
            kis.close()
        self.admin.http.close()


def _world(tmp_path_factory: pytest.TempPathFactory, name: str, server: dict[str, Any], *, real: int, mock: int,
           prefix: str, poor: int = 0) -> Iterator[World]:
    admin_token = secrets.token_urlsafe(24)
    pool = {
        Env.REAL: [AppCreds(make_appkey(), make_appsecret(), Env.REAL, f"{prefix}1{i:06d}-01") for i in range(real)],
        Env.MOCK: [AppCreds(make_appkey(), make_appsecret(), Env.MOCK, f"{prefix}5{i:06d}-01") for i in range(mock)],
    }
    poor_apps = [AppCreds(make_appkey(), make_appsecret(), env, f"{prefix}9{i:06d}-01")
                 for i, env in enumerate([Env.REAL, Env.MOCK] * poor)]
    apps = [*pool[Env.REAL], *pool[Env.MOCK], *poor_apps]
    settings = {"market_hours": "ignore", "rate_limits": False, "token_issue_limit": True, **server}
    config = build_config(admin_token=admin_token, apps=apps, server=settings, poor={a.account for a in poor_apps})
    workdir = tmp_path_factory.mktemp(name)
    with running_server(config, workdir, admin_token=admin_token) as srv:
        world = World(srv, Admin(srv), pool, workdir, poor_apps)
        try:
            yield world
        finally:
            world.close()
        log = srv.log()
        assert "Traceback" not in log, log[-4000:]


@pytest.fixture(scope="session")
def main(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from _world(tmp_path_factory, "client-main", {}, real=80, mock=30, prefix="3", poor=1)


@pytest.fixture(scope="session")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from _world(tmp_path_factory, "client-limited", {"rate_limits": True}, real=8, mock=8, prefix="4")


@pytest.fixture(scope="session")
def clocked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from _world(tmp_path_factory, "client-clock", {"market_hours": "enforce"}, real=12, mock=6, prefix="6")


@pytest.fixture(scope="session")
def reissuing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """`clocked` without the server's token issue limit: for tests of the client's own one-a-minute
    pacing on a shifted client clock. The server's limit follows real elapsed time (a moved server clock
    does not open it), so a re-issue seconds after the first would be refused there."""
    yield from _world(tmp_path_factory, "client-reissue", {"market_hours": "enforce", "token_issue_limit": False},
                      real=8, mock=2, prefix="8")
