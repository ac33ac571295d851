"""상품기본조회 (domestic search-info, CTPF1604R) for overseas symbols, as python-kis asks it (B8)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from localkis.domain.instruments import Instrument
from localkis.protocol import codes
from localkis.protocol.exchanges import SEARCH_TYPE_CODES, Exchange
from localkis.protocol.fields import SEARCH_INFO_QUERY
from localkis.wire.errors import MessageError
from localkis.wire.responses import ok

FIELDS = SEARCH_INFO_QUERY
NOT_FOUND = codes.Message("KIOK0560", codes.INQUIRY_EMPTY.text)


@dataclass(frozen=True, slots=True)
class SearchInfoQuery:
    product_type: str  # PRDT_TYPE_CD: 512 NASD, 513 NYSE, 529 AMEX, 501 SEHK, …
    symbol: str

    @property
    def exchange(self) -> Exchange | None:
        return SEARCH_TYPE_CODES.get(self.product_type)


def decode(fields: Mapping[str, str]) -> SearchInfoQuery:
    return SearchInfoQuery(fields["PRDT_TYPE_CD"], fields["PDNO"])


def encode(query: SearchInfoQuery) -> dict[str, str]:
    return {"PDNO": query.symbol, "PRDT_TYPE_CD": query.product_type}


def render(query: SearchInfoQuery, instrument: Instrument | None) -> dict[str, object]:
    """The product's names; an unknown symbol for the type's exchange is KIOK0560 (rt_cd "1")."""
    if instrument is None:
        raise MessageError(NOT_FOUND)
    english = instrument.english_name or instrument.symbol
    return ok(codes.SEARCH_INFO_OK, output={
        "pdno": instrument.symbol, "prdt_type_cd": query.product_type, "prdt_name": instrument.name,
        "prdt_name120": instrument.name, "prdt_abrv_name": instrument.name,
        "prdt_eng_name": english, "prdt_eng_name120": english, "prdt_eng_abrv_name": english,
        "std_pdno": instrument.symbol, "shtn_pdno": instrument.symbol, "prdt_sale_stat_cd": "",
        "prdt_risk_grad_cd": "", "prdt_clsf_cd": "", "prdt_clsf_name": "", "sale_strt_dt": "",
        "sale_end_dt": "", "wrap_asst_type_cd": "", "ivst_prdt_type_cd": "", "ivst_prdt_type_cd_name": "",
        "frst_erlm_dt": ""})
