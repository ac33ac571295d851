"""Paging of KIS inquiries (PROTOCOL A6): the 200-character ctx_area cursors and the tr_cont header."""

from __future__ import annotations

from localkis.protocol.fields import CURSOR_WIDTH
from localkis.wire.errors import field_format_error

NK200 = "CTX_AREA_NK200"


def cursor(text: str) -> str:
    """The 200-character space-padded ctx_area strings."""
    return text.ljust(CURSOR_WIDTH)[:CURSOR_WIDTH]


def tr_cont(continuing: bool, more: bool) -> str:
    """F first page with more, M middle, D first-and-only, E last."""
    if more:
        return "M" if continuing else "F"
    return "E" if continuing else "D"


def order_after(nk200: str) -> str | None:
    """The last order number of the previous page, from ctx_area_nk200 ("CANO^PRDT^…^ODNO^")."""
    text = nk200.strip()
    if not text:
        return None
    parts = text.split("^")
    if len(parts) < 4 or not (parts[-2].isdigit() and len(parts[-2]) == 10):
        raise field_format_error(NK200)
    return parts[-2]
