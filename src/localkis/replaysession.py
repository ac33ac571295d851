"""`localkis replay-session FILE`: a recording of `localkis serve --record FILE` replayed against a fresh
server built from the recording's config, each request at its recorded server time (the clock frozen
there), every answer compared with the recorded one. Prints a diff of each answer that differs; exit
status 1 if any does.

Secrets were masked when recording: the replay gives every app a fresh appsecret and a fresh admin
token, uses the tokens the replayed token requests return, and compares answers with their tokens masked."""

from __future__ import annotations

import difflib
import json
import re
import secrets
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any, TextIO

import httpx
import orjson

from localkis.server.recording import MASK, masked_text
from localkis.testing import LocalKis

# Answers that carry the server's running time to the microsecond: replayed, not compared.
UNCOMPARED = frozenset({"/localkis/admin/clock"})
_PLACEHOLDER = re.compile(r"<appsecret:([A-Za-z0-9]+)>")


class ReplayError(Exception):
    """The recording cannot be replayed (the message says why)."""


def load(path: Path) -> tuple[str, list[dict[str, Any]]]:
    try:
        lines = [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
    except (OSError, orjson.JSONDecodeError) as exc:
        raise ReplayError(f"cannot read recording {path}: {exc}") from None
    if not lines or lines[0].get("type") != "config":
        raise ReplayError(f"{path} is not a localkis recording (its first line must hold the config)")
    return str(lines[0]["toml"]), lines[1:]


def fresh_config(text: str, admin_token: str) -> tuple[str, dict[str, str]]:
    """The recorded config with fresh appsecrets (by appkey) and `admin_token`."""
    secret_of: dict[str, str] = {}

    def fresh(match: re.Match[str]) -> str:
        return secret_of.setdefault(match.group(1), secrets.token_urlsafe(150)[:180])

    text = _PLACEHOLDER.sub(fresh, text)
    if "<admin_token>" in text:
        text = text.replace("<admin_token>", admin_token)
    elif tomllib.loads(text).get("server", {}).get("admin_token") is None:
        line = f'admin_token = "{admin_token}"'
        text = re.sub(r"^\[server\]\s*$", "[server]\n" + line, text, count=1, flags=re.M) if re.search(
            r"^\[server\]\s*$", text, flags=re.M) else f"[server]\n{line}\n\n" + text
    return text, secret_of


def _pretty(answer: str | None) -> list[str]:
    if answer is None:
        return ["(no answer: connection dropped)"]
    try:
        return json.dumps(json.loads(answer), ensure_ascii=False, indent=1, sort_keys=False).splitlines()
    except ValueError:
        return answer.splitlines()


def replay(path: Path, out: TextIO = sys.stdout) -> int:
    config_text, entries = load(path)
    admin_token = secrets.token_hex(24)
    text, secret_of = fresh_config(config_text, admin_token)
    tokens: dict[str, str] = {}
    differences = 0
    exchanges = [e for e in entries if e.get("type") == "http"]
    with tempfile.TemporaryDirectory(prefix="localkis-replay-") as tmp, \
            LocalKis(Path(tmp), config_text=text, admin_token=admin_token) as server, \
            httpx.Client(base_url=server.base_url, timeout=30) as http:
        for number, entry in enumerate(exchanges, 1):
            server.admin.call("POST", "/localkis/admin/clock", {"time": entry["at"], "frozen": True})
            headers = dict(entry["headers"])
            appkey = headers.get("appkey", "")
            if headers.get("appsecret") == MASK:
                headers["appsecret"] = secret_of.get(appkey, "")
            if headers.get("authorization") == "Bearer " + MASK:
                token = admin_token if entry["path"].startswith("/localkis/") else tokens.get(appkey, "")
                headers["authorization"] = "Bearer " + token
            body = entry["body"]
            try:
                fields = json.loads(body) if body else None
            except ValueError:
                fields = None
            if isinstance(fields, dict):
                for name in ("appsecret", "secretkey"):
                    if fields.get(name) == MASK:
                        fields[name] = secret_of.get(str(fields.get("appkey", "")), "")
                        body = json.dumps(fields, ensure_ascii=False)
            query = entry["query"]
            url = entry["path"] + ("?" + query if query else "")
            try:
                resp = http.request(entry["method"], url, headers=headers, content=body.encode("utf-8"))
                status, answer = resp.status_code, masked_text(resp.content)
                if entry["path"] == "/oauth2/tokenP" and resp.status_code == 200 and isinstance(fields, dict):
                    tokens[str(fields.get("appkey", ""))] = str(resp.json().get("access_token", ""))
            except httpx.TransportError:  # the connection was dropped (a fault): no answer
                status, answer = 0, None
            recorded_status = entry["status"] if entry["answer"] is not None else 0
            if entry["path"] in UNCOMPARED:
                continue
            if (status, answer) != (recorded_status, entry["answer"]):
                differences += 1
                print(f"#{number} {entry['method']} {entry['path']} at {entry['at']}: "
                      f"HTTP {recorded_status} recorded, {status} now", file=out)
                out.writelines(line + "\n" for line in difflib.unified_diff(
                    _pretty(entry["answer"]), _pretty(answer), "recorded", "replayed", lineterm=""))
    print(f"{len(exchanges)} requests replayed, {differences} answer(s) differ", file=out)
    return 1 if differences else 0


def main(path: Path) -> int:
    try:
        return replay(path)
    except ReplayError as exc:
        print(f"localkis: {exc}", file=sys.stderr)
        return 2
