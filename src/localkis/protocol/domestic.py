"""The domestic (KRX) APIs python-kis calls in overseas flows (REST-NEXT §18): query specs and codes.

localkis has no domestic market: these answer as KIS would for an account with nothing domestic and a
code KRX does not list, so python-kis goes on to the overseas calls."""

from __future__ import annotations

from localkis.protocol.codes import Message
from localkis.protocol.fields import ACCOUNT, FieldSpec, Format


def _f(name: str, max_len: int, fmt: Format = Format.TEXT) -> FieldSpec:
    # Optional: python-kis sends these with fixed values; localkis reads none of them.
    return FieldSpec(name, False, max_len, fmt, None)


# 주식현재가 시세 FHKST01010100
DOMESTIC_PRICE_QUERY: tuple[FieldSpec, ...] = (
    FieldSpec("FID_COND_MRKT_DIV_CODE", True, 2, Format.TEXT, frozenset(("J", "NX", "UN"))),
    FieldSpec("FID_INPUT_ISCD", True, 12, Format.TEXT, None),
)

_CURSORS100 = (_f("CTX_AREA_FK100", 100), _f("CTX_AREA_NK100", 100))

# 주식잔고조회 TTTC8434R / VTTC8434R
DOMESTIC_BALANCE_QUERY: tuple[FieldSpec, ...] = (
    *ACCOUNT, _f("AFHR_FLPR_YN", 1), _f("OFL_YN", 1), _f("INQR_DVSN", 2), _f("UNPR_DVSN", 2),
    _f("FUND_STTL_ICLD_YN", 1), _f("FNCG_AMT_AUTO_RDPT_YN", 1), _f("PRCS_DVSN", 2), *_CURSORS100,
)

# 주식정정취소가능주문조회 TTTC8036R (python-kis 2.1's TR; KIS's current spec names TTTC0084R)
DOMESTIC_REVISABLE_QUERY: tuple[FieldSpec, ...] = (
    *ACCOUNT, _f("INQR_DVSN_1", 1), _f("INQR_DVSN_2", 1), *_CURSORS100,
)

# Success texts of KIS's account inquiries (msg_cd not recorded for these TRs: UNVERIFIED).
DOMESTIC_PRICE_OK = Message("MCA00000", "정상처리 되었습니다.", invented=True)
DOMESTIC_INQUIRY_OK = Message("KIOK0460", "조회 되었습니다. (마지막 자료)".ljust(80), invented=True)

# output of FHKST01010100 for a code KRX does not list: zeros (REST-NEXT §19.1: UNVERIFIED; python-kis
# reads only stck_prpr, and "0" tells it the code is not domestic).
DOMESTIC_PRICE_ZERO_KEYS = (
    "iscd_stat_cls_code", "stck_prpr", "prdy_vrss", "prdy_vrss_sign", "prdy_ctrt", "acml_tr_pbmn", "acml_vol",
    "stck_oprc", "stck_hgpr", "stck_lwpr", "stck_mxpr", "stck_llam", "stck_sdpr", "aspr_unit", "hts_avls",
    "per", "pbr", "eps", "bps", "w52_hgpr", "w52_lwpr",
)

# output2 of the domestic balance for an account with nothing domestic (python-kis needs one row with a
# numeric dnca_tot_amt).
DOMESTIC_BALANCE_SUMMARY_KEYS = (
    "dnca_tot_amt", "nxdy_excc_amt", "prvs_rcdl_excc_amt", "cma_evlu_amt", "bfdy_buy_amt", "thdt_buy_amt",
    "nxdy_auto_rdpt_amt", "bfdy_sll_amt", "thdt_sll_amt", "d2_auto_rdpt_amt", "bfdy_tlex_amt", "thdt_tlex_amt",
    "tot_loan_amt", "scts_evlu_amt", "tot_evlu_amt", "nass_amt", "fncg_gld_auto_rdpt_yn", "pchs_amt_smtl_amt",
    "evlu_amt_smtl_amt", "evlu_pfls_smtl_amt", "tot_stln_slng_chgs", "bfdy_tot_asst_evlu_amt", "asst_icdc_amt",
    "asst_icdc_erng_rt",
)
