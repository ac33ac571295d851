"""The response transport: standard header names Title-Cased, and a response's head and body in one write."""

from __future__ import annotations

import asyncio

from localkis.server.http import _TitleCaseTransport, title_case_headers
from tests.recording import Recorder

HEAD = b"HTTP/1.1 200 OK\r\ndate: x\r\ncontent-type: application/json\r\ncontent-length: 2\r\ntr_id: TTTT1004U\r\n\r\n"


def test_standard_names_are_title_cased_and_kis_names_stay_lowercase() -> None:
    fixed = title_case_headers(HEAD + b"content-type: in the body stays\r\n")
    assert b"\r\nContent-Type: application/json\r\nContent-Length: 2\r\n" in fixed
    assert b"\r\nDate: x\r\n" in fixed and b"\r\ntr_id: TTTT1004U\r\n" in fixed
    assert fixed.endswith(b"content-type: in the body stays\r\n")


def test_head_and_body_leave_in_one_write() -> None:
    async def go() -> Recorder:
        raw = Recorder()
        transport = _TitleCaseTransport(raw)
        transport.write(HEAD)
        assert raw.writes == []  # held until the body comes
        transport.write(b"{}")
        await asyncio.sleep(0)
        return raw

    raw = asyncio.run(go())
    assert len(raw.writes) == 1
    assert raw.writes[0] == title_case_headers(HEAD) + b"{}"


def test_a_head_without_body_waits_for_the_flush_at_the_end_of_the_response() -> None:
    raw = Recorder()
    transport = _TitleCaseTransport(raw)
    transport.write(HEAD.replace(b"200 OK", b"204 No Content"))
    assert raw.writes == []
    transport.flush()  # KisHttpToolsProtocol.on_response_complete
    assert len(raw.writes) == 1 and raw.writes[0].startswith(b"HTTP/1.1 204 No Content\r\nDate: x\r\n")
    transport.flush()
    assert len(raw.writes) == 1


def test_interim_and_chunked_heads_are_not_held() -> None:
    raw = Recorder()
    transport = _TitleCaseTransport(raw)
    transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")  # the client waits for it before sending its body
    chunked = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n"
    transport.write(chunked)  # a stream: its first chunk may come much later
    assert raw.writes == [b"HTTP/1.1 100 Continue\r\n\r\n", title_case_headers(chunked)]
    assert b"\r\nTransfer-Encoding: chunked\r\n" in raw.writes[1]


def test_close_sends_a_held_head_first_and_other_calls_pass_through() -> None:
    async def go() -> Recorder:
        raw = Recorder()
        transport = _TitleCaseTransport(raw)
        transport.write(HEAD)
        transport.close()
        assert transport.get_extra_info("peername") == "extra peername"
        return raw

    raw = asyncio.run(go())
    assert raw.closed and len(raw.writes) == 1 and raw.writes[0].startswith(b"HTTP/1.1 200 OK")


def test_a_held_head_is_dropped_once_the_transport_is_closing() -> None:
    raw = Recorder()
    transport = _TitleCaseTransport(raw)
    transport.write(HEAD)
    raw.closed = True  # the connection was lost before the response completed
    transport.flush()
    assert raw.writes == []


def test_two_heads_in_a_row_keep_their_order() -> None:
    async def go() -> Recorder:
        raw = Recorder()
        transport = _TitleCaseTransport(raw)
        transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        transport.write(HEAD)
        transport.write(b"{}")
        return raw

    raw = asyncio.run(go())
    assert raw.writes == [b"HTTP/1.1 100 Continue\r\n\r\n", title_case_headers(HEAD) + b"{}"]
