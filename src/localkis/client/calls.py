"""Build KIS requests from typed arguments, validated before they leave the machine.

TR IDs come from `localkis.protocol.trids` and paths from `localkis.protocol.apis`; bodies and query
strings are built by the APIs' wire codecs (`localkis.wire.<api>.encode`, the server decodes with the
same modules) and checked with the server's own field specs and market rules (`localkis.domain.markets`,
`EXCHANGES[...].revise_allowed`). A refusal is raised as the very exception the server's answer would
become, with `http_status=None`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from localkis.client.config import ClientConfig
from localkis.client.errors import KisError, class_for, error_for_message
from localkis.client.models import parse_side
from localkis.domain import markets
from localkis.domain.errors import BusinessError, Reason
from localkis.domain.hours import local_date
from localkis.domain.orders import NewOrder, RevisionRequest
from localkis.protocol.apis import ENDPOINTS, Api
from localkis.protocol.codes import BUSINESS
from localkis.protocol.env import Env
from localkis.protocol.exchanges import EXCHANGES, QUOTE_CODES, Exchange, Market, parse_exchange
from localkis.protocol.fields import API_FIELDS, FieldSpec
from localkis.protocol.orders import MARKET_PRICE_TYPES, OrderType, RevisionKind, Side, allowed_order_types
from localkis.protocol.trids import tr_for, tr_for_order, tr_for_revise_cancel
from localkis.wire import inquire_balance, inquire_ccnl, inquire_nccs, inquire_psamount, order, revise_cancel
from localkis.wire import price as quote
from localkis.wire.errors import WireError
from localkis.wire.inquire_ccnl import CcnlQuery
from localkis.wire.requests import check_fields

T = TypeVar("T")

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


def call(api: Api, tr_id: str, fields: dict[str, str], *, tr_cont: str = "") -> Call:
    """A request of `api` with its encoded fields, checked with the server's field specs: a body for a
    POST (the writes), a query string for a GET."""
    validate(fields, API_FIELDS[api], tr_id)
    method, path = ENDPOINTS[api]
    if method == "POST":
        return Call(method, path, tr_id, body=fields, tr_cont=tr_cont, writes=True)
    return Call(method, path, tr_id, params=fields, tr_cont=tr_cont)


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


def account_of(cfg: ClientConfig) -> str:
    return f"{cfg.cano}-{cfg.product}"


def order_call(cfg: ClientConfig, *, exchange: Exchange | str, symbol: str, side: Side | str, quantity: int,
               price: Decimal | str | int, order_type: OrderType | str, lot_size: int | None,
               now: datetime) -> Call:
    """POST order: the TR for (market, side, env), market rules, then the field specs."""
    ex = to_exchange(exchange, cfg.env)
    sd = parse_side(side)
    ot = OrderType(order_type)
    tr_id = tr_for_order(EXCHANGES[ex].market, sd, cfg.env)
    if ot not in allowed_order_types(EXCHANGES[ex].market, sd, cfg.env):
        raise _refuse(Reason.BAD_ORDER_TYPE, cfg.env, tr_id, f"ORD_DVSN {ot.value} for this market and side")
    q = to_quantity(quantity)
    if ot in MARKET_PRICE_TYPES:
        p = Decimal(0)
    else:
        p = to_price(price)
        _rule(cfg.env, tr_id, lambda: _check_tick(ex, p, now))
    lot = lot_size or default_lot(ex)
    if ot is OrderType.ODD_LOT:
        if q <= 0 or (lot is not None and q >= lot):
            raise _refuse(Reason.BAD_LOT, cfg.env, tr_id, f"odd-lot sell of {q} with lot {lot}")
    else:
        # A China sell may carry the odd remainder of a holding; the client does not know the holding.
        held = q if EXCHANGES[ex].market in (Market.SH, Market.SZ) and sd is Side.SELL else None
        _rule(cfg.env, tr_id, lambda: markets.check_quantity(ex, sd is Side.BUY, q, lot or 1, held=held))
    command = NewOrder(account=account_of(cfg), env=cfg.env, exchange=ex, symbol=symbol.strip(), side=sd,
                       order_type=ot.value, quantity=q, price=p, tr_id=tr_id)
    return call(Api.ORDER, tr_id, order.encode(command))


def revise_cancel_call(cfg: ClientConfig, *, revise: bool, order_no: str, exchange: Exchange | str, symbol: str,
                       quantity: int, price: Decimal | str | int | None, now: datetime) -> Call:
    """POST order-rvsecncl: revise (new price, checked) or cancel (price "0"); quantity 0 = all open."""
    ex = to_exchange(exchange, cfg.env)
    tr_id = tr_for_revise_cancel(EXCHANGES[ex].market, cfg.env)
    q = to_quantity(quantity)
    if q < 0:
        raise _refuse(Reason.BAD_QUANTITY, cfg.env, tr_id, f"quantity {q} (0 means all that is open)")
    p = Decimal(0)
    if revise:
        if not EXCHANGES[ex].revise_allowed:
            raise _refuse(Reason.REVISE_NOT_ALLOWED, cfg.env, tr_id, f"{ex.value} is cancel-only")
        if price is None:
            raise TypeError("a revise needs the new price")
        p = to_price(price)
        _rule(cfg.env, tr_id, lambda: _check_tick(ex, p, now))
    request = RevisionRequest(kind=RevisionKind.REVISE if revise else RevisionKind.CANCEL, account=account_of(cfg),
                              env=cfg.env, exchange=ex, symbol=symbol.strip(), original_no=str(order_no).strip(),
                              quantity=q, price=p, tr_id=tr_id)
    return call(Api.REVISE_CANCEL, tr_id, revise_cancel.encode(request))


# --------------------------------------------------------------------------------------------------
# inquiries


def nccs_call(cfg: ClientConfig, exchange: Exchange, fk: str = "", nk: str = "", tr_cont: str = "") -> Call:
    """GET inquire-nccs, one page (SORT_SQN "DS": ascending order numbers)."""
    query = inquire_nccs.NccsQuery(account_of(cfg), exchange, inquire_nccs.ASCENDING)
    return call(Api.INQUIRE_NCCS, tr_for(Api.INQUIRE_NCCS, cfg.env), inquire_nccs.encode(query, fk, nk),
                tr_cont=tr_cont)


def history_query(cfg: ClientConfig, start: date, end: date, symbol: str = "", exchange: Exchange | None = None,
                  side: Side | None = None, filled: bool | None = None, newest_first: bool = False) -> CcnlQuery:
    """An inquire-ccnl query of the client's account (dates are exchange-local order dates)."""
    return CcnlQuery(account_of(cfg), start, end, symbol, exchange, side, filled, newest_first)


def ccnl_call(cfg: ClientConfig, q: CcnlQuery, fk: str = "", nk: str = "", tr_cont: str = "") -> Call:
    """GET inquire-ccnl, one page (KIS's mock takes only "all" filters: the client filters the rows)."""
    return call(Api.INQUIRE_CCNL, tr_for(Api.INQUIRE_CCNL, cfg.env), inquire_ccnl.encode(q, cfg.env, fk, nk),
                tr_cont=tr_cont)


def quote_call(cfg: ClientConfig, exchange: Exchange, symbol: str) -> Call:
    """GET price (HHDFS00000300) with the exchange's quote code (NAS, HKS, …)."""
    return call(Api.PRICE, tr_for(Api.PRICE, cfg.env), quote.encode(quote.query_for(exchange, symbol.strip())))


def balance_call(cfg: ClientConfig, exchange: Exchange, currency: str, fk: str = "", nk: str = "",
                 tr_cont: str = "") -> Call:
    """GET inquire-balance, one page."""
    query = inquire_balance.BalanceQuery(account_of(cfg), exchange.value, currency)
    return call(Api.INQUIRE_BALANCE, tr_for(Api.INQUIRE_BALANCE, cfg.env), inquire_balance.encode(query, fk, nk),
                tr_cont=tr_cont)


def psamount_call(cfg: ClientConfig, exchange: Exchange, symbol: str, price: Decimal | None,
                  now: datetime) -> Call:
    """`price` None: at the last price (OVRS_ORD_UNPR "0")."""
    tr_id = tr_for(Api.INQUIRE_PSAMOUNT, cfg.env)
    if price is not None:
        _rule(cfg.env, tr_id, lambda: _check_tick(exchange, price, now))
    query = inquire_psamount.PsamountQuery(account_of(cfg), exchange, symbol.strip(), price)
    return call(Api.INQUIRE_PSAMOUNT, tr_id, inquire_psamount.encode(query))
