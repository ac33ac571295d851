"""Configuration sources and the code → exception tables (no server needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from localkis.client import (
    MOCK_URL,
    REAL_URL,
    AsyncKisClient,
    ClientConfig,
    ConfigError,
    InsufficientFunds,
    InvalidRequest,
    KisClient,
    MarketClosed,
    NothingToReviseOrCancel,
    NotSupported,
    OrderRejected,
    RateLimited,
    ServerError,
    TokenExpired,
    TokenIssueLimited,
    UnknownSymbol,
)
from localkis.client.errors import _REASON_CLASS, class_for, error_from_answer
from localkis.protocol import codes
from localkis.protocol.codes import BUSINESS, Gateway, Ops
from localkis.protocol.env import Env
from localkis.protocol.reasons import Reason
from tests.serverproc import make_appkey, make_appsecret

KEY, SECRET = make_appkey(), make_appsecret()
PAPER_KEY, PAPER_SECRET = make_appkey(), make_appsecret()


def write_yaml(path: Path, **extra: str) -> Path:
    lines = {
        "my_app": KEY, "my_sec": SECRET, "paper_app": PAPER_KEY, "paper_sec": PAPER_SECRET,
        "my_acct_stock": "12345678", "my_paper_stock": "50012345", "my_prod": "01",
        "prod": REAL_URL, "vps": MOCK_URL, **extra,
    }
    path.write_text("".join(f'{k}: "{v}"\n' for k, v in lines.items()), encoding="utf-8")
    return path


def test_presets() -> None:
    real = KisClient.real(KEY, SECRET, "12345678-01", token_cache_dir=None)
    mock = KisClient.mock(PAPER_KEY, PAPER_SECRET, "50012345-01", token_cache_dir=None)
    local = KisClient.local("http://127.0.0.1:8080/", KEY, SECRET, "12345678-01", env="mock", token_cache_dir=None)
    assert (real.config.base_url, real.env, real.config.effective_rate) == (REAL_URL, Env.REAL, 20)
    assert (mock.config.base_url, mock.env, mock.config.effective_rate) == (MOCK_URL, Env.MOCK, 2)
    assert (local.config.base_url, local.env) == ("http://127.0.0.1:8080", Env.MOCK)
    for c in (real, mock, local):
        c.close()
    aio = AsyncKisClient.mock(PAPER_KEY, PAPER_SECRET, "50012345-01", token_cache_dir=None)
    assert aio.config.base_url == MOCK_URL


def test_environment_variables() -> None:
    environ = {"KIS_APPKEY": KEY, "KIS_APPSECRET": SECRET, "KIS_ACCOUNT": "12345678-01", "KIS_ENV": "mock",
               "KIS_BASE_URL": "http://127.0.0.1:9999", "KIS_RATE_PER_SECOND": "5", "KIS_TOKEN_CACHE_DIR": "/tmp/x"}
    cfg = ClientConfig.load(environ=environ)
    assert (cfg.appkey, cfg.appsecret, cfg.account, cfg.env) == (KEY, SECRET, "12345678-01", Env.MOCK)
    assert (cfg.base_url, cfg.rate_per_second, cfg.token_cache_dir) == ("http://127.0.0.1:9999", 5.0, Path("/tmp/x"))
    real = ClientConfig.load(environ={**environ, "KIS_ENV": "real", "KIS_BASE_URL": ""})
    assert real.base_url == REAL_URL
    # arguments beat the environment
    assert ClientConfig.load(environ=environ, account="87654321-22").account == "87654321-22"
    assert ClientConfig.load(environ={**environ, "KIS_ACCOUNT": "12345678"}).account == "12345678-01"


def test_kis_devlp_yaml(tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "kis_devlp.yaml")
    real = ClientConfig.load(yaml_path=path, environ={})
    assert (real.appkey, real.account, real.base_url, real.env) == (KEY, "12345678-01", REAL_URL, Env.REAL)
    mock = ClientConfig.load(yaml_path=path, env="mock", environ={})
    assert (mock.appkey, mock.appsecret, mock.account, mock.base_url) == (
        PAPER_KEY, PAPER_SECRET, "50012345-01", MOCK_URL)
    # a yaml pointed at localkis (as `localkis serve --show-credentials` prints it)
    local = write_yaml(tmp_path / "local.yaml", prod="http://127.0.0.1:8080", vps="http://127.0.0.1:8080")
    assert ClientConfig.load(yaml_path=local, environ={}).base_url == "http://127.0.0.1:8080"
    # KIS_CONFIG names the file; the environment beats the yaml
    via_env = ClientConfig.load(environ={"KIS_CONFIG": str(path), "KIS_ACCOUNT": "11112222-01"})
    assert (via_env.appkey, via_env.account) == (KEY, "11112222-01")


def test_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="credentials"):
        ClientConfig.load(environ={"KIS_ACCOUNT": "12345678-01"},
                          yaml_path=write_yaml(tmp_path / "e.yaml", my_app="", my_sec=""))
    with pytest.raises(ConfigError, match="account"):
        ClientConfig(appkey=KEY, appsecret=SECRET, account="1234-01")
    with pytest.raises(ConfigError, match="local preset needs a base URL"):
        ClientConfig.load(preset="local", environ={"KIS_APPKEY": KEY, "KIS_APPSECRET": SECRET,
                                                   "KIS_ACCOUNT": "12345678-01"})
    with pytest.raises(ConfigError, match="cannot use"):
        ClientConfig.load(preset="real", env="mock", environ={})
    with pytest.raises(ConfigError, match="cannot read"):
        ClientConfig.load(yaml_path=tmp_path / "nope.yaml", environ={})
    with pytest.raises(ConfigError):
        ClientConfig.load(environ={"KIS_ENV": "paper"})


def test_every_reason_is_classified() -> None:
    assert set(_REASON_CLASS) == set(Reason)


@pytest.mark.parametrize(("code", "cls"), [
    (Gateway.RATE_LIMIT.value, RateLimited),
    (codes.TOKEN_RATE_LIMIT.code, TokenIssueLimited),
    (Gateway.TOKEN_EXPIRED.value, TokenExpired),
    (Gateway.SERVER_ERROR.value, ServerError),
    (Gateway.NOT_MOCK_TR.value, NotSupported),
    (codes.NOT_IN_MOCK.code, NotSupported),
    (Ops.BAD_FIELD.value, InvalidRequest),
    (BUSINESS[Reason.MARKET_CLOSED].real.code, MarketClosed),
    (BUSINESS[Reason.AFTER_CLOSE].mock.code, MarketClosed),
    (BUSINESS[Reason.NON_TRADING_DAY].mock.code, MarketClosed),
    (BUSINESS[Reason.NOTHING_LEFT].mock.code, NothingToReviseOrCancel),
    (BUSINESS[Reason.INSUFFICIENT_CASH].real.code, InsufficientFunds),
    (BUSINESS[Reason.INSUFFICIENT_CASH].mock.code, InsufficientFunds),
    (BUSINESS[Reason.UNKNOWN_SYMBOL].real.code, UnknownSymbol),
    ("ZZZZ9999", OrderRejected),
])
def test_code_table(code: str, cls: type) -> None:
    assert class_for(code) is cls


def test_real_kis_text_identifies_an_invented_code() -> None:
    """localkis invented APBK0344; the real KIS text alone still gives NothingToReviseOrCancel."""
    text = BUSINESS[Reason.NOTHING_LEFT].real.text
    assert class_for("APBK9999", text) is NothingToReviseOrCancel


def test_answer_shapes() -> None:
    oauth = error_from_answer(403, {"error_code": "EGW00133", "error_description": "…"})
    assert isinstance(oauth, TokenIssueLimited) and oauth.http_status == 403
    gw = error_from_answer(500, {"rt_cd": "1", "msg1": "초당 거래건수를 초과하였습니다.", "msg_cd": "EGW00201"})
    assert isinstance(gw, RateLimited) and gw.rt_cd == "1"
    biz = error_from_answer(200, {"rt_cd": "7", "msg_cd": "APBK0952", "msg1": "주문가능금액을 초과 했습니다"})
    assert isinstance(biz, InsufficientFunds) and biz.rt_cd == "7"
    html = error_from_answer(502, None, text="<html>")
    assert isinstance(html, ServerError) and html.msg1 == "<html>"
    assert "[EGW00201]" in str(gw) and "HTTP 500" in str(gw)


def test_nccs_rows_carry_the_exchange_date_with_a_kst_time() -> None:
    """01:00 KST on 26 Nov is 25 Nov in New York: inquire-nccs says ord_dt 20261125, ord_tmd 010000."""
    from datetime import datetime

    from localkis.client.models import KST, Order

    row = {"odno": "0000000001", "ord_dt": "20261125", "ord_tmd": "010000", "ovrs_excg_cd": "NASD"}
    assert Order.from_row(row).ordered_at == datetime(2026, 11, 26, 1, 0, tzinfo=KST)
    row = {**row, "ord_tmd": "230000"}
    assert Order.from_row(row).ordered_at == datetime(2026, 11, 25, 23, 0, tzinfo=KST)
    ccnl = {**row, "dmst_ord_dt": "20261126", "thco_ord_tmd": "003000"}
    assert Order.from_row(ccnl).ordered_at == datetime(2026, 11, 26, 0, 30, tzinfo=KST)
