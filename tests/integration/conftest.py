"""Integration tests: a real `localkis serve` process, spoken to over HTTP exactly like a KIS client would.

Servers are session-scoped (each costs ~2-4 s to start). Isolation comes from handing every test its
own app and account out of a pool configured up front (`World.real()` / `World.mock()`).

Helpers:
- `Kis` wraps httpx with the KIS headers and a token, and has `order/buy/sell/revise/cancel/nccs/ccnl/…`.
- `Admin` wraps localkis's admin API (fills, the order list, the clock).
- `expect_*` assert a KIS response exactly: HTTP status, rt_cd, msg_cd, msg1, output keys.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from localkis.protocol import codes
from localkis.protocol.apis import Api
from localkis.protocol.codes import BUSINESS, GATEWAY_TEXT, OPS_TEXT, Gateway, Message, Ops
from localkis.protocol.env import Env
from localkis.protocol.exchanges import EXCHANGES, Exchange
from localkis.protocol.orders import Side
from localkis.protocol.reasons import Reason
from localkis.protocol.trids import tr_for, tr_for_order, tr_for_revise_cancel
from tests.pg import fresh_database
from tests.serverproc import RunningServer, make_appkey, make_appsecret, running_server

ORDER_PATH = "/uapi/overseas-stock/v1/trading/order"
RVSECNCL_PATH = "/uapi/overseas-stock/v1/trading/order-rvsecncl"
NCCS_PATH = "/uapi/overseas-stock/v1/trading/inquire-nccs"
CCNL_PATH = "/uapi/overseas-stock/v1/trading/inquire-ccnl"
PRICE_PATH = "/uapi/overseas-price/v1/quotations/price"
SEARCH_INFO_PATH = "/uapi/domestic-stock/v1/quotations/search-info"

BRANCH = "01790"
ORDER_OUTPUT_KEYS = ["KRX_FWDG_ORD_ORGNO", "ODNO", "ORD_TMD"]
GATEWAY_KEYS = ["rt_cd", "msg1", "msg_cd"]  # KIS's gateway body key order (PROTOCOL §11.1)


# --------------------------------------------------------------------------------------------------
# instruments the servers are configured with (prices on each exchange's tick grid)


@dataclass(frozen=True)
class Inst:
    exchange: str
    symbol: str
    name: str
    price: str  # last price, on tick
    other: str  # another on-tick price (for revisions)
    off_tick: str  # a price off the tick grid
    lot: int  # board lot
    lot_size: int | None = None  # written to the config (SEHK)
    daytime: bool = False  # tradable in the US daytime session (written to the config)


INSTRUMENTS: dict[str, Inst] = {i.symbol: i for i in (
    Inst("NASD", "AAPL", "애플", "190.00", "189.50", "190.005", 1, daytime=True),
    Inst("NASD", "TSLA", "테슬라", "300.00", "299.99", "300.001", 1),
    Inst("NASD", "PENY", "페니주", "0.5000", "0.4999", "0.50005", 1),
    Inst("NYSE", "IBM", "IBM", "250.00", "249.00", "250.0001", 1),
    Inst("AMEX", "SPY", "SPDR S&P500", "600.00", "599.00", "600.009", 1),
    Inst("SEHK", "00700", "텐센트", "480.00", "479.80", "480.10", 100, 100),
    Inst("SEHK", "00005", "HSBC", "80.00", "79.95", "80.01", 400, 400),
    Inst("TKSE", "7203", "도요타", "2500", "2499", "2500.5", 100),
    Inst("TKSE", "9984", "소프트뱅크", "6000", "5990", "6005", 100),
    Inst("SHAA", "600519", "귀주모태주", "1500.00", "1499.00", "1500.005", 100),
    Inst("SZAA", "000001", "평안은행", "11.50", "11.49", "11.505", 100),
    Inst("HASE", "SHB", "사이공하노이은행", "10000", "9900", "10050", 100),
    Inst("VNSE", "VNM", "비나밀크", "60000", "59900", "60050", 100),
)}

# One instrument per market, for per-market scenarios.
BY_MARKET: dict[str, Inst] = {
    "US": INSTRUMENTS["AAPL"], "HK": INSTRUMENTS["00700"], "JP": INSTRUMENTS["7203"],
    "SH": INSTRUMENTS["600519"], "SZ": INSTRUMENTS["000001"], "VN": INSTRUMENTS["VNM"],
}


# --------------------------------------------------------------------------------------------------
# config


@dataclass(frozen=True)
class AppCreds:
    appkey: str
    appsecret: str
    env: Env
    accounts: tuple[str, ...]
    name: str = ""


def _s(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string literal is a valid TOML basic string


def build_config(*, admin_token: str, apps: list[AppCreds], server: dict[str, Any] | None = None) -> str:
    settings: dict[str, Any] = {
        "branch_code": BRANCH, "market_hours": "ignore", "rate_limits": False, "token_issue_limit": False,
        "admin_token": admin_token, "strict_mock": False, "accept_vttt1006u": False,
    }
    settings.update(server or {})
    lines = ["[server]"]
    for key, value in settings.items():
        lines.append(f"{key} = {str(value).lower() if isinstance(value, bool) else _s(str(value))}")
    lines.append("")
    for app in apps:
        lines += ["[[apps]]", f"name = {_s(app.name)}", f"appkey = {_s(app.appkey)}",
                  f"appsecret = {_s(app.appsecret)}", f"env = {_s(app.env.value)}",
                  "accounts = [" + ", ".join(_s(a) for a in app.accounts) + "]", ""]
    for number in sorted({n for app in apps for n in app.accounts}):
        lines += ["[[accounts]]", f"number = {_s(number)}",
                  'cash = { USD = "1000000.00", HKD = "5000000", JPY = "100000000", CNY = "1000000", '
                  'VND = "10000000000" }',
                  # Shares of every test instrument, so sells pass the sellable-quantity check.
                  "positions = [" + ", ".join(
                      f'{{ exchange = "{i.exchange}", symbol = "{i.symbol}", quantity = 100000, '
                      f'avg_price = "{i.price}" }}' for i in INSTRUMENTS.values()) + "]", ""]
    for inst in INSTRUMENTS.values():
        lines += ["[[instruments]]", f"exchange = {_s(inst.exchange)}", f"symbol = {_s(inst.symbol)}",
                  f"name = {_s(inst.name)}", f"price = {_s(inst.price)}"]
        if inst.lot_size:
            lines.append(f"lot_size = {inst.lot_size}")
        if inst.daytime:
            lines.append("daytime = true")
        lines.append("")
    return "\n".join(lines)


def make_pool(prefix: str, count: int) -> tuple[list[AppCreds], list[AppCreds]]:
    """`count` real and `count` mock apps, each with its own account."""
    real = [AppCreds(make_appkey(), make_appsecret(), Env.REAL, (f"{prefix}1{i:06d}-01",), f"real-{i}")
            for i in range(count)]
    mock = [AppCreds(make_appkey(), make_appsecret(), Env.MOCK, (f"{prefix}5{i:06d}-01",), f"mock-{i}")
            for i in range(count)]
    return real, mock


# --------------------------------------------------------------------------------------------------
# responses


@dataclass
class Reply:
    """An HTTP response with KIS conveniences."""

    resp: httpx.Response

    @property
    def status(self) -> int:
        return self.resp.status_code

    @property
    def body(self) -> Any:
        return self.resp.json()

    @property
    def headers(self) -> httpx.Headers:
        return self.resp.headers

    @property
    def odno(self) -> str:
        return str(self.body["output"]["ODNO"])

    def __repr__(self) -> str:
        req = self.resp.request
        return (f"<{req.method} {req.url.path} tr_id={req.headers.get('tr_id')} -> {self.status} "
                f"{self.resp.text[:600]}>")


def expect_order_ok(reply: Reply, message: Message) -> str:
    """An accepted order / revise / cancel: HTTP 200, the exact message, the output keys; returns ODNO."""
    assert reply.status == 200, reply
    body = reply.body
    assert list(body) == ["rt_cd", "msg_cd", "msg1", "output"], reply
    assert (body["rt_cd"], body["msg_cd"], body["msg1"]) == ("0", message.code, message.text), reply
    output = body["output"]
    assert list(output) == ORDER_OUTPUT_KEYS, reply
    assert output["KRX_FWDG_ORD_ORGNO"] == BRANCH
    assert re.fullmatch(r"\d{10}", output["ODNO"]), reply
    assert re.fullmatch(r"([01]\d|2[0-3])[0-5]\d[0-5]\d", output["ORD_TMD"]), reply
    return str(output["ODNO"])


def expect_message(reply: Reply, message: Message, *, status: int = 200, rt_cd: str = "1") -> None:
    """A business answer without output: HTTP 200, `{"rt_cd":"1","msg_cd":…,"msg1":…}`."""
    assert reply.status == status, reply
    assert reply.body == {"rt_cd": rt_cd, "msg_cd": message.code, "msg1": message.text}, reply


def expect_business(reply: Reply, reason: Reason, env: Env) -> None:
    message = BUSINESS[reason].for_env(env)
    expect_message(reply, message, rt_cd=message.rt_cd)


def expect_gateway(reply: Reply, code: Gateway | str, text: str | None = None) -> None:
    """HTTP 500 `{"rt_cd":"1","msg1":…,"msg_cd":…}` in that key order."""
    gw = Gateway(code)
    assert reply.status == 500, reply
    body = reply.body
    assert list(body) == GATEWAY_KEYS, reply
    assert body == {"rt_cd": "1", "msg1": text if text is not None else GATEWAY_TEXT[gw], "msg_cd": gw.value}, reply


def expect_ops(reply: Reply, code: Ops | str, text: str | None = None) -> None:
    ops = Ops(code)
    assert reply.status == 500, reply
    body = reply.body
    assert list(body) == GATEWAY_KEYS, reply
    assert body == {"rt_cd": "1", "msg1": text if text is not None else OPS_TEXT[ops], "msg_cd": ops.value}, reply


def expect_token_error(reply: Reply, message: Message) -> None:
    assert reply.status == 403, reply
    assert reply.body == {"error_code": message.code, "error_description": message.text}, reply


# --------------------------------------------------------------------------------------------------
# clients


class Admin:
    def __init__(self, server: RunningServer) -> None:
        self.http = server.client(headers={"Authorization": f"Bearer {server.admin_token}"})

    def orders(self) -> list[dict[str, Any]]:
        resp = self.http.get("/localkis/admin/orders")
        assert resp.status_code == 200, resp.text
        rows: list[dict[str, Any]] = resp.json()["orders"]
        return rows

    def order(self, odno: str) -> dict[str, Any]:
        (row,) = [o for o in self.orders() if o["odno"] == odno]
        return row

    def fill(self, odno: str, quantity: int, price: str) -> dict[str, Any]:
        resp = self.http.post("/localkis/admin/fills", json={"odno": odno, "quantity": quantity, "price": price})
        assert resp.status_code == 200, resp.text
        result: dict[str, Any] = resp.json()
        return result

    def set_clock(self, iso: str, *, frozen: bool = True) -> str:
        resp = self.http.post("/localkis/admin/clock", json={"time": iso, "frozen": frozen})
        assert resp.status_code == 200, resp.text
        return str(resp.json()["now"])

    def check_invariant(self) -> None:
        """quantity == filled + cancelled + revised_away + open for every non-cancel record (A3)."""
        for o in self.orders():
            if o["kind"] == "02":
                assert (o["filled"], o["cancelled"], o["revised_away"], o["open"]) == (0, 0, 0, 0), o
                continue
            parts = (o["filled"], o["cancelled"], o["revised_away"], o["open"])
            assert min(parts) >= 0 and sum(parts) == o["quantity"], o


class Kis:
    """A KIS client for one app and one of its accounts."""

    def __init__(self, server: RunningServer, app: AppCreds, account: str | None = None) -> None:
        self.server = server
        self.app = app
        self.account = account or app.accounts[0]
        self.http = server.client()
        self.token = ""

    @property
    def env(self) -> Env:
        return self.app.env

    @property
    def cano(self) -> str:
        return self.account.split("-")[0]

    @property
    def prdt(self) -> str:
        return self.account.split("-")[1]

    def with_account(self, account: str) -> Kis:
        """The same app (token, connection pool) acting for another account number."""
        other = Kis.__new__(Kis)
        other.server, other.app, other.account, other.http, other.token = (
            self.server, self.app, account, self.http, self.token)
        return other

    # --- OAuth -------------------------------------------------------------------------------------
    def token_p(self, **body: Any) -> Reply:
        payload = {"grant_type": "client_credentials", "appkey": self.app.appkey, "appsecret": self.app.appsecret}
        payload.update(body)
        return Reply(self.http.post("/oauth2/tokenP", json=payload))

    def login(self) -> Kis:
        reply = self.token_p()
        assert reply.status == 200, reply
        self.token = reply.body["access_token"]
        return self

    # --- raw calls ---------------------------------------------------------------------------------
    def headers(self, tr_id: str | None, *, tr_cont: str = "", **extra: str) -> dict[str, str]:
        headers = {
            "content-type": "application/json; charset=utf-8",
            "authorization": f"Bearer {self.token}",
            "appkey": self.app.appkey,
            "appsecret": self.app.appsecret,
            "tr_cont": tr_cont,
            "custtype": "P",
        }
        if tr_id is not None:
            headers["tr_id"] = tr_id
        headers.update(extra)
        return headers

    def post(self, path: str, tr_id: str | None, body: Any, *, headers: dict[str, str] | None = None,
             content: bytes | None = None) -> Reply:
        hdrs = headers if headers is not None else self.headers(tr_id)
        data = content if content is not None else json.dumps(body, ensure_ascii=False).encode()
        return Reply(self.http.post(path, headers=hdrs, content=data))

    def get(self, path: str, tr_id: str | None, params: dict[str, str], *, tr_cont: str = "",
            headers: dict[str, str] | None = None) -> Reply:
        hdrs = headers if headers is not None else self.headers(tr_id, tr_cont=tr_cont)
        return Reply(self.http.get(path, headers=hdrs, params=params))

    # --- orders ------------------------------------------------------------------------------------
    def order_tr(self, exchange: str, side: Side) -> str:
        return tr_for_order(EXCHANGES[Exchange(exchange)].market, side, self.env)

    def rvsecncl_tr(self, exchange: str) -> str:
        return tr_for_revise_cancel(EXCHANGES[Exchange(exchange)].market, self.env)

    def order_body(self, exchange: str, symbol: str, qty: int | str, price: str, *, side: Side = Side.BUY,
                   ord_dvsn: str = "00", **extra: str) -> dict[str, str]:
        body = {
            "CANO": self.cano, "ACNT_PRDT_CD": self.prdt, "OVRS_EXCG_CD": exchange, "PDNO": symbol,
            "ORD_QTY": str(qty), "OVRS_ORD_UNPR": price, "CTAC_TLNO": "", "MGCO_APTM_ODNO": "",
            "SLL_TYPE": "00" if side is Side.SELL else "", "ORD_SVR_DVSN_CD": "0", "ORD_DVSN": ord_dvsn,
        }
        body.update(extra)
        return body

    def order(self, exchange: str, symbol: str, qty: int | str, price: str, *, side: Side = Side.BUY,
              tr_id: str | None = None, ord_dvsn: str = "00", **extra: str) -> Reply:
        body = self.order_body(exchange, symbol, qty, price, side=side, ord_dvsn=ord_dvsn, **extra)
        return self.post(ORDER_PATH, tr_id or self.order_tr(exchange, side), body)

    def buy(self, inst: Inst, qty: int | None = None, price: str | None = None, **kw: Any) -> Reply:
        return self.order(inst.exchange, inst.symbol, qty if qty is not None else inst.lot,
                          price or inst.price, side=Side.BUY, **kw)

    def sell(self, inst: Inst, qty: int | None = None, price: str | None = None, **kw: Any) -> Reply:
        return self.order(inst.exchange, inst.symbol, qty if qty is not None else inst.lot,
                          price or inst.price, side=Side.SELL, **kw)

    def placed(self, inst: Inst, qty: int | None = None, price: str | None = None, *, side: Side = Side.BUY) -> str:
        """Place an order that must be accepted; its ODNO."""
        reply = self.buy(inst, qty, price) if side is Side.BUY else self.sell(inst, qty, price)
        ok = codes.ORDER_BUY_OK if side is Side.BUY else codes.ORDER_SELL_OK
        return expect_order_ok(reply, ok.for_env(self.env))

    def rvsecncl(self, exchange: str, symbol: str, orgn: str, dvsn: str, qty: int | str, price: str, *,
                 tr_id: str | None = None, **extra: str) -> Reply:
        body = {
            "CANO": self.cano, "ACNT_PRDT_CD": self.prdt, "OVRS_EXCG_CD": exchange, "PDNO": symbol,
            "ORGN_ODNO": orgn, "RVSE_CNCL_DVSN_CD": dvsn, "ORD_QTY": str(qty), "OVRS_ORD_UNPR": price,
            "MGCO_APTM_ODNO": "", "ORD_SVR_DVSN_CD": "0", "CTAC_TLNO": "",
        }
        body.update(extra)
        return self.post(RVSECNCL_PATH, tr_id or self.rvsecncl_tr(exchange), body)

    def revise(self, inst: Inst, orgn: str, qty: int | str, price: str, **kw: Any) -> Reply:
        return self.rvsecncl(inst.exchange, inst.symbol, orgn, "01", qty, price, **kw)

    def cancel(self, inst: Inst, orgn: str, qty: int | str = "0", price: str = "0", **kw: Any) -> Reply:
        return self.rvsecncl(inst.exchange, inst.symbol, orgn, "02", qty, price, **kw)

    # --- inquiries ---------------------------------------------------------------------------------
    def nccs(self, exchange: str = "NASD", *, sort: str = "", fk: str = "", nk: str = "", tr_cont: str = "",
             tr_id: str | None = None) -> Reply:
        params = {"CANO": self.cano, "ACNT_PRDT_CD": self.prdt, "OVRS_EXCG_CD": exchange, "SORT_SQN": sort,
                  "CTX_AREA_FK200": fk, "CTX_AREA_NK200": nk}
        return self.get(NCCS_PATH, tr_id or ("TTTS3018R" if self.env is Env.REAL else "VTTS3018R"),
                        params, tr_cont=tr_cont)

    def ccnl(self, *, exchange: str = "%", pdno: str = "%", sort: str = "DS", fk: str = "", nk: str = "",
             tr_cont: str = "", side: str = "00", filled: str = "00", **extra: str) -> Reply:
        if self.env is Env.MOCK:
            exchange, pdno = "", ""
        params = {"CANO": self.cano, "ACNT_PRDT_CD": self.prdt, "PDNO": pdno, "ORD_STRT_DT": "20000101",
                  "ORD_END_DT": "20991231", "SLL_BUY_DVSN": side, "CCLD_NCCS_DVSN": filled,
                  "OVRS_EXCG_CD": exchange, "SORT_SQN": sort, "ORD_DT": "", "ORD_GNO_BRNO": "", "ODNO": "",
                  "CTX_AREA_NK200": nk, "CTX_AREA_FK200": fk}
        params.update(extra)
        return self.get(CCNL_PATH, tr_for(Api.INQUIRE_CCNL, self.env), params, tr_cont=tr_cont)

    def nccs_rows(self, exchange: str = "NASD", *, sort: str = "") -> list[dict[str, str]]:
        """All unfilled-order rows, following the paging."""
        return self._all_pages(lambda fk, nk, cont: self.nccs(exchange, sort=sort, fk=fk, nk=nk, tr_cont=cont))

    def ccnl_rows(self, **kw: str) -> list[dict[str, str]]:
        return self._all_pages(lambda fk, nk, cont: self.ccnl(fk=fk, nk=nk, tr_cont=cont, **kw))

    @staticmethod
    def _all_pages(call: Any, max_pages: int = 50) -> list[dict[str, str]]:
        rows: list[dict[str, str]] = []
        fk = nk = cont = ""
        for _ in range(max_pages):
            reply: Reply = call(fk, nk, cont)
            assert reply.status == 200 and reply.body["rt_cd"] == "0", reply
            rows += reply.body["output"]
            if reply.headers["tr_cont"] in ("D", "E"):
                return rows
            assert reply.headers["tr_cont"] in ("F", "M"), reply
            fk, nk, cont = reply.body["ctx_area_fk200"], reply.body["ctx_area_nk200"], "N"
        raise AssertionError("too many pages")

    def quote(self, excd: str, symb: str) -> Reply:
        return self.get(PRICE_PATH, "HHDFS00000300", {"AUTH": "", "EXCD": excd, "SYMB": symb})

    def search_info(self, pdno: str, type_cd: str) -> Reply:
        return self.get(SEARCH_INFO_PATH, "CTPF1604R", {"PDNO": pdno, "PRDT_TYPE_CD": type_cd})


def row_for(rows: list[dict[str, str]], odno: str) -> dict[str, str]:
    found = [r for r in rows if r["odno"] == odno]
    assert len(found) == 1, (odno, [r["odno"] for r in rows])
    return found[0]


# --------------------------------------------------------------------------------------------------
# worlds: a running server plus its app pool


@dataclass
class World:
    server: RunningServer
    admin: Admin
    reals: list[AppCreds]
    mocks: list[AppCreds]
    extra: dict[str, AppCreds] = field(default_factory=dict)
    _next: dict[Env, int] = field(default_factory=lambda: {Env.REAL: 0, Env.MOCK: 0})
    _shared: dict[Env, Kis] = field(default_factory=dict)
    _clients: list[httpx.Client] = field(default_factory=list)

    def close(self) -> None:
        for http in self._clients:
            http.close()
        self.admin.http.close()

    def fresh(self, env: Env, *, login: bool = True) -> Kis:
        """A client for an app and account no other test has used."""
        pool = self.reals if env is Env.REAL else self.mocks
        i = self._next[env]
        assert i < len(pool), f"app pool for {env} exhausted; raise its size in conftest"
        self._next[env] = i + 1
        kis = Kis(self.server, pool[i])
        self._clients.append(kis.http)
        return kis.login() if login else kis

    def shared(self, env: Env) -> Kis:
        """One client per environment for tests that need no isolation (rejections, formats)."""
        if env not in self._shared:
            self._shared[env] = self.fresh(env)
        return self._shared[env]

    def real(self, *, login: bool = True) -> Kis:
        return self.fresh(Env.REAL, login=login)

    def mock(self, *, login: bool = True) -> Kis:
        return self.fresh(Env.MOCK, login=login)

    @property
    def secrets(self) -> list[str]:
        return [a.appsecret for a in (*self.reals, *self.mocks, *self.extra.values())]

    def assert_log_clean(self) -> None:
        """The server log never shows a stack trace or any app's secret."""
        text = self.server.log()
        assert "Traceback" not in text, text[-4000:]
        for secret in self.secrets:
            assert secret not in text, "an appsecret appeared in the server log"


BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Every server-backed integration test runs once on SQLite and once on PostgreSQL."""
    return str(request.param)


@contextmanager
def database(backend: str, workdir: Path) -> Iterator[str]:
    """A database URL for a new server: a SQLite file in `workdir`, or a fresh PostgreSQL database."""
    if backend == "sqlite":
        yield f"sqlite:///{workdir / 'localkis.db'}"
    else:
        with fresh_database() as url:
            yield url


def start_world(tmp_path_factory: pytest.TempPathFactory, name: str, *, count: int, backend: str,
                 server: dict[str, Any] | None = None, extra: dict[str, AppCreds] | None = None,
                 prefix: str = "1") -> Iterator[World]:
    admin_token = secrets.token_urlsafe(24)
    reals, mocks = make_pool(prefix, count)
    apps = [*reals, *mocks, *(extra or {}).values()]
    config = build_config(admin_token=admin_token, apps=apps, server=server)
    workdir: Path = tmp_path_factory.mktemp(f"{name}-{backend}")
    with database(backend, workdir) as db_url, running_server(config, workdir, admin_token=admin_token,
                                                                db_url=db_url) as srv:
        world = World(srv, Admin(srv), reals, mocks, dict(extra or {}))
        try:
            yield world
        finally:
            world.close()
        world.assert_log_clean()


def check_alive(world: World) -> World:
    if world.server.proc.poll() is not None:
        pytest.fail(f"localkis serve died (exit {world.server.proc.returncode}):\n{world.server.log()[-4000:]}")
    return world


@pytest.fixture(scope="session")
def main_world(tmp_path_factory: pytest.TempPathFactory, backend: str) -> Iterator[World]:
    """Hours ignored, no rate limits, no token issue limit; default switches (strict_mock/accept_vttt1006u off)."""
    two = AppCreds(make_appkey(), make_appsecret(), Env.REAL, ("19000001-01", "19000002-01"), "two-accounts")
    yield from start_world(tmp_path_factory, "main", count=200, backend=backend, extra={"two": two})


@pytest.fixture
def world(main_world: World) -> Iterator[World]:
    """The main server; after each test the quantity invariant must hold for every order."""
    check_alive(main_world)
    yield main_world
    main_world.admin.check_invariant()


@pytest.fixture(scope="session")
def switch_world(tmp_path_factory: pytest.TempPathFactory, backend: str) -> Iterator[World]:
    """The non-default switches: strict_mock, accept_vttt1006u, token_issue_limit and rate_limits all on."""
    yield from start_world(tmp_path_factory, "switches", count=20, prefix="2", backend=backend, server={
        "strict_mock": True, "accept_vttt1006u": True, "token_issue_limit": True, "rate_limits": True})


@pytest.fixture
def switched(switch_world: World) -> World:
    return check_alive(switch_world)
