"""The dashboard's browser tests: a real server process, Debian's chromium driven by Playwright.

Screenshots of every step go to test-output/ui/ (LOCALKIS_TEST_OUTPUT overrides the directory)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from localkis.client import ClientConfig, KisClient
from localkis.protocol.env import Env
from tests.serverproc import REPO, RunningServer, make_appkey, make_appsecret, running_server, simple_config

CHROMIUM = os.environ.get("LOCALKIS_CHROMIUM", "/usr/bin/chromium")
OUTPUT = Path(os.environ.get("LOCALKIS_TEST_OUTPUT", REPO / "test-output")) / "ui"
ACCOUNT = "50000001-01"


class Dashboard:
    """The server under test, its one real app, and where screenshots go."""

    def __init__(self, server: RunningServer, appkey: str, appsecret: str, tmp: Path) -> None:
        self.server = server
        self.appkey, self.appsecret = appkey, appsecret
        self.tmp = tmp
        self.url = server.base_url + "/localkis/ui"

    def client(self) -> KisClient:
        return KisClient(ClientConfig(appkey=self.appkey, appsecret=self.appsecret, account=ACCOUNT, env=Env.REAL,
                                      base_url=self.server.base_url, rate_per_second=0,
                                      token_cache_dir=self.tmp / "tokens"))

    def admin_get(self, path: str) -> Any:
        answer = httpx.get(self.server.base_url + path, headers={"authorization": f"Bearer {self.server.admin_token}"})
        answer.raise_for_status()
        return answer.json()

    def log_in(self, page: Page, token: str | None = None) -> None:
        page.goto(self.url + "/login")
        page.fill("input[name=token]", token if token is not None else self.server.admin_token)
        page.click("button[type=submit]")

    @staticmethod
    def wait_live(page: Page) -> None:
        """Until the page's event stream is open (what happens before it opens, it never hears of)."""
        page.wait_for_selector("body[data-live=yes]", state="attached")

    def shot(self, page: Page, name: str) -> Path:
        OUTPUT.mkdir(parents=True, exist_ok=True)
        path = OUTPUT / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium (apt-get install chromium)")
    work = tmp_path_factory.mktemp("ui")
    token, appkey, appsecret = secrets.token_urlsafe(24), make_appkey(), make_appsecret()
    config = simple_config(token, [(appkey, appsecret, "real", ACCOUNT)], cash_usd="100000.00")
    with running_server(config, work, admin_token=token) as server:
        yield Dashboard(server, appkey, appsecret, work)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    p = context.new_page()
    p.set_default_timeout(10_000)
    try:
        yield p
    finally:
        context.close()
