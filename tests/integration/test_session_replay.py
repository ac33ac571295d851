"""Session record and replay (issue 16): `serve --record FILE` writes every exchange with secrets and
tokens masked; `localkis replay-session FILE` replays a 1,000-request session identically, and prints a
diff (exit 1) when an answer differs."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.integration.conftest import INSTRUMENTS, Admin, Kis, build_config, make_pool
from tests.serverproc import running_server

AAPL = INSTRUMENTS["AAPL"]


def replay(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "localkis", "replay-session", str(path)], capture_output=True,
                          text=True, timeout=600)


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A recorded session of 1,000+ requests: orders, revisions, cancels, inquiries, quotes, prints,
    clock moves, fills by prints, a refused call, an error fault and a dropped answer."""
    workdir = tmp_path_factory.mktemp("record")
    path = workdir / "session.jsonl"
    admin_token = secrets.token_hex(24)
    reals, mocks = make_pool("8", 1)
    config = build_config(admin_token=admin_token, apps=[*reals, *mocks])
    with running_server(config, workdir, admin_token=admin_token, extra_args=["--record", str(path)]) as server:
        admin = Admin(server)
        real, mock = Kis(server, reals[0]).login(), Kis(server, mocks[0]).login()
        hidden = [reals[0].appsecret, mocks[0].appsecret, admin_token, real.token, mock.token]
        for i in range(170):
            kis = real if i % 4 else mock
            odno = kis.placed(AAPL, 1, "100.00")
            kis.revise(AAPL, odno, 1, "101.00")
            if i % 3 == 0:
                kis.cancel(AAPL, odno)
            kis.nccs()
            kis.quote("NAS", "AAPL") if kis is real else kis.buy(AAPL, 1, "0.001")  # a refusal
            kis.sell(AAPL, 1, "300.00")
            if i % 10 == 0:
                admin.http.post("/localkis/admin/prices", json={"exchange": "NASD", "symbol": "AAPL",
                                                                 "price": "101.00", "size": 3})
                admin.http.post("/localkis/admin/clock", json={"advance_seconds": 30})
        real.http.post("/localkis/admin/faults", json={})  # no admin token: refused
        admin.http.post("/localkis/admin/faults", json={"api": "inquire-nccs", "kind": "error", "msg_cd": "EGW00201"})
        assert real.nccs().status == 500
        odno = real.placed(AAPL, 1, "100.00")
        admin.http.post("/localkis/admin/faults", json={"api": "order-rvsecncl", "kind": "drop_after_commit"})
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            real.cancel(AAPL, odno)
        real.http = server.client()
        real.nccs()
        for _ in range(100):
            real.nccs()
    return path, hidden


def test_the_recording_masks_secrets_and_tokens(recording: tuple[Path, list[str]]) -> None:
    path, hidden = recording
    text = path.read_text(encoding="utf-8")
    for secret in hidden:
        assert secret not in text
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines[0]["type"] == "config" and "<admin_token>" in lines[0]["toml"]
    exchanges = [e for e in lines if e["type"] == "http"]
    assert len(exchanges) >= 1000
    assert {e["path"] for e in exchanges} >= {"/oauth2/tokenP", "/uapi/overseas-stock/v1/trading/order",
                                               "/localkis/admin/prices", "/localkis/admin/clock"}
    assert [e for e in lines if e["type"] == "fault"]
    assert any(e["answer"] is None for e in exchanges)  # the dropped answer


def test_a_recorded_session_replays_identically(recording: tuple[Path, list[str]]) -> None:
    done = replay(recording[0])
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert " 0 answer(s) differ" in done.stdout


def test_a_different_answer_is_a_diff_and_exit_1(recording: tuple[Path, list[str]], tmp_path: Path) -> None:
    lines = recording[0].read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        entry = json.loads(line)
        if entry["type"] == "http" and entry["path"].endswith("/order") and entry["answer"]:
            entry["answer"] = entry["answer"].replace('"ODNO":"', '"ODNO":"9')
            lines[i] = json.dumps(entry, ensure_ascii=False)
            break
    changed = tmp_path / "changed.jsonl"
    changed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = replay(changed)
    assert done.returncode == 1, done.stdout[-4000:] + done.stderr[-4000:]
    assert "1 answer(s) differ" in done.stdout and "-" in done.stdout and "+" in done.stdout
