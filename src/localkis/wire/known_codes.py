"""Every KIS message code localkis knows, as the error KIS answers with it (status, text and shape): the
fault injector's `msg_cd` (`[[faults]]`) names one of these."""

from __future__ import annotations

from localkis.protocol import codes
from localkis.protocol.codes import BUSINESS, Gateway, Message, Ops
from localkis.protocol.env import Env
from localkis.wire.errors import GatewayError, MessageError, OpsError, TokenEndpointError, WireError


def _business(code: str, env: Env) -> Message | None:
    for business in BUSINESS.values():
        message = business.for_env(env)
        if message.code == code:
            return message
    # A code of the other environment only: still KIS's answer shape, with that environment's text.
    for business in BUSINESS.values():
        for message in (business.real, business.mock):
            if message.code == code:
                return message
    return None


_TOKEN_ONLY = {m.code: m for m in (codes.TOKEN_RATE_LIMIT, codes.TOKEN_BAD_GRANT)}


def error_for_code(code: str, env: Env) -> WireError | None:
    """The error KIS answers with `code` for an app of `env`; None if localkis does not know the code.

    EGW… gateway codes are HTTP 500 `{"rt_cd","msg1","msg_cd"}`, OPSQ… likewise, business codes (APBK…,
    4…0000, 90000000) HTTP 200 with rt_cd "1", and the token endpoint's own codes (EGW00133, EGW00114)
    HTTP 403 `{"error_code","error_description"}`."""
    if code in Gateway._value2member_map_:
        return GatewayError(Gateway(code))
    if code in Ops._value2member_map_:
        return OpsError(Ops(code))
    if code in _TOKEN_ONLY:
        return TokenEndpointError(_TOKEN_ONLY[code])
    if code == codes.NOT_IN_MOCK.code:
        return MessageError(codes.NOT_IN_MOCK)
    message = _business(code, env)
    return MessageError(message) if message is not None else None


def known_code(code: str) -> bool:
    return error_for_code(code, Env.REAL) is not None
