"""The tour in docs/client.md runs as written against a real server."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from localkis.protocol.env import Env
from tests.client.conftest import World
from tests.serverproc import REPO

DOC = Path(REPO) / "docs" / "client.md"


def blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def test_tour_runs(main: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                   capsys: pytest.CaptureFixture[str]) -> None:
    app = main.app(Env.REAL)
    for name, value in {"KIS_BASE_URL": main.base_url, "KIS_APPKEY": app.appkey, "KIS_APPSECRET": app.appsecret,
                        "KIS_ACCOUNT": app.account, "KIS_ENV": "real", "KIS_RATE_PER_SECOND": "0",
                        "KIS_TOKEN_CACHE_DIR": str(tmp_path)}.items():
        monkeypatch.setenv(name, value)
    tour, aio = blocks()[:2]
    exec(compile(tour, "docs/client.md (tour)", "exec"), {})
    out = capsys.readouterr().out
    assert "TTTT1002U 주문 전송 완료 되었습니다." in out
    assert "InvalidRequest APBK0506 None" in out
    exec(compile(aio.replace('("AAPL", "MSFT", "NVDA")', '("AAPL", "TSLA", "AAPL")'), "docs/client.md (async)",
                 "exec"), {})
    assert "Decimal('190" in capsys.readouterr().out
