"""Typed business errors of the domain; the wire layer maps each reason to KIS's code and text."""

from __future__ import annotations

from localkis.protocol.reasons import Reason

__all__ = ["BusinessError", "IllegalTransition", "Reason"]


class BusinessError(Exception):
    """A rejection KIS answers with HTTP 200 and rt_cd "1"."""

    def __init__(self, reason: Reason, detail: str = "") -> None:
        super().__init__(f"{reason.value}: {detail}" if detail else reason.value)
        self.reason = reason
        self.detail = detail


class IllegalTransition(Exception):
    """An order event that the life-cycle table does not allow from the order's state."""
