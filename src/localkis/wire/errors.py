"""Errors that know their KIS wire form (status and JSON body)."""

from __future__ import annotations

from abc import ABCMeta, abstractmethod

from localkis.protocol.codes import (
    BUSINESS,
    GATEWAY_TEXT,
    OPS_TEXT,
    Gateway,
    Message,
    Ops,
)
from localkis.protocol.env import Env
from localkis.protocol.reasons import Reason


class WireError(Exception, metaclass=ABCMeta):
    """A failure with an exact KIS response."""

    status: int = 500

    @abstractmethod
    def body(self) -> dict[str, object]:
        """The JSON body KIS answers with."""


class GatewayError(WireError):
    """EGW… errors: HTTP 500, `{"rt_cd":"1","msg1":…,"msg_cd":…}` (that key order, PROTOCOL §11.1)."""

    def __init__(self, code: Gateway, text: str | None = None) -> None:
        self.code = code
        self.text = text or GATEWAY_TEXT[code]
        super().__init__(f"{code.value} {self.text}")

    def body(self) -> dict[str, object]:
        return {"rt_cd": "1", "msg1": self.text, "msg_cd": self.code.value}


class OpsError(WireError):
    """OPSQ… input errors: HTTP 500, never a state change."""

    def __init__(self, code: Ops, detail: str = "") -> None:
        self.code = code
        self.text = OPS_TEXT[code] + (f" {detail}" if detail else "")
        super().__init__(f"{code.value} {self.text}")

    def body(self) -> dict[str, object]:
        return {"rt_cd": "1", "msg1": self.text, "msg_cd": self.code.value}


def field_size_error(name: str, size: int) -> OpsError:
    """KIS's live wording: "ERROR INVALID INPUT_FILED_SIZE [FIELD] [n]"."""
    return OpsError(Ops.BAD_FIELD, f"[{name}] [{size}]")


def field_format_error(name: str) -> OpsError:
    err = OpsError(Ops.BAD_FIELD)
    err.text = f"ERROR INVALID INPUT [{name}]"
    return err


class MessageError(WireError):
    """A business-level rejection with a fixed message: HTTP 200, rt_cd "1"."""

    status = 200

    def __init__(self, message: Message) -> None:
        self.message = message
        super().__init__(f"{message.code} {message.text}")

    def body(self) -> dict[str, object]:
        return {"rt_cd": self.message.rt_cd, "msg_cd": self.message.code, "msg1": self.message.text}


def business_error(reason: Reason, env: Env) -> MessageError:
    return MessageError(BUSINESS[reason].for_env(env))


class TokenEndpointError(WireError):
    """OAuth endpoint errors: HTTP 403, `{"error_code","error_description"}`."""

    status = 403

    def __init__(self, message: Message) -> None:
        self.message = message
        super().__init__(f"{message.code} {message.text}")

    def body(self) -> dict[str, object]:
        return {"error_code": self.message.code, "error_description": self.message.text}
