"""What the account inquiries share (inquire-balance, inquire-psamount, inquire-present-balance; PROTOCOL §8):
number formats and positions valued at the last price.

Every number travels as a string. Formats (docs/behaviour.md, "Account inquiries"): quantities as
integers, prices with 4 decimals, foreign-currency amounts with 2, KRW amounts with none, rates of return
in percent with 2, exchange rates with 4. Rounding is half-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from localkis.protocol.balances import KRW_RATES
from localkis.protocol.exchanges import EXCHANGES, Exchange

PRICE_PLACES = 4
AMOUNT_PLACES = 2
KRW_PLACES = 0
RATE_PLACES = 2
FX_PLACES = 4
ZERO = Decimal(0)


def num(value: Decimal | int, places: int) -> str:
    """A fixed-decimal string, half-up, never "-0.00"."""
    q = Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if q == 0:
        q = abs(q)
    return f"{q:f}"


def amount(value: Decimal, currency: str | None) -> str:
    """An amount in a foreign currency (2 decimals), or in KRW (`currency` None, no decimals)."""
    return num(value, KRW_PLACES if currency is None else AMOUNT_PLACES)


def rate_of_return(profit: Decimal, cost: Decimal) -> str:
    """Profit as a percentage of cost; "0.00" without cost."""
    return num(profit / cost * 100 if cost else ZERO, RATE_PLACES)


def fx(currency: str) -> str:
    return num(KRW_RATES[currency], FX_PLACES)


def krw(value: Decimal, currency: str) -> Decimal:
    return value * KRW_RATES[currency]


@dataclass(frozen=True, slots=True)
class ValuedPosition:
    """One position as the inquiries show it, valued at the instrument's last price."""

    exchange: Exchange
    symbol: str
    name: str
    quantity: int
    sellable: int  # held − pending sells
    average_price: Decimal
    price: Decimal  # last price (the average price when localkis has no price for the symbol)

    @property
    def currency(self) -> str:
        return EXCHANGES[self.exchange].currency

    @property
    def cost(self) -> Decimal:
        return self.average_price * self.quantity

    @property
    def value(self) -> Decimal:
        return self.price * self.quantity

    @property
    def profit(self) -> Decimal:
        return self.value - self.cost

    @property
    def key(self) -> tuple[str, str]:
        """The paging key of inquire-balance: holdings are listed by exchange code, then symbol."""
        return self.exchange.value, self.symbol
