"""Build KIS requests from typed arguments, validated before they leave the machine.

TR IDs come from `localkis.protocol.trids`; bodies and query strings are checked with the server's
own field specs (`localkis.protocol.fields` through `localkis.wire.requests.check_fields`) and market
rules (`localkis.domain.markets`, `EXCHANGES[...].revise_allowed`). A refusal is raised as the very
exception the server's answer would become, with `http_status=None`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from localkis.client.config import ClientConfig
from localkis.client.errors import KisError, class_for, error_for_message
from localkis.client.models import MARKET_PRICE_TYPES, OrderType, parse_side
from localkis.domain import markets
from localkis.domain.errors import BusinessError, Reason
from localkis.domain.hours import local_date
from localkis.protocol import fields
from localkis.protocol.codes import BUSINESS
from localkis.protocol.env import Env
from localkis.protocol.exchanges import EXCHANGES, QUOTE_CODES, Exchange, Market, parse_exchange
from localkis.protocol.fields import FieldSpec
from localkis.protocol.trids import Api, Side, tr_for, tr_for_order, tr_for_revise_cancel
from localkis.wire.errors import WireError
from localkis.wire.requests import check_fields

T = TypeVar("T")

ORDER_PATH = "/uapi/overseas-stock/v1/trading/order"
REVISE_CANCEL_PATH = "/uapi/overseas-stock/v1/trading/order-rvsecncl"
NCCS_PATH = "/uapi/overseas-stock/v1/trading/inquire-nccs"
CCNL_PATH = "/uapi/overseas-stock/v1/trading/inquire-ccnl"
BALANCE_PATH = "/uapi/overseas-stock/v1/trading/inquire-balance"
PSAMOUNT_PATH = "/uapi/overseas-stock/v1/trading/inquire-psamount"
PRICE_PATH = "/uapi/overseas-price/v1/quotations/price"

# One exchange per market for "every market" inquiries; NASD stands for all US venues (PROTOCOL §6).
ALL_MARKETS: tuple[Exchange, ...] = (Exchange.NASD, Exchange.SEHK, Exchange.SHAA, Exchange.SZAA, Exchange.TKSE,
                                     Exchange.HASE, Exchange.VNSE)


@dataclass(frozen=True, slots=True)
class Call:
    """One KIS request. `writes`: an order, revise or cancel — never resent blindly."""

    method: str
    path: str
    tr_id: str
    params: dict[str, str] | None = None
    body: dict[str, str] | None = None
    tr_cont: str = ""
    writes: bool = False


# --------------------------------------------------------------------------------------------------
# argument conversion


def _refuse(reason: Reason, env: Env, tr_id: str, detail: str) -> KisError:
    return error_for_message(BUSINESS[reason].for_env(env), tr_id=tr_id, detail=detail)


def _rule(env: Env, tr_id: str, check: Callable[[], T]) -> T:
    """Run a domain market rule; its BusinessError becomes the server's answer for it."""
    try:
        return check()
    except BusinessError as exc:
        raise _refuse(exc.reason, env, tr_id, exc.detail) from None


def validate(values: dict[str, str], specs: tuple[FieldSpec, ...], tr_id: str) -> None:
    """The server's field specs; a failure is the same OPSQ answer, raised before sending."""
    try:
        check_fields(values, specs)
    except WireError as exc:
        body = exc.body()
        msg_cd, msg1 = str(body.get("msg_cd", "")), str(body.get("msg1", ""))
        raise class_for(msg_cd, msg1)(msg1, msg_cd=msg_cd, rt_cd="1", tr_id=tr_id) from None


def to_exchange(value: Exchange | str, env: Env = Env.REAL) -> Exchange:
    """An `Exchange`, or its order code ("NASD"), or its quote code ("NAS")."""
    if isinstance(value, Exchange):
        return value
    code = str(value).strip().upper()
    found = parse_exchange(code) or QUOTE_CODES.get(code)
    if found is None:
        raise _refuse(Reason.UNKNOWN_SYMBOL, env, "", f"unknown exchange code {value!r}")
    return found


def to_price(value: Decimal | str | int) -> Decimal:
    """A price as Decimal; floats are refused (binary fractions are not prices)."""
    if isinstance(value, bool | float):
        raise TypeError(f"prices are Decimal, str or int (never float), got {value!r}")
    if isinstance(value, Decimal):
        price = value
    else:
        try:
            price = Decimal(str(value).strip())
        except InvalidOperation:
            raise TypeError(f"not a price: {value!r}") from None
    if not price.is_finite():
        raise TypeError(f"not a price: {value!r}")
    return price


def price_text(price: Decimal) -> str:
    """A plain decimal string as KIS expects ("190.00", never "1.9E+2")."""
    return f"{price:f}"


def to_quantity(value: int) -> int:
    """A quantity must be an int (not a bool, not a float)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"quantities are int, got {value!r}")
    return value


def _check_tick(exchange: Exchange, price: Decimal, now: datetime) -> None:
    on = local_date(exchange, now)
    if exchange is Exchange.TKSE:
        # TOPIX500 members trade on a finer grid; the client cannot tell, so either table will do.
        try:
            markets.check_price(exchange, price, on=on)
        except BusinessError as exc:
            if exc.reason is not Reason.OFF_TICK:
                raise
            markets.check_price(exchange, price, topix500=True, on=on)
        return
    markets.check_price(exchange, price, on=on)


def default_lot(exchange: Exchange) -> int | None:
    """The board lot the client can know: None for Hong Kong, where lots are per stock."""
    return None if EXCHANGES[exchange].market is Market.HK else markets.default_lot_size(exchange)


# --------------------------------------------------------------------------------------------------
# orders


def order_call(cfg: ClientConfig, *, exchange: Exchange | str, symbol: str, side: Side | str, quantity: int,
               price: Decimal | str | int, order_type: OrderType | str, lot_size: int | None,
               now: datetime) -> Call:
    """POST order: the TR for (market, side, env), market rules, then the field specs."""
    ex = to_exchange(exchange, cfg.env)
    sd = parse_side(side)
    ot = OrderType(order_type)
    tr_id = tr_for_order(EXCHANGES[ex].market, sd, cfg.env)
    if ot.value not in markets.allowed_order_types(EXCHANGES[ex].market, sd, cfg.env):
        raise _refuse(Reason.BAD_ORDER_TYPE, cfg.env, tr_id, f"ORD_DVSN {ot.value} for this market and side")
    q = to_quantity(quantity)
    if ot in MARKET_PRICE_TYPES:
        text = "0"
    else:
        p = to_price(price)
        _rule(cfg.env, tr_id, lambda: _check_tick(ex, p, now))
        text = price_text(p)
    lot = lot_size or default_lot(ex)
    if ot is OrderType.ODD_LOT:
        if q <= 0 or (lot is not None and q >= lot):
            raise _refuse(Reason.BAD_LOT, cfg.env, tr_id, f"odd-lot sell of {q} with lot {lot}")
    else:
        # A China sell may carry the odd remainder of a holding; the client does not know the holding.
        held = q if EXCHANGES[ex].market in (Market.SH, Market.SZ) and sd is Side.SELL else None
        _rule(cfg.env, tr_id, lambda: markets.check_quantity(ex, sd is Side.BUY, q, lot or 1, held=held))
    body = {
        "CANO": cfg.cano, "ACNT_PRDT_CD": cfg.product, "OVRS_EXCG_CD": ex.value, "PDNO": symbol.strip(),
        "ORD_QTY": str(q), "OVRS_ORD_UNPR": text, "CTAC_TLNO": "", "MGCO_APTM_ODNO": "",
        "SLL_TYPE": "00" if sd is Side.SELL else "", "ORD_SVR_DVSN_CD": "0", "ORD_DVSN": ot.value,
    }
    validate(body, fields.ORDER_BODY, tr_id)
    return Call("POST", ORDER_PATH, tr_id, body=body, writes=True)


def revise_cancel_call(cfg: ClientConfig, *, revise: bool, order_no: str, exchange: Exchange | str, symbol: str,
                       quantity: int, price: Decimal | str | int | None, now: datetime) -> Call:
    """POST order-rvsecncl: revise (new price, checked) or cancel (price "0"); quantity 0 = all open."""
    ex = to_exchange(exchange, cfg.env)
    tr_id = tr_for_revise_cancel(EXCHANGES[ex].market, cfg.env)
    q = to_quantity(quantity)
    if q < 0:
        raise _refuse(Reason.BAD_QUANTITY, cfg.env, tr_id, f"quantity {q} (0 means all that is open)")
    if revise:
        if not EXCHANGES[ex].revise_allowed:
            raise _refuse(Reason.REVISE_NOT_ALLOWED, cfg.env, tr_id, f"{ex.value} is cancel-only")
        if price is None:
            raise TypeError("a revise needs the new price")
        p = to_price(price)
        _rule(cfg.env, tr_id, lambda: _check_tick(ex, p, now))
        text = price_text(p)
    else:
        text = "0"  # KIS: "취소주문 시, "0" 입력"
    body = {
        "CANO": cfg.cano, "ACNT_PRDT_CD": cfg.product, "OVRS_EXCG_CD": ex.value, "PDNO": symbol.strip(),
        "ORGN_ODNO": str(order_no).strip(), "RVSE_CNCL_DVSN_CD": "01" if revise else "02", "ORD_QTY": str(q),
        "OVRS_ORD_UNPR": text, "MGCO_APTM_ODNO": "", "ORD_SVR_DVSN_CD": "0", "CTAC_TLNO": "",
    }
    validate(body, fields.REVISE_CANCEL_BODY, tr_id)
    return Call("POST", REVISE_CANCEL_PATH, tr_id, body=body, writes=True)


# --------------------------------------------------------------------------------------------------
# inquiries


def nccs_call(cfg: ClientConfig, exchange: Exchange, fk: str = "", nk: str = "", tr_cont: str = "") -> Call:
    """GET inquire-nccs, one page (SORT_SQN "DS": ascending order numbers)."""
    tr_id = tr_for(Api.INQUIRE_NCCS, cfg.env)
    params = {"CANO": cfg.cano, "ACNT_PRDT_CD": cfg.product, "OVRS_EXCG_CD": exchange.value,
              "SORT_SQN": "DS", "CTX_AREA_FK200": fk, "CTX_AREA_NK200": nk}
    validate(params, fields.INQUIRE_NCCS_QUERY, tr_id)
    return Call("GET", NCCS_PATH, tr_id, params=params, tr_cont=tr_cont)


@dataclass(frozen=True, slots=True)
class HistoryQuery:
    """Filters of an inquire-ccnl query (dates are exchange-local order dates)."""

    start: date
    end: date
    symbol: str = ""  # "" = all
    exchange: Exchange | None = None  # None = all; NASD = all US venues
    side: Side | None = None
    filled: bool | None = None  # True: filled only, False: unfilled only
    newest_first: bool = False


def ccnl_call(cfg: ClientConfig, q: HistoryQuery, fk: str = "", nk: str = "", tr_cont: str = "") -> Call:
    """GET inquire-ccnl, one page."""
    tr_id = tr_for(Api.INQUIRE_CCNL, cfg.env)
    if cfg.env is Env.MOCK:
        # KIS's mock takes only "all" for every filter (PROTOCOL §7); the client filters the rows itself.
        pdno, excg, side, ccld, sort = "", "", "00", "00", "DS"
    else:
        pdno = q.symbol or "%"
        excg = q.exchange.value if q.exchange else "%"
        side = {None: "00", Side.SELL: "01", Side.BUY: "02"}[q.side]
        ccld = {None: "00", True: "01", False: "02"}[q.filled]
        sort = "AS" if q.newest_first else "DS"  # KIS: DS 정순, AS 역순
    params = {"CANO": cfg.cano, "ACNT_PRDT_CD": cfg.product, "PDNO": pdno,
              "ORD_STRT_DT": q.start.strftime("%Y%m%d"), "ORD_END_DT": q.end.strftime("%Y%m%d"),
              "SLL_BUY_DVSN": side, "CCLD_NCCS_DVSN": ccld, "OVRS_EXCG_CD": excg, "SORT_SQN": sort,
              "ORD_DT": "", "ORD_GNO_BRNO": "", "ODNO": "", "CTX_AREA_NK200": nk, "CTX_AREA_FK200": fk}
    validate(params, fields.INQUIRE_CCNL_QUERY, tr_id)
    return Call("GET", CCNL_PATH, tr_id, params=params, tr_cont=tr_cont)


def quote_call(cfg: ClientConfig, exchange: Exchange, symbol: str) -> Call:
    """GET price (HHDFS00000300) with the exchange's quote code (NAS, HKS, …)."""
    tr_id = tr_for(Api.PRICE, cfg.env)
    params = {"AUTH": "", "EXCD": EXCHANGES[exchange].quote_code, "SYMB": symbol.strip()}
    validate(params, fields.PRICE_QUERY, tr_id)
    return Call("GET", PRICE_PATH, tr_id, params=params)


def balance_call(cfg: ClientConfig, exchange: Exchange, currency: str, fk: str = "", nk: str = "",
                 tr_cont: str = "") -> Call:
    """GET inquire-balance, one page."""
    tr_id = tr_for(Api.INQUIRE_BALANCE, cfg.env)
    params = {"CANO": cfg.cano, "ACNT_PRDT_CD": cfg.product, "OVRS_EXCG_CD": exchange.value,
              "TR_CRCY_CD": currency, "CTX_AREA_FK200": fk, "CTX_AREA_NK200": nk}
    validate(params, fields.INQUIRE_BALANCE_QUERY, tr_id)
    return Call("GET", BALANCE_PATH, tr_id, params=params, tr_cont=tr_cont)


def psamount_call(cfg: ClientConfig, exchange: Exchange, symbol: str, price: Decimal | None,
                  now: datetime) -> Call:
    """`price` None: at the last price (OVRS_ORD_UNPR "0")."""
    tr_id = tr_for(Api.INQUIRE_PSAMOUNT, cfg.env)
    if price is not None:
        _rule(cfg.env, tr_id, lambda: _check_tick(exchange, price, now))
    params = {"CANO": cfg.cano, "ACNT_PRDT_CD": cfg.product, "OVRS_EXCG_CD": exchange.value,
              "OVRS_ORD_UNPR": price_text(price) if price is not None else "0", "ITEM_CD": symbol.strip()}
    validate(params, fields.INQUIRE_PSAMOUNT_QUERY, tr_id)
    return Call("GET", PSAMOUNT_PATH, tr_id, params=params)
