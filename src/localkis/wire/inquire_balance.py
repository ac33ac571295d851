"""해외주식 잔고 (inquire-balance) on the wire: query ↔ `BalanceQuery`, a page of holdings and the totals
(PROTOCOL §8, A6). Paging is keyset on (exchange, symbol), 100 rows a page.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from localkis.domain.profit import Realised
from localkis.protocol import codes
from localkis.protocol.codes import Ops
from localkis.protocol.env import ENV_RULES, Env
from localkis.protocol.exchanges import EXCHANGES, Exchange, inquiry_scope, parse_exchange
from localkis.protocol.fields import INQUIRE_BALANCE_QUERY
from localkis.wire.accounts import AMOUNT_PLACES, PRICE_PLACES, ZERO, ValuedPosition, num, rate_of_return
from localkis.wire.errors import OpsError, field_format_error
from localkis.wire.paging import NK200, cursor, tr_cont
from localkis.wire.responses import account_fields, account_of, ok

FIELDS = INQUIRE_BALANCE_QUERY


@dataclass(frozen=True, slots=True)
class BalanceQuery:
    account: str
    exchange_code: str  # OVRS_EXCG_CD as sent ("" = every exchange)
    currency: str  # TR_CRCY_CD ("" = any)
    after: tuple[str, str] | None = None  # (exchange, symbol) of the previous page's last row

    def currencies(self, env: Env) -> set[str]:
        """The currencies the query's totals add up."""
        return {self.currency} if self.currency else {EXCHANGES[e].currency for e in scope_of(self.exchange_code, env)}


def scope_of(code: str, env: Env) -> frozenset[Exchange]:
    """OVRS_EXCG_CD: real NASD = every US venue and NAS = Nasdaq alone; mock NASD/NYSE/AMEX = that venue
    (PROTOCOL §8); blank = every exchange (python-kis sends it in mock)."""
    if not code:
        return frozenset(EXCHANGES)
    us_family = ENV_RULES[env].balance_us_family
    if us_family and code == "NAS":
        return frozenset({Exchange.NASD})
    exchange = parse_exchange(code)
    if exchange is None:
        raise OpsError(Ops.BAD_MARKET)
    return inquiry_scope(exchange) if us_family else frozenset({exchange})


def _after(nk200: str) -> tuple[str, str] | None:
    """The last (exchange, symbol) of the previous page, from ctx_area_nk200 ("CANO^PRDT^EXCG^EX^SYMBOL^")."""
    text = nk200.strip()
    if not text:
        return None
    parts = text[:-1].split("^", 4) if text.endswith("^") else []
    if len(parts) != 5 or parse_exchange(parts[3]) is None or not parts[4]:
        raise field_format_error(NK200)
    return parts[3], parts[4]


def decode(fields: Mapping[str, str], env: Env) -> BalanceQuery:
    code = fields["OVRS_EXCG_CD"]
    scope_of(code, env)  # an unknown code is refused before anything is read
    return BalanceQuery(account_of(fields), code, fields["TR_CRCY_CD"], _after(fields[NK200]))


def encode(query: BalanceQuery, fk: str = "", nk: str = "") -> dict[str, str]:
    return {**account_fields(query.account), "OVRS_EXCG_CD": query.exchange_code, "TR_CRCY_CD": query.currency,
            "CTX_AREA_FK200": fk, "CTX_AREA_NK200": nk}


def page_size(env: Env) -> int:
    return ENV_RULES[env].balance_page_size


def render(query: BalanceQuery, holdings: list[ValuedPosition], bought: Decimal, env: Env,
           realised: Sequence[Realised] = ()) -> tuple[dict[str, object], str]:
    """A page of the account's holdings (sorted by exchange and symbol); `bought` is every filled buy in
    the query's currencies; `realised` today's sell results (the query's scope is applied here)."""
    scope = scope_of(query.exchange_code, env)
    realised = [r for r in realised if r.exchange in scope
                and (not query.currency or EXCHANGES[r.exchange].currency == query.currency)]
    listed = [h for h in holdings if h.exchange in scope and (not query.currency or h.currency == query.currency)]
    rest = [h for h in listed if query.after is None or h.key > query.after]
    size = page_size(env)
    page, more = rest[:size], len(rest) > size
    cano, prdt = account_fields(query.account).values()
    head = f"{cano}^{prdt}^{query.exchange_code}^"
    fk = cursor(f"{head}{query.currency}^")
    nk = cursor(f"{head}{page[-1].exchange.value}^{page[-1].symbol}^" if more else "")
    body = ok(codes.INQUIRY_OK if page else codes.INQUIRY_EMPTY, ctx_area_fk200=fk, ctx_area_nk200=nk,
              output1=[row(h, cano, prdt) for h in page], output2=totals(listed, bought, realised))
    return body, tr_cont(query.after is not None, more)


def row(h: ValuedPosition, cano: str, prdt: str) -> dict[str, str]:
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


def totals(holdings: Iterable[ValuedPosition], bought: Decimal, realised: Sequence[Realised] = ()) -> dict[str, str]:
    """output2 over every holding of the inquiry's scope (not only the page). The realised P/L is today's
    sells' (the same records inquire-period-profit sums); the total P/L adds it to the unrealised one."""
    items = list(holdings)
    cost = sum((h.cost for h in items), ZERO)
    profit = sum((h.profit for h in items), ZERO)
    gained = sum((r.profit for r in realised), ZERO)
    gained_cost = sum((r.buy_cost for r in realised), ZERO)
    return {
        "frcr_pchs_amt1": num(cost, AMOUNT_PLACES),
        "ovrs_rlzt_pfls_amt": num(gained, AMOUNT_PLACES),
        "ovrs_tot_pfls": num(profit + gained, AMOUNT_PLACES),
        "rlzt_erng_rt": rate_of_return(gained, gained_cost),
        "tot_evlu_pfls_amt": num(profit, AMOUNT_PLACES),
        "tot_pftrt": rate_of_return(profit, cost),
        "frcr_buy_amt_smtl1": num(bought, AMOUNT_PLACES),
        "ovrs_rlzt_pfls_amt2": num(gained, AMOUNT_PLACES),
        "frcr_buy_amt_smtl2": num(bought, AMOUNT_PLACES),
    }
