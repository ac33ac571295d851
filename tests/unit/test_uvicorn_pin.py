"""`localkis.server.http` forks uvicorn's httptools protocol, so uvicorn is pinned to the releases it is
tested with. These tests fail when an installed uvicorn is outside the pin, or lacks the internals the
fork relies on (the protocol's own tests then say what broke)."""

from __future__ import annotations

import inspect
import tomllib
from importlib.metadata import version
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version
from uvicorn.protocols.http import flow_control, httptools_impl

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def uvicorn_requirement() -> Requirement:
    dependencies = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["dependencies"]
    return next(r for r in map(Requirement, dependencies) if r.name == "uvicorn")


def test_uvicorn_is_pinned_to_a_range_with_an_upper_bound() -> None:
    requirement = uvicorn_requirement()
    assert any(spec.operator == "<" for spec in requirement.specifier), requirement


def test_the_installed_uvicorn_is_within_the_pin() -> None:
    installed = Version(version("uvicorn"))
    assert installed in uvicorn_requirement().specifier, (
        f"uvicorn {installed} is outside the tested range {uvicorn_requirement().specifier}: run the "
        "tests of localkis.server.http against it, then widen the pin in pyproject.toml")


def test_the_internals_the_fork_reuses_are_there() -> None:
    assert httptools_impl.STATUS_LINE[200] == b"HTTP/1.1 200 OK\r\n"
    assert isinstance(flow_control.HIGH_WATER_LIMIT, int)
    protocol = httptools_impl.HttpToolsProtocol
    for method in ("connection_made", "data_received", "on_headers_complete", "on_body", "on_message_complete",
                   "on_response_complete", "timeout_keep_alive_handler", "handle_websocket_upgrade",
                   "_should_upgrade", "_unsupported_upgrade_warning"):
        assert callable(getattr(protocol, method, None)), method
    source = inspect.getsource(protocol.__init__)
    for attribute in ("self.pipeline", "self.flow", "self.cycle", "self.server_state", "self.timeout_keep_alive",
                      "self.timeout_keep_alive_task", "self.limit_concurrency", "self.root_path", "self.tasks"):
        assert attribute in source, attribute
    cycle = inspect.getsource(httptools_impl.RequestResponseCycle.__init__)
    for attribute in ("self.body", "self.more_body", "self.message_event", "self.response_complete",
                      "self.disconnected", "self.keep_alive", "self.waiting_for_100_continue"):
        assert attribute in cycle, attribute
