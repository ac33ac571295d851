"""Price sources: the seeded random walk, its runner on a clock, tick files (CSV, Parquet), pacing, [engine]."""

from __future__ import annotations

import asyncio
import tomllib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from localkis.domain import markets
from localkis.engine.sources import (
    Pacer,
    RandomWalk,
    RandomWalkRunner,
    Tick,
    TickFileError,
    WalkSpec,
    min_price,
    read_ticks,
    snap_to_tick,
    write_ticks_csv,
    write_ticks_parquet,
)
from localkis.protocol.exchanges import Exchange
from localkis.server.config import ConfigError, default_instruments, parse_config
from localkis.server.market import random_walk

D = Decimal
E = Exchange
T0 = datetime(2026, 11, 25, 14, 30, tzinfo=UTC)

# (exchange, symbol, start price, topix500) over every tick table, including prices next to band edges.
WALKERS = [
    (E.NASD, "AAPL", D("270.35"), False),
    (E.NASD, "PENY", D("1.02"), False),  # crosses $1: ticks 0.01 ↔ 0.0001
    (E.SEHK, "00700", D("618.50"), False),
    (E.SEHK, "02800", D("20.04"), False),  # HK band edge at 20
    (E.SEHK, "CHEAP", D("0.26"), False),  # HK bands 0.25 / 0.50
    (E.TKSE, "7203", D("2985.5"), True),  # TOPIX500 edge at 3000 (0.5 ↔ 1)
    (E.TKSE, "9861", D("3005"), False),  # standard edge at 3000 (1 ↔ 5)
    (E.SHAA, "600519", D("1452.30"), False),
    (E.VNSE, "VNM", D("10050"), False),  # HOSE edge at 10,000 (10 ↔ 50)
    (E.HASE, "SHS", D("15300"), False),
]


def walk(seed: int, vol: float = 0.01, walkers: list[tuple[Exchange, str, Decimal, bool]] = WALKERS) -> RandomWalk:
    return RandomWalk([WalkSpec(e, s, vol, t) for e, s, _, t in walkers], seed=seed)


# --- random walk -------------------------------------------------------------------------------------


def test_same_seed_same_path() -> None:
    for e, s, p, _ in WALKERS:
        assert walk(7).path(e, s, p, 300) == walk(7).path(e, s, p, 300)


def test_other_seed_other_path() -> None:
    e, s, p, _ = WALKERS[0]
    assert walk(7).path(e, s, p, 50) != walk(8).path(e, s, p, 50)


def test_an_instrument_path_does_not_depend_on_the_others() -> None:
    e, s, p, _ = WALKERS[2]
    alone = walk(3, walkers=[WALKERS[2]]).path(e, s, p, 100)
    together = walk(3)
    for other_e, other_s, other_p, _ in WALKERS[:2]:
        together.path(other_e, other_s, other_p, 37)  # interleaved draws of other instruments
    assert together.path(e, s, p, 100) == alone


@pytest.mark.parametrize("vol", [0.0005, 0.01, 0.2, 0.9])
def test_prices_on_tick_and_positive(vol: float) -> None:
    for seed in range(3):
        w = walk(seed, vol)
        for e, s, p, topix in WALKERS:
            for price in w.path(e, s, p, 400, on=date(2026, 11, 25)):
                assert price > 0
                assert price >= min_price(e, topix500=topix)
                markets.check_price(e, price, topix500=topix, on=date(2026, 11, 25))  # raises if off tick


def test_zero_volatility_stands_still() -> None:
    w = RandomWalk([WalkSpec(E.NASD, "AAPL", 0.0)], seed=1)
    assert w.path(E.NASD, "AAPL", D("270.35"), 20) == [D("270.35")] * 20


def test_the_walk_moves() -> None:
    path = walk(1).path(E.NASD, "AAPL", D("270.35"), 100)
    assert len(set(path)) > 20


def test_step_gives_one_tick_per_instrument() -> None:
    w = walk(5)
    prices = {(e, s): p for e, s, p, _ in WALKERS}
    ticks = w.step(prices, T0)
    assert [(t.exchange, t.symbol) for t in ticks] == [(e, s) for e, s, _, _ in WALKERS]
    assert all(t.at == T0 and t.size is None for t in ticks)
    again = walk(5).step(prices, T0)
    assert again == ticks


@pytest.mark.parametrize(("exchange", "price", "expected"), [
    (E.NASD, D("190.125"), D("190.12")),
    (E.NASD, D("0.00005"), D("0.01")),  # below the US minimum
    (E.NASD, D("0.51239"), D("0.5123")),
    (E.SEHK, D("10.005"), D("10.00")),
    (E.SEHK, D("-3"), D("0.001")),
    (E.VNSE, D("10049"), D("10000")),
    (E.HASE, D("15350"), D("15300")),
    (E.TKSE, D("3003"), D("3000")),
])
def test_snap_to_tick(exchange: Exchange, price: Decimal, expected: Decimal) -> None:
    assert snap_to_tick(exchange, price, on=date(2026, 11, 25)) == expected


# --- the runner on a clock ---------------------------------------------------------------------------


class FakeMarket:
    def __init__(self, start: datetime) -> None:
        self.now = start
        self.prices: dict[tuple[Exchange, str], Decimal] = {(E.NASD, "AAPL"): D("270.35"),
                                                             (E.SEHK, "00700"): D("618.50")}
        self.ticks: list[Tick] = []

    async def price_of(self, exchange: Exchange, symbol: str) -> Decimal | None:
        return self.prices.get((exchange, symbol))

    async def trade(self, tick: Tick) -> None:
        self.ticks.append(tick)
        self.prices[(tick.exchange, tick.symbol)] = tick.price


def runner(market: FakeMarket, seed: int = 1, max_catch_up: int = 1000) -> RandomWalkRunner:
    w = RandomWalk([WalkSpec(E.NASD, "AAPL", 0.01), WalkSpec(E.SEHK, "00700", 0.01)], seed=seed)
    return RandomWalkRunner(w, interval=1.0, now=lambda: market.now, price_of=market.price_of, trade=market.trade,
                            max_catch_up=max_catch_up)


def test_runner_follows_the_clock() -> None:
    market = FakeMarket(T0)
    r = runner(market)
    assert asyncio.run(r.catch_up()) == 0  # a frozen clock: nothing is due
    market.now += timedelta(seconds=10)
    assert asyncio.run(r.catch_up()) == 10
    assert len(market.ticks) == 20
    assert [t.at for t in market.ticks[::2]] == [T0 + timedelta(seconds=i) for i in range(1, 11)]
    assert asyncio.run(r.catch_up()) == 0
    market.now += timedelta(seconds=2.5)
    assert asyncio.run(r.catch_up()) == 2


def test_runner_is_reproducible() -> None:
    runs = []
    for _ in range(2):
        market = FakeMarket(T0)
        r = runner(market, seed=9)
        market.now += timedelta(seconds=30)
        asyncio.run(r.catch_up())
        runs.append(market.ticks)
    assert runs[0] == runs[1]
    aapl = [t.price for t in runs[0] if t.symbol == "AAPL"]
    assert aapl == RandomWalk([WalkSpec(E.NASD, "AAPL", 0.01)], seed=9).path(E.NASD, "AAPL", D("270.35"), 30)


def test_runner_starts_from_the_current_price() -> None:
    market = FakeMarket(T0)
    r = runner(market)
    market.prices[(E.NASD, "AAPL")] = D("100.00")  # e.g. a manual price
    market.now += timedelta(seconds=1)
    asyncio.run(r.catch_up())
    (aapl,) = [t for t in market.ticks if t.symbol == "AAPL"]
    assert abs(aapl.price - D("100.00")) < D("10")


def test_runner_caps_a_big_jump_and_survives_a_clock_set_back() -> None:
    market = FakeMarket(T0)
    r = runner(market, max_catch_up=5)
    market.now += timedelta(hours=1)
    assert asyncio.run(r.catch_up()) == 5
    assert market.ticks[-1].at == market.now
    market.now -= timedelta(days=1)
    assert asyncio.run(r.catch_up()) == 0
    market.now += timedelta(seconds=3)
    assert asyncio.run(r.catch_up()) == 3


def test_runner_survives_a_failing_step_and_stops_when_cancelled() -> None:
    market = FakeMarket(T0)
    calls = 0

    async def flaky(tick: Tick) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("database unavailable")
        await market.trade(tick)

    w = RandomWalk([WalkSpec(E.NASD, "AAPL", 0.01)], seed=1)
    r = RandomWalkRunner(w, interval=1.0, now=lambda: market.now, price_of=market.price_of, trade=flaky)

    async def scenario() -> None:
        market.now += timedelta(seconds=3)
        task = asyncio.create_task(r.run(poll=0.01, retry_after=0.01))
        for _ in range(300):
            await asyncio.sleep(0.01)
            if r.steps == 3:
                break
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert r.steps == 3
    assert len(market.ticks) == 3


# --- tick files --------------------------------------------------------------------------------------


def sample_path() -> Path:
    return Path(str(resources.files("localkis.data").joinpath("sample_ticks.csv")))


def test_sample_file_is_sound() -> None:
    ticks = read_ticks(sample_path())
    assert 200 <= len(ticks) <= 1000
    known = {(i.exchange, i.symbol): i for i in default_instruments()}
    assert {t.exchange for t in ticks} >= {E.NASD, E.SEHK}
    for t in ticks:
        instrument = known[(t.exchange, t.symbol)]
        markets.check_price(t.exchange, t.price, topix500=instrument.topix500, on=t.at.date())
        assert t.size is None or t.size > 0
    assert [t.at for t in ticks] == sorted(t.at for t in ticks)


def test_csv_and_parquet_give_the_same_ticks(tmp_path: Path) -> None:
    ticks = read_ticks(sample_path())
    write_ticks_parquet(tmp_path / "t.parquet", ticks)
    write_ticks_csv(tmp_path / "t.csv", ticks)
    assert read_ticks(tmp_path / "t.parquet") == ticks
    assert read_ticks(tmp_path / "t.csv") == ticks


def test_parquet_with_numeric_columns(tmp_path: Path) -> None:
    """Prices as float or decimal, a naive timestamp column (taken as UTC), sizes with nulls."""
    table = pa.table({
        "timestamp": pa.array([datetime(2026, 11, 25, 14, 30), datetime(2026, 11, 25, 14, 30, 1)],
                              type=pa.timestamp("ms")),
        "exchange": ["NASD", "SEHK"],
        "symbol": ["AAPL", "00700"],
        "price": pa.array([190.12, 618.5], type=pa.float64()),
        "size": pa.array([100, None], type=pa.int64()),
        "extra": ["ignored", "too"],
    })
    pq.write_table(table, tmp_path / "f.pq")
    assert read_ticks(tmp_path / "f.pq") == [
        Tick(E.NASD, "AAPL", D("190.12"), 100, T0.replace(minute=30)),
        Tick(E.SEHK, "00700", D("618.5"), None, T0 + timedelta(seconds=1)),
    ]
    decimal_table = table.set_column(3, "price", pa.array([D("190.12"), D("618.50")], type=pa.decimal128(10, 2)))
    pq.write_table(decimal_table, tmp_path / "d.parquet")
    assert [t.price for t in read_ticks(tmp_path / "d.parquet")] == [D("190.12"), D("618.50")]


def test_csv_details(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("symbol,price,exchange,size,timestamp,note\n"
                    "AAPL,190.12,NASD,,2026-11-25T23:30:00+09:00,x\n"
                    "AAPL, 190.13 ,NASD,5,2026-11-25T14:30:00Z,y\n", encoding="utf-8")
    assert read_ticks(path) == [Tick(E.NASD, "AAPL", D("190.12"), None, T0),
                                Tick(E.NASD, "AAPL", D("190.13"), 5, T0)]


@pytest.mark.parametrize(("content", "message"), [
    ("timestamp,exchange,symbol,price\n", "missing column(s) size"),
    ("timestamp,exchange,symbol,price,size\n2026-11-25T14:30:00Z,NASD,AAPL,abc,1\n", "row 2: price 'abc'"),
    ("timestamp,exchange,symbol,price,size\n2026-11-25T14:30:00Z,NASD,AAPL,-1,1\n", "row 2: price '-1' must be"),
    ("timestamp,exchange,symbol,price,size\n2026-11-25T14:30:00Z,NASQ,AAPL,1,1\n", "row 2: unknown exchange 'NASQ'"),
    ("timestamp,exchange,symbol,price,size\n2026-11-25T14:30:00Z,NASD,,1,1\n", "row 2: symbol is empty"),
    ("timestamp,exchange,symbol,price,size\n2026-11-25T14:30:00Z,NASD,AAPL,1,0\n", "row 2: size 0"),
    ("timestamp,exchange,symbol,price,size\n2026-11-25T14:30:00Z,NASD,AAPL,1,2.5\n", "row 2: size '2.5'"),
    ("timestamp,exchange,symbol,price,size\nyesterday,NASD,AAPL,1,1\n", "row 2: Invalid isoformat"),
    ("timestamp,exchange,symbol,price,size\n2026-11-25T14:30:01Z,NASD,AAPL,1,1\n"
     "2026-11-25T14:30:00Z,NASD,AAPL,1,1\n", "row 3: timestamp 2026-11-25T14:30:00+00:00 is earlier"),
])
def test_bad_csv_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(TickFileError) as err:
        read_ticks(path)
    assert message in str(err.value)
    assert str(path) in str(err.value)


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(TickFileError, match="unknown tick file type"):
        read_ticks(tmp_path / "ticks.txt")
    with pytest.raises(TickFileError, match="cannot read"):
        read_ticks(tmp_path / "absent.csv")
    (tmp_path / "junk.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(TickFileError, match=r"junk\.parquet"):
        read_ticks(tmp_path / "junk.parquet")


# --- pacing ------------------------------------------------------------------------------------------


class FakeTime:
    def __init__(self) -> None:
        self.t = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds


def test_pacer_speeds() -> None:
    ats = [T0 + timedelta(seconds=s) for s in (0, 60, 60, 180)]
    for speed, expected in ((60.0, [1.0, 2.0]), (1.0, [60.0, 120.0])):
        fake = FakeTime()
        pacer = Pacer(speed, clock=fake.clock, sleep=fake.sleep)
        for at in ats:
            pacer.wait(at)
        assert fake.slept == pytest.approx(expected)
    fake = FakeTime()
    fast = Pacer(None, clock=fake.clock, sleep=fake.sleep)
    assert [t for t in fast.paced(Tick(E.NASD, "AAPL", D(1), None, at) for at in ats)]
    assert fake.slept == []


def test_pacer_does_not_add_up_delays() -> None:
    fake = FakeTime()
    pacer = Pacer(1.0, clock=fake.clock, sleep=fake.sleep)
    pacer.wait(T0)
    fake.t += 5  # sending took 5 s
    pacer.wait(T0 + timedelta(seconds=2))  # already late: no sleep
    pacer.wait(T0 + timedelta(seconds=10))
    assert fake.slept == pytest.approx([5.0])


def test_pacer_rejects_bad_speed() -> None:
    with pytest.raises(ValueError):
        Pacer(0)


# --- [engine] config ---------------------------------------------------------------------------------


def test_engine_defaults_to_manual() -> None:
    config = parse_config("")
    assert config.engine.source == "manual"
    assert config.engine.symbols is None


def test_engine_random_walk_section() -> None:
    config = parse_config("""
[engine]
source = "random_walk"
seed = 42
interval_seconds = 0.5
volatility = 0.002
volatilities = { "NASD:TSLA" = 0.01 }
symbols = ["NASD:AAPL", "NASD:TSLA", "TKSE:7203"]
size = 100
""")
    w = random_walk(config.engine, [(i.exchange, i.symbol, i.topix500) for i in default_instruments()])
    assert w.keys == [(E.NASD, "AAPL"), (E.NASD, "TSLA"), (E.TKSE, "7203")]
    assert [s.volatility for s in w.specs.values()] == [0.002, 0.01, 0.002]
    assert w.specs[(E.TKSE, "7203")].topix500 is True
    assert w.seed == 42 and w.size == 100


def test_engine_walks_every_instrument_by_default() -> None:
    config = parse_config('[engine]\nsource = "random_walk"\n')
    instruments = [(i.exchange, i.symbol, i.topix500) for i in default_instruments()]
    assert len(random_walk(config.engine, instruments).keys) == len(instruments)


@pytest.mark.parametrize(("text", "message"), [
    ('[engine]\nsource = "replay"\n', "engine.source"),
    ('[engine]\nsymbols = ["AAPL"]\n', "write instruments as EXCHANGE:SYMBOL"),
    ('[engine]\nsymbols = ["NASQ:AAPL"]\n', "unknown exchange 'NASQ'"),
    ('[engine]\nsymbols = ["NASD:NOPE"]\n', "[engine] names NASD:NOPE, which is not an instrument"),
    ('[engine]\nvolatilities = { "NASD:AAPL" = 2.0 }\n', "volatility must be between 0 and 1"),
    ('[engine]\ninterval_seconds = 0\n', "engine.interval_seconds"),
    ('[engine]\nvolatility = -1\n', "engine.volatility"),
    ('[engine]\nsize = 0\n', "engine.size"),
    ('[engine]\nspeed = 2\n', "engine.speed: Extra inputs are not permitted"),
])
def test_engine_config_errors(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(text)
    assert message in str(err.value)


def test_docs_example_of_the_engine_section_parses() -> None:
    """The [engine] example in docs/config.md is valid."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "config.md").read_text(encoding="utf-8")
    block = doc[doc.index("```toml\n[engine]") + len("```toml\n"):]
    block = block[:block.index("```")]
    section = tomllib.loads(block)
    assert parse_config(block).engine.source == section["engine"]["source"]
