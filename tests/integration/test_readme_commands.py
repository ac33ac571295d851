"""Issue 17: every admin command the README prints runs as printed (against a server started from the
demo config, from its directory, so the admin token comes from ./localkis.toml as the README says)."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

from localkis.server.config import demo_config_text
from tests.integration.simulator import cli
from tests.serverproc import REPO, running_server

# Placeholders the README uses, and files it names, made real for the run.
TICKS = "timestamp,exchange,symbol,price,size\n2026-11-25T14:30:00Z,NASD,AAPL,190.10,10\n" \
        "2026-11-25T14:30:01Z,NASD,AAPL,190.20,\n"
TEAMS = "name,env,account,cash_usd\nteam-a,real,12345678-05,50000\n"
BARS = "timestamp,exchange,symbol,open,high,low,close,volume\n2026-11-24,NASD,AAPL,189.00,191.00,188.50,190.00,1000\n"
# Commands that work on a database file, not a running server: run exactly as printed.
OFFLINE = (("history", "load"),)


def readme_commands() -> list[str]:
    """The `localkis …` lines of the README's sh code blocks (comments dropped), except `serve`."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text, flags=re.S)
    lines = [line.split("  #")[0].strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line.startswith("localkis ") and not line.startswith("localkis serve")]


def test_every_readme_admin_command_runs_as_printed(tmp_path: Path) -> None:
    config = demo_config_text().replace('market_hours = "enforce"', 'market_hours = "ignore"')
    token = tomllib.loads(config)["server"]["admin_token"]
    commands = readme_commands()
    assert len(commands) >= 15, commands
    with running_server(config, tmp_path, admin_token=token) as server:
        (tmp_path / "ticks.csv").write_text(TICKS, encoding="utf-8")
        (tmp_path / "teams.csv").write_text(TEAMS, encoding="utf-8")
        (tmp_path / "bars.csv").write_text(BARS, encoding="utf-8")
        appkey = ""
        for line in commands:
            args = shlex.split(line)[1:]
            if args[:2] == ["apps", "disable"]:
                args[2] = appkey
            if args[:2] == ["log", "--follow"]:
                args = ["log"]  # --follow runs until interrupted
            offline = tuple(args[:2]) in OFFLINE
            result = cli(*args, *(() if offline else ("--url", server.base_url)), cwd=tmp_path)
            assert result.code == 0, (line, result.err)
            if args[:2] == ["apps", "add"]:
                appkey = result.out.split("appkey    = ")[1].split()[0]
