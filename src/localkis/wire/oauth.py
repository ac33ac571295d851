"""OAuth and utility endpoints on the wire (PROTOCOL §2): tokenP, revokeP, Approval, hashkey.

Their errors have their own shape: HTTP 403 `{"error_code","error_description"}` (`TokenEndpointError`).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple

from localkis.protocol import codes
from localkis.wire.errors import TokenEndpointError
from localkis.wire.responses import kst

GRANT_TYPE = "client_credentials"


class Credentials(NamedTuple):
    appkey: str
    secret: str


def credentials(body: Mapping[str, Any], secret_field: str = "appsecret") -> Credentials:
    """The app's keys from a token or approval body (Approval names its secret `secretkey`)."""
    appkey, secret = body.get("appkey"), body.get(secret_field)
    if not isinstance(appkey, str) or not appkey:
        raise TokenEndpointError(codes.TOKEN_APPKEY_REQUIRED)
    if not isinstance(secret, str) or not secret:
        raise TokenEndpointError(codes.TOKEN_APPSECRET_REQUIRED)
    if not secret.isascii():  # matches no app; hmac.compare_digest would raise on it
        secret = "\0"
    return Credentials(appkey, secret)


def check_grant(body: Mapping[str, Any]) -> None:
    if body.get("grant_type") != GRANT_TYPE:
        raise TokenEndpointError(codes.TOKEN_BAD_GRANT)


def token_body(appkey: str, appsecret: str) -> dict[str, str]:
    """What a client posts to tokenP."""
    return {"grant_type": GRANT_TYPE, "appkey": appkey, "appsecret": appsecret}


def render_token(token: str, expires_at: datetime, now: datetime) -> dict[str, object]:
    """Key order as KIS's example; `expires_in` a JSON number (B4)."""
    return {"access_token": token,
            "access_token_token_expired": kst(expires_at).strftime("%Y-%m-%d %H:%M:%S"),
            "token_type": "Bearer",
            "expires_in": max(0, int((expires_at - now).total_seconds()))}


def render_revoked() -> dict[str, object]:
    return {"code": 200, "message": codes.REVOKE_OK_TEXT}


def new_approval_key() -> str:
    """A WebSocket approval key, UUID-shaped like KIS's."""
    key = secrets.token_hex(18)
    return f"{key[:8]}-{key[8:12]}-{key[12:16]}-{key[16:20]}-{key[20:32]}"


def render_approval(key: str) -> dict[str, object]:
    return {"approval_key": key}


def render_hashkey(body: dict[str, Any], raw: bytes) -> dict[str, object]:
    """HASH of the body as sent (optional at KIS; mojito2 calls it before every POST, B9)."""
    return {"BODY": body, "HASH": hashlib.sha256(raw).hexdigest()}
