"""Query field specs of the market-data APIs by `Api` (their specs live in `quotations` and `domestic`)."""

from __future__ import annotations

from localkis.protocol import domestic, quotations
from localkis.protocol.apis import Api
from localkis.protocol.fields import FieldSpec

MARKET_API_FIELDS: dict[Api, tuple[FieldSpec, ...]] = {
    Api.PRICE_DETAIL: quotations.PRICE_DETAIL_QUERY,
    Api.DAILY_PRICE: quotations.DAILY_PRICE_QUERY,
    Api.DAILY_CHART_PRICE: quotations.DAILY_CHART_PRICE_QUERY,
    Api.MINUTE_CHART: quotations.MINUTE_CHART_QUERY,
    Api.ASKING_PRICE: quotations.ASKING_PRICE_QUERY,
    Api.PRODUCT_INFO: quotations.PRODUCT_INFO_QUERY,
    Api.COUNTRIES_HOLIDAY: quotations.SETTLEMENT_DATES_QUERY,
    Api.DOMESTIC_PRICE: domestic.DOMESTIC_PRICE_QUERY,
    Api.DOMESTIC_BALANCE: domestic.DOMESTIC_BALANCE_QUERY,
    Api.DOMESTIC_REVISABLE: domestic.DOMESTIC_REVISABLE_QUERY,
}
