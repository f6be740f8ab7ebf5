"""The staff's observatory pages: ideas, funnel, gaps, leads and self-assessment, as charts
with their data tables, for a period and a territory; every view downloads as CSV.

Staff only (404 for advisors). The figures are counted by the database, awaited off the event
loop, and kept a few minutes (`bot.services.observatory`); the weekly digest runs here too.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import datetime as dt
import io
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from aiohttp import web
from markupsafe import Markup
from multidict import MultiMapping

from bot.core.geo import GeoTable
from bot.core.observatory.figures import Count, Figures
from bot.core.observatory.scope import Period, Territory
from bot.core.observatory.tables import VIEWS, Table, table
from bot.services.observatory import Observatory
from bot.web.dashboard import charts
from bot.web.dashboard.charts import Series
from bot.web.dashboard.export import neutralised
from bot.web.dashboard.pages import not_found, render, staff_only
from bot.web.dashboard.session import Visit
from bot.web.keys import COMPTOIR, SETTINGS

PAGE = "/conseillers/observatoire"
OBSERVATORY = web.AppKey("observatory", Observatory)


@dataclass(frozen=True, slots=True)
class Choice:
    """The form's period and territory (« dep-62 », « reg-32 », "" for all of France)."""

    since: str = ""
    until: str = ""
    place: str = ""

    def period(self) -> Period:
        """The period chosen."""
        return Period(_date(self.since), _date(self.until))

    def territory(self) -> Territory:
        """The territory chosen."""
        kind, _, code = self.place.partition("-")
        if kind == "dep":
            return Territory("department", code)
        if kind == "reg":
            return Territory("region", code)
        return Territory()

    def link(self) -> str:
        """The query string of this choice (the CSV links)."""
        values = {"du": self.since, "au": self.until, "territoire": self.place}
        return urlencode({k: v for k, v in values.items() if v})

    def slug(self) -> str:
        """A file name's part: « 62-2026-03-01-2026-03-31 »."""
        parts = [self.place.partition("-")[2], self.since, self.until]
        return "-".join(p for p in parts if p) or "tout"


def choice(params: MultiMapping[str], geo: GeoTable) -> Choice:
    """The choice of a query string; what the form cannot send is ignored."""
    since = params.get("du", "")
    until = params.get("au", "")
    place = params.get("territoire", "")
    kind, _, code = place.partition("-")
    known = (kind == "dep" and code in geo.departments) or (kind == "reg" and code in geo.regions)
    return Choice(
        since=since if _date(since) else "",
        until=until if _date(until) else "",
        place=place if known else "",
    )


def _date(text: str) -> dt.date | None:
    """A day as `<input type="date">` sends it (AAAA-MM-JJ), within reason."""
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return None
    return day if 2000 <= day.year <= 2100 else None


def add_routes(router: web.UrlDispatcher) -> None:
    """Serve the observatory's pages."""
    router.add_get(PAGE, observatory_page)
    router.add_get(PAGE + "/{view}.csv", download)


async def digest_context(app: web.Application) -> AsyncIterator[None]:
    """The observatory while the server runs, and its weekly digest of the gaps."""
    comptoir = app[COMPTOIR]
    observatory = Observatory(
        lambda: comptoir.content,
        comptoir.storage,
        comptoir.courier,
        comptoir.courier.clock,
        public_url=app[SETTINGS].public_url,
    )
    app[OBSERVATORY] = observatory
    task = asyncio.create_task(observatory.run(), name="observatory look")
    try:
        yield
    finally:
        observatory.stop()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _figures(request: web.Request) -> tuple[Choice, Figures]:
    geo = request.app[COMPTOIR].content.catalog.knowledge.geo
    chosen = choice(request.query, geo)
    figures = await request.app[OBSERVATORY].figures(chosen.period(), chosen.territory())
    return chosen, figures


@staff_only
async def observatory_page(request: web.Request, visit: Visit) -> web.StreamResponse:
    """Every figure of the period and territory chosen, each chart beside its table."""
    chosen, figures = await _figures(request)
    geo = request.app[COMPTOIR].content.catalog.knowledge.geo
    context = {
        "choice": chosen,
        "figures": figures,
        "tables": {name: view(figures) for name, view in VIEWS.items()},
        "charts": drawings(figures),
        "regions": sorted((r.name, r.code) for r in geo.regions.values()),
        "departments": sorted((d.code, d.name) for d in geo.departments.values()),
        "query": chosen.link(),
    }
    return await render(request, "observatory.html", context, visit)


@staff_only
async def download(request: web.Request, visit: Visit) -> web.StreamResponse:
    """One view as a CSV file for a spreadsheet in French (UTF-8 with a BOM, `;`)."""
    name = request.match_info["view"]
    if name not in VIEWS:
        raise not_found()
    chosen, figures = await _figures(request)
    found = table(figures, name)
    assert found is not None
    return web.Response(
        body=csv_text(found).encode("utf-8"),
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": (
                f'attachment; filename="observatoire-{name}-{chosen.slug()}.csv"'
            ),
            "Cache-Control": "no-store",
        },
    )


def csv_text(view: Table) -> str:
    """A view as CSV: the BOM, the header, the rows; no cell a spreadsheet would run."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(view.headers)
    for row in view.rows:
        writer.writerow([neutralised(cell) for cell in row])
    return "\ufeff" + buffer.getvalue()


def drawings(f: Figures) -> dict[str, Markup]:
    """The page's charts by the view they draw."""
    ideas, gaps, leads, assessment = f.ideas, f.gaps, f.leads, f.assessment
    steps = f.funnel.steps

    def one(name: str, counts: Sequence[Count]) -> list[Series]:
        return [Series(name, counts)]

    months = [b.label for b in ideas.months]
    return {
        "idees-themes": charts.bars(
            "Idées qualifiées par thème",
            [b.label for b in ideas.themes],
            one("Idées", [b.count for b in ideas.themes]),
        ),
        "idees-departements": charts.bars(
            "Idées qualifiées par département",
            [b.label for b in ideas.departments],
            one("Idées", [b.count for b in ideas.departments]),
        ),
        "idees-mois": charts.line(
            "Idées qualifiées par mois",
            [_short(m) for m in months],
            [b.count for b in ideas.months],
        ),
        "parcours": charts.bars(
            "Le parcours : arrivées et abandons par question",
            [s.label for s in steps],
            [
                Series("Arrivées", [s.entered for s in steps]),
                Series("Abandons", [s.abandoned for s in steps]),
            ],
        ),
        "manques": charts.bars(
            "Manques : conversations sans solution locale, par département et thème",
            [f"{g.department_label} · {g.theme_label}" for g in gaps.cells],
            [
                Series("Sans dispositif local", [g.without_scheme for g in gaps.cells]),
                Series("Sans structure locale", [g.without_counter for g in gaps.cells]),
            ],
        ),
        "incomprises": charts.bars(
            "Les réponses incomprises les plus fréquentes",
            [f"« {u.text} » ({u.label})" for u in gaps.unheard],
            one("Fois", [u.times for u in gaps.unheard]),
        ),
        "demandes": charts.bars(
            "Demandes par structure",
            [c.name for c in leads.counters],
            one("Demandes", [c.total for c in leads.counters]),
        ),
        "autoevaluation": charts.bars(
            "Auto-positionnement : réponses par repère et par niveau",
            [m.label for m in assessment.markers],
            [
                Series(level, [m.levels[i] for m in assessment.markers])
                for i, level in enumerate(assessment.scale)
            ],
        ),
    }


def _short(month: str) -> str:
    """« mars 2026 » → « mars 26 »."""
    name, _, year = month.rpartition(" ")
    return f"{name[:4]} {year[-2:]}" if name else month
