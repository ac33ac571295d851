"""The two KIS environments and what differs between them, as one table (PROTOCOL A1, §6–§8).

Code asks `ENV_RULES[env].<rule>` instead of branching on the environment, so every real/mock
difference is listed here once.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Env(StrEnum):
    REAL = "real"  # 실전투자
    MOCK = "mock"  # 모의투자


@dataclass(frozen=True, slots=True)
class EnvRules:
    tr_prefixes: str  # first letters of the environment's own TR IDs (kis_auth.py maps T/J/C to V)
    rate_per_second: int  # default request limit per app (config may change it)
    corporate_customers: bool  # custtype "B" allowed
    limit_orders_only: bool  # ORD_DVSN 00 only
    extended_us_hours: bool  # US pre- and after-market orders accepted
    detailed_closed_reasons: bool  # mock answers before-open / after-close / holiday apart; real one code
    inquire_nccs: bool  # KIS serves inquire-nccs (its mock does not: PROTOCOL §6)
    ccnl_page_size: int
    ccnl_filters: bool  # inquire-ccnl honours its filters and sort (the mock ignores them, ascending)
    balance_page_size: int
    balance_us_family: bool  # inquire-balance NASD = every US venue, NAS = Nasdaq alone (mock: NASD alone)
    present_balance_detail: bool  # inquire-present-balance output1/output2 (the mock fills output3 only)


ENV_RULES: dict[Env, EnvRules] = {
    Env.REAL: EnvRules(tr_prefixes="TJC", rate_per_second=20, corporate_customers=True, limit_orders_only=False,
                       extended_us_hours=True, detailed_closed_reasons=False, inquire_nccs=True, ccnl_page_size=20,
                       ccnl_filters=True, balance_page_size=100, balance_us_family=True,
                       present_balance_detail=True),
    # KIS documents no mock page size for inquire-balance; localkis uses the real one.
    Env.MOCK: EnvRules(tr_prefixes="V", rate_per_second=2, corporate_customers=False, limit_orders_only=True,
                       extended_us_hours=False, detailed_closed_reasons=True, inquire_nccs=False, ccnl_page_size=15,
                       ccnl_filters=False, balance_page_size=100, balance_us_family=False,
                       present_balance_detail=False),
}
