"""Helpers for the market-simulator tests: a small config on the shipped instruments, the CLI as a process."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from localkis.engine.sources import Tick, read_ticks
from localkis.protocol.env import Env
from tests.integration.conftest import AppCreds
from tests.serverproc import REPO, make_appkey, make_appsecret

ACCOUNT = "33300001-01"
# Shares of the sample file's instruments, so resting sells pass the sellable-quantity check.
HOLDINGS = (("NASD", "AAPL"), ("NASD", "TSLA"), ("SEHK", "00700"), ("SEHK", "00005"))


def sample_file() -> Path:
    return Path(str(resources.files("localkis.data").joinpath("sample_ticks.csv")))


def sample_ticks() -> list[Tick]:
    return read_ticks(sample_file())


def app() -> AppCreds:
    return AppCreds(make_appkey(), make_appsecret(), Env.REAL, (ACCOUNT,), "simulator")


def config_text(creds: AppCreds, admin_token: str, *, engine: str = "") -> str:
    """One real app and account on the shipped instrument list (no [[instruments]]), hours ignored."""
    positions = ", ".join(f'{{ exchange = "{e}", symbol = "{s}", quantity = 100000, avg_price = "1.00" }}'
                          for e, s in HOLDINGS)
    return f"""[server]
market_hours = "ignore"
rate_limits = false
token_issue_limit = false
admin_token = "{admin_token}"

[[apps]]
name = "{creds.name}"
appkey = "{creds.appkey}"
appsecret = "{creds.appsecret}"
env = "real"
accounts = ["{ACCOUNT}"]

[[accounts]]
number = "{ACCOUNT}"
cash = {{ USD = "10000000.00", HKD = "50000000" }}
positions = [ {positions} ]
{engine}"""


@dataclass
class CliResult:
    code: int
    out: str
    err: str


def cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 120) -> CliResult:
    """`python -m localkis ARGS…` as a separate process (LOCALKIS_ADMIN_TOKEN removed unless given)."""
    full = {k: v for k, v in os.environ.items() if k != "LOCALKIS_ADMIN_TOKEN"}
    full.update(env or {})
    proc = subprocess.run([sys.executable, "-m", "localkis", *args], capture_output=True, text=True,
                          env=full, cwd=cwd or REPO, timeout=timeout)
    return CliResult(proc.returncode, proc.stdout, proc.stderr)
