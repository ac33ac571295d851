"""The blocking client is generated from the asyncio one (tools/unasync.py): they must not drift."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from localkis.client import AsyncKisClient, KisClient

REPO = Path(__file__).resolve().parents[2]


def test_sync_client_is_what_the_async_client_generates() -> None:
    result = subprocess.run([sys.executable, str(REPO / "tools" / "unasync.py"), "--check"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_both_clients_offer_the_same_public_methods() -> None:
    def public(cls: type) -> set[str]:
        return {name for name in vars(cls) if not name.startswith("_")}

    assert public(KisClient) == public(AsyncKisClient) - {"aclose"} | {"close"}
