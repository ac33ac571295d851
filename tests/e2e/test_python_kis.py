"""python-kis 2.1.6 against a real localkis server, with only the KIS host redirected.

python-kis joins every request path onto `pykis.kis.REAL_DOMAIN` / `pykis.kis.VIRTUAL_DOMAIN`
(module constants imported from `pykis.__env__`), so those two names are patched to the server's
base URL. The websocket client is switched off (`use_websocket=False`); nothing else is changed.

Scenario (real app, then mock app): token -> US limit buy -> pending list -> revise -> cancel ->
pending list empty; plus: the replaced and the cancelled order can no longer be cancelled.
The same scenario runs once more against a server with KIS's rate/token limits switched on.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pykis.__env__
import pykis.kis
import pytest
from pykis import KisAccessToken, KisAPIError, PyKis
from pykis.utils.timezone import TIMEZONE

from .conftest import BRANCH_CODE, SYMBOL, HttpLog, KisWorld

pytestmark = pytest.mark.e2e

ORDER_PATH = "/uapi/overseas-stock/v1/trading/order"
RVSECNCL_PATH = "/uapi/overseas-stock/v1/trading/order-rvsecncl"
NCCS_PATH = "/uapi/overseas-stock/v1/trading/inquire-nccs"
TOKEN_PATH = "/oauth2/tokenP"


def _point_pykis_at(monkeypatch: pytest.MonkeyPatch, base_url: str) -> None:
    monkeypatch.setattr(pykis.kis, "REAL_DOMAIN", base_url)
    monkeypatch.setattr(pykis.kis, "VIRTUAL_DOMAIN", base_url)
    monkeypatch.setattr(pykis.__env__, "REAL_DOMAIN", base_url)
    monkeypatch.setattr(pykis.__env__, "VIRTUAL_DOMAIN", base_url)


@pytest.fixture
def kis_base_url(world: KisWorld, http_log: HttpLog, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Point python-kis's REST domains at the local server (its websocket stays switched off)."""
    _point_pykis_at(monkeypatch, world.base_url)
    yield world.base_url


@pytest.fixture(scope="module")
def token_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """python-kis `keep_token` directory shared by the tests of the rate-limited server."""
    return tmp_path_factory.mktemp("pykis-tokens")


def _real_kis(world: KisWorld, keep_token: Path | bool = False) -> PyKis:
    return PyKis(
        id="localkis-e2e",
        account=world.real_account,
        appkey=world.real.appkey,
        secretkey=world.real.appsecret,
        use_websocket=False,
        keep_token=keep_token,
    )


def _virtual_kis(world: KisWorld, keep_token: Path | bool = False) -> PyKis:
    # python-kis needs the real app too: quotes and product info always go to the real domain.
    return PyKis(
        id="localkis-e2e",
        account=world.mock_account,
        appkey=world.real.appkey,
        secretkey=world.real.appsecret,
        virtual_id="localkis-e2e",
        virtual_appkey=world.mock.appkey,
        virtual_secretkey=world.mock.appsecret,
        use_websocket=False,
        keep_token=keep_token,
    )


def _assert_odno(number: str) -> None:
    assert isinstance(number, str)
    assert number.isdigit(), f"ODNO must be digits only, got {number!r}"
    assert len(number) == 10, f"ODNO must be 10 digits (zero padded), got {number!r}"
    assert int(number) > 0


def _assert_token(token: KisAccessToken) -> None:
    assert token.token, "empty access_token"
    assert token.type == "Bearer"
    assert token.validity_period > 0
    now = datetime.now(TIMEZONE)
    # python-kis re-issues the token whenever fewer than 10 minutes remain; a fresh token lives ~24 h
    expiry = token.expired_at
    assert expiry > now + timedelta(hours=1), f"token expires too soon: {expiry} (now {now})"
    assert expiry < now + timedelta(hours=25), f"token expiry too far: {expiry} (now {now})"


def _scenario(kis: PyKis, http_log: HttpLog, *, virtual: bool, limited: bool = False) -> None:
    account = kis.account()

    # -- 1. token (python-kis issues it lazily; force it now and check what it parsed)
    token = kis.primary_token if virtual else kis.token
    _assert_token(token)

    # -- 2. US limit buy: 3 x AAPL @ 150.00 (well below the 190.00 last price, so it stays unfilled)
    order = account.buy("NASDAQ", SYMBOL, price=Decimal("150.00"), qty=3)
    _assert_odno(order.number)
    assert order.branch == BRANCH_CODE
    assert order.symbol == SYMBOL and order.market == "NASDAQ"
    sent = http_log.to(ORDER_PATH)[-1]
    assert sent.tr_id == ("VTTT1002U" if virtual else "TTTT1002U")
    assert sent.body["OVRS_ORD_UNPR"] == "150.0000" and sent.body["ORD_QTY"] == "3"

    # -- 3. the order is in the unfilled list with the right quantity and price
    pending = account.pending_orders(country="US")
    row = pending.order(order)
    assert row is not None, f"order {order.number} not in pending list: {[o.number for o in pending.orders]}"
    assert row.type == "buy"
    assert row.symbol == SYMBOL and row.market == "NASDAQ"
    assert row.qty == 3
    assert row.executed_qty == 0
    assert row.pending_qty == 3
    assert row.orderable_qty == 3  # nccs_qty
    assert row.unit_price == Decimal("150")
    assert not row.rejected
    assert http_log.to(NCCS_PATH)[-1].tr_id == ("VTTS3018R" if virtual else "TTTS3018R")

    # -- 4. revise the price to 151.50: a new order number; the original leaves the list
    modified = order.modify(price=Decimal("151.50"))
    _assert_odno(modified.number)
    assert int(modified.number) != int(order.number)
    sent = http_log.to(RVSECNCL_PATH)[-1]
    assert sent.tr_id == ("VTTT1004U" if virtual else "TTTT1004U")
    assert sent.body["RVSE_CNCL_DVSN_CD"] == "01"
    assert sent.body["ORGN_ODNO"] == order.number
    assert sent.body["ORD_QTY"] == "3" and sent.body["OVRS_ORD_UNPR"] == "151.5000"

    pending = account.pending_orders(country="US")
    assert pending.order(order) is None, "the revised (replaced) original is still listed as unfilled"
    row = pending.order(modified)
    assert row is not None, f"revised order {modified.number} not in pending list"
    assert row.qty == 3 and row.pending_qty == 3
    assert row.unit_price == Decimal("151.5")
    assert int(row.__data__["orgn_odno"]) == int(order.number), "revised order must point at its original"
    assert len(pending.orders) == 1

    # -- 5. cancel the revised order (python-kis sends ORD_QTY "0", OVRS_ORD_UNPR "0" = all remaining)
    cancelled = modified.cancel()
    _assert_odno(cancelled.number)
    assert int(cancelled.number) not in {int(order.number), int(modified.number)}
    sent = http_log.to(RVSECNCL_PATH)[-1]
    assert sent.body["RVSE_CNCL_DVSN_CD"] == "02" and sent.body["ORD_QTY"] == "0"

    # -- 6. nothing is left unfilled
    pending = account.pending_orders(country="US")
    assert len(pending.orders) == 0, [(o.number, o.qty, o.unit_price) for o in pending.orders]
    assert not modified.pending and not order.pending

    # -- 7. neither the replaced original nor the cancelled order can be cancelled again
    for dead in (order, modified):
        with pytest.raises(KisAPIError) as err:
            dead.cancel()
        assert err.value.rt_cd not in (None, 0)
        assert "정정/취소할 수량이 없습니다" in err.value.msg1, err.value.msg1

    # the token was issued (at most) once per app and then reused
    token_calls = http_log.to(TOKEN_PATH)
    appkeys = [c.body["appkey"] for c in token_calls]
    assert len(appkeys) == len(set(appkeys)), f"tokenP called repeatedly for the same app: {len(token_calls)}"
    # every call got HTTP 200 (business rejections are HTTP 200 with rt_cd "1", PROTOCOL A5); with KIS's
    # limits on, the only other answer allowed is EGW00201 (HTTP 500), which python-kis retries
    unexpected = [c for c in http_log if c.status != 200
                  and not (limited and c.status == 500 and '"EGW00201"' in c.response_text)]
    assert not unexpected, [(c.path, c.status, c.response_text) for c in unexpected]


def test_python_kis_real_order_lifecycle(world: KisWorld, kis_base_url: str, http_log: HttpLog) -> None:
    kis = _real_kis(world)
    try:
        _scenario(kis, http_log, virtual=False)
    finally:
        kis.close()


def test_python_kis_virtual_order_lifecycle(world: KisWorld, kis_base_url: str, http_log: HttpLog) -> None:
    kis = _virtual_kis(world)
    assert kis.virtual
    try:
        _scenario(kis, http_log, virtual=True)
    finally:
        kis.close()
    # orders went out with the mock app's key, quotes/product info (if any) with the real app's key
    for call in http_log:
        if call.path in (ORDER_PATH, RVSECNCL_PATH, NCCS_PATH):
            assert call.headers.get("appkey") == world.mock.appkey


@pytest.mark.parametrize("virtual", [False, True], ids=["real", "virtual"])
def test_python_kis_with_kis_limits(world_limited: KisWorld, http_log: HttpLog, token_dir: Path,
                                    monkeypatch: pytest.MonkeyPatch, virtual: bool) -> None:
    """Same lifecycle with the server's rate limits (20/s real, 2/s mock) and 1-token-per-minute rule on.

    The two runs share python-kis's token cache (`keep_token`), as one bot restarting would, so the
    real app's token is issued once and re-used by the second PyKis instance.
    """
    _point_pykis_at(monkeypatch, world_limited.base_url)
    kis = _virtual_kis(world_limited, token_dir) if virtual else _real_kis(world_limited, token_dir)
    try:
        _scenario(kis, http_log, virtual=virtual, limited=True)
    finally:
        kis.close()
    assert all(c.status == 200 for c in http_log.to(TOKEN_PATH)), "token issuance was refused"
    assert list(token_dir.glob("token_real_*.json")), "python-kis did not cache the real token"
