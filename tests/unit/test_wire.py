"""Wire layer: request headers and bodies, JSON errors, response formats (PROTOCOL §3, §6, §7, §11, A5-A9)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from localkis.domain.instruments import Instrument
from localkis.domain.orders import NewOrder, Order, RevisionRequest, fill
from localkis.protocol import codes
from localkis.protocol.codes import Gateway, Ops
from localkis.protocol.env import Env
from localkis.protocol.exchanges import Exchange
from localkis.protocol.fields import INQUIRE_CCNL_QUERY, ORDER_BODY, REVISE_CANCEL_BODY, FieldSpec, Format
from localkis.protocol.orders import RevisionKind, Side
from localkis.protocol.reasons import Reason
from localkis.wire.errors import (
    GatewayError,
    MessageError,
    OpsError,
    TokenEndpointError,
    business_error,
    field_format_error,
    field_size_error,
)
from localkis.wire.inquire_ccnl import row as ccnl_row
from localkis.wire.inquire_nccs import row as nccs_row
from localkis.wire.order import ack as order_ack
from localkis.wire.paging import cursor
from localkis.wire.requests import (
    MAX_BODY_BYTES,
    bearer_token,
    check_corporate,
    check_fields,
    parse_decimal,
    parse_headers,
    parse_json_object,
    query_upper,
)
from localkis.wire.responses import dumps, fixed, hhmmss, kst, yyyymmdd
from tests.records import cancel, place, revise

D = Decimal
PRICE_200 = D("200")
APPKEY = "PS" + "a" * 34
APPSECRET = "s" * 180


def headers(**override: str | None) -> dict[str, str]:
    base: dict[str, str | None] = {"authorization": "Bearer tok", "appkey": APPKEY, "appsecret": APPSECRET,
                                   "tr_id": "TTTT1002U", "tr_cont": "", "content-type": "application/json"}
    base.update(override)
    return {k: v for k, v in base.items() if v is not None}


def raises_gateway(code: Gateway, fn: Any, *args: Any) -> GatewayError:
    with pytest.raises(GatewayError) as exc:
        fn(*args)
    assert exc.value.code is code
    assert exc.value.body()["msg_cd"] == code.value
    return exc.value


def raises_ops(code: Ops, fn: Any, *args: Any) -> OpsError:
    with pytest.raises(OpsError) as exc:
        fn(*args)
    assert exc.value.code is code
    assert exc.value.body()["msg_cd"] == code.value
    return exc.value


# ------------------------------------------------------------------------------------------------
# Headers
# ------------------------------------------------------------------------------------------------

def test_parse_headers_reads_every_field() -> None:
    parsed = parse_headers(headers(tr_cont="N", gt_uid="g" * 32, custtype="P", personalseckey="k", seq_no="001",
                                   phone_number="01011112222", ip_addr="203.0.113.250", mac_address="001122334455"))
    assert (parsed.authorization, parsed.appkey, parsed.appsecret, parsed.tr_id) == (
        "Bearer tok", APPKEY, APPSECRET, "TTTT1002U")
    assert (parsed.tr_cont, parsed.gt_uid, parsed.custtype) == ("N", "g" * 32, "P")
    assert (parsed.personalseckey, parsed.seq_no, parsed.phone_number, parsed.ip_addr, parsed.mac_address) == (
        "k", "001", "01011112222", "203.0.113.250", "001122334455")


def test_optional_headers_default_to_empty_and_custtype_to_p() -> None:
    # B1: python-kis and mojito2 never send custtype; an empty tr_cont is normal.
    parsed = parse_headers(headers())
    assert parsed.custtype == "P" and parsed.tr_cont == "" and parsed.gt_uid == ""


def test_header_values_are_trimmed() -> None:
    parsed = parse_headers(headers(appkey=f"  {APPKEY} ", tr_id=" TTTT1002U "))
    assert parsed.appkey == APPKEY and parsed.tr_id == "TTTT1002U"


@pytest.mark.parametrize(("value", "code"), [
    (None, Gateway.APPKEY_REQUIRED), ("", Gateway.APPKEY_REQUIRED), ("   ", Gateway.APPKEY_REQUIRED),
    ("a" * 35, Gateway.BAD_APPKEY), ("a" * 37, Gateway.BAD_APPKEY), ("a", Gateway.BAD_APPKEY)])
def test_appkey_must_be_36_chars(value: str | None, code: Gateway) -> None:
    raises_gateway(code, parse_headers, headers(appkey=value))


@pytest.mark.parametrize(("value", "code"), [
    (None, Gateway.APPSECRET_REQUIRED), ("", Gateway.APPSECRET_REQUIRED),
    ("s" * 179, Gateway.BAD_APPSECRET), ("s" * 181, Gateway.BAD_APPSECRET), ("s" * 36, Gateway.BAD_APPSECRET)])
def test_appsecret_must_be_180_chars(value: str | None, code: Gateway) -> None:
    raises_gateway(code, parse_headers, headers(appsecret=value))


def test_keys_are_checked_before_tr_id() -> None:
    raises_gateway(Gateway.APPKEY_REQUIRED, parse_headers, headers(appkey=None, tr_id=None))
    raises_gateway(Gateway.BAD_APPSECRET, parse_headers, headers(appsecret="x", tr_id="T" * 20))


@pytest.mark.parametrize("value", [None, "", "  "])
def test_missing_tr_id(value: str | None) -> None:
    err = raises_ops(Ops.TR_ID_NOT_FOUND, parse_headers, headers(tr_id=value))
    assert err.text == "JSON PARSING ERROR : tr_id not found"


def test_tr_id_up_to_13_chars() -> None:
    assert parse_headers(headers(tr_id="HHDFS00000300")).tr_id == "HHDFS00000300"  # 13
    err = raises_ops(Ops.BAD_FIELD, parse_headers, headers(tr_id="HHDFS000003000"))
    assert err.text == "ERROR INVALID INPUT_FILED_SIZE [tr_id] [13]"


def test_gt_uid_up_to_32_chars() -> None:
    assert parse_headers(headers(gt_uid="u" * 32)).gt_uid == "u" * 32
    err = raises_ops(Ops.BAD_FIELD, parse_headers, headers(gt_uid="u" * 33))
    assert err.text == "ERROR INVALID INPUT_FILED_SIZE [gt_uid] [32]"


@pytest.mark.parametrize(("name", "limit"), [("authorization", 350), ("tr_cont", 1), ("personalseckey", 180),
                                             ("mac_address", 12), ("phone_number", 12), ("ip_addr", 15)])
def test_other_header_lengths(name: str, limit: int) -> None:
    parse_headers(headers(**{name: "1" * limit}))
    err = raises_ops(Ops.BAD_FIELD, parse_headers, headers(**{name: "1" * (limit + 1)}))
    assert err.text.endswith(f"[{name}] [{limit}]")


@pytest.mark.parametrize("value", ["P", "B"])
def test_custtype_upper_case_accepted(value: str) -> None:
    assert parse_headers(headers(custtype=value)).custtype == value


@pytest.mark.parametrize("value", ["p", "b", "X", "1"])
def test_custtype_is_case_sensitive(value: str) -> None:
    # Only the spec's upper-case values; anything else is KIS's EGW00208.
    err = raises_gateway(Gateway.BAD_CUSTTYPE, parse_headers, headers(custtype=value))
    assert err.text == "고객유형(custtype)이 유효하지 않습니다."


def test_over_long_custtype_is_a_size_error() -> None:
    raises_ops(Ops.BAD_FIELD, parse_headers, headers(custtype="PP"))


def _corporate(**override: str | None) -> Any:
    values: dict[str, str | None] = {"custtype": "B", "personalseckey": "k" * 10, "seq_no": "001",
                                     "phone_number": "01011112222", "ip_addr": "203.0.113.1"}
    values.update(override)
    return parse_headers(headers(**values))


def test_corporate_headers() -> None:
    check_corporate(_corporate())
    check_corporate(parse_headers(headers(custtype="P")))  # individuals need none of them
    raises_gateway(Gateway.BAD_PERSONALSECKEY, check_corporate, _corporate(personalseckey=None))
    raises_gateway(Gateway.BAD_SEQ_NO, check_corporate, _corporate(seq_no=None))
    raises_gateway(Gateway.PHONE_REQUIRED, check_corporate, _corporate(phone_number=None))
    raises_gateway(Gateway.BAD_IP, check_corporate, _corporate(ip_addr=None))


@pytest.mark.parametrize(("value", "token"), [
    ("Bearer abc.def", "abc.def"), ("bearer abc", "abc"), ("BEARER abc", "abc"), ("Bearer  abc ", "abc")])
def test_bearer_token(value: str, token: str) -> None:
    assert bearer_token(value) == token


def test_bearer_token_errors() -> None:
    raises_gateway(Gateway.TOKEN_NOT_FOUND, bearer_token, "")
    for value in ("Basic abc", "abc", "Bearer", "Bearer ", "Bearer    ", "Token abc"):
        raises_gateway(Gateway.BAD_CREDENTIALS_TYPE, bearer_token, value)


def test_query_keys_are_upper_cased() -> None:
    # python-kis sends ctx_area_fk200 in lower case (B1).
    assert query_upper({"ctx_area_fk200": "x", "CANO": "1", "Sort_Sqn": ""}) == {
        "CTX_AREA_FK200": "x", "CANO": "1", "SORT_SQN": ""}


# ------------------------------------------------------------------------------------------------
# JSON bodies
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw", [b"", b"   ", b"\n\t "])
def test_empty_body(raw: bytes) -> None:
    err = raises_ops(Ops.BODY_NOT_FOUND, parse_json_object, raw)
    assert err.text == "JSON PARSING ERROR : body not found"
    assert err.status == 500


@pytest.mark.parametrize("raw", [b"{", b"{'CANO': '1'}", b"CANO=1", b"\xff\xfe", b'{"a":1}{',
                                 b"[]", b'[{"CANO":"1"}]', b"1", b'"text"', b"null", b"true"])
def test_invalid_or_non_object_json(raw: bytes) -> None:
    err = raises_ops(Ops.INVALID_JSON, parse_json_object, raw)
    assert err.text == "JSON PARSING ERROR : invalid json format"


def test_object_body_parses() -> None:
    assert parse_json_object(b' {"CANO": "12345678", "N": 1} ') == {"CANO": "12345678", "N": 1}
    assert parse_json_object("{\"PDNO\": \"腾讯\"}".encode()) == {"PDNO": "腾讯"}


def test_oversized_body_is_a_bad_request() -> None:
    raw = b'{"X":"' + b"a" * MAX_BODY_BYTES + b'"}'
    raises_gateway(Gateway.BAD_REQUEST, parse_json_object, raw)


# ------------------------------------------------------------------------------------------------
# Field checks
# ------------------------------------------------------------------------------------------------

def revise_cancel_body(**override: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"CANO": "12345678", "ACNT_PRDT_CD": "01", "OVRS_EXCG_CD": "NASD", "PDNO": "AAPL",
                            "ORGN_ODNO": "0000004336", "RVSE_CNCL_DVSN_CD": "01", "ORD_QTY": "1",
                            "OVRS_ORD_UNPR": "226.00", "MGCO_APTM_ODNO": "", "ORD_SVR_DVSN_CD": "0",
                            "CTAC_TLNO": ""}
    body.update(override)
    return {k: v for k, v in body.items() if v is not ...}


def test_valid_revise_cancel_body() -> None:
    out = check_fields(revise_cancel_body(), REVISE_CANCEL_BODY)
    assert out == revise_cancel_body()
    assert list(out) == [s.name for s in REVISE_CANCEL_BODY]


def test_optional_fields_may_be_omitted_and_unknown_keys_are_dropped() -> None:
    body = revise_cancel_body(MGCO_APTM_ODNO=..., ORD_SVR_DVSN_CD=..., CTAC_TLNO=..., EXTRA="x")
    out = check_fields(body, REVISE_CANCEL_BODY)
    assert out["MGCO_APTM_ODNO"] == out["ORD_SVR_DVSN_CD"] == out["CTAC_TLNO"] == ""
    assert "EXTRA" not in out


REQUIRED = [s for s in REVISE_CANCEL_BODY if s.required]


@pytest.mark.parametrize("spec", REQUIRED, ids=[s.name for s in REQUIRED])
@pytest.mark.parametrize("value", [..., "", "   ", None], ids=["absent", "empty", "blank", "null"])
def test_missing_required_field(spec: FieldSpec, value: Any) -> None:
    err = raises_ops(Ops.BAD_FIELD, check_fields, revise_cancel_body(**{spec.name: value}), REVISE_CANCEL_BODY)
    assert err.text == f"ERROR INVALID INPUT_FILED_SIZE [{spec.name}] [0]"
    assert err.body() == {"rt_cd": "1", "msg1": err.text, "msg_cd": "OPSQ2002"}


def test_lower_case_body_keys_do_not_count() -> None:
    body = {k.lower(): v for k, v in revise_cancel_body().items()}
    err = raises_ops(Ops.BAD_FIELD, check_fields, body, REVISE_CANCEL_BODY)
    assert err.text.endswith("[CANO] [0]")


def _too_long(spec: FieldSpec) -> str:
    return ("9" if spec.fmt in (Format.DIGITS, Format.DECIMAL, Format.DATE) else "X") * (spec.max_len + 1)


@pytest.mark.parametrize("spec", list(REVISE_CANCEL_BODY), ids=[s.name for s in REVISE_CANCEL_BODY])
def test_over_long_field(spec: FieldSpec) -> None:
    err = raises_ops(Ops.BAD_FIELD, check_fields, revise_cancel_body(**{spec.name: _too_long(spec)}),
                     REVISE_CANCEL_BODY)
    assert err.text == f"ERROR INVALID INPUT_FILED_SIZE [{spec.name}] [{spec.max_len}]"


@pytest.mark.parametrize(("name", "value", "limit"), [("CANO", "1234567", 8), ("ACNT_PRDT_CD", "1", 2)])
def test_account_fields_have_exact_length(name: str, value: str, limit: int) -> None:
    err = raises_ops(Ops.BAD_FIELD, check_fields, revise_cancel_body(**{name: value}), REVISE_CANCEL_BODY)
    assert err.text == f"ERROR INVALID INPUT_FILED_SIZE [{name}] [{limit}]"


def test_field_at_max_length_is_accepted() -> None:
    price = "1" * 12 + "." + "5" * 19  # 32 characters
    out = check_fields(revise_cancel_body(PDNO="X" * 12, ORD_QTY="9" * 10, OVRS_ORD_UNPR=price), REVISE_CANCEL_BODY)
    assert (out["PDNO"], out["ORD_QTY"], out["OVRS_ORD_UNPR"]) == ("X" * 12, "9" * 10, price)


@pytest.mark.parametrize("name", ["CANO", "ACNT_PRDT_CD", "ORGN_ODNO", "RVSE_CNCL_DVSN_CD", "ORD_QTY"])
@pytest.mark.parametrize("bad", ["1a", "-1", ".5", "+1", "x", "１", "٣", "½"])
def test_digit_fields_reject_non_digits(name: str, bad: str) -> None:
    spec = next(s for s in REVISE_CANCEL_BODY if s.name == name)
    value = bad.rjust(spec.max_len, "0") if spec.exact_len else bad
    err = raises_ops(Ops.BAD_FIELD, check_fields, revise_cancel_body(**{name: value}), REVISE_CANCEL_BODY)
    assert err.text == f"ERROR INVALID INPUT [{name}]"


@pytest.mark.parametrize("good", ["0", "226.00", "100.0000", "0.0001", "12345", " 1.5 ", "999999999999.99"])
def test_decimal_field_accepts_prices(good: str) -> None:
    assert check_fields(revise_cancel_body(OVRS_ORD_UNPR=good), REVISE_CANCEL_BODY)["OVRS_ORD_UNPR"] == good.strip()


@pytest.mark.parametrize("bad", ["-1", "-0.01", "abc", "NaN", "Infinity", "1.2.3", "$1", "1,000", "sNaN", "1 000",
                                 "1_000", "１００", "١٠٠", "1E+30", "1e3"])
def test_decimal_field_rejects_non_prices(bad: str) -> None:
    # Prices are plain ASCII decimal strings: no digit separators, no non-ASCII digits, no exponents.
    err = raises_ops(Ops.BAD_FIELD, check_fields, revise_cancel_body(OVRS_ORD_UNPR=bad), REVISE_CANCEL_BODY)
    assert err.text == "ERROR INVALID INPUT [OVRS_ORD_UNPR]"


def test_parse_decimal() -> None:
    assert parse_decimal("100.0000") == D("100") and str(parse_decimal("100.0000")) == "100.0000"
    assert parse_decimal("0") == 0
    for bad in ("-1", "x", "NaN", "inf", "-Infinity", ""):
        assert parse_decimal(bad) is None


def test_choices() -> None:
    raises_ops(Ops.BAD_FIELD, check_fields, revise_cancel_body(ORD_SVR_DVSN_CD="1"), REVISE_CANCEL_BODY)
    assert check_fields(revise_cancel_body(ORD_SVR_DVSN_CD="0"), REVISE_CANCEL_BODY)["ORD_SVR_DVSN_CD"] == "0"
    query = {"CANO": "12345678", "ACNT_PRDT_CD": "01", "ORD_STRT_DT": "20260301", "ORD_END_DT": "20260302"}
    for value in ("", "00", "01", "02"):
        assert check_fields({**query, "SLL_BUY_DVSN": value}, INQUIRE_CCNL_QUERY)["SLL_BUY_DVSN"] == value
    err = raises_ops(Ops.BAD_FIELD, check_fields, {**query, "SLL_BUY_DVSN": "03"}, INQUIRE_CCNL_QUERY)
    assert err.text == "ERROR INVALID INPUT [SLL_BUY_DVSN]"


@pytest.mark.parametrize("bad", ["2026030", "2026-03-", "abcdefgh"])
def test_date_fields(bad: str) -> None:
    query = {"CANO": "12345678", "ACNT_PRDT_CD": "01", "ORD_STRT_DT": bad, "ORD_END_DT": "20260302"}
    err = raises_ops(Ops.BAD_FIELD, check_fields, query, INQUIRE_CCNL_QUERY)
    assert err.text == "ERROR INVALID INPUT [ORD_STRT_DT]"


def test_json_numbers_are_tolerated() -> None:
    body = revise_cancel_body(CANO=12345678, ORD_QTY=10, ORGN_ODNO=4336, OVRS_ORD_UNPR=226.5)
    out = check_fields(body, REVISE_CANCEL_BODY)
    assert (out["CANO"], out["ORD_QTY"], out["ORGN_ODNO"], out["OVRS_ORD_UNPR"]) == ("12345678", "10", "4336",
                                                                                  "226.5")
    assert check_fields(revise_cancel_body(OVRS_ORD_UNPR=0), REVISE_CANCEL_BODY)["OVRS_ORD_UNPR"] == "0"


def test_json_numbers_through_a_parsed_body() -> None:
    raw = orjson.dumps(revise_cancel_body(ORD_QTY=3, OVRS_ORD_UNPR=100.25))
    out = check_fields(parse_json_object(raw), REVISE_CANCEL_BODY)
    assert (out["ORD_QTY"], out["OVRS_ORD_UNPR"]) == ("3", "100.25")


@pytest.mark.parametrize("value", [True, False, [], ["1"], {}, {"a": 1}])
def test_non_scalar_values_are_format_errors(value: Any) -> None:
    err = raises_ops(Ops.BAD_FIELD, check_fields, revise_cancel_body(ORD_QTY=value), REVISE_CANCEL_BODY)
    assert err.text == "ERROR INVALID INPUT [ORD_QTY]"


@pytest.mark.parametrize("bad", ["1.0", "1 2", "1e3", "0x10"])
def test_quantity_must_be_plain_digits(bad: str) -> None:
    err = raises_ops(Ops.BAD_FIELD, check_fields, revise_cancel_body(ORD_QTY=bad), REVISE_CANCEL_BODY)
    assert err.text == "ERROR INVALID INPUT [ORD_QTY]"


def test_negative_and_fractional_numbers_in_digit_fields() -> None:
    for value in (-1, 1.5, 10.0):
        raises_ops(Ops.BAD_FIELD, check_fields, revise_cancel_body(ORD_QTY=value), REVISE_CANCEL_BODY)


def test_order_body_minimal() -> None:
    body = {"CANO": "12345678", "ACNT_PRDT_CD": "01", "OVRS_EXCG_CD": "NASD", "PDNO": "AAPL", "ORD_QTY": "1",
            "OVRS_ORD_UNPR": "100.0000", "ORD_DVSN": "00"}
    out = check_fields(body, ORDER_BODY)
    assert out["SLL_TYPE"] == "" and out["ORD_DVSN"] == "00" and out["OVRS_ORD_UNPR"] == "100.0000"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=14))
def test_digit_field_property(value: str) -> None:
    spec = FieldSpec("ORD_QTY", True, 10, Format.DIGITS)
    stripped = value.strip()
    try:
        out = check_fields({"ORD_QTY": value}, (spec,))
    except OpsError as err:
        assert err.code is Ops.BAD_FIELD
        assert not stripped or len(stripped) > 10 or not (stripped.isascii() and stripped.isdigit())
    else:
        assert out["ORD_QTY"] == stripped
        assert 0 < len(stripped) <= 10 and stripped.isascii() and stripped.isdigit()


# ------------------------------------------------------------------------------------------------
# Error bodies
# ------------------------------------------------------------------------------------------------

def test_gateway_error_body_key_order() -> None:
    err = GatewayError(Gateway.TOKEN_EXPIRED)
    assert err.status == 500
    assert list(err.body().items()) == [("rt_cd", "1"), ("msg1", "기간이 만료된 token 입니다."),
                                        ("msg_cd", "EGW00123")]
    assert GatewayError(Gateway.NOT_MOCK_TR, "custom").body()["msg1"] == "custom"


def test_ops_error_helpers() -> None:
    size = field_size_error("PDNO", 12)
    assert size.status == 500 and size.body()["msg1"] == "ERROR INVALID INPUT_FILED_SIZE [PDNO] [12]"
    fmt = field_format_error("ORD_QTY")
    assert fmt.body() == {"rt_cd": "1", "msg1": "ERROR INVALID INPUT [ORD_QTY]", "msg_cd": "OPSQ2002"}


@pytest.mark.parametrize("env", list(Env))
@pytest.mark.parametrize("reason", list(Reason), ids=[r.value for r in Reason])
def test_business_error_is_http_200_with_a_non_zero_rt_cd(reason: Reason, env: Env) -> None:
    err = business_error(reason, env)
    assert isinstance(err, MessageError) and err.status == 200
    message = codes.BUSINESS[reason].for_env(env)
    # rt_cd "1", except real insufficient cash, which KIS answers with "7".
    expected = "7" if (reason, env) == (Reason.INSUFFICIENT_CASH, Env.REAL) else "1"
    assert err.body() == {"rt_cd": expected, "msg_cd": message.code, "msg1": message.text}
    assert err.body()["msg1"].startswith("모의투자") is (env is Env.MOCK)


def test_token_endpoint_error_shape() -> None:
    err = TokenEndpointError(codes.TOKEN_RATE_LIMIT)
    assert err.status == 403
    assert err.body() == {"error_code": "EGW00133",
                          "error_description": "접근토큰 발급 잠시 후 다시 시도하세요(1분당 1회)"}


# ------------------------------------------------------------------------------------------------
# Response formats
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "places", "text"), [
    ("200", 8, "200.00000000"), ("0", 8, "0.00000000"), ("0", 5, "0.00000"), ("226.5", 8, "226.50000000"),
    ("100.0000", 8, "100.00000000"), ("1E+2", 8, "100.00000000"), ("1E-9", 8, "0.00000000"),
    ("0.0001", 8, "0.00010000"), ("12345.678", 5, "12345.67800"), ("60000", 8, "60000.00000000"),
    ("1.23456789", 4, "1.2346")])
def test_fixed(value: str, places: int, text: str) -> None:
    assert fixed(D(value), places) == text


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=0, max_value=10**9, places=4, allow_nan=False, allow_infinity=False))
def test_fixed_property(value: D) -> None:
    text = fixed(value, 8)
    whole, _, frac = text.partition(".")
    assert len(frac) == 8 and whole.isdigit() and "E" not in text
    assert D(text) == value


@pytest.mark.parametrize("text", ["", "81055689^01^NYSE^DS^", "12345678^01^^20211027^20211027^00^00^NASD^^",
                                  "x" * 199, "y" * 200])
def test_cursor_is_200_chars(text: str) -> None:
    padded = cursor(text)
    assert len(padded) == 200
    assert padded.rstrip(" ") == text.rstrip(" ") and padded.startswith(text)


def test_cursor_longer_than_200_is_cut() -> None:
    assert cursor("z" * 250) == "z" * 200


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_characters=" "), max_size=200))
def test_cursor_round_trips(text: str) -> None:
    padded = cursor(text)
    assert len(padded) == 200 and padded.rstrip(" ") == text


T_ORDER = datetime(2026, 3, 2, 7, 5, 24, tzinfo=UTC)  # 16:05:24 KST


def make_order(exchange: Exchange = Exchange.NYSE, side: Side = Side.BUY, env: Env = Env.REAL,
               order_no: str = "0000004336", quantity: int = 10, price: D = PRICE_200) -> Order:
    command = NewOrder(account="12345678-01", env=env, exchange=exchange, symbol="KO", side=side,
                       order_type="00", quantity=quantity, price=price, tr_id="TTTT1002U")
    return place(command, order_no, T_ORDER, "01790")


def test_time_helpers_use_kst() -> None:
    late = datetime(2026, 3, 2, 20, 0, 1, tzinfo=UTC)  # 05:00:01 next day in Seoul
    assert hhmmss(late) == "050001" and yyyymmdd(late) == "20260303"
    assert kst(late).utcoffset() is not None and kst(late).utcoffset().total_seconds() == 9 * 3600


_ZONES = [UTC, ZoneInfo("America/New_York"), ZoneInfo("Asia/Seoul"), timezone(timedelta(hours=-3, minutes=-30))]


@settings(max_examples=300)
@given(st.datetimes(min_value=datetime(1950, 1, 1), max_value=datetime(2100, 1, 1)), st.sampled_from(_ZONES),
       st.sampled_from(_ZONES))
def test_order_times_match_a_plain_conversion_whatever_was_asked_before(naive: datetime, zone: tzinfo,
                                                                        other: tzinfo) -> None:
    """hhmmss remembers recent seconds: the same wall-clock second in another zone is another instant."""
    moment = naive.replace(tzinfo=zone)
    same_wall_clock = naive.replace(tzinfo=other)
    for m in (moment, same_wall_clock, moment):
        local = m.astimezone(ZoneInfo("Asia/Seoul"))
        assert hhmmss(m) == f"{local.hour:02d}{local.minute:02d}{local.second:02d}"


def test_order_ack() -> None:
    body = order_ack(codes.ORDER_BUY_OK.real, make_order())
    assert body == {"rt_cd": "0", "msg_cd": "APBK0013", "msg1": "주문 전송 완료 되었습니다.",
                    "output": {"KRX_FWDG_ORD_ORGNO": "01790", "ODNO": "0000004336", "ORD_TMD": "160524"}}
    assert list(body) == ["rt_cd", "msg_cd", "msg1", "output"]
    assert all(key.isidentifier() and not key.startswith("_") for key in body)  # B7
    output = body["output"]
    assert isinstance(output, dict) and output["ODNO"].isdigit() and len(output["ODNO"]) == 10  # B5
    assert "주문 전송 완료" in dumps(body).decode("utf-8")


def test_mock_order_ack_message() -> None:
    body = order_ack(codes.CANCEL_OK.mock, make_order(env=Env.MOCK))
    assert (body["msg_cd"], body["msg1"]) == ("40630000", "모의투자 취소주문이 완료 되었습니다.")


NCCS_KEYS = {
    "ord_dt", "ord_gno_brno", "odno", "orgn_odno", "pdno", "prdt_name", "sll_buy_dvsn_cd", "sll_buy_dvsn_cd_name",
    "rvse_cncl_dvsn_cd", "rvse_cncl_dvsn_cd_name", "rjct_rson", "rjct_rson_name", "ord_tmd", "tr_mket_name",
    "tr_crcy_cd", "natn_cd", "natn_kor_name", "ft_ord_qty", "ft_ccld_qty", "nccs_qty", "ft_ord_unpr3",
    "ft_ccld_unpr3", "ft_ccld_amt3", "ovrs_excg_cd", "prcs_stat_name", "loan_type_cd", "loan_dt",
    "usa_amk_exts_rqst_yn", "splt_buy_attr_name",
}  # PROTOCOL §6
CCNL_KEYS = {
    "ord_dt", "ord_gno_brno", "odno", "orgn_odno", "sll_buy_dvsn_cd", "sll_buy_dvsn_cd_name", "rvse_cncl_dvsn",
    "rvse_cncl_dvsn_name", "pdno", "prdt_name", "ft_ord_qty", "ft_ord_unpr3", "ft_ccld_qty", "ft_ccld_unpr3",
    "ft_ccld_amt3", "nccs_qty", "prcs_stat_name", "rjct_rson", "rjct_rson_name", "ord_tmd", "tr_mket_name",
    "tr_natn", "tr_natn_name", "ovrs_excg_cd", "tr_crcy_cd", "dmst_ord_dt", "thco_ord_tmd", "loan_type_cd",
    "loan_dt", "mdia_dvsn_name", "usa_amk_exts_rqst_yn", "splt_buy_attr_name",
}  # PROTOCOL §7

COCA_COLA = Instrument(Exchange.NYSE, "KO", "코카콜라", D("60"))


def test_nccs_row_of_a_new_order() -> None:
    row = nccs_row(make_order(), COCA_COLA.name, "20260301")
    assert set(row) == NCCS_KEYS
    assert all(isinstance(v, str) for v in row.values())
    assert row["ft_ord_unpr3"] == "200.00000000" and row["ft_ccld_unpr3"] == "0.00000000"
    assert row["ft_ccld_amt3"] == "0.00000"
    assert (row["ft_ord_qty"], row["ft_ccld_qty"], row["nccs_qty"]) == ("10", "0", "10")
    assert (row["odno"], row["orgn_odno"], row["rvse_cncl_dvsn_cd"]) == ("0000004336", "", "00")
    assert (row["sll_buy_dvsn_cd"], row["sll_buy_dvsn_cd_name"]) == ("02", "매수")
    assert (row["ord_dt"], row["ord_tmd"], row["ord_gno_brno"]) == ("20260301", "160524", "01790")
    assert (row["tr_mket_name"], row["tr_crcy_cd"], row["natn_cd"], row["natn_kor_name"]) == (
        "뉴욕거래소", "USD", "840", "미국")
    assert (row["pdno"], row["prdt_name"], row["ovrs_excg_cd"], row["loan_type_cd"]) == (
        "KO", "코카콜라", "NYSE", "10")


def test_nccs_row_without_instrument_uses_symbol() -> None:
    assert nccs_row(make_order(), "KO", "20260301")["prdt_name"] == "KO"


def test_rows_of_partially_filled_revised_order() -> None:
    order = fill(fill(make_order(quantity=10, price=D("200")), 2, D("199.50")), 1, D("200"))
    request = RevisionRequest(kind=RevisionKind.REVISE, account=order.account, env=order.env,
                              exchange=order.exchange, symbol=order.symbol, original_no=order.order_no, quantity=3,
                              price=D("201.25"), tr_id="TTTT1004U")
    updated, replacement = revise(order, request, "0000004338", T_ORDER, "01790")
    row = nccs_row(updated, COCA_COLA.name, "20260301")
    assert (row["ft_ord_qty"], row["ft_ccld_qty"], row["nccs_qty"]) == ("10", "3", "4")
    assert row["ft_ccld_amt3"] == "599.00000" and row["ft_ccld_unpr3"] == "199.66666667"
    assert row["ft_ord_unpr3"] == "200.00000000"
    new_row = nccs_row(replacement, COCA_COLA.name, "20260301")
    assert (new_row["odno"], new_row["orgn_odno"], new_row["rvse_cncl_dvsn_cd"], new_row["rvse_cncl_dvsn_cd_name"]) \
        == ("0000004338", "0000004336", "01", "정정")
    assert (new_row["ft_ord_qty"], new_row["nccs_qty"], new_row["ft_ord_unpr3"]) == ("3", "3", "201.25000000")


def test_ccnl_row_of_a_cancel_record() -> None:
    order = make_order(side=Side.SELL)
    request = RevisionRequest(kind=RevisionKind.CANCEL, account=order.account, env=order.env,
                              exchange=order.exchange, symbol=order.symbol, original_no=order.order_no, quantity=0,
                              price=D("0"), tr_id="TTTT1004U")
    late = datetime(2026, 3, 2, 20, 0, 1, tzinfo=UTC)
    _, record = cancel(order, request, "0000004339", late, "01790")
    row = ccnl_row(record, COCA_COLA.name, "20260302")
    assert set(row) == CCNL_KEYS
    assert (row["rvse_cncl_dvsn"], row["rvse_cncl_dvsn_name"], row["orgn_odno"]) == ("02", "취소", "0000004336")
    assert (row["sll_buy_dvsn_cd"], row["sll_buy_dvsn_cd_name"]) == ("01", "매도")
    assert (row["ft_ord_qty"], row["nccs_qty"], row["ft_ccld_qty"]) == ("10", "0", "0")
    assert (row["dmst_ord_dt"], row["thco_ord_tmd"], row["ord_tmd"]) == ("20260303", "050001", "050001")
    assert (row["ord_dt"], row["tr_natn"], row["tr_natn_name"], row["mdia_dvsn_name"]) == (
        "20260302", "840", "미국", "OpenAPI")
