"""The citizen's rights and the retention limits: their data as a document, the daily purge."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import Mapping
from functools import partial

from bot.core.content import Content
from bot.core.dialog.schema import ExportTexts
from bot.core.dialog.state import AnswerValue
from bot.core.models import Language, Text
from bot.services.clock import FRANCE, Clock, utc_now
from bot.services.periodic import Turn, repeat
from bot.services.ports import RETENTION, PersonalData, PreApplication, Privacy, Purged, Retention
from bot.services.ports_leases import Leases

log = logging.getLogger(__name__)
PURGE_EVERY = dt.timedelta(days=1)
PURGE_LOOK = dt.timedelta(hours=1)  # with leases: how often a replica looks for its turn
SHORT = 100  # characters of an answer in the summary


def export_document(
    data: PersonalData, content: Content, retention: Retention, now: dt.datetime
) -> str:
    """Everything stored about a citizen, as a JSON document they can read (no internals).

    Headings come from the dialog (`export:`), answers are shown as in the recap.
    """
    stored = data.conversation
    language = _language(data)
    texts = content.dialog.export
    t = partial(_heading, texts, language)
    body: dict[str, object] = {t("exported_at"): _when(now)}
    if stored is None and not data.pre_applications:
        body[t("nothing")] = True
    if stored is not None:
        state = content.engine.load(stored.state)
        conversation: dict[str, object] = {
            t("started_at"): _when(stored.created_at),
            t("updated_at"): _when(stored.updated_at),
            t("language"): texts.language_value.get(language),
        }
        if stored.campaign:
            conversation[t("campaign")] = stored.campaign
        if state is not None:
            conversation[t("answers")] = _readable(content, state.answers, language)
        body[t("conversation")] = conversation
    if data.pre_applications:
        body[t("pre_applications")] = [_lead(p, content, language) for p in data.pre_applications]
    body[t("events")] = data.events
    if data.queued:
        body[t("queued")] = data.queued
    body[t("retention")] = _retention(data, content, retention, language)
    return json.dumps({t("title"): body}, ensure_ascii=False, indent=2)


def export_summary(data: PersonalData, content: Content, retention: Retention) -> str:
    """The short message that comes with the document: the answers in words, the requests
    filed with their reference, follow-up and counter, how long it is all kept."""
    language = _language(data)
    texts, dialog = content.dialog.export, content.dialog.texts
    if data.conversation is None and not data.pre_applications:
        return texts.nothing.get(language)
    lines = [dialog.data_export.get(language)]
    state = content.engine.load(data.conversation.state) if data.conversation else None
    answers = _readable(content, state.answers, language) if state is not None else {}
    if answers:
        lines.append(texts.summary_answers.get(language))
        lines += [
            dialog.answer_line.format(language, label=label, value=_short(value))
            for label, value in answers.items()
        ]
    for record in data.pre_applications:
        lines.append(
            texts.summary_request.format(
                language,
                reference=record.reference,
                counter=_receiver(record, content, language),
                status=_status(record, content, language),
            )
        )
    lines.append(_retention(data, content, retention, language))
    lines.append(texts.summary_file.get(language))
    return "\n".join(lines)


def _language(data: PersonalData) -> Language:
    stored = data.conversation
    return "en" if stored is not None and stored.language == "en" else "fr"


def _retention(
    data: PersonalData, content: Content, retention: Retention, language: Language
) -> str:
    """How long it is kept: 12 months, or only while the conversation lasts (no consent)."""
    texts = content.dialog.export
    if data.conversation is not None and data.conversation.ephemeral:
        hours = round(retention.unkept.total_seconds() / 3600)
        return texts.retention_unkept.format(language, hours=hours)
    months = round(retention.conversations.days / 30.4)
    return texts.retention_rule.format(language, months=months)


def _short(value: str) -> str:
    """An answer cut to fit a line of the summary (the document has it whole)."""
    if len(value) <= SHORT:
        return value
    cut = value[:SHORT]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut).rstrip(" ,;:") + "…"


def _receiver(record: PreApplication, content: Content, language: Language) -> str:
    """Where a request is now: its counter's name, or the staff (routing to come, or none)."""
    counters = {c.id: c.name for c in content.catalog.knowledge.counters}
    if record.counter_id in counters:
        return counters[record.counter_id]
    return content.dialog.texts.filed_staff.get(language)


def _status(record: PreApplication, content: Content, language: Language) -> str:
    """A request's follow-up in words (its status value if the dialog has no words for it)."""
    label = content.dialog.export.statuses.get(record.status)
    return record.status if label is None else label.get(language)


def _heading(texts: ExportTexts, language: Language, name: str) -> str:
    text: Text = getattr(texts, name)
    return text.get(language)


def _readable(
    content: Content, answers: Mapping[str, AnswerValue], language: Language
) -> dict[str, str]:
    """Answers as the recap shows them: « Commune » → « Arras (62) »."""
    render = content.engine.render
    state = content.engine.new_state(language)
    return {
        render.label(node.recap_label, state): render.display(node, answers[node.key], state)
        for node in content.dialog.nodes.values()
        if node.recap_label is not None and node.key is not None and node.key in answers
    }


def _lead(record: PreApplication, content: Content, language: Language) -> dict[str, object]:
    """A filed pre-application, as the citizen gave it."""
    t = partial(_heading, content.dialog.export, language)
    filing = record.filing
    profile = filing.profile
    keys = content.qualification.keys
    given: dict[str, AnswerValue] = {
        keys.commune: profile.commune,
        keys.carrier: profile.carrier.value,
        keys.stage: profile.stage.value,
        keys.themes: list(profile.themes),
        keys.needs: [n.value for n in profile.needs],
        keys.amount: profile.amount,
    }
    lead: dict[str, object] = {
        t("reference"): record.reference,
        t("filed_at"): _when(record.created_at),
        t("status"): _status(record, content, language),
        t("counter"): _receiver(record, content, language),
        t("idea"): filing.idea,
        t("project"): _readable(content, given, language),
        t("contact"): {
            t("first_name"): filing.contact.first_name,
            t("contact_detail"): filing.contact.contact,
            t("preferred_time"): _preferred_time(content, filing.contact.preferred_time, language),
        },
        t("consent"): _when(filing.consent_at),
    }
    if filing.assessment:
        scale = content.catalog.knowledge.markers.scale
        labels = {m.id: m.label for m in content.catalog.knowledge.markers.markers}
        lead[t("assessment")] = {
            labels[a.marker].get(language): scale[a.level].get(language)
            for a in filing.assessment
            if a.marker in labels and 0 <= a.level < len(scale)
        }
    return lead


def _preferred_time(content: Content, value: str | None, language: Language) -> str | None:
    """The preferred time as the citizen chose it (« Peu importe »), not its stored value."""
    node_id = content.dialog.asking(content.qualification.keys.preferred_time)
    if value is None or node_id is None:
        return value
    state = content.engine.new_state(language)
    return content.engine.render.display(content.dialog.nodes[node_id], value, state)


def _when(moment: dt.datetime | None) -> str | None:
    """An instant as people in France read it: 01/12/2026 19:50."""
    return None if moment is None else moment.astimezone(FRANCE).strftime("%d/%m/%Y %H:%M")


class RetentionKeeper:
    """Applies the retention limits inside `comptoir serve`: at start, then once a day, and
    with `leases` once a day per cluster (whichever replica looks first; its looks are hourly,
    so a replica gone hands the purge over within the hour its lease expires)."""

    def __init__(
        self,
        privacy: Privacy,
        retention: Retention = RETENTION,
        clock: Clock = utc_now,
        leases: Leases | None = None,
    ) -> None:
        self.privacy = privacy
        self.retention = retention
        self.clock = clock
        self.leases = leases
        self._stopping = asyncio.Event()

    async def purge(self) -> Purged:
        """One retention run."""
        purged = await self.privacy.purge(self.clock(), self.retention)
        if purged != Purged():  # else nothing left the tables: no rewrite (PostgreSQL's VACUUM
            await self.privacy.compact()  # FULL locks each table while it rewrites it)
        log.info("retention: %s", purged)
        return purged

    async def run(self) -> None:
        """Purge now, then daily, until stopped or cancelled; a failed run is retried."""
        if self.leases is None:
            await repeat(self.purge, PURGE_EVERY.total_seconds(), self._stopping, "retention")
            return
        turn = Turn(self.leases, "retention", PURGE_EVERY - PURGE_LOOK, clock=self.clock)
        await repeat(self.purge, PURGE_LOOK.total_seconds(), self._stopping, "retention", turn)

    def stop(self) -> None:
        """Stop after the run in progress."""
        self._stopping.set()


class Eraser:
    """Makes erased data unrecoverable from the database files soon after an erasure.

    Requests that come close together are served by one compaction (on PostgreSQL it rewrites
    the tables holding personal data; on SQLite it empties the write-ahead log).
    """

    def __init__(self, privacy: Privacy, delay: float = 1.0) -> None:
        self.privacy = privacy
        self.delay = delay
        self._task: asyncio.Task[None] | None = None
        self._again = False

    def request(self) -> None:
        """Compact soon (the caller does not wait)."""
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = asyncio.create_task(self._run(), name="eraser")

    async def _run(self) -> None:
        while True:
            self._again = False
            await asyncio.sleep(self.delay)
            try:
                await self.privacy.compact()
            except Exception:
                log.exception("compaction after an erasure failed (retried by the daily purge)")
            if not self._again:
                return

    async def wait(self) -> None:
        """Wait for a compaction in progress (tests, shutdown)."""
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
