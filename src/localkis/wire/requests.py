"""Parse KIS requests (headers, uppercase JSON bodies, query strings) into checked values and commands."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

import orjson

from localkis.protocol.codes import Gateway, Ops
from localkis.protocol.fields import HEADERS, FieldSpec, Format
from localkis.wire.errors import GatewayError, OpsError, field_format_error, field_size_error

MAX_BODY_BYTES = 64 * 1024


class KisHeaders(NamedTuple):  # built on every request: a NamedTuple is built several times faster
    authorization: str
    appkey: str
    appsecret: str
    tr_id: str
    tr_cont: str
    custtype: str
    gt_uid: str
    personalseckey: str
    seq_no: str
    phone_number: str
    ip_addr: str
    mac_address: str


def parse_headers(headers: Mapping[str, str]) -> KisHeaders:
    """Header names are case-insensitive (B1): `headers` must be keyed in lowercase.

    Gateway checks come first, in the order KIS's gateway applies them: keys, then tr_id.
    """
    values = {spec.name: headers.get(spec.name, "").strip() for spec in HEADERS}
    if not values["appkey"]:
        raise GatewayError(Gateway.APPKEY_REQUIRED)
    # Keys are ASCII; a non-ASCII value can match no app (and hmac.compare_digest refuses to compare it).
    if len(values["appkey"]) != 36 or not values["appkey"].isascii():
        raise GatewayError(Gateway.BAD_APPKEY)
    if not values["appsecret"]:
        raise GatewayError(Gateway.APPSECRET_REQUIRED)
    if len(values["appsecret"]) != 180 or not values["appsecret"].isascii():
        raise GatewayError(Gateway.BAD_APPSECRET)
    if not values["tr_id"]:
        raise OpsError(Ops.TR_ID_NOT_FOUND)
    for spec in HEADERS:
        value = values[spec.name]
        if len(value) > spec.max_len:
            raise field_size_error(spec.name, spec.max_len)
    custtype = values["custtype"] or "P"
    if custtype not in ("P", "B"):
        raise GatewayError(Gateway.BAD_CUSTTYPE)
    return KisHeaders(
        authorization=values["authorization"], appkey=values["appkey"], appsecret=values["appsecret"],
        tr_id=values["tr_id"], tr_cont=values["tr_cont"], custtype=custtype, gt_uid=values["gt_uid"],
        personalseckey=values["personalseckey"], seq_no=values["seq_no"],
        phone_number=values["phone_number"], ip_addr=values["ip_addr"],
        mac_address=values["mac_address"],
    )


def check_corporate(headers: KisHeaders) -> None:
    """A corporate (custtype B) call must carry its identification headers (seed table)."""
    if headers.custtype != "B":
        return
    if not headers.personalseckey:
        raise GatewayError(Gateway.BAD_PERSONALSECKEY)
    if not headers.seq_no:
        raise GatewayError(Gateway.BAD_SEQ_NO)
    if not headers.phone_number:
        raise GatewayError(Gateway.PHONE_REQUIRED)
    if not headers.ip_addr:
        raise GatewayError(Gateway.BAD_IP)


def bearer_token(authorization: str) -> str:
    if not authorization:
        raise GatewayError(Gateway.TOKEN_NOT_FOUND)
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise GatewayError(Gateway.BAD_CREDENTIALS_TYPE)
    return token.strip()


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """A JSON object body, or the OPSQ99xx parsing error."""
    if len(raw) > MAX_BODY_BYTES:
        raise GatewayError(Gateway.BAD_REQUEST)
    if not raw.strip():
        raise OpsError(Ops.BODY_NOT_FOUND)
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise OpsError(Ops.INVALID_JSON) from None
    if not isinstance(value, dict):
        raise OpsError(Ops.INVALID_JSON)
    return value


def _as_text(value: Any) -> str | None:
    """Body values are strings; numbers are tolerated and read as their decimal text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return None


# Module-level aliases: an Enum member looked up on its class costs a descriptor call, and check_fields
# runs for every field of every request.
_DIGITS, _DATE, _DECIMAL = Format.DIGITS, Format.DATE, Format.DECIMAL


def check_fields(values: Mapping[str, Any], specs: tuple[FieldSpec, ...]) -> dict[str, str]:
    """Apply the field specs; keys must match exactly (POST bodies are UPPERCASE, spec note)."""
    out: dict[str, str] = {}
    get = values.get
    for spec in specs:
        value = get(spec.name)
        text = value if type(value) is str else _as_text(value)
        if text is None:
            raise field_format_error(spec.name)
        text = text.strip()
        if not text:
            if spec.required:
                raise field_size_error(spec.name, 0)
            out[spec.name] = ""
            continue
        if len(text) > spec.max_len or (spec.exact_len and len(text) != spec.max_len):
            raise field_size_error(spec.name, spec.max_len)
        fmt = spec.fmt
        if fmt is _DIGITS:
            if not (text.isascii() and text.isdigit()):
                raise field_format_error(spec.name)
        elif fmt is _DECIMAL:
            if parse_decimal(text) is None:
                raise field_format_error(spec.name)
        elif fmt is _DATE and not (text.isascii() and text.isdigit() and len(text) == 8):
            raise field_format_error(spec.name)
        if spec.choices is not None and text not in spec.choices:
            raise field_format_error(spec.name)
        out[spec.name] = text
    return out


# Prices travel as plain decimal strings ("190.00", "100.0000", "0"). Exponents ("1E+30") and absurd
# magnitudes are refused here: the tick and amount arithmetic downstream needs them within Decimal precision.
_PLAIN_DECIMAL = re.compile(r"[0-9]{1,12}(\.[0-9]*)?")


def parse_decimal(text: str) -> Decimal | None:
    if not _PLAIN_DECIMAL.fullmatch(text):
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0:
        return None
    return value


def query_upper(params: Mapping[str, str]) -> dict[str, str]:
    """Query keys are case-insensitive (python-kis sends ctx_area_fk200 lowercase, B1)."""
    return {key.upper(): value for key, value in params.items()}
