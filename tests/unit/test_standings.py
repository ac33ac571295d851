"""The contest standings: equity and return in KRW at the fixed balance rates, best return first."""

from __future__ import annotations

from decimal import Decimal as D

from localkis.domain.accounts import Funds
from localkis.domain.standings import Holding, Standing, ranked, standing
from localkis.protocol.balances import KRW_RATES


def test_equity_is_cash_with_reserved_plus_positions_at_last_and_return_is_against_money_brought_in() -> None:
    funds = {"USD": Funds(D("900.00"), D("100.00")), "JPY": Funds(D("1000"), D(0))}
    held = [Holding("USD", 2, D("50.00"), D("60.00"))]
    ledger = {("USD", "opening"): D("1000.00"), ("USD", "buy"): D("-100.00"), ("JPY", "deposit"): D("1000")}
    s = standing("1-01", funds, held, ledger, opening_positions=[Holding("USD", 1, D("40.00"), D("40.00"))])
    usd, jpy = KRW_RATES["USD"], KRW_RATES["JPY"]
    assert s.equity == D("900.00") * usd + D(1000) * jpy + D("120.00") * usd
    assert s.invested == D("1000.00") * usd + D(1000) * jpy + D("40.00") * usd
    assert s.ret == s.equity / s.invested - 1
    assert held[0].profit == D("20.00")


def test_an_account_with_nothing_brought_in_has_a_zero_return_and_ties_rank_by_number() -> None:
    assert standing("9-01", {}, [], {}, []).ret == 0
    a, b, c = Standing("2-01", D(1), D(1), D("0.1")), Standing("1-01", D(1), D(1), D("0.1")), \
        Standing("3-01", D(1), D(1), D("0.2"))
    assert [s.account for s in ranked([a, b, c])] == ["3-01", "1-01", "2-01"]
