"""The TOML config file: a public contract (keys are never renamed)."""

from __future__ import annotations

import hashlib
import secrets
import tomllib
from datetime import datetime, time
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from localkis.domain.instruments import Instrument
from localkis.domain.profit import DEFAULT_RATES, FeeSchedule
from localkis.protocol.env import Env
from localkis.protocol.exchanges import Exchange, Market
from localkis.wire.known_codes import known_code


class ConfigError(Exception):
    """The config file cannot be used; the message says why, for a person."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerSection(_Model):
    branch_code: str = Field(default="01790", pattern=r"^\d{5}$")
    market_hours: Literal["enforce", "ignore"] = "enforce"
    clock: datetime | None = None
    rate_limits: bool = True
    token_issue_limit: bool = True
    admin_token: str | None = None
    strict_mock: bool = False
    accept_vttt1006u: bool = False
    japan_close: time = time(15, 0)  # KIS's spec says 15:00; the exchange trades to 15:30
    redis_url: str | None = None  # shared rate limits across processes/hosts (required with --workers > 1)
    real_rate_per_second: int = Field(default=20, ge=1)
    mock_rate_per_second: int = Field(default=2, ge=1)
    request_log: bool = True  # one INFO line per KIS request, and GET /localkis/admin/requests
    pingpong_interval_seconds: float = Field(default=10.0, gt=0, le=3600)  # WebSocket keep-alive (PINGPONG)
    websocket_queue_frames: int = Field(default=10_000, ge=10)  # per session; a session this far behind is closed
    fault_seed: int = 0  # seeds the faults that fire at random (`probability`)

    @field_validator("clock")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("clock needs a UTC offset, e.g. 2026-11-25T23:45:00+09:00")
        return value


class AppSection(_Model):
    appkey: str = Field(min_length=36, max_length=36)
    appsecret: str = Field(min_length=180, max_length=180)
    env: Env
    accounts: list[str] = Field(default_factory=list)
    name: str = ""
    # The HTS id: the tr_key of the app's execution-notice subscription (H0GSCNI0/9). Absent: one derived
    # from the appkey (`default_hts_id`), shown in the start-up banner.
    hts_id: str | None = Field(default=None, min_length=1, max_length=16, pattern=r"^[A-Za-z0-9_.@-]+$")
    notice_fields: Literal[21, 24, 25] = 25  # H0GSCNI0 layout: 25 now, 24 (2025-05-23), 21 (python-kis 2.1.x)

    @property
    def notice_key(self) -> str:
        return self.hts_id if self.hts_id is not None else default_hts_id(self.appkey)


class PositionSection(_Model):
    exchange: Exchange
    symbol: str
    quantity: int = Field(ge=0)
    avg_price: Decimal = Decimal(0)


class AccountSection(_Model):
    number: str = Field(pattern=r"^\d{8}-\d{2}$")
    cash: dict[str, Decimal] = Field(default_factory=dict)
    positions: list[PositionSection] = Field(default_factory=list)


class InstrumentSection(_Model):
    exchange: Exchange
    symbol: str = Field(min_length=1, max_length=12)
    name: str
    price: Decimal = Field(gt=0)
    lot_size: int | None = Field(default=None, ge=1)
    english_name: str = ""
    topix500: bool = False
    daytime: bool = False

    def to_instrument(self) -> Instrument:
        return Instrument(self.exchange, self.symbol, self.name, self.price, self.lot_size,
                          self.english_name, self.topix500, self.daytime)


class EngineSection(_Model):
    """The market simulator's price source (`[engine]`); manual by default, so a server is deterministic."""

    source: Literal["manual", "random_walk"] = "manual"
    seed: int = 0
    interval_seconds: float = Field(default=1.0, ge=0.01, le=86400)  # server-clock seconds between steps
    volatility: float = Field(default=0.001, ge=0, le=1)  # standard deviation of one step's return
    volatilities: dict[str, float] = Field(default_factory=dict)  # "NASD:AAPL" = 0.002
    symbols: list[str] | None = None  # ["NASD:AAPL", ...]; default: every instrument
    size: int | None = Field(default=None, ge=1)  # quantity each tick can fill; default unlimited

    @field_validator("symbols")
    @classmethod
    def _symbols(cls, value: list[str] | None) -> list[str] | None:
        if value is not None:
            for key in value:
                instrument_key(key)
            if len(value) != len(set(value)):
                raise ValueError("an instrument is listed twice")
        return value

    @field_validator("volatilities")
    @classmethod
    def _volatilities(cls, value: dict[str, float]) -> dict[str, float]:
        for key, vol in value.items():
            instrument_key(key)
            if not 0 <= vol <= 1:
                raise ValueError(f"{key}: volatility must be between 0 and 1")
        return value


class MarketSection(_Model):
    """Market data (`[market]`): the book's synthetic depth, the history a fresh server starts with."""

    backfill_days: int = Field(default=250, ge=0, le=2000)  # daily bars before the first print
    backfill_minute_days: int = Field(default=5, ge=0, le=30)  # sessions of 1-minute bars before it
    book_levels: int = Field(default=10, ge=1, le=50)
    book_spread_ticks: int = Field(default=2, ge=1)
    book_size: int = Field(default=100, ge=1)  # shares per synthetic level (rounded up to whole lots)
    history: list[str] = Field(default_factory=list)  # bar files (CSV/Parquet) loaded at start
    # How an order that is marketable on arrival fills: "last" at the last print's price (up to its size),
    # "book" walking the displayed synthetic book level by level.
    arrival_fills: Literal["last", "book"] = "last"
    # [[instruments]] add to the shipped list (data/instruments.toml) unless this is false.
    shipped_instruments: bool = True


def default_hts_id(appkey: str) -> str:
    """A stable 8-character HTS id for an app that names none (KIS's HTS ids are up to 8 characters)."""
    return "lk" + hashlib.sha256(appkey.encode()).hexdigest()[:6]


def instrument_key(text: str) -> tuple[Exchange, str]:
    """`"NASD:AAPL"` → (Exchange.NASD, "AAPL"); ValueError naming the problem otherwise."""
    code, sep, symbol = text.partition(":")
    if not sep or not symbol:
        raise ValueError(f"{text!r}: write instruments as EXCHANGE:SYMBOL, e.g. NASD:AAPL")
    try:
        return Exchange(code), symbol
    except ValueError:
        raise ValueError(f"{text!r}: unknown exchange {code!r} (one of {', '.join(e.value for e in Exchange)})") \
            from None


class FeesSection(_Model):
    """`[fees]`: commission rates per market (a fraction of the traded amount), charged on sells in the
    realised P/L. Defaults: KIS's published online overseas commission."""

    us: Decimal = Field(default=DEFAULT_RATES[Market.US], ge=0, lt=1)
    hk: Decimal = Field(default=DEFAULT_RATES[Market.HK], ge=0, lt=1)
    cn: Decimal = Field(default=DEFAULT_RATES[Market.SH], ge=0, lt=1)  # Shanghai and Shenzhen
    jp: Decimal = Field(default=DEFAULT_RATES[Market.JP], ge=0, lt=1)
    vn: Decimal = Field(default=DEFAULT_RATES[Market.VN], ge=0, lt=1)

    def schedule(self) -> FeeSchedule:
        return FeeSchedule({Market.US: self.us, Market.HK: self.hk, Market.SH: self.cn, Market.SZ: self.cn,
                            Market.JP: self.jp, Market.VN: self.vn})


class FaultSection(_Model):
    """One fault rule (`[[faults]]`, and the JSON of /localkis/admin/faults): which calls it takes and
    what it does to them (docs/testing.md)."""

    api: str = Field(min_length=1)  # an API's last path segment ("order-rvsecncl"), a TR ID, or "*"
    app: str | None = None  # an app's name or appkey; None: every app
    kind: Literal["error", "latency", "drop_after_commit", "drop_before_commit"]
    msg_cd: str | None = None  # kind = "error": any code localkis knows
    nth: int | None = Field(default=None, ge=1)  # the first matching call it fires on (1-based)
    probability: float | None = Field(default=None, ge=0, le=1)  # each matching call, at random
    times: int = Field(default=1, ge=0)  # how many times it fires; 0 = unlimited
    latency_ms: int | None = Field(default=None, ge=0, le=600_000)  # kind = "latency"

    @model_validator(mode="after")
    def _complete(self) -> FaultSection:
        if self.kind == "error":
            if not self.msg_cd:
                raise ValueError('kind = "error" needs msg_cd, e.g. "EGW00201"')
            if not known_code(self.msg_cd):
                raise ValueError(f"msg_cd {self.msg_cd!r} is not a KIS code localkis knows")
        elif self.msg_cd is not None:
            raise ValueError(f'msg_cd is only for kind = "error", not {self.kind!r}')
        if self.kind == "latency" and self.latency_ms is None:
            raise ValueError('kind = "latency" needs latency_ms')
        if self.kind != "latency" and self.latency_ms is not None:
            raise ValueError(f'latency_ms is only for kind = "latency", not {self.kind!r}')
        return self


class Config(_Model):
    server: ServerSection = ServerSection()
    engine: EngineSection = EngineSection()
    apps: list[AppSection] = Field(default_factory=list)
    accounts: list[AccountSection] = Field(default_factory=list)
    instruments: list[InstrumentSection] = Field(default_factory=list)
    fees: FeesSection = FeesSection()
    market: MarketSection = MarketSection()
    faults: list[FaultSection] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Config:
        numbers = [a.number for a in self.accounts]
        if len(numbers) != len(set(numbers)):
            raise ValueError("an account number is listed twice in [[accounts]]")
        keys = [a.appkey for a in self.apps]
        if len(keys) != len(set(keys)):
            raise ValueError("an appkey is listed twice in [[apps]]")
        known = set(numbers)
        for app in self.apps:
            for number in app.accounts:
                if number not in known:
                    raise ValueError(f"app {app.appkey[:6]}… names account {number}, which has no [[accounts]] entry")
        return self

    @model_validator(mode="after")
    def _engine_instruments_known(self) -> Config:
        named = [*(self.engine.symbols or []), *self.engine.volatilities]
        if named:
            known = {(i.exchange, i.symbol) for i in instruments_of(self)}
            for key in named:
                if instrument_key(key) not in known:
                    raise ValueError(f"[engine] names {key}, which is not an instrument")
        return self


def parse_config(text: str, source: str = "config") -> Config:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        lines = [f"{source}: invalid configuration:"]
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "(top level)"
            lines.append(f"  {where}: {err['msg']}")
        raise ConfigError("\n".join(lines)) from None


def load_config(path: Path) -> Config:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    return parse_config(text, str(path))


def default_instruments() -> list[Instrument]:
    """The shipped instrument list, used when the config has no [[instruments]]."""
    text = resources.files("localkis.data").joinpath("instruments.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    return [InstrumentSection.model_validate(item).to_instrument() for item in data["instruments"]]


def instruments_of(config: Config) -> list[Instrument]:
    """The shipped list (unless `[market] shipped_instruments = false`) with the config's `[[instruments]]`
    added; an entry of the config replaces the shipped one of the same exchange and symbol."""
    own = [i.to_instrument() for i in config.instruments]
    keys = {(i.exchange, i.symbol) for i in own}
    shipped = default_instruments() if config.market.shipped_instruments else []
    return [*(i for i in shipped if (i.exchange, i.symbol) not in keys), *own]


def new_appkey() -> str:
    return "PS" + secrets.token_hex(17)


def new_appsecret() -> str:
    return secrets.token_urlsafe(150)[:180]


def new_admin_token() -> str:
    # Hex: a URL-safe token can start with "-", which the admin CLI's argument parser then reads as an
    # option (`--admin-token -x…` fails) unless it is written `--admin-token=-x…`.
    return secrets.token_hex(24)


def demo_config_text() -> str:
    """A first-start config: one real and one mock demo app, an account each with cash."""
    real_key, mock_key = new_appkey(), new_appkey()
    return f'''# localkis configuration (created on first start; edit freely).
# Format: see docs/config.md. Credentials below are for this local server only.

[server]
branch_code = "01790"
market_hours = "enforce"      # "ignore": accept orders at any time
rate_limits = true            # KIS per-app limits (20/s real, 2/s mock)
token_issue_limit = true      # one token per app per minute (EGW00133)
admin_token = "{new_admin_token()}"
strict_mock = false
accept_vttt1006u = false

[[apps]]
name = "demo-real"
appkey = "{real_key}"
appsecret = "{new_appsecret()}"
env = "real"
accounts = ["12345678-01"]
hts_id = "localkis"           # the tr_key of its execution notices (H0GSCNI0/9): one HTS id per user
notice_fields = 21            # H0GSCNI0 layout python-kis 2.1.x parses (official samples read it too)

[[apps]]
name = "demo-mock"
appkey = "{mock_key}"
appsecret = "{new_appsecret()}"
env = "mock"
accounts = ["50012345-01"]
hts_id = "localkis"
notice_fields = 21

[[accounts]]
number = "12345678-01"
cash = {{ USD = "100000.00", HKD = "500000", JPY = "10000000", CNY = "100000", VND = "1000000000" }}
positions = [ {{ exchange = "NASD", symbol = "AAPL", quantity = 10, avg_price = "150.00" }} ]

[[accounts]]
number = "50012345-01"
cash = {{ USD = "100000.00", HKD = "500000", JPY = "10000000", CNY = "100000", VND = "1000000000" }}
'''
