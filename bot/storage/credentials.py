"""The dashboard's credentials in SQL: password hashes, session generations, wrong passwords."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update

from bot.services.ports_advisors import CodeKind, LinkCode, Person
from bot.services.ports_dashboard import Credential
from bot.storage.accounts import read_person
from bot.storage.connection import Executor, SqlDatabase
from bot.storage.guard import refuse_nesting
from bot.storage.keys import aware, normal_email
from bot.storage.tables import LinkCodeRow, PersonRow, SignInFailureRow

_CREDENTIAL = select(
    PersonRow.password_hash, PersonRow.session_generation, PersonRow.password_set_at
).where(PersonRow.id == bindparam("b_id"))
_NEXT_GENERATION = (
    update(PersonRow)
    .where(PersonRow.id == bindparam("b_id"))
    .values(session_generation=PersonRow.session_generation + 1)
    .returning(PersonRow.session_generation)
)
_USABLE = (
    LinkCodeRow.code_hash == bindparam("b_hash"),
    LinkCodeRow.kind.in_(bindparam("b_kinds", expanding=True)),
    LinkCodeRow.used_at.is_(None),
    LinkCodeRow.expires_at > bindparam("b_at"),
)
_PEEK = select(LinkCodeRow.kind, LinkCodeRow.target, LinkCodeRow.expires_at).where(*_USABLE)
_USE = (
    update(LinkCodeRow)
    .where(*_USABLE)
    .values(used_at=bindparam("b_at"))
    .returning(LinkCodeRow.kind, LinkCodeRow.target)
)
_STAFF = select(PersonRow.id).where(PersonRow.role == "staff", PersonRow.disabled_at.is_(None))
_FAILURES = select(func.count()).where(
    SignInFailureRow.key_hash == bindparam("b_key"), SignInFailureRow.at >= bindparam("b_since")
)


class SqlCredentials:
    """Passwords, sessions, sign-in failures and dashboard links over one database."""

    def __init__(self, database: SqlDatabase) -> None:
        self._database = database

    async def credential(self, person_id: int) -> Credential:
        """A person's password hash and session generation (generation 0, no hash, if none)."""

        # Read on every dashboard request (the session's check): off the loop, and never
        # queued behind the citizens' writes.
        def read(connection: Connection) -> Any:
            return connection.execute(_CREDENTIAL, {"b_id": person_id}).one_or_none()

        row = await self._database.read(read)
        if row is None:
            return Credential(person_id, None, 0, None)
        return Credential(person_id, row.password_hash, row.session_generation, row.password_set_at)

    async def set_password(self, person_id: int, password_hash: str, at: dt.datetime) -> int:
        """Store a new hash; the session generation moves on (returned): old cookies die."""
        refuse_nesting("set_password")
        async with self._database.transaction() as connection:
            return await _set_password(connection, person_id, password_hash, aware(at))

    async def end_sessions(self, person_id: int) -> int:
        """Move the session generation on (signing out everywhere); the new one."""
        refuse_nesting("end_sessions")
        async with self._database.transaction() as connection:
            generation = await connection.scalar(_NEXT_GENERATION, {"b_id": person_id})
        if generation is None:
            raise LookupError(f"no person has id {person_id}")
        return int(generation)

    async def sign_in_failed(self, key_hash: str, at: dt.datetime) -> None:
        """Record a wrong password for a throttling key (an e-mail's or an address's hash)."""
        refuse_nesting("sign_in_failed")
        async with self._database.transaction() as connection:
            await connection.execute(
                insert(SignInFailureRow), {"key_hash": key_hash, "at": aware(at)}
            )

    async def sign_in_failures(self, key_hash: str, since: dt.datetime) -> int:
        """Wrong passwords for this key since `since` (included)."""
        refuse_nesting("sign_in_failures")
        parameters = {"b_key": key_hash, "b_since": aware(since)}
        async with self._database.transaction() as connection:
            return int(await connection.scalar(_FAILURES, parameters) or 0)

    async def peek_code(
        self, code_hash: str, at: dt.datetime, kinds: Sequence[CodeKind]
    ) -> LinkCode | None:
        """A code still usable (unused, unexpired, of these kinds), without using it."""
        refuse_nesting("peek_code")
        parameters = {"b_hash": code_hash, "b_at": aware(at), "b_kinds": list(kinds)}
        async with self._database.transaction() as connection:
            row = (await connection.execute(_PEEK, parameters)).one_or_none()
        return None if row is None else LinkCode(row.kind, row.target, row.expires_at)

    async def create_first_staff(
        self, code_hash: str, email: str, name: str, password_hash: str, at: dt.datetime
    ) -> Person | None:
        """Use a first-start code and create the first staff member, in one transaction.

        None when the code is unknown, used or expired, or when a staff member exists already.
        """
        refuse_nesting("create_first_staff")
        parameters = {"b_hash": code_hash, "b_at": aware(at), "b_kinds": ["setup"]}
        address = normal_email(email)
        async with self._database.transaction() as connection:
            if self._database.dialect == "postgresql":  # two first starts at once: one wins
                await connection.execute(select(func.pg_advisory_xact_lock(0x636F6D70)))
            if (await connection.execute(_STAFF.limit(1))).first() is not None:
                return None
            if (await connection.execute(_USE, parameters)).one_or_none() is None:
                return None
            taken = await connection.scalar(select(PersonRow.id).where(PersonRow.email == address))
            if taken is not None:  # an advisor with this e-mail becomes the staff member
                await connection.execute(
                    update(PersonRow)
                    .where(PersonRow.id == taken)
                    .values(role="staff", name=name, disabled_at=None)
                )
                person_id = int(taken)
            else:
                values = {"email": address, "name": name, "role": "staff", "created_at": at}
                created = await connection.scalar(insert(PersonRow).returning(PersonRow.id), values)
                assert isinstance(created, int)
                person_id = created
            await _set_password(connection, person_id, password_hash, at)
            return await read_person(connection, "id", person_id)

    async def accept_invitation(
        self, code_hash: str, password_hash: str, at: dt.datetime
    ) -> Person | None:
        """Use an invitation code and set its person's password, in one transaction.

        None when the code is unknown, used or expired, or its person is disabled.
        """
        refuse_nesting("accept_invitation")
        parameters = {"b_hash": code_hash, "b_at": aware(at), "b_kinds": ["invite"]}
        async with self._database.transaction() as connection:
            used = (await connection.execute(_USE, parameters)).one_or_none()
            if used is None:
                return None
            person = await read_person(connection, "id", int(used.target))
            if person is None or not person.active:
                return None
            await _set_password(connection, person.id, password_hash, at)
            return dataclasses.replace(person, dashboard=True)

    async def staff_exists(self) -> bool:
        """Whether an active staff member exists."""
        refuse_nesting("staff_exists")
        async with self._database.transaction() as connection:
            return (await connection.execute(_STAFF.limit(1))).first() is not None


async def _set_password(
    connection: Executor, person_id: int, password_hash: str, at: dt.datetime
) -> int:
    generation = await connection.scalar(
        update(PersonRow)
        .where(PersonRow.id == person_id)
        .values(
            password_hash=password_hash,
            password_set_at=at,
            session_generation=PersonRow.session_generation + 1,
        )
        .returning(PersonRow.session_generation)
    )
    if generation is None:
        raise LookupError(f"no person has id {person_id}")
    return int(generation)
