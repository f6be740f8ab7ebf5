"""The staff's publication, history and spreadsheet pages: publish, audit log, CSV in and out."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from bot.core.editing.schema import RecordKind
from bot.core.editing.spreadsheet import ImportPlan, describe, export_csv, plan_import, read_csv
from bot.services.editing import Author, Edit, Invalid
from bot.services.ports_content import ContentChange, Publication
from bot.services.publishing import Published
from bot.web.dashboard.pages import back_to, not_found, render, staff_only
from bot.web.dashboard.session import Visit, flash
from bot.web.keys import COMPTOIR

KINDS: dict[str, RecordKind] = {"dispositifs": "scheme", "structures": "counter"}
MAX_CSV = 2_000_000  # characters: far more than the whole knowledge base


@dataclass(frozen=True, slots=True)
class PublicationState:
    """What the content page says of publishing: the version served and what waits."""

    served: int
    newest: Publication | None
    waiting: int  # saved changes not yet published


def add_routes(router: web.UrlDispatcher, base: str) -> None:
    """Serve publishing, the history and the spreadsheet round trip under `base`."""
    router.add_post(f"{base}/publier", publish)
    router.add_get(f"{base}/historique", history)
    router.add_get(f"{base}/export.csv", export)
    router.add_get(f"{base}/import", import_page)
    router.add_post(f"{base}/import", import_file)


async def state(request: web.Request) -> PublicationState:
    """The version served here, the newest publication, the changes that wait for one."""
    comptoir = request.app[COMPTOIR]
    log = comptoir.storage.content_log
    newest = await log.published()
    published_up_to = newest.last_change if newest and newest.last_change else 0
    waiting = await log.changes_after(published_up_to)
    return PublicationState(comptoir.publisher.version, newest, waiting)


@staff_only
async def publish(request: web.Request, visit: Visit) -> web.StreamResponse:
    """Publish the folders: served from the next turn, or refused with every problem."""
    comptoir = request.app[COMPTOIR]
    outcome = await comptoir.publisher.publish(visit.person.name)
    if isinstance(outcome, Published):
        version = outcome.publication.version
        await flash(
            request, f"Contenu publié (version {version}) : le bot l'utilise dès maintenant."
        )
        raise back_to("/conseillers/contenu")
    context = {"problems": outcome.problems}
    return await render(request, "content_refused.html", context, visit, status=422)


@staff_only
async def history(request: web.Request, visit: Visit) -> web.StreamResponse:
    """The audit log: who changed which record when, with the diff of its file."""
    comptoir = request.app[COMPTOIR]
    record_id = request.query.get("fiche") or None
    changes: list[ContentChange] = await comptoir.storage.content_log.history(record_id, 200)
    context = {"changes": changes, "record_id": record_id}
    return await render(request, "content_history.html", context, visit)


def _kind(value: str) -> RecordKind:
    kind = KINDS.get(value)
    if kind is None:
        raise not_found()
    return kind


@staff_only
async def export(request: web.Request, visit: Visit) -> web.StreamResponse:
    """The records of one kind as a spreadsheet (UTF-8 with BOM, `;`), as the folder holds them."""
    editor = request.app[COMPTOIR].editor
    if editor is None:
        raise not_found()
    slug = request.query.get("type", "dispositifs")
    kind = _kind(slug)
    body = export_csv(editor.drafts(kind), kind)
    return web.Response(
        body=body.encode("utf-8"),
        content_type="text/csv",
        charset="utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="comptoir-{slug}.csv"',
            "Cache-Control": "no-store",
        },
    )


@staff_only
async def import_page(request: web.Request, visit: Visit) -> web.StreamResponse:
    """The form to send a spreadsheet back."""
    return await render(request, "content_import.html", {"plan": None, "kinds": KINDS}, visit)


@staff_only
async def import_file(request: web.Request, visit: Visit) -> web.StreamResponse:
    """Show what a spreadsheet would change; apply it when asked (the same checks and audit)."""
    comptoir = request.app[COMPTOIR]
    editor = comptoir.editor
    if editor is None:
        raise not_found()
    fields = await request.post()
    slug = str(fields.get("type", ""))
    kind = _kind(slug)
    upload = fields.get("fichier")
    if isinstance(upload, web.FileField):
        raw = upload.file.read(MAX_CSV * 4 + 1)
        text = raw.decode("utf-8", errors="replace")
    else:
        text = str(fields.get("contenu", ""))
    if not text.strip() or len(text) > MAX_CSV:
        await flash(request, "Choisissez un fichier CSV exporté depuis cette page.", refused=True)
        raise back_to("/conseillers/contenu/import")
    knowledge = comptoir.content.catalog.knowledge
    rows = read_csv(text, kind)
    plan: ImportPlan = plan_import(editor.drafts(kind), rows, kind, knowledge)
    context = {"plan": plan, "kinds": KINDS, "slug": slug, "text": text, "summary": describe(plan)}
    if fields.get("appliquer") != "1" or plan.errors:
        return await render(request, "content_import.html", context, visit)
    edits = [Edit(kind, a.record_id, a.data, creating=True) for a in plan.added]
    edits += [Edit(kind, c.record_id, c.data) for c in plan.changed]
    edits += [Edit(kind, r.record_id, None) for r in plan.removed]
    outcome = await editor.save_all(edits, Author(visit.person.name, visit.person.id), "imported")
    if isinstance(outcome, Invalid):
        refused = {**context, "refused": outcome.problems or tuple(outcome.errors.values())}
        return await render(request, "content_import.html", refused, visit, status=422)
    count = len(outcome.changes)
    await flash(
        request,
        f"Import appliqué : {count} fiche(s) enregistrée(s). Publiez pour que le bot les utilise.",
    )
    raise back_to("/conseillers/contenu")
