"""Every client method against a real server: orders, revise/cancel (all and part), inquiries, quotes."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from decimal import Decimal

import pytest

from localkis.client import Exchange, OrderKind, OrderType, Side
from localkis.protocol import codes
from localkis.protocol.apis import Api
from localkis.protocol.env import Env
from localkis.protocol.trids import TR_TABLE
from tests.client.conftest import AAPL, INSTRUMENTS, Wire, World
from tests.client.proxy import Proxy

ORDER = "/uapi/overseas-stock/v1/trading/order"
RVSECNCL = "/uapi/overseas-stock/v1/trading/order-rvsecncl"

# PROTOCOL §4/§5, typed out independently of the protocol table: (buy, sell, revise/cancel) per env.
EXPECTED_TRS = {
    ("AAPL", Env.REAL): ("TTTT1002U", "TTTT1006U", "TTTT1004U"),
    ("AAPL", Env.MOCK): ("VTTT1002U", "VTTT1001U", "VTTT1004U"),
    ("00700", Env.REAL): ("TTTS1002U", "TTTS1001U", "TTTS1003U"),
    ("00700", Env.MOCK): ("VTTS1002U", "VTTS1001U", "VTTS1003U"),
    ("7203", Env.REAL): ("TTTS0308U", "TTTS0307U", "TTTS0309U"),
    ("600519", Env.REAL): ("TTTS0202U", "TTTS1005U", "TTTS0302U"),
    ("000001", Env.REAL): ("TTTS0305U", "TTTS0304U", "TTTS0306U"),
    ("VNM", Env.REAL): ("TTTS0311U", "TTTS0310U", "TTTS0312U"),
    ("SHB", Env.MOCK): ("VTTS0311U", "VTTS0310U", "VTTS0312U"),
}

HAS_ACCOUNT_INQUIRIES = "TTTS3012R" in TR_TABLE and "TTTS3007R" in TR_TABLE
needs_account_inquiries = pytest.mark.skipif(
    not HAS_ACCOUNT_INQUIRIES, reason="inquire-balance/inquire-psamount TRs are not in localkis.protocol.trids yet")


def is_odno(text: str) -> bool:
    return re.fullmatch(r"\d{10}", text) is not None


@pytest.mark.parametrize("env", [Env.REAL, Env.MOCK])
def test_order_revise_cancel_round_trip(main: World, env: Env) -> None:
    wire: list[Wire] = []
    kis = main.client(env, wire=wire)
    ack = kis.buy(Exchange.NASD, "AAPL", 3, Decimal("150.00"))
    assert is_odno(ack.order_no) and ack.branch == "01790" and not ack.reconciled
    ok = codes.ORDER_BUY_OK.for_env(env)
    assert (ack.msg_cd, ack.msg1) == (ok.code, ok.text)
    assert ack.ordered_at is not None and ack.ordered_at.utcoffset() == timedelta(hours=9)
    assert wire[-1].tr_id == EXPECTED_TRS[("AAPL", env)][0]
    assert wire[-1].body["ORD_QTY"] == "3" and wire[-1].body["OVRS_ORD_UNPR"] == "150.00"

    row = next(o for o in kis.open_orders(Exchange.NASD) if o.order_no == ack.order_no)
    assert (row.quantity, row.open_quantity, row.price, row.side, row.kind) == (
        3, 3, Decimal("150"), Side.BUY, OrderKind.NEW)

    # partial revise: 1 of 3 moves to 151.00 under a new number; 2 stay at 150.00 on the original
    part = kis.revise_order(ack.order_no, Exchange.NASD, "AAPL", Decimal("151.00"), quantity=1)
    assert is_odno(part.order_no) and part.order_no != ack.order_no
    assert part.msg_cd == codes.REVISE_OK.for_env(env).code
    assert wire[-1].tr_id == EXPECTED_TRS[("AAPL", env)][2] and wire[-1].body["RVSE_CNCL_DVSN_CD"] == "01"
    # revise the rest (quantity 0 = all that is open)
    rest = kis.revise_order(ack.order_no, "NASD", "AAPL", "152.00")
    # partial cancel, then cancel all
    c1 = kis.cancel_order(rest.order_no, "NASD", "AAPL", quantity=1)
    c2 = kis.cancel_order(rest.order_no, "NASD", "AAPL")
    assert c1.msg_cd == c2.msg_cd == codes.CANCEL_OK.for_env(env).code
    assert wire[-1].body["ORD_QTY"] == "0" and wire[-1].body["OVRS_ORD_UNPR"] == "0"

    opened = {o.order_no: o for o in kis.open_orders(Exchange.NASD)}
    assert ack.order_no not in opened and rest.order_no not in opened
    assert opened[part.order_no].open_quantity == 1

    history = {o.order_no: o for o in kis.order_history(symbol="AAPL")}
    assert history[part.order_no].kind is OrderKind.REVISE and history[part.order_no].original_order_no == ack.order_no
    assert history[rest.order_no].quantity == 2 and history[rest.order_no].price == Decimal("152")
    assert history[c1.order_no].kind is OrderKind.CANCEL and history[c1.order_no].quantity == 1
    assert history[c2.order_no].quantity == 1 and history[c2.order_no].original_order_no == rest.order_no
    admin = {o["odno"]: o for o in main.admin.orders_of(kis.config.account)}
    assert admin[ack.order_no]["revised_away"] == 3 and admin[rest.order_no]["cancelled"] == 2
    assert kis.stats.token_requests == 1


@pytest.mark.parametrize(("symbol", "env"), list(EXPECTED_TRS))
def test_tr_ids_per_market_on_the_wire(main: World, symbol: str, env: Env) -> None:
    inst = INSTRUMENTS[symbol]
    wire: list[Wire] = []
    kis = main.client(env, wire=wire)
    buy = kis.buy(inst.exchange, symbol, inst.lot, inst.below, lot_size=inst.lot_size)
    sell = kis.sell(inst.exchange, symbol, inst.lot, inst.above, lot_size=inst.lot_size)
    kis.cancel_order(buy.order_no, inst.exchange, symbol)
    orders = [w for w in wire if w.path in (ORDER, RVSECNCL)]
    buy_tr, sell_tr, rvse_tr = EXPECTED_TRS[(symbol, env)]
    assert [w.tr_id for w in orders] == [buy_tr, sell_tr, rvse_tr]
    assert orders[1].body["SLL_TYPE"] == "00" and orders[0].body["SLL_TYPE"] == ""
    assert sell.msg_cd == codes.ORDER_SELL_OK.for_env(env).code


def test_mock_us_sell_goes_out_as_vttt1001u(main: World) -> None:
    wire: list[Wire] = []
    with Proxy(main.base_url) as proxy:  # what actually crossed the socket
        kis = main.client(Env.MOCK, wire=wire, base_url=proxy.base_url)
        ack = kis.sell(Exchange.NASD, "AAPL", 2, AAPL.above)
        (on_socket,) = proxy.requests_to(ORDER)
    assert on_socket.tr_id == "VTTT1001U" and on_socket.json()["SLL_TYPE"] == "00"
    (sent,) = [w for w in wire if w.path == ORDER]
    assert sent.tr_id == "VTTT1001U"
    assert ack.msg_cd == codes.ORDER_SELL_OK.mock.code
    admin = main.admin.orders_of(kis.config.account)
    assert [(o["odno"], o["side"]) for o in admin] == [(ack.order_no, Side.SELL.value)]


def test_quote(main: World) -> None:
    wire: list[Wire] = []
    kis = main.client(wire=wire)
    q = kis.quote(Exchange.NASD, "AAPL")
    assert q.last == Decimal("190.00") and q.exchange is Exchange.NASD and q.symbol == "AAPL"
    assert (wire[-1].tr_id, wire[-1].params["EXCD"]) == ("HHDFS00000300", "NAS")
    assert kis.quote("SEHK", "00700").last == Decimal("480")
    assert kis.quote("NYSE", "NOPE").last is None  # KIS answers unknown symbols with blank fields


def test_open_orders_every_market_and_history_filters(main: World) -> None:
    kis = main.client()
    acks = {}
    for symbol in ("AAPL", "IBM", "00700", "7203", "VNM"):
        inst = INSTRUMENTS[symbol]
        acks[symbol] = kis.buy(inst.exchange, symbol, inst.lot, inst.below, lot_size=inst.lot_size).order_no
    sold = kis.sell("NASD", "TSLA", 1, "350.00").order_no
    everything = {o.order_no: o for o in kis.open_orders()}
    assert set(everything) == {*acks.values(), sold}
    assert everything[acks["IBM"]].exchange is Exchange.NYSE
    assert {o.order_no for o in kis.open_orders(Exchange.NASD)} == {acks["AAPL"], acks["IBM"], sold}
    assert {o.order_no for o in kis.open_orders([Exchange.SEHK, "TKSE"])} == {acks["00700"], acks["7203"]}

    assert [o.order_no for o in kis.order_history(side=Side.SELL)] == [sold]
    assert [o.order_no for o in kis.order_history(symbol="7203")] == [acks["7203"]]
    assert {o.order_no for o in kis.order_history(exchange=Exchange.NASD)} == {acks["AAPL"], acks["IBM"], sold}
    assert [o.order_no for o in kis.order_history(exchange=Exchange.NYSE)] == [acks["IBM"]]
    ascending = [o.order_no for o in kis.order_history()]
    assert ascending == sorted(ascending)
    assert [o.order_no for o in kis.order_history(newest_first=True)] == ascending[::-1]
    assert kis.order_history(filled=True) == []
    today = kis.now().date()
    assert kis.order_history(today - timedelta(days=30), today - timedelta(days=20)) == []


def test_mock_open_orders_falls_back_to_history_without_nccs(tmp_path_factory: pytest.TempPathFactory) -> None:
    """KIS's own mock has no inquire-nccs (strict_mock): the client derives open orders from inquire-ccnl."""
    from tests.client.conftest import _world

    gen = _world(tmp_path_factory, "client-strict", {"strict_mock": True}, real=0, mock=1, prefix="7")
    world = next(gen)
    try:
        wire: list[Wire] = []
        kis = world.client(Env.MOCK, wire=wire)
        a = kis.buy("NASD", "AAPL", 2, "150.00").order_no
        b = kis.buy("NASD", "AAPL", 3, "151.00").order_no
        kis.cancel_order(b, "NASD", "AAPL")
        assert [(o.order_no, o.open_quantity) for o in kis.open_orders(Exchange.NASD)] == [(a, 2)]
        assert "VTTS3018R" in {w.tr_id for w in wire} and "VTTS3035R" in {w.tr_id for w in wire}
        wire.clear()
        kis.open_orders(Exchange.NASD)
        assert {w.tr_id for w in wire} == {"VTTS3035R"}, "the client remembers that nccs is missing"
    finally:
        gen.close()


def test_market_order_types_and_odd_lots(main: World) -> None:
    wire: list[Wire] = []
    kis = main.client(wire=wire)
    moc = kis.sell("NASD", "AAPL", 1, 0, order_type=OrderType.MOC)
    assert wire[-1].body["OVRS_ORD_UNPR"] == "0" and wire[-1].body["ORD_DVSN"] == "33"
    loo = kis.buy("NASD", "AAPL", 1, "150.00", order_type=OrderType.LOO)
    assert wire[-1].body["ORD_DVSN"] == "32"
    odd = kis.sell("SEHK", "00005", 50, "90.00", order_type=OrderType.ODD_LOT, lot_size=400)
    assert wire[-1].body["ORD_DVSN"] == "50" and wire[-1].body["ORD_QTY"] == "50"
    assert len({moc.order_no, loo.order_no, odd.order_no}) == 3


@needs_account_inquiries
def test_balance_and_buying_power(main: World) -> None:
    wire: list[Wire] = []
    kis = main.client(wire=wire)
    bal = kis.balance(Exchange.NASD)
    assert wire[-1].tr_id == "TTTS3012R" and wire[-1].params["TR_CRCY_CD"] == "USD"
    held = {p.symbol: p for p in bal.positions}
    assert held["AAPL"].quantity == 100000 and held["AAPL"].average_price == Decimal("190")
    assert held["AAPL"].orderable_quantity == 100000
    assert bal.currency == "USD" and bal.exchange is Exchange.NASD
    kis.sell("NASD", "AAPL", 5, "250.00")
    assert {p.symbol: p for p in kis.balance().positions}["AAPL"].orderable_quantity == 100000 - 5

    before = kis.buying_power(Exchange.NASD, "AAPL", Decimal("150.00"))
    assert wire[-1].tr_id == "TTTS3007R" and before.currency == "USD"
    assert before.max_quantity > 0 and before.orderable_cash > 0
    kis.buy("NASD", "AAPL", 10, "150.00")
    after = kis.buying_power(Exchange.NASD, "AAPL", "150.00")
    assert after.orderable_cash == before.orderable_cash - Decimal("1500.00")
    hk = kis.balance("SEHK")
    assert hk.currency == "HKD" and {p.symbol for p in hk.positions} >= {"00700", "00005"}


@needs_account_inquiries
def test_mock_balance_tr(main: World) -> None:
    wire: list[Wire] = []
    kis = main.client(Env.MOCK, wire=wire)
    kis.balance()
    kis.buying_power("NASD", "AAPL")
    assert [w.tr_id for w in wire if w.path.endswith(("inquire-balance", "inquire-psamount"))] == [
        "VTTS3012R", "VTTS3007R"]
    assert wire[-1].params["OVRS_ORD_UNPR"] == "0"


def test_async_client_covers_every_method(main: World) -> None:
    async def scenario() -> None:
        wire: list[Wire] = []
        kis = main.aclient(Env.MOCK, wire=wire)
        async with kis:
            ack = await kis.buy(Exchange.NASD, "AAPL", 2, "150.00")
            sell = await kis.sell("NASD", "TSLA", 1, "350.00")
            rev = await kis.revise_order(ack.order_no, "NASD", "AAPL", "151.00")
            can = await kis.cancel_order(rev.order_no, "NASD", "AAPL")
            opened = await kis.open_orders(Exchange.NASD)
            history = await kis.order_history()
            quote = await kis.quote("NASD", "AAPL")
            if HAS_ACCOUNT_INQUIRIES:
                bal = await kis.balance()
                power = await kis.buying_power("NASD", "AAPL", "150.00")
                assert bal.positions and power.currency == "USD"
        assert [o.order_no for o in opened] == [sell.order_no]
        assert [o.order_no for o in history] == [ack.order_no, sell.order_no, rev.order_no, can.order_no]
        assert quote.last == Decimal("190")
        assert [w.tr_id for w in wire if w.path in (ORDER, RVSECNCL)] == [
            "VTTT1002U", "VTTT1001U", "VTTT1004U", "VTTT1004U"]
        assert kis.stats.token_requests == 1

    asyncio.run(scenario())


def test_async_64_in_flight(main: World) -> None:
    async def scenario() -> list[Decimal | None]:
        async with main.aclient() as kis:
            await kis.access_token()
            quotes = await asyncio.gather(*(kis.quote("NASD", "AAPL") for _ in range(64)))
            assert kis.stats.token_requests == 1 and kis.stats.requests == 64
            return [q.last for q in quotes]

    assert asyncio.run(scenario()) == [Decimal("190")] * 64


def test_history_tr_and_protocol_table_agree(main: World) -> None:
    """The client takes its inquiry TRs from the protocol table; spot-check them on the wire."""
    for env, nccs, ccnl in ((Env.REAL, "TTTS3018R", "TTTS3035R"), (Env.MOCK, "VTTS3018R", "VTTS3035R")):
        wire: list[Wire] = []
        kis = main.client(env, wire=wire)
        kis.open_orders(Exchange.NASD)
        kis.order_history()
        assert [w.tr_id for w in wire if w.path.startswith("/uapi/")] == [nccs, ccnl]
        assert TR_TABLE[nccs].api is Api.INQUIRE_NCCS and TR_TABLE[ccnl].api is Api.INQUIRE_CCNL
        if env is Env.MOCK:  # KIS's mock accepts only "all" filters
            assert (wire[-1].params["PDNO"], wire[-1].params["OVRS_EXCG_CD"]) == ("", "")
