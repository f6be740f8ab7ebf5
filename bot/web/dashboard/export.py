"""The CSV export of a filtered lead list: for a spreadsheet in French, streamed a chunk at a time.

UTF-8 with a BOM (Excel reads the accents), `;` between cells, French headers, dates as
JJ/MM/AAAA, and a cell that a spreadsheet would run as a formula (`= + - @`, a tab, a carriage
return first) starts with an apostrophe. Contacts are not exported: the list is for reporting,
a person's phone or e-mail stays on their lead's page.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
from collections.abc import Sequence

from aiohttp import web

from bot.services.clock import FRANCE
from bot.services.ports_dashboard import LeadLine
from bot.web.dashboard.pages import signed_in
from bot.web.dashboard.present import Words, day, filters
from bot.web.dashboard.session import Visit
from bot.web.keys import COMPTOIR

HEADERS = (
    "Référence",
    "Déposée le",
    "Statut",
    "Statut depuis le",
    "Structure",
    "Commune",
    "Département",
    "Porteur",
    "Avancement",
    "Thèmes",
    "Aide souhaitée",
    "Montant recherché (€)",
    "Idée",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SLICE = 100  # lines worded between two turns of the event loop


def neutralised(cell: str) -> str:
    """A cell a spreadsheet shows as text, never runs (OWASP's « CSV injection »)."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def rows(lines: Sequence[LeadLine], words: Words) -> str:
    """Some leads as CSV lines."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    for line in lines:
        cells = (
            line.reference,
            day(line.created_at),
            words.status(line.status, line.taken_by),
            day(line.status_at),
            words.counter(line.counter_id),
            line.commune,
            line.department,
            words.carrier(line.carrier),
            words.stage(line.stage),
            words.themes(line),
            words.needs(line),
            "" if line.amount is None else str(line.amount),
            " ".join((line.idea or "").split()),
        )
        writer.writerow([neutralised(cell) for cell in cells])
    return buffer.getvalue()


def header() -> str:
    """The BOM and the header line."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerow(HEADERS)
    return "\ufeff" + buffer.getvalue()


@signed_in
async def export(request: web.Request, visit: Visit) -> web.StreamResponse:
    """Every lead of the filtered list, as a CSV file."""
    comptoir = request.app[COMPTOIR]
    chosen = filters(request.query, comptoir.content)
    people = {p.id: p for p in await comptoir.storage.accounts.people()}
    words = Words(comptoir.content, people)
    today = dt.datetime.now(FRANCE).date().isoformat()
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="demandes-{today}.csv"',
            "Cache-Control": "no-store",
        }
    )
    await response.prepare(request)
    await response.write(header().encode("utf-8"))
    # Read off the loop a chunk at a time; worded on the loop a slice at a time, each a
    # millisecond or two: citizens' turns pass between slices (a worker thread would hold the
    # interpreter's lock against them for as long as it works).
    async for chunk in comptoir.worklist.export(visit.person, chosen.query()):
        for first in range(0, len(chunk), SLICE):
            await response.write(rows(chunk[first : first + SLICE], words).encode("utf-8"))
            await asyncio.sleep(0)
    await response.write_eof()
    return response
