"""Typed arguments and results: Decimal prices, int quantities, aware datetimes, enums.

KIS's wire names stay at the edge: each result keeps the row it came from in `raw`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from localkis.protocol.exchanges import EXCHANGES, Exchange, parse_exchange
from localkis.protocol.orders import OrderKind, OrderType, Side

__all__ = [
    "KST",
    "Balance",
    "BalanceTotals",
    "BuyingPower",
    "Exchange",
    "Order",
    "OrderAck",
    "OrderKind",
    "OrderType",
    "Position",
    "Quote",
    "Side",
]

KST = ZoneInfo("Asia/Seoul")


def parse_side(value: Side | str) -> Side:
    """`Side.BUY`/`Side.SELL`, or "buy"/"sell", or KIS's "02"/"01"."""
    if isinstance(value, Side):
        return value
    text = str(value).strip().lower()
    if text in ("buy", "b", "02"):
        return Side.BUY
    if text in ("sell", "s", "01"):
        return Side.SELL
    raise ValueError(f"side must be buy or sell, got {value!r}")


def dec(text: Any) -> Decimal:
    """KIS number strings ("200.00000000", "", "  12 ") as Decimal; blank is 0."""
    s = str(text if text is not None else "").strip().replace(",", "")
    if not s:
        return Decimal(0)
    try:
        return Decimal(s)
    except InvalidOperation:
        return Decimal(0)


def qty(text: Any) -> int:
    """KIS quantity strings ("3", "3.0", "") as int."""
    return int(dec(text))


def _kst(day: str, hhmmss: str) -> datetime | None:
    day, hhmmss = day.strip(), hhmmss.strip()
    if len(day) != 8 or not day.isdigit():
        return None
    hhmmss = hhmmss.zfill(6) if hhmmss.isdigit() else "000000"
    try:
        return datetime.strptime(day + hhmmss[:6], "%Y%m%d%H%M%S").replace(tzinfo=KST)
    except ValueError:
        return None


def _kst_from_local(local_day: str, kst_hhmmss: str, exchange: Exchange | None) -> datetime | None:
    """inquire-nccs gives the exchange-local date with a KST time: find the KST instant they describe."""
    base = _kst(local_day, kst_hhmmss)
    if base is None or exchange is None:
        return base
    tz = ZoneInfo(EXCHANGES[exchange].timezone)
    for candidate in (base, base + timedelta(days=1), base - timedelta(days=1)):
        if candidate.astimezone(tz).strftime("%Y%m%d") == local_day.strip():
            return candidate
    return base


def _date(day: str) -> date | None:
    try:
        return datetime.strptime(day.strip(), "%Y%m%d").date()
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class OrderAck:
    """An accepted order, revise or cancel.

    Attributes:
        order_no: the new order number (`ODNO`, 10 digits).
        branch: `KRX_FWDG_ORD_ORGNO`.
        ordered_at: when KIS took it (KST), from `ORD_TMD` (or the history row when reconciled).
        msg_cd, msg1: KIS's success message ("" when reconciled: the answer was lost).
        tr_id: the TR ID sent.
        reconciled: True if the response was lost and the order was found again in the history.
        order: the history row found by reconciliation (None otherwise).
    """

    order_no: str
    branch: str
    ordered_at: datetime | None
    msg_cd: str
    msg1: str
    tr_id: str
    reconciled: bool = False
    order: Order | None = None


@dataclass(frozen=True, slots=True)
class Order:
    """A row of inquire-nccs (open orders) or inquire-ccnl (order history)."""

    order_no: str
    original_order_no: str  # "" for a new order
    kind: OrderKind  # NEW, REVISE (a replacement) or CANCEL (a cancel confirmation)
    exchange: Exchange | None  # None if KIS sent a code this client does not know (see raw)
    symbol: str
    name: str
    side: Side
    quantity: int
    filled_quantity: int
    open_quantity: int
    price: Decimal
    average_fill_price: Decimal
    filled_amount: Decimal
    status: str  # prcs_stat_name (완료, 거부, 전송)
    order_date: date | None  # the exchange-local order date (ord_dt)
    ordered_at: datetime | None  # KST
    currency: str
    raw: Mapping[str, str] = field(repr=False, compare=False, default_factory=dict)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Order:
        """An inquire-nccs or inquire-ccnl output row."""
        r = {k: "" if v is None else str(v) for k, v in row.items()}
        kind_code = (r.get("rvse_cncl_dvsn_cd") or r.get("rvse_cncl_dvsn") or "00").strip() or "00"
        try:
            kind = OrderKind(kind_code)
        except ValueError:
            kind = OrderKind.NEW
        side_code = r.get("sll_buy_dvsn_cd", "").strip()
        side = Side.SELL if side_code == Side.SELL.value else Side.BUY
        exchange = parse_exchange(r.get("ovrs_excg_cd", "").strip())
        if r.get("dmst_ord_dt", "").strip():  # inquire-ccnl: the KST date and time
            ordered_at = _kst(r["dmst_ord_dt"], r.get("thco_ord_tmd", "").strip() or r.get("ord_tmd", ""))
        else:  # inquire-nccs: the exchange-local date, the KST time
            ordered_at = _kst_from_local(r.get("ord_dt", ""), r.get("ord_tmd", ""), exchange)
        return cls(
            order_no=r.get("odno", "").strip(),
            original_order_no=r.get("orgn_odno", "").strip(),
            kind=kind,
            exchange=exchange,
            symbol=r.get("pdno", "").strip(),
            name=r.get("prdt_name", "").strip(),
            side=side,
            quantity=qty(r.get("ft_ord_qty")),
            filled_quantity=qty(r.get("ft_ccld_qty")),
            open_quantity=qty(r.get("nccs_qty")),
            price=dec(r.get("ft_ord_unpr3")),
            average_fill_price=dec(r.get("ft_ccld_unpr3")),
            filled_amount=dec(r.get("ft_ccld_amt3")),
            status=r.get("prcs_stat_name", "").strip(),
            order_date=_date(r.get("ord_dt", "")),
            ordered_at=ordered_at,
            currency=r.get("tr_crcy_cd", "").strip(),
            raw=r,
        )

    @property
    def is_open(self) -> bool:
        """Something is still open (a cancel confirmation never is)."""
        return self.kind is not OrderKind.CANCEL and self.open_quantity > 0


@dataclass(frozen=True, slots=True)
class Quote:
    """The current price (HHDFS00000300). `last` is None when KIS answers with blank fields."""

    exchange: Exchange
    symbol: str
    last: Decimal | None
    base: Decimal | None  # previous close
    diff: Decimal
    rate: Decimal  # percent
    volume: int
    amount: Decimal
    tradable: str  # ordy, e.g. "매수가능"
    raw: Mapping[str, str] = field(repr=False, compare=False, default_factory=dict)

    @classmethod
    def from_output(cls, exchange: Exchange, symbol: str, out: Mapping[str, Any]) -> Quote:
        """The `output` object of HHDFS00000300."""
        r = {k: "" if v is None else str(v) for k, v in out.items()}
        last, base = r.get("last", "").strip(), r.get("base", "").strip()
        # KIS sends `diff` unsigned; `sign` says which way (1 upper limit, 2 up, 3 flat, 4 lower limit, 5 down).
        diff = abs(dec(r.get("diff")))
        if r.get("sign", "").strip() in ("4", "5"):
            diff = -diff
        return cls(exchange=exchange, symbol=symbol, last=dec(last) if last else None,
                   base=dec(base) if base else None, diff=diff, rate=dec(r.get("rate")),
                   volume=qty(r.get("tvol")), amount=dec(r.get("tamt")), tradable=r.get("ordy", "").strip(),
                   raw=r)


@dataclass(frozen=True, slots=True)
class Position:
    """A holding (inquire-balance output1 row)."""

    exchange: Exchange | None
    symbol: str
    name: str
    quantity: int  # ovrs_cblc_qty
    orderable_quantity: int  # ord_psbl_qty
    average_price: Decimal  # pchs_avg_pric
    purchase_amount: Decimal  # frcr_pchs_amt1
    price: Decimal  # now_pric2
    evaluation_amount: Decimal  # ovrs_stck_evlu_amt
    profit_loss: Decimal  # frcr_evlu_pfls_amt
    profit_loss_rate: Decimal  # evlu_pfls_rt, percent
    currency: str
    raw: Mapping[str, str] = field(repr=False, compare=False, default_factory=dict)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Position:
        """An inquire-balance `output1` row."""
        r = {k: "" if v is None else str(v) for k, v in row.items()}
        return cls(exchange=parse_exchange(r.get("ovrs_excg_cd", "").strip()),
                   symbol=r.get("ovrs_pdno", "").strip(), name=r.get("ovrs_item_name", "").strip(),
                   quantity=qty(r.get("ovrs_cblc_qty")), orderable_quantity=qty(r.get("ord_psbl_qty")),
                   average_price=dec(r.get("pchs_avg_pric")), purchase_amount=dec(r.get("frcr_pchs_amt1")),
                   price=dec(r.get("now_pric2")), evaluation_amount=dec(r.get("ovrs_stck_evlu_amt")),
                   profit_loss=dec(r.get("frcr_evlu_pfls_amt")), profit_loss_rate=dec(r.get("evlu_pfls_rt")),
                   currency=r.get("tr_crcy_cd", "").strip(), raw=r)


@dataclass(frozen=True, slots=True)
class BalanceTotals:
    """inquire-balance output2 (totals for the queried exchange and currency)."""

    purchase_amount: Decimal  # frcr_pchs_amt1
    realized_profit_loss: Decimal  # ovrs_rlzt_pfls_amt
    total_profit_loss: Decimal  # ovrs_tot_pfls
    realized_return_rate: Decimal  # rlzt_erng_rt
    evaluation_profit_loss: Decimal  # tot_evlu_pfls_amt
    total_return_rate: Decimal  # tot_pftrt
    raw: Mapping[str, str] = field(repr=False, compare=False, default_factory=dict)

    @classmethod
    def from_output(cls, out: Mapping[str, Any]) -> BalanceTotals:
        """The inquire-balance `output2` object."""
        r = {k: "" if v is None else str(v) for k, v in out.items()}
        return cls(purchase_amount=dec(r.get("frcr_pchs_amt1")),
                   realized_profit_loss=dec(r.get("ovrs_rlzt_pfls_amt")),
                   total_profit_loss=dec(r.get("ovrs_tot_pfls")), realized_return_rate=dec(r.get("rlzt_erng_rt")),
                   evaluation_profit_loss=dec(r.get("tot_evlu_pfls_amt")), total_return_rate=dec(r.get("tot_pftrt")),
                   raw=r)


@dataclass(frozen=True, slots=True)
class Balance:
    """Holdings on one exchange (all US venues for NASD) in one currency."""

    exchange: Exchange
    currency: str
    positions: list[Position]
    totals: BalanceTotals


@dataclass(frozen=True, slots=True)
class BuyingPower:
    """inquire-psamount: what the account can buy at a price."""

    exchange: Exchange
    symbol: str
    price: Decimal | None  # the price asked about (None: the last price)
    currency: str  # tr_crcy_cd
    orderable_cash: Decimal  # ord_psbl_frcr_amt (foreign-currency cash available)
    sell_reuse_amount: Decimal  # sll_ruse_psbl_amt
    orderable_amount: Decimal  # ovrs_ord_psbl_amt
    max_quantity: int  # max_ord_psbl_qty
    orderable_quantity: int  # ord_psbl_qty
    exchange_rate: Decimal  # exrt
    raw: Mapping[str, str] = field(repr=False, compare=False, default_factory=dict)

    @classmethod
    def from_output(cls, exchange: Exchange, symbol: str, price: Decimal | None,
                    out: Mapping[str, Any]) -> BuyingPower:
        """The inquire-psamount `output` object."""
        r = {k: "" if v is None else str(v) for k, v in out.items()}
        return cls(exchange=exchange, symbol=symbol, price=price, currency=r.get("tr_crcy_cd", "").strip(),
                   orderable_cash=dec(r.get("ord_psbl_frcr_amt")), sell_reuse_amount=dec(r.get("sll_ruse_psbl_amt")),
                   orderable_amount=dec(r.get("ovrs_ord_psbl_amt")), max_quantity=qty(r.get("max_ord_psbl_qty")),
                   orderable_quantity=qty(r.get("ord_psbl_qty")), exchange_rate=dec(r.get("exrt")), raw=r)
