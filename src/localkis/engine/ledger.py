"""Reads of an account's history: realised P/L, fills as transactions (with settlement dates and
commissions), for the history and P/L inquiries."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import NamedTuple

from localkis.domain import settlement
from localkis.domain.accounts import Holding
from localkis.domain.hours import local_date
from localkis.domain.profit import DayFills, FillRecord, Realised
from localkis.engine.desk import Desk
from localkis.protocol.exchanges import EXCHANGES, Exchange
from localkis.protocol.orders import Side


class SettledAccount(NamedTuple):
    quantities: dict[tuple[Exchange, str], int]  # the settled holding per instrument
    holdings: dict[tuple[Exchange, str], Holding]  # today's holdings (average price, pending sells)
    cash: dict[str, Decimal]  # the settled deposit per currency
    bought_today: dict[tuple[Exchange, str], int]
    sold_today: dict[tuple[Exchange, str], int]


def _korean_business_day(day: date) -> bool:
    # No Korean holiday calendar here: Monday to Friday (docs/behaviour.md).
    return day.weekday() < 5


class Ledger:
    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    def realised(self, account: str, date_from: str, date_to: str, exchanges: frozenset[Exchange] | None,
                 symbol: str) -> list[Realised]:
        with self.desk.store.read() as tx:
            return tx.realised_between(account, date_from, date_to, exchanges, symbol)

    def fills(self, account: str, date_from: date, date_to: date) -> list[tuple[FillRecord, date]]:
        """The account's fills whose exchange-local trade date lies in [date_from, date_to], with that date."""
        # Every exchange-local day lies within a day of its UTC day: read a little more, keep what matches.
        since = datetime.combine(date_from - timedelta(days=1), time(0), UTC)
        until = datetime.combine(date_to + timedelta(days=2), time(0), UTC)
        with self.desk.store.read() as tx:
            found = tx.account_fills(account, since, until)
        dated = [(f, local_date(f.exchange, f.at)) for f in found]
        return [(f, d) for f, d in dated if date_from <= d <= date_to]

    def settles(self, exchange: Exchange, trade_date: date) -> date:
        """The local settlement date of a trade (T+1 in the US, per market elsewhere)."""
        hours = self.desk.hours
        local, _korean = settlement.settlement(exchange, trade_date, lambda d: bool(hours.windows(exchange, d)),
                                               _korean_business_day)
        return local

    def fee(self, fill: FillRecord) -> Decimal:
        """The commission of a fill: charged on sells, as in the realised P/L."""
        if fill.side is Side.BUY:
            return Decimal(0)
        return self.desk.settings.fees.commission(fill.exchange, fill.price * fill.quantity)

    def settled(self, account: str, base: date, now: datetime) -> SettledAccount:
        """The account as of the trades settled by `base`: today's positions and cash with every fill
        that settles after `base` taken back out (a buy's shares and cost, a sell's shares and proceeds)."""
        snap = self.desk.snapshot(account)
        today = now.date()
        # Nothing traded more than ten days before the earlier of `base` and today is still unsettled.
        fills = self.fills(account, min(base, today) - timedelta(days=10), today + timedelta(days=1))
        quantities = {(e, s): h.position.quantity for e, s, h in snap.holdings}
        cash = {c: f.cash for c, f in snap.funds.items()}
        bought: dict[tuple[Exchange, str], int] = {}
        sold: dict[tuple[Exchange, str], int] = {}
        for fill, day in fills:
            key = (fill.exchange, fill.symbol)
            if day == local_date(fill.exchange, now):
                counter = bought if fill.side is Side.BUY else sold
                counter[key] = counter.get(key, 0) + fill.quantity
            if self.settles(fill.exchange, day) <= base:
                continue
            sign = 1 if fill.side is Side.BUY else -1
            currency = EXCHANGES[fill.exchange].currency
            quantities[key] = quantities.get(key, 0) - sign * fill.quantity
            cash[currency] = cash.get(currency, Decimal(0)) + sign * fill.price * fill.quantity
        held = {(e, s): h for e, s, h in snap.holdings}
        return SettledAccount(quantities, held, cash, bought, sold)

    def realised_today(self, account: str, now: datetime) -> list[Realised]:
        """Sell results of each market's current local day."""
        day = now.date()
        found = self.realised(account, f"{day - timedelta(days=1):%Y%m%d}", f"{day + timedelta(days=1):%Y%m%d}",
                              None, "")
        return [r for r in found if r.trade_date == f"{local_date(r.exchange, now):%Y%m%d}"]

    def fills_today(self, account: str, now: datetime) -> dict[tuple[Exchange, str], DayFills]:
        """Each instrument's fills of its market's current local day."""
        day = now.date()
        out: dict[tuple[Exchange, str], DayFills] = {}
        for fill, trade_date in self.fills(account, day - timedelta(days=1), day + timedelta(days=1)):
            if trade_date != local_date(fill.exchange, now):
                continue
            key = (fill.exchange, fill.symbol)
            d = out.get(key, DayFills())
            amount = fill.price * fill.quantity
            out[key] = (d._replace(bought=d.bought + fill.quantity, bought_amount=d.bought_amount + amount)
                        if fill.side is Side.BUY else
                        d._replace(sold=d.sold + fill.quantity, sold_amount=d.sold_amount + amount))
        return out

    def name(self, exchange: Exchange, symbol: str) -> str:
        instrument = self.desk.instruments.get((exchange, symbol))
        return instrument.name if instrument is not None else symbol
