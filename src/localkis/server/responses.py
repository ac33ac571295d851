"""Finished HTTP answers: KIS's JSON with Title-Cased standard headers and KIS's own lowercase ones."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import Response

from localkis.wire.responses import dumps


class KisResponse(Response):
    """A finished JSON response: body and raw headers are built here once, so Starlette's Response
    rendering (media type sniffing, header rebuilding) is skipped on every KIS answer."""

    drop = False  # True: no answer, the connection is reset (`server.faults.Dropped`)

    def __init__(self, content: bytes, status: int, raw_headers: list[tuple[bytes, bytes]]) -> None:
        self.status_code = status
        self.body = content
        self.raw_headers = raw_headers
        self.background = None


_JSON_CONTENT_TYPE = (b"Content-Type", b"application/json; charset=utf-8")


def kis_response(body: Mapping[str, object], status: int = 200, *, tr_id: str = "",
                 tr_cont: str | None = None, gt_uid: str = "") -> KisResponse:
    """A JSON response whose standard headers are Title-Cased and KIS's own lowercase (A7, B7)."""
    content = dumps(body)
    raw = [_JSON_CONTENT_TYPE, (b"Content-Length", str(len(content)).encode())]
    if tr_id:
        raw.append((b"tr_id", tr_id.encode("latin-1", "replace")))
    if tr_cont is not None:
        raw.append((b"tr_cont", tr_cont.encode()))
    if gt_uid:
        raw.append((b"gt_uid", gt_uid.encode("latin-1", "replace")))
    return KisResponse(content, status, raw)


def refusal(raw_headers: Mapping[str, str], body: Mapping[str, object], status: int) -> KisResponse:
    """A KIS error answer, echoing the request's tr_id and gt_uid as KIS does."""
    return kis_response(body, status, tr_id=raw_headers.get("tr_id", ""), gt_uid=raw_headers.get("gt_uid", ""))
