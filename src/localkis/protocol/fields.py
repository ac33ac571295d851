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

# 해외주식 예약주문접수 (REST-NEXT §2): the Asia TR (TTTS3013U) also cancels, with RVSE_CNCL_DVSN_CD "02".
ORDER_RESV_BODY: tuple[FieldSpec, ...] = (
    *ACCOUNT,
    _f("SLL_BUY_DVSN_CD", N, 2, choices=("", "01", "02")),
    _f("RVSE_CNCL_DVSN_CD", N, 2, choices=("", "00", "02")),
    _f("PDNO", Y, 12),
    _f("PRDT_TYPE_CD", N, 3),
    _f("OVRS_EXCG_CD", Y, 4),
    _f("FT_ORD_QTY", Y, 10, D),
    _f("FT_ORD_UNPR3", Y, 27, DEC),
    _f("ORD_SVR_DVSN_CD", N, 1),
    _f("RSVN_ORD_RCIT_DT", N, 8),
    _f("ORD_DVSN", N, 20),
    _f("OVRS_RSVN_ODNO", N, 10),
    _f("ALGO_ORD_TMD_DVSN_CD", N, 2),
)

# 해외주식 예약주문접수취소 (REST-NEXT §3). The spec table spells the date RSYN_ORD_RCIT_DT (a typo; every
# client sends RSVN): either is accepted, one is required (checked by the codec).
ORDER_RESV_CCNL_BODY: tuple[FieldSpec, ...] = (
    *ACCOUNT,
    _f("RSVN_ORD_RCIT_DT", N, 8, DT),
    _f("OVRS_RSVN_ODNO", Y, 10, D),
    _f("RSYN_ORD_RCIT_DT", N, 8, DT),
)

# 해외주식 예약주문조회 (REST-NEXT §4).
ORDER_RESV_LIST_QUERY: tuple[FieldSpec, ...] = (
    *ACCOUNT,
    _f("INQR_STRT_DT", Y, 8, DT),
    _f("INQR_END_DT", Y, 8, DT),
    _f("INQR_DVSN_CD", N, 2, choices=("", "00", "01", "02")),
    _f("PRDT_TYPE_CD", N, 3),
    _f("OVRS_EXCG_CD", N, 4),
    _f("CTX_AREA_FK200", N, 200),
    _f("CTX_AREA_NK200", N, 200),
)

# 해외주식 미국주간주문 (REST-NEXT §5): no SLL_TYPE; ORD_DVSN "00" only (checked by the decision).
DAYTIME_ORDER_BODY: tuple[FieldSpec, ...] = (
    *ACCOUNT,
    _f("OVRS_EXCG_CD", Y, 4),
    _f("PDNO", Y, 12),
    _f("ORD_QTY", Y, 10, D),
    _f("OVRS_ORD_UNPR", Y, 32, DEC),
    _f("CTAC_TLNO", N, 20),
    _f("MGCO_APTM_ODNO", N, 12),
    # Required in the spec; python-kis sends it, the Postman examples too: absent is taken as "0".
    _f("ORD_SVR_DVSN_CD", N, 1, choices=("0",)),
    _f("ORD_DVSN", N, 2, D),
)

# 해외주식 미국주간정정취소 (REST-NEXT §6): CTAC_TLNO/MGCO_APTM_ODNO/ORD_SVR_DVSN_CD are "required" in the
# spec but python-kis sends them blank; presence is not enforced.
DAYTIME_REVISE_CANCEL_BODY: tuple[FieldSpec, ...] = (
    *ACCOUNT,
    _f("OVRS_EXCG_CD", Y, 4),
    _f("PDNO", Y, 12),
    _f("ORGN_ODNO", Y, 10, D),
    _f("RVSE_CNCL_DVSN_CD", Y, 2, D),
    _f("ORD_QTY", Y, 10, D),
    _f("OVRS_ORD_UNPR", Y, 32, DEC),
    _f("CTAC_TLNO", N, 20),
    _f("MGCO_APTM_ODNO", N, 12),
    _f("ORD_SVR_DVSN_CD", N, 1, choices=("0",)),
)

# 해외주식 기간손익 (REST-NEXT §14). "Required" in the spec, blank in every client: only the dates must be sent.
INQUIRE_PERIOD_PROFIT_QUERY: tuple[FieldSpec, ...] = (
    *ACCOUNT,
    _f("OVRS_EXCG_CD", N, 4),
    _f("NATN_CD", N, 3),
    _f("CRCY_CD", N, 3, choices=("", *CURRENCIES)),
    _f("PDNO", N, 12),
    _f("INQR_STRT_DT", Y, 8, DT),
    _f("INQR_END_DT", Y, 8, DT),
    _f("WCRC_FRCR_DVSN_CD", N, 2, choices=("", "01", "02")),
    _f("CTX_AREA_FK200", N, 200),
    _f("CTX_AREA_NK200", N, 200),
)

# 해외증거금 통화별조회 (REST-NEXT §17): the account only.
FOREIGN_MARGIN_QUERY: tuple[FieldSpec, ...] = ACCOUNT

# 해외주식 일별거래내역 (REST-NEXT §16). OVRS_EXCG_CD: blank in the spec, a quote code (NAS) in the
# official sample, an order code elsewhere: all three are accepted.
INQUIRE_PERIOD_TRANS_QUERY: tuple[FieldSpec, ...] = (
    *ACCOUNT,
    _f("ERLM_STRT_DT", Y, 8, DT),
    _f("ERLM_END_DT", Y, 8, DT),
    _f("OVRS_EXCG_CD", N, 4),
    _f("PDNO", N, 12),
    _f("SLL_BUY_DVSN_CD", N, 2, choices=("", "00", "01", "02")),
    _f("LOAN_DVSN_CD", N, 2),
    _f("CTX_AREA_FK100", N, 100),
    _f("CTX_AREA_NK100", N, 100),
)

# 해외주식 결제기준잔고 (REST-NEXT §15). WCRC_FRCR_DVSN_CD here: 01 won, 02 foreign (§1.5).
INQUIRE_PAYMT_STDR_BALANCE_QUERY: tuple[FieldSpec, ...] = (
    *ACCOUNT,
    _f("BASS_DT", Y, 8, DT),
    _f("WCRC_FRCR_DVSN_CD", Y, 2, choices=("01", "02")),
    _f("INQR_DVSN_CD", N, 2, choices=("", "00", "01", "02")),
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
    Api.ORDER_RESV: ORDER_RESV_BODY,
    Api.ORDER_RESV_CCNL: ORDER_RESV_CCNL_BODY,
    Api.ORDER_RESV_LIST: ORDER_RESV_LIST_QUERY,
    Api.DAYTIME_ORDER: DAYTIME_ORDER_BODY,
    Api.DAYTIME_REVISE_CANCEL: DAYTIME_REVISE_CANCEL_BODY,
    Api.INQUIRE_PERIOD_PROFIT: INQUIRE_PERIOD_PROFIT_QUERY,
    Api.FOREIGN_MARGIN: FOREIGN_MARGIN_QUERY,
    Api.INQUIRE_PERIOD_TRANS: INQUIRE_PERIOD_TRANS_QUERY,
    Api.INQUIRE_PAYMT_STDR_BALANCE: INQUIRE_PAYMT_STDR_BALANCE_QUERY,
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
