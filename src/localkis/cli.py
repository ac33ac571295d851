"""Command line: `localkis serve …`, the admin commands (`localkis price set …`, see admincli) and the
trading commands of the client (`localkis order buy …`, see localkis.client.cli)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from localkis import admincli
from localkis.client import cli as client_cli
from localkis.server.config import AppSection, Config, ConfigError, demo_config_text, load_config, new_admin_token

DEFAULT_CONFIG = Path("localkis.toml")
DEFAULT_DB = "sqlite:///./localkis.db"


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


def _load_or_create(path: Path | None) -> tuple[Config, Path, bool]:
    if path is not None:
        return load_config(path), path, False
    created = False
    if not DEFAULT_CONFIG.exists():
        DEFAULT_CONFIG.write_text(demo_config_text(), encoding="utf-8")
        created = True
    return load_config(DEFAULT_CONFIG), DEFAULT_CONFIG, created


def banner(config: Config, config_path: Path, base_url: str, admin_token: str, *, show_secrets: bool,
           created: bool) -> str:
    lines = ["", "localkis — KIS Open API (overseas stocks) on " + base_url,
             f"config: {config_path.resolve()}" + ("  (created now with demo credentials)" if created else ""),
             f"admin token: {admin_token}", ""]
    for app in config.apps:
        secret = app.appsecret if show_secrets else app.appsecret[:4] + "…(masked; --show-credentials)"
        lines += [f"[{app.env.value}] {app.name or 'app'}",
                  f"  appkey    = {app.appkey}",
                  f"  appsecret = {secret}",
                  f"  accounts  = {', '.join(app.accounts) or '(none)'}", ""]
    real = next((a for a in config.apps if a.env.value == "real"), None)
    mock = next((a for a in config.apps if a.env.value == "mock"), None)
    if show_secrets and (real or mock):
        lines += ["python-kis (pip install python-kis==2.1.6):", *pykis_snippet(base_url, real, mock)]
        lines += ["", "official samples (~/KIS/config/kis_devlp.yaml):"]
        if real:
            lines += [f"  my_app: \"{real.appkey}\"", f"  my_sec: \"{real.appsecret}\"",
                      f"  my_acct_stock: \"{(real.accounts or ['12345678-01'])[0].split('-')[0]}\""]
        if mock:
            lines += [f"  paper_app: \"{mock.appkey}\"", f"  paper_sec: \"{mock.appsecret}\"",
                      f"  my_paper_stock: \"{(mock.accounts or ['50012345-01'])[0].split('-')[0]}\""]
        lines += ["  my_prod: \"01\"", f"  prod: \"{base_url}\"", f"  vps: \"{base_url}\"", ""]
    return "\n".join(lines)


def pykis_snippet(base_url: str, real: AppSection | None, mock: AppSection | None) -> list[str]:
    """Python lines that point python-kis at this server (it joins paths onto pykis.kis's domains)."""
    lines = ["  import pykis.kis",
             f"  pykis.kis.REAL_DOMAIN = pykis.kis.VIRTUAL_DOMAIN = {base_url!r}",
             "  from pykis import PyKis"]
    if real is not None:
        acct = real.accounts[0] if real.accounts else "12345678-01"
        lines += [f"  kis = PyKis(id='localkis', account={acct!r}, appkey={real.appkey!r},",
                  f"              secretkey={real.appsecret!r}, keep_token=False, use_websocket=False)"]
        if mock is not None:
            # python-kis's virtual mode also needs the real app: quotes always go to the real domain.
            macct = mock.accounts[0] if mock.accounts else "50012345-01"
            lines += [f"  vkis = PyKis(id='localkis', account={macct!r}, appkey={real.appkey!r},",
                      f"               secretkey={real.appsecret!r}, virtual_id='localkis',",
                      f"               virtual_appkey={mock.appkey!r}, virtual_secretkey={mock.appsecret!r},",
                      "               keep_token=False, use_websocket=False)"]
    return lines


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
                 created=created), flush=True)
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
                      LOCALKIS_ADMIN_TOKEN=admin_token)
    base_url = f"http://{args.host}:{args.port}"
    print(banner(config, config_path, base_url, admin_token, show_secrets=args.show_credentials,
                 created=created), flush=True)
    uvicorn.run("localkis.server.asgi:app_from_env", factory=True, workers=args.workers, host=args.host,
                port=args.port, http="localkis.server.http:KisHttpToolsProtocol", loop="uvloop",
                log_level=args.log_level, access_log=False, server_header=False, proxy_headers=False)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
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
