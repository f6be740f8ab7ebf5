"""Advisors and staff on Telegram: their groups, their commands, their cards' buttons and replies.

A group is never a citizen's conversation: in it, the bot only hears /lier, the advisors'
commands, replies to its own messages, and its cards' buttons. In a private chat, advisor
features exist only for a linked, active person; anyone else is a citizen.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import CallbackQuery, Message, Update
from telegram.constants import ChatType
from telegram.error import TelegramError

from bot.channels.telegram.outbound import TelegramOutbound
from bot.channels.telegram.sender import Closed
from bot.core.advisors import Answers
from bot.core.cards import parse_button
from bot.core.conversation import ChatRef, Reply
from bot.services.accounts import AccountService
from bot.services.leads import Answer, LeadService
from bot.services.ports import Delivery, DeliveryFailed
from bot.services.ports_advisors import Person
from bot.services.relay import Relay

log = logging.getLogger(__name__)
HELP = frozenset({"aide", "help", "start"})
REFERENCE_PREFIX = "CPT-"


@dataclass(frozen=True, slots=True)
class Typed:
    """A message as an advisor typed it: a command and its words, or plain text."""

    command: str | None  # « lier » for « /lier@ComptoirBot 4F7K-9Q2M »
    rest: str


def typed(text: str) -> Typed:
    """Split a command from its arguments (a group's « /cmd@bot » included)."""
    stripped = text.strip()
    if not stripped.startswith("/"):
        return Typed(None, stripped)
    head, _, rest = stripped.partition(" ")
    return Typed(head[1:].split("@", 1)[0].lower(), rest.strip())


class AdvisorDesk:
    """Turns advisors' updates into calls to the lead, relay and account services."""

    def __init__(
        self,
        leads: LeadService,
        relay: Relay,
        accounts: AccountService,
        outbound: TelegramOutbound,
    ) -> None:
        self.leads = leads
        self.relay = relay
        self.accounts = accounts
        self.outbound = outbound

    @property
    def texts(self) -> Answers:
        """What the bot says to advisors, in the content being served."""
        return self.leads.content().advisors.answers

    # -- buttons ------------------------------------------------------------------------------

    def handles(self, query: CallbackQuery) -> bool:
        """Whether a button press is a card's (not a citizen's question)."""
        return query.message is not None and parse_button(query.data or "") is not None

    async def pressed(self, query: CallbackQuery) -> None:
        """A card's button: act, then answer the press (an alert when refused)."""
        parsed = parse_button(query.data or "")
        message = query.message
        assert parsed is not None and message is not None
        lead_id, action = parsed
        try:
            answer = await self.leads.press(
                query.from_user.id, message.chat.id, message.message_id, lead_id, action
            )
        except Exception:
            log.exception("a card's button could not be handled")
            answer = Answer(self.texts.stale, refused=True)
        await self._answer_query(query, answer)

    # -- messages -----------------------------------------------------------------------------

    async def group(self, update: Update) -> None:
        """A message in a group: a command, a reply to one of the bot's messages, a migration."""
        message = update.message
        if message is not None and (message.migrate_to_chat_id or message.migrate_from_chat_id):
            old = message.migrate_from_chat_id or message.chat.id
            new = message.migrate_to_chat_id or message.chat.id
            await self.accounts.migrated(old, new)
            return
        if message is None or message.from_user is None or message.text is None:
            return
        entry = typed(message.text)
        person = await self.accounts.person_of(message.from_user.id)
        if entry.command is not None:
            await self._command(update, message, entry, person, group=True)
        elif message.reply_to_message is not None:
            await self._reply(update, message, entry.rest, person)

    async def private(self, update: Update) -> bool:
        """A private message: handled here when it is /lier or a linked advisor's work."""
        message = update.message
        if message is None or message.from_user is None or message.text is None:
            return False
        entry = typed(message.text)
        if entry.command == "lier":
            await self._command(update, message, entry, None, group=False)
            return True
        person = await self.accounts.person_of(message.from_user.id)
        if person is None:
            return False  # a citizen: the conversation is theirs
        if entry.command is not None:
            if entry.command in ("ecrire", "resume", "reassigner") or entry.command in HELP:
                await self._command(update, message, entry, person, group=False)
                return True
            return False  # /recommencer, /mesdonnees…: the advisor may be a citizen too
        if message.reply_to_message is not None:
            return await self._reply(update, message, entry.rest, person)
        answer = await self.leads.reason_given(person, message.chat.id, entry.rest)
        if answer is None:
            return False  # nothing was asked of them: a citizen's message after all
        await self._answered(message, answer)
        return True

    async def _command(
        self,
        update: Update,
        message: Message,
        entry: Typed,
        person: Person | None,
        group: bool,
    ) -> None:
        texts = self.texts
        chat_id = message.chat.id
        user = message.from_user
        assert user is not None
        if entry.command == "lier":
            linked = await self.accounts.link(chat_id, group, user.id, entry.rest)
            await self.say(chat_id, linked.answer, message.message_id)
        elif entry.command in HELP:
            await self.say(chat_id, texts.help, message.message_id)
        elif person is None:
            await self.say(chat_id, texts.not_linked, message.message_id)
        elif entry.command == "ecrire":
            await self._write(update, message, entry.rest, person)
        elif entry.command == "resume":
            await self._digest(message, entry.rest)
        elif entry.command == "reassigner":
            await self._reassign(message, entry.rest, person)

    async def _reply(
        self, update: Update, message: Message, text: str, person: Person | None
    ) -> bool:
        """A reply to the bot: to a card (a relay) or to its « pourquoi ? » (a reason)."""
        replied = message.reply_to_message
        assert replied is not None
        lead = await self.leads.leads.by_card(message.chat.id, replied.message_id)
        if person is None:
            if lead is not None:
                await self.say(message.chat.id, self.texts.not_linked, message.message_id)
            return lead is not None
        if lead is not None:
            answer = await self.relay.to_citizen(
                person, message.chat.id, lead.id, text, update.update_id
            )
            await self._answered(message, answer)
            return True
        reason = await self.leads.reason_given(person, message.chat.id, text)
        if reason is None:
            return False
        await self._answered(message, reason)
        return True

    async def _write(self, update: Update, message: Message, rest: str, person: Person) -> None:
        """/ecrire CPT-2026-000123 texte."""
        reference, _, text = rest.partition(" ")
        lead = await self.leads.leads.find(reference.strip().upper())
        if lead is None or not text.strip():
            usage = self.texts.relay_unknown.format(reference=reference or "?")
            await self.say(message.chat.id, usage, message.message_id)
            return
        answer = await self.relay.to_citizen(
            person, message.chat.id, lead.id, text, update.update_id
        )
        await self._answered(message, answer)

    async def _digest(self, message: Message, rest: str) -> None:
        """/resume quotidien | chaque: one daily digest of reminders, or one per lead."""
        texts = self.texts
        group = await self.leads.accounts.group(message.chat.id)
        choice = rest.strip().lower()
        if group is None or message.chat.type == ChatType.PRIVATE:
            await self.say(message.chat.id, texts.digest_usage, message.message_id)
            return
        if choice in ("quotidien", "quotidienne", "jour"):
            await self.leads.accounts.set_digest(message.chat.id, True)
            await self.say(message.chat.id, texts.digest_on, message.message_id)
        elif choice in ("chaque", "chacune", "aucun", "non"):
            await self.leads.accounts.set_digest(message.chat.id, False)
            await self.say(message.chat.id, texts.digest_off, message.message_id)
        else:
            await self.say(message.chat.id, texts.digest_usage, message.message_id)

    async def _reassign(self, message: Message, rest: str, person: Person) -> None:
        """/reassigner CPT-2026-000123 COUNTER_ID raison (the staff group, staff only)."""
        texts = self.texts
        group = await self.leads.accounts.group(message.chat.id)
        if person.role != "staff" or group is None or group.counter_id is not None:
            await self.say(message.chat.id, texts.staff_only, message.message_id)
            return
        words = rest.split(maxsplit=2)
        if len(words) < 2 or not words[0].upper().startswith(REFERENCE_PREFIX):
            await self.say(message.chat.id, texts.reassign_usage, message.message_id)
            return
        reason = words[2] if len(words) > 2 else ""
        answer = await self.leads.reassign(words[0].upper(), words[1].lower(), reason, person)
        await self._answered(message, answer)

    # -- answers ------------------------------------------------------------------------------

    async def _answered(self, message: Message, answer: Answer) -> None:
        if answer.text:
            await self.say(message.chat.id, answer.text, message.message_id)

    async def say(self, chat_id: int, text: str, quote: int | None = None) -> None:
        """Answer an advisor's command at once (best effort: they can type it again)."""
        reply = Reply(text=text, quote=None if quote is None else str(quote))
        chat = ChatRef("telegram", str(chat_id))
        try:
            await self.outbound.deliver(Delivery(chat, reply, conversation=False))
        except DeliveryFailed as error:
            log.warning("an advisor's answer could not be sent (%s)", type(error).__name__)

    async def _answer_query(self, query: CallbackQuery, answer: Answer) -> None:
        sender = self.outbound.sender
        try:
            await sender.call(
                0,
                lambda: query.get_bot().answer_callback_query(
                    query.id, text=answer.text, show_alert=answer.refused
                ),
                paced=False,
            )
        except (TelegramError, Closed):
            log.warning("a card's button press could not be answered")
