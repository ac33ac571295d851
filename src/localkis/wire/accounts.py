"""KIS rows of the account inquiries: inquire-balance, inquire-psamount, inquire-present-balance (PROTOCOL §8).

Every number travels as a string. Formats (docs/behaviour.md, "Account inquiries"): quantities as
integers, prices with 4 decimals, foreign-currency amounts with 2, KRW amounts with none, rates of return
in percent with 2, exchange rates with 4. Rounding is half-up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from localkis.protocol.balances import KRW_RATES
from localkis.protocol.exchanges import EXCHANGES, Exchange

PRICE_PLACES = 4
AMOUNT_PLACES = 2
KRW_PLACES = 0
RATE_PLACES = 2
FX_PLACES = 4
ZERO = Decimal(0)


def num(value: Decimal | int, places: int) -> str:
    """A fixed-decimal string, half-up, never "-0.00"."""
    q = Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if q == 0:
        q = abs(q)
    return f"{q:f}"


def amount(value: Decimal, currency: str | None) -> str:
    """An amount in a foreign currency (2 decimals), or in KRW (`currency` None, no decimals)."""
    return num(value, KRW_PLACES if currency is None else AMOUNT_PLACES)


def rate_of_return(profit: Decimal, cost: Decimal) -> str:
    """Profit as a percentage of cost; "0.00" without cost."""
    return num(profit / cost * 100 if cost else ZERO, RATE_PLACES)


def fx(currency: str) -> str:
    return num(KRW_RATES[currency], FX_PLACES)


def krw(value: Decimal, currency: str) -> Decimal:
    return value * KRW_RATES[currency]


@dataclass(frozen=True, slots=True)
class Holding:
    """One position as the inquiries show it, valued at the instrument's last price."""

    exchange: Exchange
    symbol: str
    name: str
    quantity: int
    sellable: int  # held − pending sells
    average_price: Decimal
    price: Decimal  # last price (the average price when localkis has no price for the symbol)

    @property
    def currency(self) -> str:
        return EXCHANGES[self.exchange].currency

    @property
    def cost(self) -> Decimal:
        return self.average_price * self.quantity

    @property
    def value(self) -> Decimal:
        return self.price * self.quantity

    @property
    def profit(self) -> Decimal:
        return self.value - self.cost

    @property
    def key(self) -> tuple[str, str]:
        """The paging key of inquire-balance: holdings are listed by exchange code, then symbol."""
        return self.exchange.value, self.symbol


# --- inquire-balance (TTTS3012R / VTTS3012R) ----------------------------------------------------------
def balance_row(h: Holding, cano: str, prdt: str) -> dict[str, str]:
    info = EXCHANGES[h.exchange]
    return {
        "cano": cano,
        "acnt_prdt_cd": prdt,
        "prdt_type_cd": info.search_type_code,
        "ovrs_pdno": h.symbol,
        "ovrs_item_name": h.name,
        "frcr_evlu_pfls_amt": num(h.profit, AMOUNT_PLACES),
        "evlu_pfls_rt": rate_of_return(h.profit, h.cost),
        "pchs_avg_pric": num(h.average_price, PRICE_PLACES),
        "ovrs_cblc_qty": str(h.quantity),
        "ord_psbl_qty": str(h.sellable),
        "frcr_pchs_amt1": num(h.cost, AMOUNT_PLACES),
        "ovrs_stck_evlu_amt": num(h.value, AMOUNT_PLACES),
        "now_pric2": num(h.price, PRICE_PLACES),
        "tr_crcy_cd": info.currency,
        "ovrs_excg_cd": h.exchange.value,
        "loan_type_cd": "10",
        "loan_dt": "",
        "expd_dt": "",
    }


def balance_totals(holdings: Iterable[Holding], bought: Decimal) -> dict[str, str]:
    """output2 over every holding of the inquiry's scope (not only the page). Realised P/L is not
    tracked: its fields are zero and the total P/L is the unrealised one."""
    items = list(holdings)
    cost = sum((h.cost for h in items), ZERO)
    profit = sum((h.profit for h in items), ZERO)
    return {
        "frcr_pchs_amt1": num(cost, AMOUNT_PLACES),
        "ovrs_rlzt_pfls_amt": num(ZERO, AMOUNT_PLACES),
        "ovrs_tot_pfls": num(profit, AMOUNT_PLACES),
        "rlzt_erng_rt": num(ZERO, RATE_PLACES),
        "tot_evlu_pfls_amt": num(profit, AMOUNT_PLACES),
        "tot_pftrt": rate_of_return(profit, cost),
        "frcr_buy_amt_smtl1": num(bought, AMOUNT_PLACES),
        "ovrs_rlzt_pfls_amt2": num(ZERO, AMOUNT_PLACES),
        "frcr_buy_amt_smtl2": num(bought, AMOUNT_PLACES),
    }


# --- inquire-psamount (TTTS3007R / VTTS3007R) ---------------------------------------------------------
def max_quantity(available: Decimal, price: Decimal, lot: int) -> int:
    """Whole lots that `available` buys at `price`."""
    if price <= 0 or available <= 0 or lot <= 0:
        return 0
    shares = int((available / price).to_integral_value(rounding=ROUND_DOWN))
    return shares // lot * lot


def psamount_output(currency: str, available: Decimal, price: Decimal, lot: int) -> dict[str, str]:
    usable = max(available, ZERO)
    qty = str(max_quantity(usable, price, lot))
    cash = num(usable, AMOUNT_PLACES)
    return {
        "tr_crcy_cd": currency,
        "ord_psbl_frcr_amt": cash,
        "sll_ruse_psbl_amt": num(ZERO, AMOUNT_PLACES),
        "ovrs_ord_psbl_amt": cash,
        "max_ord_psbl_qty": qty,
        "echm_af_ord_psbl_amt": num(ZERO, AMOUNT_PLACES),
        "echm_af_ord_psbl_qty": "0",
        "ord_psbl_qty": qty,
        "exrt": fx(currency),
        "frcr_ord_psbl_amt1": cash,
        "ovrs_max_ord_psbl_qty": qty,
    }


# --- inquire-present-balance (CTRP6504R / VTRP6504R) ----------------------------------------------------
def present_row(h: Holding, *, in_krw: bool) -> dict[str, str]:
    """output1: one holding. `in_krw` (WCRC_FRCR_DVSN_CD "01"): the amounts in KRW; prices stay foreign."""
    info = EXCHANGES[h.exchange]

    def money(value: Decimal) -> str:
        return amount(krw(value, h.currency), None) if in_krw else amount(value, h.currency)

    return {
        "cblc_qty13": str(h.quantity),
        "thdt_buy_ccld_qty1": "0",
        "thdt_sll_ccld_qty1": "0",
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
        "thdt_buy_ccld_frcr_amt": money(ZERO),
        "thdt_sll_ccld_frcr_amt": money(ZERO),
        "unit_amt": "0",
        "std_pdno": h.symbol,
        "prdt_type_cd": info.search_type_code,
        "loan_rmnd": "0",
        "loan_dt": "",
        "loan_expd_dt": "",
        "ovrs_excg_cd": h.exchange.value,
        "item_lnkg_excg_cd": h.exchange.value,
    }


def present_currency_row(currency: str, cash: Decimal, reserved: Decimal, bought: Decimal,
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


def present_totals(holdings: Iterable[Holding], cash: Mapping[str, Decimal], reserved: Mapping[str, Decimal],
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
