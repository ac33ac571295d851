"""The TR-ID table: (api, market, side, env) for every TR ID localkis serves (PROTOCOL §4–§10)."""

from __future__ import annotations

from dataclasses import dataclass

from localkis.protocol.apis import Api
from localkis.protocol.env import ENV_RULES, Env
from localkis.protocol.exchanges import Market
from localkis.protocol.orders import Side
from localkis.protocol.quotations import QUOTE_TRS


@dataclass(frozen=True, slots=True)
class TrSpec:
    tr_id: str
    api: Api
    env: Env | None  # None: the same TR serves both environments
    market: Market | None = None
    side: Side | None = None
    alias_of: str | None = None  # a legacy/compatibility name of another TR
    needs_switch: str | None = None  # config switch that must be on for this TR to be accepted
    in_mock: bool = True  # False: KIS's mock lacks it; mock apps get it only while strict_mock is off


_M = Market
_ORDER_TRS: list[tuple[Market, str, str, str, str]] = [
    # market, buy real, sell real, buy mock, sell mock  (PROTOCOL §4)
    (_M.US, "TTTT1002U", "TTTT1006U", "VTTT1002U", "VTTT1001U"),
    (_M.JP, "TTTS0308U", "TTTS0307U", "VTTS0308U", "VTTS0307U"),
    (_M.SH, "TTTS0202U", "TTTS1005U", "VTTS0202U", "VTTS1005U"),
    (_M.HK, "TTTS1002U", "TTTS1001U", "VTTS1002U", "VTTS1001U"),
    (_M.SZ, "TTTS0305U", "TTTS0304U", "VTTS0305U", "VTTS0304U"),
    (_M.VN, "TTTS0311U", "TTTS0310U", "VTTS0311U", "VTTS0310U"),
]

_REVISE_CANCEL_TRS: list[tuple[Market, str]] = [
    # real TR; the mock TR is the same with a V prefix  (PROTOCOL §5)
    (_M.US, "TTTT1004U"),
    (_M.HK, "TTTS1003U"),
    (_M.JP, "TTTS0309U"),
    (_M.SH, "TTTS0302U"),
    (_M.SZ, "TTTS0306U"),
    (_M.VN, "TTTS0312U"),
]


def _build() -> dict[str, TrSpec]:
    table: dict[str, TrSpec] = {}

    def add(spec: TrSpec) -> None:
        assert spec.tr_id not in table, spec.tr_id
        table[spec.tr_id] = spec

    for market, buy_r, sell_r, buy_m, sell_m in _ORDER_TRS:
        add(TrSpec(buy_r, Api.ORDER, Env.REAL, market, Side.BUY))
        add(TrSpec(sell_r, Api.ORDER, Env.REAL, market, Side.SELL))
        add(TrSpec(buy_m, Api.ORDER, Env.MOCK, market, Side.BUY))
        add(TrSpec(sell_m, Api.ORDER, Env.MOCK, market, Side.SELL))
    # Legacy real US TRs still used by mojito2 (B9).
    add(TrSpec("JTTT1002U", Api.ORDER, Env.REAL, _M.US, Side.BUY, alias_of="TTTT1002U"))
    add(TrSpec("JTTT1006U", Api.ORDER, Env.REAL, _M.US, Side.SELL, alias_of="TTTT1006U"))
    # The official samples' mock US sell (A2): accepted only behind a switch.
    add(TrSpec("VTTT1006U", Api.ORDER, Env.MOCK, _M.US, Side.SELL, alias_of="VTTT1001U",
               needs_switch="accept_vttt1006u"))
    for market, real in _REVISE_CANCEL_TRS:
        add(TrSpec(real, Api.REVISE_CANCEL, Env.REAL, market))
        add(TrSpec("V" + real[1:], Api.REVISE_CANCEL, Env.MOCK, market))
    add(TrSpec("TTTS3018R", Api.INQUIRE_NCCS, Env.REAL))
    add(TrSpec("VTTS3018R", Api.INQUIRE_NCCS, Env.MOCK, needs_switch="!strict_mock"))
    add(TrSpec("TTTS3035R", Api.INQUIRE_CCNL, Env.REAL))
    add(TrSpec("VTTS3035R", Api.INQUIRE_CCNL, Env.MOCK))
    # Account inquiries (PROTOCOL §8). JTTT3012R/VTTT3012R are the balance TRs mojito2 picks from KIS's
    # day/night ledger flag (and older clients send): aliases of the canonical ones.
    add(TrSpec("TTTS3012R", Api.INQUIRE_BALANCE, Env.REAL))
    add(TrSpec("VTTS3012R", Api.INQUIRE_BALANCE, Env.MOCK))
    add(TrSpec("JTTT3012R", Api.INQUIRE_BALANCE, Env.REAL, alias_of="TTTS3012R"))
    add(TrSpec("VTTT3012R", Api.INQUIRE_BALANCE, Env.MOCK, alias_of="VTTS3012R"))
    add(TrSpec("TTTS3007R", Api.INQUIRE_PSAMOUNT, Env.REAL))
    add(TrSpec("VTTS3007R", Api.INQUIRE_PSAMOUNT, Env.MOCK))
    add(TrSpec("JTTT3007R", Api.INQUIRE_PSAMOUNT, Env.REAL, alias_of="TTTS3007R"))  # legacy real name
    add(TrSpec("CTRP6504R", Api.INQUIRE_PRESENT_BALANCE, Env.REAL))
    add(TrSpec("VTRP6504R", Api.INQUIRE_PRESENT_BALANCE, Env.MOCK))
    add(TrSpec("HHDFS00000300", Api.PRICE, None))
    add(TrSpec("CTPF1604R", Api.SEARCH_INFO, None))
    # Reservations (REST-NEXT §2–§4). The Asia TRs serve every Asian market (market None; the codec
    # refuses a US exchange). The list is not in KIS's mock: the V-names the official client derives
    # are served only when strict_mock is off.
    add(TrSpec("TTTT3014U", Api.ORDER_RESV, Env.REAL, _M.US, Side.BUY))
    add(TrSpec("TTTT3016U", Api.ORDER_RESV, Env.REAL, _M.US, Side.SELL))
    add(TrSpec("TTTS3013U", Api.ORDER_RESV, Env.REAL))
    add(TrSpec("VTTT3014U", Api.ORDER_RESV, Env.MOCK, _M.US, Side.BUY))
    add(TrSpec("VTTT3016U", Api.ORDER_RESV, Env.MOCK, _M.US, Side.SELL))
    add(TrSpec("VTTS3013U", Api.ORDER_RESV, Env.MOCK))
    add(TrSpec("TTTT3017U", Api.ORDER_RESV_CCNL, Env.REAL, _M.US))
    add(TrSpec("VTTT3017U", Api.ORDER_RESV_CCNL, Env.MOCK, _M.US))
    add(TrSpec("TTTT3039R", Api.ORDER_RESV_LIST, Env.REAL, _M.US))
    add(TrSpec("TTTS3014R", Api.ORDER_RESV_LIST, Env.REAL))
    add(TrSpec("VTTT3039R", Api.ORDER_RESV_LIST, Env.MOCK, _M.US, needs_switch="!strict_mock"))
    add(TrSpec("VTTS3014R", Api.ORDER_RESV_LIST, Env.MOCK, needs_switch="!strict_mock"))
    # US daytime trading (REST-NEXT §5–§6): real only. A mock app sending the real TR gets EGW02006 (as
    # observed); the V-names the official client derives are served only when strict_mock is off.
    add(TrSpec("TTTS6036U", Api.DAYTIME_ORDER, Env.REAL, _M.US, Side.BUY))
    add(TrSpec("TTTS6037U", Api.DAYTIME_ORDER, Env.REAL, _M.US, Side.SELL))
    add(TrSpec("TTTS6038U", Api.DAYTIME_REVISE_CANCEL, Env.REAL, _M.US))
    add(TrSpec("VTTS6036U", Api.DAYTIME_ORDER, Env.MOCK, _M.US, Side.BUY, needs_switch="!strict_mock"))
    add(TrSpec("VTTS6037U", Api.DAYTIME_ORDER, Env.MOCK, _M.US, Side.SELL, needs_switch="!strict_mock"))
    add(TrSpec("VTTS6038U", Api.DAYTIME_REVISE_CANCEL, Env.MOCK, _M.US, needs_switch="!strict_mock"))
    # Account history and P/L (REST-NEXT §14–§17): real only; the derived V-names behind strict_mock.
    add(TrSpec("TTTS3039R", Api.INQUIRE_PERIOD_PROFIT, Env.REAL))
    add(TrSpec("VTTS3039R", Api.INQUIRE_PERIOD_PROFIT, Env.MOCK, needs_switch="!strict_mock"))
    add(TrSpec("TTTC2101R", Api.FOREIGN_MARGIN, Env.REAL))
    add(TrSpec("VTTC2101R", Api.FOREIGN_MARGIN, Env.MOCK, needs_switch="!strict_mock"))
    add(TrSpec("CTOS4001R", Api.INQUIRE_PERIOD_TRANS, Env.REAL))
    add(TrSpec("VTOS4001R", Api.INQUIRE_PERIOD_TRANS, Env.MOCK, needs_switch="!strict_mock"))
    add(TrSpec("CTRP6010R", Api.INQUIRE_PAYMT_STDR_BALANCE, Env.REAL))
    add(TrSpec("VTRP6010R", Api.INQUIRE_PAYMT_STDR_BALANCE, Env.MOCK, needs_switch="!strict_mock"))
    # Market data: one TR for both environments (REST-NEXT §1.1); most are not in KIS's mock.
    for quote in QUOTE_TRS:
        add(TrSpec(quote.tr_id, Api(quote.api.value), None, in_mock=quote.in_mock))
    add(TrSpec("FHKST01010100", Api.DOMESTIC_PRICE, None))
    add(TrSpec("TTTC8434R", Api.DOMESTIC_BALANCE, Env.REAL))
    add(TrSpec("VTTC8434R", Api.DOMESTIC_BALANCE, Env.MOCK))
    add(TrSpec("TTTC8036R", Api.DOMESTIC_REVISABLE, Env.REAL))  # python-kis skips it in mock mode
    return table


TR_TABLE: dict[str, TrSpec] = _build()


def tr_for_order(market: Market, side: Side, env: Env) -> str:
    """The canonical order TR ID (what a client should send)."""
    for spec in TR_TABLE.values():
        if (spec.api is Api.ORDER and spec.market is market and spec.side is side and spec.env is env
                and spec.alias_of is None):
            return spec.tr_id
    raise KeyError((market, side, env))


def tr_for_revise_cancel(market: Market, env: Env) -> str:
    for spec in TR_TABLE.values():
        if spec.api is Api.REVISE_CANCEL and spec.market is market and spec.env is env:
            return spec.tr_id
    raise KeyError((market, env))


def tr_for(api: Api, env: Env) -> str:
    """The TR ID of a market-independent API in an environment."""
    for spec in TR_TABLE.values():
        if spec.api is api and spec.market is None and spec.env in (env, None) and spec.alias_of is None:
            return spec.tr_id
    raise KeyError((api, env))


def tr_env_family(tr_id: str) -> Env | None:
    """The environment a TR ID's first letter claims: V… mock; T…/J…/C… real (as kis_auth.py maps)."""
    if not tr_id:
        return None
    return _FAMILY.get(tr_id[0])


_FAMILY: dict[str, Env] = {letter: env for env, rules in ENV_RULES.items() for letter in rules.tr_prefixes}


# Orders (and their revisions) placed through the US daytime endpoints: revised and cancelled only there.
DAYTIME_TR_IDS: frozenset[str] = frozenset(
    t for t, spec in TR_TABLE.items() if spec.api in (Api.DAYTIME_ORDER, Api.DAYTIME_REVISE_CANCEL))
