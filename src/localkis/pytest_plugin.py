"""The pytest plugin of localkis (entry point `pytest11`, so installing localkis is enough): fixtures
`localkis`, `localkis_pykis` and `localkis_settings`, options `--localkis-db` and `--localkis-keep`
(see `localkis.testing` and docs/testing.md)."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from localkis.testing import DEFAULT_SETTINGS, LocalKis, patch_pykis


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("localkis", "localkis test server")
    group.addoption("--localkis-db", default=None,
                    help="database URL of the localkis test server (default: a fresh SQLite file); e.g. "
                         "postgresql://… to run the same tests on PostgreSQL")
    group.addoption("--localkis-keep", action="store_true", default=False,
                    help="copy the localkis server's log and database of each failed test to .localkis-failed/")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item,
                              call: pytest.CallInfo[None]) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


_FAILED = pytest.StashKey[bool]()


@pytest.fixture(scope="session")
def localkis_settings() -> dict[str, Any]:
    """The `[server]` settings of the test server (override in a conftest.py)."""
    return dict(DEFAULT_SETTINGS)


@pytest.fixture(scope="session")
def _localkis_server(request: pytest.FixtureRequest, localkis_settings: dict[str, Any]) -> Iterator[LocalKis]:
    workdir = Path(tempfile.mkdtemp(prefix="localkis-"))
    server = LocalKis(workdir, db=request.config.getoption("--localkis-db"), settings=localkis_settings)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def localkis(request: pytest.FixtureRequest, _localkis_server: LocalKis) -> Iterator[LocalKis]:
    """The session's localkis server, reset to its configured state for this test."""
    server = _localkis_server
    if server.proc is None or server.proc.poll() is not None:
        pytest.fail(f"the localkis server has exited; its log:\n{server.log()[-4000:]}")
    server.reset()
    yield server
    server.close_clients()
    if request.config.getoption("--localkis-keep") and request.node.stash.get(_FAILED, False):
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[:150]
        kept = server.keep(Path(str(request.config.rootpath)) / ".localkis-failed" / name)
        request.node.add_report_section("teardown", "localkis", f"server files kept in {kept}")


@pytest.fixture
def localkis_pykis(localkis: LocalKis) -> Iterator[LocalKis]:
    """`localkis`, with python-kis's domains pointed at the test server for this test."""
    with patch_pykis(localkis.base_url, localkis.ws_url):
        yield localkis
