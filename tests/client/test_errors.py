"""Every error class, raised from a real server's answers (and, for refusals, before sending)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from localkis.client import (
    AuthenticationError,
    ClientConfig,
    Exchange,
    InsufficientFunds,
    InsufficientHoldings,
    InvalidRequest,
    KisClient,
    KisError,
    MarketClosed,
    NetworkError,
    NothingToReviseOrCancel,
    NotSupported,
    OrderNotFound,
    OrderType,
    RateLimited,
    TokenExpired,
    TokenIssueLimited,
    UnknownSymbol,
)
from localkis.protocol import codes
from localkis.protocol.codes import BUSINESS, GATEWAY_TEXT, Gateway
from localkis.protocol.env import Env
from localkis.protocol.exchanges import EXCHANGES
from localkis.protocol.orders import Side
from localkis.protocol.reasons import Reason
from localkis.protocol.trids import tr_for_order
from tests.client.conftest import World
from tests.client.proxy import Action, Proxy
from tests.serverproc import free_port, make_appkey, make_appsecret

ORDER = "/uapi/overseas-stock/v1/trading/order"
RVSECNCL = "/uapi/overseas-stock/v1/trading/order-rvsecncl"
PRICE = "/uapi/overseas-price/v1/quotations/price"


def business(reason: Reason, env: Env) -> codes.Message:
    return BUSINESS[reason].for_env(env)


def expect(err: KisError, message: codes.Message, status: int | None = 200) -> None:
    assert (err.msg_cd, err.msg1, err.http_status) == (message.code, message.text.strip(), status), err


@pytest.mark.parametrize("env", [Env.REAL, Env.MOCK])
def test_nothing_to_revise_or_cancel(main: World, env: Env) -> None:
    kis = main.client(env)
    ack = kis.buy("NASD", "AAPL", 1, "150.00")
    kis.cancel_order(ack.order_no, "NASD", "AAPL")
    with pytest.raises(NothingToReviseOrCancel) as caught:
        kis.cancel_order(ack.order_no, "NASD", "AAPL")
    expect(caught.value, business(Reason.NOTHING_LEFT, env))
    with pytest.raises(NothingToReviseOrCancel):
        kis.revise_order(ack.order_no, "NASD", "AAPL", "151.00")


@pytest.mark.parametrize("env", [Env.REAL, Env.MOCK])
def test_insufficient_funds_and_holdings(main: World, env: Env) -> None:
    (app,) = [a for a in main.poor if a.env is env]  # USD 100.00, no positions
    kis = main.client(app=app)
    with pytest.raises(InsufficientFunds) as caught:
        kis.buy("NASD", "AAPL", 10, "150.00")
    message = business(Reason.INSUFFICIENT_CASH, env)
    expect(caught.value, message)
    assert caught.value.rt_cd == message.rt_cd  # real KIS answers this one with rt_cd "7"
    with pytest.raises(InsufficientHoldings) as held:
        kis.sell("NASD", "AAPL", 1, "250.00")
    expect(held.value, business(Reason.INSUFFICIENT_HOLDINGS, env))
    assert main.admin.orders_of(app.account) == []


def test_unknown_symbol_order_not_found_and_server_side_invalid(main: World) -> None:
    kis = main.client()
    with pytest.raises(UnknownSymbol) as caught:
        kis.buy("NASD", "NOPE", 1, "10.00")
    expect(caught.value, business(Reason.UNKNOWN_SYMBOL, Env.REAL))
    with pytest.raises(OrderNotFound) as missing:
        kis.cancel_order("0009999999", "NASD", "AAPL")
    expect(missing.value, business(Reason.ORIGINAL_NOT_FOUND, Env.REAL))
    ack = kis.buy("NASD", "AAPL", 1, "150.00")
    with pytest.raises(InvalidRequest) as same:
        kis.revise_order(ack.order_no, "NASD", "AAPL", "150.00")
    expect(same.value, business(Reason.SAME_PRICE, Env.REAL))


def test_mock_rejects_auction_order_types(main: World) -> None:
    kis = main.client(Env.MOCK)
    with pytest.raises(InvalidRequest) as caught:
        kis.buy("NASD", "AAPL", 1, "150.00", order_type=OrderType.LOO)
    # refused before sending (status None), with the server's own code and text for it
    expect(caught.value, business(Reason.BAD_ORDER_TYPE, Env.MOCK), status=None)


def test_wrong_environment_is_not_supported(main: World) -> None:
    app = main.app(Env.MOCK)
    kis = KisClient(ClientConfig(**{**main.options(app, None, {}), "env": Env.REAL}))  # real TRs go out
    with pytest.raises(NotSupported) as caught:
        kis.open_orders(Exchange.NASD)
    err = caught.value
    assert (err.msg_cd, err.http_status) == (Gateway.NOT_MOCK_TR.value, 500)
    assert err.msg1 == GATEWAY_TEXT[Gateway.NOT_MOCK_TR]
    kis.close()


def test_bad_credentials(main: World) -> None:
    app = main.app()
    kis = KisClient.local(main.base_url, app.appkey, make_appsecret(), app.account, token_cache_dir=main.token_dir())
    with pytest.raises(AuthenticationError) as caught:
        kis.quote("NASD", "AAPL")
    assert (caught.value.msg_cd, caught.value.http_status) == (codes.TOKEN_BAD_APPSECRET.code, 403)
    assert kis.stats.requests == 0
    kis.close()


def test_token_issue_limit_from_the_server(main: World) -> None:
    """Another program (its own token cache) took this minute's token: EGW00133 reaches the user."""
    app = main.app()
    first = main.client(app=app)
    first.access_token()
    second = main.client(app=app)  # a different cache directory: it cannot know
    with pytest.raises(TokenIssueLimited) as caught:
        second.quote("NASD", "AAPL")
    assert (caught.value.msg_cd, caught.value.http_status) == (codes.TOKEN_RATE_LIMIT.code, 403)
    assert isinstance(caught.value, RateLimited)


def test_rate_limited_after_retries(limited: World) -> None:
    kis = limited.client(Env.MOCK, rate_per_second=0, rate_limit_retries=0)  # no pacing, no retry
    kis.access_token()
    errors: list[RateLimited] = []
    started = time.monotonic()
    for _ in range(5):
        try:
            kis.quote("NASD", "AAPL")
        except RateLimited as exc:
            errors.append(exc)
    assert time.monotonic() - started < 1.0
    assert errors, "5 unpaced calls within a second on a 2/s mock app"
    assert (errors[0].msg_cd, errors[0].http_status) == (Gateway.RATE_LIMIT.value, 500)
    assert errors[0].msg1 == GATEWAY_TEXT[Gateway.RATE_LIMIT]


def test_token_expired_when_reissue_does_not_help(reissuing: World) -> None:
    """The gateway keeps refusing the token: the client re-issues once, then raises TokenExpired."""
    offset = {"seconds": 0.0}

    def clock() -> datetime:
        return datetime.now(UTC) + timedelta(seconds=offset["seconds"])

    reissuing.admin.clock(time=_now_iso())
    with Proxy(reissuing.base_url) as proxy:
        app = reissuing.app()
        kis2 = KisClient(ClientConfig(**reissuing.options(app, proxy.base_url, {})), clock=clock)
        kis2.access_token()
        # a minute later (both clocks), so that KIS's one-token-a-minute rule allows the re-issue
        offset["seconds"] = 61
        reissuing.admin.clock(advance_seconds=61)
        body = (b'{"rt_cd":"1","msg1":"' + GATEWAY_TEXT[Gateway.TOKEN_EXPIRED].encode() + b'","msg_cd":"EGW00123"}')
        proxy.once(lambda s: s.path == PRICE, Action("respond", status=500, body=body), times=2)
        with pytest.raises(TokenExpired) as caught:
            kis2.quote("NASD", "AAPL")
        assert (caught.value.msg_cd, caught.value.http_status) == (Gateway.TOKEN_EXPIRED.value, 500)
        assert len(proxy.requests_to(PRICE)) == 2, "re-issued once, retried once"
        assert len(proxy.requests_to("/oauth2/tokenP")) == 2
        assert kis2.stats.token_reissues == 1
        kis2.close()


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


@pytest.mark.parametrize(("env", "when", "reason"), [
    (Env.REAL, "2026-11-29T12:00:00+09:00", Reason.NON_TRADING_DAY),  # Saturday in New York
    (Env.MOCK, "2026-11-29T12:00:00+09:00", Reason.NON_TRADING_DAY),
    (Env.MOCK, "2026-11-25T20:00:00+09:00", Reason.BEFORE_OPEN),  # 06:00 ET: pre-market, none in mock
    (Env.MOCK, "2026-11-25T12:00:00+09:00", Reason.AFTER_CLOSE),  # Tuesday 22:00 ET
])
def test_market_closed(clocked: World, env: Env, when: str, reason: Reason) -> None:
    clocked.admin.clock(time=when)
    kis = clocked.client(env)
    with pytest.raises(MarketClosed) as caught:
        kis.buy("NASD", "AAPL", 1, "150.00")
    expect(caught.value, business(reason, env))
    clocked.admin.clock(time=_now_iso())


def test_network_error_on_a_refused_connection_is_not_an_unknown_outcome() -> None:
    """Connection refused: nothing was sent, so even an order may be retried; then NetworkError."""
    kis = KisClient.local(f"http://127.0.0.1:{free_port()}", make_appkey(), make_appsecret(), "12345678-01",
                          token_cache_dir=None, retries=1)
    with pytest.raises(NetworkError):
        kis.buy("NASD", "AAPL", 1, "150.00")
    kis.close()


# --------------------------------------------------------------------------------------------------
# refusals before sending: the same answer the server gives for the same request

PARITY = [
    # (label, env, place_order arguments, exception class)
    ("off-tick US price", Env.REAL, dict(exchange="NASD", symbol="AAPL", side="buy", quantity=1, price="150.005"),
     InvalidRequest),
    ("off-tick US price, mock", Env.MOCK,
     dict(exchange="NASD", symbol="AAPL", side="buy", quantity=1, price="150.005"), InvalidRequest),
    ("price under $0.01", Env.REAL, dict(exchange="NASD", symbol="AAPL", side="buy", quantity=1, price="0.0050"),
     InvalidRequest),
    ("Tokyo odd lot", Env.REAL, dict(exchange="TKSE", symbol="7203", side="buy", quantity=150, price="2000"),
     InvalidRequest),
    ("zero quantity", Env.REAL, dict(exchange="NASD", symbol="AAPL", side="buy", quantity=0, price="150.00"),
     InvalidRequest),
    ("Hong Kong tick", Env.REAL, dict(exchange="SEHK", symbol="00700", side="sell", quantity=100, price="480.10"),
     InvalidRequest),
    ("LOC buy in mock (limit only)", Env.MOCK,
     dict(exchange="NASD", symbol="AAPL", side="buy", quantity=1, price="150.00", order_type="34"), InvalidRequest),
    ("MOO on a buy (sell only)", Env.REAL,
     dict(exchange="NASD", symbol="AAPL", side="buy", quantity=1, price="150.00", order_type="31"), InvalidRequest),
    ("symbol over 12 characters", Env.REAL,
     dict(exchange="NASD", symbol="ABCDEFGHIJKLM", side="buy", quantity=1, price="150.00"), InvalidRequest),
]


@pytest.mark.parametrize(("label", "env", "kwargs", "cls"), PARITY, ids=[p[0] for p in PARITY])
def test_order_refused_before_sending_matches_the_server(main: World, label: str, env: Env, kwargs: dict[str, Any],
                                                         cls: type[KisError]) -> None:
    kis = main.client(env)
    with pytest.raises(cls) as caught:
        kis.place_order(**kwargs)
    err = caught.value
    assert err.http_status is None and kis.stats.requests == 0, "refused before sending"
    # the same request, by hand, to the server
    sd = Side.BUY if kwargs["side"] == "buy" else Side.SELL
    ex = Exchange(kwargs["exchange"])
    tr_id = tr_for_order(EXCHANGES[ex].market, sd, env)
    body = {"CANO": kis.config.cano, "ACNT_PRDT_CD": kis.config.product, "OVRS_EXCG_CD": ex.value,
            "PDNO": kwargs["symbol"], "ORD_QTY": str(kwargs["quantity"]), "OVRS_ORD_UNPR": kwargs["price"],
            "SLL_TYPE": "00" if sd is Side.SELL else "", "ORD_SVR_DVSN_CD": "0",
            "ORD_DVSN": kwargs.get("order_type", "00")}
    resp = main.raw(kis, "POST", ORDER, tr_id, body=body)
    answer = resp.json()
    assert (answer["msg_cd"], answer["msg1"].strip()) == (err.msg_cd, err.msg1), label
    assert resp.status_code in (200, 500)


def test_revise_on_cancel_only_market_refused_like_the_server(main: World) -> None:
    kis = main.client()
    with pytest.raises(InvalidRequest) as caught:
        kis.revise_order("0000000001", "SHAA", "600519", "1400.00")
    err = caught.value
    assert err.http_status is None
    expect(err, business(Reason.REVISE_NOT_ALLOWED, Env.REAL), status=None)
    body = {"CANO": kis.config.cano, "ACNT_PRDT_CD": kis.config.product, "OVRS_EXCG_CD": "SHAA", "PDNO": "600519",
            "ORGN_ODNO": "0000000001", "RVSE_CNCL_DVSN_CD": "01", "ORD_QTY": "0", "OVRS_ORD_UNPR": "1400.00"}
    answer = main.raw(kis, "POST", RVSECNCL, "TTTS0302U", body=body).json()
    assert (answer["msg_cd"], answer["msg1"]) == (err.msg_cd, err.msg1)
    assert kis.stats.requests == 0


def test_client_side_type_and_code_checks(main: World) -> None:
    kis = main.client()
    with pytest.raises(TypeError):
        kis.buy("NASD", "AAPL", 1, 150.0)  # type: ignore[arg-type]  # floats are refused
    with pytest.raises(TypeError):
        kis.buy("NASD", "AAPL", True, "150.00")
    with pytest.raises(UnknownSymbol) as caught:
        kis.buy("XXXX", "AAPL", 1, "150.00")
    assert caught.value.http_status is None
    assert kis.buy("NAS", "AAPL", 1, Decimal("150")).order_no  # quote codes are understood
    assert kis.stats.requests == 1
