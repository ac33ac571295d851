"""Price sources: ticks `(exchange, symbol, price, size, at)` from a seeded random walk or a tick file.

- `RandomWalk` — one independent, seeded random-number stream per instrument, so an instrument's path
  depends only on the seed, its own key and the prices it is fed (adding an instrument changes no
  other's path). Each step moves the price by a whole number of ticks of the exchange's tick table;
  prices are always on tick and positive. `RandomWalkRunner` drives it on the server clock.
- `read_ticks` — a CSV or Parquet file with the columns timestamp, exchange, symbol, price, size;
  `Pacer` spaces them out at a speed factor (1×, 60×, … or None: as fast as possible).

The sources only produce ticks; what a tick does (fills) is the fill engine's business.
"""

from __future__ import annotations

import asyncio
import csv
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from localkis.domain import markets
from localkis.domain.hours import local_date
from localkis.protocol.exchanges import EXCHANGES, Exchange, Market

log = logging.getLogger("localkis.engine")

TICK_COLUMNS = ("timestamp", "exchange", "symbol", "price", "size")
PARQUET_SUFFIXES = frozenset({".parquet", ".pq"})


@dataclass(frozen=True, slots=True)
class Tick:
    """A trade print: `size` shares (None: unlimited) traded at `price` at instant `at`."""

    exchange: Exchange
    symbol: str
    price: Decimal
    size: int | None
    at: datetime


# --- random walk -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WalkSpec:
    """One instrument of a random walk; `volatility` is the standard deviation of one step's return."""

    exchange: Exchange
    symbol: str
    volatility: float
    topix500: bool = False


def min_price(exchange: Exchange, *, topix500: bool = False, on: date | None = None) -> Decimal:
    """The lowest price an order can carry on `exchange` (US: $0.01; elsewhere one tick)."""
    tick = markets.tick_size(exchange, Decimal(0), topix500=topix500, on=on)
    if EXCHANGES[exchange].market is Market.US:
        return max(tick, markets.US_MIN_PRICE)
    return tick


def snap_to_tick(exchange: Exchange, price: Decimal, *, topix500: bool = False, on: date | None = None) -> Decimal:
    """`price` moved down onto the tick grid (at least the exchange's minimum price)."""
    floor = min_price(exchange, topix500=topix500, on=on)
    value = max(price, floor)
    for _ in range(4):  # a band edge can change the tick once or twice; the grid is reached quickly
        tick = markets.tick_size(exchange, value, topix500=topix500, on=on)
        snapped = max((value / tick).to_integral_value(rounding=ROUND_FLOOR) * tick, floor)
        if snapped == value and value % tick == 0:
            return snapped.quantize(tick)
        value = snapped
    raise AssertionError(f"no on-tick price near {price} on {exchange.value}")  # pragma: no cover


class RandomWalk:
    """A reproducible geometric random walk in whole ticks, one seeded stream per instrument."""

    def __init__(self, specs: Iterable[WalkSpec], *, seed: int, size: int | None = None) -> None:
        self.specs: dict[tuple[Exchange, str], WalkSpec] = {(s.exchange, s.symbol): s for s in specs}
        self.seed = seed
        self.size = size
        # A string seed is hashed with SHA-512 by `random`: stable across runs and PYTHONHASHSEED.
        self._rngs = {key: random.Random(f"localkis-walk:{seed}:{key[0].value}:{key[1]}") for key in self.specs}

    @property
    def keys(self) -> list[tuple[Exchange, str]]:
        return list(self.specs)

    def next_price(self, exchange: Exchange, symbol: str, current: Decimal, *, on: date | None = None) -> Decimal:
        """The instrument's next price from `current`: a N(0, volatility) return, rounded to whole ticks."""
        spec = self.specs[(exchange, symbol)]
        r = self._rngs[(exchange, symbol)].gauss(0.0, spec.volatility)
        tick = markets.tick_size(exchange, current, topix500=spec.topix500, on=on)
        moves = round(float(current) * r / float(tick))
        return snap_to_tick(exchange, current + moves * tick, topix500=spec.topix500, on=on)

    def step(self, prices: Mapping[tuple[Exchange, str], Decimal], at: datetime) -> list[Tick]:
        """One tick per instrument (in spec order), each from its price in `prices`."""
        ticks: list[Tick] = []
        for exchange, symbol in self.specs:
            price = self.next_price(exchange, symbol, prices[(exchange, symbol)], on=local_date(exchange, at))
            ticks.append(Tick(exchange, symbol, price, self.size, at))
        return ticks

    def path(self, exchange: Exchange, symbol: str, start: Decimal, steps: int,
             on: date | None = None) -> list[Decimal]:
        """`steps` successive prices from `start` (the walk fed its own output)."""
        out: list[Decimal] = []
        price = start
        for _ in range(steps):
            price = self.next_price(exchange, symbol, price, on=on)
            out.append(price)
        return out


class RandomWalkRunner:
    """Runs a `RandomWalk` on a clock: every `interval` seconds of clock time, one tick per instrument.

    Time is the server clock, not the wall clock: a frozen clock stops the walk, `clock advance 60`
    with a 1 s interval runs 60 steps (at most `max_catch_up` at once; a bigger jump skips the older
    steps, with a warning), and a clock set backwards restarts the schedule from the new time.
    Each step starts from the instrument's current price (`price_of`), so a manual price or a replay
    moves the walk too.
    """

    def __init__(self, walk: RandomWalk, *, interval: float, now: Callable[[], datetime],
                 price_of: Callable[[Exchange, str], Awaitable[Decimal | None]],
                 trade: Callable[[Tick], Awaitable[object]], max_catch_up: int = 1000) -> None:
        self.walk = walk
        self.interval = timedelta(seconds=interval)
        self.now = now
        self.price_of = price_of
        self.trade = trade
        self.max_catch_up = max_catch_up
        self.next_at = now() + self.interval
        self.steps = 0

    async def catch_up(self) -> int:
        """Run every step that is due by the clock; the number run."""
        now = self.now()
        if now < self.next_at - self.interval:  # the clock went back: start again from here
            self.next_at = now + self.interval
        due = 0 if now < self.next_at else int((now - self.next_at) / self.interval) + 1
        if due > self.max_catch_up:
            log.warning("random walk: the clock jumped %d steps ahead; running the last %d", due,
                        self.max_catch_up)
            self.next_at += self.interval * (due - self.max_catch_up)
            due = self.max_catch_up
        for _ in range(due):
            at = self.next_at
            for exchange, symbol in self.walk.keys:
                current = await self.price_of(exchange, symbol)
                if current is None:
                    continue
                price = self.walk.next_price(exchange, symbol, current, on=local_date(exchange, at))
                await self.trade(Tick(exchange, symbol, price, self.walk.size, at))
                await asyncio.sleep(0)  # let requests in between ticks
            self.next_at += self.interval
            self.steps += 1
        return due

    async def run(self, poll: float = 0.25, retry_after: float = 5.0) -> None:
        """Forever (until cancelled): run due steps, then sleep until the next is due (≤ `poll` s).
        A failed step (a store error) is logged and retried after `retry_after` seconds."""
        while True:
            try:
                await self.catch_up()
            except asyncio.CancelledError:
                raise
            except Exception:  # a store error must not end the walk for good
                log.exception("random walk step failed; retrying in %gs", retry_after)
                await asyncio.sleep(retry_after)
                continue
            wait = (self.next_at - self.now()).total_seconds()
            await asyncio.sleep(min(max(wait, 0.01), poll))


# --- tick files --------------------------------------------------------------------------------------


class TickFileError(ValueError):
    """A tick file that cannot be used; the message names the file and row, for a person."""


def _timestamp(value: object) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        moment = datetime.fromisoformat(value.strip())
    else:
        raise ValueError(f"timestamp {value!r} is not an ISO 8601 time")
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)  # naive: UTC


def _price(value: object) -> Decimal:
    if isinstance(value, Decimal):
        price = value
    elif isinstance(value, bool):
        raise ValueError(f"price {value!r} is not a number")
    elif isinstance(value, int | float | str):
        try:
            price = Decimal(str(value).strip())  # str(float) is the shortest repr: 190.12, not 190.1199…
        except InvalidOperation:
            raise ValueError(f"price {value!r} is not a number") from None
    else:
        raise ValueError(f"price {value!r} is not a number")
    if not price.is_finite() or price <= 0:
        raise ValueError(f"price {value!r} must be a positive number")
    return price


def _size(value: object) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"size {value!r} must be a positive integer (or empty: unlimited)")
    return value


def tick_from_row(row: Mapping[str, Any]) -> Tick:
    """A tick from one row (ValueError says which field is wrong)."""
    code = str(row.get("exchange") or "").strip()
    try:
        exchange = Exchange(code)
    except ValueError:
        raise ValueError(f"unknown exchange {code!r}") from None
    symbol = str(row.get("symbol") or "").strip()
    if not symbol:
        raise ValueError("symbol is empty")
    return Tick(exchange, symbol, _price(row.get("price")), _size(row.get("size")), _timestamp(row.get("timestamp")))


def _checked(rows: Iterable[Mapping[str, Any]], source: str, first_row: int) -> list[Tick]:
    ticks: list[Tick] = []
    for n, row in enumerate(rows, start=first_row):
        try:
            tick = tick_from_row(row)
        except ValueError as exc:
            raise TickFileError(f"{source}, row {n}: {exc}") from None
        if ticks and tick.at < ticks[-1].at:
            raise TickFileError(f"{source}, row {n}: timestamp {tick.at.isoformat()} is earlier than the row "
                                "before; ticks must be in time order")
        ticks.append(tick)
    return ticks


def _missing(columns: Sequence[str], source: str) -> None:
    missing = [c for c in TICK_COLUMNS if c not in columns]
    if missing:
        raise TickFileError(f"{source}: missing column(s) {', '.join(missing)} "
                            f"(a tick file has {', '.join(TICK_COLUMNS)})")


def read_ticks_csv(path: Path) -> list[Tick]:
    try:
        with path.open(newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            _missing(reader.fieldnames or [], str(path))
            return _checked(reader, str(path), first_row=2)  # row 1 is the header
    except OSError as exc:
        raise TickFileError(f"cannot read {path}: {exc.strerror}") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise TickFileError(f"{path}: not a UTF-8 CSV file: {exc}") from None


def read_ticks_parquet(path: Path) -> list[Tick]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
        _missing(schema.names, str(path))
        table = pq.read_table(path, columns=list(TICK_COLUMNS))
    except OSError as exc:
        raise TickFileError(f"cannot read {path}: {exc}") from None
    except pa.ArrowInvalid as exc:
        raise TickFileError(f"{path}: not a Parquet file: {exc}") from None
    return _checked(table.to_pylist(), str(path), first_row=1)


def read_ticks(path: Path) -> list[Tick]:
    """Every tick of a CSV or Parquet file (by suffix), checked and in time order."""
    if path.suffix.lower() in PARQUET_SUFFIXES:
        return read_ticks_parquet(path)
    if path.suffix.lower() == ".csv":
        return read_ticks_csv(path)
    raise TickFileError(f"{path}: unknown tick file type (use .csv, .parquet or .pq)")


def write_ticks_csv(path: Path, ticks: Iterable[Tick]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(TICK_COLUMNS)
        for t in ticks:
            writer.writerow([t.at.isoformat(), t.exchange.value, t.symbol, str(t.price),
                             "" if t.size is None else t.size])


def write_ticks_parquet(path: Path, ticks: Iterable[Tick]) -> None:
    """Prices as strings (exact decimals), timestamps as UTC microseconds."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = list(ticks)
    table = pa.table({
        "timestamp": pa.array([t.at.astimezone(UTC) for t in rows], type=pa.timestamp("us", tz="UTC")),
        "exchange": pa.array([t.exchange.value for t in rows], type=pa.string()),
        "symbol": pa.array([t.symbol for t in rows], type=pa.string()),
        "price": pa.array([str(t.price) for t in rows], type=pa.string()),
        "size": pa.array([t.size for t in rows], type=pa.int64()),
    })
    pq.write_table(table, path)


# --- pacing ------------------------------------------------------------------------------------------


class Pacer:
    """Spaces ticks out in wall time: tick i is due `(at_i - at_0) / speed` seconds after the start.

    `speed` None replays as fast as possible. Pacing is against the start, so slow sends do not add
    up: a replay that falls behind catches up without sleeping.
    """

    def __init__(self, speed: float | None, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if speed is not None and speed <= 0:
            raise ValueError("speed must be positive (or None: as fast as possible)")
        self.speed = speed
        self.clock = clock
        self.sleep = sleep
        self._origin: tuple[datetime, float] | None = None

    def delay(self, at: datetime) -> float:
        """Seconds to wait before a tick stamped `at` is due (0 if due)."""
        if self.speed is None:
            return 0.0
        if self._origin is None:
            self._origin = (at, self.clock())
        first, started = self._origin
        due = started + (at - first).total_seconds() / self.speed
        return max(0.0, due - self.clock())

    def wait(self, at: datetime) -> None:
        pause = self.delay(at)
        if pause > 0:
            self.sleep(pause)

    def paced(self, ticks: Iterable[Tick]) -> Iterator[Tick]:
        for tick in ticks:
            self.wait(tick.at)
            yield tick
