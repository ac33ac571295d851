"""The pytest plugin (issue 16), used as a bot developer uses it: a separate test project in a temp dir,
no conftest, the plugin found through its `pytest11` entry point, one server for the whole session."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytest_plugins = ("pytester",)

ORDERING_TEST = '''
def test_places_orders_{i}(localkis):
    client = localkis.client()
    assert localkis.admin.orders() == []  # every test starts clean
    before = localkis.admin.account(localkis.real_app.account)["cash"]["USD"]
    assert before == "100000.00"
    acks = [client.buy("NASD", "AAPL", 1, "100.00") for _ in range({n})]
    assert [o.order_no for o in client.open_orders("NASD")] == sorted(a.order_no for a in acks)
    localkis.admin.set_price("NASD", "AAPL", "99.00")  # crosses every buy: they fill
    assert client.open_orders("NASD") == []
'''

FEATURES = '''
from datetime import datetime, timedelta, timezone

import pytest
from localkis.client.errors import KisError


def test_fixture_has_what_the_issue_names(localkis):
    assert localkis.base_url.startswith("http://127.0.0.1:")
    assert localkis.ws_url.startswith("ws://127.0.0.1:")
    for app in (localkis.real_app, localkis.mock_app):
        assert len(app.appkey) == 36 and len(app.appsecret) == 180
        assert app.account and app.hts_id
    assert localkis.client("mock").env.value == "mock"


def test_clock_and_faults(localkis):
    # Ahead, not behind: localkis.client judges a token's expiry on its own clock.
    when = (datetime.now(timezone.utc) + timedelta(days=30)).replace(microsecond=0)
    assert datetime.fromisoformat(localkis.admin.set_clock(when, frozen=True)) == when
    assert datetime.fromisoformat(localkis.admin.advance(60)) == when + timedelta(seconds=60)
    localkis.admin.add_fault("order", msg_cd="EGW00201", nth=1, times=1)
    client = localkis.client(rate_limit_retries=0)
    with pytest.raises(KisError) as caught:
        client.buy("NASD", "AAPL", 1, "100.00")
    assert "EGW00201" in str(caught.value)
    assert client.buy("NASD", "AAPL", 1, "100.00").order_no


def test_faults_are_gone_after_the_reset(localkis):
    assert localkis.admin.faults() == []


def test_fill(localkis):
    client = localkis.client()
    ack = client.buy("NASD", "AAPL", 2, "100.00")
    assert localkis.admin.fill(ack.order_no, 2, "100.00")["filled"] == 2


def test_python_kis(localkis_pykis):
    from pykis import PyKis

    app = localkis_pykis.real_app
    kis = PyKis(id=app.hts_id, account=app.account, appkey=app.appkey, secretkey=app.appsecret,
                use_websocket=False, keep_token=False)
    order = kis.account().buy("NASDAQ", "AAPL", price=100, qty=1)
    assert len(order.number) == 10
    assert [o["odno"] for o in localkis_pykis.admin.orders()] == [order.number]
'''


def test_fifty_ordering_tests_in_a_fresh_project(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(**{f"test_bot_{i:02d}": ORDERING_TEST.format(i=i, n=1 + i % 3) for i in range(50)})
    started = time.monotonic()
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    elapsed = time.monotonic() - started
    result.assert_outcomes(passed=50)
    print(f"50 plugin tests in {elapsed:.1f}s")  # the per-test overhead is measured in bench/


def test_reverse_order_and_the_other_fixtures(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_features=FEATURES)
    pytester.makepyfile(**{f"test_bot_{i:02d}": ORDERING_TEST.format(i=i, n=2) for i in range(5)})
    # Collected in reverse: the tests pass in any order.
    pytester.makeconftest(textwrap.dedent('''
        def pytest_collection_modifyitems(items):
            items.reverse()
    '''))
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=10)


@pytest.mark.skipif(importlib.util.find_spec("xdist") is None, reason="pytest-xdist is not installed")
def test_parallel_with_xdist(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(**{f"test_bot_{i:02d}": ORDERING_TEST.format(i=i, n=1) for i in range(8)})
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", "-n", "2")
    result.assert_outcomes(passed=8)


def test_keep_copies_the_server_files_of_a_failed_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_fails='''
def test_fails(localkis):
    localkis.client().buy("NASD", "AAPL", 1, "100.00")
    assert False, "on purpose"
''')
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", "--localkis-keep")
    result.assert_outcomes(failed=1)
    kept = list((pytester.path / ".localkis-failed").iterdir())
    assert len(kept) == 1
    names = {p.name for p in kept[0].iterdir()}
    assert {"localkis.toml", "server.log", "localkis.db"} <= names


def test_the_recipes_in_docs_testing_run_as_written(pytester: pytest.Pytester) -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "testing.md").read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```python\n(.*?)```", text, re.S) if "def test_" in b and "@pytest" not in b]
    assert len(blocks) >= 3
    pytester.makepyfile(test_recipes="\n\n".join(blocks))
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=len(blocks))


@pytest.mark.skipif(not os.environ.get("LOCALKIS_WHEEL_TEST"),
                    reason="builds the wheel and installs it with its dependencies in a fresh venv (minutes); "
                           "set LOCALKIS_WHEEL_TEST=1")
def test_the_built_wheel_in_a_fresh_venv(tmp_path: Path) -> None:
    """Only `pip install localkis` (the built wheel) and `pytest`: the plugin is there."""
    repo = Path(__file__).resolve().parents[2]
    wheels, venv, project = tmp_path / "wheels", tmp_path / "venv", tmp_path / "project"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(repo)], check=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    (wheel,) = wheels.glob("localkis-*.whl")
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(wheel), "pytest"], check=True)
    project.mkdir()
    for i in range(5):
        (project / f"test_bot_{i}.py").write_text(ORDERING_TEST.format(i=i, n=2))
    done = subprocess.run([str(venv / "bin" / "pytest"), "-q", "-p", "no:cacheprovider"], cwd=project,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert "5 passed" in done.stdout


def test_localkis_db_runs_the_same_tests_on_postgresql(pytester: pytest.Pytester) -> None:
    from tests.pg import fresh_database

    pytester.makepyfile(**{f"test_bot_{i:02d}": ORDERING_TEST.format(i=i, n=2) for i in range(3)})
    with fresh_database() as url:
        result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", "--localkis-db", url)
    result.assert_outcomes(passed=3)
