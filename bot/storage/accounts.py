"""The advisors' accounts in SQL: people, their Telegram accounts, groups, one-time link codes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from bot.services.ports_advisors import CodeKind, DuplicatePerson, Group, LinkCode, Person, Role
from bot.storage.connection import Executor, SqlDatabase
from bot.storage.guard import refuse_nesting
from bot.storage.keys import CODE_KINDS, ROLES, aware, check_choice, normal_email
from bot.storage.tables import (
    GroupRow,
    LeadCardRow,
    LinkCodeRow,
    PersonCounterRow,
    PersonRow,
    WrongCodeRow,
)

HOUR = dt.timedelta(hours=1)

_PERSON_COLUMNS = (
    PersonRow.id,
    PersonRow.email,
    PersonRow.name,
    PersonRow.role,
    PersonRow.telegram_user_id,
    PersonRow.created_at,
    PersonRow.disabled_at,
    PersonRow.password_hash.is_not(None).label("dashboard"),
)
_PEOPLE = select(*_PERSON_COLUMNS)
_PERSON_BY = {
    "id": _PEOPLE.where(PersonRow.id == bindparam("b_value")),
    "email": _PEOPLE.where(PersonRow.email == bindparam("b_value")),
    "telegram": _PEOPLE.where(PersonRow.telegram_user_id == bindparam("b_value")),
}
_COUNTERS_OF = (
    select(PersonCounterRow.counter_id)
    .where(PersonCounterRow.person_id == bindparam("b_person"))
    .order_by(PersonCounterRow.counter_id)
)
_INSERT_PERSON = insert(PersonRow).returning(PersonRow.id)
_GROUP_COLUMNS = (GroupRow.chat_id, GroupRow.counter_id, GroupRow.digest, GroupRow.linked_at)
_GROUP = select(*_GROUP_COLUMNS).where(GroupRow.chat_id == bindparam("b_chat"))
_REDEEM = (
    update(LinkCodeRow)
    .where(
        LinkCodeRow.code_hash == bindparam("b_hash"),
        LinkCodeRow.kind.in_(bindparam("b_kinds", expanding=True)),
        LinkCodeRow.used_at.is_(None),
        LinkCodeRow.expires_at > bindparam("b_at"),
    )
    .values(used_at=bindparam("b_at"))
    .returning(LinkCodeRow.kind, LinkCodeRow.target, LinkCodeRow.expires_at)
)
_INSERT_WRONG_CODE = insert(WrongCodeRow)
_WRONG_CODES_SINCE = select(func.count()).where(
    WrongCodeRow.chat_id == bindparam("b_chat"), WrongCodeRow.at >= bindparam("b_since")
)
_WRONG_CODES_WITHIN = _WRONG_CODES_SINCE.where(WrongCodeRow.at <= bindparam("b_until"))


def _link_group_statement(dialect: str) -> Any:
    """Insert a group, or move an existing one to its new counter (its digest setting stays)."""
    insert_ = postgresql.insert(GroupRow) if dialect == "postgresql" else sqlite.insert(GroupRow)
    excluded = insert_.excluded
    return insert_.on_conflict_do_update(
        index_elements=[GroupRow.chat_id],
        set_={"counter_id": excluded.counter_id, "linked_at": excluded.linked_at},
    ).returning(*_GROUP_COLUMNS)


_LINK_GROUP = {dialect: _link_group_statement(dialect) for dialect in ("sqlite", "postgresql")}


class SqlAccounts:
    """People, Telegram accounts, groups and link codes over one database."""

    def __init__(self, database: SqlDatabase) -> None:
        self._database = database

    async def add_person(
        self, email: str, name: str, role: Role, counters: Sequence[str], at: dt.datetime
    ) -> Person:
        """Create a person; `DuplicatePerson` when the e-mail is taken (case-insensitive)."""
        refuse_nesting("add_person")
        aware(at)
        check_choice("role", role, ROLES)
        address = normal_email(email)
        advised = tuple(sorted(set(counters)))
        values = {"email": address, "name": name, "role": role, "created_at": at}
        try:
            async with self._database.transaction() as connection:
                person_id = await connection.scalar(_INSERT_PERSON, values)
                assert isinstance(person_id, int)
                if advised:
                    await connection.execute(
                        insert(PersonCounterRow),
                        [{"person_id": person_id, "counter_id": c} for c in advised],
                    )
        except IntegrityError as error:
            raise DuplicatePerson("a person with this e-mail already exists") from error
        return Person(person_id, address, name, role, advised, None, at.astimezone(dt.UTC))

    async def people(self) -> list[Person]:
        """Everyone, by e-mail."""

        def read(connection: Connection) -> list[Person]:
            rows = connection.execute(_PEOPLE.order_by(PersonRow.email)).all()
            counters: dict[int, list[str]] = {}
            query = select(PersonCounterRow.person_id, PersonCounterRow.counter_id).order_by(
                PersonCounterRow.counter_id
            )
            for person_id, counter_id in connection.execute(query).all():
                counters.setdefault(person_id, []).append(counter_id)
            return [_person(row, counters.get(row.id, ())) for row in rows]

        return await self._database.read(read)

    async def person(self, person_id: int) -> Person | None:
        """One person by id."""
        return await self._person_by("id", person_id)

    async def person_by_email(self, email: str) -> Person | None:
        """One person by e-mail (case-insensitive)."""
        return await self._person_by("email", normal_email(email))

    async def person_by_telegram(self, user_id: int) -> Person | None:
        """The person a Telegram account is linked to (disabled ones included)."""
        return await self._person_by("telegram", user_id)

    async def disable(self, email: str, at: dt.datetime) -> Person | None:
        """Disable a person (they keep their history); None when unknown."""
        refuse_nesting("disable")
        aware(at)
        address = normal_email(email)
        async with self._database.transaction() as connection:
            await connection.execute(
                update(PersonRow)
                .where(PersonRow.email == address, PersonRow.disabled_at.is_(None))
                .values(disabled_at=at, session_generation=PersonRow.session_generation + 1)
            )
            return await read_person(connection, "email", address)

    async def link_person(self, person_id: int, telegram_user_id: int, at: dt.datetime) -> None:
        """Link a Telegram account to a person (taken from whoever had it before)."""
        refuse_nesting("link_person")
        aware(at)
        async with self._database.transaction() as connection:
            await connection.execute(
                update(PersonRow)
                .where(PersonRow.telegram_user_id == telegram_user_id, PersonRow.id != person_id)
                .values(telegram_user_id=None)
            )
            linked = await connection.execute(
                update(PersonRow)
                .where(PersonRow.id == person_id)
                .values(telegram_user_id=telegram_user_id)
            )
            if linked.rowcount != 1:
                raise LookupError(f"no person has id {person_id}")

    async def add_code(
        self, code_hash: str, kind: CodeKind, target: str, expires_at: dt.datetime, at: dt.datetime
    ) -> None:
        """Store a one-time code, by the hash of its text only."""
        refuse_nesting("add_code")
        aware(expires_at)
        aware(at)
        check_choice("kind", kind, CODE_KINDS)
        values = {
            "code_hash": code_hash,
            "kind": kind,
            "target": target,
            "created_at": at,
            "expires_at": expires_at,
        }
        try:
            async with self._database.transaction() as connection:
                await connection.execute(insert(LinkCodeRow), values)
        except IntegrityError as error:
            raise ValueError("a code with this hash already exists") from error

    async def redeem(
        self, code_hash: str, at: dt.datetime, kinds: Sequence[CodeKind]
    ) -> LinkCode | None:
        """Use a code of one of these kinds once; None when unknown, used, expired or other.

        A code of another kind stays unused (a person's code tried in a group still works in
        private).
        """
        refuse_nesting("redeem")
        aware(at)
        if not kinds:
            return None
        parameters = {"b_hash": code_hash, "b_at": at, "b_kinds": list(kinds)}
        # One conditional update: of two concurrent redeems, only one finds the code unused.
        async with self._database.transaction() as connection:
            row = (await connection.execute(_REDEEM, parameters)).one_or_none()
        if row is None:
            return None
        return LinkCode(kind=row.kind, target=row.target, expires_at=row.expires_at)

    async def link_group(self, chat_id: int, counter_id: str | None, at: dt.datetime) -> Group:
        """Link a Telegram group to a counter (None: the staff group; there is one)."""
        refuse_nesting("link_group")
        aware(at)
        dialect = self._database.dialect
        async with self._database.transaction() as connection:
            if dialect == "postgresql":
                # Two staff groups linked at once would each delete the other's old row only:
                # linking takes turns (reads go on).
                await connection.execute(text("LOCK TABLE groups IN SHARE ROW EXCLUSIVE MODE"))
            if counter_id is None:
                await connection.execute(
                    delete(GroupRow).where(
                        GroupRow.counter_id.is_(None), GroupRow.chat_id != chat_id
                    )
                )
            values = {
                "chat_id": chat_id,
                "counter_id": counter_id,
                "digest": False,
                "linked_at": at,
            }
            row = (await connection.execute(_LINK_GROUP[dialect], values)).one()
        return _group(row)

    async def move_group(self, old_chat_id: int, new_chat_id: int) -> Group | None:
        """A group became a supergroup: its link and its cards follow its new id."""
        refuse_nesting("move_group")
        async with self._database.transaction() as connection:
            old = (await connection.execute(_GROUP, {"b_chat": old_chat_id})).one_or_none()
            new = (await connection.execute(_GROUP, {"b_chat": new_chat_id})).one_or_none()
            if old is None:
                return None if new is None else _group(new)
            if new is None:  # linked again meanwhile: the new link stands
                await connection.execute(
                    update(GroupRow)
                    .where(GroupRow.chat_id == old_chat_id)
                    .values(chat_id=new_chat_id)
                )
            else:
                await connection.execute(delete(GroupRow).where(GroupRow.chat_id == old_chat_id))
            shown = select(LeadCardRow.lead_id).where(LeadCardRow.chat_id == new_chat_id)
            await connection.execute(
                update(LeadCardRow)
                .where(LeadCardRow.chat_id == old_chat_id, LeadCardRow.lead_id.not_in(shown))
                .values(chat_id=new_chat_id)
            )
            await connection.execute(delete(LeadCardRow).where(LeadCardRow.chat_id == old_chat_id))
            row = (await connection.execute(_GROUP, {"b_chat": new_chat_id})).one()
        return _group(row)

    async def group(self, chat_id: int) -> Group | None:
        """A linked group."""
        refuse_nesting("group")
        async with self._database.transaction() as connection:
            row = (await connection.execute(_GROUP, {"b_chat": chat_id})).one_or_none()
        return None if row is None else _group(row)

    async def groups(self) -> list[Group]:
        """Every linked group, by chat id."""

        def read(connection: Connection) -> list[Group]:
            query = select(*_GROUP_COLUMNS).order_by(GroupRow.chat_id)
            return [_group(row) for row in connection.execute(query).all()]

        return await self._database.read(read)

    async def set_digest(self, chat_id: int, digest: bool) -> None:
        """One daily digest of reminders for this group, or one message per lead."""
        refuse_nesting("set_digest")
        async with self._database.transaction() as connection:
            await connection.execute(
                update(GroupRow).where(GroupRow.chat_id == chat_id).values(digest=digest)
            )

    async def wrong_code(self, chat_id: int, at: dt.datetime) -> int:
        """Record a wrong code tried in a chat; how many were tried there in the last hour."""
        refuse_nesting("wrong_code")
        aware(at)
        async with self._database.transaction() as connection:
            await connection.execute(_INSERT_WRONG_CODE, {"chat_id": chat_id, "at": at})
            window = {"b_chat": chat_id, "b_since": at - HOUR, "b_until": at}
            return int(await connection.scalar(_WRONG_CODES_WITHIN, window) or 0)

    async def wrong_codes(self, chat_id: int, since: dt.datetime) -> int:
        """How many wrong codes were tried in a chat since `since` (included)."""
        refuse_nesting("wrong_codes")
        aware(since)
        async with self._database.transaction() as connection:
            count = await connection.scalar(
                _WRONG_CODES_SINCE, {"b_chat": chat_id, "b_since": since}
            )
        return int(count or 0)

    async def _person_by(self, key: str, value: object) -> Person | None:
        refuse_nesting("person")
        async with self._database.transaction() as connection:
            return await read_person(connection, key, value)


async def read_person(connection: Executor, key: str, value: object) -> Person | None:
    """A person by id, e-mail or Telegram account, with their counters, in a transaction."""
    row = (await connection.execute(_PERSON_BY[key], {"b_value": value})).one_or_none()
    if row is None:
        return None
    counters = (await connection.execute(_COUNTERS_OF, {"b_person": row.id})).scalars().all()
    return _person(row, counters)


def _person(row: Any, counters: Sequence[str]) -> Person:
    return Person(
        id=row.id,
        email=row.email,
        name=row.name,
        role=row.role,
        counters=tuple(counters),
        telegram_user_id=row.telegram_user_id,
        created_at=row.created_at,
        disabled_at=row.disabled_at,
        dashboard=bool(row.dashboard),
    )


def _group(row: Any) -> Group:
    return Group(
        chat_id=row.chat_id,
        counter_id=row.counter_id,
        digest=bool(row.digest),
        linked_at=row.linked_at,
    )
