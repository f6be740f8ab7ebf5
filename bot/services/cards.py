"""Who reads a counter's leads, and their cards: worded when they go, edited in place after."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.core.cards import CardView, Labels, card
from bot.core.content import Content
from bot.core.conversation import ChatRef, Reply
from bot.core.leads import Status
from bot.services.outbox import message_notice
from bot.services.ports import Delivery, Notice, QueuedNotice
from bot.services.ports_advisors import Accounts, Card, Group, Lead, LeadEvent, Leads, Person

log = logging.getLogger(__name__)
TELEGRAM = "telegram"  # advisors work in Telegram (the dashboard comes next)
CARD = "card"  # a lead's card in a chat: sent once, then edited
NOTE = "note"  # a message to advisors (a reminder, a prompt, an answer)
RELAY = "relay"  # a text between an advisor and a citizen (deleted once delivered)
PARIS = ZoneInfo("Europe/Paris")
# The events a card shows as its last action.
SHOWN = (
    *("routed", "gap", "taken", "status", "reassigned", "forgotten"),
    *("relay_out", "relay_in", "note"),
)


def chat_key(chat_id: int) -> str:
    """The outbox recipient of a Telegram chat."""
    return f"{TELEGRAM}:{chat_id}"


def note(chat_id: int, text: str, quote: int | None = None, ask: bool = False) -> Notice:
    """A message to an advisors' chat, answering a message (`quote`) or asking for an answer."""
    reply = Reply(text=text, quote=None if quote is None else str(quote), ask=ask)
    return message_notice(NOTE, chat_key(chat_id), reply)


def card_notices(lead: Lead, chats: Iterable[int]) -> list[Notice]:
    """Rows that show (or redraw) a lead's card in these chats, as the lead is when they go."""
    return [
        Notice(CARD, chat_key(chat), {"lead": lead.id, "version": lead.version})
        for chat in sorted(set(chats))
    ]


@dataclass(frozen=True, slots=True)
class Directory:
    """Who is linked where, read once before a change (no read nests in its transaction)."""

    groups: tuple[Group, ...]
    people: tuple[Person, ...]

    def audience(self, counter_id: str | None) -> tuple[int, ...]:
        """The chats that receive a counter's leads (None: the staff's).

        Its linked groups; with none, each of its active linked advisors in private.
        """
        groups = tuple(g.chat_id for g in self.groups if g.counter_id == counter_id)
        if groups:
            return groups
        return tuple(
            p.telegram_user_id
            for p in self.people
            if p.active
            and p.telegram_user_id is not None
            and (p.role == "staff" if counter_id is None else counter_id in p.counters)
        )

    def staffed(self) -> set[str]:
        """The counters that have someone to work their leads: a linked group, or an advisor
        on Telegram or on the dashboard."""
        counters = {g.counter_id for g in self.groups if g.counter_id is not None}
        for person in self.people:
            if person.works_leads:
                counters.update(person.counters)
        return counters

    def group(self, chat_id: int) -> Group | None:
        """A linked group."""
        return next((g for g in self.groups if g.chat_id == chat_id), None)

    def person(self, person_id: int | None) -> Person | None:
        """A person by id."""
        return next((p for p in self.people if p.id == person_id), None)


async def directory(accounts: Accounts) -> Directory:
    """Who is linked where, now."""
    return Directory(tuple(await accounts.groups()), tuple(await accounts.people()))


class CardPrinter:
    """Words a card at delivery time, edits the chat's earlier card of the lead if any."""

    def __init__(
        self, content: Callable[[], Content], accounts: Accounts, leads: Leads, local: dt.tzinfo
    ) -> None:
        self.content = content
        self.accounts = accounts
        self.leads = leads
        self.local = local
        self._drawn: dict[int, int] = {}  # outbox row → the lead version it drew

    async def prepare(self, notice: QueuedNotice) -> Delivery | None:
        """The card as the lead stands now; None when it is gone or the chat shows it already.

        Rows are keyed by (lead, version): after an outage, the first row of a chat draws the
        lead as it is then, and the older rows behind it find the card up to date.
        """
        lead = await self.leads.get(int(notice.payload["lead"]))
        if lead is None:
            return None
        chat_id = int(notice.recipient.partition(":")[2])
        shown = [c for c in await self.leads.cards(lead.id) if c.chat_id == chat_id]
        if shown and shown[0].version >= lead.version:
            return None
        self._drawn[notice.id] = lead.version
        view = await self.view(lead, chat_id)
        content = self.content()
        reply = card(view, content.advisors, labels(content, lead), self.local)
        return Delivery(
            chat=ChatRef(TELEGRAM, str(chat_id)),
            reply=reply,
            edit=str(shown[0].message_id) if shown else None,
            conversation=False,
        )

    async def receive(self, notice: QueuedNotice, receipt: str | None) -> None:
        """Remember the message that shows the card (to edit it later) and what it shows."""
        version = self._drawn.pop(notice.id, 0)
        if receipt is not None and receipt.isdigit():
            chat_id = int(notice.recipient.partition(":")[2])
            shown = Card(int(notice.payload["lead"]), chat_id, int(receipt), version)
            await self.leads.add_card(shown)

    async def text(self, lead: Lead) -> str:
        """The card as the staff read it (for `comptoir leads show`)."""
        content = self.content()
        view = await self.view(lead, None)
        return card(view, content.advisors, labels(content, lead), self.local).text

    async def view(self, lead: Lead, chat_id: int | None) -> CardView:
        """What the card shows in this chat (None: the staff's): the lead, or where it went."""
        content = self.content()
        names = {c.id: c.name for c in content.catalog.knowledge.counters}
        linked = await directory(self.accounts)
        # The staff follow every lead they were shown (escalated, reassigned): never « moved ».
        here = (
            chat_id is None
            or chat_id in linked.audience(lead.counter_id)
            or chat_id in linked.audience(None)
        )
        taker = linked.person(lead.taken_by)
        events = await self.leads.events(lead.id)
        last = next((e for e in reversed(events) if e.kind in SHOWN), None)
        target = next(
            (str(e.detail["target"]) for e in reversed(events) if e.detail.get("target")), None
        )
        moved = None
        if not here:
            moved = names.get(lead.counter_id or "", content.advisors.card.staff)
        return CardView(
            lead_id=lead.id,
            reference=lead.reference,
            status=Status(lead.status),
            filing=lead.filing,
            counter_name=names.get(lead.counter_id) if lead.counter_id else None,
            reason=lead.reason,
            taker=taker.first_name if taker is not None else None,
            target=target,
            forgotten=lead.chat_key is None,
            moved=moved,
            last=worded(last, content, names) if last is not None else None,
            last_at=last.at if last is not None else None,
            declined_by=len(lead.excluded),
        )


def worded(event: LeadEvent, content: Content, names: dict[str, str]) -> str:
    """An event of a lead's timeline as the card's last action reads it."""
    texts = content.advisors
    detail = event.detail
    counter = names.get(str(detail.get("counter")), texts.card.staff)
    name = str(detail.get("name") or "")
    if event.kind == "status":
        status: str = getattr(texts.statuses, str(detail.get("status")), "")
        what = status.format(name=name, target=detail.get("target") or "?")
        return texts.events.status.format(status=what, name=name)
    if event.kind == "gap":
        return texts.events.gap
    template: str = getattr(texts.events, event.kind)
    return template.format(counter=counter, name=name)


def labels(content: Content, lead: Lead) -> Labels:
    """The vocabulary and option labels a card reads, in French."""
    knowledge = content.catalog.knowledge
    commune = lead.filing.snapshot.commune
    department = knowledge.geo.departments.get(commune.department)
    where = f"{commune.name} ({commune.department})"
    if department is not None:
        where += f" — {department.name}"
    return Labels(
        vocabulary=knowledge.vocabulary,
        themes={t.slug: t.label for t in knowledge.themes},
        commune=where,
        preferred_time=_options(content, "preferred_time"),
        markers={m.id: m.label.fr for m in knowledge.markers.markers},
        scale=[level.fr for level in knowledge.markers.scale],
    )


def _options(content: Content, key: str) -> dict[str, str]:
    """The French labels of the options of the dialog's question that fills `key`."""
    wanted = getattr(content.qualification.keys, key, key)
    for node in content.dialog.nodes.values():
        if node.key == wanted and node.options:
            return {o.value: o.label.fr for o in node.options}
    return {}
