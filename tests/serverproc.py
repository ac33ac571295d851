"""Start a real `localkis serve` process for tests and talk to it over HTTP."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_appkey() -> str:
    return "PS" + secrets.token_hex(17)  # 36 chars, as KIS issues


def make_appsecret() -> str:
    return secrets.token_urlsafe(135)[:180]


def simple_config(admin_token: str, apps: list[tuple[str, str, str, str]], *, cash_usd: str) -> str:
    """A config with hours ignored and no limits: apps as (appkey, appsecret, env, account), each account
    with `cash_usd` dollars, and NASD AAPL at 190.00 as the only instrument."""
    lines = ["[server]", 'market_hours = "ignore"', "rate_limits = false", "token_issue_limit = false",
             f'admin_token = "{admin_token}"', ""]
    for appkey, appsecret, env, account in apps:
        lines += ["[[apps]]", f'appkey = "{appkey}"', f'appsecret = "{appsecret}"', f'env = "{env}"',
                  f'accounts = ["{account}"]', ""]
    for account in dict.fromkeys(a[3] for a in apps):
        lines += ["[[accounts]]", f'number = "{account}"', f'cash = {{ USD = "{cash_usd}" }}', ""]
    lines += ["[[instruments]]", 'exchange = "NASD"', 'symbol = "AAPL"', 'name = "애플"', 'price = "190.00"', ""]
    return "\n".join(lines)


@dataclass
class RunningServer:
    base_url: str
    admin_token: str
    proc: subprocess.Popen[bytes]
    log_path: Path
    db_url: str
    config_path: Path
    extra_args: list[str] = field(default_factory=list)

    def client(self, **kw: object) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=10, **kw)  # type: ignore[arg-type]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def spawn(config_path: Path, db_url: str, workdir: Path, *, admin_token: str,
          extra_args: list[str] | None = None, timeout: float = 120.0) -> RunningServer:
    """Start `localkis serve` on a free port and wait until it answers (up to `timeout`: loading the
    exchange calendars alone has taken 12-16 s on a loaded 2-core machine)."""
    port = free_port()
    log_path = workdir / f"server-{port}.log"
    args = [sys.executable, "-m", "localkis", "serve", "--config", str(config_path), "--db", db_url,
            "--host", "127.0.0.1", "--port", str(port), *(extra_args or [])]
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    with log_path.open("wb") as log:
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=workdir, env=env)
    server = RunningServer(f"http://127.0.0.1:{port}", admin_token, proc, log_path, db_url, config_path,
                           extra_args or [])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"localkis serve exited with {proc.returncode}:\n{server.log()}")
        try:
            if httpx.get(server.base_url + "/localkis/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    server.stop()
    raise RuntimeError(f"localkis serve did not start in {timeout}s:\n{server.log()}")


@contextmanager
def running_server(config_toml: str, workdir: Path, *, admin_token: str, db_url: str | None = None,
                   extra_args: list[str] | None = None) -> Iterator[RunningServer]:
    """Write the config, start a server, yield it, stop it."""
    workdir.mkdir(parents=True, exist_ok=True)
    config_path = workdir / "localkis.toml"
    config_path.write_text(config_toml, encoding="utf-8")
    url = db_url or f"sqlite:///{workdir / 'localkis.db'}"
    server = spawn(config_path, url, workdir, admin_token=admin_token, extra_args=extra_args)
    try:
        yield server
    finally:
        server.stop()
