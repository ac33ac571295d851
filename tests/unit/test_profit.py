"""Realised P/L (domain/profit.py): average cost, commission rounding, per-day lines."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from localkis.domain import profit
from localkis.domain.accounts import EMPTY_POSITION
from localkis.domain.profit import DEFAULT_FEES, FeeSchedule
from localkis.protocol.exchanges import Exchange, Market

AT = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def test_hand_computation() -> None:
    position = EMPTY_POSITION.after_buy(10, Decimal(100)).after_buy(10, Decimal(110))
    r = profit.realise("1-01", Exchange.NASD, "AAPL", position, 15, Decimal(120), DEFAULT_FEES, trade_date="20261124",
                       order_no="1", at=AT)
    assert (r.buy_cost, r.sell_amount, r.fee, r.profit) == (Decimal(1575), Decimal(1800), Decimal("4.50"),
                                                            Decimal("220.50"))


def test_commission_rounds_per_currency() -> None:
    assert DEFAULT_FEES.commission(Exchange.NASD, Decimal("333.33")) == Decimal("0.83")  # 0.833325
    assert DEFAULT_FEES.commission(Exchange.TKSE, Decimal("250050")) == Decimal("750")  # 750.15 yen
    assert FeeSchedule({Market.US: Decimal(0)}).commission(Exchange.NASD, Decimal(1000)) == 0


def test_lines_sum_per_day_and_symbol() -> None:
    def rec(day: str, symbol: str, qty: int) -> profit.Realised:
        return profit.Realised("1-01", Exchange.NASD, symbol, day, qty, Decimal(qty), Decimal(2 * qty), Decimal(0),
                               "1", AT)

    got = profit.lines([rec("20261124", "AAPL", 1), rec("20261125", "AAPL", 2), rec("20261124", "AAPL", 3),
                        rec("20261124", "MSFT", 4)])
    assert [(x.trade_date, x.symbol, x.quantity, x.profit) for x in got] == [
        ("20261125", "AAPL", 2, Decimal(2)), ("20261124", "AAPL", 4, Decimal(4)), ("20261124", "MSFT", 4, Decimal(4))]
