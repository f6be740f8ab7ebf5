"""The staff's observatory pages: themes, funnel, gaps, leads, self-assessment (placeholder)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web


def add_routes(router: web.UrlDispatcher) -> None:
    """Serve the observatory's pages."""


async def digest_context(app: web.Application) -> AsyncIterator[None]:
    """The weekly digest of the gaps to the staff group, while the server runs."""
    yield
