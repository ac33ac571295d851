"""OpenAPI document of the KIS routes, generated from the protocol field specs (one source of truth)."""

from __future__ import annotations

from typing import Any

from localkis.protocol.apis import ENDPOINTS, TOKEN_PATH, Api
from localkis.protocol.field_docs import FIELD_DOCS
from localkis.protocol.fields import API_FIELDS, HEADERS, FieldSpec
from localkis.protocol.market_apis import MARKET_API_FIELDS
from localkis.protocol.trids import TR_TABLE
from localkis.server.openapi_examples import answer_examples, extra_paths

_EXAMPLES: dict[Api, dict[str, str]] = {
    Api.ORDER: {"CANO": "12345678", "ACNT_PRDT_CD": "01", "OVRS_EXCG_CD": "NASD", "PDNO": "AAPL",
                "ORD_QTY": "1", "OVRS_ORD_UNPR": "190.00", "ORD_SVR_DVSN_CD": "0", "ORD_DVSN": "00"},
    Api.REVISE_CANCEL: {"CANO": "12345678", "ACNT_PRDT_CD": "01", "OVRS_EXCG_CD": "NASD", "PDNO": "AAPL",
                        "ORGN_ODNO": "0000000001", "RVSE_CNCL_DVSN_CD": "01", "ORD_QTY": "1",
                        "OVRS_ORD_UNPR": "189.50", "ORD_SVR_DVSN_CD": "0"},
    Api.ORDER_RESV: {"CANO": "12345678", "ACNT_PRDT_CD": "01", "PDNO": "AAPL", "OVRS_EXCG_CD": "NASD",
                     "FT_ORD_QTY": "1", "FT_ORD_UNPR3": "190.00"},
    Api.ORDER_RESV_CCNL: {"CANO": "12345678", "ACNT_PRDT_CD": "01", "RSVN_ORD_RCIT_DT": "20261124",
                          "OVRS_RSVN_ODNO": "0000000001"},
    Api.DAYTIME_ORDER: {"CANO": "12345678", "ACNT_PRDT_CD": "01", "OVRS_EXCG_CD": "NASD", "PDNO": "AAPL",
                        "ORD_QTY": "1", "OVRS_ORD_UNPR": "190.00", "ORD_SVR_DVSN_CD": "0", "ORD_DVSN": "00"},
    Api.DAYTIME_REVISE_CANCEL: {"CANO": "12345678", "ACNT_PRDT_CD": "01", "OVRS_EXCG_CD": "NASD", "PDNO": "AAPL",
                                "ORGN_ODNO": "0000000001", "RVSE_CNCL_DVSN_CD": "01", "ORD_QTY": "1",
                                "OVRS_ORD_UNPR": "189.50", "CTAC_TLNO": "", "MGCO_APTM_ODNO": "",
                                "ORD_SVR_DVSN_CD": "0"},
}

_ACK_EXAMPLE = {"rt_cd": "0", "msg_cd": "APBK0013", "msg1": "주문 전송 완료 되었습니다.",
                "output": {"KRX_FWDG_ORD_ORGNO": "01790", "ODNO": "0000000002", "ORD_TMD": "233012"}}


def _schema(spec: FieldSpec) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "maxLength": spec.max_len}
    if spec.name in FIELD_DOCS:
        schema["description"] = FIELD_DOCS[spec.name]
    if spec.choices:
        schema["enum"] = sorted(spec.choices)
    if spec.fmt.value != "text":
        schema["format"] = spec.fmt.value
    return schema


def openapi_document(apis: tuple[Api, ...]) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    answers = answer_examples()
    for api in apis:
        method, path = ENDPOINTS[api]
        tr_ids = sorted(t for t, s in TR_TABLE.items() if s.api is api)
        header_params: list[dict[str, Any]] = []
        for h in HEADERS:
            schema = _schema(h)
            if h.name == "tr_id":
                schema["enum"] = tr_ids
            header_params.append({"name": h.name, "in": "header", "required": h.required, "schema": schema})
        op: dict[str, Any] = {
            "summary": f"KIS {api.value} ({', '.join(tr_ids)})",
            "parameters": header_params,
            "responses": {
                "200": {"description": "rt_cd \"0\" on success; rt_cd \"1\" for a business rejection",
                        "content": {"application/json": {"example": _ACK_EXAMPLE
                                                         if method == "POST" else answers.get(api, {"rt_cd": "0"})}}},
                "500": {"description": "gateway (EGW…) or input (OPSQ…) error",
                        "content": {"application/json": {"example": {
                            "rt_cd": "1", "msg1": "유효하지 않은 token 입니다.", "msg_cd": "EGW00121"}}}},
            },
        }
        fields = API_FIELDS[api] if api in API_FIELDS else MARKET_API_FIELDS[api]
        if method == "POST":
            op["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": {"type": "object", "required": [f.name for f in fields if f.required],
                           "properties": {f.name: _schema(f) for f in fields}},
                "example": _EXAMPLES.get(api, {})}}}
        else:
            op["parameters"] += [{"name": f.name, "in": "query", "required": f.required,
                                  "schema": _schema(f)} for f in fields]
        paths[path] = {method.lower(): op}
    paths[TOKEN_PATH] = {"post": {
        "summary": "Issue an access token (24 h; the same token within 6 h; 1 request per minute)",
        "requestBody": {"content": {"application/json": {"example": {
            "grant_type": "client_credentials", "appkey": "…36 chars…", "appsecret": "…180 chars…"}}}},
        "responses": {"200": {"description": "token", "content": {"application/json": {"example": {
            "access_token": "eyJ…", "access_token_token_expired": "2026-11-26 23:45:00",
            "token_type": "Bearer", "expires_in": 86400}}}},
            "403": {"description": "EGW00133 and key errors", "content": {"application/json": {"example": {
                "error_code": "EGW00133",
                "error_description": "접근토큰 발급 잠시 후 다시 시도하세요(1분당 1회)"}}}}}}}
    paths.update({p: ops for p, ops in extra_paths().items() if p not in paths})
    return {"openapi": "3.1.0",
            "info": {"title": "localkis — KIS Open API (overseas stocks)", "version": "0.1.0"},
            "components": {"securitySchemes": {"admin": {"type": "http", "scheme": "bearer"}}},
            "paths": paths}


def swagger_html(spec_url: str) -> str:
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>localkis API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({{url: "{spec_url}", dom_id: "#ui"}});</script>
<noscript>The OpenAPI document is at <a href="{spec_url}">{spec_url}</a>.</noscript>
</body></html>"""


# Swagger UI's files, from the swagger-ui-py package (so /docs works offline), by the name /docs asks for.
SWAGGER_ASSETS = {"swagger-ui.css": "text/css; charset=utf-8",
                  "swagger-ui-bundle.js": "application/javascript; charset=utf-8"}


def swagger_asset(name: str) -> bytes | None:
    """One of SWAGGER_ASSETS' files, or None (unknown name, or the package missing)."""
    if name not in SWAGGER_ASSETS:
        return None
    from importlib import resources

    try:
        return resources.files("swagger_ui").joinpath("static", name).read_bytes()
    except (ModuleNotFoundError, FileNotFoundError):
        return None
