"""The dashboard end to end in headless chromium: sign-in, a live blotter, the revision chain, a price
that fills, the clock, and a wrong token that sees nothing."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from playwright.sync_api import Page, expect

from localkis.client import KisError
from tests.ui.conftest import ACCOUNT, Dashboard

LIVE = 1_000  # ms: an order placed through the KIS API shows without a reload within a second


def test_an_order_placed_through_the_kis_api_appears_live_and_its_revision_shows_as_a_chain(
        dashboard: Dashboard, page: Page) -> None:
    dashboard.log_in(page)
    expect(page).to_have_url(re.compile(r"/localkis/ui/blotter$"))
    dashboard.shot(page, "01-blotter-empty")
    dashboard.wait_live(page)
    with dashboard.client() as kis:
        placed = kis.buy("NASD", "AAPL", 3, "185.00")
        row = page.locator(f"#open-orders tr[data-odno='{placed.order_no}']")
        expect(row).to_be_visible(timeout=LIVE)
        expect(row).to_contain_text("185.00")
        dashboard.shot(page, "02-blotter-order-live")

        page.goto(f"{dashboard.url}/orders/{placed.order_no}")
        dashboard.wait_live(page)
        revised = kis.revise_order(placed.order_no, "NASD", "AAPL", "186.00")
        item = page.locator(f"#timeline li[data-odno='{revised.order_no}']")
        expect(item).to_be_visible(timeout=LIVE)
        expect(item).to_contain_text(f"of {placed.order_no}")
        expect(page.locator(f"#timeline li[data-odno='{placed.order_no}']")).to_contain_text("revised away 3")
        dashboard.shot(page, "03-order-timeline-revised")


def test_a_price_set_on_the_market_page_fills_the_resting_buy_and_the_position_shows(
        dashboard: Dashboard, page: Page) -> None:
    dashboard.log_in(page)
    with dashboard.client() as kis:
        resting = kis.buy("NASD", "AAPL", 2, "180.00")
    page.goto(f"{dashboard.url}/market?instrument=NASD:AAPL")
    expect(page.locator("#book tbody tr")).to_have_count(10)  # the default depth, best bid 189.99 and ask 190.01
    expect(page.locator("#book tbody tr").first).to_contain_text("189.99")
    page.fill("#set-price input[name=price]", "179.50")
    page.click("#set-price button")
    expect(page.locator("#flash")).to_contain_text(f"{resting.order_no} 2@180.00")
    expect(page.locator("#last-price")).to_have_text("179.50", timeout=LIVE)
    dashboard.shot(page, "04-market-price-set-fill")

    page.goto(f"{dashboard.url}/orders/{resting.order_no}")
    expect(page.locator(f"#timeline li[data-odno='{resting.order_no}'] li.fill")).to_contain_text("2 @ 180.00")
    page.goto(f"{dashboard.url}/accounts")
    held = next(p for p in dashboard.admin_get(f"/localkis/admin/accounts/{ACCOUNT}")["positions"]
                if p["symbol"] == "AAPL")
    assert held["quantity"] >= 2  # this fill's 2, and any other test's resting buys the print crossed
    cells = page.locator(f"section[data-account='{ACCOUNT}'] tr[data-symbol='AAPL'] td")
    expect(cells.nth(2)).to_have_text(str(held["quantity"]))
    expect(cells.nth(4)).to_have_text(held["avg_price"])
    expect(cells.nth(5)).to_have_text("179.50")
    expect(page.locator("#leaderboard")).to_contain_text(ACCOUNT)
    dashboard.shot(page, "05-accounts-position")


def test_an_order_the_desk_refuses_shows_live_among_the_rejects_with_kis_code(dashboard: Dashboard,
                                                                            page: Page) -> None:
    dashboard.log_in(page)
    dashboard.wait_live(page)
    with dashboard.client() as kis, pytest.raises(KisError) as refused:
        kis.buy("NASD", "AAPL", 1_000_000, "185.00")  # far beyond the account's cash
    row = page.locator("#rejects tbody tr").first
    expect(row).to_contain_text(refused.value.msg_cd, timeout=LIVE)
    expect(row).to_contain_text(ACCOUNT)
    expect(row).to_contain_text("order")


def test_the_clock_freezes_and_advances_from_the_status_page(dashboard: Dashboard, page: Page) -> None:
    dashboard.log_in(page)
    page.goto(f"{dashboard.url}/status")
    page.click("#clock-controls button[value=freeze]")
    expect(page.locator("#flash")).to_contain_text("(frozen)")
    shown = page.locator("#flash").inner_text()
    frozen = _shown_time(shown)
    page.fill("#clock-controls input[name=seconds]", "3600")
    page.click("#clock-controls button[value=advance]")
    expect(page.locator("#flash")).not_to_have_text(shown)
    expect(page.locator("#flash")).to_contain_text("(frozen)")
    advanced = _shown_time(page.locator("#flash").inner_text())
    assert (advanced - frozen).total_seconds() == 3600
    expect(page.locator("#status-clock")).to_have_text(advanced.strftime("%Y-%m-%d %H:%M:%S KST"))
    state = dashboard.admin_get("/localkis/admin/clock")
    assert datetime.fromisoformat(state["now"]).replace(tzinfo=None) == advanced
    dashboard.shot(page, "06-status-clock-advanced")
    page.click("#clock-controls button[value=run]")
    expect(page.locator("#flash")).not_to_contain_text("(frozen)")


def test_the_chart_has_the_minute_bar_of_a_print_from_the_market_page(dashboard: Dashboard, page: Page) -> None:
    dashboard.log_in(page)
    page.goto(f"{dashboard.url}/market?instrument=NASD:AAPL")
    page.fill("#set-price input[name=price]", "191.25")
    page.click("#set-price button")
    expect(page.locator("#flash")).to_contain_text("Printed AAPL at 191.25")
    bars = page.request.get(f"{dashboard.url}/bars?instrument=NASD:AAPL").json()
    assert bars and bars[-1]["close"] == 191.25, bars[-3:]
    assert [b["time"] for b in bars] == sorted({b["time"] for b in bars})  # one bar a minute, oldest first
    expect(page.locator("#chart canvas").first).to_be_visible()
    dashboard.shot(page, "08-market-chart")


def test_a_fault_added_on_the_status_page_fails_the_next_kis_order_and_a_reset_clears_the_book(
        dashboard: Dashboard, page: Page) -> None:
    dashboard.log_in(page)
    page.goto(f"{dashboard.url}/status")
    page.fill("#add-fault input[name=api]", "order")
    page.fill("#add-fault input[name=msg_cd]", "EGW00201")
    page.fill("#add-fault input[name=times]", "0")  # every call: the client's own EGW00201 retries fail too
    page.click("#add-fault button")
    expect(page.locator("#flash")).to_contain_text("added")
    expect(page.locator("#faults")).to_contain_text("api=order", timeout=LIVE)
    with dashboard.client() as kis, pytest.raises(KisError) as failed:
        kis.buy("NASD", "AAPL", 1, "150.00")
    assert failed.value.msg_cd == "EGW00201"
    dashboard.shot(page, "09-status-fault")
    page.once("dialog", lambda d: d.accept())
    page.click("#reset button")
    expect(page.locator("#flash")).to_contain_text("Reset in")
    expect(page.locator("#faults")).to_contain_text("no fault rules", timeout=LIVE)
    page.goto(f"{dashboard.url}/blotter")
    expect(page.locator("#open-orders")).to_contain_text("no open orders")
    expect(page.locator("#fills")).to_contain_text("no fills")


def test_a_wrong_token_sees_no_page_no_stream_and_no_asset(dashboard: Dashboard, page: Page) -> None:
    dashboard.log_in(page, token="not-the-admin-token")
    expect(page.locator("p.error")).to_have_text("Wrong admin token.")
    dashboard.shot(page, "07-wrong-token")
    for path in ("/blotter", "/accounts", "/status", "/market", "/orders/0000000001", "/events",
                 "/assets/htmx.org/dist/htmx.min.js"):
        answer = page.request.get(dashboard.url + path)
        assert answer.status == 401, path
        assert ACCOUNT not in answer.text(), path
    assert page.context.cookies() == []


def test_the_banner_prints_the_dashboard_url_and_it_serves_the_sign_in_form(dashboard: Dashboard, page: Page) -> None:
    line = next(x for x in dashboard.server.log().splitlines() if x.startswith("dashboard: "))
    page.goto(line.split()[1])
    expect(page.locator("form input[name=token]")).to_be_visible()


def _shown_time(text: str) -> datetime:
    match = re.search(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) KST", text)
    assert match, text
    return datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S")
