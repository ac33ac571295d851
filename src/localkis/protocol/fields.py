"""Field specs of every request localkis serves: name, required, max length, format (seed, PROTOCOL §3–§10)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from localkis.protocol.apis import Api


class Format(StrEnum):
    TEXT = "text"
    DIGITS = "digits"  # 0-9 only
    DECIMAL = "decimal"  # non-negative decimal number
    DATE = "date"  # YYYYMMDD


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    required: bool
    max_len: int
    fmt: Format = Format.TEXT
    choices: frozenset[str] | None = None
    exact_len: bool = False  # CANO/ACNT_PRDT_CD must be exactly max_len


def _f(name: str, required: bool, max_len: int, fmt: Format = Format.TEXT, *,
       choices: tuple[str, ...] | None = None, exact: bool = False) -> FieldSpec:
    return FieldSpec(name, required, max_len, fmt, frozenset(choices) if choices else None, exact)


Y, N = True, False
D, DEC, DT = Format.DIGITS, Format.DECIMAL, Format.DATE

ACCOUNT = (_f("CANO", Y, 8, D, exact=True), _f("ACNT_PRDT_CD", Y, 2, D, exact=True))

ORDER_BODY: tuple[FieldSpec, ...] = (
    *ACCOUNT,
    _f("OVRS_EXCG_CD", Y, 4),
    _f("PDNO", Y, 12),
    _f("ORD_QTY", Y, 10, D),
    _f("OVRS_ORD_UNPR", Y, 32, DEC),
    _f("CTAC_TLNO", N, 20),
    _f("MGCO_APTM_ODNO", N, 12),
    _f("SLL_TYPE", N, 2),
    _f("ORD_SVR_DVSN_CD", N, 1, choices=("0",)),
    _f("ORD_DVSN", N, 2, D),
    _f("START_TIME", N, 6, D),
    _f("END_TIME", N, 6, D),
    _f("ALGO_ORD_TMD_DVSN_CD", N, 2, D),
)

REVISE_CANCEL_BODY: tuple[FieldSpec, ...] = (
    *ACCOUNT,
    _f("OVRS_EXCG_CD", Y, 4),
    _f("PDNO", Y, 12),
    _f("ORGN_ODNO", Y, 10, D),
    _f("RVSE_CNCL_DVSN_CD", Y, 2, D),
    _f("ORD_QTY", Y, 10, D),
    _f("OVRS_ORD_UNPR", Y, 32, DEC),
    _f("MGCO_APTM_ODNO", N, 12),
    _f("ORD_SVR_DVSN_CD", N, 1, choices=("0",)),
    _f("CTAC_TLNO", N, 20),
)

INQUIRE_NCCS_QUERY: tuple[FieldSpec, ...] = (
    *ACCOUNT,
    _f("OVRS_EXCG_CD", N, 4),  # blank: every exchange (python-kis's pending_orders() with no country)
    _f("SORT_SQN", N, 2),
    _f("CTX_AREA_FK200", N, 200),
    _f("CTX_AREA_NK200", N, 200),
)

INQUIRE_CCNL_QUERY: tuple[FieldSpec, ...] = (
    *ACCOUNT,
    _f("PDNO", N, 12),
    _f("ORD_STRT_DT", Y, 8, DT),
    _f("ORD_END_DT", Y, 8, DT),
    _f("SLL_BUY_DVSN", N, 2, choices=("", "00", "01", "02")),
    _f("CCLD_NCCS_DVSN", N, 2, choices=("", "00", "01", "02")),
    _f("OVRS_EXCG_CD", N, 4),
    _f("SORT_SQN", N, 2),
    _f("ORD_DT", N, 8),
    _f("ORD_GNO_BRNO", N, 5),
    _f("ODNO", N, 10),
    _f("CTX_AREA_FK200", N, 200),
    _f("CTX_AREA_NK200", N, 200),
)

CURRENCIES = ("USD", "HKD", "CNY", "JPY", "VND")

INQUIRE_BALANCE_QUERY: tuple[FieldSpec, ...] = (
    *ACCOUNT,
    # Required in the spec, but python-kis (mock) sends both blank: every exchange, every currency.
    _f("OVRS_EXCG_CD", N, 4),
    _f("TR_CRCY_CD", N, 3, choices=CURRENCIES),
    _f("CTX_AREA_FK200", N, 200),
    _f("CTX_AREA_NK200", N, 200),
)

INQUIRE_PSAMOUNT_QUERY: tuple[FieldSpec, ...] = (
    *ACCOUNT,
    _f("OVRS_EXCG_CD", Y, 4),
    # (23.8) in the spec; blank or "0" means "at the last price" (localkis's choice).
    _f("OVRS_ORD_UNPR", N, 32, DEC),
    _f("ITEM_CD", Y, 12),
)

INQUIRE_PRESENT_BALANCE_QUERY: tuple[FieldSpec, ...] = (
    *ACCOUNT,
    _f("WCRC_FRCR_DVSN_CD", Y, 2, choices=("01", "02")),
    _f("NATN_CD", Y, 3, choices=("000", "840", "344", "156", "392", "704")),
    _f("TR_MKET_CD", Y, 2, D),
    _f("INQR_DVSN_CD", Y, 2, choices=("00", "01", "02")),
)

PRICE_QUERY: tuple[FieldSpec, ...] = (
    _f("AUTH", N, 32),
    _f("EXCD", Y, 4),
    _f("SYMB", Y, 16),
)

SEARCH_INFO_QUERY: tuple[FieldSpec, ...] = (
    _f("PDNO", Y, 12),
    _f("PRDT_TYPE_CD", Y, 3, D),
)

# The body or query of each API.
API_FIELDS: dict[Api, tuple[FieldSpec, ...]] = {
    Api.ORDER: ORDER_BODY,
    Api.REVISE_CANCEL: REVISE_CANCEL_BODY,
    Api.INQUIRE_NCCS: INQUIRE_NCCS_QUERY,
    Api.INQUIRE_CCNL: INQUIRE_CCNL_QUERY,
    Api.INQUIRE_BALANCE: INQUIRE_BALANCE_QUERY,
    Api.INQUIRE_PSAMOUNT: INQUIRE_PSAMOUNT_QUERY,
    Api.INQUIRE_PRESENT_BALANCE: INQUIRE_PRESENT_BALANCE_QUERY,
    Api.PRICE: PRICE_QUERY,
    Api.SEARCH_INFO: SEARCH_INFO_QUERY,
}

# Request headers (seed table). Names are matched case-insensitively.
HEADERS: tuple[FieldSpec, ...] = (
    _f("authorization", Y, 350),
    _f("appkey", Y, 36),
    _f("appsecret", Y, 180),
    _f("personalseckey", N, 180),
    _f("tr_id", Y, 13),
    _f("tr_cont", N, 1),
    _f("custtype", N, 1, choices=("P", "B")),
    # The seed says 2, but its own example value is "001".
    _f("seq_no", N, 3),
    _f("mac_address", N, 12),
    _f("phone_number", N, 12),
    # The seed says 12, but a dotted IPv4 address is up to 15 characters.
    _f("ip_addr", N, 15),
    _f("gt_uid", N, 32),
)

# Rows per page of inquire-nccs (A6); inquire-ccnl's and inquire-balance's differ per environment
# (`protocol.env.ENV_RULES`).
NCCS_PAGE_SIZE = 40
CURSOR_WIDTH = 200
