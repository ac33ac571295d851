"""해외주식 현재체결가 (price, HHDFS00000300) on the wire (PROTOCOL §10)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from localkis.domain.instruments import Instrument
from localkis.protocol import codes
from localkis.protocol.exchanges import EXCHANGES, QUOTE_CODES, QUOTE_PLACES, Exchange
from localkis.protocol.fields import PRICE_QUERY
from localkis.wire.responses import fixed, ok

FIELDS = PRICE_QUERY
KEYS = ("rsym", "zdiv", "base", "pvol", "last", "sign", "diff", "rate", "tvol", "tamt", "ordy")


@dataclass(frozen=True, slots=True)
class PriceQuery:
    quote_code: str  # EXCD: NAS, NYS, AMS, HKS, … (not the order codes)
    symbol: str

    @property
    def exchange(self) -> Exchange | None:
        return QUOTE_CODES.get(self.quote_code)


def decode(fields: Mapping[str, str]) -> PriceQuery:
    return PriceQuery(fields["EXCD"], fields["SYMB"])


def encode(query: PriceQuery) -> dict[str, str]:
    return {"AUTH": "", "EXCD": query.quote_code, "SYMB": query.symbol}


def query_for(exchange: Exchange, symbol: str) -> PriceQuery:
    return PriceQuery(EXCHANGES[exchange].quote_code, symbol)


def render(query: PriceQuery, instrument: Instrument | None, last: Decimal | None, *, base: Decimal | None = None,
           volume: int = 0, amount: Decimal = Decimal(0), previous_volume: int = 0) -> dict[str, object]:
    """`last` is the last print (None: none yet); `base` the previous session's close (None: the configured
    price); `volume`/`amount` the latest session's, `previous_volume` the session's before it.
    KIS answers an unknown EXCD/SYMB with a blank output, not an error."""
    if instrument is None:
        return ok(codes.QUOTE_OK, output=dict.fromkeys(KEYS, ""))
    places = QUOTE_PLACES[EXCHANGES[instrument.exchange].market]
    base = base if base is not None else instrument.price
    price = last if last is not None else base
    diff = price - base
    sign = "2" if diff > 0 else "5" if diff < 0 else "3"
    rate = (diff / base * 100).quantize(Decimal("0.01"))
    return ok(codes.QUOTE_OK, output={
        "rsym": f"D{query.quote_code}{query.symbol}", "zdiv": str(places), "base": fixed(base, places),
        "pvol": str(previous_volume),
        "last": fixed(price, places), "sign": sign, "diff": fixed(abs(diff), places), "rate": f"{rate:f}",
        "tvol": str(volume), "tamt": fixed(amount, 0), "ordy": "매수가능"})
