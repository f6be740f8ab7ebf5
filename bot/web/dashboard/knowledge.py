"""The staff's content pages: browse, edit, create, verify, import, history, publish."""

from __future__ import annotations

from aiohttp import web


def add_routes(router: web.UrlDispatcher) -> None:
    """Serve the content pages."""
