"""`GET /`: a small landing page for a person who opens the server in a browser (KIS itself answers
404 there; a bot never asks for it)."""

from __future__ import annotations

from html import escape

LINKS = (
    ("/docs", "API documentation (OpenAPI, every route with examples)"),
    ("/openapi.json", "the OpenAPI document"),
    ("/localkis/health", "health and the server clock"),
    ("/localkis/ui", "dashboard (when this version serves one)"),
)


def landing_html(now: str) -> str:
    items = "".join(f'<li><a href="{escape(href)}">{escape(href)}</a> — {escape(text)}</li>' for href, text in LINKS)
    return ("<!doctype html><html><head><meta charset=\"utf-8\"><title>localkis</title></head><body>"
            "<h1>localkis</h1><p>A local server that speaks the 한국투자증권 (KIS) Open API for overseas stocks. "
            "Point a KIS bot's base URL here.</p>"
            f"<p>Server clock: {escape(now)}</p><ul>{items}</ul>"
            "<p>Admin commands: <code>localkis --help</code>.</p></body></html>")
