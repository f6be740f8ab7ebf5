"""The dashboard's view of leads: lists by role, one lead's page, its actions, notes, export."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

from bot.core.content import Content
from bot.core.leads import Action, Status, actions, needs_reason, next_status
from bot.services.cards import CardPrinter, worded
from bot.services.leads import REASON_LENGTH, Answer, Change, Context, LeadService
from bot.services.ports_advisors import Lead, LeadEvent, Person
from bot.services.ports_dashboard import LeadLine, LeadPage, LeadQuery, LeadSearch
from bot.services.relay import Relay

NOTE_LENGTH = 2000  # characters of a note kept
EXPORT_CHUNK = 500  # leads read per query of an export (each off the event loop)


@dataclass(frozen=True, slots=True)
class Moment:
    """One line of a lead's timeline as the dashboard shows it."""

    event: LeadEvent  # its `text`: the note's or the message's words
    what: str  # « prise en charge par Camille », worded as on the Telegram card


class Worklist:
    """What advisors and staff do from the dashboard, with the same rules as on Telegram."""

    def __init__(
        self, service: LeadService, relay: Relay, search: LeadSearch, cards: CardPrinter
    ) -> None:
        self.service = service
        self.relay = relay
        self.search = search
        self.cards = cards

    @staticmethod
    def scope(person: Person) -> tuple[str, ...] | None:
        """The counters whose leads a person sees (None: all, for the staff)."""
        return None if person.role == "staff" else person.counters

    def visible(self, person: Person, query: LeadQuery) -> LeadQuery:
        """The query narrowed to what this person may see."""
        return replace(query, scope=self.scope(person))

    async def page(self, person: Person, query: LeadQuery, page: int, per_page: int) -> LeadPage:
        """One page of the leads this person may see, matching the filters."""
        return await self.search.page(self.visible(person, query), page, per_page)

    async def export(self, person: Person, query: LeadQuery) -> AsyncIterator[list[LeadLine]]:
        """Every matching lead this person may see, newest first, a chunk at a time."""
        visible = self.visible(person, query)
        after: int | None = None
        while True:
            chunk = await self.search.lines(visible, after, EXPORT_CHUNK)
            if not chunk:
                return
            yield chunk
            after = chunk[-1].id

    async def departments(self, person: Person) -> list[str]:
        """The départements of the leads this person may see (a filter's choices)."""
        return await self.search.departments(self.scope(person))

    async def open(self, person: Person, reference: str) -> Lead | None:
        """A lead this person may see; None when it does not exist or is not theirs."""
        lead = await self.service.leads.find(reference)
        if lead is None or not self.service.may(person, lead):
            return None
        return lead

    async def timeline(self, lead: Lead) -> list[Moment]:
        """The lead's timeline, oldest first, worded."""
        content = self.service.content()
        names = {c.id: c.name for c in content.catalog.knowledge.counters}
        events = await self.service.leads.events(lead.id)
        return [Moment(e, _worded(e, content, names)) for e in events]

    def allowed(self, person: Person, lead: Lead) -> tuple[Action, ...]:
        """The actions this person may take on the lead now, in button order."""
        if not self.service.may(person, lead):
            return ()
        found = actions(Status(lead.status))
        return tuple(a for a in found if a is not Action.DECLINE or lead.counter_id is not None)

    async def act(
        self, person: Person, lead_id: int, action: Action, words: str, form: str
    ) -> Answer:
        """Move a lead along its lifecycle, with the reason typed in the same form."""
        service = self.service
        texts = service.content().advisors.answers
        reason = " ".join(words.split())[:REASON_LENGTH]
        if needs_reason(action) and not reason:
            return Answer(REASON_NEEDED[action], refused=True)
        if await self._seen(lead_id, form):
            return Answer(texts.done)

        async def apply(lead: Lead, context: Context) -> Change | Answer:
            if not service.may(person, lead):
                return Answer(texts.not_allowed, refused=True)
            if next_status(Status(lead.status), action) is None or action not in self.allowed(
                person, lead
            ):
                return Answer(texts.stale, refused=True)
            change = service.carry_out(
                replace(lead, awaiting=None), context, person, action, reason or None
            )
            change.events = [_tagged(e, form) for e in change.events]
            change.answer = Answer(texts.done)
            if action is Action.DECLINE:
                name = service.counter_name(change.lead.counter_id)
                change.answer = Answer(texts.declined_to.format(counter=name))
            return change

        return await service.change(lead_id, apply, Answer(texts.stale, refused=True))

    async def note(self, person: Person, lead_id: int, words: str, form: str) -> Answer:
        """Add a note to the lead's timeline (seen by its advisors, never by the citizen)."""
        service = self.service
        texts = service.content().advisors.answers
        body = words.strip()[:NOTE_LENGTH]
        if not body:
            return Answer(EMPTY_NOTE, refused=True)
        if await self._seen(lead_id, form):
            return Answer(texts.done)

        async def apply(lead: Lead, context: Context) -> Change | Answer:
            if not service.may(person, lead):
                return Answer(texts.not_allowed, refused=True)
            event = service.event(lead, "note", f"person:{person.id}", person, {"form": form})
            change = Change(lead, [replace(event, text=body)], answer=Answer(texts.done))
            change.redraw.update(context.shown)  # the cards' « Dernière action »
            return change

        return await service.change(lead_id, apply, Answer(texts.stale, refused=True))

    async def write(self, person: Person, lead_id: int, words: str, form: str) -> Answer:
        """Write to the lead's citizen (their chat, Telegram or web); their answers come back."""
        if not words.strip():
            return Answer(EMPTY_MESSAGE, refused=True)
        return await self.relay.to_citizen(person, None, lead_id, words, form=form)

    async def reassign(self, person: Person, lead: Lead, counter_id: str, reason: str) -> Answer:
        """Staff send a lead to another counter."""
        if person.role != "staff" or not person.active:
            return Answer(self.service.content().advisors.answers.staff_only, refused=True)
        return await self.service.reassign(lead.reference, counter_id, reason, person)

    async def _seen(self, lead_id: int, form: str) -> bool:
        """Whether this form was sent already (a double click, a reload after posting)."""
        return any(e.detail.get("form") == form for e in await self.service.leads.events(lead_id))


REASON_NEEDED = {
    Action.DECLINE: "Dites en une phrase pourquoi cette demande n'est pas pour vous : "
    "elle sera adressée à une autre structure.",
    Action.REDIRECT: "Dites vers quelle structure vous avez réorienté la personne.",
}
EMPTY_NOTE = "La note est vide : écrivez ce qui a été fait ou convenu."
EMPTY_MESSAGE = "Le message est vide : écrivez ce que vous voulez dire à la personne."


def _tagged(event: LeadEvent, form: str) -> LeadEvent:
    return replace(event, detail={**event.detail, "form": form})


def _worded(event: LeadEvent, content: Content, names: dict[str, str]) -> str:
    """The card's wording of an event; a kind the texts do not know reads as itself."""
    if event.kind in ("gap", "status") or hasattr(content.advisors.events, event.kind):
        return worded(event, content, names)
    return event.kind
