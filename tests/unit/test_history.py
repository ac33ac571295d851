"""History files (engine/history.py): CSV and Parquet bars, interval detection, errors naming the bad row."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from localkis.domain.bars import Interval
from localkis.engine.history import HistoryFileError, read_bars
from localkis.protocol.exchanges import Exchange

D = Decimal
E = Exchange
HEADER = "timestamp,exchange,symbol,open,high,low,close,volume\n"


def write(tmp_path: Path, text: str, name: str = "bars.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_daily_csv(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER
                 + "2026-03-05,NASD,AAPL,270.00,272.50,269.10,271.20,51000\n"
                 + "2026-03-05,NAS,MSFT,500,505,499,504,1200.0\n"  # quote code, float volume
                 + "2026-03-06T00:00:00+00:00,NASD,AAPL,271.20,273,270,272.00,\n")  # offset ignored, no volume
    got = list(read_bars(path))
    assert [(b.exchange, b.symbol, b.interval) for b in got] == [(E.NASD, "AAPL", Interval.DAY),
                                                                (E.NASD, "MSFT", Interval.DAY),
                                                                (E.NASD, "AAPL", Interval.DAY)]
    first = got[0].bar
    assert (first.day, first.open, first.high, first.low, first.close, first.volume) == (
        date(2026, 3, 5), D("270.00"), D("272.50"), D("269.10"), D("271.20"), 51000)
    assert first.start == datetime(2026, 3, 5, tzinfo=ZoneInfo("America/New_York"))
    assert first.amount == (51000 * (D("272.50") + D("269.10") + D("271.20")) / 3).quantize(D("0.01"))
    assert got[1].bar.volume == 1200
    assert got[2].bar.day == date(2026, 3, 6) and got[2].bar.volume == 0


def test_minute_csv_naive_is_utc(tmp_path: Path) -> None:
    path = write(tmp_path, "Timestamp, Exchange ,symbol,open,high,low,close,volume,amount\n"  # header case/spaces
                 + "2026-03-05 14:30:00,NASD,AAPL,270,270.5,269.9,270.1,100,27012.5\n"
                 + "2026-03-05T09:31:00-05:00,NASD,AAPL,270.1,270.2,270,270.2,50,\n"
                 + "2026-03-06T00:00:00+09:00,TKSE,7203,2890,2895,2888,2890,1000,2890000\n")
    got = list(read_bars(path))
    assert {b.interval for b in got} == {Interval.MINUTE}
    assert got[0].bar.start == datetime(2026, 3, 5, 14, 30, tzinfo=UTC) and got[0].bar.amount == D("27012.5")
    assert got[1].bar.start == datetime(2026, 3, 5, 14, 31, tzinfo=UTC) and got[1].bar.day == date(2026, 3, 5)
    assert got[2].bar.start == datetime(2026, 3, 5, 15, 0, tzinfo=UTC) and got[2].bar.day == date(2026, 3, 6)


def test_declared_interval_wins(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "2026-03-05 00:00:00,NASD,AAPL,1,1,1,1,1\n")
    assert next(read_bars(path)).interval is Interval.DAY
    [minute] = read_bars(path, Interval.MINUTE)
    assert minute.interval is Interval.MINUTE and minute.bar.start == datetime(2026, 3, 5, tzinfo=UTC)
    daily = write(tmp_path, HEADER + "2026-03-05 16:00:00,NASD,AAPL,1,1,1,1,1\n", "close.csv")
    [bar] = read_bars(daily, Interval.DAY)  # a daily file stamped at the close: the date counts
    assert bar.bar.day == date(2026, 3, 5)


ROW = "2026-03-05 14:30:00,NASD,AAPL,270,271,269,270.5,10\n"


@pytest.mark.parametrize(("rows", "line", "column", "words"), [
    ("2026-03-05 14:30:00,NASD,AAPL,270,271,269,12.3x,10\n", 2, "close", "'12.3x' is not a number"),
    ("2026-03-05 14:30:00,NASD,AAPL,270,271,269,-1,10\n", 2, "close", "'-1' is not a positive number"),
    (ROW + "2026-03-05 14:31:00,NASD,AAPL,270,269.5,269,270,10\n", 3, "high", "'269.5' is below"),
    (ROW + "2026-03-05 14:31:00,NASD,AAPL,270,271,270.2,270.5,10\n", 3, "low", "'270.2' is above"),
    (ROW + "2026-03-05 14:31:00,NASX,AAPL,270,271,269,270,10\n", 3, "exchange", "'NASX' is not a KIS exchange"),
    (ROW + "2026-03-05 14:31:00,NASD,,270,271,269,270,10\n", 3, "symbol", "is empty"),
    (ROW + "2026-03-05 14:31:30,NASD,AAPL,270,271,269,270,10\n", 3, "timestamp", "start of a minute"),
    (ROW + "yesterday,NASD,AAPL,270,271,269,270,10\n", 3, "timestamp", "'yesterday' is not an ISO 8601"),
    (ROW + "2026-03-05 14:31:00,NASD,AAPL,270,271,269,270,-5\n", 3, "volume", "'-5' is not a whole number"),
    (ROW + "2026-03-05 14:31:00,NASD,AAPL,270,271,269,270,1.5\n", 3, "volume", "'1.5' is not a whole number"),
    (ROW + ROW, 3, "timestamp", "is not after the previous NASD AAPL bar (line 2)"),
    (ROW + "2026-03-05 14:29:00,NASD,AAPL,270,271,269,270,10\n", 3, "timestamp", "time order"),
])
def test_errors_name_the_bad_row(tmp_path: Path, rows: str, line: int, column: str, words: str) -> None:
    path = write(tmp_path, HEADER + rows)
    with pytest.raises(HistoryFileError) as info:
        list(read_bars(path))
    message = str(info.value)
    assert message.startswith(f"{path}, line {line}, column {column}: "), message
    assert words in message
    assert (info.value.path, info.value.line, info.value.column) == (path, line, column)


def test_a_date_in_a_minute_file(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + ROW + "2026-03-06,NASD,AAPL,1,1,1,1,1\n")
    with pytest.raises(HistoryFileError, match="line 3, column timestamp: '2026-03-06' is a date"):
        list(read_bars(path))


def test_bars_before_the_bad_row_stream_out(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + ROW * 1 + "2026-03-05 14:31:00,NASD,AAPL,270,271,269,bad,10\n")
    bars = read_bars(path, Interval.MINUTE)
    assert next(bars).bar.close == D("270.5")
    with pytest.raises(HistoryFileError, match="line 3"):
        next(bars)


@pytest.mark.parametrize(("name", "content", "words"), [
    ("bars.csv", "timestamp,exchange,symbol,open,close\n", "missing column(s) high, low, volume"),
    ("bars.txt", HEADER, "unknown history file type"),
    ("absent.csv", None, "cannot read"),
])
def test_file_errors(tmp_path: Path, name: str, content: str | None, words: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(HistoryFileError) as info:
        list(read_bars(path))
    assert words in str(info.value) and str(path) in str(info.value)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "bars.csv"
    path.write_bytes(HEADER.encode() + ROW.encode() + b"2026-03-05 14:31:00,NASD,\xff\xfe,1,1,1,1,1\n")
    with pytest.raises(HistoryFileError, match=r"line 3: not UTF-8"):
        list(read_bars(path))


def test_csv_progress_in_bytes(tmp_path: Path) -> None:
    t0 = datetime(2026, 3, 5, 14, 30)
    text = HEADER + "".join(f"{t0 + timedelta(minutes=i):%Y-%m-%d %H:%M:%S},NASD,AAPL,270,271,269,270,1\n"
                            for i in range(25_000))
    path = write(tmp_path, "\ufeff" + text)  # a byte-order mark is tolerated
    calls: list[tuple[int, int]] = []
    assert sum(1 for _ in read_bars(path, progress=lambda done, total: calls.append((done, total)))) == 25_000
    size = path.stat().st_size
    assert calls[-1] == (size, size) and len(calls) >= 3
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


def _parquet(path: Path, rows: Sequence[Mapping[str, object]], schema: pa.Schema) -> None:
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)


def test_parquet(tmp_path: Path) -> None:
    schema = pa.schema([("timestamp", pa.timestamp("us", tz="UTC")), ("exchange", pa.string()),
                        ("symbol", pa.string()), ("open", pa.string()), ("high", pa.string()),
                        ("low", pa.string()), ("close", pa.string()), ("volume", pa.int64()),
                        ("amount", pa.float64())])
    t0 = datetime(2026, 3, 5, 14, 30, tzinfo=UTC)
    rows: list[dict[str, object]] = [
        {"timestamp": t0.replace(minute=30 + i), "exchange": "NASD", "symbol": "AAPL", "open": "270", "high": "271",
         "low": "269", "close": "270.5", "volume": 10 + i, "amount": None} for i in range(5)]
    rows[2]["amount"] = 2705.0
    path = tmp_path / "bars.parquet"
    _parquet(path, rows, schema)
    calls: list[tuple[int, int]] = []
    got = list(read_bars(path, progress=lambda done, total: calls.append((done, total))))
    assert [b.bar.start for b in got] == [r["timestamp"] for r in rows]
    assert {b.interval for b in got} == {Interval.MINUTE}
    assert got[2].bar.amount == D("2705.0") and got[0].bar.volume == 10
    assert calls[-1] == (5, 5)

    rows[3]["low"] = "271.5"
    bad = tmp_path / "bad.pq"
    _parquet(bad, rows, schema)
    with pytest.raises(HistoryFileError, match=r"bad\.pq, row 4, column low: '271\.5' is above"):
        list(read_bars(bad))


def test_parquet_daily_dates_and_decimals(tmp_path: Path) -> None:
    schema = pa.schema([("timestamp", pa.date32()), ("exchange", pa.string()), ("symbol", pa.string()),
                        ("open", pa.decimal128(12, 4)), ("high", pa.decimal128(12, 4)), ("low", pa.decimal128(12, 4)),
                        ("close", pa.decimal128(12, 4)), ("volume", pa.float64())])
    rows = [{"timestamp": date(2026, 3, d), "exchange": "SEHK", "symbol": "00700", "open": D("612.5"),
             "high": D("615"), "low": D("610"), "close": D("613"), "volume": 1000.0} for d in (5, 6)]
    path = tmp_path / "daily.parquet"
    _parquet(path, rows, schema)
    got = list(read_bars(path))
    assert [(b.interval, b.bar.day, b.bar.close, b.bar.volume) for b in got] == [
        (Interval.DAY, date(2026, 3, 5), D("613.0000"), 1000), (Interval.DAY, date(2026, 3, 6), D("613.0000"), 1000)]


def test_not_parquet(tmp_path: Path) -> None:
    path = tmp_path / "bars.parquet"
    path.write_bytes(b"not parquet at all")
    with pytest.raises(HistoryFileError, match="not a Parquet file"):
        list(read_bars(path))
