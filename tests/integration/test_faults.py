"""Fault rules (issue 16): each kind observed over HTTP by a KIS client of a real server process; rules
added through /localkis/admin/faults and the `localkis faults` CLI; they never fire for another app."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from localkis.protocol.codes import BUSINESS, GATEWAY_TEXT, Gateway
from localkis.protocol.env import Env
from localkis.protocol.reasons import Reason
from tests.integration.conftest import INSTRUMENTS, Kis, World, check_alive, start_world

AAPL = INSTRUMENTS["AAPL"]
DROPPED = (httpx.RemoteProtocolError, httpx.ReadError)


@pytest.fixture(scope="module")
def fault_world(tmp_path_factory: pytest.TempPathFactory, backend: str) -> Iterator[World]:
    yield from start_world(tmp_path_factory, "faults", count=30, prefix="6", backend=backend)


@pytest.fixture
def fw(fault_world: World) -> Iterator[World]:
    check_alive(fault_world)
    yield fault_world
    fault_world.admin.http.delete("/localkis/admin/faults")


def add_fault(world: World, **rule: Any) -> dict[str, Any]:
    resp = world.admin.http.post("/localkis/admin/faults", json=rule)
    assert resp.status_code == 200, resp.text
    added: dict[str, Any] = resp.json()["added"][0]
    return added


def faults(world: World) -> list[dict[str, Any]]:
    resp = world.admin.http.get("/localkis/admin/faults")
    assert resp.status_code == 200, resp.text
    rules: list[dict[str, Any]] = resp.json()["faults"]
    return rules


def odnos(kis: Kis) -> list[str]:
    return [r["odno"] for r in kis.nccs_rows("NASD")]


def test_error_fault_answers_as_kis_does_on_the_nth_call(fw: World) -> None:
    kis = fw.real()
    add_fault(fw, api="order", app=kis.app.name, kind="error", msg_cd="EGW00201", nth=2, times=2)
    first = kis.buy(AAPL)
    assert first.status == 200 and first.body["rt_cd"] == "0"
    for _ in range(2):
        reply = kis.buy(AAPL)
        assert reply.status == 500
        assert list(reply.body) == ["rt_cd", "msg1", "msg_cd"]
        assert reply.body == {"rt_cd": "1", "msg1": GATEWAY_TEXT[Gateway.RATE_LIMIT], "msg_cd": "EGW00201"}
    assert kis.buy(AAPL).body["rt_cd"] == "0"  # spent after `times`
    assert len(odnos(kis)) == 2  # the refused calls changed nothing
    (rule,) = faults(fw)
    assert (rule["seen"], rule["fired"]) == (3, 2)


def test_error_fault_with_a_business_code_uses_the_apps_environment(fw: World) -> None:
    kis = fw.mock()
    add_fault(fw, api="VTTT1002U", app=kis.app.appkey, kind="error", msg_cd="APBK0952")
    reply = kis.buy(AAPL)
    assert reply.status == 200
    # APBK0952 is the real environment's code: a mock app gets KIS's shape with that message.
    message = BUSINESS[Reason.INSUFFICIENT_CASH].real
    assert reply.body == {"rt_cd": message.rt_cd, "msg_cd": "APBK0952", "msg1": message.text}


def test_latency_fault_delays_the_answer(fw: World) -> None:
    kis = fw.real()
    add_fault(fw, api="*", app=kis.app.name, kind="latency", latency_ms=400)
    started = time.monotonic()
    reply = kis.quote("NAS", "AAPL")
    assert time.monotonic() - started >= 0.4
    assert reply.status == 200 and reply.body["rt_cd"] == "0"
    started = time.monotonic()
    kis.quote("NAS", "AAPL")
    assert time.monotonic() - started < 0.4  # times = 1 by default


def test_drop_after_commit_commits_then_resets(fw: World) -> None:
    kis = fw.real()
    placed = kis.placed(AAPL)
    add_fault(fw, api="order-rvsecncl", app=kis.app.name, kind="drop_after_commit")
    with pytest.raises(DROPPED):
        kis.cancel(AAPL, placed)
    # The cancel went through although its answer never came: nothing is left open.
    kis.http = fw.server.client()
    assert placed not in odnos(kis)
    assert fw.admin.order(placed)["cancelled"] == AAPL.lot


def test_drop_before_commit_changes_nothing(fw: World) -> None:
    kis = fw.real()
    add_fault(fw, api="order", app=kis.app.name, kind="drop_before_commit")
    before = len(fw.admin.orders())
    with pytest.raises(DROPPED):
        kis.buy(AAPL)
    kis.http = fw.server.client()
    assert odnos(kis) == []
    assert len(fw.admin.orders()) == before
    assert kis.buy(AAPL).body["rt_cd"] == "0"


def test_faults_never_fire_for_another_app(fw: World) -> None:
    target, other = fw.real(), fw.real()
    add_fault(fw, api="*", app=target.app.name, kind="error", msg_cd="EGW00201", times=0)
    for _ in range(5):
        assert other.buy(AAPL).body["rt_cd"] == "0"
        assert other.quote("NAS", "AAPL").body["rt_cd"] == "0"
    assert target.buy(AAPL).body["msg_cd"] == "EGW00201"
    (rule,) = faults(fw)
    assert (rule["seen"], rule["fired"]) == (1, 1)


def test_probability_fires_on_some_calls(fw: World) -> None:
    kis = fw.real()
    add_fault(fw, api="price", app=kis.app.name, kind="error", msg_cd="EGW00201", probability=0.5, times=0)
    fired = sum(kis.quote("NAS", "AAPL").status == 500 for _ in range(40))
    assert 0 < fired < 40
    (rule,) = faults(fw)
    assert (rule["seen"], rule["fired"]) == (40, fired)


def test_bad_rules_are_refused(fw: World) -> None:
    for rule in ({"api": "order", "kind": "error"}, {"api": "order", "kind": "error", "msg_cd": "NOPE0000"},
                 {"api": "order", "kind": "latency"}, {"api": "order", "kind": "boom"}, ["x"]):
        resp = fw.admin.http.post("/localkis/admin/faults", json=rule)
        assert resp.status_code == 400, (rule, resp.text)
        assert "error" in resp.json()
    assert faults(fw) == []


def test_cli_adds_lists_and_clears(fw: World) -> None:
    def cli(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "localkis", "faults", *args, "--url", fw.server.base_url,
                               "--admin-token", fw.server.admin_token], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "added #" in cli("add", "order", "--kind", "error", "--msg-cd", "EGW00201", "--nth", "3", "--app", "x")
    listed = cli("list")
    assert "order  error" in listed and "msg_cd=EGW00201" in listed and "nth=3" in listed
    assert "removed 1" in cli("clear")
    assert "no fault rules" in cli("list")


def test_mock_and_real_apps_each_get_their_own_answers(fw: World) -> None:
    real, mock = fw.real(), fw.mock()
    add_fault(fw, api="*", kind="error", msg_cd="EGW00123", times=2)
    for kis in (real, mock):
        reply = kis.quote("NAS", "AAPL") if kis.env is Env.REAL else kis.buy(AAPL)
        assert reply.status == 500 and reply.body["msg_cd"] == "EGW00123"


def test_token_endpoint_faults_take_its_own_shape(fw: World) -> None:
    kis, other = fw.real(login=False), fw.real(login=False)
    add_fault(fw, api="tokenP", app=kis.app.name, kind="error", msg_cd="EGW00201")
    refused = kis.token_p()
    assert refused.status == 403
    assert refused.body == {"error_code": "EGW00201", "error_description": GATEWAY_TEXT[Gateway.RATE_LIMIT]}
    assert other.token_p().status == 200  # another app: untouched
    add_fault(fw, api="tokenP", app=kis.app.name, kind="error", msg_cd="EGW00133")
    assert kis.token_p().body["error_code"] == "EGW00133"
    add_fault(fw, api="tokenP", app=kis.app.name, kind="drop_after_commit")
    with pytest.raises(DROPPED):
        kis.token_p()
    kis.http = fw.server.client()
    kis.login()  # the token issued meanwhile is the one handed out now
    assert kis.quote("NAS", "AAPL").body["rt_cd"] == "0"
