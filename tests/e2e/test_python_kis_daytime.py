"""python-kis 2.1.6's US daytime orders against localkis (hours not enforced), unmodified but for the host.

A daytime order (`condition="extended"`) goes to daytime-order (TTTS6036U). Revising or cancelling it the
ordinary way first asks the regular order-rvsecncl, which answers APBK0918 for a daytime order, and
python-kis then falls back to daytime-order-rvsecncl (TTTS6038U) — the path this test walks end to end.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from .conftest import SYMBOL, HttpLog, KisWorld
from .test_python_kis import _assert_odno, _real_kis, kis_base_url  # noqa: F401 (a fixture)

pytestmark = pytest.mark.e2e

DAYTIME_ORDER_PATH = "/uapi/overseas-stock/v1/trading/daytime-order"
DAYTIME_RVSECNCL_PATH = "/uapi/overseas-stock/v1/trading/daytime-order-rvsecncl"
RVSECNCL_PATH = "/uapi/overseas-stock/v1/trading/order-rvsecncl"


def test_python_kis_daytime_order_and_revise_fallback(world: KisWorld, kis_base_url: str,  # noqa: F811
                                                      http_log: HttpLog) -> None:
    kis = _real_kis(world)
    try:
        account = kis.account()
        order = account.buy("NASDAQ", SYMBOL, price=Decimal("150.00"), qty=2, condition="extended")
        _assert_odno(order.number)
        sent = http_log.to(DAYTIME_ORDER_PATH)[-1]
        assert sent.tr_id == "TTTS6036U" and sent.body["ORD_DVSN"] == "00"

        modified = order.modify(price=Decimal("151.00"))
        _assert_odno(modified.number)
        assert int(modified.number) != int(order.number)
        regular = http_log.to(RVSECNCL_PATH)[-1]
        assert '"APBK0918"' in regular.response_text  # the regular endpoint refused: a daytime order
        sent = http_log.to(DAYTIME_RVSECNCL_PATH)[-1]
        assert sent.tr_id == "TTTS6038U" and sent.body["RVSE_CNCL_DVSN_CD"] == "01"
        assert sent.body["ORGN_ODNO"] == order.number and sent.body["OVRS_ORD_UNPR"] == "151.0000"

        row = account.pending_orders(country="US").order(modified)
        assert row is not None and row.unit_price == Decimal("151") and row.qty == 2

        cancelled = modified.cancel()
        _assert_odno(cancelled.number)
        sent = http_log.to(DAYTIME_RVSECNCL_PATH)[-1]
        assert sent.body["RVSE_CNCL_DVSN_CD"] == "02" and sent.body["ORGN_ODNO"] == modified.number
        assert len(account.pending_orders(country="US").orders) == 0
    finally:
        kis.close()


PROFIT_PATH = "/uapi/overseas-stock/v1/trading/inquire-period-profit"


def test_python_kis_profits(world: KisWorld, kis_base_url: str, http_log: HttpLog) -> None:  # noqa: F811
    """account.profits(country="US") reads inquire-period-profit (TTTS3039R) with its cursors; a buy and
    a sell filled through the admin API show as one row, at the average cost."""
    import httpx

    admin = httpx.Client(base_url=world.base_url, headers={"Authorization": f"Bearer {world.server.admin_token}"})
    kis = _real_kis(world)
    try:
        account = kis.account()
        for order, qty, price in (("buy", 4, "100.00"), ("sell", 2, "120.00")):
            placed = getattr(account, order)("NASDAQ", SYMBOL, price=Decimal(price), qty=qty)
            resp = admin.post("/localkis/admin/fills", json={"odno": placed.number, "quantity": qty, "price": price})
            assert resp.status_code == 200, resp.text
        today = date.today()
        profits = account.profits(start=today - timedelta(days=3), end=today + timedelta(days=1), country="US")
        assert http_log.to(PROFIT_PATH)[-1].tr_id == "TTTS3039R"
        (row,) = profits.orders
        assert row.symbol == SYMBOL and row.quantity == 2 and row.sell_price == Decimal(120)
        assert row.sell_amount == Decimal(240) and row.buy_price > 0
    finally:
        kis.close()
        admin.close()
