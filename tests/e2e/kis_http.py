"""Plain-HTTP KIS calls for the steps a client library does not implement.

mojito2 0.1.6 can place overseas orders but has no overseas revise/cancel or unfilled-orders call
(its `modify_order`/`cancel_order`/`fetch_open_order` are the domestic APIs). A bot using mojito2
would make those calls by hand, the way the official samples do; these helpers do exactly that,
with the client's own token and (for POSTs) its own `issue_hashkey()`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

NCCS_PATH = "/uapi/overseas-stock/v1/trading/inquire-nccs"
RVSECNCL_PATH = "/uapi/overseas-stock/v1/trading/order-rvsecncl"

TIMEOUT = httpx.Timeout(15.0)


class KisCallError(AssertionError):
    def __init__(self, what: str, resp: httpx.Response) -> None:
        req = resp.request
        super().__init__(
            f"{what}: HTTP {resp.status_code}\n"
            f"request: {req.method} {req.url}\nrequest body: {req.content.decode(errors='replace')}\n"
            f"response headers: {dict(resp.headers)}\nresponse body: {resp.text[:2000]}"
        )


def _headers(*, token: str, appkey: str, appsecret: str, tr_id: str, tr_cont: str = "",
             hashkey: str | None = None) -> dict[str, str]:
    headers = {
        "content-type": "application/json; charset=utf-8",
        "authorization": token if token.startswith("Bearer ") else f"Bearer {token}",
        "appkey": appkey,
        "appsecret": appsecret,
        "tr_id": tr_id,
        "tr_cont": tr_cont,
        "custtype": "P",
    }
    if hashkey is not None:
        headers["hashkey"] = hashkey
    return headers


def inquire_nccs(base_url: str, *, token: str, appkey: str, appsecret: str, account: str, tr_id: str,
                 exchange: str = "NASD", sort: str = "", max_pages: int = 10) -> list[dict[str, Any]]:
    """해외주식 미체결내역, following tr_cont/ctx_area paging; returns all rows."""
    cano, prdt = account.split("-")
    rows: list[dict[str, Any]] = []
    fk, nk, tr_cont = "", "", ""
    with httpx.Client(base_url=base_url, timeout=TIMEOUT) as client:
        for _ in range(max_pages):
            headers = _headers(token=token, appkey=appkey, appsecret=appsecret, tr_id=tr_id, tr_cont=tr_cont)
            resp = client.get(
                NCCS_PATH,
                headers=headers,
                params={"CANO": cano, "ACNT_PRDT_CD": prdt, "OVRS_EXCG_CD": exchange, "SORT_SQN": sort,
                        "CTX_AREA_FK200": fk, "CTX_AREA_NK200": nk},
            )
            if resp.status_code != 200:
                raise KisCallError("inquire-nccs failed", resp)
            data = resp.json()
            if data.get("rt_cd") != "0":
                raise KisCallError("inquire-nccs rt_cd != '0'", resp)
            output = data["output"]
            if not isinstance(output, list):
                raise KisCallError("inquire-nccs output is not a list", resp)
            rows.extend(output)
            more = resp.headers.get("tr_cont")
            if more is None:
                raise KisCallError("inquire-nccs response lacks the tr_cont header", resp)
            if more in ("D", "E"):
                return rows
            if more not in ("F", "M"):
                raise KisCallError(f"inquire-nccs: bad tr_cont {more!r}", resp)
            fk, nk, tr_cont = data["ctx_area_fk200"], data["ctx_area_nk200"], "N"
    raise AssertionError(f"inquire-nccs: still more pages after {max_pages}")


def order_rvsecncl(base_url: str, *, token: str, appkey: str, appsecret: str, tr_id: str,
                   body: dict[str, str], hashkey: Callable[[dict[str, str]], str] | None = None
                   ) -> tuple[httpx.Response, dict[str, Any]]:
    """해외주식 정정취소주문. Returns the raw response and its JSON body (no rt_cd check)."""
    key = hashkey(body) if hashkey is not None else None
    with httpx.Client(base_url=base_url, timeout=TIMEOUT) as client:
        resp = client.post(
            RVSECNCL_PATH,
            headers=_headers(token=token, appkey=appkey, appsecret=appsecret, tr_id=tr_id, hashkey=key),
            json=body,
        )
    try:
        data = resp.json()
    except ValueError as exc:
        raise KisCallError("order-rvsecncl: response is not JSON", resp) from exc
    return resp, data
