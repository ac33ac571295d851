"""Fixtures for the end-to-end tests: a real `localkis serve` process and third-party KIS clients.

Every test here talks to the server exactly like a trading bot would: the client library is used
unchanged, only its hard-coded KIS host is redirected (at run time) to the local server.

Safety nets, because both clients use `requests` without timeouts and carry hard-coded KIS hosts:
- every `requests` call gets a default timeout and is refused unless it goes to 127.0.0.1;
- every request/response pair is recorded, and printed (with the server log tail) when a test fails;
- a watchdog (faulthandler) aborts the run if a single test hangs anyway.
"""

from __future__ import annotations

import faulthandler
import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from tests.serverproc import RunningServer, make_appkey, make_appsecret, running_server

REQUEST_TIMEOUT = 20.0  # seconds, per HTTP request made by a client library
TEST_TIMEOUT = 180  # seconds, hard limit per test (the whole run is aborted past it)

BRANCH_CODE = "01790"
REAL_ACCOUNT = "12345678-01"
MOCK_ACCOUNT = "50000001-01"
SYMBOL = "AAPL"
SYMBOL_NAME = "애플"
LAST_PRICE = "190.00"


@dataclass(frozen=True)
class App:
    appkey: str
    appsecret: str
    env: str  # "real" | "mock"
    accounts: tuple[str, ...]


@dataclass
class KisWorld:
    """One running server plus the credentials/accounts configured in it."""

    server: RunningServer
    real: App
    mock: App
    real_account: str = REAL_ACCOUNT
    mock_account: str = MOCK_ACCOUNT

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def __repr__(self) -> str:
        return f"KisWorld({self.base_url})"


def _toml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string literal is a valid TOML basic string


def build_config(*, admin_token: str, apps: list[App], cash: dict[str, str], limits: bool = False) -> str:
    """The server config; `limits` switches KIS's rate limits and token issuance limit on."""
    flag = "true" if limits else "false"
    lines = [
        "[server]",
        f"branch_code = {_toml_str(BRANCH_CODE)}",
        'market_hours = "ignore"',
        f"rate_limits = {flag}",
        f"token_issue_limit = {flag}",
        f"admin_token = {_toml_str(admin_token)}",
        "",
    ]
    for app in apps:
        lines += [
            "[[apps]]",
            f"appkey = {_toml_str(app.appkey)}",
            f"appsecret = {_toml_str(app.appsecret)}",
            f"env = {_toml_str(app.env)}",
            "accounts = [" + ", ".join(_toml_str(a) for a in app.accounts) + "]",
            "",
        ]
    for app in apps:
        for number in app.accounts:
            lines += [
                "[[accounts]]",
                f"number = {_toml_str(number)}",
                "cash = { " + ", ".join(f"{k} = {_toml_str(v)}" for k, v in cash.items()) + " }",
                "",
            ]
    lines += [
        "[[instruments]]",
        'exchange = "NASD"',
        f"symbol = {_toml_str(SYMBOL)}",
        f"name = {_toml_str(SYMBOL_NAME)}",
        f"price = {_toml_str(LAST_PRICE)}",
        "daytime = true",  # tradable through the US daytime endpoints too
        "",
    ]
    return "\n".join(lines)


@contextmanager
def _start_world(tmp_path_factory: pytest.TempPathFactory, *, limits: bool) -> Iterator[KisWorld]:
    real = App(make_appkey(), make_appsecret(), "real", (REAL_ACCOUNT,))
    mock = App(make_appkey(), make_appsecret(), "mock", (MOCK_ACCOUNT,))
    assert len(real.appkey) == 36 and len(real.appsecret) == 180
    admin_token = secrets.token_urlsafe(24)
    config = build_config(admin_token=admin_token, apps=[real, mock], cash={"USD": "100000.00"}, limits=limits)
    workdir = tmp_path_factory.mktemp("localkis-e2e")
    with running_server(config, workdir, admin_token=admin_token) as server:
        yield KisWorld(server=server, real=real, mock=mock)


@pytest.fixture(scope="module")
def kis_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KisWorld]:
    """A fresh server per test module, with one real app and one mock app; no rate limits."""
    with _start_world(tmp_path_factory, limits=False) as world:
        yield world


@pytest.fixture(scope="module")
def kis_world_limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KisWorld]:
    """Like `kis_world`, but with KIS's rate limits and token issuance limit enforced."""
    with _start_world(tmp_path_factory, limits=True) as world:
        yield world


def _remember(world: KisWorld, request: pytest.FixtureRequest) -> KisWorld:
    if world.server.proc.poll() is not None:
        code = world.server.proc.returncode
        pytest.fail(f"localkis serve died (exit {code}):\n{world.server.log()}")
    request.node.e2e_world = world  # read back by the failure diagnostics
    return world


@pytest.fixture
def world(kis_world: KisWorld, request: pytest.FixtureRequest) -> KisWorld:
    return _remember(kis_world, request)


@pytest.fixture
def world_limited(kis_world_limited: KisWorld, request: pytest.FixtureRequest) -> KisWorld:
    return _remember(kis_world_limited, request)


# --------------------------------------------------------------------------------------------------
# HTTP recording / guarding for the `requests`-based client libraries


@dataclass(repr=False)
class HttpExchange:
    method: str
    url: str
    headers: dict[str, str]
    params: Any
    body: Any
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_text: str = ""

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def tr_id(self) -> str | None:
        for k, v in self.headers.items():
            if k.lower() == "tr_id":
                return v
        return None

    def __repr__(self) -> str:
        return f"<{self.method} {self.path} tr_id={self.tr_id} -> {self.status}>"

    def render(self) -> str:
        def short(v: Any) -> Any:
            if isinstance(v, str) and len(v) > 40:
                return v[:12] + "…"
            return v

        hdrs = {k: short(v) for k, v in self.headers.items()}
        body = self.body
        if isinstance(body, dict):
            body = {k: short(v) for k, v in body.items()}
        return (
            f"> {self.method} {self.url}\n"
            f"> headers={hdrs}\n> params={self.params}\n> body={body}\n"
            f"< {self.status} headers={self.response_headers}\n< {self.response_text[:1500]}"
        )


class HttpLog(list[HttpExchange]):
    def __repr__(self) -> str:
        return f"<HttpLog of {len(self)} exchanges; printed in full below on failure>"

    def paths(self) -> list[str]:
        return [x.path for x in self]

    def tr_ids(self) -> list[str | None]:
        return [x.tr_id for x in self]

    def to(self, path: str) -> list[HttpExchange]:
        return [x for x in self if x.path == path]

    def render(self) -> str:
        return "\n\n".join(x.render() for x in self)


@pytest.fixture
def http_log(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> HttpLog:
    """Wrap `requests.Session.request`: default timeout, 127.0.0.1 only, record every exchange."""
    log = HttpLog()
    request.node.e2e_http_log = log  # read back by the failure diagnostics
    original = requests.Session.request

    def guarded(self: requests.Session, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        host = urlsplit(str(url)).hostname
        if host != "127.0.0.1":
            raise AssertionError(f"client tried to reach a non-local host: {method} {url}")
        kwargs.setdefault("timeout", REQUEST_TIMEOUT)
        body: Any = kwargs.get("json")
        if body is None and kwargs.get("data") is not None:
            raw = kwargs["data"]
            try:
                body = json.loads(raw)
            except (TypeError, ValueError):
                body = raw
        hdrs = {**dict(self.headers), **dict(kwargs.get("headers") or {})}
        entry = HttpExchange(str(method).upper(), str(url), {str(k): str(v) for k, v in hdrs.items()},
                             kwargs.get("params"), body)
        log.append(entry)
        resp = original(self, method, url, *args, **kwargs)
        entry.status = resp.status_code
        entry.response_headers = dict(resp.headers)
        entry.response_text = resp.text
        return resp

    monkeypatch.setattr(requests.Session, "request", guarded)
    return log


# --------------------------------------------------------------------------------------------------
# failure diagnostics and the per-test watchdog


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    rep = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"rep_{rep.when}", rep)


@pytest.fixture(autouse=True)
def _e2e_diagnostics(request: pytest.FixtureRequest) -> Iterator[None]:
    faulthandler.dump_traceback_later(TEST_TIMEOUT, exit=True)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()
        rep = getattr(request.node, "rep_call", None)
        if rep is not None and rep.failed:
            log: HttpLog | None = getattr(request.node, "e2e_http_log", None)
            if log is not None:
                print("\n===== HTTP exchanges made by the client =====\n" + log.render())
            world: KisWorld | None = getattr(request.node, "e2e_world", None)
            if world is not None:
                print("\n===== server log (tail) =====\n" + world.server.log()[-6000:])

