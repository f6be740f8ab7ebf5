"""Advisors and staff: who they are, and the one-time codes that link their Telegram to Comptoir."""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.core.content import Content
from bot.services.cards import chat_key
from bot.services.clock import Clock
from bot.services.ports import Storage
from bot.services.ports_advisors import CodeKind, DuplicatePerson, Person, Role

log = logging.getLogger(__name__)
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud or retyped
CODE_LENGTH = 8  # 31⁸ ≈ 8.5 × 10¹¹ codes; five wrong tries an hour per chat
CODE_VALID = dt.timedelta(days=7)
WRONG_CODES_PER_HOUR = 5
LINKED_TTL = 30.0  # seconds a process trusts its list of linked accounts (a disable: up to this)
HOUR = dt.timedelta(hours=1)
CODE_DOMAIN = "link-code:"  # keyed hashes of codes never equal a chat's pseudonym
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AccountError(ValueError):
    """A person or a code could not be created: the message says why, in French."""


@dataclass(frozen=True, slots=True)
class Linked:
    """What a redeemed code linked, worded for the chat that sent it."""

    answer: str
    ok: bool


def new_code() -> str:
    """A random one-time code, as it is shown: « 4F7K-9Q2M »."""
    letters = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{letters[:4]}-{letters[4:]}"


def normal_code(text: str) -> str:
    """A typed code as it is hashed: capitals, no spaces nor dashes (« 4f7k 9q2m » works)."""
    return re.sub(r"[^0-9A-Z]", "", text.upper())


class AccountService:
    """Creates people and link codes (staff, from the CLI); links chats that redeem a code."""

    def __init__(self, content: Callable[[], Content], storage: Storage, clock: Clock) -> None:
        self.content = content
        self.accounts = storage.accounts
        self.outbox = storage.outbox
        self.keys = storage.keys
        self.clock = clock
        self._linked: dict[int, Person] = {}
        self._linked_at = -LINKED_TTL

    async def person_of(self, telegram_user_id: int) -> Person | None:
        """The active person a Telegram account is linked to (a citizen's turn asks it: cached)."""
        if time.monotonic() - self._linked_at >= LINKED_TTL:
            people = await self.accounts.people()
            self._linked = {
                p.telegram_user_id: p for p in people if p.active and p.telegram_user_id is not None
            }
            self._linked_at = time.monotonic()
        return self._linked.get(telegram_user_id)

    def forget_cache(self) -> None:
        """Read who is linked afresh at the next question (after a link in this process)."""
        self._linked_at = -LINKED_TTL

    async def add_person(
        self, email: str, name: str, role: Role, counters: Sequence[str]
    ) -> tuple[Person, str]:
        """Create a person and the code that links their Telegram account (valid 7 days)."""
        email = email.strip()
        name = " ".join(name.split())
        if not _EMAIL.match(email):
            raise AccountError(f"adresse e-mail invalide : « {email} »")
        if not 2 <= len(name) <= 120:
            raise AccountError("le nom doit faire entre 2 et 120 caractères")
        if role not in ("advisor", "staff"):
            raise AccountError(f"rôle inconnu « {role} » (advisor ou staff)")
        self.check_counters(counters)
        if role == "advisor" and not counters:
            raise AccountError("un conseiller appartient à au moins une structure (--counter ID)")
        try:
            person = await self.accounts.add_person(
                email, name, role, sorted(set(counters)), self.clock()
            )
        except DuplicatePerson as error:
            raise AccountError(f"une personne a déjà l'e-mail « {email} »") from error
        return person, await self._code("person", str(person.id))

    async def counter_code(self, counter_id: str | None) -> str:
        """A code that links a Telegram group to a counter (None: as the staff group)."""
        if counter_id is None:
            return await self._code("staff", "")
        self.check_counters([counter_id])
        return await self._code("counter", counter_id)

    def check_counters(self, counters: Sequence[str]) -> None:
        """Refuse counters the knowledge base does not know, naming them."""
        known = {c.id for c in self.content().catalog.knowledge.counters}
        unknown = sorted(set(counters) - known)
        if unknown:
            raise AccountError(
                "structure inconnue : "
                + ", ".join(f"« {c} »" for c in unknown)
                + " (voir `comptoir counters list`)"
            )

    async def link(self, chat_id: int, group: bool, user_id: int, typed: str) -> Linked:
        """Redeem a code typed with /lier: link the account, or the group, it names.

        In a private chat only a person's code works; in a group, a counter's or the staff's
        code links the group (a person's links the sender). Five wrong codes an hour per chat,
        then a pause: a code cannot be guessed.
        """
        texts = self.content().advisors.answers
        now = self.clock()
        code = normal_code(typed)
        if not code:
            return Linked(texts.link_usage, ok=False)
        if await self.accounts.wrong_codes(chat_id, now - HOUR) >= WRONG_CODES_PER_HOUR:
            return Linked(texts.too_many_codes, ok=False)
        kinds: tuple[CodeKind, ...] = ("person", "counter", "staff") if group else ("person",)
        redeemed = await self.accounts.redeem(self.keys.of(CODE_DOMAIN + code), now, kinds)
        if redeemed is None:
            await self.accounts.wrong_code(chat_id, now)
            return Linked(texts.wrong_code, ok=False)
        if redeemed.kind == "person":
            person = await self.accounts.person(int(redeemed.target))
            if person is None or not person.active:
                return Linked(texts.wrong_code, ok=False)
            await self.accounts.link_person(person.id, user_id, now)
            self.forget_cache()
            return Linked(texts.linked_person.format(name=person.name), ok=True)
        counter = redeemed.target if redeemed.kind == "counter" else None
        await self.accounts.link_group(chat_id, counter, now)
        if counter is None:
            return Linked(texts.linked_staff, ok=True)
        names = {c.id: c.name for c in self.content().catalog.knowledge.counters}
        return Linked(texts.linked_counter.format(counter=names.get(counter, counter)), ok=True)

    async def migrated(self, old_chat_id: int, new_chat_id: int) -> None:
        """A linked group became a supergroup: its link, cards and waiting messages follow it."""
        if await self.accounts.move_group(old_chat_id, new_chat_id) is None:
            return  # not a group of ours, or followed already
        moved = await self.outbox.readdress(chat_key(old_chat_id), chat_key(new_chat_id))
        log.info("a linked group became a supergroup; %d waiting message(s) follow it", moved)

    async def _code(self, kind: CodeKind, target: str) -> str:
        code = new_code()
        now = self.clock()
        hashed = self.keys.of(CODE_DOMAIN + normal_code(code))
        await self.accounts.add_code(hashed, kind, target, now + CODE_VALID, now)
        return code
