"""localkis for bot test suites: a test server process, its admin API, and python-kis redirection —
the pieces of the pytest plugin (`localkis.pytest_plugin`, installed with the package through the entry
point `pytest11`), usable outside pytest too:

    with LocalKis(Path("/tmp/kis")) as server, patch_pykis(server.base_url):
        ...

    def test_my_bot_buys(localkis):   # the pytest plugin's fixture
        client = localkis.client()                      # a localkis.client.KisClient on the test server
        localkis.admin.set_price("NASD", "AAPL", "190.00")
        ...

Fixtures:
- `localkis`: one `localkis serve` process per test session (per xdist worker) on a free port, with a
  fresh SQLite database in a temporary directory, reset before each test (`POST /localkis/admin/reset`).
  It has `base_url`, `ws_url`, `real_app` and `mock_app` (`appkey`, `appsecret`, `account`, `hts_id`),
  `admin` (`set_price`, `set_clock`, `advance`, `fill`, `add_fault`, `clear_faults`, `orders`,
  `account`, `reset`) and `client(env="real")`.
- `localkis_pykis`: the same, with python-kis's REST and WebSocket domains pointed at the server for
  the test (`patch_pykis` does it outside pytest).
- `localkis_settings` (session): the `[server]` settings of the test server; override it in a
  conftest.py to test with KIS's rate limits on, market hours enforced, a pinned clock, …

Options: `--localkis-db URL` (e.g. a PostgreSQL URL: the same tests on PostgreSQL), `--localkis-keep`
(copy the server's log and database of each failed test to .localkis-failed/).

Module-level imports stay light (pytest imports the plugin in every run where localkis is installed) and
pytest is not needed here.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from localkis.client.sync import KisClient

DEFAULT_SETTINGS: dict[str, Any] = {
    "market_hours": "ignore",  # orders at any time: a bot's test should not depend on when it runs
    "rate_limits": False,
    "token_issue_limit": False,
}
REAL_ACCOUNT = "12345678-01"
MOCK_ACCOUNT = "50012345-01"
CASH = {"USD": "100000.00", "HKD": "500000", "JPY": "10000000", "CNY": "100000", "VND": "1000000000"}
START_TIMEOUT = 60.0


@dataclass(frozen=True)
class AppInfo:
    """An app configured on the test server, and its one account."""

    name: str
    env: str  # "real" | "mock"
    appkey: str
    appsecret: str = field(repr=False)
    account: str
    hts_id: str = "localkis"


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a TOML basic string


def _new_app(name: str, env: str, account: str) -> AppInfo:
    return AppInfo(name, env, "PS" + secrets.token_hex(17), secrets.token_urlsafe(150)[:180], account)


def server_config(admin_token: str, real: AppInfo, mock: AppInfo, settings: dict[str, Any]) -> str:
    """The test server's TOML: the two apps, an account each with cash, the shipped instruments."""
    lines = ["[server]", f"admin_token = {_toml(admin_token)}"]
    lines += [f"{key} = {_toml(value)}" for key, value in settings.items()]
    for app in (real, mock):
        lines += ["", "[[apps]]", f"name = {_toml(app.name)}", f"appkey = {_toml(app.appkey)}",
                  f"appsecret = {_toml(app.appsecret)}", f"env = {_toml(app.env)}",
                  f"accounts = [{_toml(app.account)}]"]
    cash = "{ " + ", ".join(f"{c} = {_toml(v)}" for c, v in CASH.items()) + " }"
    for app in (real, mock):
        lines += ["", "[[accounts]]", f"number = {_toml(app.account)}", f"cash = {cash}"]
    return "\n".join(lines) + "\n"


class Admin:
    """localkis's admin API on the test server."""

    def __init__(self, base_url: str, token: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30, headers={"Authorization": f"Bearer {token}"})

    def call(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        resp = self.http.request(method, path, json=body)
        if resp.status_code != 200:
            raise AssertionError(f"localkis admin {method} {path}: HTTP {resp.status_code} {resp.text}")
        answer: dict[str, Any] = resp.json()
        return answer

    def reset(self) -> float:
        """Configured cash, positions, prices and clock; no orders, fills, tokens or faults. The seconds it took."""
        return float(self.call("POST", "/localkis/admin/reset")["seconds"])

    def set_price(self, exchange: str, symbol: str, price: Any, size: int | None = None) -> dict[str, Any]:
        """A trade print at `price`: resting orders it crosses fill (`size` bounds the fills)."""
        body: dict[str, Any] = {"exchange": exchange, "symbol": symbol, "price": str(price)}
        if size is not None:
            body["size"] = size
        return self.call("POST", "/localkis/admin/prices", body)

    def set_clock(self, when: datetime | str, *, frozen: bool = False) -> str:
        """Jump the server clock (timezone-aware); it runs on from there unless `frozen`."""
        text = when.isoformat() if isinstance(when, datetime) else when
        return str(self.call("POST", "/localkis/admin/clock", {"time": text, "frozen": frozen})["now"])

    def advance(self, seconds: float) -> str:
        return str(self.call("POST", "/localkis/admin/clock", {"advance_seconds": seconds})["now"])

    def now(self) -> str:
        return str(self.call("GET", "/localkis/admin/clock")["now"])

    def fill(self, odno: str, quantity: int, price: Any) -> dict[str, Any]:
        """Fill `quantity` of order `odno` at `price`."""
        return self.call("POST", "/localkis/admin/fills", {"odno": odno, "quantity": quantity, "price": str(price)})

    def add_fault(self, api: str = "*", kind: str = "error", **rule: Any) -> dict[str, Any]:
        """A fault rule as in `[[faults]]`, e.g. `add_fault("order", msg_cd="EGW00201", nth=2)`."""
        added: dict[str, Any] = self.call("POST", "/localkis/admin/faults", {"api": api, "kind": kind, **rule})
        return dict(added["added"][0])

    def faults(self) -> list[dict[str, Any]]:
        return list(self.call("GET", "/localkis/admin/faults")["faults"])

    def clear_faults(self) -> None:
        self.call("DELETE", "/localkis/admin/faults")

    def orders(self) -> list[dict[str, Any]]:
        return list(self.call("GET", "/localkis/admin/orders")["orders"])

    def account(self, number: str) -> dict[str, Any]:
        return self.call("GET", f"/localkis/admin/accounts/{number}")

    def close(self) -> None:
        self.http.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalKis:
    """A `localkis serve` process for tests: its URLs, apps and admin API."""

    def __init__(self, workdir: Path, *, db: str | None = None, settings: dict[str, Any] | None = None,
                 config_text: str | None = None, admin_token: str | None = None) -> None:
        """`config_text` (with its `admin_token`) replaces the generated config: `real_app`, `mock_app`
        and `client()` then describe apps the server does not have."""
        self.workdir = workdir
        self.settings = {**DEFAULT_SETTINGS, **(settings or {})}
        self.real_app = _new_app("localkis-real", "real", REAL_ACCOUNT)
        self.mock_app = _new_app("localkis-mock", "mock", MOCK_ACCOUNT)
        self.admin_token = admin_token or secrets.token_hex(24)
        self.config_path = workdir / "localkis.toml"
        self.config_path.write_text(
            config_text or server_config(self.admin_token, self.real_app, self.mock_app, self.settings),
            encoding="utf-8")
        self.db = db or f"sqlite:///{workdir / 'localkis.db'}"
        self.log_path = workdir / "server.log"
        self.base_url = ""
        self.proc: subprocess.Popen[bytes] | None = None
        self._clients: list[KisClient] = []
        self.admin: Admin

    @property
    def ws_url(self) -> str:
        return "ws" + self.base_url[4:]

    def start(self) -> LocalKis:
        for _ in range(3):  # a free port can be taken between the probe and the bind: try another
            port = _free_port()
            self.base_url = f"http://127.0.0.1:{port}"
            with self.log_path.open("ab") as log:
                self.proc = subprocess.Popen(
                    [sys.executable, "-m", "localkis", "serve", "--config", str(self.config_path), "--db", self.db,
                     "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                    stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir, env={**os.environ, "PYTHONUNBUFFERED": "1"})
            if self._wait_ready():
                self.admin = Admin(self.base_url, self.admin_token)
                return self
        raise RuntimeError(f"localkis serve did not start; its log:\n{self.log()[-4000:]}")

    def _wait_ready(self) -> bool:
        assert self.proc is not None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                if httpx.get(self.base_url + "/localkis/health", timeout=1).status_code == 200:
                    return True
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.proc.kill()
        return False

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def app(self, env: str = "real") -> AppInfo:
        if env not in ("real", "mock"):
            raise ValueError(f"env must be 'real' or 'mock', not {env!r}")
        return self.real_app if env == "real" else self.mock_app

    def client(self, env: str = "real", **options: Any) -> KisClient:
        """A `localkis.client.KisClient` for the real or mock app (closed after the test). No token
        cache on disk (a reset forgets the server's tokens) and, unless the server has KIS's rate
        limits on, no client-side pacing."""
        from localkis.client.sync import KisClient

        app = self.app(env)
        options.setdefault("token_cache_dir", None)
        if not self.settings.get("rate_limits", True):
            options.setdefault("rate_per_second", 0)
        client = KisClient.local(self.base_url, app.appkey, app.appsecret, app.account, env, **options)
        self._clients.append(client)
        return client

    def reset(self) -> float:
        """The server back to its configured state; this process's clients forget its tokens."""
        from localkis.client.tokens import forget_server

        self.close_clients()
        seconds = self.admin.reset()
        forget_server(self.base_url)
        return seconds

    def close_clients(self) -> None:
        clients, self._clients = self._clients, []
        for client in clients:
            client.close()

    def stop(self) -> None:
        self.close_clients()
        if getattr(self, "admin", None) is not None:
            self.admin.close()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def keep(self, target: Path) -> Path:
        """Copy the server's config, log and SQLite files to `target` (for a failed test)."""
        target.mkdir(parents=True, exist_ok=True)
        for path in self.workdir.iterdir():
            if path.is_file():
                shutil.copy2(path, target / path.name)
        return target

    def __enter__(self) -> LocalKis:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class PykisPatch:
    """python-kis's domain constants pointed elsewhere; `undo()` (or leaving the `with`) restores them."""

    def __init__(self, saved: list[tuple[Any, str, Any]]) -> None:
        self._saved = saved

    def undo(self) -> None:
        for module, name, value in reversed(self._saved):
            setattr(module, name, value)
        self._saved = []

    def __enter__(self) -> PykisPatch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.undo()


def patch_pykis(url: str, ws_url: str | None = None) -> PykisPatch:
    """Point python-kis (2.x) at `url`: its REST domains (real and virtual) and its WebSocket domains
    (`ws_url`, default: `url` with a ws scheme). python-kis reads them from module constants."""
    import importlib

    ws = ws_url or "ws" + url[4:]
    values = {"REAL_DOMAIN": url, "VIRTUAL_DOMAIN": url, "WEBSOCKET_REAL_DOMAIN": ws, "WEBSOCKET_VIRTUAL_DOMAIN": ws}
    saved: list[tuple[Any, str, Any]] = []
    for name in ("pykis.__env__", "pykis.kis", "pykis.client.websocket"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            if name == "pykis.__env__":
                raise
            continue
        for constant, value in values.items():
            if hasattr(module, constant):
                saved.append((module, constant, getattr(module, constant)))
                setattr(module, constant, value)
    return PykisPatch(saved)
