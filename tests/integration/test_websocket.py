"""The real-time WebSocket service against a real `localkis serve` process, through the `websockets` client:
approval keys, control replies and limits, encrypted execution notices in commit order, trade and book
frames, PINGPONG, malformed input and a stalled consumer."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from localkis.protocol.realtime import NoticeLayout, TrType
from localkis.wire.realtime import (
    ControlReply,
    ExecutionNotice,
    NoticeKind,
    SessionKey,
    TradePrint,
    parse_book,
    parse_control,
    parse_data_frame,
    parse_notice,
    parse_trade,
    subscribe_message,
)
from tests.pg import fresh_database
from tests.serverproc import RunningServer, make_appkey, make_appsecret, running_server, spawn

ORDER_PATH = "/uapi/overseas-stock/v1/trading/order"
RVSECNCL_PATH = "/uapi/overseas-stock/v1/trading/order-rvsecncl"
HTS_ID = "wstester"


@dataclass(frozen=True)
class WsApp:
    appkey: str
    appsecret: str
    account: str
    env: str = "real"


@dataclass
class World:
    server: RunningServer
    apps: list[WsApp]

    @property
    def ws_url(self) -> str:
        return self.server.base_url.replace("http://", "ws://")

    def approval(self, app: WsApp) -> str:
        r = httpx.post(self.server.base_url + "/oauth2/Approval", timeout=10,
                       json={"grant_type": "client_credentials", "appkey": app.appkey, "secretkey": app.appsecret})
        assert r.status_code == 200, r.text
        return str(r.json()["approval_key"])

    def token(self, app: WsApp) -> str:
        r = httpx.post(self.server.base_url + "/oauth2/tokenP", timeout=10,
                       json={"grant_type": "client_credentials", "appkey": app.appkey, "appsecret": app.appsecret})
        assert r.status_code == 200, r.text
        return str(r.json()["access_token"])

    def kis(self, app: WsApp, path: str, tr_id: str, body: dict[str, str]) -> dict[str, Any]:
        headers = {"content-type": "application/json; charset=utf-8", "authorization": f"Bearer {self.token(app)}",
                   "appkey": app.appkey, "appsecret": app.appsecret, "tr_id": tr_id, "custtype": "P"}
        r = httpx.post(self.server.base_url + path, headers=headers, json=body, timeout=10)
        data: dict[str, Any] = r.json()
        assert data["rt_cd"] == "0", data
        return data

    def buy(self, app: WsApp, qty: int, price: str, symbol: str = "AAPL") -> str:
        cano, prdt = app.account.split("-")
        out = self.kis(app, ORDER_PATH, "TTTT1002U", {
            "CANO": cano, "ACNT_PRDT_CD": prdt, "OVRS_EXCG_CD": "NASD", "PDNO": symbol, "ORD_QTY": str(qty),
            "OVRS_ORD_UNPR": price, "ORD_SVR_DVSN_CD": "0", "ORD_DVSN": "00"})
        return str(out["output"]["ODNO"])

    def revise_cancel(self, app: WsApp, odno: str, code: str, qty: int, price: str) -> str:
        cano, prdt = app.account.split("-")
        out = self.kis(app, RVSECNCL_PATH, "TTTT1004U", {
            "CANO": cano, "ACNT_PRDT_CD": prdt, "OVRS_EXCG_CD": "NASD", "PDNO": "AAPL", "ORGN_ODNO": odno,
            "RVSE_CNCL_DVSN_CD": code, "ORD_QTY": str(qty), "OVRS_ORD_UNPR": price, "ORD_SVR_DVSN_CD": "0"})
        return str(out["output"]["ODNO"])

    def price(self, price: str, size: int | None = None, symbol: str = "AAPL") -> None:
        body: dict[str, Any] = {"exchange": "NASD", "symbol": symbol, "price": price}
        if size is not None:
            body["size"] = size
        r = httpx.post(self.server.base_url + "/localkis/admin/prices", json=body, timeout=10,
                       headers={"authorization": f"Bearer {self.server.admin_token}"})
        assert r.status_code == 200, r.text


def _config(admin_token: str, apps: list[WsApp], *, queue_frames: int = 10_000) -> str:
    lines = ["[server]", 'market_hours = "ignore"', "rate_limits = false", "token_issue_limit = false",
             f'admin_token = "{admin_token}"', "pingpong_interval_seconds = 0.5",
             f"websocket_queue_frames = {queue_frames}", ""]
    for n, app in enumerate(apps):
        lines += ["[[apps]]", f'appkey = "{app.appkey}"', f'appsecret = "{app.appsecret}"', f'env = "{app.env}"',
                  f'accounts = ["{app.account}"]']
        if n == 0:
            lines += [f'hts_id = "{HTS_ID}"']
        if n == 1:
            lines += ["notice_fields = 21"]
        lines += [""]
    for app in apps:
        lines += ["[[accounts]]", f'number = "{app.account}"', 'cash = { USD = "1000000.00" }', ""]
    lines += ["[[instruments]]", 'exchange = "NASD"', 'symbol = "AAPL"', 'name = "애플"', 'price = "190.00"',
              "daytime = true", "",
              "[[instruments]]", 'exchange = "NASD"', 'symbol = "TSLA"', 'name = "테슬라"', 'price = "300.00"', ""]
    return "\n".join(lines)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    token = secrets.token_hex(12)
    apps = [WsApp(make_appkey(), make_appsecret(), f"{70000000 + n:08d}-01") for n in range(6)]
    with running_server(_config(token, apps), tmp_path_factory.mktemp("ws"), admin_token=token) as server:
        yield World(server, apps)


class Socket:
    """A test client session: sends subscribe messages, reads control and data frames."""

    def __init__(self, world: World, app: WsApp, path: str = "/tryitout") -> None:
        self.world = world
        self.app = app
        self.ws: ClientConnection = connect(world.ws_url + path, open_timeout=10, max_size=None)
        self.key: SessionKey | None = None

    def send(self, tr_id: str, tr_key: str, tr_type: TrType = TrType.SUBSCRIBE, key: str | None = None) -> None:
        self.ws.send(subscribe_message(key or self.world.approval(self.app), tr_id, tr_key, tr_type))

    def control(self, timeout: float = 10) -> ControlReply:
        """The next control reply (PINGPONGs and data frames skipped)."""
        while True:
            text = self.ws.recv(timeout)
            if isinstance(text, str) and text[:2] in ("0|", "1|"):
                continue  # a data frame
            reply = parse_control(text)
            if not reply.is_pingpong:
                if reply.session_key is not None:
                    self.key = reply.session_key
                return reply

    def subscribe(self, tr_id: str, tr_key: str) -> ControlReply:
        self.send(tr_id, tr_key)
        reply = self.control()
        assert (reply.rt_cd, reply.msg_cd) == ("0", "OPSP0000"), reply
        return reply

    def data(self, tr_id: str, timeout: float = 10) -> list[list[str]]:
        """The records of the next data frame of `tr_id` (control frames and other streams skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.ws.recv(max(0.01, deadline - time.monotonic()))
            assert isinstance(text, str)
            if text[0] in "01":
                frame = parse_data_frame(text, self.key)
                if frame.tr_id == tr_id:
                    return [list(r) for r in frame.records]

    def close(self) -> None:
        self.ws.close()


def _notices(sock: Socket, n: int) -> list[Any]:
    now = datetime.now(UTC)
    return [parse_notice(sock.data("H0GSCNI0")[0], now) for _ in range(n)]


def test_notices_for_place_fill_revise_cancel_in_order(world: World) -> None:
    app = world.apps[0]
    sock = Socket(world, app)
    try:
        reply = sock.subscribe("H0GSCNI0", HTS_ID)
        assert reply.encrypt == "Y" and reply.session_key is not None
        odno = world.buy(app, 10, "189.00")
        world.price("188.00", size=4)  # crosses the buy: 4 filled at its limit
        revised = world.revise_cancel(app, odno, "01", 0, "187.00")
        cancelled = world.revise_cancel(app, revised, "02", 0, "0")
        notices = _notices(sock, 4)
    finally:
        sock.close()
    kinds = [n.kind for n in notices]
    assert kinds == [NoticeKind.ACCEPTED, NoticeKind.FILLED, NoticeKind.REVISED, NoticeKind.CANCELLED]
    accepted, filled, revise, cancel = notices
    assert (accepted.order_no, accepted.hts_id, accepted.account, accepted.quantity, accepted.price) == (
        odno, HTS_ID, app.account[:8], 10, Decimal("189.00"))
    assert (filled.order_no, filled.filled_quantity, filled.fill_price, filled.quantity) == (
        odno, 4, Decimal("189.00"), 10)
    assert (revise.order_no, revise.original_no, revise.quantity, revise.price) == (
        revised, odno, 6, Decimal("187.00"))
    assert (cancel.order_no, cancel.original_no) == (cancelled, revised)
    assert accepted.stock_name == "애플"


def test_a_daytime_order_and_its_cancel_are_notified_like_any_order(world: World) -> None:
    app = world.apps[0]
    cano, prdt = app.account.split("-")
    sock = Socket(world, app)
    try:
        sock.subscribe("H0GSCNI0", HTS_ID)
        odno = str(world.kis(app, "/uapi/overseas-stock/v1/trading/daytime-order", "TTTS6036U", {
            "CANO": cano, "ACNT_PRDT_CD": prdt, "OVRS_EXCG_CD": "NASD", "PDNO": "AAPL", "ORD_QTY": "3",
            "OVRS_ORD_UNPR": "185.00", "CTAC_TLNO": "", "MGCO_APTM_ODNO": "", "ORD_SVR_DVSN_CD": "0",
            "ORD_DVSN": "00"})["output"]["ODNO"])
        cancelled = str(world.kis(app, "/uapi/overseas-stock/v1/trading/daytime-order-rvsecncl", "TTTS6038U", {
            "CANO": cano, "ACNT_PRDT_CD": prdt, "OVRS_EXCG_CD": "NASD", "PDNO": "AAPL", "ORGN_ODNO": odno,
            "RVSE_CNCL_DVSN_CD": "02", "ORD_QTY": "0", "OVRS_ORD_UNPR": "0", "CTAC_TLNO": "", "MGCO_APTM_ODNO": "",
            "ORD_SVR_DVSN_CD": "0"})["output"]["ODNO"])
        notices = _notices(sock, 2)
    finally:
        sock.close()
    assert [(n.kind, n.order_no) for n in notices] == [(NoticeKind.ACCEPTED, odno), (NoticeKind.CANCELLED, cancelled)]


def test_an_app_added_at_run_time_gets_notices_under_its_derived_hts_id(world: World) -> None:
    from localkis.server.config import default_hts_id
    admin = {"authorization": f"Bearer {world.server.admin_token}"}
    added = httpx.post(world.server.base_url + "/localkis/admin/apps", headers=admin, timeout=10,
                       json={"name": "team-ws", "env": "real", "accounts": ["79000001-01"]}).json()
    httpx.post(world.server.base_url + "/localkis/admin/accounts/79000001-01/deposits", headers=admin, timeout=10,
               json={"currency": "USD", "amount": "100000.00"}).raise_for_status()
    app = WsApp(added["appkey"], added["appsecret"], "79000001-01")
    sock = Socket(world, app)
    try:
        sock.subscribe("H0GSCNI0", default_hts_id(app.appkey))
        odno = world.buy(app, 1, "150.00")
        notice = _notices(sock, 1)[0]
    finally:
        sock.close()
    assert (notice.kind, notice.order_no, notice.account) == (NoticeKind.ACCEPTED, odno, "79000001")


def _fault(world: World, rule: dict[str, Any]) -> None:
    r = httpx.post(world.server.base_url + "/localkis/admin/faults", json=rule, timeout=10,
                   headers={"authorization": f"Bearer {world.server.admin_token}"})
    assert r.status_code == 200, r.text


def test_a_drop_fault_on_a_stream_closes_the_session(world: World) -> None:
    _fault(world, {"api": "HDFSCNT0", "kind": "drop_after_commit"})
    sock = Socket(world, world.apps[2])
    try:
        sock.send("HDFSCNT0", "DNASTSLA")
        with pytest.raises(ConnectionClosed) as closed:
            sock.control()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1011
    finally:
        sock.close()


def test_a_latency_fault_on_the_socket_delays_its_frames(world: World) -> None:
    _fault(world, {"api": "websocket", "kind": "latency", "latency_ms": 400, "app": world.apps[3].appkey})
    sock = Socket(world, world.apps[3])
    try:
        started = time.monotonic()
        sock.subscribe("HDFSCNT0", "DNASTSLA")
        assert time.monotonic() - started >= 0.4  # the subscribe reply itself waited
        started = time.monotonic()
        world.price("301.00", symbol="TSLA")
        sock.data("HDFSCNT0")
        assert time.monotonic() - started >= 0.4
    finally:
        sock.close()


def test_notice_layout_21_and_any_path(world: World) -> None:
    app = world.apps[1]  # notice_fields = 21, no hts_id: the one derived from its appkey
    from localkis.server.config import default_hts_id

    sock = Socket(world, app, path="/")
    try:
        sock.subscribe("H0GSCNI0", default_hts_id(app.appkey))
        world.buy(app, 1, "150.00")
        record = sock.data("H0GSCNI0")[0]
    finally:
        sock.close()
    assert len(record) == NoticeLayout.V21


def test_trades_and_books_on_a_price_set(world: World) -> None:
    app = world.apps[2]
    sock = Socket(world, app, path="/tryitout/HDFSCNT0")
    try:
        sock.subscribe("HDFSCNT0", "DNASTSLA")
        sock.subscribe("HDFSASP0", "DNASTSLA")
        first_book = parse_book(sock.data("HDFSASP0")[0])  # the book as it is, right after subscribing
        assert len(first_book.levels) == 10 and first_book.levels[0].bid > 0
        world.price("301.00", size=7, symbol="TSLA")
        trade = parse_trade(sock.data("HDFSCNT0")[0])
        book = parse_book(sock.data("HDFSASP0")[0])
    finally:
        sock.close()
    assert (trade.key, trade.last, trade.volume, trade.previous_close) == ("DNASTSLA", Decimal("301.00"), 7,
                                                                             Decimal("300.00"))
    assert book.levels[0].bid < Decimal("301.00") < book.levels[0].ask


def test_control_replies(world: World) -> None:
    app = world.apps[3]
    sock = Socket(world, app)
    try:
        sock.subscribe("HDFSCNT0", "DNASAAPL")
        sock.send("HDFSCNT0", "DNASAAPL")
        assert (sock.control().msg_cd, sock.key is not None) == ("OPSP0002", True)
        sock.send("HDFSCNT0", "DNASTSLA", TrType.UNSUBSCRIBE)
        assert sock.control().msg_cd == "OPSP0003"
        sock.send("HDFSCNT0", "DNASAAPL", TrType.UNSUBSCRIBE)
        reply = sock.control()
        assert (reply.rt_cd, reply.msg_cd, reply.msg1) == ("0", "OPSP0001", "UNSUBSCRIBE SUCCESS")
        sock.send("HDFSCNT0", "DNASAAPL", key="not-a-key")
        assert sock.control().msg_cd == "OPSP0011"
        sock.send("XXXXXXXX", "DNASAAPL")
        assert sock.control().msg_cd == "OPSP8991"
        sock.send("H0GSCNI0", "somebody")  # another HTS id
        assert sock.control().msg_cd == "OPSP8992"
        sock.ws.send("{not json")
        assert sock.control().msg_cd == "OPSP9999"
        sock.subscribe("H0STCNI0", "anyone")  # python-kis's domestic notices: acknowledged, no data
        # 41 registrations, then OPSP0008 (the domestic one counts)
        key = world.approval(app)
        for n in range(40):
            sock.send("HDFSCNT0", f"DNASX{n:03d}", key=key)
            assert sock.control().msg_cd == "OPSP0000"
        sock.send("HDFSCNT0", "DNASY000", key=key)
        reply = sock.control()
        assert (reply.rt_cd, reply.msg_cd, reply.msg1) == ("1", "OPSP0008", "MAX SUBSCRIBE OVER")
    finally:
        sock.close()


def test_second_session_of_an_appkey_is_refused(world: World) -> None:
    app = world.apps[4]
    first = Socket(world, app)
    second = Socket(world, app)
    try:
        first.subscribe("HDFSCNT0", "DNASAAPL")
        second.send("HDFSCNT0", "DNASAAPL")
        reply = second.control()
        assert (reply.tr_id, reply.tr_key, reply.rt_cd, reply.msg_cd, reply.msg1) == (
            "(null)", "", "9", "OPSP8996", "ALREADY IN USE appkey")
        with pytest.raises(ConnectionClosed):
            second.ws.recv(10)
        first.send("HDFSCNT0", "DNASTSLA")  # the first session goes on
        assert first.control().msg_cd == "OPSP0000"
    finally:
        first.close()
        second.close()
    again = Socket(world, app)  # the slot is free once the first session closed
    try:
        time.sleep(0.2)
        again.subscribe("HDFSCNT0", "DNASAAPL")
    finally:
        again.close()


def test_pingpong_and_client_echoes(world: World) -> None:
    app = world.apps[5]
    sock = Socket(world, app)
    try:
        sock.subscribe("HDFSCNT0", "DNASAAPL")
        ping = None
        while ping is None:
            reply = parse_control(sock.ws.recv(5))
            ping = reply if reply.is_pingpong else None
        echo = json.dumps({"header": {"tr_id": "PINGPONG", "datetime": ping.datetime}})
        sock.ws.send(echo)  # python-kis echoes it as text
        sock.ws.ping()  # and control-frame pings are answered by the server's websocket layer
        sock.send("HDFSCNT0", "DNASTSLA")
        assert sock.control().msg_cd == "OPSP0000"  # still served
    finally:
        sock.close()


def test_malformed_frames_get_error_replies_and_no_crash(world: World) -> None:
    app = world.apps[5]
    sock = Socket(world, app, path="/anything")
    try:
        junk = ["", "[]", "{}", '{"header": 1}', '{"header": {"tr_type": "1"}}', "\x00\xff", "{" * 100,
                '{"header": {"approval_key": "k", "custtype": "P", "tr_type": "1"}, "body": {"input": {}}}']
        for n in range(1000):
            sock.ws.send(junk[n % len(junk)])
        for _ in range(1000):
            assert sock.control().rt_cd != "0"
        sock.subscribe("HDFSCNT0", "DNASAAPL")
    finally:
        sock.close()
    assert httpx.get(world.server.base_url + "/localkis/health", timeout=5).status_code == 200


def test_a_notice_committed_on_one_process_reaches_a_socket_on_another(tmp_path: Path) -> None:
    """PostgreSQL: two server processes on one database; the outbox carries each event to both, once."""
    token = secrets.token_hex(12)
    apps = [WsApp(make_appkey(), make_appsecret(), "72000000-01"), WsApp(make_appkey(), make_appsecret(),
                                                                        "72000001-01")]
    config = tmp_path / "localkis.toml"
    config.write_text(_config(token, apps), encoding="utf-8")
    with fresh_database() as db_url:
        a = spawn(config, db_url, tmp_path, admin_token=token)
        b = spawn(config, db_url, tmp_path, admin_token=token)
        try:
            on_a, on_b = World(a, apps), World(b, apps)
            socket_b = Socket(on_b, apps[0])  # apps[0]'s notices, on process B
            trades_a = Socket(on_a, apps[1])  # prints, on process A
            try:
                socket_b.subscribe("H0GSCNI0", HTS_ID)
                trades_a.subscribe("HDFSCNT0", "DNASAAPL")
                odno = on_a.buy(apps[0], 5, "189.00")  # placed through process A
                on_b.price("188.50", size=5)  # printed through process B: fills it
                notices = _notices(socket_b, 2)
                trade = parse_trade(trades_a.data("HDFSCNT0")[0])
                with pytest.raises(TimeoutError):  # exactly once: nothing more for this order
                    socket_b.data("H0GSCNI0", timeout=1)
            finally:
                socket_b.close()
                trades_a.close()
        finally:
            a.stop()
            b.stop()
    assert [(n.kind, n.order_no) for n in notices] == [(NoticeKind.ACCEPTED, odno), (NoticeKind.FILLED, odno)]
    assert notices[1].filled_quantity == 5
    assert (trade.last, trade.volume) == (Decimal("188.50"), 5)


def test_the_typed_realtime_client(world: World) -> None:
    """`localkis.client.realtime.RealtimeClient`: typed notices and prints from localkis."""
    from localkis.client import ClientConfig
    from localkis.client.realtime import RealtimeClient, RealtimeError
    from localkis.server.config import default_hts_id

    app = world.apps[2]
    config = ClientConfig(appkey=app.appkey, appsecret=app.appsecret, account=app.account,
                          base_url=world.server.base_url, token_cache_dir=None)

    async def scenario() -> list[Any]:
        async with RealtimeClient(config, hts_id=default_hts_id(app.appkey)) as rt:
            await rt.subscribe_notices()
            await rt.subscribe_trades("NASD", "AAPL")
            with pytest.raises(RealtimeError):  # OPSP0002
                await rt.subscribe_trades("NASD", "AAPL")
            await asyncio.to_thread(world.buy, app, 2, "120.00")
            await asyncio.to_thread(world.price, "190.25", 3)
            events: list[Any] = []
            async for event in rt:
                events.append(event)
                if len(events) == 2:
                    return events
        return []

    notice, trade = asyncio.run(asyncio.wait_for(scenario(), 30))
    assert isinstance(notice, ExecutionNotice) and notice.kind is NoticeKind.ACCEPTED and notice.quantity == 2
    assert isinstance(trade, TradePrint) and (trade.key, trade.last, trade.volume) == ("DNASAAPL",
                                                                                        Decimal("190.25"), 3)


def test_the_blocking_realtime_client(world: World) -> None:
    """`RealtimeThread`: the same events, handed to a callback on a thread of its own."""
    import threading

    from localkis.client import ClientConfig
    from localkis.client.realtime import RealtimeThread
    from localkis.server.config import default_hts_id

    app = world.apps[4]
    config = ClientConfig(appkey=app.appkey, appsecret=app.appsecret, account=app.account,
                          base_url=world.server.base_url, token_cache_dir=None)
    events: list[Any] = []
    got = threading.Event()

    def on_event(event: Any) -> None:
        events.append(event)
        got.set()

    with RealtimeThread(config, on_event, hts_id=default_hts_id(app.appkey)) as rt:
        rt.subscribe_notices()
        world.buy(app, 1, "110.00")
        assert got.wait(20), rt.error
    assert isinstance(events[0], ExecutionNotice) and events[0].kind is NoticeKind.ACCEPTED


def test_approval_keys_expire_after_24_hours(world: World) -> None:
    """Runs last in this module: it moves the shared server's clock a day on."""
    app = world.apps[3]
    old = world.approval(app)
    r = httpx.post(world.server.base_url + "/localkis/admin/clock", json={"advance_seconds": 25 * 3600},
                   headers={"authorization": f"Bearer {world.server.admin_token}"}, timeout=10)
    assert r.status_code == 200, r.text
    sock = Socket(world, app)
    try:
        sock.send("HDFSCNT0", "DNASAAPL", key=old)
        reply = sock.control()
        assert (reply.msg_cd, reply.msg1) == ("OPSP0011", f"invalid approval : {old}")
        sock.subscribe("HDFSCNT0", "DNASAAPL")  # a new key works
    finally:
        sock.close()
