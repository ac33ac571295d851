"""Exceptions that carry KIS's `msg_cd`, `msg1` and the HTTP status.

Which class an answer becomes is decided by its code, looked up in tables built from
`localkis.protocol.codes` (the same constants the server answers with), never from retyped strings.
For KIS answers whose code localkis had to invent, the literal KIS text is a second key.

Hierarchy::

    KisError
    ├── RateLimited                 EGW00201
    │   └── TokenIssueLimited       EGW00133 (one token per minute)
    ├── AuthenticationError         EGW00102–00105, 00121, 00122, 00205, token endpoint errors
    │   └── TokenExpired            EGW00123
    ├── InvalidRequest              OPSQ…, field/price/lot/order-type rejections (also raised before sending)
    │   ├── UnknownSymbol           APBK0656 / mock 40070000
    │   └── OrderNotFound           the original order of a revise/cancel does not exist
    ├── MarketClosed                APBK0918 / mock 40570000, 40580000, 40100000
    ├── NothingToReviseOrCancel     정정/취소할 수량이 없습니다 (mock 40330000)
    ├── InsufficientFunds           APBK0952 (rt_cd 7) / mock 40250000
    ├── InsufficientHoldings        selling more than held (mock 40240000)
    ├── NotSupported                90000000, EGW02004/02006, OPSQ0002, MCA00124
    ├── ServerError                 EGW00002, a non-KIS 5xx
    ├── OrderRejected               any other business rejection (rt_cd not "0")
    └── OutcomeUnknown              an order/revise/cancel whose response was lost and not found again
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from localkis.protocol import codes
from localkis.protocol.codes import BUSINESS, Gateway, Message, Ops
from localkis.protocol.reasons import Reason

if TYPE_CHECKING:
    from localkis.client.models import Order


class ConfigError(ValueError):
    """The client configuration is incomplete or malformed."""


class KisError(Exception):
    """A KIS error answer (or a request the client refused to send).

    Attributes:
        msg_cd: KIS's message code ("EGW00201", "APBK0918", "OPSQ2002", …; "" if none).
        msg1: KIS's message text, stripped of padding.
        http_status: the HTTP status, or None when the client raised it before sending.
        rt_cd: KIS's result code ("1", "7", …; "" for gateway-token errors and client-side errors).
        tr_id: the TR ID of the request.
        body: the decoded response body, when there was one.
    """

    def __init__(self, msg1: str, *, msg_cd: str = "", http_status: int | None = None, rt_cd: str = "",
                 tr_id: str = "", body: Mapping[str, Any] | None = None) -> None:
        self.msg_cd = msg_cd
        self.msg1 = msg1.strip()
        self.http_status = http_status
        self.rt_cd = rt_cd
        self.tr_id = tr_id
        self.body = dict(body) if body is not None else None
        super().__init__(self._describe())

    def _describe(self) -> str:
        where = "not sent" if self.http_status is None else f"HTTP {self.http_status}"
        code = f"[{self.msg_cd}] " if self.msg_cd else ""
        tr = f" tr_id={self.tr_id}" if self.tr_id else ""
        return f"{code}{self.msg1} ({where}{tr})"

    @property
    def sent(self) -> bool:
        """Whether the request reached a server (False: the client refused it first)."""
        return self.http_status is not None


class RateLimited(KisError):
    """KIS's per-second limit (EGW00201) was still hit after the client's retries."""


class TokenIssueLimited(RateLimited):
    """KIS allows one token request per app per minute (EGW00133)."""


class AuthenticationError(KisError):
    """Bad appkey/appsecret or token."""


class TokenExpired(AuthenticationError):
    """The access token expired (EGW00123) and re-issuing it once did not help."""


class InvalidRequest(KisError):
    """The request is malformed or breaks a market rule (field spec, tick, lot, order type)."""


class UnknownSymbol(InvalidRequest):
    """KIS does not know the symbol on that exchange."""


class OrderNotFound(InvalidRequest):
    """The original order of a revise or cancel does not exist for this account and symbol."""


class MarketClosed(KisError):
    """Outside the exchange's order windows (or not a trading day)."""


class NothingToReviseOrCancel(KisError):
    """The order has nothing open: filled, cancelled or replaced."""


class InsufficientFunds(KisError):
    """The order needs more cash than the account can spend."""


class InsufficientHoldings(KisError):
    """A sell of more shares than the account holds."""


class NotSupported(KisError):
    """The API or TR is not offered here (mock limits, wrong environment, unknown service)."""


class ServerError(KisError):
    """The server failed (EGW00002, or an answer that is not KIS's)."""


class OrderRejected(KisError):
    """A business rejection without a more specific class."""


class OutcomeUnknown(KisError):
    """An order, revise or cancel was sent, its response was lost, and reconciliation could not tell
    whether it was executed. The client did not resend it.

    Attributes:
        request: the body that was sent (uppercase KIS keys).
        sent_at: when it was sent (aware, client clock).
        cause: the transport error or answer that lost the response.
        candidates: orders in the history that matched (more than one means ambiguous).
        examined: how many history rows reconciliation looked at.
        lookup_errors: errors raised by the history look-ups themselves.
    """

    def __init__(self, msg1: str, *, tr_id: str, request: Mapping[str, str], sent_at: Any, cause: str,
                 candidates: Sequence[Order] = (), examined: int = 0,
                 lookup_errors: Sequence[BaseException] = ()) -> None:
        self.request = dict(request)
        self.sent_at = sent_at
        self.cause = cause
        self.candidates = list(candidates)
        self.examined = examined
        self.lookup_errors = list(lookup_errors)
        super().__init__(msg1, tr_id=tr_id)

    def _describe(self) -> str:
        found = ", ".join(c.order_no for c in self.candidates) or "none"
        return (f"{self.msg1} (tr_id={self.tr_id}; lost because: {self.cause}; history rows examined: "
                f"{self.examined}; matching: {found}; look-up errors: {len(self.lookup_errors)})")


# --------------------------------------------------------------------------------------------------
# code → class tables, built from the protocol constants

_REASON_CLASS: dict[Reason, type[KisError]] = {
    Reason.UNKNOWN_SYMBOL: UnknownSymbol,
    Reason.PRICE_BELOW_MINIMUM: InvalidRequest,
    Reason.OFF_TICK: InvalidRequest,
    Reason.BAD_LOT: InvalidRequest,
    Reason.BAD_QUANTITY: InvalidRequest,
    Reason.BAD_ORDER_TYPE: InvalidRequest,
    Reason.MARKET_CLOSED: MarketClosed,
    Reason.BEFORE_OPEN: MarketClosed,
    Reason.AFTER_CLOSE: MarketClosed,
    Reason.NON_TRADING_DAY: MarketClosed,
    Reason.ORIGINAL_NOT_FOUND: OrderNotFound,
    Reason.NOTHING_LEFT: NothingToReviseOrCancel,
    Reason.SAME_PRICE: InvalidRequest,
    Reason.REVISE_NOT_ALLOWED: InvalidRequest,
    Reason.ORDER_NOT_REVISABLE: InvalidRequest,
    Reason.BAD_REVISE_CANCEL_CODE: InvalidRequest,
    Reason.INSUFFICIENT_CASH: InsufficientFunds,
    Reason.INSUFFICIENT_HOLDINGS: InsufficientHoldings,
    Reason.RESERVATION_CLOSED: MarketClosed,
    Reason.RESERVATION_NOT_FOUND: OrderNotFound,
    Reason.RESERVATION_NOT_WAITING: NothingToReviseOrCancel,
    Reason.DAYTIME_CLOSED: MarketClosed,
    Reason.DAYTIME_ONLY: MarketClosed,
    Reason.NOT_DAYTIME_ORDER: OrderNotFound,
}

_GATEWAY_CLASS: dict[Gateway, type[KisError]] = {
    Gateway.SERVER_ERROR: ServerError,
    Gateway.BAD_REQUEST: InvalidRequest,
    Gateway.APPKEY_REQUIRED: AuthenticationError,
    Gateway.BAD_APPKEY: AuthenticationError,
    Gateway.APPSECRET_REQUIRED: AuthenticationError,
    Gateway.BAD_APPSECRET: AuthenticationError,
    Gateway.BAD_TOKEN: AuthenticationError,
    Gateway.TOKEN_NOT_FOUND: AuthenticationError,
    Gateway.TOKEN_EXPIRED: TokenExpired,
    Gateway.BAD_CONTENT_TYPE: InvalidRequest,
    Gateway.RATE_LIMIT: RateLimited,
    Gateway.BAD_CREDENTIALS_TYPE: AuthenticationError,
    Gateway.BAD_IP: InvalidRequest,
    Gateway.BAD_CUSTTYPE: InvalidRequest,
    Gateway.BAD_SEQ_NO: InvalidRequest,
    Gateway.CORPORATE_NO_MOCK: NotSupported,
    Gateway.PHONE_REQUIRED: InvalidRequest,
    Gateway.BAD_PERSONALSECKEY: AuthenticationError,
    Gateway.MOCK_KEY_ON_REAL: NotSupported,
    Gateway.NOT_MOCK_TR: NotSupported,
}

_OPS_CLASS: dict[Ops, type[KisError]] = {
    Ops.SERVICE_NOT_FOUND: NotSupported,
    Ops.BAD_ACCOUNT: InvalidRequest,
    Ops.BAD_MARKET: InvalidRequest,
    Ops.BAD_FIELD: InvalidRequest,
    Ops.BODY_NOT_FOUND: InvalidRequest,
    Ops.INVALID_JSON: InvalidRequest,
    Ops.TR_ID_NOT_FOUND: InvalidRequest,
}

_TOKEN_ENDPOINT_CLASS: dict[str, type[KisError]] = {
    codes.TOKEN_RATE_LIMIT.code: TokenIssueLimited,
    codes.TOKEN_BAD_APPKEY.code: AuthenticationError,
    codes.TOKEN_BAD_APPSECRET.code: AuthenticationError,
    codes.TOKEN_BAD_GRANT.code: AuthenticationError,
    codes.TOKEN_BAD_REQUEST.code: InvalidRequest,
    codes.TOKEN_APPKEY_REQUIRED.code: AuthenticationError,
    codes.TOKEN_APPSECRET_REQUIRED.code: AuthenticationError,
    codes.TOKEN_NOT_FOUND.code: AuthenticationError,
}


def _build_tables() -> tuple[dict[str, type[KisError]], dict[str, type[KisError]]]:
    by_code: dict[str, type[KisError]] = {}
    by_text: dict[str, type[KisError]] = {}
    for reason, message in BUSINESS.items():
        cls = _REASON_CLASS.get(reason, OrderRejected)
        for m in (message.real, message.mock):
            # A code shared by several reasons (APBK0918) must agree on the class.
            assert by_code.get(m.code, cls) is cls, (m.code, reason)
            by_code[m.code] = cls
            # KIS's literal texts identify answers whose KIS code localkis had to invent.
            by_text.setdefault(m.text.strip(), cls)
    for gw, cls in _GATEWAY_CLASS.items():
        by_code[gw.value] = cls
    for ops, cls in _OPS_CLASS.items():
        by_code[ops.value] = cls
    for code, cls in _TOKEN_ENDPOINT_CLASS.items():
        by_code.setdefault(code, cls)
    by_code[codes.NOT_IN_MOCK.code] = NotSupported
    by_code[codes.SERVICE_NOT_FOUND.code] = NotSupported
    return by_code, by_text


_BY_CODE, _BY_TEXT = _build_tables()


def class_for(msg_cd: str, msg1: str = "") -> type[KisError]:
    """The exception class for a KIS code (or, failing that, KIS's literal text)."""
    cls = _BY_CODE.get(msg_cd)
    if cls is None:
        cls = _BY_TEXT.get(msg1.strip())
    return cls or OrderRejected


def error_from_answer(status: int, body: Mapping[str, Any] | None, *, tr_id: str = "",
                      text: str = "") -> KisError:
    """The exception for a non-success answer: KIS bodies, OAuth 403 bodies, or anything else."""
    if body is not None and "error_code" in body:  # OAuth endpoints (PROTOCOL §2.1)
        code = str(body.get("error_code", ""))
        cls = _TOKEN_ENDPOINT_CLASS.get(code) or _BY_CODE.get(code) or AuthenticationError
        return cls(str(body.get("error_description", "")), msg_cd=code, http_status=status, tr_id=tr_id,
                   body=body)
    if body is not None and ("msg_cd" in body or "rt_cd" in body):
        msg_cd = str(body.get("msg_cd", ""))
        msg1 = str(body.get("msg1", ""))
        cls = class_for(msg_cd, msg1)
        if cls is OrderRejected and status >= 500:
            cls = ServerError
        return cls(msg1, msg_cd=msg_cd, http_status=status, rt_cd=str(body.get("rt_cd", "")), tr_id=tr_id,
                   body=body)
    cls = ServerError if status >= 500 or status < 400 else InvalidRequest
    return cls(text[:300] or f"HTTP {status}", http_status=status, tr_id=tr_id, body=body)


def error_for_message(message: Message, *, tr_id: str = "", detail: str = "") -> KisError:
    """A client-side refusal worded exactly as the server would answer it (never sent: http_status None)."""
    err = class_for(message.code, message.text)(message.text, msg_cd=message.code, rt_cd=message.rt_cd,
                                                tr_id=tr_id)
    if detail:
        err.args = (f"{err.args[0]} — {detail}",)
    return err
