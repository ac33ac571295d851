"""Client configuration: presets, environment variables and the official samples' `kis_devlp.yaml`.

Resolution order, first hit wins for every setting: explicit arguments → `KIS_*` environment
variables → `kis_devlp.yaml` → the preset's defaults. See docs/client.md for the full table.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from localkis.client.errors import ConfigError
from localkis.protocol.env import ENV_RULES, Env

REAL_URL = "https://openapi.koreainvestment.com:9443"
MOCK_URL = "https://openapivts.koreainvestment.com:29443"
DEFAULT_YAML = Path("~/KIS/config/kis_devlp.yaml")

# KIS's published per-app limits (PROTOCOL §12): 20 calls/s real, 2 calls/s mock.
DEFAULT_RATE: dict[Env, float] = {env: float(rules.rate_per_second) for env, rules in ENV_RULES.items()}
# kis_devlp.yaml keys of each environment: appkey, appsecret, account, base URL.
YAML_KEYS: dict[Env, tuple[str, str, str, str]] = {
    Env.REAL: ("my_app", "my_sec", "my_acct_stock", "prod"),
    Env.MOCK: ("paper_app", "paper_sec", "my_paper_stock", "vps"),
}


class Preset(StrEnum):
    """Where the client talks to."""

    REAL = "real"  # KIS 실전투자
    MOCK = "mock"  # KIS 모의투자
    LOCAL = "local"  # any base URL (a localkis server); the app's environment is given separately


PRESET_URL: dict[Preset, str] = {Preset.REAL: REAL_URL, Preset.MOCK: MOCK_URL}


def default_token_dir() -> Path:
    """`$KIS_TOKEN_CACHE_DIR`, else `$XDG_CACHE_HOME/localkis/tokens`, else `~/.cache/localkis/tokens`."""
    explicit = os.environ.get("KIS_TOKEN_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME")
    root = Path(base).expanduser() if base else Path.home() / ".cache"
    return root / "localkis" / "tokens"


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """Everything a client needs; build it with `ClientConfig.load(...)` or directly.

    Attributes:
        appkey, appsecret: the app's credentials (36 and 180 characters at KIS).
        account: "CANO-ACNT_PRDT_CD", e.g. "12345678-01" ("12345678" alone means product "01").
        env: the app's environment (real or mock); it picks the TR IDs and the default rate.
        base_url: where requests go (no path prefix).
        rate_per_second: calls per second for this app, shared by every client in the process
            (None: KIS's limit for `env`, 20 or 2). 0 switches client-side pacing off.
        burst: token-bucket capacity (1 = evenly paced; see docs/client.md before raising it).
        timeout: seconds per HTTP request (connect, read and write each).
        retries: extra attempts for reads after a network error or a server fault.
        rate_limit_retries: extra attempts after EGW00201 (any call: KIS refused it unprocessed).
        token_cache_dir: where tokens are cached (None: no disk cache, memory only).
        token_refresh_margin: a cached token with less than this many seconds left is replaced.
        token_wait_max: longest wait (seconds) for KIS's one-token-per-minute window before
            raising `TokenIssueLimited`.
        reconcile_attempts, reconcile_delay: how often and how far apart the client looks for an
            order whose response was lost.
        reconcile_clock_skew: seconds of clock difference tolerated when deciding that an order in
            the history was created after the lost request was sent.
        custtype: "P" (개인) or "B" (법인).
        user_agent: the User-Agent header.
    """

    appkey: str
    appsecret: str = field(repr=False)  # never in reprs, logs or tracebacks
    account: str
    env: Env = Env.REAL
    base_url: str = REAL_URL
    rate_per_second: float | None = None
    burst: int = 1
    timeout: float = 10.0
    retries: int = 3
    rate_limit_retries: int = 8
    token_cache_dir: Path | None = field(default_factory=default_token_dir)
    token_refresh_margin: float = 600.0
    token_wait_max: float = 65.0
    reconcile_attempts: int = 3
    reconcile_delay: float = 0.5
    reconcile_clock_skew: float = 5.0
    custtype: str = "P"
    user_agent: str = "localkis-client/0.1"

    def __post_init__(self) -> None:
        if not self.appkey or not self.appsecret:
            raise ConfigError("appkey and appsecret are required (KIS_APPKEY / KIS_APPSECRET or kis_devlp.yaml)")
        cano, _, prdt = self.account.partition("-")
        if not (len(cano) == 8 and cano.isdigit() and len(prdt) == 2 and prdt.isdigit()):
            raise ConfigError(f"account must look like 12345678-01, got {self.account!r}")
        if not self.base_url.startswith(("http://", "https://")):
            raise ConfigError(f"base_url must be an http(s) URL, got {self.base_url!r}")
        if self.rate_per_second is not None and self.rate_per_second < 0:
            raise ConfigError("rate_per_second must be >= 0")
        if self.burst < 1:
            raise ConfigError("burst must be >= 1")
        if self.custtype not in ("P", "B"):
            raise ConfigError("custtype must be P or B")
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
        if self.token_cache_dir is not None and not isinstance(self.token_cache_dir, Path):
            object.__setattr__(self, "token_cache_dir", Path(self.token_cache_dir))  # a str is fine too
        if self.token_cache_dir is not None:
            object.__setattr__(self, "token_cache_dir", self.token_cache_dir.expanduser())
        object.__setattr__(self, "env", Env(self.env))

    @property
    def cano(self) -> str:
        """The 8-digit account number (CANO)."""
        return self.account.split("-")[0]

    @property
    def product(self) -> str:
        """The 2-digit account product code (ACNT_PRDT_CD)."""
        return self.account.split("-")[1]

    @property
    def effective_rate(self) -> float:
        """Calls per second the client paces at (0: unpaced)."""
        return DEFAULT_RATE[self.env] if self.rate_per_second is None else self.rate_per_second

    def replace(self, **changes: Any) -> ClientConfig:
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)

    @classmethod
    def load(
        cls,
        *,
        preset: Preset | str | None = None,
        env: Env | str | None = None,
        base_url: str | None = None,
        appkey: str | None = None,
        appsecret: str | None = None,
        account: str | None = None,
        yaml_path: str | os.PathLike[str] | None = None,
        environ: Mapping[str, str] | None = None,
        **options: Any,
    ) -> ClientConfig:
        """Resolve a config from arguments, then `KIS_*` environment variables, then kis_devlp.yaml.

        Args:
            preset: "real", "mock" or "local" (default: from `env`, or "local" if a base URL is given).
            env: the app's environment, "real" or "mock" (default: the preset's, else "real").
            base_url: the server (a localkis URL for the local preset).
            appkey, appsecret, account: credentials and "CANO-ACNT_PRDT_CD".
            yaml_path: the official samples' kis_devlp.yaml (default: `$KIS_CONFIG`, else
                ~/KIS/config/kis_devlp.yaml if it exists).
            environ: the environment to read (default: os.environ).
            **options: any other `ClientConfig` field (rate_per_second, timeout, token_cache_dir, …).
        """
        e = os.environ if environ is None else environ
        env_value = _first(env, e.get("KIS_ENV"))
        preset_value = _first(preset, e.get("KIS_PRESET"))
        url = _first(base_url, e.get("KIS_BASE_URL"))
        try:
            chosen_preset = Preset(preset_value) if preset_value else None
            chosen_env = Env(env_value) if env_value else None
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        if chosen_env is None:
            chosen_env = Env.MOCK if chosen_preset is Preset.MOCK else Env.REAL
        if chosen_preset is None:
            chosen_preset = Preset.LOCAL if url else Preset(chosen_env.value)
        if chosen_preset is not Preset.LOCAL and chosen_preset.value != chosen_env.value:
            raise ConfigError(f"preset {chosen_preset.value} cannot use a {chosen_env.value} app")

        yaml_file = _first(str(yaml_path) if yaml_path else None, e.get("KIS_CONFIG"))
        yaml_values: dict[str, str] = {}
        local_toml = None if yaml_file else find_localkis_toml(environ=e)
        if yaml_file:
            yaml_values = read_kis_devlp(Path(yaml_file).expanduser(), chosen_env)
        elif local_toml is not None:
            # A localkis.toml here (or above) beats ~/KIS/config: a bot run beside its localkis server
            # talks to that server, never by accident to KIS.
            yaml_values = read_localkis_toml(local_toml, chosen_env)
            if yaml_values and chosen_preset is not Preset.LOCAL and not url:
                chosen_preset = Preset.LOCAL
        elif DEFAULT_YAML.expanduser().is_file():
            yaml_values = read_kis_devlp(DEFAULT_YAML.expanduser(), chosen_env)

        if not url:
            if chosen_preset is Preset.LOCAL:
                url = yaml_values.get("base_url")
                if not url:
                    raise ConfigError("the local preset needs a base URL (base_url= or KIS_BASE_URL)")
            else:
                # The user's yaml may point prod/vps elsewhere (e.g. at localkis); honour it.
                url = yaml_values.get("base_url") or PRESET_URL[chosen_preset]

        resolved_appkey = _first(appkey, e.get("KIS_APPKEY"), yaml_values.get("appkey"))
        resolved_secret = _first(appsecret, e.get("KIS_APPSECRET"), yaml_values.get("appsecret"))
        resolved_account = _first(account, e.get("KIS_ACCOUNT"), yaml_values.get("account"))
        if not resolved_appkey or not resolved_secret:
            raise ConfigError("no credentials: pass appkey/appsecret, set KIS_APPKEY/KIS_APPSECRET, "
                              "or provide kis_devlp.yaml (my_app/my_sec or paper_app/paper_sec)")
        if not resolved_account:
            raise ConfigError("no account: pass account=, set KIS_ACCOUNT, or my_acct_stock/my_paper_stock "
                              "in kis_devlp.yaml")
        if "-" not in resolved_account:
            product = e.get("KIS_ACCOUNT_PRODUCT") or yaml_values.get("product") or "01"
            resolved_account = f"{resolved_account}-{product}"

        for name, var, conv in (("rate_per_second", "KIS_RATE_PER_SECOND", float),
                                ("timeout", "KIS_TIMEOUT", float)):
            if name not in options and e.get(var):
                try:
                    options[name] = conv(e[var])
                except ValueError:
                    raise ConfigError(f"{var} must be a number, got {e[var]!r}") from None
        if "token_cache_dir" not in options and e.get("KIS_TOKEN_CACHE_DIR"):
            options["token_cache_dir"] = Path(e["KIS_TOKEN_CACHE_DIR"]).expanduser()
        try:
            return cls(appkey=resolved_appkey, appsecret=resolved_secret, account=resolved_account,
                       env=chosen_env, base_url=url, **options)
        except TypeError as exc:
            raise ConfigError(str(exc)) from None


def _first(*values: str | None) -> str | None:
    for value in values:
        if value:
            return value
    return None


def read_kis_devlp(path: Path, env: Env) -> dict[str, str]:
    """The settings for `env` from the official samples' kis_devlp.yaml.

    Keys used: `my_app`/`my_sec`/`my_acct_stock`/`prod` (real), `paper_app`/`paper_sec`/
    `my_paper_stock`/`vps` (mock), `my_prod` (account product code, default "01").
    """
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")

    def get(key: str) -> str:
        value = data.get(key)
        return "" if value is None else str(value).strip()

    appkey, appsecret, account, base_url = YAML_KEYS[env]
    out = {"appkey": get(appkey), "appsecret": get(appsecret), "account": get(account), "base_url": get(base_url),
           "product": get("my_prod")}
    return {k: v for k, v in out.items() if v}


LOCALKIS_TOML = "localkis.toml"
LOCALKIS_URL = "http://127.0.0.1:8080"  # where `localkis serve` listens by default


def find_localkis_toml(start: Path | None = None, environ: Mapping[str, str] | None = None) -> Path | None:
    """`$LOCALKIS_CONFIG`, else the nearest `localkis.toml` in `start` (default: the working directory) or
    one of its parents; None if there is none."""
    e = os.environ if environ is None else environ
    if e.get("LOCALKIS_CONFIG"):
        return Path(e["LOCALKIS_CONFIG"]).expanduser()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / LOCALKIS_TOML
        if candidate.is_file():
            return candidate
    return None


def read_localkis_toml(path: Path, env: Env) -> dict[str, str]:
    """The first `env` app of a localkis server config, its first account and the default server URL
    (the same keys as `read_kis_devlp`); empty if the file has no such app."""
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    apps = data.get("apps")
    for app in apps if isinstance(apps, list) else []:
        if isinstance(app, dict) and app.get("env") == env.value and app.get("appkey") and app.get("appsecret"):
            accounts = app.get("accounts") or []
            out = {"appkey": str(app["appkey"]), "appsecret": str(app["appsecret"]), "base_url": LOCALKIS_URL,
                   "account": str(accounts[0]) if isinstance(accounts, list) and accounts else ""}
            return {k: v for k, v in out.items() if v}
    return {}
