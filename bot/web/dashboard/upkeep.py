"""The staff's upkeep page: what in the knowledge needs a look (placeholder)."""

from __future__ import annotations

from aiohttp import web


def add_routes(router: web.UrlDispatcher) -> None:
    """Serve the upkeep page."""
