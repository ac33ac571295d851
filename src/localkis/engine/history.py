"""History files: OHLCV bars from CSV or Parquet, streamed, checked row by row.

Columns: timestamp, exchange, symbol, open, high, low, close, volume (more columns are ignored; an
`amount` column, the traded value, is used when present). One interval per file, `1d` or `1m`, declared
by the caller or detected from the first rows: a file whose first timestamps are all dates (or midnights)
is daily, any other is minute bars.

- Daily rows: the timestamp's calendar date, as written, is the exchange-local session date; a time or
  an offset, if any, is ignored (a daily file stamped "2026-03-09T00:00:00+00:00" means 9 March).
- Minute rows: the timestamp is the minute's start; with an offset it is that instant, without one it is
  UTC, as in tick files. It must fall on a whole minute.
- Exchange: the order code (NASD) or the quote code (NAS). Prices: positive decimals; low ≤ open, close ≤
  high. Volume: a whole number ≥ 0 (blank: 0). Without `amount`, the traded value is taken as volume ×
  (high + low + close) / 3.
- Each instrument's rows must be in time order, without repeats (instruments may interleave).

A bad row raises `HistoryFileError` naming the file, the line (CSV, counting the header as line 1) or row
(Parquet, from 1), the column and the value. `read_bars` is a generator: a large file is read in chunks
and `progress(done, total)` is called as it goes (bytes of a CSV file, rows of a Parquet file).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from itertools import chain
from pathlib import Path
from typing import Any

from localkis.domain.bars import Bar, Interval, day_start
from localkis.domain.hours import local_date
from localkis.protocol.exchanges import QUOTE_CODES, Exchange
from localkis.store.base import Store

HISTORY_COLUMNS = ("timestamp", "exchange", "symbol", "open", "high", "low", "close", "volume")
PARQUET_SUFFIXES = frozenset({".parquet", ".pq"})
DETECT_ROWS = 100  # rows looked at to tell daily from minute bars
PARQUET_BATCH_ROWS = 65_536
CSV_PROGRESS_ROWS = 10_000
_CENT = Decimal("0.01")

Progress = Callable[[int, int], None]


class HistoryFileError(ValueError):
    """A history file that cannot be loaded; the message names the file, row, column and value."""

    def __init__(self, message: str, *, path: Path, line: int | None = None, column: str | None = None,
                 value: object = None) -> None:
        super().__init__(message)
        self.path, self.line, self.column, self.value = path, line, column, value


@dataclass(frozen=True, slots=True)
class HistoryBar:
    exchange: Exchange
    symbol: str
    interval: Interval
    bar: Bar


class _BadValue(ValueError):
    def __init__(self, column: str, value: object, reason: str) -> None:
        super().__init__(reason)
        self.column, self.value = column, value


def _exchange(value: object) -> Exchange:
    code = str(value or "").strip().upper()
    try:
        return Exchange(code)
    except ValueError:
        found = QUOTE_CODES.get(code)
        if found is None:
            raise _BadValue("exchange", value, "is not a KIS exchange code (NASD, NYSE, … or NAS, NYS, …)") from None
        return found


def _timestamp(value: object) -> datetime | date:
    """A datetime (naive or aware) or a date; date-only text becomes a date."""
    if isinstance(value, datetime | date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                return date.fromisoformat(text)
            return datetime.fromisoformat(text)
        except ValueError:
            pass
    raise _BadValue("timestamp", value, "is not an ISO 8601 date or time")


def _is_daily(moment: datetime | date) -> bool:
    if not isinstance(moment, datetime):
        return True
    return (moment.hour, moment.minute, moment.second, moment.microsecond) == (0, 0, 0, 0)


def _price(column: str, value: object) -> Decimal:
    if isinstance(value, Decimal):
        price = value
    elif isinstance(value, int | float | str) and not isinstance(value, bool):
        try:
            price = Decimal(str(value).strip())  # str(float) is the shortest repr: 190.12, not 190.1199…
        except InvalidOperation:
            raise _BadValue(column, value, "is not a number") from None
    else:
        raise _BadValue(column, value, "is not a number")
    if not price.is_finite() or price <= 0:
        raise _BadValue(column, value, "is not a positive number")
    return price


def _whole(value: object) -> int | None:
    """A whole number from text, int, float or Decimal; None if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    number: Decimal
    try:
        number = Decimal(value.strip()) if isinstance(value, str) else Decimal(str(value))
    except (InvalidOperation, TypeError):
        return None
    if not number.is_finite() or number != number.to_integral_value():
        return None
    return int(number)


def _volume(column: str, value: object) -> int:
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0
    if isinstance(value, float) and math.isnan(value):
        return 0
    number = _whole(value) if isinstance(value, int | float | str | Decimal) else None
    if number is None or number < 0:
        raise _BadValue(column, value, "is not a whole number of shares (0 or more)")
    return number


def _amount(value: object) -> Decimal:
    if isinstance(value, Decimal | int | float | str) and not isinstance(value, bool):
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation:
            amount = Decimal(-1)
        if amount.is_finite() and amount >= 0:
            return amount
    raise _BadValue("amount", value, "is not a number (0 or more)")


def _bar(row: Mapping[str, Any], interval: Interval) -> tuple[Exchange, str, Bar]:
    exchange = _exchange(row.get("exchange"))
    symbol = str(row.get("symbol") or "").strip()
    if not symbol:
        raise _BadValue("symbol", row.get("symbol"), "is empty")
    moment = _timestamp(row.get("timestamp"))
    if interval is Interval.DAY:
        day = moment.date() if isinstance(moment, datetime) else moment
        start = day_start(exchange, day)
    else:
        if not isinstance(moment, datetime):
            raise _BadValue("timestamp", row.get("timestamp"), "is a date; a minute bar needs a time")
        aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)  # naive: UTC
        if aware.second or aware.microsecond:
            raise _BadValue("timestamp", row.get("timestamp"), "is not at the start of a minute")
        start = aware.astimezone(UTC)
        day = local_date(exchange, start)
    o, h, lo, c = (_price(name, row.get(name)) for name in ("open", "high", "low", "close"))
    if lo > min(o, c):
        raise _BadValue("low", row.get("low"), f"is above the bar's open or close ({min(o, c)})")
    if h < max(o, c):
        raise _BadValue("high", row.get("high"), f"is below the bar's open or close ({max(o, c)})")
    volume = _volume("volume", row.get("volume"))
    given = row.get("amount")
    if given is not None and not (isinstance(given, str) and not given.strip()):
        amount = _amount(given)
    else:
        amount = (volume * (h + lo + c) / 3).quantize(_CENT)
    return exchange, symbol, Bar(start, day, o, h, lo, c, volume, amount)


def _missing(columns: list[str], path: Path) -> None:
    missing = [c for c in HISTORY_COLUMNS if c not in columns]
    if missing:
        raise HistoryFileError(f"{path}: missing column(s) {', '.join(missing)} "
                               f"(a history file has {', '.join(HISTORY_COLUMNS)})", path=path)


def _csv_rows(path: Path, progress: Progress | None) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) of a CSV file; the header names are matched without case or spaces."""
    try:
        f = path.open("rb")
    except OSError as exc:
        raise HistoryFileError(f"cannot read {path}: {exc.strerror}", path=path) from None
    with f:
        total = path.stat().st_size
        done = 0

        def lines() -> Iterator[str]:
            nonlocal done
            for raw in f:
                done += len(raw)
                yield raw.decode("utf-8-sig" if done == len(raw) else "utf-8")

        reader = csv.reader(lines())
        try:
            header = [name.strip().lower() for name in next(reader, [])]
            _missing(header, path)
            for n, values in enumerate(reader):
                if not values or not any(v.strip() for v in values):
                    continue
                yield reader.line_num, dict(zip(header, values, strict=False))
                if progress is not None and n % CSV_PROGRESS_ROWS == 0:
                    progress(done, total)
        except UnicodeDecodeError as exc:
            raise HistoryFileError(f"{path}, line {reader.line_num + 1}: not UTF-8 text ({exc.reason})",
                                   path=path, line=reader.line_num + 1) from None
        except csv.Error as exc:
            raise HistoryFileError(f"{path}, line {reader.line_num}: not a CSV row ({exc})", path=path,
                                   line=reader.line_num) from None
        if progress is not None:
            progress(total, total)


def _parquet_rows(path: Path, progress: Progress | None) -> Iterator[tuple[int, dict[str, Any]]]:
    """(row number from 1, row) of a Parquet file, read in batches."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except OSError as exc:
        raise HistoryFileError(f"cannot read {path}: {exc}", path=path) from None
    except pa.ArrowInvalid as exc:
        raise HistoryFileError(f"{path}: not a Parquet file: {exc}", path=path) from None
    names = [name.strip().lower() for name in pf.schema_arrow.names]
    _missing(names, path)
    wanted = [pf.schema_arrow.names[names.index(c)] for c in (*HISTORY_COLUMNS, "amount") if c in names]
    total = pf.metadata.num_rows
    n = 0
    for batch in pf.iter_batches(batch_size=PARQUET_BATCH_ROWS, columns=wanted):
        for row in batch.to_pylist():
            n += 1
            yield n, {key.strip().lower(): value for key, value in row.items()}
        if progress is not None:
            progress(n, total)


def detect_interval(timestamps: list[object]) -> Interval:
    """1d when every timestamp is a date or a midnight, else 1m."""
    parsed = [_timestamp(t) for t in timestamps]
    return Interval.DAY if parsed and all(_is_daily(t) for t in parsed) else Interval.MINUTE


def read_bars(path: Path, interval: Interval | None = None, *,
              progress: Progress | None = None) -> Iterator[HistoryBar]:
    """Every bar of a CSV or Parquet history file (by suffix), checked, in file order."""
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        rows: Iterator[tuple[int, Mapping[str, Any]]] = _parquet_rows(path, progress)
        where = "row"
    elif suffix == ".csv":
        rows = _csv_rows(path, progress)
        where = "line"
    else:
        raise HistoryFileError(f"{path}: unknown history file type (use .csv, .parquet or .pq)", path=path)

    def fail(n: int, exc: _BadValue) -> HistoryFileError:
        return HistoryFileError(f"{path}, {where} {n}, column {exc.column}: {exc.value!r} {exc}", path=path,
                                line=n, column=exc.column, value=exc.value)

    if interval is None:
        head = [next(rows, None) for _ in range(DETECT_ROWS)]
        first = [r for r in head if r is not None]
        for n, row in first:
            try:
                _timestamp(row.get("timestamp"))
            except _BadValue as exc:
                raise fail(n, exc) from None
        interval = detect_interval([row.get("timestamp") for _, row in first])
        rows = chain(first, rows)

    last: dict[tuple[Exchange, str], tuple[datetime, int]] = {}
    for n, row in rows:
        try:
            exchange, symbol, bar = _bar(row, interval)
        except _BadValue as exc:
            raise fail(n, exc) from None
        previous = last.get((exchange, symbol))
        if previous is not None and bar.start <= previous[0]:
            raise HistoryFileError(
                f"{path}, {where} {n}, column timestamp: {row.get('timestamp')!r} is not after the previous "
                f"{exchange.value} {symbol} bar ({where} {previous[1]}); each instrument's bars must be in "
                "time order, once each", path=path, line=n, column="timestamp", value=row.get("timestamp"))
        last[(exchange, symbol)] = (bar.start, n)
        yield HistoryBar(exchange, symbol, interval, bar)


def load_into(store: Store, path: Path, interval: Interval | None = None, *,
              progress: Progress | None = None) -> dict[tuple[Exchange, str, Interval], int]:
    """Store every bar of a history file, replacing stored bars of the same instrument, interval and start;
    the number of bars per (exchange, symbol, interval). One transaction: a bad row loads nothing."""
    counts: dict[tuple[Exchange, str, Interval], int] = {}
    with store.transaction() as tx:
        for h in read_bars(path, interval, progress=progress):
            tx.put_bar(h.exchange, h.symbol, h.interval, h.bar)
            k = (h.exchange, h.symbol, h.interval)
            counts[k] = counts.get(k, 0) + 1
    return counts
