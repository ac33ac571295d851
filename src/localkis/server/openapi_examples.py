"""Real example answers for the OpenAPI document: each rendered by its API's own codec from one sample
account (AAPL bought 10 @ 185.00, 3 of a 5-share buy filled, cash 10 000 USD), so an example never
drifts from what the server answers. Also the OAuth and admin routes' entries."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from localkis.domain import place_order
from localkis.domain.accounts import Funds
from localkis.domain.hours import KST
from localkis.domain.instruments import Instrument
from localkis.domain.orders import NewOrder, Order, fill
from localkis.protocol.apis import APPROVAL_PATH, HASHKEY_PATH, REVOKE_PATH, Api
from localkis.protocol.env import Env
from localkis.protocol.exchanges import Exchange
from localkis.protocol.orders import Side
from localkis.wire import (
    inquire_balance,
    inquire_ccnl,
    inquire_nccs,
    inquire_present_balance,
    inquire_psamount,
    price,
    search_info,
)
from localkis.wire.accounts import ValuedPosition

ACCOUNT = "12345678-01"
NOW = datetime(2026, 11, 25, 23, 45, tzinfo=KST)
AAPL = Instrument(Exchange.NASD, "AAPL", "애플", Decimal("190.00"), english_name="APPLE INC")
HOLDING = ValuedPosition(Exchange.NASD, "AAPL", "애플", 10, 10, Decimal("185.00"), Decimal("190.00"))


def _order() -> Order:
    command = NewOrder(ACCOUNT, Env.REAL, Exchange.NASD, "AAPL", Side.BUY, "00", 5, Decimal("190.00"), "TTTT1002U")
    return fill(place_order.record(command, "0000000042", NOW, "01790"), 3, Decimal("189.99"))


def answer_examples() -> dict[Api, dict[str, object]]:
    """One answer per inquiry API, rendered by its codec."""
    order = _order()
    rows = [(order, "20261125")]

    def name_of(_: Order) -> str:
        return "애플"

    nccs, _ = inquire_nccs.render(inquire_nccs.NccsQuery(ACCOUNT, Exchange.NASD), rows, name_of)
    ccnl_query = inquire_ccnl.CcnlQuery(ACCOUNT, date(2026, 11, 25), date(2026, 11, 25))
    sent = {"CANO": "12345678", "ACNT_PRDT_CD": "01", "PDNO": "", "ORD_STRT_DT": "20261125",
            "ORD_END_DT": "20261125", "SLL_BUY_DVSN": "00", "CCLD_NCCS_DVSN": "00", "OVRS_EXCG_CD": "",
            "SORT_SQN": "DS"}
    ccnl, _ = inquire_ccnl.render(sent, ccnl_query, rows, Env.REAL, name_of)
    balance, _ = inquire_balance.render(inquire_balance.BalanceQuery(ACCOUNT, "NASD", "USD"), [HOLDING],
                                        Decimal("1850.00"), Env.REAL)
    present = inquire_present_balance.render(
        inquire_present_balance.PresentBalanceQuery(ACCOUNT, False, "840", "00", frozenset({Exchange.NASD}), False),
        [HOLDING], {"USD": Funds(Decimal("10000.00"), Decimal("379.98"))}, {}, Env.REAL)
    return {
        Api.INQUIRE_NCCS: nccs,
        Api.INQUIRE_CCNL: ccnl,
        Api.INQUIRE_BALANCE: balance,
        Api.INQUIRE_PRESENT_BALANCE: present,
        Api.INQUIRE_PSAMOUNT: inquire_psamount.render("USD", Decimal("9620.02"), Decimal("190.00"), 1),
        Api.PRICE: price.render(price.query_for(Exchange.NASD, "AAPL"), AAPL, Decimal("189.99")),
        Api.SEARCH_INFO: search_info.render(search_info.SearchInfoQuery("512", "AAPL"), AAPL),
    }


def _json(example: object, description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"example": example}}}


def _body(example: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"example": example}}}


_ADMIN = {"security": [{"admin": []}],
          "description": "localkis's own route: needs `Authorization: Bearer <admin_token>` (printed at start-up)."}
_KEYS = {"appkey": "PS…36 chars…", "appsecret": "…180 chars…"}


def _admin(summary: str, answer: object, body: dict[str, Any] | None = None,
           params: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, **_ADMIN, "responses": {
        "200": _json(answer), "400": _json({"error": "…what was wrong…"}, "bad request"),
        "401": _json({"error": "admin bearer token required"}, "no or wrong admin token")}}
    if body is not None:
        op["requestBody"] = _body(body)
    if params:
        op["parameters"] = params
    return op


def _path_number() -> list[dict[str, Any]]:
    return [{"name": "number", "in": "path", "required": True, "description": "account, CANO-ACNT_PRDT_CD",
             "schema": {"type": "string", "example": ACCOUNT}}]


ACCOUNT_VIEW = {"number": ACCOUNT, "cash": {"USD": "10000.00"}, "reserved": {"USD": "379.98"},
                "available": {"USD": "9620.02"},
                "positions": [{"exchange": "NASD", "symbol": "AAPL", "quantity": 10, "avg_price": "185.00",
                               "sellable": 10}],
                "ledger": [{"currency": "USD", "kind": "deposit", "amount": "1000.00"}]}


APP_VIEW = {"appkey": "PS…36 chars…", "name": "team-3", "env": "real", "accounts": ["12345678-04"],
            "disabled": False}


def extra_paths() -> dict[str, Any]:
    """revokeP, Approval, hashkey and every /localkis/ route."""
    return {
        REVOKE_PATH: {"post": {"summary": "Revoke an access token (접근토큰폐기)", "requestBody": _body(
            {**_KEYS, "token": "eyJ…"}), "responses": {
            "200": _json({"code": 200, "message": "접근토큰 폐기에 성공하였습니다"}),
            "403": _json({"error_code": "EGW00121", "error_description": "유효하지 않은 token 입니다."},
                         "unknown or another app's token")}}},
        APPROVAL_PATH: {"post": {"summary": "WebSocket approval key (실시간 웹소켓 접속키 발급)", "requestBody": _body(
            {"grant_type": "client_credentials", "appkey": _KEYS["appkey"], "secretkey": _KEYS["appsecret"]}),
            "responses": {"200": _json({"approval_key": "a1b2c3d4-…"})}}},
        HASHKEY_PATH: {"post": {
            "summary": "Hashkey of a request body (appkey and appsecret headers, no token)",
            "parameters": [{"name": "appkey", "in": "header", "required": True, "schema": {"type": "string"}},
                           {"name": "appsecret", "in": "header", "required": True, "schema": {"type": "string"}}],
            "requestBody": _body({"CANO": "12345678", "ACNT_PRDT_CD": "01", "PDNO": "AAPL"}),
            "responses": {"200": _json({"BODY": {"CANO": "12345678", "ACNT_PRDT_CD": "01", "PDNO": "AAPL"},
                                        "HASH": "…64 hex digits (sha256 of the raw body)…"})}}},
        "/localkis/health": {"get": {"summary": "Health and the server clock (no token)", "responses": {
            "200": _json({"status": "ok", "now": "2026-11-25T23:45:00+09:00"})}}},
        "/localkis/admin/fills": {"post": _admin(
            "A test fill of an open order", {"odno": "0000000042", "filled": 5, "open": 0, "state": "filled",
                                             "average_price": "189.994"},
            {"odno": "0000000042", "quantity": 2, "price": "190.00"})},
        "/localkis/admin/orders": {"get": _admin("Every order record", {"orders": [{
            "odno": "0000000042", "orgn_odno": "", "kind": "new", "account": ACCOUNT, "exchange": "NASD",
            "symbol": "AAPL", "side": "buy", "quantity": 5, "price": "190.00", "state": "partially_filled",
            "filled": 3, "open": 2}]})},
        "/localkis/admin/prices": {"post": _admin(
            "A trade print: fills the resting orders it crosses (size bounds the fills)",
            {"exchange": "NASD", "symbol": "AAPL", "price": "189.99", "size": 3,
             "fills": [{"odno": "0000000042", "quantity": 3, "price": "190.00"}]},
            {"exchange": "NASD", "symbol": "AAPL", "price": "189.99", "size": 3})},
        "/localkis/admin/accounts": {
            "get": _admin("Every account (the config's, then those opened at run time)", {"accounts": [ACCOUNT_VIEW]}),
            "post": _admin("Open an account at run time (kept in the database; 409 if it exists)",
                           {"number": "12345678-03", "cash": {"USD": "100000"}, "positions": []},
                           {"number": "12345678-03", "cash": {"USD": "100000"},
                            "positions": [{"exchange": "NASD", "symbol": "AAPL", "quantity": 10,
                                           "avg_price": "150.00"}]})},
        "/localkis/admin/apps": {
            "get": _admin("Every app (appsecrets are not shown)", {"apps": [APP_VIEW]}),
            "post": _admin("Add an app at run time (keys made as KIS issues them unless given); its appsecret "
                           "is shown in this answer only", {**APP_VIEW, "appsecret": "…180 chars…"},
                           {"name": "team-3", "env": "real", "accounts": ["12345678-04"]})},
        "/localkis/admin/apps/{appkey}/disable": {"post": _admin(
            "Disable an app: its requests fail as an unknown appkey (EGW00103) from now on",
            {**APP_VIEW, "disabled": True},
            params=[{"name": "appkey", "in": "path", "required": True, "description": "the app's appkey",
                     "schema": {"type": "string"}}])},
        "/localkis/admin/accounts/{number}": {"get": _admin("One account", ACCOUNT_VIEW, params=_path_number())},
        "/localkis/admin/accounts/{number}/deposits": {"post": _admin(
            "Add cash", {"number": ACCOUNT, "currency": "USD", "cash": "11000.00"},
            {"currency": "USD", "amount": "1000.00"}, _path_number())},
        "/localkis/admin/accounts/{number}/positions": {"post": _admin(
            "Set a holding", {"number": ACCOUNT, "exchange": "NASD", "symbol": "AAPL", "quantity": 10,
                              "avg_price": "150.00"},
            {"exchange": "NASD", "symbol": "AAPL", "quantity": 10, "avg_price": "150.00"}, _path_number())},
        "/localkis/admin/clock": {
            "get": _admin("The server clock", {"now": "2026-11-25T23:45:00+09:00"}),
            "post": _admin("Set (optionally frozen) or advance the server clock; kept across restarts",
                           {"now": "2026-11-25T23:45:00+09:00"},
                           {"time": "2026-11-25T23:45:00+09:00", "frozen": False})},
        "/localkis/admin/instruments": {
            "get": _admin("Every instrument the server trades", {"instruments": [
                {"exchange": "NASD", "symbol": "AAPL", "name": "애플", "price": "190.00", "lot_size": 1,
                 "topix500": False}]}),
            "post": _admin("Trade a new instrument (kept in the database; fields as in [[instruments]])",
                           {"exchange": "NASD", "symbol": "RKLB", "name": "로켓랩", "price": "25.00",
                            "lot_size": None, "english_name": "", "topix500": False},
                           {"exchange": "NASD", "symbol": "RKLB", "name": "로켓랩", "price": "25.00"})},
        "/localkis/admin/leaderboard": {"get": _admin(
            "Accounts ranked by return since the start (KRW at fixed rates)",
            {"start": "2026-11-25T23:30:00+09:00", "rates_krw": {"USD": "1350.00"}, "leaderboard": [
                {"rank": 1, "account": ACCOUNT, "apps": ["team-3"], "equity_krw": "135135000",
                 "pnl_krw": "135000", "realised_krw": "0", "unrealised_krw": "135000", "return_pct": "0.10"}]})},
        "/localkis/admin/leaderboard/start": {"post": _admin(
            "Start the contest now: the leaderboard's returns count from here",
            {"start": "2026-11-25T23:30:00+09:00", "accounts": [ACCOUNT]})},
        "/localkis/admin/requests": {"get": _admin(
            "The request log after SEQ (this process's latest 2000)",
            {"enabled": True, "requests": [{"seq": 7, "at": "2026-11-25T23:45:00+09:00", "method": "POST",
                                            "path": "/uapi/overseas-stock/v1/trading/order", "tr_id": "TTTT1002U",
                                            "app": "my-bot", "account": ACCOUNT, "status": 200,
                                            "msg_cd": "APBK0013", "ms": 1.2}]},
            params=[{"name": "after", "in": "query", "required": False, "description": "the last seq seen",
                     "schema": {"type": "integer", "default": 0}}])},
    }
