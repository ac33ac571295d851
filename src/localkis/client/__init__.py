"""A typed client for KIS (한국투자증권) overseas-stock trading: real KIS, KIS mock, or a localkis server.

    from localkis.client import KisClient, Exchange, Side
    with KisClient.local("http://127.0.0.1:8080", appkey, appsecret, "12345678-01") as kis:
        ack = kis.buy(Exchange.NASD, "AAPL", 1, "190.00")
        kis.cancel_order(ack.order_no, Exchange.NASD, "AAPL")

See docs/client.md for the tour, the configuration sources and the safe-retry policy.
"""

from localkis.client.aio import AsyncKisClient
from localkis.client.config import MOCK_URL, REAL_URL, ClientConfig, Preset
from localkis.client.core import NetworkError, Stats
from localkis.client.errors import (
    AuthenticationError,
    ConfigError,
    InsufficientFunds,
    InsufficientHoldings,
    InvalidRequest,
    KisError,
    MarketClosed,
    NothingToReviseOrCancel,
    NotSupported,
    OrderNotFound,
    OrderRejected,
    OutcomeUnknown,
    RateLimited,
    ServerError,
    TokenExpired,
    TokenIssueLimited,
    UnknownSymbol,
)
from localkis.client.models import (
    Balance,
    BalanceTotals,
    BuyingPower,
    Order,
    OrderAck,
    OrderKind,
    OrderType,
    Position,
    Quote,
)
from localkis.client.sync import KisClient
from localkis.protocol.env import Env
from localkis.protocol.exchanges import Exchange
from localkis.protocol.orders import Side

__all__ = [
    "MOCK_URL",
    "REAL_URL",
    "AsyncKisClient",
    "AuthenticationError",
    "Balance",
    "BalanceTotals",
    "BuyingPower",
    "ClientConfig",
    "ConfigError",
    "Env",
    "Exchange",
    "InsufficientFunds",
    "InsufficientHoldings",
    "InvalidRequest",
    "KisClient",
    "KisError",
    "MarketClosed",
    "NetworkError",
    "NotSupported",
    "NothingToReviseOrCancel",
    "Order",
    "OrderAck",
    "OrderKind",
    "OrderNotFound",
    "OrderRejected",
    "OrderType",
    "OutcomeUnknown",
    "Position",
    "Preset",
    "Quote",
    "RateLimited",
    "ServerError",
    "Side",
    "Stats",
    "TokenExpired",
    "TokenIssueLimited",
    "UnknownSymbol",
]
