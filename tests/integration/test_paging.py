"""Paging of inquire-nccs and inquire-ccnl (PROTOCOL §6, §7, §14, A6, B6)."""

from __future__ import annotations

import pytest

from localkis.protocol import codes
from localkis.protocol.env import Env
from localkis.protocol.orders import Side
from tests.integration.conftest import CCNL_PATH, INSTRUMENTS, NCCS_PATH, Kis, Reply, World, expect_order_ok

AAPL, IBM, SPY, TOYOTA = INSTRUMENTS["AAPL"], INSTRUMENTS["IBM"], INSTRUMENTS["SPY"], INSTRUMENTS["7203"]
US_ORDERS = 105


def page(reply: Reply, *, rows: int, tr_cont: str) -> list[str]:
    assert reply.status == 200, reply
    body = reply.body
    assert list(body) == ["rt_cd", "msg_cd", "msg1", "ctx_area_fk200", "ctx_area_nk200", "output"], reply
    assert (body["rt_cd"], body["msg_cd"], body["msg1"]) == ("0", codes.INQUIRY_OK.code, codes.INQUIRY_OK.text)
    assert body["msg1"].rstrip() == "조회가 완료되었습니다" and body["msg_cd"] == "KIOK0510"
    assert len(body["ctx_area_fk200"]) == 200 and len(body["ctx_area_nk200"]) == 200
    assert isinstance(body["output"], list) and len(body["output"]) == rows, (len(body["output"]), reply)
    assert reply.headers["tr_cont"] == tr_cont, reply.headers
    return [r["odno"] for r in body["output"]]


@pytest.fixture(scope="module")
def book(main_world: World) -> tuple[Kis, list[str], list[str], list[str]]:
    """A real account with 105 NASD/NYSE/AMEX orders and 3 Tokyo orders."""
    kis = main_world.real()
    us: list[str] = []
    for i in range(US_ORDERS):
        inst = (AAPL, IBM, SPY)[i % 3]
        us.append(kis.placed(inst, 1 + i % 5, inst.price, side=Side.SELL if i % 4 == 0 else Side.BUY))
    jp = [kis.placed(TOYOTA, 100) for _ in range(3)]
    nyse = [o for i, o in enumerate(us) if i % 3 == 1]
    return kis, us, jp, nyse


def follow(kis: Kis, first: Reply, call: object) -> list[Reply]:
    pages = [first]
    while pages[-1].headers["tr_cont"] in ("F", "M"):
        body = pages[-1].body
        pages.append(call(body["ctx_area_fk200"], body["ctx_area_nk200"]))  # type: ignore[operator]
        assert len(pages) < 20
    return pages


def test_nccs_pages_of_40_ascending(book: tuple[Kis, list[str], list[str], list[str]]) -> None:
    kis, us, _, _ = book
    first = kis.nccs("NASD", sort="DS")
    got = page(first, rows=40, tr_cont="F")
    assert first.body["ctx_area_fk200"].rstrip() == f"{kis.cano}^01^NASD^DS^"
    assert first.body["ctx_area_nk200"].strip() != ""
    second = kis.nccs("NASD", sort="DS", fk=first.body["ctx_area_fk200"], nk=first.body["ctx_area_nk200"],
                      tr_cont="N")
    got += page(second, rows=40, tr_cont="M")
    third = kis.nccs("NASD", sort="DS", fk=second.body["ctx_area_fk200"], nk=second.body["ctx_area_nk200"],
                     tr_cont="N")
    got += page(third, rows=US_ORDERS - 80, tr_cont="E")
    assert third.body["ctx_area_nk200"] == " " * 200
    assert got == us  # all three US venues, ascending order numbers, no Tokyo orders


def test_nccs_descending_by_default(book: tuple[Kis, list[str], list[str], list[str]]) -> None:
    kis, us, _, _ = book
    pages = follow(kis, kis.nccs("NASD", sort=""),
                   lambda fk, nk: kis.nccs("NASD", sort="", fk=fk, nk=nk, tr_cont="N"))
    assert [p.headers["tr_cont"] for p in pages] == ["F", "M", "E"]
    assert [r["odno"] for p in pages for r in p.body["output"]] == list(reversed(us))


def test_nccs_single_page_and_exchange_scope(book: tuple[Kis, list[str], list[str], list[str]]) -> None:
    kis, _, jp, nyse = book
    assert page(kis.nccs("TKSE", sort="DS"), rows=3, tr_cont="D") == jp
    only = kis.nccs("TKSE", sort="DS")
    assert only.body["ctx_area_nk200"] == " " * 200
    assert [r["ovrs_excg_cd"] for r in only.body["output"]] == ["TKSE"] * 3
    # NYSE alone is only NYSE; NASD is every US venue (python-kis only ever asks NASD)
    nyse_pages = follow(kis, kis.nccs("NYSE", sort="DS"),
                        lambda fk, nk: kis.nccs("NYSE", sort="DS", fk=fk, nk=nk, tr_cont="N"))
    assert [r["odno"] for p in nyse_pages for r in p.body["output"]] == nyse
    assert {r["ovrs_excg_cd"] for r in kis.nccs_rows("NASD")} == {"NASD", "NYSE", "AMEX"}
    assert kis.nccs_rows("AMEX") and {r["ovrs_excg_cd"] for r in kis.nccs_rows("AMEX")} == {"AMEX"}


def test_nccs_empty(world: World) -> None:
    kis = world.real()
    reply = kis.nccs("NASD")
    assert reply.status == 200 and reply.headers["tr_cont"] == "D"
    assert (reply.body["rt_cd"], reply.body["msg_cd"], reply.body["msg1"]) == (
        "0", codes.INQUIRY_EMPTY.code, codes.INQUIRY_EMPTY.text)
    assert reply.body["msg1"].rstrip() == "조회할 내용이 없습니다" and reply.body["msg_cd"] == "KIOK0560"
    assert reply.body["output"] == []
    assert reply.body["ctx_area_nk200"] == " " * 200


def test_exactly_40_is_one_page(world: World) -> None:
    kis = world.real()
    odnos = [kis.placed(AAPL, 1) for _ in range(40)]
    assert page(kis.nccs("NASD", sort="DS"), rows=40, tr_cont="D") == odnos
    extra = kis.placed(AAPL, 1)
    first = kis.nccs("NASD", sort="DS")
    page(first, rows=40, tr_cont="F")
    last = kis.nccs("NASD", sort="DS", fk=first.body["ctx_area_fk200"], nk=first.body["ctx_area_nk200"], tr_cont="N")
    assert page(last, rows=1, tr_cont="E") == [extra]


@pytest.mark.parametrize(("sort", "new_seen"), [("DS", True), ("", False)])
def test_nccs_cursor_stable_while_orders_are_added(world: World, sort: str, new_seen: bool) -> None:
    kis = world.real()
    existing = [kis.placed(AAPL, 1) for _ in range(90)]
    first = kis.nccs("NASD", sort=sort)
    seen = page(first, rows=40, tr_cont="F")
    added = [kis.placed(AAPL, 1) for _ in range(5)]
    # one of the not-yet-seen orders is filled in between: it leaves the unfilled list
    expected_rest = existing[40:] if sort == "DS" else list(reversed(existing))[40:]
    gone = expected_rest[3]
    assert world.admin.fill(gone, 1, "190.00")["open"] == 0
    pages = follow(kis, first, lambda fk, nk: kis.nccs("NASD", sort=sort, fk=fk, nk=nk, tr_cont="N"))
    rest = [r["odno"] for p in pages[1:] for r in p.body["output"]]
    seen += rest
    assert len(seen) == len(set(seen)), "an order appeared twice"
    expected = existing[:40] if sort == "DS" else list(reversed(existing))[:40]
    expected += [o for o in expected_rest if o != gone]
    if new_seen:  # ascending: the new orders come at the end
        expected += added
    assert seen == expected


def test_lowercase_query_keys(book: tuple[Kis, list[str], list[str], list[str]]) -> None:
    kis, us, _, _ = book

    def call(fk: str, nk: str, cont: str) -> Reply:
        params = {"cano": kis.cano, "acnt_prdt_cd": kis.prdt, "ovrs_excg_cd": "NASD", "sort_sqn": "DS",
                  "ctx_area_fk200": fk, "ctx_area_nk200": nk}
        return kis.get(NCCS_PATH, "TTTS3018R", params, tr_cont=cont)

    first = call("", "", "")
    got = page(first, rows=40, tr_cont="F")
    second = call(first.body["ctx_area_fk200"], first.body["ctx_area_nk200"], "N")
    got += page(second, rows=40, tr_cont="M")
    assert got == us[:80]


def test_nccs_excludes_filled_and_cancelled(world: World) -> None:
    kis = world.real()
    a, b, c, d = (kis.placed(AAPL, 5) for _ in range(4))
    world.admin.fill(a, 5, "190.00")
    world.admin.fill(b, 2, "190.00")
    expect_order_ok(kis.cancel(AAPL, c), codes.CANCEL_OK.real)
    rows = kis.nccs_rows("NASD", sort="DS")
    assert [(r["odno"], r["ft_ccld_qty"], r["nccs_qty"]) for r in rows] == [(b, "2", "3"), (d, "0", "5")]


def test_ccnl_pages_of_20_real(book: tuple[Kis, list[str], list[str], list[str]]) -> None:
    kis, us, jp, _ = book
    everything = sorted(us + jp)
    pages = follow(kis, kis.ccnl(sort="DS"), lambda fk, nk: kis.ccnl(sort="DS", fk=fk, nk=nk, tr_cont="N"))
    sizes = [len(p.body["output"]) for p in pages]
    assert sizes == [20] * (len(everything) // 20) + [len(everything) % 20]
    assert [p.headers["tr_cont"] for p in pages] == ["F"] + ["M"] * (len(pages) - 2) + ["E"]
    assert [r["odno"] for p in pages for r in p.body["output"]] == everything
    for p in pages:
        assert len(p.body["ctx_area_fk200"]) == 200 and len(p.body["ctx_area_nk200"]) == 200
    # AS: descending
    desc = follow(kis, kis.ccnl(sort="AS"), lambda fk, nk: kis.ccnl(sort="AS", fk=fk, nk=nk, tr_cont="N"))
    assert [r["odno"] for p in desc for r in p.body["output"]] == list(reversed(everything))


def test_ccnl_real_filters(book: tuple[Kis, list[str], list[str], list[str]], main_world: World) -> None:
    kis, us, jp, nyse = book
    admin = {o["odno"]: o for o in main_world.admin.orders()}
    sells = [o for o in sorted(us + jp) if admin[o]["side"] == Side.SELL.value]
    assert [r["odno"] for r in kis.ccnl_rows(side="01")] == sells
    assert [r["odno"] for r in kis.ccnl_rows(exchange="NYSE")] == nyse
    assert [r["odno"] for r in kis.ccnl_rows(exchange="NASD")] == us
    assert [r["odno"] for r in kis.ccnl_rows(exchange="TKSE")] == jp
    assert [r["odno"] for r in kis.ccnl_rows(pdno="7203")] == jp
    assert kis.ccnl_rows(filled="01") == []
    assert len(kis.ccnl_rows(filled="02")) == len(us) + len(jp)


def test_ccnl_pages_of_15_mock_ignoring_filters(world: World) -> None:
    kis = world.mock()
    odnos = [kis.placed(AAPL, 1) for _ in range(32)]
    odnos.append(kis.placed(TOYOTA, 100))

    def call(fk: str, nk: str) -> Reply:
        return kis.ccnl(sort="AS", fk=fk, nk=nk, tr_cont="N", side="02", filled="01")

    pages = follow(kis, kis.ccnl(sort="AS", side="02", filled="01"), call)
    assert [len(p.body["output"]) for p in pages] == [15, 15, 3]
    assert [p.headers["tr_cont"] for p in pages] == ["F", "M", "E"]
    # mock: filters and sort ignored, all orders ascending
    assert [r["odno"] for p in pages for r in p.body["output"]] == odnos
    # the mock nccs (VTTS3018R) pages by 40 like the real one
    assert page(kis.nccs("NASD", sort="DS"), rows=32, tr_cont="D") == odnos[:32]


def test_ccnl_date_range(world: World) -> None:
    kis = world.real()
    odno = kis.placed(AAPL, 1)
    assert [r["odno"] for r in kis.ccnl_rows()] == [odno]
    row = kis.ccnl_rows()[0]
    day = row["ord_dt"]
    assert [r["odno"] for r in kis.ccnl_rows(ORD_STRT_DT=day, ORD_END_DT=day)] == [odno]
    empty = kis.ccnl(ORD_STRT_DT="20000101", ORD_END_DT="20000102")
    assert empty.status == 200 and empty.body["msg_cd"] == "KIOK0560" and empty.body["output"] == []
    assert empty.headers["tr_cont"] == "D"


def test_ccnl_query_keys_lowercase(world: World) -> None:
    kis = world.mock()
    odno = kis.placed(AAPL, 1)
    params = {"cano": kis.cano, "acnt_prdt_cd": kis.prdt, "pdno": "", "ord_strt_dt": "20000101",
              "ord_end_dt": "20991231", "sll_buy_dvsn": "00", "ccld_nccs_dvsn": "00", "ovrs_excg_cd": "",
              "sort_sqn": "DS", "ctx_area_fk200": "", "ctx_area_nk200": ""}
    reply = kis.get(CCNL_PATH, "VTTS3035R", params)
    assert page(reply, rows=1, tr_cont="D") == [odno]


def test_inquiries_list_only_own_account(world: World) -> None:
    """Inquiries only list the asking account's orders."""
    a, b = world.real(), world.real()
    mine = a.placed(AAPL, 1)
    b.placed(AAPL, 1)
    assert [r["odno"] for r in a.nccs_rows()] == [mine]
    assert [r["odno"] for r in a.ccnl_rows()] == [mine]
    m = world.mock()
    m.placed(AAPL, 1)
    assert m.env is Env.MOCK and [r["odno"] for r in a.ccnl_rows()] == [mine]
