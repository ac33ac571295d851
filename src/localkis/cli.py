"""Command line: `localkis serve …`, the admin commands (`localkis price set …`, see admincli) and the
trading commands of the client (`localkis order buy …`, see localkis.client.cli)."""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from localkis import admincli
from localkis.client import cli as client_cli
from localkis.domain.hours import KST, MarketHours, SessionState
from localkis.domain.openings import all_markets
from localkis.protocol.exchanges import Market
from localkis.server.config import AppSection, Config, ConfigError, demo_config_text, load_config, new_admin_token

DEFAULT_CONFIG = Path("localkis.toml")
DEFAULT_DB = "sqlite:///./localkis.db"
# python-kis 2.1.6 imports typing_extensions without declaring it as a dependency.
PYKIS_INSTALL = "pip install python-kis==2.1.6 typing_extensions"
SAMPLES_USER_AGENT = "Mozilla/5.0 (localkis)"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="localkis",
        description="A local server that speaks the KIS (한국투자증권) Open API for overseas stocks.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser(
        "serve", help="run the KIS-compatible server",
        description="Run the server. Without --config, ./localkis.toml is used, and created on first start "
                    "with a demo real app, a demo mock app and an account each.")
    serve.add_argument("--config", type=Path, help="TOML config file (default: ./localkis.toml, created if absent)")
    serve.add_argument("--db", default=DEFAULT_DB,
                       help=f"database URL, sqlite:///PATH (default: {DEFAULT_DB})")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port to listen on (default: 8080)")
    serve.add_argument("--workers", type=int, default=1,
                       help="server processes sharing the port and the database (default: 1); more than one "
                            "needs [server] redis_url for rate limits, or rate_limits = false")
    serve.add_argument("--show-credentials", action="store_true",
                       help="print every app's appsecret in the start-up banner (they are masked otherwise)")
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    serve.add_argument("--record", type=Path, metavar="FILE",
                       help="append every request and answer, price print, clock change and fired fault to FILE "
                            "as JSON lines, secrets masked (replay it with `localkis replay-session FILE`)")
    admincli.add_commands(sub)
    client_cli.add_commands(sub)
    replay_session = sub.add_parser(
        "replay-session", help="replay a recording of `serve --record` against a fresh server and diff the answers",
        description="Start a fresh server from the recording's config, send every recorded request at its "
                    "recorded server time, and print a diff of every answer that differs (exit status 1 if any).")
    replay_session.add_argument("file", type=Path, help="a file written by `localkis serve --record FILE`")
    return parser


def _history_parser() -> argparse.ArgumentParser:
    """`localkis history load FILE`; apart from the main parser, whose `history` is the client's order
    history (`localkis history --from …`): `main` routes `history load` here."""
    load = argparse.ArgumentParser(
        prog="localkis history load",
        description="Load bars for the charts into the database: columns timestamp, exchange, symbol, open, "
                    "high, low, close, volume; one interval per file (1d or 1m); replaces stored bars of the "
                    "same instrument, interval and start. Load while the server is stopped, or list the file "
                    "in [market] history.")
    load.add_argument("file", type=Path, help="a .csv, .parquet or .pq bar file")
    load.add_argument("--interval", choices=["1d", "1m"], help="the file's interval (default: detected)")
    load.add_argument("--db", default=DEFAULT_DB, help=f"database URL (default: {DEFAULT_DB})")
    return load


def _load_or_create(path: Path | None) -> tuple[Config, Path, bool]:
    if path is not None:
        return load_config(path), path, False
    created = False
    if not DEFAULT_CONFIG.exists():
        DEFAULT_CONFIG.write_text(demo_config_text(), encoding="utf-8")
        created = True
    return load_config(DEFAULT_CONFIG), DEFAULT_CONFIG, created


def banner(config: Config, config_path: Path, base_url: str, admin_token: str, *, show_secrets: bool,
           created: bool, markets: list[str] | None = None) -> str:
    lines = ["", "localkis — KIS Open API (overseas stocks) on " + base_url,
             f"config: {config_path.resolve()}" + ("  (created now with demo credentials)" if created else ""),
             "  (it holds appsecrets: keep it out of version control; localkis's .gitignore lists localkis.toml)",
             f"admin token: {admin_token}",
             f"dashboard: {base_url}/localkis/ui  (sign in with the admin token)", ""]
    for app in config.apps:
        secret = app.appsecret if show_secrets else app.appsecret[:4] + "…(masked; --show-credentials)"
        lines += [f"[{app.env.value}] {app.name or 'app'}",
                  f"  appkey    = {app.appkey}",
                  f"  appsecret = {secret}",
                  f"  accounts  = {', '.join(app.accounts) or '(none)'}",
                  f"  hts_id    = {app.notice_key}  (notices: H0GSCNI0/9 tr_key, {app.notice_fields} fields)", ""]
    real = next((a for a in config.apps if a.env.value == "real"), None)
    mock = next((a for a in config.apps if a.env.value == "mock"), None)
    if show_secrets and (real or mock):
        lines += [f"python-kis ({PYKIS_INSTALL}):", *pykis_snippet(base_url, real, mock)]
        lines += ["", "official samples (~/KIS/config/kis_devlp.yaml):"]
        if real:
            lines += [f"  my_app: \"{real.appkey}\"", f"  my_sec: \"{real.appsecret}\"",
                      f"  my_acct_stock: \"{(real.accounts or ['12345678-01'])[0].split('-')[0]}\""]
        if mock:
            lines += [f"  paper_app: \"{mock.appkey}\"", f"  paper_sec: \"{mock.appsecret}\"",
                      f"  my_paper_stock: \"{(mock.accounts or ['50012345-01'])[0].split('-')[0]}\""]
        # Every key the official kis_auth.py reads (my_agent at import, my_htsid and ops/vops later).
        ws_url, hts = websocket_url(base_url), real or mock
        assert hts is not None
        lines += [f"  my_htsid: \"{hts.notice_key}\"", "  my_prod: \"01\"", f"  my_agent: \"{SAMPLES_USER_AGENT}\"",
                  f"  prod: \"{base_url}\"", f"  ops: \"{ws_url}\"", f"  vps: \"{base_url}\"",
                  f"  vops: \"{ws_url}\"", ""]
    lines += markets or []
    return "\n".join(lines)


def websocket_url(base_url: str) -> str:
    """The WebSocket URL of a server: the same host and port (any path is served)."""
    return "ws://" + base_url.split("://", 1)[-1]


def pykis_snippet(base_url: str, real: AppSection | None, mock: AppSection | None) -> list[str]:
    """Python lines that point python-kis at this server: it joins REST paths onto pykis.kis's domains and
    opens its socket on pykis.client.websocket's (imported by name, so patched there). `keep_token=True` is
    python-kis's own token cache (~/.pykis): a bot re-run within a minute reuses its token instead of
    meeting the one-token-per-minute limit (EGW00133)."""
    ws_url = websocket_url(base_url)
    lines = ["  import pykis.kis, pykis.client.websocket as ws",
             f"  pykis.kis.REAL_DOMAIN = pykis.kis.VIRTUAL_DOMAIN = {base_url!r}",
             f"  ws.WEBSOCKET_REAL_DOMAIN = ws.WEBSOCKET_VIRTUAL_DOMAIN = {ws_url!r}",
             "  from pykis import PyKis"]
    if real is not None:
        acct = real.accounts[0] if real.accounts else "12345678-01"
        if real.notice_fields != 21:
            lines += [f"  # execution notices: python-kis 2.1.x parses only 21 fields; this app sends "
                      f"{real.notice_fields} (set notice_fields = 21)"]
        lines += [f"  kis = PyKis(id={real.notice_key!r}, account={acct!r}, appkey={real.appkey!r},",
                  f"              secretkey={real.appsecret!r}, keep_token=True)"]
        if mock is not None:
            # python-kis's virtual mode also needs the real app: quotes always go to the real domain.
            macct = mock.accounts[0] if mock.accounts else "50012345-01"
            lines += [f"  vkis = PyKis(id={real.notice_key!r}, account={macct!r}, appkey={real.appkey!r},",
                      f"               secretkey={real.appsecret!r}, virtual_id={mock.notice_key!r},",
                      f"               virtual_appkey={mock.appkey!r}, virtual_secretkey={mock.appsecret!r},",
                      "               keep_token=True)"]
    return lines


def market_lines(hours: MarketHours, now: datetime, *, enforced: bool) -> list[str]:
    """Which markets take orders now and when each next opens, with the two ways round closed hours."""
    if not enforced:
        return ['market hours: ignored (market_hours = "ignore"): orders are accepted at any hour', ""]
    statuses = all_markets(hours, now)
    lines = [f"markets at {now.astimezone(KST):%Y-%m-%d %H:%M} KST (server clock):"]
    for st in statuses:
        if st.state is SessionState.REGULAR:
            text = "open"
        else:
            after = f", next opens {st.next_open:%Y-%m-%d %H:%M} KST" if st.next_open else ""
            text = f"closed ({st.state.value.replace('_', ' ')}{after})"
            if st.state in (SessionState.PRE_MARKET, SessionState.AFTER_MARKET):
                text = f"{st.state.value.replace('_', ' ')}: real apps' orders accepted, mock apps' refused{after}"
        lines.append(f"  {st.market.value:<3} {st.exchange.value:<5} {text}")
    if not all(st.state is SessionState.REGULAR for st in statuses):
        # The clock hint opens the US market if it is closed (what most newcomers trade), else the
        # market that opens next.
        closed = [st for st in statuses if st.next_open is not None]
        target = next((st for st in closed if st.market is Market.US), None) or min(
            closed, key=lambda st: st.next_open or now, default=None)
        lines += ["Orders for a closed market are refused (real APBK0918; mock 40570000, 40580000 or 40100000).",
                  'To trade at any hour, set market_hours = "ignore" under [server] in the config and restart,']
        if target is not None and target.next_open is not None:
            at = (target.next_open + timedelta(minutes=15)).astimezone(KST).replace(second=0, microsecond=0)
            lines += [f"or move the server clock into the next {target.market.value} session:",
                      f"  localkis clock set {at.isoformat()}   (localkis clock set now: back to real time)"]
    return [*lines, ""]


def _markets_now(app: Any, config: Config) -> list[str]:
    hours: MarketHours = app.state.hours
    return market_lines(hours, app.state.clock.now(), enforced=config.server.market_hours == "enforce")


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from localkis.server.app import create_app
    from localkis.server.http import KisHttpToolsProtocol
    from localkis.store import open_store

    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config, config_path, created = _load_or_create(args.config)
    except ConfigError as exc:
        print(f"localkis: {exc}", file=sys.stderr)
        return 2
    admin_token = config.server.admin_token or new_admin_token()
    if args.workers < 1:
        print("localkis: --workers must be at least 1", file=sys.stderr)
        return 2
    if args.workers > 1 and config.server.rate_limits and not config.server.redis_url:
        print("localkis: rate limits across several workers need [server] redis_url "
              "(or set rate_limits = false)", file=sys.stderr)
        return 2
    if args.workers > 1 and config.engine.source != "manual":
        print(f"localkis: [engine] source = \"{config.engine.source}\" runs in one process: use --workers 1",
              file=sys.stderr)
        return 2
    if args.workers > 1 and args.record:
        print("localkis: --record needs --workers 1", file=sys.stderr)
        return 2
    if args.workers > 1:
        return _serve_workers(args, config, config_path, admin_token, created)
    try:
        store = open_store(args.db)
    except Exception as exc:  # any driver error: report it in one line, not a traceback
        print(f"localkis: cannot open database {args.db}: {exc}", file=sys.stderr)
        return 2
    record_text = config_path.read_text(encoding="utf-8") if args.record else ""
    app = create_app(config, store, admin_token=admin_token, record_to=args.record, config_text=record_text)
    base_url = f"http://{args.host}:{args.port}"
    print(banner(config, config_path, base_url, admin_token, show_secrets=args.show_credentials,
                 created=created, markets=_markets_now(app, config)), flush=True)
    try:
        # httptools with standard header names Title-Cased: the official samples crash on a lowercase
        # hyphenated response header (PROTOCOL §3, B7), and uvicorn's own httptools writer lowercases them.
        # No proxy-header middleware: nothing here reads the client address, so it would be pure cost.
        uvicorn.run(app, host=args.host, port=args.port, http=KisHttpToolsProtocol, loop="uvloop",
                    log_level=args.log_level, access_log=False, server_header=False, proxy_headers=False)
    finally:
        store.close()
    return 0


def _serve_workers(args: argparse.Namespace, config: Config, config_path: Path, admin_token: str,
                   created: bool) -> int:
    """Several uvicorn worker processes on one port; each builds the app from the environment."""
    import os

    import uvicorn

    from localkis.store import open_store

    try:
        open_store(args.db).close()  # migrate once, and fail here rather than in every worker
    except Exception as exc:
        print(f"localkis: cannot open database {args.db}: {exc}", file=sys.stderr)
        return 2
    os.environ.update(LOCALKIS_CONFIG=str(config_path.resolve()), LOCALKIS_DB=args.db,
                      LOCALKIS_ADMIN_TOKEN=admin_token, LOCALKIS_LOG_LEVEL=args.log_level)
    base_url = f"http://{args.host}:{args.port}"
    from localkis.server.clock import Clock

    clock = Clock(config.server.clock)  # the workers' clock (a clock set through the admin API aside)
    today = clock.now().date()
    hours = MarketHours(today - timedelta(days=2), today + timedelta(days=20), japan_close=config.server.japan_close)
    markets = market_lines(hours, clock.now(), enforced=config.server.market_hours == "enforce")
    print(banner(config, config_path, base_url, admin_token, show_secrets=args.show_credentials,
                 created=created, markets=markets), flush=True)
    uvicorn.run("localkis.server.asgi:app_from_env", factory=True, workers=args.workers, host=args.host,
                port=args.port, http="localkis.server.http:KisHttpToolsProtocol", loop="uvloop",
                log_level=args.log_level, access_log=False, server_header=False, proxy_headers=False)
    return 0


def history_load(args: argparse.Namespace) -> int:
    """`localkis history load FILE`: the bars into the database, with a progress bar on a terminal."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    from localkis.domain.bars import Interval
    from localkis.engine.history import HistoryFileError, load_into
    from localkis.store import open_store

    try:
        store = open_store(args.db)
    except Exception as exc:
        print(f"localkis: cannot open database {args.db}: {exc}", file=sys.stderr)
        return 2
    columns = ("{task.description}", BarColumn(), DownloadColumn(), TimeRemainingColumn())
    try:
        with Progress(*columns, transient=True, disable=not sys.stderr.isatty()) as bar:
            task = bar.add_task(f"loading {args.file.name}", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            counts = load_into(store, args.file, Interval(args.interval) if args.interval else None,
                               progress=progress)
    except HistoryFileError as exc:
        print(f"localkis: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"localkis: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    finally:
        store.close()
    for (exchange, symbol, interval), count in sorted(counts.items()):
        print(f"{exchange.value} {symbol} {interval.value}: {count} bars")
    print(f"loaded {sum(counts.values())} bars from {args.file}")
    return 0


def main(argv: list[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    if words[:2] == ["history", "load"]:
        return history_load(_history_parser().parse_args(words[2:]))
    args = _parser().parse_args(admincli.legacy_argv(words))
    if args.command == "serve":
        return serve(args)
    if args.command == "replay-session":
        from localkis import replaysession

        return replaysession.main(args.file)
    result = admincli.run(args)
    result = client_cli.run(args) if result is None else result
    if result is not None:
        return result
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
