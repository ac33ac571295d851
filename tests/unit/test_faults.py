"""Fault rules (issue 16): the config contract and how rules pick calls (no server needed)."""

from __future__ import annotations

import pytest

from localkis.protocol.env import Env
from localkis.server.config import ConfigError, FaultSection, parse_config
from localkis.server.faults import Faults, fault_error
from localkis.wire.errors import GatewayError, MessageError, OpsError, TokenEndpointError

CONFIG = """
[server]
fault_seed = 7

[[faults]]
api = "order-rvsecncl"
app = "my-bot"
kind = "error"
msg_cd = "EGW00201"
nth = 3
times = 1

[[faults]]
api = "*"
kind = "latency"
latency_ms = 800
probability = 0.1
times = 0
"""


def test_the_documented_config_parses() -> None:
    config = parse_config(CONFIG)
    assert config.server.fault_seed == 7
    first, second = config.faults
    assert (first.api, first.app, first.kind, first.msg_cd, first.nth, first.times) == (
        "order-rvsecncl", "my-bot", "error", "EGW00201", 3, 1)
    assert (second.kind, second.latency_ms, second.probability, second.times) == ("latency", 800, 0.1, 0)


@pytest.mark.parametrize("rule, problem", [
    ('kind = "error"', "needs msg_cd"),
    ('kind = "error"\nmsg_cd = "XYZ"', "not a KIS code"),
    ('kind = "latency"', "needs latency_ms"),
    ('kind = "drop_after_commit"\nmsg_cd = "EGW00201"', "only for kind"),
    ('kind = "explode"', "kind"),
    ('kind = "drop_before_commit"\nnth = 0', "nth"),
])
def test_bad_rules_say_why(rule: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        parse_config(f'[[faults]]\napi = "order"\n{rule}\n')


def rule(**kw: object) -> FaultSection:
    return FaultSection.model_validate({"api": "order", "kind": "drop_before_commit", **kw})


def fired(faults: Faults, calls: int, *, segment: str = "order", tr_id: str = "TTTT1002U",
          appkey: str = "K" * 36, name: str = "bot") -> list[int]:
    return [i for i in range(1, calls + 1) if faults.pick(segment, tr_id, appkey, name) is not None]


def test_nth_and_times_make_a_burst() -> None:
    assert fired(Faults([rule(nth=3, times=2)], 0), 10) == [3, 4]
    assert fired(Faults([rule()], 0), 3) == [1]
    assert fired(Faults([rule(nth=2, times=0)], 0), 5) == [2, 3, 4, 5]


def test_matching_by_segment_tr_id_star_and_app() -> None:
    assert fired(Faults([rule(api="TTTT1002U", times=0)], 0), 2) == [1, 2]
    assert fired(Faults([rule(api="*", times=0)], 0), 2, segment="price") == [1, 2]
    assert fired(Faults([rule(times=0)], 0), 2, segment="price") == []
    assert fired(Faults([rule(app="bot", times=0)], 0), 2) == [1, 2]
    assert fired(Faults([rule(app="K" * 36, times=0)], 0), 2) == [1, 2]
    assert fired(Faults([rule(app="other", times=0)], 0), 2) == []


def test_probability_is_seeded_and_reset_replays_it() -> None:
    faults = Faults([rule(probability=0.3, times=0)], 42)
    first = fired(faults, 200)
    faults.reset()
    assert fired(faults, 200) == first
    assert 20 < len(first) < 100
    assert fired(Faults([rule(probability=0.3, times=0)], 43), 200) != first


def test_the_first_rule_that_fires_takes_the_call() -> None:
    faults = Faults([rule(nth=2), rule(kind="latency", latency_ms=5, times=0)], 0)
    picks = [faults.pick("order", "T", "K", "bot") for _ in range(3)]
    assert [p.section.kind if p else None for p in picks] == ["latency", "drop_before_commit", "latency"]
    assert [(r.seen, r.fired) for r in faults.rules] == [(2, 1), (2, 2)]


def test_reset_restores_configured_rules_and_forgets_added_ones() -> None:
    faults = Faults([rule()], 0)
    faults.add(rule(api="price"))
    fired(faults, 1)
    faults.reset()
    assert [(r.id, r.section.api, r.seen) for r in faults.rules] == [(1, "order", 0)]
    assert faults.clear() == 1 and faults.rules == []


@pytest.mark.parametrize("code, env, kind, status", [
    ("EGW00201", Env.REAL, GatewayError, 500),
    ("EGW00123", Env.MOCK, GatewayError, 500),
    ("OPSQ0002", Env.REAL, OpsError, 500),
    ("EGW00133", Env.REAL, TokenEndpointError, 403),
    ("APBK0952", Env.REAL, MessageError, 200),
    ("40250000", Env.MOCK, MessageError, 200),
    ("90000000", Env.MOCK, MessageError, 200),
])
def test_error_codes_keep_kis_status_and_shape(code: str, env: Env, kind: type, status: int) -> None:
    error = fault_error(rule(kind="error", msg_cd=code), env)
    assert isinstance(error, kind) and error.status == status
    body = error.body()
    assert code in body.values()
