"""Issue 17: `[[instruments]]` add to the shipped list unless `[market] shipped_instruments = false`."""

from __future__ import annotations

from decimal import Decimal

from localkis.protocol.exchanges import Exchange
from localkis.server.config import default_instruments, instruments_of, parse_config

OWN = """
[[instruments]]
exchange = "NASD"
symbol = "AAPL"
name = "애플"
price = "123.45"

[[instruments]]
exchange = "NASD"
symbol = "RKLB"
name = "로켓랩"
price = "25.00"
"""


def test_the_configs_instruments_add_to_the_shipped_list_and_replace_their_namesakes() -> None:
    got = {(i.exchange, i.symbol): i for i in instruments_of(parse_config(OWN))}
    shipped = {(i.exchange, i.symbol) for i in default_instruments()}
    assert shipped <= set(got) and (Exchange.NASD, "RKLB") in got
    assert len(got) == len(shipped) + 1  # AAPL replaced, not doubled
    assert got[(Exchange.NASD, "AAPL")].price == Decimal("123.45")


def test_shipped_instruments_false_keeps_only_the_configs() -> None:
    config = parse_config("[market]\nshipped_instruments = false\n" + OWN)
    assert [(i.symbol, i.price) for i in instruments_of(config)] == [("AAPL", Decimal("123.45")),
                                                                    ("RKLB", Decimal("25.00"))]


def test_no_instruments_in_the_config_is_the_shipped_list() -> None:
    assert instruments_of(parse_config("")) == default_instruments()
