"""The dashboard's credentials in memory, as the SQL store keeps them."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from bot.services.ports_advisors import CodeKind, LinkCode, Person
from bot.services.ports_dashboard import Credential
from bot.storage.guard import refuse_nesting
from bot.storage.keys import normal_email
from bot.storage.memory.state import MemoryDatabase, StoredCode, utc


class MemoryCredentials:
    """Passwords, sessions, sign-in failures and dashboard links in memory."""

    def __init__(self, database: MemoryDatabase) -> None:
        self._db = database

    async def credential(self, person_id: int) -> Credential:
        """A person's password hash and session generation (generation 0, no hash, if none)."""
        refuse_nesting("credential")
        return self._db.credentials.get(person_id, Credential(person_id, None, 0, None))

    async def set_password(self, person_id: int, password_hash: str, at: dt.datetime) -> int:
        """Store a new hash; the session generation moves on (returned): old cookies die."""
        refuse_nesting("set_password")
        return self._set(person_id, password_hash, utc(at))

    async def end_sessions(self, person_id: int) -> int:
        """Move the session generation on (signing out everywhere); the new one."""
        refuse_nesting("end_sessions")
        if person_id not in self._db.people:
            raise LookupError(f"no person has id {person_id}")
        held = await self.credential(person_id)
        self._db.credentials[person_id] = dataclasses.replace(held, generation=held.generation + 1)
        return held.generation + 1

    async def sign_in_failed(self, key_hash: str, at: dt.datetime) -> None:
        """Record a wrong password for a throttling key (an e-mail's or an address's hash)."""
        refuse_nesting("sign_in_failed")
        self._db.sign_in_failures.append((key_hash, utc(at)))

    async def sign_in_failures(self, key_hash: str, since: dt.datetime) -> int:
        """Wrong passwords for this key since `since` (included)."""
        refuse_nesting("sign_in_failures")
        start = utc(since)
        return sum(1 for key, at in self._db.sign_in_failures if key == key_hash and at >= start)

    async def peek_code(
        self, code_hash: str, at: dt.datetime, kinds: Sequence[CodeKind]
    ) -> LinkCode | None:
        """A code still usable (unused, unexpired, of these kinds), without using it."""
        refuse_nesting("peek_code")
        code = self._usable(code_hash, utc(at), kinds)
        return None if code is None else LinkCode(code.kind, code.target, code.expires_at)

    async def create_first_staff(
        self, code_hash: str, email: str, name: str, password_hash: str, at: dt.datetime
    ) -> Person | None:
        """Use a first-start code and create the first staff member, at once."""
        refuse_nesting("create_first_staff")
        when = utc(at)
        if await self.staff_exists():
            return None
        code = self._usable(code_hash, when, ("setup",))
        if code is None:
            return None
        code.used_at = when
        address = normal_email(email)
        person = next((p for p in self._db.people.values() if p.email == address), None)
        if person is None:
            self._db.last_person_id += 1
            person = Person(self._db.last_person_id, address, name, "staff", (), None, when)
        else:  # an advisor with this e-mail becomes the staff member
            person = dataclasses.replace(person, role="staff", name=name, disabled_at=None)
        self._db.people[person.id] = person
        self._set(person.id, password_hash, when)
        return self._db.people[person.id]

    async def accept_invitation(
        self, code_hash: str, password_hash: str, at: dt.datetime
    ) -> Person | None:
        """Use an invitation code and set its person's password, at once."""
        refuse_nesting("accept_invitation")
        when = utc(at)
        code = self._usable(code_hash, when, ("invite",))
        if code is None:
            return None
        code.used_at = when
        person = self._db.people.get(int(code.target))
        if person is None or not person.active:
            return None
        self._set(person.id, password_hash, when)
        return self._db.people[person.id]

    async def staff_exists(self) -> bool:
        """Whether an active staff member exists."""
        refuse_nesting("staff_exists")
        return any(p.role == "staff" and p.active for p in self._db.people.values())

    def _usable(
        self, code_hash: str, at: dt.datetime, kinds: Sequence[CodeKind]
    ) -> StoredCode | None:
        code = self._db.codes.get(code_hash)
        if code is None or code.used_at is not None or code.expires_at <= at:
            return None
        return code if code.kind in kinds else None

    def _set(self, person_id: int, password_hash: str, at: dt.datetime) -> int:
        if person_id not in self._db.people:
            raise LookupError(f"no person has id {person_id}")
        generation = self._db.credentials.get(person_id, Credential(person_id, None, 0, None))
        new = Credential(person_id, password_hash, generation.generation + 1, at)
        self._db.credentials[person_id] = new
        person = self._db.people[person_id]
        self._db.people[person_id] = dataclasses.replace(person, dashboard=True)
        return new.generation
