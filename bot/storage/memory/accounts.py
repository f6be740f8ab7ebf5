"""The advisors' accounts in memory, as the SQL store keeps them."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from bot.services.ports_advisors import CodeKind, DuplicatePerson, Group, LinkCode, Person, Role
from bot.storage.guard import refuse_nesting
from bot.storage.keys import CODE_KINDS, ROLES, aware, check_choice, normal_email
from bot.storage.memory.state import MemoryDatabase, StoredCode, utc

HOUR = dt.timedelta(hours=1)


class MemoryAccounts:
    """People, Telegram accounts, groups and link codes in memory."""

    def __init__(self, database: MemoryDatabase) -> None:
        self._db = database

    async def add_person(
        self, email: str, name: str, role: Role, counters: Sequence[str], at: dt.datetime
    ) -> Person:
        """Create a person; `DuplicatePerson` when the e-mail is taken (case-insensitive)."""
        refuse_nesting("add_person")
        when = utc(at)
        check_choice("role", role, ROLES)
        address = normal_email(email)
        if any(p.email == address for p in self._db.people.values()):
            raise DuplicatePerson("a person with this e-mail already exists")
        self._db.last_person_id += 1
        person = Person(
            self._db.last_person_id, address, name, role, tuple(sorted(set(counters))), None, when
        )
        self._db.people[person.id] = person
        return person

    async def people(self) -> list[Person]:
        """Everyone, by e-mail."""
        return sorted(self._db.people.values(), key=lambda p: p.email)

    async def person(self, person_id: int) -> Person | None:
        """One person by id."""
        refuse_nesting("person")
        return self._db.people.get(person_id)

    async def person_by_email(self, email: str) -> Person | None:
        """One person by e-mail (case-insensitive)."""
        refuse_nesting("person")
        address = normal_email(email)
        return next((p for p in self._db.people.values() if p.email == address), None)

    async def person_by_telegram(self, user_id: int) -> Person | None:
        """The person a Telegram account is linked to (disabled ones included)."""
        refuse_nesting("person")
        return next((p for p in self._db.people.values() if p.telegram_user_id == user_id), None)

    async def disable(self, email: str, at: dt.datetime) -> Person | None:
        """Disable a person (they keep their history); None when unknown."""
        refuse_nesting("disable")
        when = utc(at)
        person = await self.person_by_email(email)
        if person is None:
            return None
        if person.disabled_at is None:
            person = dataclasses.replace(person, disabled_at=when)
            self._db.people[person.id] = person
            held = self._db.credentials.get(person.id)
            if held is not None:  # its sessions end
                generation = held.generation + 1
                self._db.credentials[person.id] = dataclasses.replace(held, generation=generation)
        return person

    async def link_person(self, person_id: int, telegram_user_id: int, at: dt.datetime) -> None:
        """Link a Telegram account to a person (taken from whoever had it before)."""
        refuse_nesting("link_person")
        aware(at)
        people = self._db.people
        if person_id not in people:
            raise LookupError(f"no person has id {person_id}")
        for other in list(people.values()):
            if other.telegram_user_id == telegram_user_id and other.id != person_id:
                people[other.id] = dataclasses.replace(other, telegram_user_id=None)
        people[person_id] = dataclasses.replace(
            people[person_id], telegram_user_id=telegram_user_id
        )

    async def add_code(
        self, code_hash: str, kind: CodeKind, target: str, expires_at: dt.datetime, at: dt.datetime
    ) -> None:
        """Store a one-time code, by the hash of its text only."""
        refuse_nesting("add_code")
        expires, when = utc(expires_at), utc(at)
        check_choice("kind", kind, CODE_KINDS)
        if code_hash in self._db.codes:
            raise ValueError("a code with this hash already exists")
        self._db.codes[code_hash] = StoredCode(kind, target, when, expires)

    async def redeem(
        self, code_hash: str, at: dt.datetime, kinds: Sequence[CodeKind]
    ) -> LinkCode | None:
        """Use a code of one of these kinds once; None when unknown, used, expired or other."""
        refuse_nesting("redeem")
        when = utc(at)
        code = self._db.codes.get(code_hash)
        if code is None or code.used_at is not None or code.expires_at <= when:
            return None
        if code.kind not in kinds:
            return None
        code.used_at = when
        return LinkCode(kind=code.kind, target=code.target, expires_at=code.expires_at)

    async def link_group(self, chat_id: int, counter_id: str | None, at: dt.datetime) -> Group:
        """Link a Telegram group to a counter (None: the staff group; there is one)."""
        refuse_nesting("link_group")
        when = utc(at)
        groups = self._db.groups
        if counter_id is None:
            for other in [g for g in groups.values() if g.counter_id is None]:
                if other.chat_id != chat_id:
                    del groups[other.chat_id]
        known = groups.get(chat_id)
        group = Group(chat_id, counter_id, known is not None and known.digest, when)
        groups[chat_id] = group
        return group

    async def move_group(self, old_chat_id: int, new_chat_id: int) -> Group | None:
        """A group became a supergroup: its link and its cards follow its new id."""
        refuse_nesting("move_group")
        db = self._db
        old = db.groups.pop(old_chat_id, None)
        if old is not None and new_chat_id not in db.groups:  # linked again meanwhile: it stands
            db.groups[new_chat_id] = dataclasses.replace(old, chat_id=new_chat_id)
        for (lead_id, chat_id), card in list(db.cards.items()):
            if chat_id == old_chat_id:
                del db.cards[(lead_id, chat_id)]
                moved = dataclasses.replace(card, chat_id=new_chat_id)
                db.cards.setdefault((lead_id, new_chat_id), moved)
        return db.groups.get(new_chat_id)

    async def group(self, chat_id: int) -> Group | None:
        """A linked group."""
        refuse_nesting("group")
        return self._db.groups.get(chat_id)

    async def groups(self) -> list[Group]:
        """Every linked group, by chat id."""
        return sorted(self._db.groups.values(), key=lambda g: g.chat_id)

    async def set_digest(self, chat_id: int, digest: bool) -> None:
        """One daily digest of reminders for this group, or one message per lead."""
        refuse_nesting("set_digest")
        group = self._db.groups.get(chat_id)
        if group is not None:
            self._db.groups[chat_id] = dataclasses.replace(group, digest=digest)

    async def wrong_code(self, chat_id: int, at: dt.datetime) -> int:
        """Record a wrong code tried in a chat; how many were tried there in the last hour."""
        refuse_nesting("wrong_code")
        when = utc(at)
        self._db.wrong_codes.append((chat_id, when))
        return sum(1 for c, t in self._db.wrong_codes if c == chat_id and when - HOUR <= t <= when)

    async def wrong_codes(self, chat_id: int, since: dt.datetime) -> int:
        """How many wrong codes were tried in a chat since `since` (included)."""
        refuse_nesting("wrong_codes")
        start = utc(since)
        return sum(1 for c, t in self._db.wrong_codes if c == chat_id and t >= start)
