"""KIS vocabulary as data: TR IDs, exchanges, message codes, field specs (PROTOCOL §3-§11, A1, A2, B9)."""

from __future__ import annotations

import pytest

from localkis.protocol import codes
from localkis.protocol.apis import Api
from localkis.protocol.codes import (
    BUSINESS,
    GATEWAY_TEXT,
    OPS_TEXT,
    BusinessMessage,
    Gateway,
    Message,
    Ops,
)
from localkis.protocol.env import ENV_RULES, Env
from localkis.protocol.exchanges import (
    EXCHANGES,
    QUOTE_CODES,
    SEARCH_TYPE_CODES,
    US_EXCHANGES,
    Exchange,
    Market,
    inquiry_scope,
    parse_exchange,
)
from localkis.protocol.fields import (
    CURSOR_WIDTH,
    HEADERS,
    INQUIRE_CCNL_QUERY,
    NCCS_PAGE_SIZE,
    ORDER_BODY,
    REVISE_CANCEL_BODY,
    Format,
)
from localkis.protocol.orders import Side
from localkis.protocol.reasons import Reason
from localkis.protocol.trids import TR_TABLE, tr_env_family, tr_for, tr_for_order, tr_for_revise_cancel

# ------------------------------------------------------------------------------------------------
# TR IDs
# ------------------------------------------------------------------------------------------------

# The seed spec of order-rvsecncl (해외주식 정정취소주문 v1_해외주식-003), tr_id header row, verbatim.
SEED_REVISE_CANCEL: list[tuple[str, Env, Market]] = [
    ("TTTT1004U", Env.REAL, Market.US),
    ("TTTS1003U", Env.REAL, Market.HK),
    ("TTTS0309U", Env.REAL, Market.JP),
    ("TTTS0302U", Env.REAL, Market.SH),
    ("TTTS0306U", Env.REAL, Market.SZ),
    ("TTTS0312U", Env.REAL, Market.VN),
    ("VTTT1004U", Env.MOCK, Market.US),
    ("VTTS1003U", Env.MOCK, Market.HK),
    ("VTTS0309U", Env.MOCK, Market.JP),
    ("VTTS0302U", Env.MOCK, Market.SH),
    ("VTTS0306U", Env.MOCK, Market.SZ),
    ("VTTS0312U", Env.MOCK, Market.VN),
]


@pytest.mark.parametrize(("tr_id", "env", "market"), SEED_REVISE_CANCEL, ids=[t for t, _, _ in SEED_REVISE_CANCEL])
def test_seed_revise_cancel_trs(tr_id: str, env: Env, market: Market) -> None:
    spec = TR_TABLE[tr_id]
    assert (spec.tr_id, spec.api, spec.env, spec.market) == (tr_id, Api.REVISE_CANCEL, env, market)
    assert spec.side is None and spec.alias_of is None and spec.needs_switch is None
    assert tr_for_revise_cancel(market, env) == tr_id


def test_no_revise_cancel_tr_beyond_the_seed() -> None:
    served = {t for t, s in TR_TABLE.items() if s.api is Api.REVISE_CANCEL}
    assert served == {t for t, _, _ in SEED_REVISE_CANCEL}


# PROTOCOL §4: market -> (buy real, sell real, buy mock, sell mock).
ORDER_TRS: dict[Market, tuple[str, str, str, str]] = {
    Market.US: ("TTTT1002U", "TTTT1006U", "VTTT1002U", "VTTT1001U"),
    Market.JP: ("TTTS0308U", "TTTS0307U", "VTTS0308U", "VTTS0307U"),
    Market.SH: ("TTTS0202U", "TTTS1005U", "VTTS0202U", "VTTS1005U"),
    Market.HK: ("TTTS1002U", "TTTS1001U", "VTTS1002U", "VTTS1001U"),
    Market.SZ: ("TTTS0305U", "TTTS0304U", "VTTS0305U", "VTTS0304U"),
    Market.VN: ("TTTS0311U", "TTTS0310U", "VTTS0311U", "VTTS0310U"),
}
ORDER_CASES = [
    (market, side, env, trs[(0 if side is Side.BUY else 1) + (0 if env is Env.REAL else 2)])
    for market, trs in ORDER_TRS.items() for side in Side for env in Env
]


@pytest.mark.parametrize(("market", "side", "env", "tr_id"), ORDER_CASES, ids=[c[3] for c in ORDER_CASES])
def test_order_tr_table(market: Market, side: Side, env: Env, tr_id: str) -> None:
    assert tr_for_order(market, side, env) == tr_id
    spec = TR_TABLE[tr_id]
    assert (spec.api, spec.market, spec.side, spec.env) == (Api.ORDER, market, side, env)
    assert spec.alias_of is None and spec.needs_switch is None


def test_mock_us_sell_is_vttt1001u() -> None:
    assert tr_for_order(Market.US, Side.SELL, Env.MOCK) == "VTTT1001U"


def test_vttt1006u_only_behind_the_switch() -> None:
    spec = TR_TABLE["VTTT1006U"]
    assert spec.needs_switch == "accept_vttt1006u"
    assert spec.alias_of == "VTTT1001U"
    assert (spec.api, spec.market, spec.side, spec.env) == (Api.ORDER, Market.US, Side.SELL, Env.MOCK)
    # The only switched order TR.
    assert [t for t, s in TR_TABLE.items() if s.api is Api.ORDER and s.needs_switch] == ["VTTT1006U"]


@pytest.mark.parametrize(("alias", "canonical", "side"), [("JTTT1002U", "TTTT1002U", Side.BUY),
                                                         ("JTTT1006U", "TTTT1006U", Side.SELL)])
def test_legacy_jttt_aliases(alias: str, canonical: str, side: Side) -> None:
    spec = TR_TABLE[alias]
    assert spec.alias_of == canonical and spec.needs_switch is None
    assert (spec.api, spec.market, spec.side, spec.env) == (Api.ORDER, Market.US, side, Env.REAL)
    assert tr_for_order(Market.US, side, Env.REAL) == canonical  # aliases are never the canonical choice


def test_order_trs_are_exactly_the_table_plus_aliases() -> None:
    served = {t for t, s in TR_TABLE.items() if s.api is Api.ORDER}
    expected = {t for trs in ORDER_TRS.values() for t in trs} | {"JTTT1002U", "JTTT1006U", "VTTT1006U"}
    assert served == expected


def test_every_alias_points_at_a_canonical_tr_of_the_same_kind() -> None:
    for tr_id, spec in TR_TABLE.items():
        assert spec.tr_id == tr_id
        assert len(tr_id) <= 13
        if spec.alias_of is not None:
            target = TR_TABLE[spec.alias_of]
            assert target.alias_of is None
            assert (target.api, target.market, target.side, target.env) == (spec.api, spec.market, spec.side,
                                                                            spec.env)


def test_env_family_agrees_with_every_env_specific_tr() -> None:
    for tr_id, spec in TR_TABLE.items():
        if spec.env is not None:
            assert tr_env_family(tr_id) is spec.env, tr_id


@pytest.mark.parametrize(("tr_id", "env"), [
    ("VTTT1002U", Env.MOCK), ("TTTT1002U", Env.REAL), ("JTTT1002U", Env.REAL), ("CTPF1604R", Env.REAL),
    ("HHDFS00000300", None), ("", None), ("X", None), ("vttt1002u", None)])
def test_tr_env_family(tr_id: str, env: Env | None) -> None:
    assert tr_env_family(tr_id) is env


@pytest.mark.parametrize(("api", "env", "tr_id"), [
    (Api.INQUIRE_NCCS, Env.REAL, "TTTS3018R"), (Api.INQUIRE_NCCS, Env.MOCK, "VTTS3018R"),
    (Api.INQUIRE_CCNL, Env.REAL, "TTTS3035R"), (Api.INQUIRE_CCNL, Env.MOCK, "VTTS3035R"),
    (Api.PRICE, Env.REAL, "HHDFS00000300"), (Api.PRICE, Env.MOCK, "HHDFS00000300"),
    (Api.SEARCH_INFO, Env.REAL, "CTPF1604R"), (Api.SEARCH_INFO, Env.MOCK, "CTPF1604R")])
def test_market_independent_trs(api: Api, env: Env, tr_id: str) -> None:
    assert tr_for(api, env) == tr_id


def test_mock_nccs_can_be_switched_off() -> None:
    # A1: served for mock apps unless strict_mock is on.
    assert TR_TABLE["VTTS3018R"].needs_switch == "!strict_mock"
    assert TR_TABLE["TTTS3018R"].needs_switch is None


# ------------------------------------------------------------------------------------------------
# Exchanges
# ------------------------------------------------------------------------------------------------

# exchange -> (market, currency, quote code, revise allowed)
EXCHANGE_FACTS: dict[Exchange, tuple[Market, str, str, bool]] = {
    Exchange.NASD: (Market.US, "USD", "NAS", True),
    Exchange.NYSE: (Market.US, "USD", "NYS", True),
    Exchange.AMEX: (Market.US, "USD", "AMS", True),
    Exchange.SEHK: (Market.HK, "HKD", "HKS", True),
    Exchange.TKSE: (Market.JP, "JPY", "TSE", True),
    Exchange.SHAA: (Market.SH, "CNY", "SHS", False),
    Exchange.SZAA: (Market.SZ, "CNY", "SZS", False),
    Exchange.HASE: (Market.VN, "VND", "HNX", False),
    Exchange.VNSE: (Market.VN, "VND", "HSX", False),
}


@pytest.mark.parametrize("exchange", list(Exchange), ids=[x.value for x in Exchange])
def test_exchange_facts(exchange: Exchange) -> None:
    info = EXCHANGES[exchange]
    assert info.exchange is exchange
    assert (info.market, info.currency, info.quote_code, info.revise_allowed) == EXCHANGE_FACTS[exchange]
    assert QUOTE_CODES[info.quote_code] is exchange
    assert SEARCH_TYPE_CODES[info.search_type_code] is exchange
    # Every exchange has an order TR and a revise/cancel TR in each environment.
    for env in Env:
        for side in Side:
            tr_for_order(info.market, side, env)
        tr_for_revise_cancel(info.market, env)


def test_us_search_type_codes() -> None:
    # python-kis looks these up (B8): PRDT_TYPE_CD 512/513/529.
    assert {SEARCH_TYPE_CODES[c] for c in ("512", "513", "529")} == US_EXCHANGES


@pytest.mark.parametrize("code", [x.value for x in Exchange])
def test_parse_exchange_known(code: str) -> None:
    assert parse_exchange(code) is Exchange(code)


@pytest.mark.parametrize("code", ["", "nasd", "NAS", "VND", "NASD ", "KRX"])
def test_parse_exchange_unknown(code: str) -> None:
    assert parse_exchange(code) is None


def test_inquiry_scope() -> None:
    assert inquiry_scope(Exchange.NASD) == US_EXCHANGES == {Exchange.NASD, Exchange.NYSE, Exchange.AMEX}
    for exchange in Exchange:
        if exchange is not Exchange.NASD:
            assert inquiry_scope(exchange) == {exchange}


# ------------------------------------------------------------------------------------------------
# Message codes
# ------------------------------------------------------------------------------------------------

def test_every_reason_has_a_real_and_a_mock_message() -> None:
    assert set(BUSINESS) == set(Reason)
    for reason, message in BUSINESS.items():
        assert isinstance(message, BusinessMessage)
        assert message.real.code and message.real.text, reason
        assert message.mock.code and message.mock.text, reason
        assert message.for_env(Env.REAL) is message.real
        assert message.for_env(Env.MOCK) is message.mock


@pytest.mark.parametrize("reason", list(Reason), ids=[r.value for r in Reason])
def test_business_message_shapes(reason: Reason) -> None:
    message = BUSINESS[reason]
    # Real business codes are APBK…; mock ones are KIS's 8-digit numeric codes with "모의투자" texts (A1).
    assert message.real.code.startswith("APBK") and len(message.real.code) == 8
    assert message.mock.code.isdigit() and len(message.mock.code) == 8
    assert message.mock.text.startswith("모의투자 ")
    assert "모의투자" not in message.real.text


@pytest.mark.parametrize("message", [codes.ORDER_BUY_OK, codes.ORDER_SELL_OK, codes.REVISE_OK, codes.CANCEL_OK],
                         ids=["buy", "sell", "revise", "cancel"])
def test_success_messages(message: BusinessMessage) -> None:
    assert (message.real.code, message.real.text) == ("APBK0013", "주문 전송 완료 되었습니다.")
    assert message.mock.text.startswith("모의투자 ") and message.mock.code.isdigit()


# Literal texts from PROTOCOL §4, §5, §11.4 and Part C (observed or spec).
@pytest.mark.parametrize(("message", "code", "text"), [
    (codes.ORDER_BUY_OK.mock, "40600000", "모의투자 매수주문이 완료 되었습니다."),
    (codes.ORDER_SELL_OK.mock, "40610000", "모의투자 매도주문이 완료 되었습니다."),
    (codes.REVISE_OK.mock, "40620000", "모의투자 정정주문이 완료 되었습니다."),
    (codes.CANCEL_OK.mock, "40630000", "모의투자 취소주문이 완료 되었습니다."),
    (BUSINESS[Reason.NOTHING_LEFT].mock, "40330000", "모의투자 정정/취소할 수량이 없습니다."),
    (BUSINESS[Reason.NOTHING_LEFT].real, "APBK0344", "정정/취소할 수량이 없습니다."),
    (BUSINESS[Reason.SAME_PRICE].mock, "40340000", "모의투자 정정가격이 원주문가격과 같습니다"),
    (BUSINESS[Reason.SAME_PRICE].real, "APBK0345", "정정가격이 원주문가격과 같습니다"),
    (BUSINESS[Reason.BEFORE_OPEN].mock, "40570000", "모의투자 장시작전 입니다."),
    (BUSINESS[Reason.AFTER_CLOSE].mock, "40580000", "모의투자 장종료 입니다."),
    (BUSINESS[Reason.NON_TRADING_DAY].mock, "40100000", "모의투자 영업일이 아닙니다."),
    (BUSINESS[Reason.MARKET_CLOSED].real, "APBK0918",
     "장운영시간이 아닙니다.(단,주간거래시간이면 전용화면 주문가능, 주문시간 외 불가)"),
    (BUSINESS[Reason.UNKNOWN_SYMBOL].real, "APBK0656", "해당종목정보가 없습니다."),
    (BUSINESS[Reason.PRICE_BELOW_MINIMUM].real, "APBK1507", "가격 $0.01 미만시 온라인 주문불가"),
    (BUSINESS[Reason.OFF_TICK].mock, "40490000", "모의투자 주문처리가 안되었습니다(호가단위 오류)"),
    (codes.NOT_IN_MOCK, "90000000", "모의투자에서는 해당업무가 제공되지 않습니다."),
    (codes.SERVICE_NOT_FOUND, "MCA00124", "해당 서비스를 찾을수 없습니다."),
    (codes.TOKEN_RATE_LIMIT, "EGW00133", "접근토큰 발급 잠시 후 다시 시도하세요(1분당 1회)"),
    (codes.TOKEN_BAD_APPKEY, "EGW00103", "유효하지 않은 AppKey입니다."),
    (codes.TOKEN_BAD_APPSECRET, "EGW00105", "유효하지 않은 AppSecret입니다."),
])
def test_literal_messages(message: Message, code: str, text: str) -> None:
    assert (message.code, message.text) == (code, text)


def test_observed_codes_are_not_marked_invented() -> None:
    for reason in (Reason.MARKET_CLOSED, Reason.BEFORE_OPEN, Reason.NON_TRADING_DAY):
        assert not BUSINESS[reason].mock.invented, reason
    for reason in (Reason.UNKNOWN_SYMBOL, Reason.PRICE_BELOW_MINIMUM, Reason.MARKET_CLOSED):
        assert not BUSINESS[reason].real.invented, reason
    assert not BUSINESS[Reason.NOTHING_LEFT].mock.invented
    assert BUSINESS[Reason.NOTHING_LEFT].real.invented  # KIS's real code for it is unknown


def test_inquiry_messages_are_space_padded() -> None:
    assert codes.INQUIRY_OK.code == "KIOK0510" and codes.INQUIRY_OK.text.rstrip() == "조회가 완료되었습니다"
    assert codes.INQUIRY_EMPTY.code == "KIOK0560" and codes.INQUIRY_EMPTY.text.rstrip() == "조회할 내용이 없습니다"
    assert len(codes.INQUIRY_OK.text) == len(codes.INQUIRY_EMPTY.text) == 80


def test_every_gateway_and_ops_code_has_text() -> None:
    assert set(GATEWAY_TEXT) == set(Gateway)
    assert set(OPS_TEXT) == set(Ops)
    for gateway in Gateway:
        assert gateway.value.startswith("EGW") and len(gateway.value) == 8
    for ops in Ops:
        assert ops.value.startswith("OPSQ") and len(ops.value) == 8


@pytest.mark.parametrize(("code", "text"), [
    (Gateway.SERVER_ERROR, "서버 에러가 발생했습니다."),
    (Gateway.APPKEY_REQUIRED, "AppKey는 필수입니다."),
    (Gateway.BAD_APPKEY, "유효하지 않은 AppKey입니다."),
    (Gateway.BAD_APPSECRET, "유효하지 않은 AppSecret입니다."),
    (Gateway.BAD_TOKEN, "유효하지 않은 token 입니다."),
    (Gateway.TOKEN_NOT_FOUND, "token을 찾을 수 없습니다."),
    (Gateway.TOKEN_EXPIRED, "기간이 만료된 token 입니다."),
    (Gateway.RATE_LIMIT, "초당 거래건수를 초과하였습니다."),
    (Gateway.BAD_CREDENTIALS_TYPE, "credentials_type이 유효하지 않습니다.(Bearer)"),
    (Gateway.BAD_CUSTTYPE, "고객유형(custtype)이 유효하지 않습니다."),
    (Gateway.CORPORATE_NO_MOCK, "법인고객의 경우 모의투자를 이용할 수 없습니다."),
    (Gateway.MOCK_KEY_ON_REAL, "실전투자 도메인은 모의투자 앱키로 호출하실 수 없습니다."),
    (Gateway.NOT_MOCK_TR, "모의투자 TR 이 아닙니다."),
])
def test_gateway_texts(code: Gateway, text: str) -> None:
    assert GATEWAY_TEXT[code] == text


def test_gateway_code_values() -> None:
    assert (Gateway.TOKEN_EXPIRED.value, Gateway.BAD_TOKEN.value, Gateway.RATE_LIMIT.value) == (
        "EGW00123", "EGW00121", "EGW00201")
    assert (Gateway.MOCK_KEY_ON_REAL.value, Gateway.NOT_MOCK_TR.value) == ("EGW02004", "EGW02006")


@pytest.mark.parametrize(("code", "value", "text"), [
    (Ops.SERVICE_NOT_FOUND, "OPSQ0002", "없는 서비스 코드 입니다."),
    (Ops.BAD_ACCOUNT, "OPSQ2000", "ERROR : INPUT INVALID_CHECK_ACNO"),
    (Ops.BAD_FIELD, "OPSQ2002", "ERROR INVALID INPUT_FILED_SIZE"),
    (Ops.BODY_NOT_FOUND, "OPSQ9995", "JSON PARSING ERROR : body not found"),
    (Ops.INVALID_JSON, "OPSQ9997", "JSON PARSING ERROR : invalid json format"),
    (Ops.TR_ID_NOT_FOUND, "OPSQ9999", "JSON PARSING ERROR : tr_id not found"),
])
def test_ops_texts(code: Ops, value: str, text: str) -> None:
    assert code.value == value and OPS_TEXT[code] == text


# ------------------------------------------------------------------------------------------------
# Field specs
# ------------------------------------------------------------------------------------------------

# The seed's body table for order-rvsecncl: name -> (required, length).
SEED_REVISE_CANCEL_BODY: dict[str, tuple[bool, int]] = {
    "CANO": (True, 8), "ACNT_PRDT_CD": (True, 2), "OVRS_EXCG_CD": (True, 4), "PDNO": (True, 12),
    "ORGN_ODNO": (True, 10), "RVSE_CNCL_DVSN_CD": (True, 2), "ORD_QTY": (True, 10),
    "OVRS_ORD_UNPR": (True, 32), "MGCO_APTM_ODNO": (False, 12), "ORD_SVR_DVSN_CD": (False, 1),
}


def test_revise_cancel_body_follows_the_seed() -> None:
    specs = {s.name: s for s in REVISE_CANCEL_BODY}
    for name, (required, length) in SEED_REVISE_CANCEL_BODY.items():
        assert (specs[name].required, specs[name].max_len) == (required, length), name
    # The official example also sends CTAC_TLNO; it must stay optional (B2).
    assert set(specs) - set(SEED_REVISE_CANCEL_BODY) == {"CTAC_TLNO"}
    assert not specs["CTAC_TLNO"].required
    assert specs["ORGN_ODNO"].fmt is Format.DIGITS and specs["ORD_QTY"].fmt is Format.DIGITS
    assert specs["OVRS_ORD_UNPR"].fmt is Format.DECIMAL
    assert specs["CANO"].exact_len and specs["ACNT_PRDT_CD"].exact_len


def test_order_body_required_fields() -> None:
    required = {s.name for s in ORDER_BODY if s.required}
    assert required == {"CANO", "ACNT_PRDT_CD", "OVRS_EXCG_CD", "PDNO", "ORD_QTY", "OVRS_ORD_UNPR"}
    # B2: python-kis omits CTAC_TLNO/MGCO_APTM_ODNO, mojito2 omits SLL_TYPE.
    optional = {s.name for s in ORDER_BODY if not s.required}
    assert {"CTAC_TLNO", "MGCO_APTM_ODNO", "SLL_TYPE", "ORD_SVR_DVSN_CD"} <= optional


# The seed's request header table: name -> (required, length); seq_no and ip_addr deliberately differ.
SEED_HEADERS: dict[str, tuple[bool, int]] = {
    "authorization": (True, 350), "appkey": (True, 36), "appsecret": (True, 180),
    "personalseckey": (False, 180), "tr_id": (True, 13), "tr_cont": (False, 1), "custtype": (False, 1),
    "mac_address": (False, 12), "phone_number": (False, 12), "gt_uid": (False, 32),
}


def test_header_specs_follow_the_seed() -> None:
    specs = {s.name: s for s in HEADERS}
    for name, (required, length) in SEED_HEADERS.items():
        assert (specs[name].required, specs[name].max_len) == (required, length), name
    assert specs["custtype"].choices == {"P", "B"}
    assert set(specs) == set(SEED_HEADERS) | {"seq_no", "ip_addr"}
    assert specs["seq_no"].max_len >= 3  # the seed's own example is "001"
    assert specs["ip_addr"].max_len >= len("255.255.255.255")


def test_ccnl_filter_choices() -> None:
    specs = {s.name: s for s in INQUIRE_CCNL_QUERY}
    assert specs["SLL_BUY_DVSN"].choices == {"", "00", "01", "02"}
    assert specs["CCLD_NCCS_DVSN"].choices == {"", "00", "01", "02"}
    assert specs["ORD_STRT_DT"].fmt is Format.DATE and specs["ORD_STRT_DT"].required


def test_paging_constants() -> None:
    ccnl = (ENV_RULES[Env.REAL].ccnl_page_size, ENV_RULES[Env.MOCK].ccnl_page_size)
    assert (NCCS_PAGE_SIZE, *ccnl, CURSOR_WIDTH) == (40, 20, 15, 200)
