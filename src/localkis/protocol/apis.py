"""The KIS APIs localkis serves: name, HTTP method and path (PROTOCOL §2–§10), defined once.

The server's route table, the client's requests and the tests all read paths from here.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple


class Api(StrEnum):
    """One KIS API; the value is the last segment of its path."""

    ORDER = "order"
    REVISE_CANCEL = "order-rvsecncl"
    INQUIRE_NCCS = "inquire-nccs"
    INQUIRE_CCNL = "inquire-ccnl"
    INQUIRE_BALANCE = "inquire-balance"
    INQUIRE_PSAMOUNT = "inquire-psamount"
    INQUIRE_PRESENT_BALANCE = "inquire-present-balance"
    PRICE = "price"
    SEARCH_INFO = "search-info"
    ORDER_RESV = "order-resv"
    ORDER_RESV_CCNL = "order-resv-ccnl"
    ORDER_RESV_LIST = "order-resv-list"
    DAYTIME_ORDER = "daytime-order"
    DAYTIME_REVISE_CANCEL = "daytime-order-rvsecncl"
    INQUIRE_PERIOD_PROFIT = "inquire-period-profit"
    FOREIGN_MARGIN = "foreign-margin"
    INQUIRE_PERIOD_TRANS = "inquire-period-trans"
    INQUIRE_PAYMT_STDR_BALANCE = "inquire-paymt-stdr-balance"
    PRICE_DETAIL = "price-detail"
    DAILY_PRICE = "dailyprice"
    DAILY_CHART_PRICE = "inquire-daily-chartprice"
    MINUTE_CHART = "inquire-time-itemchartprice"
    ASKING_PRICE = "inquire-asking-price"
    PRODUCT_INFO = "search-info-overseas"  # CTPF1702R; the path's last segment is "search-info" as well
    COUNTRIES_HOLIDAY = "countries-holiday"
    DOMESTIC_PRICE = "inquire-price"
    DOMESTIC_BALANCE = "domestic-inquire-balance"  # the path ends in "inquire-balance", as the overseas one
    DOMESTIC_REVISABLE = "inquire-psbl-rvsecncl"


class Endpoint(NamedTuple):
    method: str
    path: str


_TRADING = "/uapi/overseas-stock/v1/trading/"

ENDPOINTS: dict[Api, Endpoint] = {
    Api.ORDER: Endpoint("POST", _TRADING + "order"),
    Api.REVISE_CANCEL: Endpoint("POST", _TRADING + "order-rvsecncl"),
    Api.INQUIRE_NCCS: Endpoint("GET", _TRADING + "inquire-nccs"),
    Api.INQUIRE_CCNL: Endpoint("GET", _TRADING + "inquire-ccnl"),
    Api.INQUIRE_BALANCE: Endpoint("GET", _TRADING + "inquire-balance"),
    Api.INQUIRE_PSAMOUNT: Endpoint("GET", _TRADING + "inquire-psamount"),
    Api.INQUIRE_PRESENT_BALANCE: Endpoint("GET", _TRADING + "inquire-present-balance"),
    Api.PRICE: Endpoint("GET", "/uapi/overseas-price/v1/quotations/price"),
    # python-kis (≤ Python 3.11) asks the domestic product-info API for overseas symbols (B8).
    Api.SEARCH_INFO: Endpoint("GET", "/uapi/domestic-stock/v1/quotations/search-info"),
    # Reservations (REST-NEXT §2–§4).
    Api.ORDER_RESV: Endpoint("POST", _TRADING + "order-resv"),
    Api.ORDER_RESV_CCNL: Endpoint("POST", _TRADING + "order-resv-ccnl"),
    Api.ORDER_RESV_LIST: Endpoint("GET", _TRADING + "order-resv-list"),
    # US daytime trading (REST-NEXT §5–§6).
    Api.DAYTIME_ORDER: Endpoint("POST", _TRADING + "daytime-order"),
    Api.DAYTIME_REVISE_CANCEL: Endpoint("POST", _TRADING + "daytime-order-rvsecncl"),
    # Account history and P/L (REST-NEXT §14–§17).
    Api.INQUIRE_PERIOD_PROFIT: Endpoint("GET", _TRADING + "inquire-period-profit"),
    Api.FOREIGN_MARGIN: Endpoint("GET", _TRADING + "foreign-margin"),
    Api.INQUIRE_PERIOD_TRANS: Endpoint("GET", _TRADING + "inquire-period-trans"),
    Api.INQUIRE_PAYMT_STDR_BALANCE: Endpoint("GET", _TRADING + "inquire-paymt-stdr-balance"),
    # Market data (REST-NEXT §7–§13).
    Api.PRICE_DETAIL: Endpoint("GET", "/uapi/overseas-price/v1/quotations/price-detail"),
    Api.DAILY_PRICE: Endpoint("GET", "/uapi/overseas-price/v1/quotations/dailyprice"),
    Api.DAILY_CHART_PRICE: Endpoint("GET", "/uapi/overseas-price/v1/quotations/inquire-daily-chartprice"),
    Api.MINUTE_CHART: Endpoint("GET", "/uapi/overseas-price/v1/quotations/inquire-time-itemchartprice"),
    Api.ASKING_PRICE: Endpoint("GET", "/uapi/overseas-price/v1/quotations/inquire-asking-price"),
    Api.PRODUCT_INFO: Endpoint("GET", "/uapi/overseas-price/v1/quotations/search-info"),
    Api.COUNTRIES_HOLIDAY: Endpoint("GET", "/uapi/overseas-stock/v1/quotations/countries-holiday"),
    # The domestic calls python-kis makes in overseas flows (REST-NEXT §18).
    Api.DOMESTIC_PRICE: Endpoint("GET", "/uapi/domestic-stock/v1/quotations/inquire-price"),
    Api.DOMESTIC_BALANCE: Endpoint("GET", "/uapi/domestic-stock/v1/trading/inquire-balance"),
    Api.DOMESTIC_REVISABLE: Endpoint("GET", "/uapi/domestic-stock/v1/trading/inquire-psbl-rvsecncl"),
}

# OAuth and utilities: no TR ID, no gateway token check.
TOKEN_PATH = "/oauth2/tokenP"
REVOKE_PATH = "/oauth2/revokeP"
APPROVAL_PATH = "/oauth2/Approval"
HASHKEY_PATH = "/uapi/hashkey"


def path_of(api: Api) -> str:
    return ENDPOINTS[api].path
