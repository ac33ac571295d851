"""KIS message codes and texts, real and mock (PROTOCOL §11).

Codes marked `invented=True` are localkis's choice where KIS's own code is unknown; each is listed in
docs/behaviour.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from localkis.protocol.env import Env
from localkis.protocol.reasons import Reason


@dataclass(frozen=True, slots=True)
class Message:
    code: str
    text: str
    invented: bool = False
    rt_cd: str = "1"  # of a rejection; KIS answers some with another non-"0" value (e.g. "7")


@dataclass(frozen=True, slots=True)
class BusinessMessage:
    real: Message
    mock: Message

    def for_env(self, env: Env) -> Message:
        return self.real if env is Env.REAL else self.mock


def _m(real_code: str, real_text: str, mock_code: str, mock_text: str, *,
       real_invented: bool = False, mock_invented: bool = False, real_rt_cd: str = "1") -> BusinessMessage:
    return BusinessMessage(Message(real_code, real_text, real_invented, real_rt_cd),
                           Message(mock_code, mock_text, mock_invented))


# --- success ---------------------------------------------------------------------------------------
ORDER_BUY_OK = _m("APBK0013", "주문 전송 완료 되었습니다.", "40600000", "모의투자 매수주문이 완료 되었습니다.")
ORDER_SELL_OK = _m("APBK0013", "주문 전송 완료 되었습니다.", "40610000", "모의투자 매도주문이 완료 되었습니다.",
                   mock_invented=True)
REVISE_OK = _m("APBK0013", "주문 전송 완료 되었습니다.", "40620000", "모의투자 정정주문이 완료 되었습니다.")
CANCEL_OK = _m("APBK0013", "주문 전송 완료 되었습니다.", "40630000", "모의투자 취소주문이 완료 되었습니다.")
# KIS pads inquiry texts with spaces; clients strip them.
INQUIRY_OK = Message("KIOK0510", "조회가 완료되었습니다".ljust(80))
INQUIRY_EMPTY = Message("KIOK0560", "조회할 내용이 없습니다".ljust(80))
QUOTE_OK = Message("0", "정상처리 되었습니다.")
SEARCH_INFO_OK = Message("KIOK0530", "조회되었습니다")
# Reservations (REST-NEXT §1.4): acceptance as a regular order's; the mock's texts are unknown, the
# regular mock order texts stand in. A cancel answers APBK1711 in both.
RESERVE_BUY_OK = ORDER_BUY_OK
RESERVE_SELL_OK = ORDER_SELL_OK
RESERVE_CANCEL_OK = Message("APBK1711", "취소주문이 접수되었습니다.")

# --- business rejections (HTTP 200, rt_cd "1") ----------------------------------------------------
_CLOSED = "장운영시간이 아닙니다.(단,주간거래시간이면 전용화면 주문가능, 주문시간 외 불가)"

BUSINESS: dict[Reason, BusinessMessage] = {
    Reason.UNKNOWN_SYMBOL: _m("APBK0656", "해당종목정보가 없습니다.",
                              "40070000", "모의투자 해당종목정보가 없습니다.", mock_invented=True),
    Reason.PRICE_BELOW_MINIMUM: _m("APBK1507", "가격 $0.01 미만시 온라인 주문불가",
                                   "40520000", "모의투자 주문단가를 확인하세요.", mock_invented=True),
    Reason.OFF_TICK: _m("APBK0506", "주문단가가 호가단위에 맞지 않습니다.",
                        "40490000", "모의투자 주문처리가 안되었습니다(호가단위 오류)",
                        real_invented=True, mock_invented=True),
    Reason.BAD_LOT: _m("APBK0507", "주문수량이 매매단위의 배수가 아닙니다.",
                       "40500000", "모의투자 주문수량이 매매단위의 배수가 아닙니다.",
                       real_invented=True, mock_invented=True),
    Reason.BAD_QUANTITY: _m("APBK0508", "주문수량을 확인하여 주십시오.",
                            "40510000", "모의투자 주문수량을 확인하여 주십시오.",
                            real_invented=True, mock_invented=True),
    Reason.BAD_ORDER_TYPE: _m("APBK0509", "주문구분 입력오류입니다.",
                              "40530000", "모의투자 주문구분 입력오류입니다.",
                              real_invented=True, mock_invented=True),
    Reason.MARKET_CLOSED: _m("APBK0918", _CLOSED,
                             "40570000", "모의투자 장시작전 입니다."),
    Reason.BEFORE_OPEN: _m("APBK0918", _CLOSED,
                           "40570000", "모의투자 장시작전 입니다."),
    Reason.AFTER_CLOSE: _m("APBK0918", _CLOSED,
                           "40580000", "모의투자 장종료 입니다.", mock_invented=True),
    Reason.NON_TRADING_DAY: _m("APBK0918", _CLOSED,
                               "40100000", "모의투자 영업일이 아닙니다."),
    Reason.ORIGINAL_NOT_FOUND: _m("APBK0511", "원주문번호가 존재하지 않습니다.",
                                  "40320000", "모의투자 원주문번호가 존재하지 않습니다",
                                  real_invented=True, mock_invented=True),
    Reason.NOTHING_LEFT: _m("APBK0344", "정정/취소할 수량이 없습니다.",
                            "40330000", "모의투자 정정/취소할 수량이 없습니다.", real_invented=True),
    Reason.SAME_PRICE: _m("APBK0345", "정정가격이 원주문가격과 같습니다",
                          "40340000", "모의투자 정정가격이 원주문가격과 같습니다",
                          real_invented=True, mock_invented=True),
    Reason.REVISE_NOT_ALLOWED: _m("APBK0346", "해당 시장은 정정주문이 불가합니다. 취소 후 재주문하십시오.",
                                  "40350000", "모의투자 해당 시장은 정정주문이 불가합니다.",
                                  real_invented=True, mock_invented=True),
    Reason.ORDER_NOT_REVISABLE: _m("APBK0347", "정정할 수 없는 주문입니다.",
                                   "40360000", "모의투자 정정할 수 없는 주문입니다.",
                                   real_invented=True, mock_invented=True),
    Reason.BAD_REVISE_CANCEL_CODE: _m("APBK0348", "정정취소구분코드를 확인하여 주십시오.",
                                      "40370000", "모의투자 정정취소구분코드를 확인하여 주십시오.",
                                      real_invented=True, mock_invented=True),
    Reason.INSUFFICIENT_CASH: _m("APBK0952", "주문가능금액을 초과 했습니다",
                                 "40250000", "모의투자 주문가능금액이 부족합니다.", real_rt_cd="7"),
    Reason.INSUFFICIENT_HOLDINGS: _m("APBK0447", "매도가능수량이 부족합니다.",
                                     "40240000", "모의투자 잔고내역이 없습니다.", real_invented=True),
    # Reservations: KIS's codes for these are unknown (REST-NEXT §2 "UNVERIFIED"); localkis's wording.
    Reason.RESERVATION_CLOSED: _m("APBK1680", "예약주문 접수시간이 아닙니다.",
                                  "40590000", "모의투자 예약주문 접수시간이 아닙니다.",
                                  real_invented=True, mock_invented=True),
    Reason.RESERVATION_NOT_FOUND: _m("APBK1681", "예약주문번호가 존재하지 않습니다.",
                                     "40600100", "모의투자 예약주문번호가 존재하지 않습니다.",
                                     real_invented=True, mock_invented=True),
    Reason.RESERVATION_NOT_WAITING: _m("APBK1682", "취소할 수 없는 예약주문입니다.(이미 전송 또는 취소됨)",
                                       "40600200", "모의투자 취소할 수 없는 예약주문입니다.",
                                       real_invented=True, mock_invented=True),
    # US daytime: python-kis reads APBK1664 as "market not open" (its text is unknown) and falls back to
    # the daytime endpoint on APBK0918 from the regular revise.
    Reason.DAYTIME_CLOSED: _m("APBK1664", "주간거래 주문가능시간이 아닙니다.",
                              "40570000", "모의투자 장시작전 입니다.", real_invented=True),
    Reason.DAYTIME_ONLY: _m("APBK0918", _CLOSED,
                            "40570000", "모의투자 장시작전 입니다."),
    Reason.NOT_DAYTIME_ORDER: _m("APBK0511", "원주문번호가 존재하지 않습니다.",
                                 "40320000", "모의투자 원주문번호가 존재하지 않습니다",
                                 real_invented=True, mock_invented=True),
}

NOT_IN_MOCK = Message("90000000", "모의투자에서는 해당업무가 제공되지 않습니다.")


# --- gateway and OPS errors (HTTP 500, {"rt_cd":"1","msg1":…,"msg_cd":…}) ---------------------------
class Gateway(StrEnum):
    SERVER_ERROR = "EGW00002"
    BAD_REQUEST = "EGW00101"
    APPKEY_REQUIRED = "EGW00102"
    BAD_APPKEY = "EGW00103"
    APPSECRET_REQUIRED = "EGW00104"
    BAD_APPSECRET = "EGW00105"
    BAD_TOKEN = "EGW00121"
    TOKEN_NOT_FOUND = "EGW00122"
    TOKEN_EXPIRED = "EGW00123"
    BAD_CONTENT_TYPE = "EGW00132"
    RATE_LIMIT = "EGW00201"
    BAD_CREDENTIALS_TYPE = "EGW00205"
    BAD_IP = "EGW00207"
    BAD_CUSTTYPE = "EGW00208"
    BAD_SEQ_NO = "EGW00209"
    CORPORATE_NO_MOCK = "EGW00210"
    PHONE_REQUIRED = "EGW00212"
    BAD_PERSONALSECKEY = "EGW00304"
    MOCK_KEY_ON_REAL = "EGW02004"
    NOT_MOCK_TR = "EGW02006"


GATEWAY_TEXT: dict[Gateway, str] = {
    Gateway.SERVER_ERROR: "서버 에러가 발생했습니다.",
    Gateway.BAD_REQUEST: "유효하지 않은 요청입니다.",
    Gateway.APPKEY_REQUIRED: "AppKey는 필수입니다.",
    Gateway.BAD_APPKEY: "유효하지 않은 AppKey입니다.",
    Gateway.APPSECRET_REQUIRED: "AppSecret은 필수입니다.",
    Gateway.BAD_APPSECRET: "유효하지 않은 AppSecret입니다.",
    Gateway.BAD_TOKEN: "유효하지 않은 token 입니다.",
    Gateway.TOKEN_NOT_FOUND: "token을 찾을 수 없습니다.",
    Gateway.TOKEN_EXPIRED: "기간이 만료된 token 입니다.",
    Gateway.BAD_CONTENT_TYPE: "Content-Type이 유효하지 않습니다.",
    Gateway.RATE_LIMIT: "초당 거래건수를 초과하였습니다.",
    Gateway.BAD_CREDENTIALS_TYPE: "credentials_type이 유효하지 않습니다.(Bearer)",
    Gateway.BAD_IP: "IP 주소가 없거나 유효하지 않습니다.",
    Gateway.BAD_CUSTTYPE: "고객유형(custtype)이 유효하지 않습니다.",
    Gateway.BAD_SEQ_NO: "일련번호(seq_no)가 유효하지 않습니다.",
    Gateway.CORPORATE_NO_MOCK: "법인고객의 경우 모의투자를 이용할 수 없습니다.",
    Gateway.PHONE_REQUIRED: "personalphone는 필수입니다.",
    Gateway.BAD_PERSONALSECKEY: "고객식별키(personalseckey)가 유효하지 않습니다.",
    Gateway.MOCK_KEY_ON_REAL: "실전투자 도메인은 모의투자 앱키로 호출하실 수 없습니다.",
    Gateway.NOT_MOCK_TR: "모의투자 TR 이 아닙니다.",
}

# A real app sending a V… TR: KIS's text is unknown; localkis words it like EGW02004 (A1).
REAL_APP_MOCK_TR_TEXT = "실전투자 앱키로 모의투자 TR 을 호출하실 수 없습니다."


class Ops(StrEnum):
    SERVICE_NOT_FOUND = "OPSQ0002"
    BAD_ACCOUNT = "OPSQ2000"
    BAD_MARKET = "OPSQ2001"
    BAD_FIELD = "OPSQ2002"
    BODY_NOT_FOUND = "OPSQ9995"
    INVALID_JSON = "OPSQ9997"
    TR_ID_NOT_FOUND = "OPSQ9999"


OPS_TEXT: dict[Ops, str] = {
    Ops.SERVICE_NOT_FOUND: "없는 서비스 코드 입니다.",
    Ops.BAD_ACCOUNT: "ERROR : INPUT INVALID_CHECK_ACNO",
    Ops.BAD_MARKET: "ERROR : INPUT INVALID_CHECK_MRKT_DIV_CODE",
    Ops.BAD_FIELD: "ERROR INVALID INPUT_FILED_SIZE",
    Ops.BODY_NOT_FOUND: "JSON PARSING ERROR : body not found",
    Ops.INVALID_JSON: "JSON PARSING ERROR : invalid json format",
    Ops.TR_ID_NOT_FOUND: "JSON PARSING ERROR : tr_id not found",
}

# --- OAuth endpoints (HTTP 403, {"error_code","error_description"}) ---------------------------------
TOKEN_RATE_LIMIT = Message("EGW00133", "접근토큰 발급 잠시 후 다시 시도하세요(1분당 1회)")
TOKEN_BAD_APPKEY = Message("EGW00103", "유효하지 않은 AppKey입니다.")
TOKEN_BAD_APPSECRET = Message("EGW00105", "유효하지 않은 AppSecret입니다.")
TOKEN_BAD_GRANT = Message("EGW00114", "지원하지 않는 grant_type입니다.")
TOKEN_BAD_REQUEST = Message("EGW00101", "유효하지 않은 요청입니다.")
TOKEN_APPKEY_REQUIRED = Message("EGW00102", "AppKey는 필수입니다.")
TOKEN_APPSECRET_REQUIRED = Message("EGW00104", "AppSecret은 필수입니다.")
TOKEN_NOT_FOUND = Message("EGW00121", "유효하지 않은 token 입니다.")
SERVICE_NOT_FOUND = Message("MCA00124", "해당 서비스를 찾을수 없습니다.")
REVOKE_OK_TEXT = "접근토큰 폐기에 성공하였습니다"
