"""Faults on demand: rules (`[[faults]]` in the config, /localkis/admin/faults at run time) that make
chosen KIS calls fail the way production does — an error code, latency, or a connection reset before
or after the request commits. The gateway asks `Faults.pick` only while some rule exists.

A call goes through the rules in order. Each rule it matches (api, app) counts it; the first rule that
fires takes it and the rules after it do not see it. A rule fires on its `nth` matching call and on
every following one (each with `probability`, when given) until it has fired `times` times."""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.types import Receive, Scope, Send

from localkis.protocol.env import Env
from localkis.server.config import FaultSection
from localkis.server.responses import KisResponse
from localkis.wire.errors import WireError
from localkis.wire.known_codes import error_for_code

log = logging.getLogger("localkis.faults")


@dataclass(slots=True)
class FaultRule:
    """A rule and what it has done so far."""

    id: int
    section: FaultSection
    seen: int = 0  # matching calls counted
    fired: int = 0

    @property
    def spent(self) -> bool:
        return self.section.times != 0 and self.fired >= self.section.times

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, **self.section.model_dump(exclude_none=True), "seen": self.seen, "fired": self.fired}


class Faults:
    """The server's fault rules; `rules` is empty (one falsy check per request) unless a test adds some."""

    def __init__(self, configured: list[FaultSection], seed: int) -> None:
        self._configured = list(configured)
        self._seed = seed
        self._next_id = 1
        self.rules: list[FaultRule] = []
        self.listeners: list[Callable[[dict[str, Any]], None]] = []  # told of every fired fault (recording)
        self._random = random.Random(seed)
        self.reset()

    def reset(self) -> None:
        """Back to the configured rules, counts at zero, the random source reseeded."""
        self.rules = []
        self._next_id = 1
        self._random = random.Random(self._seed)
        for section in self._configured:
            self.add(section)

    def add(self, section: FaultSection) -> FaultRule:
        rule = FaultRule(self._next_id, section)
        self._next_id += 1
        self.rules.append(rule)
        return rule

    def clear(self) -> int:
        """Remove every rule (configured ones too, until the next reset); how many there were."""
        count = len(self.rules)
        self.rules = []
        return count

    def remove(self, rule_id: int) -> bool:
        kept = [r for r in self.rules if r.id != rule_id]
        removed = len(kept) != len(self.rules)
        self.rules = kept
        return removed

    def pick(self, segment: str, tr_id: str, appkey: str, app_name: str) -> FaultRule | None:
        """The rule that fires on this call, if any (and count it as fired)."""
        for rule in self.rules:
            s = rule.section
            if s.api != "*" and s.api != segment and s.api != tr_id:
                continue
            if s.app is not None and s.app != appkey and s.app != app_name:
                continue
            if rule.spent:
                continue
            rule.seen += 1
            if rule.seen < (s.nth or 1):
                continue
            if s.probability is not None and self._random.random() >= s.probability:
                continue
            rule.fired += 1
            described = rule.as_json()
            log.warning("fault fired on %s (tr_id %s, app %s): %s", segment, tr_id, app_name or appkey[:6] + "…",
                        json.dumps(described, ensure_ascii=False))
            for listener in self.listeners:
                listener(described)
            return rule
        return None


def fault_error(section: FaultSection, env: Env) -> WireError:
    """The error a `kind = "error"` rule answers with, as KIS words it for `env`."""
    assert section.msg_cd is not None  # checked when the rule was made
    error = error_for_code(section.msg_cd, env)
    assert error is not None
    return error


class Dropped(KisResponse):
    """No answer: the connection is reset (the HTTP protocol's lean path aborts it with SO_LINGER 0).
    Through plain ASGI, where there is no socket to reset, a head is sent and the connection closed
    before the body."""

    drop = True

    def __init__(self) -> None:
        super().__init__(b"", 500, [(b"Content-Type", b"application/json; charset=utf-8"),
                                    (b"Content-Length", b"64")])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
