"""해외주식 체결기준현재잔고 (inquire-present-balance) on the wire: query ↔ `PresentBalanceQuery`, and the
three outputs (PROTOCOL §8).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from localkis.domain.accounts import Funds
from localkis.domain.profit import DayFills
from localkis.protocol import codes
from localkis.protocol.balances import CURRENCY_ORDER, present_balance_scope
from localkis.protocol.codes import Ops
from localkis.protocol.env import ENV_RULES, Env
from localkis.protocol.exchanges import EXCHANGES, Exchange
from localkis.protocol.fields import INQUIRE_PRESENT_BALANCE_QUERY
from localkis.wire.accounts import PRICE_PLACES, ZERO, ValuedPosition, amount, fx, krw, num, rate_of_return
from localkis.wire.errors import OpsError
from localkis.wire.responses import account_fields, account_of, ok

FIELDS = INQUIRE_PRESENT_BALANCE_QUERY


@dataclass(frozen=True, slots=True)
class PresentBalanceQuery:
    account: str
    in_krw: bool  # WCRC_FRCR_DVSN_CD "01": amounts in KRW
    nation: str  # NATN_CD
    market: str  # TR_MKET_CD
    scope: frozenset[Exchange]
    mini_stocks: bool  # INQR_DVSN_CD "02": mini-stocks only (localkis has none)

    @property
    def nation_currencies(self) -> set[str]:
        return {EXCHANGES[e].currency for e in present_balance_scope(self.nation, "00") or frozenset()}


def decode(fields: Mapping[str, str]) -> PresentBalanceQuery:
    scope = present_balance_scope(fields["NATN_CD"], fields["TR_MKET_CD"])
    if scope is None:
        raise OpsError(Ops.BAD_MARKET)
    return PresentBalanceQuery(account_of(fields), fields["WCRC_FRCR_DVSN_CD"] == "01", fields["NATN_CD"],
                               fields["TR_MKET_CD"], scope, fields["INQR_DVSN_CD"] == "02")


def encode(query: PresentBalanceQuery) -> dict[str, str]:
    return {**account_fields(query.account), "WCRC_FRCR_DVSN_CD": "01" if query.in_krw else "02",
            "NATN_CD": query.nation, "TR_MKET_CD": query.market, "INQR_DVSN_CD": "02" if query.mini_stocks else "00"}


NO_FILLS = DayFills()


def render(query: PresentBalanceQuery, holdings: list[ValuedPosition], funds: Mapping[str, Funds],
           ledger: Mapping[tuple[str, str], Decimal], env: Env,
           today: Mapping[tuple[Exchange, str], DayFills] | None = None) -> dict[str, object]:
    listed = [h for h in holdings if h.exchange in query.scope and not query.mini_stocks]
    in_nation = query.nation_currencies
    currencies = [c for c in CURRENCY_ORDER
                  if c in in_nation and (c in funds or any(h.currency == c for h in listed))]
    cash = {c: funds[c].cash if c in funds else ZERO for c in currencies}
    reserved = {c: funds[c].reserved if c in funds else ZERO for c in currencies}
    # output3 adds currencies up in KRW, unless foreign amounts were asked for one country's one currency.
    unit = next(iter(in_nation)) if not query.in_krw and len(in_nation) == 1 else None
    output3 = totals(listed, cash, reserved, unit)
    if not ENV_RULES[env].present_balance_detail:  # the mock fills output3 only; the keys stay for clients
        return ok(codes.INQUIRY_OK, output1=[], output2=[], output3=output3)
    output1 = [row(h, in_krw=query.in_krw, today=(today or {}).get((h.exchange, h.symbol), NO_FILLS))
               for h in listed]
    output2 = [currency_row(c, cash[c], reserved[c], -ledger.get((c, "buy"), ZERO), ledger.get((c, "sell"), ZERO))
               for c in currencies]
    message = codes.INQUIRY_OK if output1 or output2 else codes.INQUIRY_EMPTY
    return ok(message, output1=output1, output2=output2, output3=output3)


def row(h: ValuedPosition, *, in_krw: bool, today: DayFills = NO_FILLS) -> dict[str, str]:
    """output1: one holding. `in_krw` (WCRC_FRCR_DVSN_CD "01"): the amounts in KRW; prices stay foreign.
    `today`: the instrument's fills of the exchange's day."""
    info = EXCHANGES[h.exchange]

    def money(value: Decimal) -> str:
        return amount(krw(value, h.currency), None) if in_krw else amount(value, h.currency)

    return {
        "cblc_qty13": str(h.quantity),
        "thdt_buy_ccld_qty1": str(today.bought),
        "thdt_sll_ccld_qty1": str(today.sold),
        "ccld_qty_smtl1": str(h.quantity),
        "ord_psbl_qty1": str(h.sellable),
        "frcr_pchs_amt": money(h.cost),
        "frcr_evlu_amt2": money(h.value),
        "evlu_pfls_amt2": money(h.profit),
        "evlu_pfls_rt1": rate_of_return(h.profit, h.cost),
        "pdno": h.symbol,
        "prdt_name": h.name,
        "bass_exrt": fx(h.currency),
        "buy_crcy_cd": h.currency,
        "ovrs_now_pric1": num(h.price, PRICE_PLACES),
        "avg_unpr3": num(h.average_price, PRICE_PLACES),
        "tr_mket_name": info.market_name,
        "natn_kor_name": info.country_name,
        "pchs_rmnd_wcrc_amt": amount(krw(h.cost, h.currency), None),
        "thdt_buy_ccld_frcr_amt": money(today.bought_amount),
        "thdt_sll_ccld_frcr_amt": money(today.sold_amount),
        "unit_amt": "0",
        "std_pdno": h.symbol,
        "prdt_type_cd": info.search_type_code,
        "loan_rmnd": "0",
        "loan_dt": "",
        "loan_expd_dt": "",
        "ovrs_excg_cd": h.exchange.value,
        "item_lnkg_excg_cd": h.exchange.value,
    }


def currency_row(currency: str, cash: Decimal, reserved: Decimal, bought: Decimal,
                         sold: Decimal) -> dict[str, str]:
    """output2: one currency. Withdrawable = cash − what live buys reserve."""
    available = cash - reserved
    return {
        "crcy_cd": currency,
        "frcr_buy_amt_smtl": amount(bought, currency),
        "frcr_sll_amt_smtl": amount(sold, currency),
        "frcr_dncl_amt_2": amount(cash, currency),
        "frst_bltn_exrt": fx(currency),
        "frcr_buy_mgn_amt": amount(reserved, currency),
        "frcr_etc_mgna": amount(ZERO, currency),
        "frcr_drwg_psbl_amt_1": amount(available, currency),
        "frcr_evlu_amt2": amount(krw(available, currency), None),
        "acpl_cstd_crcy_yn": "N",
        "nxdy_frcr_drwg_psbl_amt": amount(available, currency),
    }


def totals(holdings: Iterable[ValuedPosition], cash: Mapping[str, Decimal], reserved: Mapping[str, Decimal],
                   unit: str | None) -> dict[str, str]:
    """output3: the scope's totals, in KRW (`unit` None) or in the one currency `unit`."""

    def conv(value: Decimal, currency: str) -> Decimal:
        return krw(value, currency) if unit is None else value

    items = [h for h in holdings if unit is None or h.currency == unit]
    currencies = [c for c in cash if unit is None or c == unit]
    cost = sum((conv(h.cost, h.currency) for h in items), ZERO)
    value = sum((conv(h.value, h.currency) for h in items), ZERO)
    deposits = sum((conv(cash[c], c) for c in currencies), ZERO)
    margin = sum((conv(reserved.get(c, ZERO), c) for c in currencies), ZERO)
    usable = deposits - margin
    profit = value - cost
    return {
        "pchs_amt_smtl": amount(cost, unit),
        "evlu_amt_smtl": amount(value, unit),
        "evlu_pfls_amt_smtl": amount(profit, unit),
        "dncl_amt": amount(ZERO, unit),
        "cma_evlu_amt": amount(ZERO, unit),
        "tot_dncl_amt": amount(deposits, unit),
        "etc_mgna": amount(ZERO, unit),
        "wdrw_psbl_tot_amt": amount(usable, unit),
        "frcr_evlu_tota": amount(deposits, unit),
        "evlu_erng_rt1": rate_of_return(profit, cost),
        "pchs_amt_smtl_amt": amount(cost, unit),
        "evlu_amt_smtl_amt": amount(value, unit),
        "tot_evlu_pfls_amt": amount(profit, unit),
        "tot_asst_amt": amount(deposits + value, unit),
        "buy_mgn_amt": amount(margin, unit),
        "mgna_tota": amount(margin, unit),
        "frcr_use_psbl_amt": amount(usable, unit),
        "ustl_sll_amt_smtl": amount(ZERO, unit),
        "ustl_buy_amt_smtl": amount(ZERO, unit),
        "tot_frcr_cblc_smtl": amount(deposits, unit),
        "tot_loan_amt": amount(ZERO, unit),
    }
