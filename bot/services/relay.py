"""Texts between an advisor and a citizen, through the bot: neither sees the other's account."""

from __future__ import annotations

from dataclasses import replace

from bot.core.conversation import Reply
from bot.core.leads import Status
from bot.services.cards import RELAY, chat_key, note
from bot.services.leads import Answer, Change, Context, LeadService
from bot.services.outbox import message_notice
from bot.services.ports_advisors import Lead, Person

MAX_RELAYED = 3000  # characters of one relayed text (Telegram splits longer messages anyway)


class Relay:
    """An advisor writes to the citizen of a lead they took; the citizen's answers come back."""

    def __init__(self, service: LeadService) -> None:
        self.service = service

    async def to_citizen(
        self,
        person: Person,
        chat_id: int | None,
        lead_id: int,
        text: str,
        update_id: int | None = None,
        form: str | None = None,
    ) -> Answer:
        """Send an advisor's text to the lead's citizen, signed; open the way back.

        `chat_id` is the advisor's Telegram chat, told it went (None: from the dashboard).
        `update_id` or `form` name what asked for it: asked again, nothing is sent twice.
        """
        service = self.service
        content = service.content()
        texts = content.advisors.answers
        body = text.strip()[:MAX_RELAYED]
        once: dict[str, object] = {"update": update_id} if form is None else {"form": form}
        if update_id is not None or form is not None:
            events = await service.leads.events(lead_id)
            if any(once.items() <= e.detail.items() for e in events if e.kind == "relay_out"):
                return Answer(None)  # the same update or form again: sent already

        async def apply(lead: Lead, context: Context) -> Change | Answer:
            refused = self.refusal(person, lead)
            if refused is not None or lead.chat_key is None:
                return Answer(refused, refused=True)
            language = lead.filing.contact.language
            signed = content.dialog.texts.relay_from_advisor.format(
                language,
                name=person.first_name,
                counter=service.counter_name(lead.counter_id),
                reference=lead.reference,
                text=body,
            )
            change = Change(replace(lead, relay_open=True))
            change.notices.append(message_notice(RELAY, lead.chat_key, Reply(text=signed)))
            sent = texts.relay_sent.format(reference=lead.reference)
            if chat_id is None:
                change.answer = Answer(sent)
            else:
                change.notices.append(note(chat_id, sent))
            event = service.event(lead, "relay_out", f"person:{person.id}", person, once)
            change.events.append(replace(event, text=body))
            return change

        return await service.change(lead_id, apply)

    def refusal(self, person: Person, lead: Lead) -> str | None:
        """Why this person may not write to the lead's citizen now (None: they may)."""
        texts = self.service.content().advisors.answers
        if not self.service.may(person, lead):
            return texts.not_allowed
        if lead.chat_key is None:
            return texts.relay_forgotten
        if lead.taken_by is None or lead.status == Status.NOUVEAU:
            return texts.relay_not_taken
        return None

    async def from_citizen(self, reference: str, text: str, row: int | None = None) -> None:
        """The citizen answered while a relay is open: their text goes to the advisors' chats.

        `row` is the outbox row carrying it: done again after a crash, it is passed on once.
        """
        service = self.service
        lead = await service.leads.find(reference)
        if lead is None:
            return
        events = await service.leads.events(lead.id)
        if row is not None and any(e.detail.get("row") == row for e in events):
            return  # passed on already, before a crash

        cards = {c.chat_id: c.message_id for c in await service.leads.cards(lead.id)}

        async def apply(lead: Lead, context: Context) -> Change | Answer:
            if lead.chat_key is None:
                return Answer(None)  # erased meanwhile: nothing of theirs goes anywhere
            texts = service.content().advisors.answers
            words = texts.citizen_wrote.format(reference=lead.reference, text=text[:MAX_RELAYED])
            detail: dict[str, object] = {} if row is None else {"row": row}
            event = service.event(lead, "relay_in", "citizen", None, detail)
            change = Change(lead, [replace(event, text=text[:MAX_RELAYED])])
            for chat in context.linked.audience(lead.counter_id):
                reply = Reply(text=words, quote=_quote(cards.get(chat)))
                change.notices.append(message_notice(RELAY, chat_key(chat), reply))
            return change

        await service.change(lead.id, apply)


def _quote(message_id: int | None) -> str | None:
    return None if message_id is None else str(message_id)
