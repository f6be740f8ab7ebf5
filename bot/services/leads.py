"""The lead lifecycle as advisors and staff drive it: routing, buttons, reasons, reassignment."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from bot.core.content import Content
from bot.core.conversation import Reply
from bot.core.leads import Action, Status, closed, needs_reason, next_status
from bot.core.routing import Assignment, assign
from bot.services.cards import Directory, card_notices, directory, note
from bot.services.clock import Clock
from bot.services.outbox import Courier, message_notice
from bot.services.ports import Notice, Storage
from bot.services.ports_advisors import Awaiting, Lead, LeadEvent, Person, UnknownLead

log = logging.getLogger(__name__)
REASON_LENGTH = 300  # characters of a reason kept (« pas pour nous », « réorienté vers… »)
CITIZEN = "reply"  # a message to the citizen's chat, as their conversation's replies


@dataclass(frozen=True, slots=True)
class Answer:
    """What the person who acted is told (an alert for a refused button press)."""

    text: str | None
    refused: bool = False


@dataclass
class Change:
    """A change to one lead: the lead after it, its events, what to send, what to redraw."""

    lead: Lead
    events: list[LeadEvent] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    redraw: set[int] = field(default_factory=set)  # chats whose card shows the new version
    answer: Answer = Answer(None)


@dataclass(frozen=True, slots=True)
class Context:
    """What a change reads, read before its transaction: who is linked, where cards show."""

    linked: Directory
    shown: tuple[int, ...]  # the chats that show the lead's card


Apply = Callable[[Lead, Context], Awaitable[Change | Answer]]


class LeadService:
    """Changes leads, one transaction each, with the notifications they cause in its outbox."""

    def __init__(
        self, content: Callable[[], Content], storage: Storage, courier: Courier, clock: Clock
    ) -> None:
        self.content = content
        self.storage = storage
        self.accounts = storage.accounts
        self.leads = storage.leads
        self.courier = courier
        self.clock = clock

    # -- the lifecycle ------------------------------------------------------------------------

    async def route_filed(self, reference: str, decided: Assignment | None = None) -> None:
        """Assign a just-filed lead to its counter and show it there (once).

        `decided` is the assignment the filing turn named to the citizen: the lead goes there.
        Without it (a row written before it was recorded), the lead is routed now.
        """
        lead = await self.leads.find(reference)
        if lead is None:
            return  # erased by the retention run meanwhile

        async def apply(lead: Lead, context: Context) -> Change | Answer:
            if lead.assigned_at is not None or lead.chat_key is None:
                return Answer(None)  # routed already (a repeated row), or erased first
            change = Change(lead)
            if decided is None:
                self._assign(change, context, lead.excluded, "system")
            else:
                self._assigned(change, context, decided, "system", None, kind="routed")
            return change

        await self.change(lead.id, apply)

    async def press(
        self, user_id: int, chat_id: int, message_id: int, lead_id: int, action: Action
    ) -> Answer:
        """An advisor pressed a card's button: act, or say why not (an alert)."""
        texts = self.content().advisors.answers
        person = await self.accounts.person_by_telegram(user_id)
        if person is None or not person.active:
            return Answer(texts.not_linked, refused=True)

        async def apply(lead: Lead, context: Context) -> Change | Answer:
            if not self.may(person, lead):
                return Answer(texts.not_allowed, refused=True)
            if next_status(Status(lead.status), action) is None:
                return Answer(texts.stale, refused=True)
            if action is Action.DECLINE and lead.counter_id is None:
                return Answer(texts.reassign_usage, refused=True)
            if needs_reason(action):
                ask = texts.ask_decline if action is Action.DECLINE else texts.ask_redirect
                prompt = note(chat_id, ask.format(first_name=person.first_name), message_id, True)
                waiting = replace(lead, awaiting=Awaiting(person.id, action.value))
                return Change(waiting, notices=[prompt], answer=Answer(None))
            return self.carry_out(lead, context, person, action, None)

        return await self.change(lead_id, apply, Answer(texts.stale, refused=True))

    async def reason_given(self, person: Person, chat_id: int, text: str) -> Answer | None:
        """The advisor's answer to « pourquoi ? »; None when they were asked nothing."""
        waiting = await self.leads.awaiting(person.id)
        if waiting is None or waiting.awaiting is None:
            return None
        action = Action(waiting.awaiting.action)
        words = " ".join(text.split())[:REASON_LENGTH]
        texts = self.content().advisors.answers

        async def apply(lead: Lead, context: Context) -> Change | Answer:
            asked = lead.awaiting
            if asked is None or asked.person_id != person.id or not self.may(person, lead):
                return Answer(texts.stale)
            change = self.carry_out(replace(lead, awaiting=None), context, person, action, words)
            target = next_status(Status(lead.status), action)
            template: str = getattr(self.content().advisors.statuses, str(target))
            status = template.format(name=person.first_name, target=words)
            noted = texts.reason_noted.format(reference=lead.reference, status=status)
            if action is Action.DECLINE:  # say where it went instead
                noted += "\n" + texts.declined_to.format(
                    counter=self.counter_name(change.lead.counter_id)
                )
            change.notices.append(note(chat_id, noted))
            return change

        return await self.change(waiting.id, apply)

    async def reassign(
        self, reference: str, counter_id: str, reason: str, by: Person | None
    ) -> Answer:
        """Staff send a lead to another counter (the new one gets the card); a refusal says why."""
        content = self.content()
        texts = content.advisors.answers
        names = {c.id: c.name for c in content.catalog.knowledge.counters}
        if counter_id not in names:
            return Answer(texts.reassign_unknown_counter.format(counter=counter_id), True)
        lead = await self.leads.find(reference)
        if lead is None:
            return Answer(texts.relay_unknown.format(reference=reference), True)
        words = " ".join(reason.split())[:REASON_LENGTH]

        async def apply(lead: Lead, context: Context) -> Change | Answer:
            change = Change(lead)
            change.redraw.update(context.shown)
            assignment = Assignment(counter_id, words or None)
            self._assigned(change, context, assignment, _actor(by), by, kind="reassigned")
            answer = texts.reassigned.format(
                reference=lead.reference, counter=names[counter_id], reason=words or "—"
            )
            if counter_id not in context.linked.staffed():
                answer += "\n" + texts.reassigned_unstaffed
            change.answer = Answer(answer)
            return change

        return await self.change(lead.id, apply)

    async def forgotten(self, reference: str) -> None:
        """The citizen erased their data: their lead's cards say so, nothing relays any more."""
        lead = await self.leads.find(reference)
        if lead is None:
            return

        async def apply(lead: Lead, context: Context) -> Change | Answer:
            gone = replace(lead, relay_open=False, awaiting=None, chat_key=None)
            change = Change(gone, [self.event(lead, "forgotten", "citizen")])
            change.redraw.update(context.shown)
            return change

        await self.change(lead.id, apply)

    def may(self, person: Person, lead: Lead) -> bool:
        """Whether a person may act on a lead: staff, or an advisor of its counter."""
        if not person.active:
            return False
        return person.role == "staff" or (lead.counter_id in person.counters)

    # -- one transaction per change -----------------------------------------------------------

    async def change(self, lead_id: int, apply: Apply, missing: Answer | None = None) -> Answer:
        """Apply a change to a lead in one transaction with its outbox rows; then deliver them."""
        shown = tuple(c.chat_id for c in await self.leads.cards(lead_id))
        context = Context(await directory(self.accounts), shown)
        try:
            async with self.leads.lead(lead_id) as session:
                lead = await session.lead()
                outcome = await apply(lead, context)
                if isinstance(outcome, Answer):
                    return outcome
                saved = replace(outcome.lead, version=lead.version + 1)
                await session.save(saved)
                await session.log(outcome.events)
                notices = [*outcome.notices, *card_notices(saved, outcome.redraw)]
                queued = await session.enqueue(notices, self.clock())
        except UnknownLead:
            return missing or Answer(None)
        for recipient in dict.fromkeys(q.recipient for q in queued):
            self.courier.notify(recipient)
        return outcome.answer

    def carry_out(
        self, lead: Lead, context: Context, person: Person, action: Action, words: str | None
    ) -> Change:
        """Carry out an allowed action (its reason given, when it needs one): the change."""
        status = next_status(Status(lead.status), action)
        assert status is not None
        now = self.clock()
        change = Change(replace(lead, status=status.value, status_at=now, awaiting=None))
        change.redraw.update(context.shown)
        change.redraw.update(context.linked.audience(lead.counter_id))
        detail: dict[str, object] = {"status": status.value, "name": person.first_name}
        if action is Action.TAKE:
            change.lead = replace(change.lead, taken_by=person.id)
            change.events.append(self.event(lead, "taken", _actor(person), person))
            if not lead.citizen_told and lead.chat_key is not None:
                change.notices.append(self._told(lead, person))
                change.lead = replace(change.lead, citizen_told=True)
            return change
        if action is Action.REOPEN:
            change.lead = replace(change.lead, taken_by=person.id)
        if action is Action.REDIRECT:
            detail["target"] = words
        if action is Action.DECLINE:
            detail["reason"] = words
        change.events.append(self.event(lead, "status", _actor(person), person, detail))
        if closed(status):
            change.lead = replace(change.lead, relay_open=False)
        if action is Action.DECLINE:  # back to routing, this counter left out
            excluded = (*lead.excluded, *([lead.counter_id] if lead.counter_id else []))
            change.lead = replace(change.lead, excluded=excluded)
            self._assign(change, context, excluded, _actor(person))
        return change

    def _assign(
        self, change: Change, context: Context, excluded: Sequence[str], actor: str
    ) -> None:
        """Route the lead among the counters with advisors, those in `excluded` left out."""
        content = self.content()
        lead = change.lead
        assignment = assign(
            content.catalog.matcher,
            lead.filing.profile,
            context.linked.staffed(),
            excluded,
            content.advisors.routing,
        )
        self._assigned(change, context, assignment, actor, None, kind="routed")

    def _assigned(
        self,
        change: Change,
        context: Context,
        assignment: Assignment,
        actor: str,
        by: Person | None,
        kind: str,
    ) -> None:
        """Give the lead to a counter (or the staff queue), new again, and show it there."""
        now = self.clock()
        lead = change.lead
        change.lead = replace(
            lead,
            counter_id=assignment.counter_id,
            reason=assignment.reason,
            assigned_at=now,
            status=Status.NOUVEAU.value,
            status_at=now,
            taken_by=None,
            relay_open=False,
            awaiting=None,
            reminded_on=None,
            escalated_at=None,
        )
        commune = lead.filing.snapshot.commune
        detail: dict[str, object] = {"counter": assignment.counter_id, "reason": assignment.reason}
        if assignment.counter_id is None and kind == "routed":  # a coverage gap
            kind = "gap"
            detail = {"commune": commune.insee, "department": commune.department}
        change.events.append(self.event(lead, kind, actor, by, detail))
        change.redraw.update(context.linked.audience(assignment.counter_id))
        log.info("lead %s assigned (%s)", lead.reference, kind)

    def _told(self, lead: Lead, person: Person) -> Notice:
        """The citizen's notice that their request was taken (in their language)."""
        content = self.content()
        counter = self.counter_name(lead.counter_id)
        language = lead.filing.contact.language
        text = content.dialog.texts.lead_taken.format(
            language, name=person.first_name, counter=counter, reference=lead.reference
        )
        return message_notice(CITIZEN, str(lead.chat_key), Reply(text=text))

    def counter_name(self, counter_id: str | None) -> str:
        """A counter's name as advisors and citizens read it (None: the staff)."""
        content = self.content()
        names = {c.id: c.name for c in content.catalog.knowledge.counters}
        return names.get(counter_id or "", content.advisors.card.staff)

    def event(
        self,
        lead: Lead,
        kind: str,
        actor: str,
        by: Person | None = None,
        detail: Mapping[str, object] | None = None,
    ) -> LeadEvent:
        """An entry of the lead's timeline, with who did it."""
        data = dict(detail or {})
        if by is not None:
            data["name"] = by.first_name
        return LeadEvent(lead.id, kind, actor, self.clock(), data)


def _actor(person: Person | None) -> str:
    return "cli" if person is None else f"person:{person.id}"
