"""A contest's standings: each account's equity and return, valued in KRW at the fixed balance rates."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from localkis.domain.accounts import Funds
from localkis.protocol.balances import KRW_RATES

# Ledger kinds that bring money into an account (everything else moves it between cash and shares).
FUNDING_KINDS = frozenset({"opening", "deposit"})


@dataclass(frozen=True, slots=True)
class Holding:
    """A position valued for the standings: its currency, size, average and last price."""

    currency: str
    quantity: int
    average_price: Decimal
    last_price: Decimal

    @property
    def profit(self) -> Decimal:
        """Unrealised P/L in the position's currency."""
        return (self.last_price - self.average_price) * self.quantity


@dataclass(frozen=True, slots=True)
class Standing:
    account: str
    equity: Decimal  # KRW: cash (reserved included) plus positions at their last price
    invested: Decimal  # KRW: opening cash and deposits, plus opening positions at their average price
    ret: Decimal  # equity / invested - 1; 0 when nothing was invested


def krw(amount: Decimal, currency: str) -> Decimal:
    return amount * KRW_RATES.get(currency, Decimal(1)) if currency != "KRW" else amount


def standing(account: str, funds: Mapping[str, Funds], holdings: Iterable[Holding],
             ledger: Mapping[tuple[str, str], Decimal], opening_positions: Iterable[Holding]) -> Standing:
    equity = sum((krw(f.cash, c) for c, f in funds.items()), Decimal(0))
    equity += sum((krw(h.last_price * h.quantity, h.currency) for h in holdings), Decimal(0))
    invested = sum((krw(v, c) for (c, kind), v in ledger.items() if kind in FUNDING_KINDS), Decimal(0))
    invested += sum((krw(h.average_price * h.quantity, h.currency) for h in opening_positions), Decimal(0))
    ret = equity / invested - 1 if invested else Decimal(0)
    return Standing(account, equity, invested, ret)


def ranked(standings: Iterable[Standing]) -> list[Standing]:
    """Best return first; ties by account number, so the order is stable."""
    return sorted(standings, key=lambda s: (-s.ret, s.account))
