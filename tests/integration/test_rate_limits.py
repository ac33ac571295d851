"""Per-app rate limits with `rate_limits = true`: 2/s mock, 20/s real, counted per wall-clock second (§12)."""

from __future__ import annotations

import time

from localkis.protocol import codes
from localkis.protocol.codes import Gateway
from tests.integration.conftest import INSTRUMENTS, Kis, Reply, World, expect_gateway, expect_order_ok

AAPL = INSTRUMENTS["AAPL"]


def burst(calls: list[object], attempts: int = 3) -> list[Reply]:
    """Run the calls right after a wall-clock second starts, all within that second (retried if not)."""
    for _ in range(attempts):
        time.sleep(1 - time.time() % 1 + 0.01)
        second = int(time.time())
        replies = [call() for call in calls]  # type: ignore[operator]
        if int(time.time()) == second:
            return replies
        time.sleep(1.1)  # let the straddled buckets reset before trying again
    raise AssertionError("could not fit the calls in one second")


def test_mock_third_call_in_a_second_is_refused(switched: World) -> None:
    kis, other = switched.mock(), switched.mock()
    replies = burst([lambda: kis.quote("NAS", "AAPL"), lambda: kis.quote("NAS", "AAPL"),
                     lambda: kis.quote("NAS", "AAPL"), lambda: other.quote("NAS", "AAPL")])
    assert [r.status for r in replies[:2]] == [200, 200], replies
    expect_gateway(replies[2], Gateway.RATE_LIMIT)
    assert replies[2].body == {"rt_cd": "1", "msg1": "초당 거래건수를 초과하였습니다.", "msg_cd": "EGW00201"}
    assert replies[3].status == 200, "the limit is per app"
    time.sleep(1 - time.time() % 1 + 0.01)
    assert kis.quote("NAS", "AAPL").status == 200, "the bucket resets with the next second"


def test_rate_limited_order_changes_nothing(switched: World) -> None:
    kis = switched.mock()
    replies = burst([lambda: kis.buy(AAPL, 1), lambda: kis.buy(AAPL, 1), lambda: kis.buy(AAPL, 1)])
    first, second = (expect_order_ok(r, codes.ORDER_BUY_OK.mock) for r in replies[:2])
    expect_gateway(replies[2], Gateway.RATE_LIMIT)
    mine = [o["odno"] for o in switched.admin.orders() if o["account"] == kis.account]
    assert mine == [first, second]


def test_real_app_allows_more(switched: World) -> None:
    kis: Kis = switched.real()
    replies = burst([lambda: kis.quote("NAS", "AAPL") for _ in range(5)])
    assert [r.status for r in replies] == [200] * 5, replies
