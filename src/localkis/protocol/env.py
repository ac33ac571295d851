"""The two KIS environments."""

from __future__ import annotations

from enum import StrEnum


class Env(StrEnum):
    REAL = "real"  # 실전투자
    MOCK = "mock"  # 모의투자
