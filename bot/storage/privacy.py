"""The citizen's rights and the retention limits in SQL: export, purge, erasure from the files."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, and_, delete, func, not_, or_, select, update

from bot.core.observatory.scope import day_of
from bot.services.ports import PersonalData, Purged, Retention, StoredConversation
from bot.storage.connection import SqlDatabase
from bot.storage.conversations import (
    ANONYMOUS,
    PRE_APPLICATION_COLUMNS,
    anonymised_elsewhere,
)
from bot.storage.guard import refuse_nesting
from bot.storage.keys import SPENT_CODES_KEPT, WRONG_CODES_KEPT, aware
from bot.storage.observatory_tables import UnheardDayRow
from bot.storage.pseudonyms import Pseudonyms
from bot.storage.records import pre_application
from bot.storage.tables import (
    ConversationRow,
    EventRow,
    InboxRow,
    LinkCodeRow,
    OutboxRow,
    PreApplicationRow,
    ProcessedUpdateRow,
    SignInFailureRow,
    WrongCodeRow,
)

# Bound parameters per statement stay far below SQLite's limit.
_BATCH = 500
# The tables that hold personal data, rewritten by `compact` on PostgreSQL.
PERSONAL_TABLES = (
    "conversations",
    "pre_applications",
    "outbox",
    "processed_updates",
    "events",
    "inbox",
    "lead_events",
    "lead_lines",
)


class SqlPrivacy:
    """Access, retention and erasure over one database."""

    def __init__(self, database: SqlDatabase, pseudonyms: Pseudonyms) -> None:
        self._database = database
        self._pseudonyms = pseudonyms

    async def export(self, chat_key: str) -> PersonalData:
        """Everything stored about a chat, read off the event loop."""
        pseudonym = self._pseudonyms.of(chat_key)

        def read(connection: Connection) -> PersonalData:
            row = connection.execute(
                select(ConversationRow).where(
                    ConversationRow.chat_key == chat_key, ConversationRow.version > 0
                )
            ).one_or_none()
            leads = connection.execute(
                select(*PRE_APPLICATION_COLUMNS)
                .where(PreApplicationRow.chat_key == chat_key)
                .order_by(PreApplicationRow.id)
            ).all()
            events = connection.scalar(select(func.count()).where(EventRow.chat_hash == pseudonym))
            queued = connection.scalar(
                select(func.count()).where(
                    OutboxRow.recipient == chat_key,
                    OutboxRow.delivered_at.is_(None),
                    OutboxRow.dead_at.is_(None),
                )
            )
            stored = None
            if row is not None:
                stored = StoredConversation(
                    state=row.state,
                    language=row.language,
                    campaign=row.campaign,
                    created_at=row.created_at,
                    updated_at=row.updated_at,
                    ephemeral=bool(row.ephemeral),
                )
            return PersonalData(
                stored, tuple(pre_application(p) for p in leads), events or 0, queued or 0
            )

        return await self._database.read(read)

    async def purge(self, now: dt.datetime, retention: Retention) -> Purged:
        """Apply the retention limits as of `now` (see README, « Retention »).

        A conversation without consent goes `retention.unkept` after its last message, with
        everything of its chat (events included). Wrong and spent link codes (a day; 30 days)
        count among `updates`: what chats sent.
        """
        refuse_nesting("purge")
        aware(now)
        idle_since = now - retention.conversations
        async with self._database.transaction() as connection:
            run = connection.execute
            purged = (
                await run(
                    delete(ConversationRow)
                    .where(
                        or_(
                            ConversationRow.updated_at < idle_since,
                            and_(
                                ConversationRow.ephemeral,
                                ConversationRow.updated_at < now - retention.unkept,
                            ),
                        )
                    )
                    .returning(
                        ConversationRow.chat_key,
                        ConversationRow.version,
                        ConversationRow.ephemeral,
                    )
                )
            ).all()
            keys = [row.chat_key for row in purged]
            unkept = [self._pseudonyms.of(row.chat_key) for row in purged if row.ephemeral]
            updates = notices = leads = 0
            for start in range(0, len(keys), _BATCH):
                chunk = keys[start : start + _BATCH]
                updates += _count(
                    await run(
                        delete(ProcessedUpdateRow).where(ProcessedUpdateRow.chat_key.in_(chunk))
                    )
                )
                notices += _count(
                    await run(delete(OutboxRow).where(OutboxRow.recipient.in_(chunk)))
                )
                for statement in anonymised_elsewhere(PreApplicationRow.chat_key.in_(chunk)):
                    await run(statement)
                leads += _count(
                    await run(
                        update(PreApplicationRow)
                        .where(PreApplicationRow.chat_key.in_(chunk))
                        .values(ANONYMOUS | {"anonymised_at": now})
                    )
                )
            # Leads of a chat that no longer has a conversation, filed before the limit.
            orphan = not_(
                select(ConversationRow.chat_key)
                .where(ConversationRow.chat_key == PreApplicationRow.chat_key)
                .exists()
            )
            old = (
                PreApplicationRow.chat_key.is_not(None),
                PreApplicationRow.created_at < now - retention.pre_applications,
                orphan,
            )
            for statement in anonymised_elsewhere(*old):
                await run(statement)
            leads += _count(
                await run(
                    update(PreApplicationRow).where(*old).values(ANONYMOUS | {"anonymised_at": now})
                )
            )
            updates += _count(
                await run(
                    delete(ProcessedUpdateRow).where(
                        ProcessedUpdateRow.at < now - retention.updates
                    )
                )
            )
            updates += _count(
                await run(delete(WrongCodeRow).where(WrongCodeRow.at < now - WRONG_CODES_KEPT))
            )
            updates += _count(
                await run(
                    delete(SignInFailureRow).where(SignInFailureRow.at < now - WRONG_CODES_KEPT)
                )
            )
            spent = now - SPENT_CODES_KEPT
            updates += _count(
                await run(
                    delete(LinkCodeRow).where(
                        or_(LinkCodeRow.used_at < spent, LinkCodeRow.expires_at < spent)
                    )
                )
            )
            events = _count(await run(delete(EventRow).where(EventRow.at < now - retention.events)))
            # What citizens typed lives as long as the events, in the observatory's roll-ups too.
            await run(
                delete(UnheardDayRow).where(UnheardDayRow.day < day_of(now - retention.events))
            )
            for start in range(0, len(unkept), _BATCH):
                chunk = unkept[start : start + _BATCH]
                events += _count(await run(delete(EventRow).where(EventRow.chat_hash.in_(chunk))))
            # An update still held after days is one that cannot be processed: let it go.
            updates += _count(
                await run(delete(InboxRow).where(InboxRow.received_at < now - retention.inbox))
            )
            notices += _count(
                await run(
                    delete(OutboxRow).where(
                        or_(
                            OutboxRow.dead_at < now - retention.dead_notices,
                            OutboxRow.delivered_at < now - retention.delivered_notices,
                            and_(
                                OutboxRow.delivered_at.is_(None),
                                OutboxRow.created_at < idle_since,
                            ),
                        )
                    )
                )
            )
        # Rows at version 0 are lock rows of chats that never saved: not conversations.
        conversations = sum(1 for row in purged if row.version > 0)
        return Purged(conversations, updates, leads, events, notices)

    async def compact(self) -> None:
        """Make deleted rows unrecoverable from the database files (after an erasure).

        SQLite overwrites deleted content as it goes (`secure_delete`); this also empties the
        write-ahead log, whose old page images still hold it. PostgreSQL rewrites the tables
        that hold personal data (`VACUUM FULL`), so that dead rows leave its files.
        """
        refuse_nesting("compact")
        await self._database.checkpoint()
        await self._database.vacuum(PERSONAL_TABLES)


def _count(result: Any) -> int:
    return int(result.rowcount or 0)
