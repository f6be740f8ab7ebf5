"""The staff's content pages: browse and search records, edit one in a form, create, verify.

The form is generated from the knowledge's own models (`bot.core.editing.fields`) and a
record is saved only when the whole knowledge still passes `kb check` (`Editor`); saving does
not change what the bot says until someone publishes (`publishing.py`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from aiohttp import web

from bot.core import freshness
from bot.core.editing.fields import FormField, Parsed, form_fields, form_values, parse_form
from bot.core.editing.schema import RecordKind
from bot.core.editing.yaml_files import template, verified_today
from bot.core.models import Counter, Scheme
from bot.core.search import folded, terms
from bot.services.clock import FRANCE
from bot.services.editing import Author, Edit, Editor, Invalid, digest
from bot.web.dashboard import publishing
from bot.web.dashboard.pages import back_to, not_found, render, sentence, staff_only
from bot.web.dashboard.session import Visit, flash
from bot.web.keys import COMPTOIR

CONTENT = "/conseillers/contenu"
KINDS: dict[str, RecordKind] = {"dispositifs": "scheme", "structures": "counter"}
SLUGS = {kind: slug for slug, kind in KINDS.items()}
NAMES = {"scheme": ("dispositif", "dispositifs"), "counter": ("structure", "structures")}
SAVED = "Fiche enregistrée. Le bot l'utilisera une fois le contenu publié."
UNCHANGED = "Aucune modification : la fiche est restée telle quelle."
NEW = "nouveau"


def add_routes(router: web.UrlDispatcher) -> None:
    """Serve the content pages (and the publication's, history's and import's)."""
    router.add_get(CONTENT, content_list)
    publishing.add_routes(router, CONTENT)
    router.add_get(f"{CONTENT}/{{kind}}/{NEW}", new_record_page)
    router.add_post(f"{CONTENT}/{{kind}}/{NEW}", create_record)
    router.add_get(f"{CONTENT}/{{kind}}/{{record_id}}", record_page)
    router.add_post(f"{CONTENT}/{{kind}}/{{record_id}}", save_record)
    router.add_post(f"{CONTENT}/{{kind}}/{{record_id}}/verifie", verify_record)


def record_url(kind: RecordKind, record_id: str) -> str:
    """The page of a record."""
    return f"{CONTENT}/{SLUGS[kind]}/{record_id}"


def _editor(request: web.Request) -> Editor:
    editor = request.app[COMPTOIR].editor
    if editor is None:
        raise not_found()
    return editor


def _kind(request: web.Request) -> RecordKind:
    kind = KINDS.get(request.match_info["kind"])
    if kind is None:
        raise not_found()
    return kind


def _today() -> dt.date:
    return dt.datetime.now(FRANCE).date()


@staff_only
async def content_list(request: web.Request, visit: Visit) -> web.StreamResponse:
    """Every scheme and counter, searchable, with where its verification stands."""
    editor = _editor(request)
    text = request.query.get("q", "")[:200]
    chosen = KINDS.get(request.query.get("type", ""))
    today = _today()
    wanted = terms(text)
    sections = []
    for kind in ("scheme", "counter"):
        if chosen is not None and chosen != kind:
            continue
        rows = [
            {
                "url": record_url(kind, r.id),
                "name": r.name,
                "id": r.id,
                "state": _verification(r, today),
                "stale": freshness.needs_check(r, today),
            }
            for r in editor.drafts(kind)
            if all(t in folded(r.id, r.name, getattr(r, "funder", "")) for t in wanted)
        ]
        sections.append({"kind": kind, "slug": SLUGS[kind], "names": NAMES[kind], "rows": rows})
    context = {
        "sections": sections,
        "q": text,
        "chosen": SLUGS.get(chosen, "") if chosen else "",
        "publication": await publishing.state(request),
    }
    return await render(request, "content_list.html", context, visit)


def _verification(record: Scheme | Counter, today: dt.date) -> str:
    verified = record.verified
    if verified is None:
        return f"jamais vérifiée (établie le {record.compiled:%d/%m/%Y})"
    late = " — à revérifier" if freshness.needs_check(record, today) else ""
    return f"vérifiée le {verified.on:%d/%m/%Y} par {verified.by}{late}"


def _find(request: web.Request, kind: RecordKind) -> Scheme | Counter:
    """The record as the folder holds it (saved edits included, published or not)."""
    record = _editor(request).draft(kind, request.match_info["record_id"])
    if record is None:
        raise not_found()
    return record


async def _form_page(
    request: web.Request,
    visit: Visit,
    kind: RecordKind,
    values: Mapping[str, str | list[str]],
    *,
    record: Scheme | Counter | None,
    source: str | None,
    errors: Mapping[str, str] | None = None,
    status: int = 200,
) -> web.Response:
    comptoir = request.app[COMPTOIR]
    knowledge = comptoir.content.catalog.knowledge
    fields = form_fields(kind, knowledge)
    groups: dict[str, list[FormField]] = {}
    for field in fields:
        groups.setdefault(field.group, []).append(field)
    record_id = record.id if record is not None else None
    history = await comptoir.storage.content_log.history(record_id, 20) if record_id else []
    context = {
        "kind": kind,
        "names": NAMES[kind],
        "record": record,
        "action": record_url(kind, record_id) if record_id else f"{CONTENT}/{SLUGS[kind]}/{NEW}",
        "groups": list(groups.items()),
        "values": values,
        "errors": errors or {},
        "labels": {f.path: f.label for f in fields},
        "expected": digest(source) if source is not None else "",
        "verification": _verification(record, _today()) if record is not None else "",
        "history": history,
        "path": request.path,
    }
    return await render(request, "content_record.html", context, visit, status=status)


@staff_only
async def record_page(request: web.Request, visit: Visit) -> web.StreamResponse:
    """A record's form, its verification and its history."""
    editor = _editor(request)
    kind = _kind(request)
    record = _find(request, kind)
    source = editor.source(kind, record.id)
    return await _form_page(request, visit, kind, form_values(record), record=record, source=source)


@staff_only
async def new_record_page(request: web.Request, visit: Visit) -> web.StreamResponse:
    """The form of a new record, from the template."""
    _editor(request)
    kind = _kind(request)
    values = form_values(template(kind, _today()), kind)
    return await _form_page(request, visit, kind, values, record=None, source=None)


async def posted(request: web.Request, kind: RecordKind) -> dict[str, str | list[str]]:
    """The form's fields as parse_form reads them (several values: a list; a box: true/false)."""
    data = await request.post()
    knowledge = request.app[COMPTOIR].content.catalog.knowledge
    values: dict[str, str | list[str]] = {}
    for field in form_fields(kind, knowledge):
        given = [v for v in data.getall(field.path, []) if isinstance(v, str)]
        if field.widget == "checkboxes":
            values[field.path] = given
        elif field.widget == "checkbox":
            values[field.path] = given[0] if given else "non"  # a box not ticked is not sent
        elif field.widget == "lines":
            values[field.path] = "\n".join(given)
        elif given:
            values[field.path] = given[0]
    return values


def _author(visit: Visit) -> Author:
    return Author(visit.person.name, visit.person.id)


async def _save(
    request: web.Request, visit: Visit, kind: RecordKind, record: Scheme | Counter | None
) -> web.StreamResponse:
    editor = _editor(request)
    knowledge = request.app[COMPTOIR].content.catalog.knowledge
    values = await posted(request, kind)
    parsed: Parsed = parse_form(kind, values, knowledge, record)
    fields = await request.post()
    expected = fields.get("expected")
    source = editor.source(kind, record.id) if record is not None else None
    if parsed.data is None or parsed.record is None:
        return await _form_page(
            request, visit, kind, values, record=record, source=source,
            errors=parsed.errors, status=422,
        )  # fmt: skip
    edit = Edit(
        kind,
        parsed.record.id,
        parsed.data,
        expected=expected if isinstance(expected, str) and expected else None,
        creating=record is None,
    )
    outcome = await editor.save(edit, _author(visit))
    if isinstance(outcome, Invalid):
        return await _form_page(
            request, visit, kind, values, record=record, source=source,
            errors=outcome.errors, status=422,
        )  # fmt: skip
    await flash(request, SAVED if outcome.changes else UNCHANGED)
    raise back_to(record_url(kind, parsed.record.id))


@staff_only
async def save_record(request: web.Request, visit: Visit) -> web.StreamResponse:
    """Check and save a record's form (the errors next to their fields when it does not hold)."""
    kind = _kind(request)
    return await _save(request, visit, kind, _find(request, kind))


@staff_only
async def create_record(request: web.Request, visit: Visit) -> web.StreamResponse:
    """Check and save a new record."""
    _editor(request)
    return await _save(request, visit, _kind(request), None)


@staff_only
async def verify_record(request: web.Request, visit: Visit) -> web.StreamResponse:
    """« Vérifié aujourd'hui »: who, today, against which page (and a note)."""
    editor = _editor(request)
    kind = _kind(request)
    record = _find(request, kind)
    knowledge = request.app[COMPTOIR].content.catalog.knowledge
    fields = await request.post()
    page = str(fields.get("page", "")).strip()
    note = str(fields.get("note", "")).strip() or None
    current = parse_form(kind, form_values(record), knowledge, record)
    if current.data is None:
        await flash(request, "Cette fiche ne peut pas être relue telle quelle.", refused=True)
        raise back_to(record_url(kind, record.id))
    data = verified_today(current.data, _today(), visit.person.name, page, note)
    outcome = await editor.save(Edit(kind, record.id, data), _author(visit), "verified")
    if isinstance(outcome, Invalid):
        reasons = "; ".join(outcome.errors.values())
        await flash(request, sentence(f"vérification non enregistrée : {reasons}"), refused=True)
    else:
        await flash(request, "Vérification enregistrée. Elle sera visible une fois publiée.")
    raise back_to(record_url(kind, record.id))
